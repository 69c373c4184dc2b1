#include "medgen/eval/evaluate.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/version.h"
#include "sections.h"

namespace medgen::eval {

void EvalOptions::validate() const {
  if (detection_rows < 10)
    throw InvalidInput("detection_rows must be at least 10, got " + std::to_string(detection_rows));
  if (folds < 2 || folds > 10) throw InvalidInput("folds must be in [2, 10], got " + std::to_string(folds));
  if (utility_rows < 10) throw InvalidInput("utility_rows must be at least 10, got " + std::to_string(utility_rows));
  if (privacy_queries < 10)
    throw InvalidInput("privacy_queries must be at least 10, got " + std::to_string(privacy_queries));
  if (boost_rounds < 1 || boost_rounds > 10000)
    throw InvalidInput("boost_rounds must be in [1, 10000], got " + std::to_string(boost_rounds));
  if (boost_depth < 1 || boost_depth > 16)
    throw InvalidInput("boost_depth must be in [1, 16], got " + std::to_string(boost_depth));
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool is_missing_token(std::string_view f, const CsvOptions& csv) {
  return std::find(csv.missing_tokens.begin(), csv.missing_tokens.end(), f) != csv.missing_tokens.end();
}

RawTable read_nonempty(const std::string& path, const CsvOptions& csv) {
  RawTable raw = read_csv(path, csv);
  if (raw.num_rows() == 0) throw InvalidInput(located(path, 1, 0, "the file has a header but no data rows"));
  return raw;
}

// Adds the labels `raw` has in the schema's closed columns to their allowed values, so that
// an unseen level is scored (as a difference in distribution) rather than rejected.
void widen(Schema* schema, const RawTable& raw, const CsvOptions& csv, std::vector<std::string>* warnings) {
  for (ColumnSchema& cs : schema->columns) {
    if (cs.type != ColumnType::kCategorical && cs.type != ColumnType::kBoolean) continue;
    auto it = std::find(raw.names.begin(), raw.names.end(), cs.name);
    if (it == raw.names.end()) continue;  // to_table names the missing column
    const size_t c = static_cast<size_t>(it - raw.names.begin());
    std::set<std::string> known(cs.values.begin(), cs.values.end());
    size_t added = 0;
    for (size_t r = 0; r < raw.num_rows(); ++r) {
      const std::string_view f = raw.field(r, c);
      if (is_missing_token(f, csv) || known.count(std::string(f))) continue;
      known.emplace(f);
      cs.values.emplace_back(f);
      ++added;
    }
    if (added) {
      if (cs.type == ColumnType::kBoolean) cs.type = ColumnType::kCategorical;
      warnings->push_back(raw.source + ": column '" + cs.name + "' has " + std::to_string(added) +
                          " label(s) the real file does not");
    }
  }
}

// "an identifier", "a text".
std::string article(const std::string& noun) {
  return (std::string("aeiou").find(noun[0]) != std::string::npos ? "an " : "a ") + noun;
}

// Index into cols of a named column, or InvalidInput naming the option.
size_t resolve(const std::vector<EvalColumn>& cols, const Schema& schema, const std::string& name,
               const std::string& option) {
  for (size_t i = 0; i < cols.size(); ++i)
    if (cols[i].name == name) return i;
  const int s = schema.find(name);
  if (s >= 0)
    throw InvalidInput(option + " '" + name + "': " + article(to_string(schema.columns[static_cast<size_t>(s)].type)) +
                       " column is not scored (identifiers and free text are left out)");
  throw InvalidInput(option + " '" + name + "': no such column in the real table");
}

}  // namespace

EvalData load_eval_data(const EvalFiles& files, const CsvOptions& csv) {
  if (files.real.empty()) throw InvalidInput("--real: a CSV file is required");
  if (files.synthetic.empty()) throw InvalidInput("--synthetic: a CSV file is required");
  const RawTable real = read_nonempty(files.real, csv);
  Schema schema;
  if (!files.schema.empty()) schema = Schema::read(files.schema);
  const RawTable syn = read_nonempty(files.synthetic, csv);
  RawTable hold;
  if (!files.holdout.empty()) hold = read_nonempty(files.holdout, csv);
  return load_eval_data(real, syn, files.holdout.empty() ? nullptr : &hold, files.schema.empty() ? nullptr : &schema,
                        csv);
}

EvalData load_eval_data(const RawTable& real, const RawTable& syn, const RawTable* hold, const Schema* schema,
                        const CsvOptions& csv) {
  for (const RawTable* t : {&real, &syn, hold})
    if (t && t->num_rows() == 0) throw InvalidInput(located(t->source, 1, 0, "the table has a header but no data rows"));
  EvalData d;
  d.real_path = real.source;
  d.synthetic_path = syn.source;
  d.has_holdout = hold != nullptr;
  if (hold) d.holdout_path = hold->source;
  if (schema)
    d.schema = *schema;
  else
    d.schema = infer_schema(real, csv, {}, &d.warnings);
  // Identifiers and free text are never scored, and synthesizers regenerate or drop them:
  // leave them out, so that a synthetic file without the text column still loads.
  std::vector<ColumnSchema> scored;
  for (const ColumnSchema& cs : d.schema.columns)
    (cs.type != ColumnType::kIdentifier && cs.type != ColumnType::kText ? scored : d.left_out).push_back(cs);
  d.schema.columns = std::move(scored);
  // Rejecting the real file's own labels against a user schema stays to_table's job.
  widen(&d.schema, syn, csv, &d.warnings);
  if (hold) widen(&d.schema, *hold, csv, &d.warnings);
  for (const std::string& n : syn.names)
    if (d.schema.find(n) < 0 &&
        std::none_of(d.left_out.begin(), d.left_out.end(), [&](const ColumnSchema& c) { return c.name == n; }))
      d.warnings.push_back(syn.source + ": column '" + n + "' is not in the schema (ignored)");
  d.real = to_table(real, d.schema, csv);
  d.synthetic = to_table(syn, d.schema, csv);
  if (hold) d.holdout = to_table(*hold, d.schema, csv);
  return d;
}

nlohmann::ordered_json evaluate(const Table& real, const Table& synthetic, const Table* holdout, const Schema& schema,
                                const EvalOptions& options, const Context& ctx) {
  options.validate();
  if (real.num_rows() == 0) throw InvalidInput("the real table has no rows");
  if (synthetic.num_rows() == 0) throw InvalidInput("the synthetic table has no rows");
  if (holdout && holdout->num_rows() == 0) throw InvalidInput("the holdout table has no rows");
  const std::vector<EvalColumn> cols = describe_columns(real, schema, {&synthetic, holdout});
  if (cols.empty()) throw InvalidInput("no column to evaluate (identifiers and free text are left out)");
  // The metrics index every table by the real table's column positions.
  for (const Table* t : {&synthetic, holdout})
    for (const EvalColumn& c : cols)
      if (t && (c.index >= t->num_cols() || t->columns[c.index].name != c.name ||
                t->columns[c.index].storage != real.columns[c.index].storage))
        throw InvalidInput("column '" + c.name +
                           "' is not at the same position in every table (type them by one "
                           "schema, as load_eval_data does)");

  int target = -1;
  if (!options.target.empty()) {
    target = static_cast<int>(resolve(cols, schema, options.target, "--target"));
    if (!holdout) throw InvalidInput("--target needs --holdout: utility is measured on real rows neither model saw");
  }
  std::vector<size_t> sensitive, quasi;
  for (const std::string& n : options.quasi) quasi.push_back(resolve(cols, schema, n, "--quasi"));
  for (const std::string& n : options.sensitive) {
    sensitive.push_back(resolve(cols, schema, n, "--sensitive"));
    if (std::find(quasi.begin(), quasi.end(), sensitive.back()) != quasi.end())
      throw InvalidInput("--sensitive '" + n + "' is also a --quasi column");
  }
  if (!sensitive.empty() && quasi.empty())
    throw InvalidInput("--sensitive needs --quasi: the columns an attacker knows");

  Rng rng(ctx.seed);
  ojson report;
  report["medgen_version"] = MEDGEN_VERSION;
  ojson colj = ojson::array();
  for (const EvalColumn& c : cols)
    colj.push_back(
        {{"name", c.name}, {"kind", c.kind == Kind::kNumeric ? (c.datetime ? "datetime" : "numeric") : "categorical"}});
  report["inputs"] = {{"real", {{"rows", real.num_rows()}}},
                      {"synthetic", {{"rows", synthetic.num_rows()}}},
                      {"holdout", holdout ? ojson{{"rows", holdout->num_rows()}} : ojson(nullptr)},
                      {"columns", colj}};
  report["options"] = {{"seed", ctx.seed},
                       {"threads", ctx.threads},
                       {"pair_trends_numeric", options.spearman ? "spearman" : "pearson"},
                       {"quality_definition", options.sdmetrics ? "sdmetrics" : "medgen"},
                       {"detection_rows", options.detection_rows},
                       {"folds", options.folds},
                       {"utility_rows", options.utility_rows},
                       {"privacy_queries", options.privacy_queries},
                       {"boost_rounds", options.boost_rounds},
                       {"boost_depth", options.boost_depth}};
  ojson timings;
  auto t0 = std::chrono::steady_clock::now();
  report["fidelity"] = fidelity_section(real, synthetic, cols, options, ctx, rng.split(1), true);
  timings["fidelity"] = seconds_since(t0);
  if (holdout) {
    t0 = std::chrono::steady_clock::now();
    report["fidelity_ceiling"] = fidelity_section(real, *holdout, cols, options, ctx, rng.split(2), false);
    timings["fidelity_ceiling"] = seconds_since(t0);
  } else {
    report["fidelity_ceiling"] = nullptr;
  }
  if (target >= 0) {
    t0 = std::chrono::steady_clock::now();
    report["utility"] =
        utility_section(real, synthetic, *holdout, cols, static_cast<size_t>(target), options, ctx, rng.split(3));
    timings["utility"] = seconds_since(t0);
  } else {
    report["utility"] = nullptr;
  }
  t0 = std::chrono::steady_clock::now();
  report["privacy"] = privacy_section(real, synthetic, holdout, cols, sensitive, quasi, options, rng.split(4));
  timings["privacy"] = seconds_since(t0);

  // The headline numbers, the ones the gate and the report's first screen read.
  const ojson& f = report["fidelity"];
  const ojson& p = report["privacy"];
  ojson s;
  // First: can a boosted-tree classifier tell the synthetic rows from real ones, and how much
  // better than it tells fresh real rows (the holdout) from the training rows?
  auto boost_auc = [](const ojson& sec) -> ojson {
    if (!sec.is_object() || !sec.contains("detection") || !sec["detection"].contains("models")) return nullptr;
    for (const ojson& m : sec["detection"]["models"])
      if (m["model"] == "xgboost") return m["auc"];
    return nullptr;
  };
  s["detection_auc"] = boost_auc(f);
  s["detection_auc_holdout"] = holdout ? boost_auc(report["fidelity_ceiling"]) : ojson(nullptr);
  // Measured from max(holdout's AUC, 0.5): cross-validated AUCs fall below chance when nothing
  // separates the rows (and far below it when a patient's rows straddle the train/holdout
  // split), and a detector worse than chance is no better a baseline than chance.
  s["detection_auc_margin"] =
      s["detection_auc"].is_number() && s["detection_auc_holdout"].is_number()
          ? ojson(s["detection_auc"].get<double>() - std::max(0.5, s["detection_auc_holdout"].get<double>()))
          : ojson(nullptr);
  // The hints rank noise when the detector does no better than on fresh real rows: say whether
  // its AUC is more than two standard errors above the holdout's (or chance, without one).
  if (f.contains("detection") && f["detection"].contains("hints") && s["detection_auc"].is_number()) {
    double se = 0;
    for (const ojson& m : f["detection"]["models"])
      if (m["model"] == "xgboost" && m["auc_standard_error"].is_number()) se = m["auc_standard_error"].get<double>();
    const ojson& h = s["detection_auc_holdout"];
    const double base = std::max(0.5, h.is_number() ? h.get<double>() : 0.5);
    report["fidelity"]["detection"]["hints"]["telling"] = s["detection_auc"].get<double>() > base + 2 * se;
  }
  s["quality"] = f["quality"];
  s["quality_definition"] = f["quality_definition"];
  s["quality_alternative"] = f["quality_alternative"];
  s["column_shapes"] = f["column_shapes"]["score"];
  s["pair_trends"] = options.sdmetrics ? f["sdmetrics"]["pair_trends"]["score"] : f["pair_trends"]["score"];
  s["max_missing_difference"] = f["column_shapes"]["max_missing_difference"];
  s["detection_score"] =
      f.contains("detection") && f["detection"].contains("score") ? f["detection"]["score"] : ojson(nullptr);
  if (options.sdmetrics) {  // SDMetrics' LogisticDetection score, for comparison with published figures
    const ojson* l = f.contains("detection") && f["detection"].contains("sdmetrics_logistic")
                         ? &f["detection"]["sdmetrics_logistic"]
                         : nullptr;
    s["logistic_detection_sdmetrics"] = l && l->contains("score") ? (*l)["score"] : ojson(nullptr);
  }
  s["quality_ceiling"] = holdout ? report["fidelity_ceiling"]["quality"] : ojson(nullptr);
  s["detection_score_ceiling"] = holdout && report["fidelity_ceiling"].contains("detection") &&
                                         report["fidelity_ceiling"]["detection"].contains("score")
                                     ? report["fidelity_ceiling"]["detection"]["score"]
                                     : ojson(nullptr);
  s["exact_copy_rate"] = p["exact_copies"]["rate"];
  s["excess_exact_copy_rate"] = p["exact_copies"]["excess_rate"];
  s["dcr_median_synthetic"] = p["dcr"]["synthetic_to_train"]["median"];
  s["dcr_median_holdout"] = holdout ? p["dcr"]["holdout_to_train"]["median"] : ojson(nullptr);
  s["share_closer_to_train"] =
      p["share_closer_to_train"].is_object() ? p["share_closer_to_train"]["share"] : ojson(nullptr);
  s["membership_auc"] = p["membership_inference"].is_object() && p["membership_inference"].contains("auc")
                            ? p["membership_inference"]["auc"]
                            : ojson(nullptr);
  s["utility_ratio"] = report["utility"].is_object() && report["utility"].contains("ratio") ? report["utility"]["ratio"]
                                                                                            : ojson(nullptr);
  s["k_anonymity"] = p.contains("k_anonymity") ? p["k_anonymity"]["synthetic"]["k"] : ojson(nullptr);
  double gain = -1;
  if (p.contains("attribute_inference"))
    for (const ojson& a : p["attribute_inference"]["columns"])
      if (a.contains("gain") && a["gain"].is_number()) gain = std::max(gain, a["gain"].get<double>());
  s["attribute_inference_gain"] = gain > -1 ? ojson(gain) : ojson(nullptr);
  report["summary"] = s;
  report["timings_seconds"] = timings;

  ojson notes = ojson::array();
  notes.push_back("Detection trains on " +
                  std::to_string(std::min({options.detection_rows, real.num_rows(), synthetic.num_rows()})) +
                  " sampled rows per side; its AUC carries the standard error shown beside it.");
  notes.push_back("Distances use every training row as reference and " + std::to_string(options.privacy_queries) +
                  " sampled query rows (or all, if fewer): shares are given with their 95% margin.");
  if (!holdout)
    notes.push_back("No holdout: no ceiling scores, no utility, and no share-closer or membership-inference estimate.");
  report["notes"] = notes;
  // Summary first for a reader of the JSON file.
  ojson ordered;
  ordered["medgen_version"] = report["medgen_version"];
  ordered["summary"] = report["summary"];
  for (auto it = report.begin(); it != report.end(); ++it)
    if (it.key() != "summary" && it.key() != "medgen_version") ordered[it.key()] = *it;
  return ordered;
}

nlohmann::ordered_json evaluate(const EvalData& data, const EvalOptions& options, const Context& ctx) {
  // The left-out columns are not in the tables: name them as such, not as unknown.
  Schema left_out;
  left_out.columns = data.left_out;
  auto check = [&](const std::string& name, const char* option) {
    if (left_out.find(name) >= 0) resolve({}, left_out, name, option);
  };
  check(options.target, "--target");
  for (const std::string& n : options.quasi) check(n, "--quasi");
  for (const std::string& n : options.sensitive) check(n, "--sensitive");
  ojson r = evaluate(data.real, data.synthetic, data.has_holdout ? &data.holdout : nullptr, data.schema, options, ctx);
  r["inputs"]["real"]["path"] = data.real_path;
  r["inputs"]["synthetic"]["path"] = data.synthetic_path;
  if (data.has_holdout) r["inputs"]["holdout"]["path"] = data.holdout_path;
  r["warnings"] = data.warnings;
  return r;
}

void add_model_disclosure(nlohmann::ordered_json* report, const std::string& model_path,
                          const nlohmann::json& disclosure) {
  if (!disclosure.is_object() || !disclosure.contains("summary") || !disclosure["summary"].is_string())
    throw InvalidInput("model disclosure: expected an object with a \"summary\"");
  (*report)["model"] = ojson{{"path", model_path}, {"disclosure", disclosure}};
}

}  // namespace medgen::eval
