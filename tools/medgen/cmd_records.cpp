// Datasets of several tables on the existing verbs (schema, fit, sample, info, evaluate hand
// over here when given a folder or a records model; see commands.h), and `medgen split`.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/records/dataset.h"
#include "medgen/records/fhir.h"
#include "medgen/records/sequence.h"
#include "medgen/records/synthesizer.h"
#include "medgen/tabular/synthesizer.h"
#include "options.h"
#include "records_output.h"

using medgen::cli::SampleCounts;
using medgen::cli::records_evaluate;
using medgen::cli::write_records;

namespace {

using namespace medgen;
using namespace medgen::records;
using json = nlohmann::json;

// The value of a string option of a parsed subcommand ("" when not given and no default).
std::string option_text(CLI::App& cmd, const std::string& name) {
  CLI::Option* o = cmd.get_option_no_throw(name);
  if (!o) return "";
  if (o->count() == 0) return o->get_default_str();
  return o->as<std::string>();
}

bool given(CLI::App& cmd, const std::string& name) {
  CLI::Option* o = cmd.get_option_no_throw(name);
  return o && o->count() > 0;
}

json parse_json_option(const std::string& flag, const std::string& text) {
  if (text.empty()) return json::object();
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InvalidInput(flag + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw InvalidInput(flag + ": must be a JSON object");
  return j;
}

DatasetSchema schema_for(CLI::App& cmd, const std::string& folder, const cli::CommonOptions& common) {
  const std::string path = option_text(cmd, "--schema");
  if (!path.empty()) return DatasetSchema::read(path);
  std::vector<std::string> notes;
  DatasetSchema s = infer_dataset(folder, {}, &notes);
  for (const std::string& n : notes) cli::note(common, n);
  return s;
}

// SHA-256 over the tables' files in schema order (the dataset's fingerprint in provenance).
std::string dataset_sha256(const std::string& folder, const DatasetSchema& s) {
  std::string all;
  for (const TableSchema& t : s.tables) all += sha256_file_hex((std::filesystem::path(folder) / t.file).string());
  return sha256_hex(all);
}

int records_schema(CLI::App& cmd, const cli::CommonOptions& common) {
  const std::string folder = option_text(cmd, "input");
  std::vector<std::string> notes;
  const DatasetSchema s = infer_dataset(folder, {}, &notes);
  const std::string output = option_text(cmd, "--output");
  if (common.json) {
    nlohmann::ordered_json j{{"schema", s.to_json()}, {"notes", notes}};
    if (!output.empty() && output != "-") {
      cli::write_output(output, s.to_json().dump(2) + "\n");
      j["output"] = output;
    }
    cli::write_output("", j.dump(2) + "\n");
    return 0;
  }
  for (const std::string& n : notes) cli::note(common, n);
  cli::write_output(output, s.to_json().dump(2) + "\n");
  return 0;
}

int records_fit(CLI::App& cmd, const cli::CommonOptions& common) {
  const std::string folder = option_text(cmd, "input");
  const std::string output = option_text(cmd, "--output");
  for (const char* flag : {"--resume", "--checkpoint", "--checkpoint-every", "--privacy", "--loss"})
    if (given(cmd, flag)) throw InvalidInput(std::string(flag) + " is not available for datasets yet");
  RecordOptions o;
  // The patients' synthesizer: cart unless asked (the records comparison in docs/records.md).
  if (given(cmd, "--synthesizer")) o.synthesizer = option_text(cmd, "--synthesizer");
  o.synthesizer_params = parse_json_option("--params", option_text(cmd, "--params"));
  o.sequence_model = option_text(cmd, "--sequence-model");
  o.sequence_params = parse_json_option("--sequence-params", option_text(cmd, "--sequence-params"));
  o.parent_filter = option_text(cmd, "--parent-filter");
  // The training flags go to the sequence model (the part that trains in epochs).
  for (const auto& [flag, key] : {std::pair<const char*, const char*>{"--epochs", "epochs"},
                                  {"--batch-size", "batch_size"}, {"--lr", "lr"}}) {
    if (!given(cmd, flag)) continue;
    if (o.sequence_params.contains(key)) throw InvalidInput(std::string(flag) + " and --sequence-params both set '" + key + "'");
    const std::string v = option_text(cmd, flag);
    o.sequence_params[key] = std::string(key) == "lr" ? json(std::stod(v)) : json(std::stoll(v));
  }
  // Options checked before any work (and before the schema's notes).
  (void)tabular::create_synthesizer(o.synthesizer, o.synthesizer_params);
  (void)create_sequence_model(o.sequence_model, o.sequence_params);
  cli::CommonOptions c = common;
  c.device = "cpu";
  const Context ctx = cli::make_context(c);
  const DatasetSchema s = schema_for(cmd, folder, common);
  const Dataset data = read_dataset(folder, s);
  const auto t0 = std::chrono::steady_clock::now();
  RecordSynthesizer rs;
  rs.fit(data, o, ctx);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RecordProvenance p;
  p.input_name = folder;
  p.input_sha256 = dataset_sha256(folder, s);
  p.entities = data.num_entities();
  p.train_seconds = given(cmd, "--reproducible") ? 0 : seconds;
  p.seed = ctx.seed;
  p.threads = ctx.threads;
  rs.save(output, p);
  for (const std::string& w : rs.warnings()) cli::note(common, w);
  if (common.json) {
    std::printf("%s\n", json{{"model", output}, {"entities", p.entities}, {"tables", s.tables.size()},
                             {"seconds", seconds}, {"warnings", rs.warnings()}, {"summary", rs.summary()}}
                            .dump()
                            .c_str());
  } else if (!common.quiet) {
    std::fprintf(stderr, "medgen: fitted records (%s + %s) on %zu entities, %zu tables in %.3f s -> %s\n",
                 o.synthesizer.c_str(), o.sequence_model.c_str(), p.entities, s.tables.size(), seconds, output.c_str());
  }
  return 0;
}

int records_sample(CLI::App& cmd, const cli::CommonOptions& common) {
  const std::string model = option_text(cmd, "model");
  const std::string output = option_text(cmd, "--output");
  if (output.empty() || output == "-") throw InvalidInput("sample: a records model writes a folder: give -o FOLDER");
  if (given(cmd, "--condition") || given(cmd, "--balance"))
    throw InvalidInput("sample: -c and --balance are not available for records models yet");
  const uint64_t n = cli::parse_unsigned("-n", option_text(cmd, "--rows").empty() ? "1000" : option_text(cmd, "--rows"), 1,
                                         UINT64_MAX);
  const std::string format = option_text(cmd, "--format");
  const Context ctx = cli::make_context(common);
  if (!option_text(cmd, "--fhir-mapping").empty()) (void)FhirMapping::read(option_text(cmd, "--fhir-mapping"));
  const RecordSynthesizer rs = RecordSynthesizer::load(model);
  const auto t0 = std::chrono::steady_clock::now();
  const SampleCounts counts = write_records(rs, static_cast<size_t>(n), ctx, format, output, option_text(cmd, "--fhir-mapping"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (common.json) {
    std::printf("%s\n", json{{"output", output}, {"format", format}, {"entities", n}, {"rows", counts.rows},
                             {"seconds", seconds}}
                            .dump()
                            .c_str());
  } else if (!common.quiet) {
    size_t total = 0;
    for (const auto& [t, r] : counts.rows) total += r;
    std::fprintf(stderr, "medgen: %llu entities, %zu rows in %zu tables (%s) in %.3f s -> %s\n",
                 static_cast<unsigned long long>(n), total, counts.rows.size(), format.c_str(), seconds, output.c_str());
  }
  return 0;
}

int records_info(CLI::App& cmd, const cli::CommonOptions& common) {
  json header;
  const RecordSynthesizer rs = RecordSynthesizer::load(option_text(cmd, "model"), &header);
  json h = header;
  for (json& part : h["parts"]) part.erase("state");
  if (common.json) {
    std::printf("%s\n", h.dump(2).c_str());
    return 0;
  }
  std::string t = "records model (medgen " + header.value("medgen_version", std::string("?")) + ")\n";
  t += "tables:\n";
  for (const TableSchema& ts : rs.schema().tables) {
    t += "  " + ts.name + " (" + ts.file + ", " + std::to_string(ts.schema.columns.size()) + " columns";
    if (!ts.primary_key.empty()) t += ", key " + ts.primary_key;
    for (const ForeignKey& fk : ts.foreign_keys) t += ", " + fk.column + " -> " + fk.parent;
    if (!ts.time_column.empty()) t += ", time " + ts.time_column;
    if (ts.is_long()) t += ", long format by " + ts.series_column;
    t += ")\n";
  }
  t += "models:\n";
  for (auto it = header["summary"].begin(); it != header["summary"].end(); ++it) {
    const json& s = it.value();
    t += "  " + it.key() + ": " + s.value("model", std::string("?"));
    if (s.contains("rows")) t += ", " + std::to_string(s["rows"].get<size_t>()) + " rows";
    if (s.contains("events")) t += ", " + std::to_string(s["events"].get<size_t>()) + " events";
    if (s.contains("filter") && s["filter"].is_object() && s["filter"].value("acceptance", 0.0) > 0) {
      char keep[64];
      std::snprintf(keep, sizeof keep, ", detector filter (keeps %.0f%% of generated rows)",
                    100 * s["filter"].value("acceptance", 0.0));
      t += keep;
    }
    t += "\n";
  }
  const json& p = header["provenance"];
  t += "trained on: " + p.value("input", std::string("?")) + " (" + std::to_string(p.value("entities", size_t{0})) +
       " entities, sha256 " + p.value("input_sha256", std::string("?")).substr(0, 16) + "...)\n";
  t += "note: the model file holds statistics of the real records (ranges, category labels, fitted\n"
       "      parameters): treat it as sensitive as the data (docs/records.md).\n";
  std::printf("%s", t.c_str());
  return 0;
}

bool is_records_model(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return false;
  try {
    return RecordSynthesizer::is_records_header(ModelFile::load(path).header);
  } catch (const Error&) {
    return false;  // not a model file at all: the tabular command reports it
  }
}

struct SplitArgs {
  cli::CommonOptions common;
  std::string input, train, holdout, schema;
  double fraction = 0.2;
};

int run_split(const SplitArgs& a) {
  const DatasetSchema s = a.schema.empty() ? infer_dataset(a.input) : DatasetSchema::read(a.schema);
  const Dataset d = read_dataset(a.input, s);
  auto [train, hold] = split_dataset(d, a.fraction, a.common.seed);
  // Both folders all or nothing: the holdout is written only after the training part.
  write_dataset(train, a.train);
  write_dataset(hold, a.holdout);
  if (a.common.json)
    std::printf("%s\n", json{{"train", a.train}, {"holdout", a.holdout}, {"train_entities", train.num_entities()},
                             {"holdout_entities", hold.num_entities()}}
                            .dump()
                            .c_str());
  else
    cli::note(a.common, "split " + std::to_string(d.num_entities()) + " entities: " +
                            std::to_string(train.num_entities()) + " -> " + a.train + ", " +
                            std::to_string(hold.num_entities()) + " -> " + a.holdout);
  return 0;
}

struct FhirImportArgs {
  cli::CommonOptions common;
  std::vector<std::string> inputs;
  std::string output;
};

int run_fhir_import(const FhirImportArgs& a) {
  std::vector<std::string> notes;
  const Dataset d = read_fhir(a.inputs, &notes);
  for (const std::string& n : notes) cli::note(a.common, n);
  // The tables, then their dataset schema beside them (what fit --schema reads back).
  write_dataset(d, a.output);
  cli::write_output((std::filesystem::path(a.output) / "dataset.json").string(), d.schema.to_json().dump(2) + "\n");
  json counts = json::object();
  for (size_t t = 0; t < d.tables.size(); ++t) counts[d.schema.tables[t].name] = d.tables[t].num_rows();
  if (a.common.json)
    std::printf("%s\n", json{{"output", a.output}, {"rows", counts}, {"notes", notes}}.dump().c_str());
  else
    cli::note(a.common, "read " + std::to_string(d.num_entities()) + " patients -> " + a.output);
  return 0;
}

medgen::cli::Command add_split_command(CLI::App& app) {
  auto& hooks = cli::dataset_hooks();
  hooks.schema = records_schema;
  hooks.fit = records_fit;
  hooks.sample = records_sample;
  hooks.info = records_info;
  hooks.is_records_model = is_records_model;
  hooks.evaluate = records_evaluate;

  static SplitArgs a;
  auto* cmd = app.add_subcommand("split", "split a dataset folder by top-level entity into training and holdout folders");
  cmd->add_option("input", a.input, "dataset folder")->required();
  cmd->add_option("--train", a.train, "folder for the training part")->required();
  cmd->add_option("--holdout", a.holdout, "folder for the holdout part")->required();
  cmd->add_option("--schema", a.schema, "dataset schema JSON (default: inferred)");
  cli::add_real(cmd, "--fraction", &a.fraction, "share of entities held out", 0, 1, true)->default_str("0.2");
  cli::add_common(cmd, &a.common, cli::kNone, "print the counts as JSON");
  return {cmd, [] { return run_split(a); }};
}

medgen::cli::Command add_fhir_command(CLI::App& app) {
  static FhirImportArgs a;
  auto* fhir = app.add_subcommand("fhir", "FHIR R4 in: Bundles or bulk NDJSON to the clinical tables (records.md)");
  fhir->require_subcommand(1);
  auto* imp = fhir->add_subcommand("import", "read FHIR R4 (Bundle JSON, NDJSON) into the clinical tables as CSV");
  imp->add_option("inputs", a.inputs, "Bundle .json or .ndjson files, or folders of them")->required();
  imp->add_option("-o,--output", a.output, "folder for the tables and their dataset.json")->required();
  cli::add_common(imp, &a.common, cli::kNone, "print the row counts as JSON");
  return {imp, [] { return run_fhir_import(a); }};
}

}  // namespace

MEDGEN_CLI_COMMAND(add_split_command);
MEDGEN_CLI_COMMAND(add_fhir_command);
