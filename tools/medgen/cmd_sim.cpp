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
#include <memory>
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
#include "medgen/sim/curriculum.h"
#include "medgen/sim/lms.h"
#include "medgen/sim/parse_eval.h"
#include "medgen/sim/scoring.h"
#include "medgen/sim/script.h"
#include "medgen/sim/session.h"
#include "medgen/sim/team.h"
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
  std::string team, scorm;  // --team alice:leader,bob:airway; --scorm FILE
  bool examiner = false;
  // curriculum (and run's --curriculum/--case-id context)
  std::string curriculum, case_id, progress, session_path, cur_trainee;
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
      std::printf("%s  > %s%s\n", Session::clock(e.t_s).c_str(), e.actor.empty() ? "" : ("[" + e.actor + "] ").c_str(),
                  e.text.c_str());
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

// --html, --xapi, --scorm, --json-out and (with_report) the --report file: all or nothing.
void write_reports(const SimOptions& o, const Session& s, const Score& sc, bool with_report,
                   const Curriculum* cur = nullptr) {
  LmsContext lms;
  lms.trainee = o.trainee;
  lms.start_iso = o.script.empty() ? now_iso() : "";
  if (cur) {
    lms.curriculum = cur->name;
    lms.case_id = o.case_id;
    lms.pass_percent = cur->find(o.case_id)->pass_percent;
  }
  std::vector<std::pair<std::string, std::string>> files;
  if (with_report && !o.report.empty() && o.report != "-") files.emplace_back(o.report, debrief_text(s, sc));
  if (!o.html.empty()) files.emplace_back(o.html, debrief_html(s, sc));
  if (!o.xapi.empty()) files.emplace_back(o.xapi, lms_xapi_statements(s, sc, lms).dump(2) + "\n");
  if (!o.scorm.empty()) files.emplace_back(o.scorm, scorm_summary(s, sc, lms).dump(2) + "\n");
  if (!o.json_out.empty()) files.emplace_back(o.json_out, session_json(s, sc).dump(2) + "\n");
  write_files_atomic(files);
}

int run_session(const SimOptions& o) {
  const Catalog cat = load_catalog(o);
  std::unique_ptr<Curriculum> cur;
  if (!o.curriculum.empty()) {
    cur = std::make_unique<Curriculum>(Curriculum::load(o.curriculum, cat));
    if (o.case_id.empty()) throw InvalidInput("--curriculum needs --case-id (the curriculum's case)");
    if (!cur->find(o.case_id))
      throw InvalidInput("case '" + o.case_id + "' is not in curriculum '" + cur->name + "'");
  } else if (!o.case_id.empty()) {
    throw InvalidInput("--case-id needs --curriculum");
  }
  Case c;
  if (!o.case_path.empty()) {
    c = Case::load(o.case_path, &cat);
    present_case(cat, &c);
  } else if (!o.condition.empty()) {
    c = generate_case(cat, case_options(o));
  } else if (cur) {
    c = curriculum_case(cat, *cur->find(o.case_id));
  } else {
    throw InvalidInput("sim run needs --case FILE (from 'medgen sim case'), --condition NAME or --curriculum with --case-id");
  }
  if (!(o.speed > 0) || o.speed > 100000) throw InvalidInput("--speed must be in (0, 100000]");
  if (!(o.duration_min > 0) || o.duration_min > 7 * 24 * 60)
    throw InvalidInput("--duration must be in (0, 10080] minutes");
  const ConditionSpec& cond = *cat.find_condition(c.condition);
  const Rubric& rubric = cat.rubrics.at(cond.rubric);
  SessionOptions so;
  so.examiner = o.examiner;
  if (!o.team.empty()) so.team = Team::parse(o.team).members;
  if (cur) so.alarms = cur->find(o.case_id)->alarms;  // the case's monitor limits

  if (!o.script.empty()) {
    Script sc = Script::load(o.script, cat, cond, c.patient.weight_kg);
    if (!sc.team.empty()) {
      if (!so.team.empty()) throw InvalidInput("the script names a team and so does --team: give it in one place");
      so.team = sc.team;
    }
    so.examiner = so.examiner || sc.examiner;
    if (!sc.alarms.empty()) so.alarms = sc.alarms;
    Session s(cat, c, so);
    const std::vector<Event> ev = run_script(&s, sc);
    const Score score = score_session(s, rubric);
    const bool report_file = !o.report.empty() && o.report != "-";
    write_reports(o, s, score, report_file, cur.get());
    // The debrief (or with --json the record) on stdout whatever -q says, unless --report took it.
    if (o.common.json)
      write_output("", session_json(s, score).dump(2) + "\n");
    else if (!report_file)
      write_output(o.report, debrief_text(s, score));
    return 0;
  }

  // Interactive: the clock runs in real time times --speed; lines typed are actions.
  Session s(cat, c, so);
  const bool tty = isatty(0);
  // Ctrl-C, SIGTERM and SIGHUP end the session like 'end': debrief and reports follow.
  const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
  void (*previous[3])(int);
  for (int i = 0; i < 3; ++i) previous[i] = std::signal(stop_signals[i], on_sigint);
  std::printf(
      "medgen virtual patient: %s\n\n%s\n\nType actions (e.g. 'ask about allergies', 'order lactate', "
      "'fluids 30 ml/kg'); 'help' lists more, 'end' finishes. Clock: %gx real time.\n\n",
      cond.title.c_str(), s.briefing().c_str(), o.speed);
  if (!so.team.empty()) {
    std::printf("Team:");
    for (const auto& m : so.team) std::printf(" %s (%s)", m.id.c_str(), m.role.c_str());
    std::printf(". Start a line with the trainee's id ('%s: oxygen 15 l/min'); lines without one are %s's.\n\n",
                so.team.back().id.c_str(), so.team.front().id.c_str());
  }
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
        // "bob: oxygen 15 l/min": the line is bob's (a team member's id before a colon).
        Actor by;
        std::string text = line;
        if (!so.team.empty()) {
          by = so.team.front();
          const size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string id = line.substr(0, colon);
            id.erase(0, id.find_first_not_of(" \t"));
            id.erase(id.find_last_not_of(" \t") + 1);
            for (const Actor& m : so.team)
              if (m.id == id) {
                by = m;
                text = line.substr(colon + 1);
              }
          }
        }
        const Action a = parse_action(text.substr(0, text.find(';')), cat, cond, c.patient.weight_kg);
        if (a.kind == Action::Kind::kEnd) {
          ended = true;
          break;
        }
        print_events(s.act(text, by));
        if (tty) std::printf("> ");
        std::fflush(stdout);
      }
    }
  }
  for (int i = 0; i < 3; ++i) std::signal(stop_signals[i], previous[i]);
  const Score score = score_session(s, rubric);
  std::printf("\n%s\n", s.monitor_line().c_str());
  std::printf("\n%s", debrief_text(s, score).c_str());
  write_reports(o, s, score, true, cur.get());
  return 0;
}

// "passed", "available 1/3 used", "locked (needs sepsis-1)", "failed (3/3 used)"
std::string status_text(const CaseStatus& st) {
  std::string t = st.status;
  if (st.status == "locked") {
    std::string w;
    for (const auto& x : st.waiting_for) w += (w.empty() ? "" : ", ") + x;
    t += " (needs " + w + ")";
  }
  t += "  attempts " + std::to_string(st.attempts_used) + "/" + std::to_string(st.attempts_allowed);
  if (st.best_percent >= 0) t += "  best " + std::to_string(static_cast<int>(std::lround(st.best_percent))) + "%";
  return t;
}

json status_json(const CaseStatus& st) {
  return {{"case", st.id},
          {"status", st.status},
          {"attempts_used", st.attempts_used},
          {"attempts_allowed", st.attempts_allowed},
          {"best_percent", st.best_percent >= 0 ? json(std::round(st.best_percent * 10) / 10) : json()},
          {"waiting_for", st.waiting_for}};
}

int run_curriculum_status(const SimOptions& o) {
  const Catalog cat = load_catalog(o);
  const Curriculum cur = Curriculum::load(o.curriculum, cat);
  const CurriculumProgress pr = CurriculumProgress::load(o.progress, cur);
  std::vector<std::string> who;
  if (!o.cur_trainee.empty())
    who.push_back(o.cur_trainee);
  else
    for (const auto& [t, cases] : pr.trainees) who.push_back(t);
  if (o.common.json) {
    json j = {{"curriculum", cur.name}, {"trainees", json::object()}};
    for (const auto& t : who) {
      json a = json::array();
      for (const auto& st : curriculum_status(cur, pr, t)) a.push_back(status_json(st));
      j["trainees"][t] = a;
    }
    write_output("", j.dump(2) + "\n");
    return 0;
  }
  std::string out = "curriculum " + cur.name + ": " + cur.title + "\n";
  if (who.empty()) out += "  no trainee has a recorded attempt yet (--trainee ID shows one trainee's start)\n";
  for (const auto& t : who) {
    out += "trainee " + t + "\n";
    for (const auto& st : curriculum_status(cur, pr, t)) {
      char line[64];
      std::snprintf(line, sizeof line, "  %-20s ", st.id.c_str());
      out += line + status_text(st) + "\n";
    }
  }
  write_output("", out);
  return 0;
}

int run_curriculum_record(const SimOptions& o) {
  const Catalog cat = load_catalog(o);
  const Curriculum cur = Curriculum::load(o.curriculum, cat);
  CurriculumProgress pr = CurriculumProgress::load(o.progress, cur);
  const CurriculumCase* entry = cur.find(o.case_id);
  if (!entry) {
    std::string ids;
    for (const auto& x : cur.cases) ids += (ids.empty() ? "" : ", ") + x.id;
    throw InvalidInput("case '" + o.case_id + "' is not in curriculum '" + cur.name + "' (cases: " + ids + ")");
  }
  check_recordable(cur, pr, o.cur_trainee, o.case_id);  // before reading the session: locked, passed, used up
  const double percent = session_percent(o.session_path, o.cur_trainee, *entry, cat);
  const RecordOutcome r = record_attempt(cur, &pr, o.cur_trainee, o.case_id, percent, o.session_path);
  pr.save(o.progress);
  if (o.common.json) {
    write_output("", json{{"trainee", o.cur_trainee}, {"case", o.case_id}, {"percent", std::round(percent * 10) / 10},
                          {"passed", r.passed}, {"status", status_json(r.status)}, {"unlocked", r.unlocked}}
                         .dump(2) + "\n");
  } else if (!o.common.quiet) {
    std::string u;
    for (const auto& x : r.unlocked) u += (u.empty() ? "" : ", ") + x;
    std::printf("%s: %s %s (%.0f%%, pass mark %.0f%%); %s%s\n", o.cur_trainee.c_str(), o.case_id.c_str(),
                r.passed ? "passed" : "not passed", percent, entry->pass_percent, status_text(r.status).c_str(),
                u.empty() ? "" : ("; unlocked: " + u).c_str());
  }
  return 0;
}

int run_curriculum_case(const SimOptions& o) {
  const Catalog cat = load_catalog(o);
  const Curriculum cur = Curriculum::load(o.curriculum, cat);
  const CurriculumCase* entry = cur.find(o.case_id);
  if (!entry) throw InvalidInput("case '" + o.case_id + "' is not in curriculum '" + cur.name + "'");
  const Case c = curriculum_case(cat, *entry);
  write_output(o.out, c.to_json().dump(2) + "\n");
  if (!o.out.empty() && o.out != "-" && !o.common.quiet) std::fprintf(stderr, "%s\n", c.vignette.c_str());
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
  run->add_option("--trainee", o.trainee, "the lone trainee's id in the xAPI statements and SCORM summary")
      ->capture_default_str();
  run->add_option("--team", o.team,
                  "several trainees with roles: ID:ROLE,... (roles: leader, airway, circulation, drugs, procedures); "
                  "lines typed 'ID: action' are that trainee's");
  run->add_flag("--examiner", o.examiner, "examiner mode: vitals and results hidden until asked for ('attach monitor')");
  run->add_option("--scorm", o.scorm, "SCORM-friendly summary per trainee (cmi.core-like JSON)");
  run->add_option("--curriculum", o.curriculum, "curriculum file: with --case-id, the case (and the xAPI context)");
  run->add_option("--case-id", o.case_id, "the curriculum's case to run");
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

  CLI::App* cu = sim->add_subcommand("curriculum", "cases in order with pass marks and each trainee's progress");
  cu->require_subcommand(1);
  CLI::App* cu_status = cu->add_subcommand("status", "each case's status for a trainee (or every trainee recorded)");
  data_opts(cu_status);
  cu_status->add_option("curriculum", o.curriculum, "curriculum file (JSON)")->required();
  cu_status->add_option("--progress", o.progress, "progress file (need not exist yet)")->required();
  cu_status->add_option("--trainee", o.cur_trainee, "one trainee (default: every trainee in the progress file)");
  cli::add_common(cu_status, &o.common, cli::kNone, "print the status as JSON");
  CLI::App* cu_record =
      cu->add_subcommand("record", "record a finished session's score into the progress file (unlocks the next cases)");
  data_opts(cu_record);
  cu_record->add_option("curriculum", o.curriculum, "curriculum file (JSON)")->required();
  cu_record->add_option("--progress", o.progress, "progress file (created if missing; replaced atomically)")->required();
  cu_record->add_option("--trainee", o.cur_trainee, "the trainee (a team member: their own score)")->required();
  cu_record->add_option("--case", o.case_id, "the curriculum's case id")->required();
  cu_record->add_option("--session", o.session_path, "session record from 'sim run --json-out'")->required();
  cli::add_common(cu_record, &o.common, cli::kNone, "print the outcome as JSON");
  CLI::App* cu_case = cu->add_subcommand("case", "write a curriculum case as a case file (for 'sim run --case')");
  data_opts(cu_case);
  cu_case->add_option("curriculum", o.curriculum, "curriculum file (JSON)")->required();
  cu_case->add_option("--case", o.case_id, "the curriculum's case id")->required();
  cu_case->add_option("-o,--output", o.out, "case file (default: stdout)");
  cli::add_common(cu_case, &o.common, cli::kNone, "(no effect: the case is JSON)");

  cli::Command c;
  c.app = sim;
  c.run = [list, cs, run, pe, cu_status, cu_record, cu_case]() {
    if (list->parsed()) return run_list(o);
    if (cs->parsed()) return run_case(o);
    if (run->parsed()) return run_session(o);
    if (pe->parsed()) return run_parse_eval(o);
    if (cu_status->parsed()) return run_curriculum_status(o);
    if (cu_record->parsed()) return run_curriculum_record(o);
    if (cu_case->parsed()) return run_curriculum_case(o);
    return 1;
  };
  return c;
}

}  // namespace

MEDGEN_CLI_COMMAND(add_sim_command);
