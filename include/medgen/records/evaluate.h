// How good and how safe is a synthetic dataset of several tables (patients, their visits and
// lab series)? The single-table evaluation (eval/evaluate.h) judges each table on its own; this
// one judges what only the links and the order in time carry: how many children each parent
// has, the gaps between events, each series' course over time and its persistence within a
// patient, the relation between a patient's attributes and their events, whole patients
// (detection, privacy), and the use of early records to predict an outcome (utility).
//
// Every metric is computed twice: the synthetic dataset against the real (training) one, and
// a holdout of real patients the synthesizer never saw against the same real dataset: the
// ceiling, what fresh real patients reach. Definitions and how to read them:
// docs/records.md ("Evaluating records").
//
// Thread safety: pure functions of their arguments; ctx.threads goes to XGBoost.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/eval/evaluate.h"
#include "medgen/eval/gate.h"
#include "medgen/records/dataset.h"

namespace medgen::records {

// The per-table options' defaults: detection off (the patient-level detection below is the one
// that sees the links), fewer distance queries.
inline eval::EvalOptions default_table_eval_options() {
  eval::EvalOptions o;
  o.detection = false;
  o.detection_rows = 2000;
  o.privacy_queries = 300;
  o.chart_columns = 0;
  return o;
}

struct RecordEvalOptions {
  size_t max_entities = 2000;  // patients (root entities) sampled per dataset, with all their rows
  // Per-table fidelity: eval::evaluate on each table's non-key columns with these options
  // (target, sensitive and quasi must stay empty).
  eval::EvalOptions table = default_table_eval_options();
  bool table_fidelity = true;      // run the per-table section at all
  size_t trajectory_bins = 8;      // time bins of the trajectories (quantiles of the real event times)
  size_t max_series = 40;          // series per sequence table (long format: the most frequent levels)
  size_t count_bins = 20;          // child counts of this many or more share one histogram bin
  size_t sequence_length = 16;     // events per patient compared by the sequence distance
  bool detection = true;           // patient-summary detection (XGBoost and logistic, cross-validated)
  int folds = 3;                   // folds of the detection cross-validation, in [2, 10]
  int boost_rounds = 50;           // XGBoost rounds (detection, utility)
  int boost_depth = 4;             // XGBoost depth
  // Utility: a column of the root table to predict (empty: no utility section; needs a
  // holdout) from the root's other columns and the first `window` time units of each
  // sequence table.
  std::string outcome;
  double window = 365;
  // Root columns never used as features (e.g. follow-up time). A root column named by any
  // table's end_column (end of follow-up) is left out without being listed.
  std::vector<std::string> exclude;
  size_t gap_bins = 30;            // bins of the report's gap histograms (up to the real 99th percentile)

  // InvalidInput naming the option when a value is out of range.
  void validate() const;
};

// The report as JSON: summary (headline numbers, each with its holdout ceiling), inputs,
// options, tables (per-table fidelity), child_counts, gaps, trajectories, parent_child,
// patients (summaries: detection, privacy), utility, timings_seconds, notes. `real` and
// `synthetic` (and `holdout`, may be null: no ceilings, no membership inference) are typed by
// real.schema (same tables, columns and category labels, as read_dataset gives). InvalidInput
// when a dataset has no patients, the tables do not match the schema, an option is out of
// range or names an unknown or unusable column, or `outcome` is given without a holdout.
// Deterministic from ctx.seed; ctx.threads goes to XGBoost.
nlohmann::ordered_json evaluate_records(const Dataset& real, const Dataset& synthetic, const Dataset* holdout,
                                        const RecordEvalOptions& options, const Context& ctx);

// The release gate (eval/gate.h) on a records report: its headline numbers under the keys the
// gate reads (quality = per-table quality; detection_auc and its holdout value and margin =
// whole-patient detection; membership_auc; excess_exact_copy_rate and share_closer_to_train =
// patient summaries; utility_ratio), a null where the report has none. apply_records_gate
// adds report["gate"] (the verdict and its thresholds) and returns the verdict.
nlohmann::ordered_json records_gate_summary(const nlohmann::ordered_json& report);
eval::GateResult apply_records_gate(nlohmann::ordered_json& report, const eval::Gate& gate);

// The report as one self-contained HTML page (inline CSS and SVG, no script, no network):
// headline table, per-series mean trajectories with bands (real, synthetic, holdout), child-
// count and gap histograms, and every table of scores. Charts carry class "chart" and a kind:
// trajectory-chart (data-series = "table.series"), count-chart, gap-chart.
std::string render_records_html(const nlohmann::ordered_json& report);

// Renders the page and writes the JSON and/or HTML files (an empty path is skipped), all or
// nothing (core/file.h write_files_atomic).
void write_records_report(const nlohmann::ordered_json& report, const std::string& json_path,
                          const std::string& html_path);

}  // namespace medgen::records
