// `medgen ops claims|survey|cds ...`: claim review, patient surveys, decision support
// (docs/ops-admin.md). Thin: parses flags, calls medgen/ops/{claims,surveys,cds}, prints.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cmd_ops.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/ops/claims/claims.h"
#include "medgen/ops/claims/denial_model.h"
#include "medgen/ops/cds/cds.h"
#include "medgen/ops/surveys/surveys.h"
#include "options.h"

using json = nlohmann::json;
using namespace medgen;

namespace medgen::cli {

namespace {

// ------------------------------------------------------------------------------------ claims

struct ClaimsOptions {
  std::string claims, rules, model, out, csv_out, unknown_codes = "error", format = "csv";
  double threshold = 0.5;
  int top = 3;
  ops::claims::GenerateOptions gen;
  ops::claims::DenialModelParams train;
  CommonOptions common;
};

ops::claims::RuleSet load_rules(const ClaimsOptions& o) {
  return ops::claims::RuleSet::load(o.rules.empty() ? ops::claims::RuleSet::default_dir() : o.rules);
}

int run_claims_generate(ClaimsOptions& o) {
  const auto rules = load_rules(o);
  o.gen.seed = o.common.seed;
  const auto lines = ops::claims::generate_claims(rules, o.gen);
  const std::string text =
      o.format == "fhir" ? ops::claims::claims_to_fhir(lines).dump(1) + "\n" : ops::claims::claims_to_csv(lines);
  write_output(o.out, text);
  size_t denied = 0;
  for (const auto& l : lines) denied += l.denied == 1;
  if (o.common.json && !o.out.empty() && o.out != "-")
    write_output("", json{{"output", o.out}, {"lines", lines.size()}, {"denied", denied}, {"seed", o.gen.seed}}.dump(2) + "\n");
  else if (!o.out.empty() && o.out != "-")
    note(o.common, "wrote " + std::to_string(lines.size()) + " claim lines (" + std::to_string(denied) +
                       " planted denials) to " + o.out);
  return 0;
}

int run_claims_train(ClaimsOptions& o) {
  if (o.out.empty()) throw InvalidInput("claims train: --out MODEL is required");
  const auto rules = load_rules(o);
  const auto lines = ops::claims::read_claims(o.claims);
  o.train.seed = o.common.seed;
  const auto model = ops::claims::DenialModel::train(lines, rules, o.train);
  model.save(o.out);
  json s = model.info();
  s["output"] = o.out;
  if (o.common.json) write_output("", s.dump(2) + "\n");
  else note(o.common, "trained on " + s["rows"].dump() + " lines that pass the rules (" + s["denied"].dump() +
                          " denied); model written to " + o.out);
  return 0;
}

int run_claims_review(ClaimsOptions& o) {
  if (o.unknown_codes != "error" && o.unknown_codes != "finding")
    throw InvalidInput("--unknown-codes must be 'error' or 'finding', got '" + o.unknown_codes + "'");
  const auto rules = load_rules(o);
  std::unique_ptr<ops::claims::DenialModel> model;
  if (!o.model.empty()) model = std::make_unique<ops::claims::DenialModel>(ops::claims::DenialModel::load(o.model));
  const auto lines = ops::claims::read_claims(o.claims);
  ops::claims::ReviewOptions ro;
  ro.unknown_codes_as_findings = o.unknown_codes == "finding";
  ro.model_threshold = o.threshold;
  ro.model_top_reasons = o.top;
  const auto reviews = ops::claims::review_claims(lines, rules, model.get(), ro);
  std::vector<std::pair<std::string, std::string>> files;
  if (!o.out.empty()) files.emplace_back(o.out, ops::claims::claim_responses(lines, reviews, rules).dump(1) + "\n");
  if (!o.csv_out.empty()) files.emplace_back(o.csv_out, ops::claims::findings_csv(lines, reviews));
  if (!files.empty()) write_files_atomic(files);
  size_t denied = 0;
  json by_reason = json::object();
  for (const auto& r : reviews) {
    denied += r.denied;
    for (const auto& f : r.findings) {
      const std::string n = ops::claims::reason_name(f.reason);
      by_reason[n] = by_reason.value(n, 0) + 1;
    }
  }
  json s = {{"lines", lines.size()}, {"flagged", denied}, {"findings_by_reason", by_reason}};
  const json truth = ops::claims::recall_by_reason(lines, reviews);
  if (!truth.empty()) s["against_truth"] = truth;
  if (o.common.json) {
    write_output("", s.dump(2) + "\n");
  } else if (o.out.empty() && o.csv_out.empty()) {
    write_output("", ops::claims::findings_csv(lines, reviews));
  } else if (!o.common.quiet) {
    std::printf("%zu lines, %zu flagged\n", lines.size(), denied);
    for (auto it = by_reason.begin(); it != by_reason.end(); ++it)
      std::printf("  %-14s %s\n", it.key().c_str(), it.value().dump().c_str());
    if (!truth.empty())
      for (auto it = truth["recall_by_reason"].begin(); it != truth["recall_by_reason"].end(); ++it)
        std::printf("  recall %-14s %.3f (%s planted)\n", it.key().c_str(), it.value()["recall"].get<double>(),
                    it.value()["planted"].dump().c_str());
  }
  return 0;
}

Command add_claims(CLI::App& ops) {
  auto o = std::make_shared<ClaimsOptions>();
  CLI::App* claims = ops.add_subcommand("claims", "claim review: payer rules as data and a learned denial model");
  claims->require_subcommand(1);
  auto rules_opt = [&](CLI::App* a) {
    a->add_option("--rules", o->rules, "payer rules folder (default: the embedded data/ops/claims)");
  };
  CLI::App* gen = claims->add_subcommand("generate", "synthetic claims with denials planted at published rates");
  rules_opt(gen);
  add_integer<size_t>(gen, "--patients", &o->gen.patients, "synthetic patients [1000]", 1, 10000000);
  add_real(gen, "--claims-per-patient", &o->gen.claims_per_patient, "mean claims per patient [4]", 0, 100, true);
  add_real(gen, "--denial-rate", &o->gen.denial_rate, "share of lines with a planted denial [0.19]", 0, 0.99);
  gen->add_option("--format", o->format, "csv or fhir (a Bundle of Claim resources) [csv]")
      ->check(CLI::IsMember({"csv", "fhir"}));
  gen->add_option("-o,--out", o->out, "output file (default: stdout)");
  add_common(gen, &o->common);

  CLI::App* train = claims->add_subcommand("train", "train the denial model (XGBoost) on labelled claim lines");
  rules_opt(train);
  train->add_option("--claims", o->claims, "claim lines with a 'denied' column (CSV)")->required();
  train->add_option("-o,--out", o->out, "model file (JSON)")->required();
  add_integer<int>(train, "--rounds", &o->train.rounds, "boosting rounds [200]", 1, 10000);
  add_integer<int>(train, "--max-depth", &o->train.max_depth, "tree depth [5]", 1, 16);
  add_real(train, "--eta", &o->train.eta, "learning rate [0.1]", 0, 1, true);
  add_common(train, &o->common);

  CLI::App* review = claims->add_subcommand("review", "check claims against payer rules (and a denial model)");
  rules_opt(review);
  review->add_option("--claims", o->claims, "claims: CSV, FHIR Claim, Bundle of Claims or NDJSON")->required();
  review->add_option("--model", o->model, "denial model from 'claims train'");
  add_real(review, "--threshold", &o->threshold, "model probability that flags a line [0.5]", 0, 1);
  add_integer<int>(review, "--top", &o->top, "model reasons per flagged line [3]", 0, 20);
  review->add_option("--unknown-codes", o->unknown_codes,
                     "error (exit 2 naming the line) or finding (an unknown_code finding) [error]");
  review->add_option("-o,--out", o->out, "ClaimResponse Bundle (FHIR R4 JSON)");
  review->add_option("--csv-out", o->csv_out, "findings, one row per finding");
  add_common(review, &o->common, kNone, "print a JSON summary (and recall per planted reason) on stdout");

  return {claims, [o, gen, train, review]() -> int {
            if (gen->parsed()) return run_claims_generate(*o);
            if (train->parsed()) return run_claims_train(*o);
            if (review->parsed()) return run_claims_review(*o);
            return 1;
          }};
}

// ------------------------------------------------------------------------------------ survey

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t e = s.find(',', start);
    if (e == std::string::npos) e = s.size();
    if (e > start) out.push_back(s.substr(start, e - start));
    start = e + 1;
  }
  return out;
}

struct SurveyOptions {
  std::string library, domains = "all", id = "patient-experience", title = "Patient experience survey", out;
  bool no_comment = false;
  std::string questionnaire, responses, themes, html, json_out, format = "csv", units, periods;
  ops::surveys::AnalysisOptions analysis;
  ops::surveys::SynthOptions synth;
  CommonOptions common;
};

int run_survey_make(SurveyOptions& o) {
  const auto lib = ops::surveys::Library::load(o.library.empty() ? ops::surveys::Library::default_path() : o.library);
  const auto q = ops::surveys::make_questionnaire(lib, split_commas(o.domains), o.id, o.title, !o.no_comment);
  write_output(o.out, q.to_fhir().dump(2) + "\n");
  if (o.common.json && !o.out.empty() && o.out != "-")
    write_output("", json{{"output", o.out}, {"items", q.items.size()}, {"domains", q.domains.size()}}.dump(2) + "\n");
  return 0;
}

int run_survey_analyze(SurveyOptions& o) {
  const auto q = ops::surveys::Questionnaire::read(o.questionnaire);
  const auto themes = ops::surveys::Themes::load(o.themes.empty() ? ops::surveys::Themes::default_path() : o.themes);
  const auto responses = ops::surveys::read_responses(o.responses, q);
  const json a = ops::surveys::analyze(q, responses, themes, o.analysis);
  std::vector<std::pair<std::string, std::string>> files;
  if (!o.html.empty()) files.emplace_back(o.html, ops::surveys::html_report(q, a));
  if (!o.json_out.empty()) files.emplace_back(o.json_out, a.dump(1) + "\n");
  if (!files.empty()) write_files_atomic(files);
  if (o.common.json) {
    json s = {{"responses", a["responses"]}, {"domains", a["domains"]}, {"nps", a["nps"]}};
    size_t sig_u = 0, sig_p = 0;
    for (const auto& t : a["compare_units"]["tests"]) sig_u += t.value("significant", false);
    for (const auto& t : a["compare_periods"]["tests"]) sig_p += t.value("significant", false);
    s["significant_unit_differences"] = sig_u;
    s["significant_period_differences"] = sig_p;
    write_output("", s.dump(2) + "\n");
  } else if (!o.common.quiet) {
    std::printf("%s responses\n", a["responses"].dump().c_str());
    for (const auto& d : a["domains"])
      if (d.contains("top_box"))
        std::printf("  %-32s top box %5.1f%%  mean %5.1f\n", d["title"].get<std::string>().c_str(),
                    100 * d["top_box"].get<double>(), d["mean_score"].get<double>());
    if (a["nps"].is_object() && a["nps"].contains("nps"))
      std::printf("  net promoter score %.1f [%.1f, %.1f]\n", a["nps"]["nps"].get<double>(),
                  a["nps"]["nps_ci"][0].get<double>(), a["nps"]["nps_ci"][1].get<double>());
  }
  return 0;
}

int run_survey_synth(SurveyOptions& o) {
  const auto q = ops::surveys::Questionnaire::read(o.questionnaire);
  if (!o.units.empty()) o.synth.units = split_commas(o.units);
  if (!o.periods.empty()) o.synth.periods = split_commas(o.periods);
  json fit;
  const Context ctx = make_context(o.common);
  const auto rs = ops::surveys::synthesize(q, o.synth, ctx, &fit);
  write_output(o.out, o.format == "fhir" ? ops::surveys::responses_to_fhir(rs, q).dump(1) + "\n"
                                         : ops::surveys::responses_to_csv(rs, q));
  if (o.common.json && !o.out.empty() && o.out != "-") {
    fit["output"] = o.out;
    fit["responses"] = rs.size();
    write_output("", fit.dump(2) + "\n");
  }
  return 0;
}

Command add_survey_commands(CLI::App& ops) {
  auto o = std::make_shared<SurveyOptions>();
  CLI::App* sv = ops.add_subcommand("survey", "patient surveys: questionnaires, analysis and report, synthetic responses");
  sv->require_subcommand(1);
  CLI::App* make = sv->add_subcommand("make", "write a FHIR Questionnaire from the library's domains");
  make->add_option("--library", o->library, "survey library (default: the embedded data/ops/surveys/library.json)");
  make->add_option("--domains", o->domains, "comma-separated domain ids, or all [all]");
  make->add_option("--id", o->id, "Questionnaire id [patient-experience]");
  make->add_option("--title", o->title, "Questionnaire title");
  make->add_flag("--no-comment", o->no_comment, "leave out the free-text comment item");
  make->add_option("-o,--out", o->out, "Questionnaire file (default: stdout)");
  add_common(make, &o->common);

  CLI::App* an = sv->add_subcommand("analyze", "scores, intervals, comparisons, NPS and comment themes; HTML report");
  an->add_option("--questionnaire", o->questionnaire, "FHIR Questionnaire (from 'survey make')")->required();
  an->add_option("--responses", o->responses, "responses: CSV, or QuestionnaireResponse / Bundle / NDJSON")->required();
  an->add_option("--themes", o->themes, "comment theme lexicon (default: data/ops/surveys/themes.json)");
  add_real(an, "--confidence", &o->analysis.confidence, "interval level [0.95]", 0.5, 1, true);
  add_real(an, "--alpha", &o->analysis.alpha, "significance level after Holm correction [0.05]", 0, 1, true);
  add_integer<int>(an, "--min-group", &o->analysis.min_group, "smallest unit/period compared [1]", 1, 1000000);
  an->add_option("--html", o->html, "HTML report (inline SVG charts)");
  an->add_option("--json-out", o->json_out, "the full analysis as JSON");
  add_common(an, &o->common);

  CLI::App* sy = sv->add_subcommand("synth", "synthetic responses from a tabular synthesizer fitted on generated ones");
  sy->add_option("--questionnaire", o->questionnaire, "FHIR Questionnaire")->required();
  add_integer<size_t>(sy, "-n,--rows", &o->synth.n, "responses to write [1000]", 1, 10000000);
  add_integer<size_t>(sy, "--base-rows", &o->synth.base_rows, "generated rows the synthesizer learns [2000]", 50, 10000000);
  sy->add_option("--synthesizer", o->synth.synthesizer, "tabular synthesizer [copula]");
  sy->add_option("--units", o->units, "comma-separated unit names");
  sy->add_option("--periods", o->periods, "comma-separated period names");
  add_real(sy, "--comment-rate", &o->synth.comment_rate, "share of respondents who comment [0.35]", 0, 1);
  sy->add_option("--format", o->format, "csv or fhir (Bundle of QuestionnaireResponse) [csv]")
      ->check(CLI::IsMember({"csv", "fhir"}));
  sy->add_option("-o,--out", o->out, "output file (default: stdout)");
  add_common(sy, &o->common);
  return {sv, [o, make, an, sy]() -> int {
            if (make->parsed()) return run_survey_make(*o);
            if (an->parsed()) return run_survey_analyze(*o);
            if (sy->parsed()) return run_survey_synth(*o);
            return 1;
          }};
}

// ------------------------------------------------------------------------------------ cds

struct CdsOptions {
  std::string rules, guidelines, record, hook = "patient-view", drafts, selections, now, out, host = "127.0.0.1";
  int port = 8090;
  std::vector<std::string> allow_origins;
  CommonOptions common;
};

std::atomic<bool> g_cds_stop{false};
void on_cds_signal(int) { g_cds_stop = true; }

ops::cds::RuleBook load_book(const CdsOptions& o) {
  return ops::cds::RuleBook::load(o.rules.empty() ? ops::cds::RuleBook::default_dir() : o.rules,
                                  o.guidelines.empty() ? ops::cds::RuleBook::default_guidelines_dir() : o.guidelines);
}

int run_cds_eval(CdsOptions& o) {
  const auto book = load_book(o);
  ops::cds::Record rec = ops::cds::read_record(o.record);
  if (!o.now.empty() && !ops::cds::parse_fhir_time(o.now, &rec.now_s))
    throw InvalidInput("--now must be a FHIR date or dateTime, got '" + o.now + "'");
  if (o.hook == "order-select") {
    if (o.drafts.empty()) throw InvalidInput("--hook order-select needs --draft-orders FILE");
    ops::cds::Record d = ops::cds::read_record(o.drafts);
    for (auto& [_, list] : d.by_type) rec.draft_orders.insert(rec.draft_orders.end(), list.begin(), list.end());
    rec.selections = split_commas(o.selections);
  }
  rec.settle_time();
  const json cards = {{"cards", ops::cds::evaluate(book, rec, o.hook)}};
  if (!o.out.empty() && o.out != "-") {
    write_output(o.out, cards.dump(2) + "\n");
    if (o.common.json) write_output("", json{{"output", o.out}, {"cards", cards["cards"].size()}}.dump(2) + "\n");
    else note(o.common, std::to_string(cards["cards"].size()) + " card(s) written to " + o.out);
  } else {
    write_output("", cards.dump(2) + "\n");
  }
  return 0;
}

int run_cds_serve(CdsOptions& o) {
  const auto book = load_book(o);
  ops::cds::ServeOptions so;
  so.host = o.host;
  so.port = o.port;
  so.threads = std::max(1, o.common.threads);
  for (const auto& origin : o.allow_origins) {  // "*" or scheme://host[:port], nothing after
    const size_t sep = origin.find("://");
    const bool ok = origin == "*" || ((origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0) &&
                                      origin.size() > sep + 3 && origin.find_first_of("/?#* \t", sep + 3) == std::string::npos);
    if (!ok) throw InvalidInput("--allow-origin '" + origin + "': expected * or scheme://host[:port] (no path), e.g. https://ehr.example.org");
  }
  so.allowed_origins = o.allow_origins;
  std::signal(SIGINT, on_cds_signal);
  std::signal(SIGTERM, on_cds_signal);
  ops::cds::serve(book, so, &g_cds_stop, [&](int port) {
    if (o.common.json) {
      std::printf("%s\n", json{{"port", port}, {"host", o.host}, {"rules", book.rules().size()}}.dump().c_str());
      std::fflush(stdout);
    }
    note(o.common, "CDS Hooks service on http://" + o.host + ":" + std::to_string(port) + "/cds-services (" +
                       std::to_string(book.rules().size()) + " rules); Ctrl-C stops");
  });
  return 0;
}

Command add_cds_commands(CLI::App& ops) {
  auto o = std::make_shared<CdsOptions>();
  CLI::App* cds = ops.add_subcommand("cds", "decision support: guideline rules as a CDS Hooks service");
  cds->require_subcommand(1);
  auto common_opts = [&](CLI::App* a) {
    a->add_option("--rules", o->rules, "decision rules folder (default: the embedded data/ops/cds)");
    a->add_option("--guidelines", o->guidelines, "guideline files the rules cite (default: data/sim/guidelines)");
  };
  CLI::App* ev = cds->add_subcommand("eval", "evaluate the rules on a FHIR record offline; prints CDS Hooks cards");
  common_opts(ev);
  ev->add_option("--record", o->record, "the patient's FHIR R4 record (Bundle)")->required();
  ev->add_option("--hook", o->hook, "patient-view or order-select [patient-view]")
      ->check(CLI::IsMember({"patient-view", "order-select"}));
  ev->add_option("--draft-orders", o->drafts, "order-select: Bundle of draft orders");
  ev->add_option("--selections", o->selections, "order-select: comma-separated selected orders (Type/id; default all)");
  ev->add_option("--now", o->now, "reference time (default: the latest time in the record)");
  ev->add_option("-o,--out", o->out, "cards file (default: stdout)");
  add_common(ev, &o->common);
  CLI::App* sv = cds->add_subcommand("serve", "serve the rules as an HL7 CDS Hooks 1.0 service");
  common_opts(sv);
  sv->add_option("--host", o->host, "address to listen on [127.0.0.1]");
  add_integer<int>(sv, "--port", &o->port, "port (0: any free port) [8090]", 0, 65535);
  sv->add_option("--allow-origin", o->allow_origins,
                 "browser origin allowed to call the service (CORS), e.g. https://sandbox.cds-hooks.org; repeatable; * for any");
  add_common(sv, &o->common, kNone, "print {\"port\": N} on stdout once listening");
  return {cds, [o, ev, sv]() -> int {
            if (ev->parsed()) return run_cds_eval(*o);
            if (sv->parsed()) return run_cds_serve(*o);
            return 1;
          }};
}

}  // namespace

std::vector<Command> add_ops_admin_commands(CLI::App& ops) {
  return {add_claims(ops), add_survey_commands(ops), add_cds_commands(ops)};
}

}  // namespace medgen::cli
