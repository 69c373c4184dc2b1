// medgen command-line program: parses flags, calls the library, prints.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/core/progress.h"
#include "medgen/core/version.h"
#include "medgen/tabular/neural.h"
#include "medgen/tabular/pipeline.h"
#include "commands.h"

using json = nlohmann::json;
using namespace medgen;
using namespace medgen::tabular;

namespace {

struct Common {
  uint64_t seed = 42;
  int threads = 1;
  bool quiet = false;
  bool json_out = false;
  std::vector<std::string> missing;
  char delimiter = ',';
};

void add_common(CLI::App* app, Common* c, bool random = true) {
  if (random) {
    app->add_option("--seed", c->seed, "random seed: same seed and input give byte-identical output")
        ->capture_default_str();
    app->add_option("--threads", c->threads, "worker threads (1-256)")->capture_default_str();
  }
  app->add_flag("-q,--quiet", c->quiet, "no progress or notes on stderr");
  app->add_flag("--json", c->json_out, "machine-readable summary on stdout");
}

void add_csv(CLI::App* app, Common* c) {
  app->add_option("--missing", c->missing,
                  "text meaning 'missing' (repeatable; replaces the defaults NA NaN ?; empty always counts)");
  app->add_option("--delimiter", c->delimiter, "field separator")->capture_default_str();
}

CsvOptions csv_options(const Common& c) {
  CsvOptions o;
  o.delimiter = c.delimiter;
  if (!c.missing.empty()) {
    o.missing_tokens = {""};
    for (const auto& m : c.missing) o.missing_tokens.push_back(m);
  }
  return o;
}

Context context(const Common& c) {
  // Progress on stderr only for a person watching a terminal.
  static Progress progress(!c.quiet && Progress::stderr_is_terminal());
  Context ctx;
  ctx.progress = &progress;
  ctx.seed = c.seed;
  ctx.threads = c.threads;
  ctx.validate();
  apply_threads(ctx);
  return ctx;
}

void note(const Common& c, const std::string& s) {
  if (!c.quiet) std::fprintf(stderr, "medgen: %s\n", s.c_str());
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomic(path, text);
  }
}

json model_info(const json& header) {
  json info = header;
  info.erase("state");
  return info;
}

std::string model_info_text(const json& h) {
  std::string s;
  s += "synthesizer   " + h.value("synthesizer", "?") + "\n";
  s += "medgen        " + h.value("medgen_version", "?") + " (model format " + std::to_string(kModelFormatVersion) + ")\n";
  s += "params        " + h.value("params", json::object()).dump() + "\n";
  const json p = h.value("provenance", json::object());
  s += "input         " + p.value("input", "?") + "  sha256 " + p.value("input_sha256", "?") + "\n";
  s += "trained on    " + std::to_string(p.value("rows", 0)) + " rows x " + std::to_string(p.value("columns", 0)) +
       " columns in " + std::to_string(p.value("train_seconds", 0.0)) + " s (seed " +
       std::to_string(p.value("seed", 0ULL)) + ", " + std::to_string(p.value("threads", 1)) + " thread(s))\n";
  const json summary = h.value("summary", json::object());
  if (summary.contains("history") && !summary["history"].empty()) {
    const json& hist = summary["history"];
    s += "training      " + std::to_string(hist.size()) + " epochs\n";
    s += "loss history  epoch";
    const json& first = hist.front();
    for (auto it = first.begin(); it != first.end(); ++it)
      if (it.key() != "epoch") s += "  " + it.key();
    s += "\n";
    // First, last and up to 8 evenly spaced epochs between.
    const size_t n = hist.size(), step = n > 10 ? n / 9 : 1;
    for (size_t i = 0; i < n; i += step) {
      const size_t k = (i + step >= n) ? n - 1 : i;
      char line[64];
      std::snprintf(line, sizeof line, "              %5d", hist[k].value("epoch", 0));
      s += line;
      for (auto it = hist[k].begin(); it != hist[k].end(); ++it) {
        if (it.key() == "epoch") continue;
        std::snprintf(line, sizeof line, "  %.4g", it->get<double>());
        s += line;
      }
      s += "\n";
      if (k == n - 1) break;
    }
  }
  s += "columns:\n";
  const json marg = summary.value("marginals", json::object());
  for (const json& c : h.at("schema").at("columns")) {
    const std::string name = c.value("name", "?");
    std::string extra = marg.contains(name) ? marg[name].get<std::string>() : "";
    if (c.contains("values")) extra += (extra.empty() ? "" : ", ") + std::to_string(c["values"].size()) + " values";
    char line[256];
    std::snprintf(line, sizeof line, "  %-20s %-12s %s\n", name.c_str(), c.value("type", "?").c_str(), extra.c_str());
    s += line;
  }
  for (const json& w : h.at("state").value("warnings", json::array())) s += "note: " + w.get<std::string>() + "\n";
  return s;
}

int run(int argc, char** argv) {
  CLI::App app{"medgen " MEDGEN_VERSION ": generative models for healthcare data"};
  app.set_version_flag("--version", MEDGEN_VERSION);
  app.require_subcommand(1);

  // schema
  Common sc;
  std::string schema_in, schema_out;
  auto* schema_cmd = app.add_subcommand("schema", "infer a schema (JSON) from a CSV file");
  schema_cmd->add_option("input", schema_in, "CSV file")->required();
  schema_cmd->add_option("-o,--output", schema_out, "write the schema here instead of stdout");
  add_common(schema_cmd, &sc, false);
  add_csv(schema_cmd, &sc);

  // fit
  Common fc;
  FitRequest fr;
  std::string params_text;
  auto* fit_cmd = app.add_subcommand("fit", "learn a synthesizer from a CSV file and save the model");
  fit_cmd->add_option("input", fr.input, "CSV file")->required();
  fit_cmd->add_option("-o,--output", fr.output, "model file to write")->required();
  fit_cmd->add_option("-s,--synthesizer", fr.synthesizer, "copula | independent | ctgan | tvae")->capture_default_str();
  fit_cmd->add_option("--schema", fr.schema_path, "schema JSON (default: inferred)");
  fit_cmd->add_option("--params", params_text, "synthesizer options as a JSON object, e.g. '{\"marginals\":\"empirical\"}'");
  fit_cmd->add_flag("--reproducible", fr.reproducible, "leave training time out of the model file (byte-identical files)");
  // Training options of the neural synthesizers, merged into --params.
  int epochs = 0, batch_size = 0, checkpoint_every = -1;
  double lr = 0;
  std::string device, loss;
  fit_cmd->add_option("--epochs", epochs, "neural: passes over the data (default 300)");
  fit_cmd->add_option("--batch-size", batch_size, "neural: rows per step (default 500)");
  fit_cmd->add_option("--lr", lr, "neural: learning rate");
  fit_cmd->add_option("--device", device, "neural: cpu | cuda");
  fit_cmd->add_option("--loss", loss, "ctgan: wgan-gp (default) | minimax");
  fit_cmd->add_option("--checkpoint-every", checkpoint_every, "neural: write a checkpoint every N epochs");
  fit_cmd->add_option("--checkpoint", fr.checkpoint, "neural: checkpoint file (default: OUTPUT.ckpt)");
  fit_cmd->add_flag("--resume", fr.resume, "neural: continue training from the checkpoint");
  add_common(fit_cmd, &fc);
  add_csv(fit_cmd, &fc);

  // sample
  Common smc;
  SampleRequest sr;
  std::string sample_out;
  std::vector<std::string> conditions;
  long long rows = 1000;
  auto* sample_cmd = app.add_subcommand("sample", "generate synthetic rows from a model");
  sample_cmd->add_option("model", sr.model, "model file")->required();
  sample_cmd->add_option("-n,--rows", rows, "number of rows")->capture_default_str();
  sample_cmd->add_option("-o,--output", sample_out, "CSV to write (default: stdout)");
  sample_cmd->add_option("-c,--condition", conditions, "COLUMN=VALUE on a categorical/boolean column (repeatable)");
  sample_cmd->add_option("--balance", sr.balance, "spread rows evenly over this column's values");
  add_common(sample_cmd, &smc);

  // info
  Common ic;
  std::string info_model;
  auto* info_cmd = app.add_subcommand("info", "describe a model file");
  info_cmd->add_option("model", info_model, "model file")->required();
  add_common(info_cmd, &ic, false);

  // demo
  Common dc;
  DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "fit every synthesizer on the embedded PBC data and compare");
  demo_cmd->add_option("--data", demo.data, "CSV to use instead of the embedded data/pbc.csv");
  demo_cmd->add_option("--out", demo.out_dir, "output folder")->capture_default_str();
  demo_cmd->add_option("--rows", demo.rows, "synthetic rows per synthesizer")->capture_default_str();
  add_common(demo_cmd, &dc);

  // Subcommands of the other modules (tools/medgen/cmd_*.cpp).
  std::vector<cli::Command> extra;
  for (cli::CommandAdder add : cli::command_adders()) extra.push_back(add(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "medgen: %s (see --help)\n", e.what());
    return 2;
  }

  if (schema_cmd->parsed()) {
    const CsvOptions csv = csv_options(sc);
    RawTable raw = read_csv(schema_in, csv);
    if (raw.num_rows() == 0) throw InvalidInput(located(schema_in, 1, 0, "the file has a header but no data rows"));
    std::vector<std::string> warnings;
    Schema s = infer_schema(raw, csv, {}, &warnings);
    if (sc.json_out) {
      // Schema and warnings together, for programs.
      nlohmann::ordered_json j{{"schema", s.to_json()}, {"warnings", warnings}};
      write_output(schema_out, j.dump(2) + "\n");
      return 0;
    }
    for (const auto& w : warnings) note(sc, w);
    write_output(schema_out, s.to_json().dump(2) + "\n");
    return 0;
  }
  if (fit_cmd->parsed()) {
    const Context ctx = context(fc);
    fr.csv = csv_options(fc);
    if (!params_text.empty()) {
      try {
        fr.params = json::parse(params_text);
      } catch (const json::exception& e) {
        throw InvalidInput(std::string("--params: not valid JSON (") + e.what() + ")");
      }
    }
    auto set = [&](const char* flag, const char* key, const json& v) {
      if (!fit_cmd->count(flag)) return;
      if (!fr.params.is_object()) throw InvalidInput("--params must be a JSON object");
      if (fr.params.contains(key)) throw InvalidInput(std::string(flag) + " and --params both set '" + key + "'");
      fr.params[key] = v;
    };
    set("--epochs", "epochs", epochs);
    set("--batch-size", "batch_size", batch_size);
    set("--lr", "lr", lr);
    set("--device", "device", device);
    set("--loss", "loss", loss);
    set("--checkpoint-every", "checkpoint_every", checkpoint_every);
    const FitResult r = fit_model(fr, ctx);
    for (const auto& w : r.warnings) note(fc, w);
    if (fc.json_out) {
      std::printf("%s\n", json{{"model", fr.output}, {"synthesizer", fr.synthesizer}, {"rows", r.rows},
                               {"columns", r.columns}, {"seconds", r.seconds}, {"warnings", r.warnings},
                               {"summary", r.summary}}
                              .dump()
                              .c_str());
    } else if (!fc.quiet) {
      std::fprintf(stderr, "medgen: fitted %s on %zu rows x %zu columns in %.3f s -> %s\n", fr.synthesizer.c_str(),
                   r.rows, r.columns, r.seconds, fr.output.c_str());
    }
    return 0;
  }
  if (sample_cmd->parsed()) {
    if (rows <= 0) throw InvalidInput("-n must be at least 1, got " + std::to_string(rows));
    sr.rows = static_cast<size_t>(rows);
    for (const auto& c : conditions) sr.conditions.push_back(parse_condition(c));
    const Context ctx = context(smc);
    const size_t written = sample_to_csv(sr, ctx, sample_out);
    if (smc.json_out && !sample_out.empty())
      std::printf("%s\n", json{{"output", sample_out}, {"rows", written}}.dump().c_str());
    return 0;
  }
  if (info_cmd->parsed()) {
    LoadedModel m = load_model(info_model);
    if (ic.json_out)
      std::printf("%s\n", model_info(m.header).dump(2).c_str());
    else
      std::printf("%s", model_info_text(m.header).c_str());
    return 0;
  }
  for (const cli::Command& c : extra)
    if (c.app->parsed()) return c.run();
  if (demo_cmd->parsed()) {
    const Context ctx = context(dc);
    std::printf("%s", run_demo(demo, ctx).c_str());
    return 0;
  }
  return 1;
}

}  // namespace

std::vector<medgen::cli::CommandAdder>& medgen::cli::command_adders() {
  static std::vector<CommandAdder> adders;
  return adders;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const InvalidInput& e) {
    std::fprintf(stderr, "medgen: error: %s\n", e.what());
  } catch (const IoError& e) {
    std::fprintf(stderr, "medgen: error: %s\n", e.what());
  } catch (const ModelFormat& e) {
    std::fprintf(stderr, "medgen: error: %s\n", e.what());
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "medgen: %s\n", e.what());
    return 130;
  } catch (const Error& e) {
    std::fprintf(stderr, "medgen: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "medgen: internal error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "medgen: internal error: %s\n", e.what());
    return 1;
  }
  return 2;
}
