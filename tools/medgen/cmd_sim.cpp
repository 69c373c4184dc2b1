// medgen sim: virtual patients (list, case, run). Thin: parses flags, calls medgen/sim, prints.
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "medgen/core/context.h"
#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"
#include "medgen/sim/parse_eval.h"
#include "medgen/sim/scoring.h"
#include "medgen/sim/script.h"
#include "medgen/sim/session.h"
#include "medgen/tabular/pipeline.h"
#include "options.h"

using json = nlohmann::json;
using namespace medgen;
using namespace medgen::sim;

namespace {

struct SimOptions {
  std::string data_dir, conditions;
  // case
  std::string condition, severity, out, population;
  bool text = false;
  // run
  std::string case_path, script, report, html, xapi, json_out, trainee = "trainee";
  // parse-eval
  std::string phrases;
  ParseEvalParams parse_eval;
  double speed = 1, duration_min = 240;
  cli::CommonOptions common;  // --seed (case, run --condition), -q, --json, --threads (unused)
};

std::atomic<bool> g_stop{false};
void on_sigint(int) { g_stop = true; }

Catalog load_catalog(const SimOptions& o) {
  return Catalog::load(o.data_dir.empty() ? Catalog::default_dir() : o.data_dir, o.conditions);
}

using cli::write_output;

void print_events(const std::vector<Event>& ev) {
  for (const auto& e : ev) {
    if (e.kind == "action")
      std::printf("%s  > %s\n", Session::clock(e.t_s).c_str(), e.text.c_str());
    else if (e.kind == "info")
      std::printf("%s\n", e.text.c_str());
    else if (e.kind == "error")
      std::printf("  ?? %s\n", e.text.c_str());
    else if (e.kind == "answer")
      std::printf("  %s\n", e.text.c_str());
    else
      std::printf("%s  %s%s\n", Session::clock(e.t_s).c_str(), e.kind == "result" ? "RESULT " : "", e.text.c_str());
  }
  std::fflush(stdout);
}

std::string now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One row from a trained tabular model (any synthesizer), as text by lower-cased column name.
PopulationRow draw_population(const std::string& model, uint64_t seed) {
  tabular::SampleRequest r;
  r.model = model;
  r.rows = 1;
  Context ctx;
  ctx.seed = seed;
  Schema schema;
  return population_row(tabular::sample_model(r, ctx, &schema), 0);
}

CaseOptions case_options(const SimOptions& o) {
  CaseOptions co;
  co.condition = o.condition;
  co.seed = o.common.seed;
  co.severity = o.severity;
  if (!o.population.empty()) {
    co.population = draw_population(o.population, o.common.seed);
    co.population_source = o.population;
  }
  return co;
}

int run_list(const SimOptions& o) {
  const Catalog cat = load_catalog(o);
  if (o.common.json) {
    write_output("", cat.summary_json().dump(2) + "\n");
    return 0;
  }
  std::printf("data: %s\n\nconditions (medgen sim case --condition NAME):\n", cat.dir.c_str());
  for (const auto& c : cat.conditions)
    std::printf("  %-22s %s  [rubric %s]\n", c.name.c_str(), c.title.c_str(), c.rubric.c_str());
  std::printf("\ndrugs:\n");
  for (const auto& d : cat.drugs) {
    std::string routes;
    for (const auto& [r, spec] : d.routes) routes += (routes.empty() ? "" : ",") + r;
    std::printf("  %-24s %-6s %s\n", d.name.c_str(), d.amount_unit.c_str(), routes.c_str());
  }
  std::printf("\norders:\n");
  for (const auto& r : cat.orders)
    std::printf("  %-14s %s (%.0f min)\n", r.name.c_str(), r.title.c_str(), r.turnaround_min);
  return 0;
}

int run_case(const SimOptions& o) {
  const bool to_file = !o.out.empty() && o.out != "-";
  if (o.text && o.common.json) throw InvalidInput("sim case: --text and --json both ask for stdout; give one");
  const Catalog cat = load_catalog(o);
  const Case c = generate_case(cat, case_options(o));
  if (o.text) {
    write_output(o.out, c.vignette + "\n");
    return 0;
  }
  write_output(o.out, c.to_json().dump(2) + "\n");
  if (to_file && o.common.json)
    write_output("", json{{"output", o.out}, {"condition", c.condition}, {"seed", c.seed}, {"vignette", c.vignette}}
                         .dump(2) + "\n");
  else if (to_file && !o.common.quiet)
    std::fprintf(stderr, "%s\n", c.vignette.c_str());
  return 0;
}

int run_parse_eval(const SimOptions& o) {
  const Catalog cat = load_catalog(o);
  const ParseEvalReport r = evaluate_parser(o.phrases, cat, o.parse_eval);
  if (o.common.json) {
    write_output(o.out, r.to_json().dump(2) + "\n");
    return 0;
  }
  std::string text = r.to_text();
  if (!o.common.quiet)
    for (const char* split : {"dev", "heldout", "hand"}) {
      auto it = r.splits.find(split);
      if (it == r.splits.end()) continue;
      for (const auto& f : it->second.failures) text += std::string("  [") + split + "] " + f + "\n";
    }
  write_output(o.out, text);
  return 0;
}

// --html, --xapi, --json-out and (with_report) the --report file: all or nothing.
void write_reports(const SimOptions& o, const Session& s, const Score& sc, bool with_report) {
  std::vector<std::pair<std::string, std::string>> files;
  if (with_report && !o.report.empty() && o.report != "-") files.emplace_back(o.report, debrief_text(s, sc));
  if (!o.html.empty()) files.emplace_back(o.html, debrief_html(s, sc));
  if (!o.xapi.empty())
    files.emplace_back(o.xapi, xapi_statements(s, sc, o.trainee, o.script.empty() ? now_iso() : "").dump(2) + "\n");
  if (!o.json_out.empty()) files.emplace_back(o.json_out, session_json(s, sc).dump(2) + "\n");
  write_files_atomic(files);
}

int run_session(const SimOptions& o) {
  const Catalog cat = load_catalog(o);
  Case c;
  if (!o.case_path.empty()) {
    c = Case::load(o.case_path, &cat);
    present_case(cat, &c);
  } else if (!o.condition.empty()) {
    c = generate_case(cat, case_options(o));
  } else {
    throw InvalidInput("sim run needs --case FILE (from 'medgen sim case') or --condition NAME");
  }
  if (!(o.speed > 0) || o.speed > 100000) throw InvalidInput("--speed must be in (0, 100000]");
  if (!(o.duration_min > 0) || o.duration_min > 7 * 24 * 60)
    throw InvalidInput("--duration must be in (0, 10080] minutes");
  const ConditionSpec& cond = *cat.find_condition(c.condition);
  Session s(cat, c);
  const Rubric& rubric = cat.rubrics.at(cond.rubric);

  if (!o.script.empty()) {
    Script sc = Script::load(o.script, cat, cond, c.patient.weight_kg);
    const std::vector<Event> ev = run_script(&s, sc);
    const Score score = score_session(s, rubric);
    const bool report_file = !o.report.empty() && o.report != "-";
    write_reports(o, s, score, report_file);
    // The debrief (or with --json the record) on stdout whatever -q says, unless --report took it.
    if (o.common.json)
      write_output("", session_json(s, score).dump(2) + "\n");
    else if (!report_file)
      write_output(o.report, debrief_text(s, score));
    return 0;
  }

  // Interactive: the clock runs in real time times --speed; lines typed are actions.
  const bool tty = isatty(0);
  // Ctrl-C, SIGTERM and SIGHUP end the session like 'end': debrief and reports follow.
  const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
  void (*previous[3])(int);
  for (int i = 0; i < 3; ++i) previous[i] = std::signal(stop_signals[i], on_sigint);
  std::printf(
      "medgen virtual patient: %s\n\n%s\n\nType actions (e.g. 'ask about allergies', 'order lactate', "
      "'fluids 30 ml/kg'); 'help' lists more, 'end' finishes. Clock: %gx real time.\n\n",
      cond.title.c_str(), c.vignette.c_str(), o.speed);
  std::printf("%s\n", s.monitor_line().c_str());
  print_events(s.log());
  using clk = std::chrono::steady_clock;
  auto last = clk::now();
  double since_monitor = 0;
  const double monitor_every_s = std::max(2.0, std::min(10.0, 60.0 / o.speed));  // wall seconds
  std::string buf;
  bool eof = false, ended = false;
  if (tty) {
    std::printf("> ");
    std::fflush(stdout);
  }
  while (!g_stop && !ended && !s.dead() && s.time_s() < o.duration_min * 60) {
    pollfd p{0, POLLIN, 0};
    const int r = eof ? (usleep(200000), 0) : poll(&p, 1, 200);
    const auto now = clk::now();
    const double wall = std::chrono::duration<double>(now - last).count();
    last = now;
    const std::vector<Event> ev = s.advance(std::min(wall * o.speed, o.duration_min * 60 - s.time_s()));
    if (!ev.empty()) {
      if (tty) std::printf("\n");
      print_events(ev);
    }
    since_monitor += wall;
    if (since_monitor >= monitor_every_s) {
      since_monitor = 0;
      std::printf("%s%s\n", tty ? "\r" : "", s.monitor_line().c_str());
      if (tty) std::printf("> ");
      std::fflush(stdout);
    }
    if (r > 0 && (p.revents & (POLLIN | POLLHUP))) {
      char chunk[1024];
      const ssize_t n = read(0, chunk, sizeof chunk);
      if (n <= 0) {
        eof = true;
        break;  // end of input: finish the session and debrief
      }
      buf.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        const std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const Action a = parse_action(line.substr(0, line.find(';')), cat, cond, c.patient.weight_kg);
        if (a.kind == Action::Kind::kEnd) {
          ended = true;
          break;
        }
        print_events(s.act(line));
        if (tty) std::printf("> ");
        std::fflush(stdout);
      }
    }
  }
  for (int i = 0; i < 3; ++i) std::signal(stop_signals[i], previous[i]);
  const Score score = score_session(s, rubric);
  std::printf("\n%s\n", s.monitor_line().c_str());
  std::printf("\n%s", debrief_text(s, score).c_str());
  write_reports(o, s, score, true);
  return 0;
}

cli::Command add_sim_command(CLI::App& app) {
  static SimOptions o;
  CLI::App* sim =
      app.add_subcommand("sim", "virtual patients: generate cases, simulate them live, score against guidelines");
  sim->require_subcommand(1);
  auto data_opts = [&](CLI::App* a) {
    a->add_option("--data-dir", o.data_dir, "simulator data folder (default: the embedded data/sim)");
    a->add_option("--conditions", o.conditions, "extra condition file or folder (educators' own conditions)");
  };
  CLI::App* list = sim->add_subcommand("list", "conditions, drugs and orders available");
  data_opts(list);
  cli::add_common(list, &o.common, cli::kNone, "print conditions, drugs and orders as JSON");

  CLI::App* cs = sim->add_subcommand("case", "generate a virtual-patient case (JSON) for a condition");
  data_opts(cs);
  cs->add_option("--condition,-c", o.condition, "condition name or alias (see 'medgen sim list')")->required();
  cs->add_option("--severity", o.severity, "mild, moderate or severe (default: drawn)");
  cs->add_option("-o,--output", o.out, "case file (default: stdout)");
  cs->add_flag("--text", o.text, "print the vignette instead of the JSON");
  cs->add_option("--population", o.population, "draw age, sex, body size and baseline values from a trained model");
  cli::add_common(cs, &o.common, cli::kNone,
                  "print {output, condition, seed, vignette} on stdout (with -o; without it the case is JSON)");

  CLI::App* run = sim->add_subcommand("run", "run a session: interactive in a terminal, or scripted with --script");
  data_opts(run);
  run->add_option("--case", o.case_path, "case file from 'medgen sim case'");
  run->add_option("--condition,-c", o.condition, "generate the case on the fly instead of --case");
  run->add_option("--severity", o.severity, "severity for --condition");
  run->add_option("--population", o.population, "population model for --condition (see 'sim case')");
  run->add_option("--script", o.script, "JSON actions to run without a terminal (batch, deterministic)");
  cli::add_real(run, "--speed", &o.speed, "interactive clock: simulated seconds per real second", 0, 100000, true)
      ->default_str("1");
  cli::add_real(run, "--duration", &o.duration_min, "interactive session length in simulated minutes", 0, 7 * 24 * 60,
                true)
      ->default_str("240");
  run->add_option("--report", o.report, "debrief text file");
  run->add_option("--html", o.html, "debrief as a self-contained HTML page with vital-sign charts");
  run->add_option("--xapi", o.xapi, "xAPI statements (JSON) for a learning-management system");
  run->add_option("--json-out", o.json_out, "session record and score as JSON");
  run->add_option("--trainee", o.trainee, "name in the xAPI statements")->capture_default_str();
  cli::add_common(run, &o.common, cli::kNone,
                  "print the session record and score as JSON instead of the debrief (--seed: for --condition)");

  CLI::App* pe = sim->add_subcommand(
      "parse-eval", "accuracy of the action parser per field on a TSV of phrasings (tests/sim/data/parse_set.tsv)");
  data_opts(pe);
  pe->add_option("file", o.phrases, "TSV: phrase, split, kind, what, dose, unit, route, rate")->required();
  pe->add_option("--condition,-c", o.parse_eval.condition, "condition whose history topics are asked about")
      ->capture_default_str();
  cli::add_real(pe, "--weight", &o.parse_eval.weight_kg, "patient weight (kg) for per-kg doses", 1, 400, true)
      ->default_str("70");
  pe->add_option("-o,--output", o.out, "write the report here instead of stdout");
  cli::add_common(pe, &o.common, cli::kNone, "print the report as JSON");

  cli::Command c;
  c.app = sim;
  c.run = [list, cs, run, pe]() {
    if (list->parsed()) return run_list(o);
    if (cs->parsed()) return run_case(o);
    if (run->parsed()) return run_session(o);
    if (pe->parsed()) return run_parse_eval(o);
    return 1;
  };
  return c;
}

}  // namespace

MEDGEN_CLI_COMMAND(add_sim_command);
