// How good and how safe is a synthetic table? Fidelity (column shapes, pair trends, overall
// quality, detection by classifiers), utility (train on synthetic, test on real) and privacy
// (distances to closest records, membership and attribute inference, k-anonymity), as one
// JSON report that the HTML report (report_html.h) and the release gate (gate.h) read.
// Definitions and how to read each score: docs/evaluation.md.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/core/context.h"
#include "medgen/core/csv.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen::eval {

struct EvalOptions {
  std::string target;                  // utility: the column to predict (empty: no utility section)
  std::vector<std::string> sensitive;  // attribute inference: columns an attacker wants to learn
  std::vector<std::string> quasi;      // ... from these quasi-identifiers (also k-anonymity)
  bool spearman = false;               // pair trends of numeric pairs on Spearman's rho instead of Pearson's r
  bool sdmetrics = false;              // headline quality by SDMetrics 0.29's definitions (both are reported)
  bool detection = true;               // run the detection classifiers (the slowest fidelity metric)
  size_t detection_rows = 10000;       // rows per side (real, synthetic) sampled for detection
  int folds = 3;                       // stratified cross-validation folds for detection
  size_t utility_rows = 10000;         // training rows sampled for TSTR / TRTR
  size_t privacy_queries = 1000;       // query rows sampled per distance metric (references: whole tables)
  int boost_rounds = 50;               // XGBoost rounds (detection and utility)
  int boost_depth = 4;                 // XGBoost tree depth
  size_t chart_columns = 60;           // per-column charts in the report (the first this many columns)

  // InvalidInput naming the option when a value is out of range.
  void validate() const;
};

// The three tables, typed by one schema (same columns, same category dictionaries).
struct EvalData {
  Schema schema;
  Table real, synthetic, holdout;
  bool has_holdout = false;
  std::string real_path, synthetic_path, holdout_path;
  std::vector<std::string> warnings;   // schema inference notes, columns the synthetic file adds
  std::vector<ColumnSchema> left_out;  // identifier and free-text columns: not in `schema`, never scored
};

struct EvalFiles {
  std::string real, synthetic, holdout;  // CSV paths (holdout optional)
  std::string schema;                    // schema JSON (empty: inferred from the real file)
};

// Reads the files and types them by one schema: given, or inferred from the real file and
// widened by the category labels the synthetic and holdout files add (an unseen level is a
// fidelity defect to score, not an input error). InvalidInput (file:line:column) for files
// without data rows, a column of the schema missing from a file, or values that do not
// parse by the schema. Identifier and free-text columns are left out of the schema (and need
// not be in the synthetic file).
EvalData load_eval_data(const EvalFiles& files, const CsvOptions& csv = {});

// The same from tables already parsed (the Python package's data frames): holdout and schema
// may be null (no holdout; infer the schema from `real`). Each table's `source` names it in
// messages and in the report. InvalidInput as above.
EvalData load_eval_data(const RawTable& real, const RawTable& synthetic, const RawTable* holdout, const Schema* schema,
                        const CsvOptions& csv = {});

// Computes every metric. `holdout` may be null (no ceiling scores, no utility, and the privacy
// metrics that need fresh real records are reported as not measured). InvalidInput when
// options name unknown or unusable columns (target, sensitive, quasi), or when a table has no
// rows. Deterministic from ctx.seed; ctx.threads is given to XGBoost, the rest runs on one
// thread.
nlohmann::ordered_json evaluate(const Table& real, const Table& synthetic, const Table* holdout, const Schema& schema,
                                const EvalOptions& options, const Context& ctx);

// evaluate() on loaded files, with their names and the loading warnings in the report.
nlohmann::ordered_json evaluate(const EvalData& data, const EvalOptions& options, const Context& ctx);

// Adds report["model"]: what the model file that produced the synthetic table stores about
// the real data, so the report says what sharing that file would reveal. `disclosure` is
// tabular::model_disclosure_json(header) (kept as JSON so that eval does not link the
// synthesizers). The HTML report renders it as a "Model file" section. InvalidInput when
// disclosure is not an object with a "summary" string.
void add_model_disclosure(nlohmann::ordered_json* report, const std::string& model_path,
                          const nlohmann::json& disclosure);

}  // namespace medgen::eval
