// Schema inference, synthesizers (fit, sample, save, load) and CSV in the library's own format.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include "engine.h"
#include "frame.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/model_file.h"
#include "medgen/tabular/pipeline.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::python {

namespace {

using tabular::Condition;
using tabular::Synthesizer;
using json = nlohmann::json;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The CSV text of a frame's cells (what its provenance hash covers).
std::string raw_csv(const RawTable& raw) {
  std::string out;
  for (size_t c = 0; c < raw.num_cols(); ++c) {
    if (c) out += ',';
    append_csv_field(out, raw.names[c]);
  }
  out += '\n';
  for (size_t r = 0; r < raw.num_rows(); ++r) {
    for (size_t c = 0; c < raw.num_cols(); ++c) {
      if (c) out += ',';
      append_csv_field(out, raw.field(r, c));
    }
    out += '\n';
  }
  return out;
}

py::object schema_to_python(const Schema& s) { return py::module_::import("json").attr("loads")(s.to_json().dump()); }

// A model and what the package shows about it. Calls must not overlap (the engine lock).
struct PySynthesizer {
  std::unique_ptr<Synthesizer> synth;
  bool fitted = false;
  tabular::Provenance provenance;
  json header;                 // a loaded model's file header (empty for a fresh fit)
  double last_call_seconds = 0;  // the library call alone, in the last fit/sample (benchmarks)

  const Synthesizer& ready() const {
    if (!fitted) throw InvalidInput("the synthesizer '" + synth->name() + "' is not fitted: call fit(df) or medgen.load(path)");
    return *synth;
  }

  // Conditions as labels: a bool on a boolean column is its schema label (False: the first),
  // numbers are written as a CSV would hold them (1.0 -> "1"), text is taken as is.
  std::vector<Condition> conditions(const py::object& given) const {
    std::vector<Condition> out;
    if (given.is_none()) return out;
    const Schema& schema = ready().schema();
    for (const auto& item : given.cast<py::dict>()) {
      Condition c;
      c.column = py::str(item.first).cast<std::string>();
      const py::handle v = item.second;
      const int i = schema.find(c.column);
      if (py::isinstance<py::bool_>(v) && i >= 0 &&
          schema.columns[static_cast<size_t>(i)].type == ColumnType::kBoolean &&
          schema.columns[static_cast<size_t>(i)].values.size() == 2) {
        c.value = schema.columns[static_cast<size_t>(i)].values[v.cast<bool>() ? 1 : 0];
      } else if (py::isinstance<py::str>(v)) {
        c.value = v.cast<std::string>();
      } else {
        const py::object df = py::module_::import("pandas").attr("DataFrame")(py::dict(py::arg("v") = py::make_tuple(v)));
        c.value = std::string(frame_to_raw(df, "conditions").field(0, 0));
      }
      out.push_back(std::move(c));
    }
    return out;
  }
};

std::unique_ptr<PySynthesizer> create(const std::string& name, const py::dict& params) {
  auto p = std::make_unique<PySynthesizer>();
  p->synth = tabular::create_synthesizer(name, py::cast<json>(params));
  return p;
}

py::dict fit(PySynthesizer& self, const py::object& df, const py::object& schema_arg, uint64_t seed, int threads,
             const py::object& progress_cb, const std::string& checkpoint, bool resume, const std::string& source) {
  Context ctx = make_context(seed, threads);
  const bool given = schema_given(schema_arg);
  Schema schema;
  if (given) schema = schema_from_python(schema_arg);
  const RawTable raw = frame_to_raw(df, source, given ? &schema : nullptr);
  if (raw.num_rows() == 0) throw InvalidInput(source + ": the frame has no rows");
  std::vector<std::string> warnings;
  if (!given) schema = infer_frame_schema(df, raw, &warnings);
  auto progress = make_progress(progress_cb);
  ctx.progress = progress.get();
  double seconds = 0;
  std::string sha;
  size_t rows = 0, cols = 0;
  released([&] {
    const Table table = to_table(raw, schema, frame_csv_options());
    sha = sha256_hex(raw_csv(raw));
    rows = table.num_rows();
    cols = table.num_cols();
    // A failed or interrupted fit leaves the model as it was.
    auto fresh = tabular::create_synthesizer(self.synth->name(), self.synth->params());
    fresh->set_checkpoint(checkpoint, resume);
    const auto t0 = std::chrono::steady_clock::now();
    fresh->fit(table, schema, ctx);
    seconds = seconds_since(t0);
    self.synth = std::move(fresh);
    return 0;
  });
  progress.reset();
  self.fitted = true;
  self.header = json();
  self.last_call_seconds = seconds;
  self.provenance = tabular::Provenance{source, sha, rows, cols, seconds, seed, threads};
  warnings.insert(warnings.end(), self.synth->warnings().begin(), self.synth->warnings().end());
  py::dict out;
  out["rows"] = rows;
  out["columns"] = cols;
  out["seconds"] = seconds;
  out["warnings"] = warnings;
  return out;
}

// Identifiers renumbered 1..n, as sample_to_csv writes them.
void renumber_identifiers(Table* t, const Schema& schema) {
  for (Column& c : t->columns) {
    const int si = schema.find(c.name);
    if (si >= 0 && schema.columns[static_cast<size_t>(si)].type == ColumnType::kIdentifier)
      c = synthetic_identifiers(schema.columns[static_cast<size_t>(si)], t->num_rows(), 1);
  }
}

Table sample_table(PySynthesizer& self, size_t n, const py::object& conditions, const std::string& balance,
                   uint64_t seed, int threads) {
  const Synthesizer& synth = self.ready();
  const Context ctx = make_context(seed, threads);
  const std::vector<Condition> conds = self.conditions(conditions);
  return released([&] {
    const auto t0 = std::chrono::steady_clock::now();
    if (n == 0) throw InvalidInput("n must be at least 1");
    Table t = balance.empty() ? synth.sample(n, conds, ctx) : tabular::sample_balanced(synth, n, balance, conds, ctx);
    renumber_identifiers(&t, synth.schema());
    self.last_call_seconds = seconds_since(t0);
    return t;
  });
}

py::object sample(PySynthesizer& self, size_t n, const py::object& conditions, const std::string& balance,
                  uint64_t seed, int threads) {
  Table t = sample_table(self, n, conditions, balance, seed, threads);
  return table_to_frame(std::move(t), self.synth->schema());
}

size_t sample_csv(PySynthesizer& self, const std::string& path, size_t n, const py::object& conditions,
                  const std::string& balance, uint64_t seed, int threads, size_t chunk_rows,
                  const py::object& progress_cb) {
  const Synthesizer& synth = self.ready();
  Context ctx = make_context(seed, threads);
  tabular::SampleRequest request;
  request.rows = n;
  request.conditions = self.conditions(conditions);
  request.balance = balance;
  auto progress = make_progress(progress_cb);
  ctx.progress = progress.get();
  const size_t written = released([&] {
    const auto t0 = std::chrono::steady_clock::now();
    const size_t w = tabular::sample_to_csv(synth, request, ctx, path, chunk_rows);
    self.last_call_seconds = seconds_since(t0);
    return w;
  });
  progress.reset();
  return written;
}

void save(PySynthesizer& self, const std::string& path, bool reproducible) {
  const Synthesizer& synth = self.ready();
  tabular::Provenance p = self.provenance;
  if (!self.header.is_null()) {
    // A loaded model keeps the provenance of its own fit.
    const json& h = self.header.at("provenance");
    p = {h.at("input").get<std::string>(), h.at("input_sha256").get<std::string>(), h.at("rows").get<size_t>(),
         h.at("columns").get<size_t>(), h.at("train_seconds").get<double>(), h.at("seed").get<uint64_t>(),
         h.at("threads").get<int>()};
  }
  if (reproducible) p.train_seconds = 0;
  released([&] {
    tabular::save_model(synth, p, path);
    return 0;
  });
}

std::unique_ptr<PySynthesizer> load(const std::string& path) {
  auto p = std::make_unique<PySynthesizer>();
  tabular::LoadedModel m = released([&] { return tabular::load_model(path); });
  p->synth = std::move(m.synthesizer);
  p->header = std::move(m.header);
  p->fitted = true;
  return p;
}

py::tuple infer(const py::object& df, const std::string& source) {
  const RawTable raw = frame_to_raw(df, source);
  if (raw.num_rows() == 0) throw InvalidInput(source + ": the frame has no rows");
  std::vector<std::string> warnings;
  const Schema s = infer_frame_schema(df, raw, &warnings);
  return py::make_tuple(schema_to_python(s), warnings);
}

// The library's reading of a CSV file (missing tokens NA, NaN, ? and the empty cell), typed.
py::tuple read_csv_frame(const std::string& path, const py::object& schema_arg) {
  std::vector<std::string> warnings;
  Schema schema;
  if (schema_given(schema_arg)) schema = schema_from_python(schema_arg);
  Table table = released([&] {
    const RawTable raw = medgen::read_csv(path);
    if (raw.num_rows() == 0) throw InvalidInput(located(path, 1, 0, "the file has a header but no data rows"));
    if (schema.columns.empty()) schema = infer_schema(raw, {}, {}, &warnings);
    return to_table(raw, schema);
  });
  return py::make_tuple(table_to_frame(std::move(table), schema), schema_to_python(schema), warnings);
}

// A frame as the CSV the library writes for it under `schema` (rounding, date formats, labels).
std::string frame_csv(const py::object& df, const py::object& schema_arg) {
  const bool given = schema_given(schema_arg);
  Schema schema;
  if (given) schema = schema_from_python(schema_arg);
  const RawTable raw = frame_to_raw(df, "<DataFrame>", given ? &schema : nullptr);
  if (!given) schema = infer_frame_schema(df, raw, nullptr);
  const Table t = to_table(raw, schema, frame_csv_options());
  return to_csv(t, schema);
}

// A frame typed by a schema and back (to_table, then the frame mapping): the round trip tests use it.
py::object retype(const py::object& df, const py::object& schema_arg) {
  const bool given = schema_given(schema_arg);
  Schema schema;
  if (given) schema = schema_from_python(schema_arg);
  const RawTable raw = frame_to_raw(df, "<DataFrame>", given ? &schema : nullptr);
  if (!given) schema = infer_frame_schema(df, raw, nullptr);
  Table t = to_table(raw, schema, frame_csv_options());
  return table_to_frame(std::move(t), schema);
}

}  // namespace

void register_tabular(py::module_& m) {
  py::class_<PySynthesizer>(m, "_Synthesizer")
      .def_property_readonly("name", [](const PySynthesizer& s) { return s.synth->name(); })
      .def_property_readonly("params", [](const PySynthesizer& s) { return s.synth->params(); })
      .def_property_readonly("fitted", [](const PySynthesizer& s) { return s.fitted; })
      .def_property_readonly("schema", [](const PySynthesizer& s) { return schema_to_python(s.ready().schema()); })
      .def_property_readonly("summary", [](const PySynthesizer& s) { return s.ready().summary(); })
      .def_property_readonly("warnings", [](const PySynthesizer& s) { return s.synth->warnings(); })
      .def_property_readonly("header", [](const PySynthesizer& s) { return s.header; })
      .def_property_readonly("last_call_seconds", [](const PySynthesizer& s) { return s.last_call_seconds; })
      .def("fit", &fit, py::arg("df"), py::arg("schema"), py::arg("seed"), py::arg("threads"), py::arg("progress"),
           py::arg("checkpoint"), py::arg("resume"), py::arg("source"))
      .def("sample", &sample, py::arg("n"), py::arg("conditions"), py::arg("balance"), py::arg("seed"),
           py::arg("threads"))
      .def("sample_csv", &sample_csv, py::arg("path"), py::arg("n"), py::arg("conditions"), py::arg("balance"),
           py::arg("seed"), py::arg("threads"), py::arg("chunk_rows"), py::arg("progress"))
      .def("save", &save, py::arg("path"), py::arg("reproducible"));
  m.def("_create", &create, py::arg("name"), py::arg("params"));
  m.def("_load", &load, py::arg("path"));
  m.def("_infer_schema", &infer, py::arg("df"), py::arg("source"));
  m.def("_read_csv", &read_csv_frame, py::arg("path"), py::arg("schema"));
  m.def("_to_csv", &frame_csv, py::arg("df"), py::arg("schema"));
  m.def("_retype", &retype, py::arg("df"), py::arg("schema"));
  m.def("_list_synthesizers", [] {
    py::list out;
    for (const auto& s : tabular::list_synthesizers()) out.append(py::make_tuple(s.name, s.description));
    return out;
  });
}

}  // namespace medgen::python
