// `medgen ops noshow|schedule|simulate|remind|followup` (docs/ops.md). Thin: parses flags,
// calls medgen/ops, prints.
#include <CLI/CLI.hpp>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cmd_ops.h"
#include "medgen/core/error.h"
#include "medgen/core/csv.h"
#include "medgen/core/file.h"
#include "medgen/ops/clinic_sim.h"
#include "medgen/ops/noshow.h"
#include "medgen/ops/reminders.h"
#include "medgen/ops/schedule.h"
#include "options.h"

using json = nlohmann::ordered_json;
using namespace medgen;

namespace medgen::cli {

namespace {

struct OpsOptions {
  std::string input, model, out, patients, templates;
  size_t rows = 5000;
  double base_rate = 0.19;
  int reasons = 3, weeks = 30;
  ops::NoShowParams noshow;
  ops::ScheduleParams schedule;
  ops::SimulationParams sim;
  ops::ReminderParams remind;
  bool no_overbooking = false;
  CommonOptions common;
};

void summary(const OpsOptions& o, const json& j, const std::string& text) {
  if (o.common.json)
    write_output("", j.dump(2) + "\n");
  else
    note(o.common, text);
}

bool to_file(const std::string& out) { return !out.empty() && out != "-"; }

int run_generate(OpsOptions& o) {
  ops::GeneratorParams gp;
  gp.appointments = o.rows;
  gp.base_rate = o.base_rate;
  auto rows = ops::generate_appointments(gp, o.common.seed);
  write_output(o.out, ops::appointments_to_csv(rows));
  size_t ns = 0;
  for (const auto& r : rows) ns += r.no_show == 1;
  summary(o, {{"output", o.out}, {"appointments", rows.size()}, {"no_shows", ns}, {"seed", o.common.seed}},
          "wrote " + std::to_string(rows.size()) + " synthetic appointments (" + std::to_string(ns) + " no-shows) to " + o.out);
  return 0;
}

int run_train(OpsOptions& o) {
  if (o.out.empty()) throw InvalidInput("noshow train: --out MODEL is required");
  auto rows = ops::read_appointments_csv(o.input, true);
  auto m = ops::NoShowModel::train(rows, o.noshow, o.common.seed);
  write_file_atomic(o.out, m.serialize());
  json j = {{"output", o.out}, {"rows", rows.size()}, {"calibration_fold", m.calibration_metrics().to_json()}};
  const auto& c = m.calibration_metrics();
  summary(o, j, "trained on " + std::to_string(rows.size()) + " appointments; calibration fold AUC " + ops::fmt_num(std::round(c.auc * 1000) / 1000) +
                    ", Brier " + ops::fmt_num(std::round(c.brier * 1000) / 1000) + "; model written to " + o.out);
  return 0;
}

int run_predict(OpsOptions& o) {
  const auto m = ops::NoShowModel::deserialize(read_file(o.model), o.model);
  auto rows = ops::read_appointments_csv(o.input, false);
  auto preds = m.predict(rows, o.reasons);
  std::string csv = "id,probability";
  for (int k = 1; k <= o.reasons; ++k) csv += ",reason" + std::to_string(k) + ",contribution" + std::to_string(k);
  csv += "\n";
  std::vector<double> p;
  std::vector<int> y;
  for (size_t i = 0; i < rows.size(); ++i) {
    append_csv_field(csv, rows[i].id);
    csv += "," + ops::fmt_num(std::round(preds[i].probability * 1e4) / 1e4);
    for (const auto& r : preds[i].reasons)
      csv += "," + r.feature + "=" + (std::isnan(r.value) ? std::string("NA") : ops::fmt_num(r.value)) + "," +
             ops::fmt_num(std::round(r.contribution * 1e4) / 1e4);
    csv += "\n";
    if (rows[i].no_show >= 0) {
      p.push_back(preds[i].probability);
      y.push_back(rows[i].no_show);
    }
  }
  write_output(o.out, csv);
  json j = {{"output", o.out.empty() ? "-" : o.out}, {"rows", rows.size()}};
  if (!p.empty() && p.size() == rows.size()) j["metrics"] = ops::evaluate_probabilities(p, y).to_json();
  if (to_file(o.out)) summary(o, j, "wrote " + std::to_string(rows.size()) + " predictions to " + o.out);
  return 0;
}

int run_schedule(OpsOptions& o) {
  if (o.out.empty()) throw InvalidInput("schedule: --out FILE is required");
  o.schedule.overbooking = !o.no_overbooking;
  const auto p = ops::load_problem(read_file(o.input), o.input);
  if (p.requests.empty()) throw InvalidInput(o.input + ": no active ServiceRequest to schedule");
  const auto r = ops::solve_schedule(p, o.schedule);
  write_output(o.out, ops::appointments_bundle(p, r));
  json un = json::array();
  for (int i : r.unscheduled) un.push_back(p.requests[size_t(i)].id);
  json j = {{"output", o.out},
            {"requests", p.requests.size()},
            {"slots", p.slots.size()},
            {"scheduled", p.requests.size() - r.unscheduled.size()},
            {"unscheduled", un},
            {"overbooked_slots", r.overbooked_slots},
            {"status", r.status},
            {"gap", r.gap},
            {"objective", r.objective},
            {"seconds", r.seconds},
            {"variables", r.variables},
            {"constraints", r.constraints}};
  summary(o, j, "scheduled " + std::to_string(p.requests.size() - r.unscheduled.size()) + " of " +
                    std::to_string(p.requests.size()) + " requests (" + r.status + ", gap " + ops::fmt_num(r.gap) + ", " +
                    std::to_string(r.overbooked_slots) + " overbooked slots); appointments written to " + o.out);
  return 0;
}

int run_simulate(OpsOptions& o) {
  o.sim.weeks = o.weeks;
  o.sim.schedule.overbooking = !o.no_overbooking;
  o.sim.clinic.validate();
  if (o.sim.history < 100) throw InvalidInput("--history must be at least 100");
  std::unique_ptr<ops::NoShowModel> m;
  if (!o.model.empty()) {
    m = std::make_unique<ops::NoShowModel>(ops::NoShowModel::deserialize(read_file(o.model), o.model));
  } else {
    ops::GeneratorParams gp;
    gp.appointments = o.sim.history;
    m = std::make_unique<ops::NoShowModel>(ops::NoShowModel::train(ops::generate_appointments(gp, o.common.seed ^ 0xABCDEF), o.noshow, o.common.seed));
  }
  json j = ops::run_simulation(o.sim, *m, o.common.seed);
  if (to_file(o.out)) write_file_atomic(o.out, j.dump(1) + "\n");
  if (o.common.json || !to_file(o.out)) {
    write_output("", j.dump(2) + "\n");
  } else {
    const auto& d = j["paired_vs_fcfs"];
    note(o.common, "no-show-aware minus FCFS per week: served " + ops::fmt_num(d["served"]["mean"].get<double>()) +
                       ", overtime " + ops::fmt_num(d["overtime_min"]["mean"].get<double>()) + " min; written to " + o.out);
  }
  return 0;
}

json read_bundle(const std::string& path) { return ops::parse_json_located(read_file(path), path); }

int run_remind(OpsOptions& o) {
  if (o.out.empty()) throw InvalidInput("remind: --out FILE is required");
  nlohmann::json b = read_bundle(o.input);
  if (!o.patients.empty()) {
    nlohmann::json extra = read_bundle(o.patients);
    if (!extra.is_object() || !extra.contains("entry") || !extra["entry"].is_array())
      throw InvalidInput(o.patients + ": not a FHIR Bundle with entries");
    if (!b.is_object() || !b.contains("entry") || !b["entry"].is_array()) throw InvalidInput(o.input + ": not a FHIR Bundle with entries");
    for (const auto& e : extra["entry"]) b["entry"].push_back(e);
  }
  const auto t = ops::ReminderTemplates::load(o.templates.empty() ? ops::ReminderTemplates::default_dir() : o.templates);
  json s;
  json out = ops::plan_reminders(b, o.input, t, o.remind, &s);
  write_output(o.out, out.dump(1) + "\n");
  s["output"] = o.out;
  summary(o, s, "planned " + s["reminders"].dump() + " reminders for " + s["appointments"].dump() + " appointments; written to " + o.out);
  return 0;
}

int run_followup(OpsOptions& o) {
  if (o.out.empty()) throw InvalidInput("followup: --out FILE is required");
  json s;
  json out = ops::plan_followups(read_bundle(o.input), o.input, &s);
  write_output(o.out, out.dump(1) + "\n");
  s["output"] = o.out;
  summary(o, s, "wrote " + s["follow_ups"].dump() + " follow-up ServiceRequests from " + s["care_plans"].dump() + " care plans to " + o.out);
  return 0;
}

}  // namespace

std::vector<Command> add_ops_schedule_commands(CLI::App& ops) {
  auto o = std::make_shared<OpsOptions>();
  std::vector<Command> out;

  CLI::App* ns = ops.add_subcommand("noshow", "no-show model: synthetic history, XGBoost training, calibrated predictions with reasons");
  ns->require_subcommand(1);
  CLI::App* gen = ns->add_subcommand("generate", "synthetic appointment history (no-show effects from published studies)");
  add_integer<size_t>(gen, "-n,--rows", &o->rows, "appointments [5000]", 1, 10'000'000);
  add_real(gen, "--base-rate", &o->base_rate, "overall no-show rate [0.19]", 0.001, 0.9);
  gen->add_option("-o,--out", o->out, "CSV file (default stdout)");
  add_common(gen, &o->common);
  CLI::App* tr = ns->add_subcommand("train", "train the calibrated no-show model on an appointment CSV");
  tr->add_option("data", o->input, "appointment CSV with no_show labels")->required();
  tr->add_option("-o,--out", o->out, "model file (JSON)")->required();
  add_integer(tr, "--rounds", &o->noshow.rounds, "boosting rounds [200]", 1, 5000);
  add_integer(tr, "--max-depth", &o->noshow.max_depth, "tree depth [4]", 1, 12);
  add_real(tr, "--eta", &o->noshow.eta, "learning rate [0.05]", 0, 1, true);
  add_real(tr, "--calib-share", &o->noshow.calib_share, "share held out for calibration [0.25]", 0.05, 0.5);
  add_common(tr, &o->common);
  CLI::App* pr = ns->add_subcommand("predict", "calibrated no-show probabilities with their top reasons (SHAP)");
  pr->add_option("model", o->model, "model file from `ops noshow train`")->required();
  pr->add_option("data", o->input, "appointment CSV")->required();
  pr->add_option("-o,--out", o->out, "CSV file (default stdout)");
  add_integer(pr, "--reasons", &o->reasons, "reasons per prediction [3]", 0, 10);
  add_common(pr, &o->common, kNone, "print a JSON summary (and AUC/calibration when labels are present)");
  out.push_back({gen, [o] { return run_generate(*o); }});
  out.push_back({tr, [o] { return run_train(*o); }});
  out.push_back({pr, [o] { return run_predict(*o); }});

  CLI::App* sc = ops.add_subcommand("schedule", "assign ServiceRequests to free Slots (integer programme, CBC); Appointment bundle out");
  sc->add_option("bundle", o->input, "FHIR Bundle: Schedule, Slot, Location, Appointment, ServiceRequest")->required();
  sc->add_option("-o,--out", o->out, "Appointment bundle (JSON)")->required();
  sc->add_flag("--no-overbooking", o->no_overbooking, "never book two patients into one slot");
  add_real(sc, "--overbook-tolerance", &o->schedule.overbook_tolerance, "expected attendance per slot <= 1 + this [0.2]", 0, 1);
  add_integer(sc, "--guard-slots", &o->schedule.guard_slots, "no overbooking in a session's last N slots [2]", 0, 100);
  sc->add_flag("--allow-unscheduled", o->schedule.allow_unscheduled, "leave requests without a slot instead of failing");
  add_real(sc, "--time-limit", &o->schedule.time_limit_s, "CBC time limit in seconds [30]", 0, 86400, true);
  add_real(sc, "--gap", &o->schedule.gap, "relative gap at which CBC stops [0.0001]", 0, 0.99);
  add_real(sc, "--end-weight", &o->schedule.end_weight, "cost per expected patient in a session's last slot, halving per slot before it [112]", 0, 1000);
  add_integer(sc, "--candidates", &o->schedule.per_session_candidates, "candidate slots per request and session, 0 = all [2]", 0, 1000);
  sc->add_flag("--joint-overbooking", o->schedule.joint_overbooking,
               "after the two stages, one model for first and second patients (slower; never worse)");
  add_common(sc, &o->common);
  out.push_back({sc, [o] { return run_schedule(*o); }});

  CLI::App* si = ops.add_subcommand("simulate", "clinic-day simulation: no-show-aware schedule vs FCFS and a fixed overbooking rule");
  add_integer(si, "--weeks", &o->weeks, "simulated weeks [30]", 2, 10000);
  add_integer(si, "--providers", &o->sim.clinic.providers, "providers [4]", 1, 200);
  add_integer(si, "--days", &o->sim.clinic.days, "days a week [5]", 1, 7);
  add_integer(si, "--slots", &o->sim.clinic.slots_per_session, "slots per session (two sessions a day) [8]", 1, 16);
  add_real(si, "--demand", &o->sim.clinic.demand, "requests per slot [1.2]", 0, 5, true);
  add_integer(si, "--fixed-every", &o->sim.fixed_every, "fixed rule: double-book every k-th slot [4]", 1, 16);
  add_integer<size_t>(si, "--history", &o->sim.history, "synthetic appointments to train the model on [20000]", 100, 10'000'000);
  si->add_option("--model", o->model, "a no-show model file instead of training one");
  si->add_flag("--no-overbooking", o->no_overbooking, "the integer programme without overbooking");
  add_real(si, "--overbook-tolerance", &o->sim.schedule.overbook_tolerance, "expected attendance per slot <= 1 + this [0.2]", 0, 1);
  add_integer(si, "--guard-slots", &o->sim.schedule.guard_slots, "no overbooking in a session's last N slots [2]", 0, 100);
  add_real(si, "--end-weight", &o->sim.schedule.end_weight, "cost per expected patient in a session's last slot, halving per slot before it [112]", 0, 1000);
  add_integer(si, "--candidates", &o->sim.schedule.per_session_candidates, "candidate slots per request and session, 0 = all [2]", 0, 1000);
  si->add_flag("--joint-overbooking", o->sim.schedule.joint_overbooking, "the joint overbooking model after the two stages (slower)");
  si->add_option("-o,--out", o->out, "JSON results file");
  add_common(si, &o->common);
  out.push_back({si, [o] { return run_simulate(*o); }});

  CLI::App* re = ops.add_subcommand("remind", "reminder plan (CommunicationRequests) targeted by no-show risk, in the patient's language");
  re->add_option("bundle", o->input, "FHIR Bundle with booked Appointments (and Patients)")->required();
  re->add_option("--patients", o->patients, "a second Bundle with the Patients");
  re->add_option("--templates", o->templates, "template folder (default data/ops/reminders)");
  add_real(re, "--medium-risk", &o->remind.medium_risk, "risk for an extra SMS [0.15]", 0, 1);
  add_real(re, "--high-risk", &o->remind.high_risk, "risk for a phone call [0.30]", 0, 1);
  re->add_option("-o,--out", o->out, "CommunicationRequest bundle (JSON)")->required();
  add_common(re, &o->common);
  out.push_back({re, [o] { return run_remind(*o); }});

  CLI::App* fu = ops.add_subcommand("followup", "follow-up ServiceRequests from CarePlan activities with timing");
  fu->add_option("bundle", o->input, "FHIR Bundle with CarePlans")->required();
  fu->add_option("-o,--out", o->out, "ServiceRequest bundle (JSON)")->required();
  add_common(fu, &o->common);
  out.push_back({fu, [o] { return run_followup(*o); }});
  return out;
}

}  // namespace medgen::cli
