// medgen schema | fit | sample | info | demo: the tabular commands. Thin: parses flags (common
// options from options.h), calls medgen/tabular, prints.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "medgen/core/csv.h"
#include "medgen/core/distributed.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/tabular/model_info.h"
#include "medgen/tabular/param_table.h"
#include "medgen/tabular/pipeline.h"
#include "medgen/tabular/synthesizer.h"
#include "options.h"

using json = nlohmann::json;
using namespace medgen;
using namespace medgen::tabular;

namespace medgen::cli {

namespace {

// Default of `sample --max-rows`: a guard against a typo streaming until the disk is full.
constexpr uint64_t kDefaultMaxRows = 100000000;

struct CsvArgs {
  std::vector<std::string> missing;
  char delimiter = ',';
};

void add_csv(CLI::App* app, CsvArgs* c) {
  app->add_option("--missing", c->missing,
                  "text meaning 'missing' (repeatable; replaces the defaults NA NaN ?; empty always counts)");
  app->add_option_function<std::string>(
         "--delimiter",
         [c](const std::string& s) {
           if (s.size() != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r')
             throw InvalidInput("--delimiter must be one character other than a quote or a line break, got '" + s +
                                "'");
           c->delimiter = s[0];
         },
         "field separator (one character)")
      ->default_str(",");
}

CsvOptions csv_options(const CsvArgs& c) {
  CsvOptions o;
  o.delimiter = c.delimiter;
  if (!c.missing.empty()) {
    o.missing_tokens = {""};
    for (const auto& m : c.missing) o.missing_tokens.push_back(m);
  }
  return o;
}

struct SchemaArgs {
  CommonOptions common;
  CsvArgs csv;
  std::string input, output;
  CLI::App* app = nullptr;
};

// The records module's handler for a dataset (a folder, or a records model file).
int hand_over(const std::function<int(CLI::App&, const CommonOptions&)>& hook, CLI::App* app, const CommonOptions& c) {
  if (!hook) throw InvalidInput(app->get_name() + ": datasets of several tables need the records module (left out of this build)");
  return hook(*app, c);
}

bool records_model(const std::string& path) {
  return dataset_hooks().is_records_model && dataset_hooks().is_records_model(path);
}

int run_schema(const SchemaArgs& a) {
  if (is_folder(a.input)) return hand_over(dataset_hooks().schema, a.app, a.common);
  const CsvOptions csv = csv_options(a.csv);
  RawTable raw = read_csv(a.input, csv);
  if (raw.num_rows() == 0) throw InvalidInput(located(a.input, 1, 0, "the file has a header but no data rows"));
  std::vector<std::string> warnings;
  const Schema s = infer_schema(raw, csv, {}, &warnings);
  if (a.common.json) {
    // Schema and warnings together on stdout; with -o the file holds the schema alone.
    nlohmann::ordered_json j{{"schema", s.to_json()}, {"warnings", warnings}};
    if (!a.output.empty() && a.output != "-") {
      write_output(a.output, s.to_json().dump(2) + "\n");
      j["output"] = a.output;
    }
    write_output("", j.dump(2) + "\n");
    return 0;
  }
  for (const auto& w : warnings) note(a.common, w);
  write_output(a.output, s.to_json().dump(2) + "\n");
  return 0;
}

struct FitArgs {
  CommonOptions common;
  CsvArgs csv;
  FitRequest request;
  std::string params_text, loss, privacy;
  int epochs = 0, batch_size = 0, checkpoint_every = 0;
  double lr = 0, epsilon = 0, delta = 0;
  int world_size = 1, rank = 0;
  std::string rendezvous;
  int chunk_mb = 8;
  CLI::App* app = nullptr;
};

int run_fit(FitArgs& a) {
  FitRequest& fr = a.request;
  if (is_folder(fr.input) && (fr.stream || a.app->count("--chunk-mb")))
    throw InvalidInput("--stream reads one CSV file; a dataset folder is read whole");
  if (is_folder(fr.input)) return hand_over(dataset_hooks().fit, a.app, a.common);
  CommonOptions common = a.common;
  common.device = "cpu";  // the device is a synthesizer option (merged into the params below)
  const Context ctx = make_context(common);
  // Data-parallel training: the flags, else torchrun's environment variables.
  DistributedConfig dist = distributed_from_environment();
  if (a.app->count("--world-size") || a.app->count("--rank") || a.app->count("--rendezvous")) {
    dist = DistributedConfig{};
    dist.world_size = a.world_size;
    dist.rank = a.rank;
    dist.rendezvous = a.rendezvous;
  }
  set_distributed(dist);
  fr.csv = csv_options(a.csv);
  if (a.app->count("--chunk-mb") && !fr.stream) throw InvalidInput("--chunk-mb needs --stream");
  fr.stream_block_bytes = static_cast<size_t>(a.chunk_mb) << 20;
  if (!a.params_text.empty()) {
    try {
      fr.params = json::parse(a.params_text);
    } catch (const json::exception& e) {
      throw InvalidInput(std::string("--params: not valid JSON (") + e.what() + ")");
    }
  }
  // Flags that are synthesizer options, merged into --params (an error when both set one).
  auto set = [&](const char* flag, const char* key, const json& v) {
    if (!a.app->count(flag)) return;
    if (!fr.params.is_object()) throw InvalidInput("--params must be a JSON object");
    if (fr.params.contains(key)) throw InvalidInput(std::string(flag) + " and --params both set '" + key + "'");
    fr.params[key] = v;
  };
  set("--epochs", "epochs", a.epochs);
  set("--batch-size", "batch_size", a.batch_size);
  set("--lr", "lr", a.lr);
  set("--device", "device", a.common.device);
  set("--loss", "loss", a.loss);
  set("--checkpoint-every", "checkpoint_every", a.checkpoint_every);
  set("--privacy", "privacy", a.privacy);
  set("--epsilon", "epsilon", a.epsilon);
  set("--delta", "delta", a.delta);
  const FitResult r = fit_model(fr, ctx);
  if (dist.rank != 0) return 0;  // rank 0 writes the model and reports
  for (const auto& w : r.warnings) note(a.common, w);
  if (a.common.json) {
    json j{{"model", fr.output}, {"synthesizer", fr.synthesizer}, {"rows", r.rows},   {"columns", r.columns},
           {"seconds", r.seconds}, {"warnings", r.warnings},       {"summary", r.summary}};
    if (!r.stream.is_null()) j["stream"] = r.stream;
    std::printf("%s\n", j.dump().c_str());
  } else if (!a.common.quiet) {
    std::fprintf(stderr, "medgen: fitted %s on %zu rows x %zu columns in %.3f s -> %s\n", fr.synthesizer.c_str(),
                 r.rows, r.columns, r.seconds, fr.output.c_str());
  }
  return 0;
}

struct SampleArgs {
  CommonOptions common;
  SampleRequest request;
  std::string output;
  std::vector<std::string> conditions;
  uint64_t rows = 1000, max_rows = kDefaultMaxRows;
  int world_size = 1, rank = 0;
  CLI::App* app = nullptr;
};

int run_sample(SampleArgs& a) {
  if (a.rows > a.max_rows)
    throw InvalidInput("-n " + std::to_string(a.rows) + " is more than --max-rows " + std::to_string(a.max_rows) +
                       " (raise --max-rows to sample that many)");
  if (records_model(a.request.model)) {
    if (a.app->count("--world-size") || a.app->count("--rank"))
      throw InvalidInput("--world-size/--rank: sharded sampling is for table models; a records model samples in one process");
    return hand_over(dataset_hooks().sample, a.app, a.common);
  }
  if (a.common.json && (a.output.empty() || a.output == "-"))
    throw InvalidInput("--json needs -o FILE: without it the rows go to stdout");
  SampleRequest& sr = a.request;
  sr.rows = static_cast<size_t>(a.rows);
  // One value per column: the same column twice with two values can match no row.
  std::map<std::string, std::string> seen;
  for (const auto& text : a.conditions) {
    const Condition c = parse_condition(text);
    const auto [it, fresh] = seen.emplace(c.column, c.value);
    if (!fresh) {
      if (it->second != c.value)
        throw InvalidInput("-c: column '" + c.column + "' is given two values ('" + it->second + "' and '" + c.value +
                           "'); no row can match both");
      continue;  // the same condition twice
    }
    sr.conditions.push_back(c);
  }
  // Sharded sampling: the flags, else torchrun's environment variables (WORLD_SIZE, RANK;
  // no rendezvous: the shards need not talk to each other).
  DistributedConfig dist;
  if (a.app->count("--world-size") || a.app->count("--rank")) {
    dist.world_size = a.world_size;
    dist.rank = a.rank;
  } else {
    const auto env_int = [](const char* name, int fallback) {
      const char* v = std::getenv(name);
      if (!v || !*v) return fallback;
      char* end = nullptr;
      const long x = std::strtol(v, &end, 10);
      if (*end || x < -1 || x > 1 << 20) throw InvalidInput(std::string(name) + " '" + v + "' is not an integer");
      return static_cast<int>(x);
    };
    dist.world_size = env_int("WORLD_SIZE", 1);
    dist.rank = env_int("RANK", 0);
  }
  if (dist.world_size < 1 || dist.world_size > 1024 || dist.rank < 0 || dist.rank >= dist.world_size)
    throw InvalidInput("--rank " + std::to_string(dist.rank) + " --world-size " + std::to_string(dist.world_size) +
                       ": the rank must be in 0 .. world size - 1 and the world size in 1 .. 1024");
  if (dist.world_size > 1 && (a.output.empty() || a.output == "-"))
    throw InvalidInput("--world-size " + std::to_string(dist.world_size) + " needs -o FILE: each process writes its own shard");
  sr.shards = static_cast<size_t>(dist.world_size);
  sr.shard = static_cast<size_t>(dist.rank);
  const Context ctx = make_context(a.common);
  const size_t written = sample_to_csv(sr, ctx, a.output);
  if (a.common.json) std::printf("%s\n", json{{"output", a.output}, {"rows", written}}.dump().c_str());
  return 0;
}

struct InfoArgs {
  CommonOptions common;
  std::string model;
  CLI::App* app = nullptr;
};

int run_info(const InfoArgs& a) {
  if (records_model(a.model)) return hand_over(dataset_hooks().info, a.app, a.common);
  const LoadedModel m = load_model(a.model);
  if (a.common.json)
    std::printf("%s\n", model_info_json(m.header).dump(2).c_str());
  else
    std::printf("%s", model_info_text(m.header).c_str());
  return 0;
}

struct DemoArgs {
  CommonOptions common;
  DemoOptions demo;
};

int run_demo_command(const DemoArgs& a) {
  const Context ctx = make_context(a.common);
  const std::string text = run_demo(a.demo, ctx);
  if (!a.common.json) {
    std::printf("%s", text.c_str());
    return 0;
  }
  json models = json::array();
  for (const SynthesizerInfo& s : list_synthesizers())
    models.push_back({{"synthesizer", s.name},
                      {"model", a.demo.out_dir + "/" + s.name + ".medgen"},
                      {"csv", a.demo.out_dir + "/" + s.name + ".csv"}});
  std::printf("%s\n", json{{"data", a.demo.data.empty() ? default_data_path() : a.demo.data},
                           {"out", a.demo.out_dir},
                           {"rows", a.demo.rows},
                           {"models", models},
                           {"report", text}}
                          .dump(2)
                          .c_str());
  return 0;
}

struct ParamsArgs {
  CommonOptions common;
  bool markdown = false;
};

int run_params(const ParamsArgs& a) {
  if (a.markdown) {
    std::printf("%s", param_tables_markdown().c_str());
  } else if (a.common.json) {
    json j = json::object();
    for (const SynthesizerInfo& s : list_synthesizers()) {
      json rows = json::array();
      for (const ParamSpec& p : param_table(s.name)) {
        json row{{"name", p.name}, {"default", p.default_value}, {"allowed", param_range_text(p)}, {"help", p.help}};
        rows.push_back(row);
      }
      j[s.name] = rows;
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s", param_tables_text().c_str());
  }
  return 0;
}

}  // namespace

std::vector<Command> add_tabular_commands(CLI::App& app) {
  std::vector<Command> commands;

  static SchemaArgs sc;
  auto* schema = sc.app = app.add_subcommand("schema", "infer a schema (JSON) from a CSV file or a dataset folder");
  schema->add_option("input", sc.input, "CSV file, or a folder of CSV files (a dataset of several tables)")->required();
  schema->add_option("-o,--output", sc.output, "write the schema here instead of stdout");
  add_common(schema, &sc.common, kNone, "print {\"schema\": ..., \"warnings\": [...]} on stdout");
  add_csv(schema, &sc.csv);
  commands.push_back({schema, [] { return run_schema(sc); }});

  static FitArgs fa;
  auto* fit = fa.app = app.add_subcommand("fit", "learn a synthesizer from a CSV file or a dataset folder and save the model");
  FitRequest& fr = fa.request;
  fit->add_option("input", fr.input, "CSV file, or a dataset folder (docs/records.md)")->required();
  fit->add_option("-o,--output", fr.output, "model file to write")->required();
  std::string synth_names;  // from the registry, so a new synthesizer is listed without editing this
  for (const auto& info : tabular::list_synthesizers()) synth_names += (synth_names.empty() ? "" : " | ") + info.name;
  fit->add_option("-s,--synthesizer", fr.synthesizer, synth_names + " (a dataset folder: cart unless given)")->capture_default_str();
  fit->add_option("--schema", fr.schema_path, "schema JSON (default: inferred); for a folder, a dataset schema");
  static std::string sequence_model = "gru", sequence_params;
  fit->add_option("--sequence-model", sequence_model, "datasets: gru | independent, for the tables of events")
      ->capture_default_str();
  fit->add_option("--sequence-params", sequence_params, "datasets: the sequence model's options as a JSON object");
  static std::string parent_filter = "none";
  fit->add_option("--parent-filter", parent_filter,
                  "datasets: none | detector (generated patients pass a filter learned to tell them from real ones)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "detector"}));
  fit->add_option("--params", fa.params_text, "synthesizer options as a JSON object, e.g. '{\"marginals\":\"empirical\"}'");
  fit->add_flag("--reproducible", fr.reproducible, "leave training time out of the model file (byte-identical files)");
  fit->add_flag("--stream", fr.stream,
                "copula, independent: read the CSV in chunks, twice, never whole (tables larger than memory)");
  add_integer<int>(fit, "--chunk-mb", &fa.chunk_mb, "with --stream: MiB read at a time [8]", 1, 1024);
  fit->add_option("--privacy", fa.privacy,
                  "what the model file keeps of the real values: exact (default) or coarse (coarsened quantiles, "
                  "rounded bounds)")
      ->check(CLI::IsMember({"exact", "coarse"}));
  // Training options of the neural synthesizers, merged into --params; the synthesizer checks
  // them against its parameter table (param_table.h), listed in the help's footer.
  add_integer<int>(fit, "--epochs", &fa.epochs, "neural: passes over the data (option epochs, below)");
  add_integer<int>(fit, "--batch-size", &fa.batch_size, "neural: rows per step (option batch_size, below)");
  add_real(fit, "--lr", &fa.lr, "neural: learning rate (option lr, below)", 0, 1e6, true);
  fit->add_option("--world-size", fa.world_size,
                  "tvae: processes training one model data-parallel (c10d, Gloo; default: WORLD_SIZE or 1)");
  fit->add_option("--rank", fa.rank, "tvae: this process, 0 .. world size - 1 (default: RANK or 0); rank 0 writes -o");
  fit->add_option("--rendezvous", fa.rendezvous,
                  "tvae: HOST:PORT where rank 0 listens and the others connect (default: MASTER_ADDR:MASTER_PORT)");
  add_real(fit, "--epsilon", &fa.epsilon,
           "mst, tvae, ctgan: total privacy budget epsilon (option epsilon, below; tvae and ctgan: trained by DP-SGD)");
  add_real(fit, "--delta", &fa.delta, "mst, tvae, ctgan: delta of (epsilon, delta)-DP (option delta, below)");
  fit->add_option("--loss", fa.loss, "ctgan: wgan-gp (default) | minimax (option loss, below)");
  add_integer<int>(fit, "--checkpoint-every", &fa.checkpoint_every, "neural: write a checkpoint every N epochs", 0);
  fit->add_option("--checkpoint", fr.checkpoint, "neural: checkpoint file (default: OUTPUT.ckpt)");
  fit->add_flag("--resume", fr.resume, "neural: continue training from the checkpoint");
  add_common(fit, &fa.common, kDevice, "print a JSON summary of the fit on stdout");
  add_csv(fit, &fa.csv);
  fit->footer("\n" + param_tables_text());
  commands.push_back({fit, [] { return run_fit(fa); }});

  static ParamsArgs pa;
  auto* params = app.add_subcommand("params", "list every synthesizer's options (fit --params): defaults, ranges");
  params->add_flag("--markdown", pa.markdown, "as Markdown tables (the section of docs/cli.md)");
  add_common(params, &pa.common, kNone, "the tables as JSON");
  commands.push_back({params, [] { return run_params(pa); }});

  static SampleArgs sa;
  auto* sample = sa.app = app.add_subcommand("sample", "generate synthetic rows (or records) from a model");
  sample->add_option("model", sa.request.model, "model file")->required();
  add_integer<uint64_t>(sample, "-n,--rows", &sa.rows, "number of rows (records models: top-level entities)", 1)
      ->default_str("1000");
  add_integer<uint64_t>(sample, "--max-rows", &sa.max_rows, "refuse -n above this (a guard against typos)", 1)
      ->default_str(std::to_string(kDefaultMaxRows));
  sample->add_option("-o,--output", sa.output, "CSV to write (default: stdout); records models: a folder");
  static std::string sample_format = "csv";
  sample->add_option("--format", sample_format, "records models: csv | fhir-bundle | fhir-ndjson")
      ->check(CLI::IsMember({"csv", "fhir-bundle", "fhir-ndjson"}))
      ->capture_default_str();
  static std::string fhir_mapping;
  sample->add_option("--fhir-mapping", fhir_mapping,
                     "records models: FHIR mapping JSON (default: the dataset schema's \"fhir\" object, else generic)");
  sample->add_option("-c,--condition", sa.conditions, "COLUMN=VALUE on a categorical/boolean column (repeatable)");
  sample->add_option("--balance", sa.request.balance, "spread rows evenly over this column's values");
  sample->add_option("--world-size", sa.world_size,
                     "sharded sampling: processes sharing the -n rows (default: WORLD_SIZE or 1); the shards' "
                     "files, concatenated in rank order, equal one process's file");
  sample->add_option("--rank", sa.rank, "sharded sampling: this process's shard, 0 .. world size - 1 (default: RANK or 0)");
  add_common(sample, &sa.common, kNone, "print {\"output\": ..., \"rows\": ...} on stdout (needs -o)");
  commands.push_back({sample, [] { return run_sample(sa); }});

  static InfoArgs ia;
  auto* info = ia.app = app.add_subcommand("info", "describe a model file");
  info->add_option("model", ia.model, "model file")->required();
  add_common(info, &ia.common, kNone, "print the model's header (without the fitted state) as JSON");
  commands.push_back({info, [] { return run_info(ia); }});

  static DemoArgs da;
  auto* demo = app.add_subcommand("demo", "fit every synthesizer on the embedded PBC data and compare");
  demo->add_option("--data", da.demo.data, "CSV to use instead of the embedded data/pbc.csv");
  demo->add_option("-o,--output,--out", da.demo.out_dir, "output folder")->capture_default_str();
  add_integer<size_t>(demo, "--rows", &da.demo.rows, "synthetic rows per synthesizer", 1, kDefaultMaxRows)
      ->default_str(std::to_string(da.demo.rows));
  add_common(demo, &da.common, kNone, "print the files written and the summary as JSON");
  commands.push_back({demo, [] { return run_demo_command(da); }});

  return commands;
}

}  // namespace medgen::cli
