#include "medgen/tabular/synthesizer.h"

#include <algorithm>
#include <functional>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/core/version.h"
#include "medgen/tabular/cart.h"
#include "medgen/tabular/copula.h"
#include "medgen/tabular/mst.h"
#include "medgen/tabular/neural.h"
#include "state_check.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

struct Entry {
  const char* name;
  const char* description;
  std::function<std::unique_ptr<Synthesizer>(const json&)> make;
};

// The registry: one line per synthesizer. Kept explicit (rather than self-registering static
// objects) because static libraries drop unreferenced registration objects at link time.
const std::vector<Entry>& registry() {
  static const std::vector<Entry> kEntries = {
      {"copula", "Gaussian copula over per-column marginals (fast baseline)",
       [](const json& p) { return std::make_unique<CopulaSynthesizer>(CopulaParams::from_json(p), "copula"); }},
      {"independent", "independent columns: each marginal on its own (a reference baseline)",
       [](const json& p) {
         json q = p.is_null() ? json::object() : p;
         if (q.contains("dependence")) {
           if (q["dependence"] != false) throw InvalidInput("independent: option 'dependence' can only be false");
           q.erase("dependence");
         }
         auto params = CopulaParams::from_json(q);
         params.dependence = false;
         return std::make_unique<CopulaSynthesizer>(params, "independent");
       }},
      {"ctgan", "conditional Wasserstein GAN with gradient penalty on the mode-normalized table (LibTorch)",
       [](const json& p) { return create_neural_synthesizer("ctgan", p); }},
      {"tvae", "variational autoencoder on the mode-normalized table (LibTorch)",
       [](const json& p) { return create_neural_synthesizer("tvae", p); }},
      {"diffusion", "denoising diffusion: Gaussian on numbers, multinomial on categories (TabDDPM-style, LibTorch)",
       [](const json& p) { return create_neural_synthesizer("diffusion", p); }},
      {"autoregressive", "column by column, each conditional discretised, in a random order when training (LibTorch)",
       [](const json& p) { return create_neural_synthesizer("autoregressive", p); }},
      {"cart", "column by column, each value drawn from the training rows in its leaf of a tree on the columns before it (synthpop-style CART, trees by XGBoost)",
       [](const json& p) { return std::make_unique<CartSynthesizer>(CartParams::from_json(p)); }},
      {"mst", "differentially private: noisy 1-way marginals and a maximum spanning tree of noisy 2-way marginals (McKenna et al. 2021; --epsilon, --delta)",
       [](const json& p) { return std::make_unique<MstSynthesizer>(MstParams::from_json(p)); }},
  };
  return kEntries;
}

}  // namespace

Condition parse_condition(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InvalidInput("--condition '" + text + "': expected COLUMN=VALUE");
  return Condition{text.substr(0, eq), text.substr(eq + 1)};
}

void Synthesizer::check_request(size_t n, const std::vector<Condition>& conditions) const {
  if (n == 0) throw InvalidInput("-n must be at least 1");
  if (n > 1000000000) throw InvalidInput("-n " + std::to_string(n) + " is too large (at most 1e9 rows per call)");
  for (const Condition& c : conditions) {
    const int i = schema_.find(c.column);
    if (i < 0) throw InvalidInput("--condition: unknown column '" + c.column + "'");
    const ColumnSchema& cs = schema_.columns[static_cast<size_t>(i)];
    if (cs.type != ColumnType::kCategorical && cs.type != ColumnType::kBoolean)
      throw InvalidInput("--condition: column '" + c.column + "' is " + to_string(cs.type) +
                         "; conditions apply to categorical and boolean columns");
    if (std::find(cs.values.begin(), cs.values.end(), c.value) == cs.values.end())
      throw InvalidInput("--condition: '" + c.value + "' is not a value of column '" + c.column + "'");
  }
  // No row can hold two values in one column: refuse instead of honouring only one of them.
  for (size_t i = 0; i < conditions.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (conditions[i].column == conditions[j].column && conditions[i].value != conditions[j].value)
        throw InvalidInput("--condition: contradictory values for column '" + conditions[i].column + "' ('" +
                           conditions[j].value + "' and '" + conditions[i].value + "'): no row can satisfy both");
}

std::unique_ptr<Synthesizer> create_synthesizer(const std::string& name, const json& params) {
  for (const Entry& e : registry())
    if (name == e.name) return e.make(params);
  std::string names;
  for (const Entry& e : registry()) names += (names.empty() ? "" : ", ") + std::string(e.name);
  throw InvalidInput("unknown synthesizer '" + name + "' (available: " + names + ")");
}

std::vector<SynthesizerInfo> list_synthesizers() {
  std::vector<SynthesizerInfo> out;
  for (const Entry& e : registry()) out.push_back({e.name, e.description});
  return out;
}

void append_rows(Table* dst, const Table& src) {
  if (dst->columns.empty()) {
    *dst = src;
    return;
  }
  MEDGEN_ASSERT(dst->num_cols() == src.num_cols());
  for (size_t c = 0; c < src.num_cols(); ++c) {
    Column& d = dst->columns[c];
    const Column& s = src.columns[c];
    if (d.storage == Storage::kNumber) {
      d.values.insert(d.values.end(), s.values.begin(), s.values.end());
      d.valid.insert(d.valid.end(), s.valid.begin(), s.valid.end());
    } else if (d.dictionary == s.dictionary) {
      d.codes.insert(d.codes.end(), s.codes.begin(), s.codes.end());
    } else {
      for (int32_t code : s.codes) {
        if (code < 0) {
          d.codes.push_back(-1);
          continue;
        }
        const std::string& label = s.dictionary[static_cast<size_t>(code)];
        auto it = std::find(d.dictionary.begin(), d.dictionary.end(), label);
        if (it == d.dictionary.end()) {
          d.dictionary.push_back(label);
          it = d.dictionary.end() - 1;
        }
        d.codes.push_back(static_cast<int32_t>(it - d.dictionary.begin()));
      }
    }
  }
}

std::vector<std::string> balance_levels(const Synthesizer& synth, const std::string& column,
                                        const std::vector<Condition>& conditions, const Context& ctx) {
  const Schema& schema = synth.schema();
  const int ci = schema.find(column);
  if (ci < 0) throw InvalidInput("--balance: unknown column '" + column + "'");
  const ColumnSchema& cs = schema.columns[static_cast<size_t>(ci)];
  if (cs.type != ColumnType::kCategorical && cs.type != ColumnType::kBoolean)
    throw InvalidInput("--balance: column '" + column + "' is " + to_string(cs.type) + ", not categorical or boolean");
  for (const Condition& c : conditions)
    if (c.column == column) throw InvalidInput("--balance " + column + " conflicts with --condition on the same column");
  std::vector<std::string> levels;
  for (const std::string& v : cs.values) {
    std::vector<Condition> probe = conditions;
    probe.push_back({column, v});
    try {
      synth.sample(1, probe, ctx);
      levels.push_back(v);
    } catch (const InvalidInput&) {
      // never seen in training (or impossible with the other conditions): not balanced over
    }
  }
  if (levels.empty()) throw InvalidInput("--balance: no value of column '" + column + "' can be sampled");
  return levels;
}

Table sample_balanced(const Synthesizer& synth, size_t n, const std::string& column,
                      const std::vector<Condition>& conditions, const Context& ctx) {
  if (n == 0) throw InvalidInput("-n must be at least 1");
  const Schema& schema = synth.schema();
  const std::vector<std::string> levels = balance_levels(synth, column, conditions, ctx);
  Table out;
  for (size_t k = 0; k < levels.size(); ++k) {
    const size_t part = n / levels.size() + (k < n % levels.size() ? 1 : 0);
    if (part == 0) continue;
    std::vector<Condition> conds = conditions;
    conds.push_back({column, levels[k]});
    Context sub = ctx;
    sub.seed = ctx.seed * 1000003ULL + k + 1;
    append_rows(&out, synth.sample(part, conds, sub));
  }
  for (size_t c = 0; c < out.num_cols(); ++c) {
    const int si = schema.find(out.columns[c].name);
    if (si >= 0 && schema.columns[static_cast<size_t>(si)].type == ColumnType::kIdentifier)
      out.columns[c] = synthetic_identifiers(schema.columns[static_cast<size_t>(si)], out.num_rows());
  }
  return out;
}

// ---------------------------------------------------------------------------- model files

void save_model(const Synthesizer& synth, const Provenance& p, const std::string& path) {
  ModelFile m;
  json state;
  synth.save_state(&state, &m.payload);
  m.header = json{{"medgen_version", MEDGEN_VERSION},
                  {"synthesizer", synth.name()},
                  {"params", synth.params()},
                  {"schema", json::parse(synth.schema().to_json().dump())},
                  {"state", std::move(state)},
                  {"summary", synth.summary()},
                  {"provenance",
                   {{"input", p.input_name},
                    {"input_sha256", p.input_sha256},
                    {"rows", p.rows},
                    {"columns", p.columns},
                    {"train_seconds", p.train_seconds},
                    {"seed", p.seed},
                    {"threads", p.threads}}}};
  m.save(path);
}

namespace {

// The header's own fields (the synthesizer checks its state): types and ranges, so that every
// reader (`info`, evaluate's disclosure section) can trust them.
void check_header(const json& h) {
  namespace st = state;
  st::string(st::member(h, "synthesizer", "header"), "synthesizer");
  st::string(st::member(h, "medgen_version", "header"), "medgen_version");
  st::object(st::member(h, "params", "header"), "params");
  st::object(st::member(h, "schema", "header"), "schema");
  st::object(st::member(h, "state", "header"), "state");
  if (h.contains("summary")) st::object(h["summary"], "summary");
  const json& p = st::object(st::member(h, "provenance", "header"), "provenance");
  st::string(st::member(p, "input", "provenance"), "provenance.input");
  st::string(st::member(p, "input_sha256", "provenance"), "provenance.input_sha256");
  st::integer(st::member(p, "rows", "provenance"), 0, INT64_MAX, "provenance.rows");
  st::integer(st::member(p, "columns", "provenance"), 0, INT64_MAX, "provenance.columns");
  if (!(st::finite(st::member(p, "train_seconds", "provenance"), "provenance.train_seconds") >= 0))
    st::fail("provenance.train_seconds: negative");
  const json& seed = st::member(p, "seed", "provenance");
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0))
    st::fail("provenance.seed: expected a non-negative integer");
  st::integer(st::member(p, "threads", "provenance"), 0, 1 << 20, "provenance.threads");
}

}  // namespace

LoadedModel load_model_bytes(const std::string& bytes, const std::string& source) {
  LoadedModel out;
  ModelFile m = ModelFile::deserialize(bytes, source);
  try {
    check_header(m.header);
    const std::string name = m.header.at("synthesizer").get<std::string>();
    out.synthesizer = create_synthesizer(name, m.header.at("params"));
    Schema schema = Schema::from_json(m.header.at("schema"), "schema");
    out.synthesizer->restore(std::move(schema), m.header.at("state"), m.payload);
    // What `info` shows comes from the restored model, not from the file's own copy.
    m.header["summary"] = out.synthesizer->summary();
  } catch (const json::exception& e) {
    throw ModelFormat(source + ": corrupted model header: " + e.what());
  } catch (const InvalidInput& e) {
    throw ModelFormat(source + ": " + e.what());
  } catch (const ModelFormat& e) {
    const std::string what = e.what();
    throw ModelFormat(what.rfind(source, 0) == 0 ? what : source + ": " + what);
  }
  out.header = std::move(m.header);
  return out;
}

LoadedModel load_model(const std::string& path) { return load_model_bytes(read_file(path), path); }

}  // namespace medgen::tabular
