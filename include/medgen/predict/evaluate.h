// Training with honest evaluation, and what a model card holds. train_and_evaluate fits the final
// model on every usable row and measures it by k-fold cross-validation (stratified by outcome;
// tuning, when asked for, happens inside each training fold: nested), on out-of-fold
// predictions only: discrimination (AUROC or Harrell's c and time-dependent AUC at the horizon),
// calibration (slope, intercept, Brier, risk groups), decision curves, all with percentile
// bootstrap intervals; explanations (coefficients, global importance from per-prediction
// contributions with its stability across folds, partial dependence); and, for the groups asked
// for, the bias audit (audit.h). The card follows TRIPOD's headings (source of data,
// participants, outcome, predictors, sample size, missing data, model development, performance,
// limitations).
// Thread safety: pure functions apart from XGBoost's own threads (ctx.threads).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/predict/model.h"

namespace medgen::predict {

struct TrainInput {
  const Table* table = nullptr;
  const Schema* schema = nullptr;
  std::string source;   // file name for messages and the card
  std::string sha256;   // of the input bytes (provenance)
  OutcomeSpec outcome;
  FitOptions options;
  nlohmann::json landmark;  // landmark_table's report when the table came from a record (landmark.h); null otherwise
};

struct TrainResult {
  Model model;  // model.card filled in
  std::vector<std::string> warnings;
};

TrainResult train_and_evaluate(const TrainInput& in, const Context& ctx);

// Scores a table with a model: per row the risk, the margin and the contributions (named),
// and, where the table has the outcome, nothing more (use audit for that). Rows the model cannot
// score (missing feature under "drop") get null risk and a reason.
nlohmann::json apply_model(const Model& model, const Table& table, size_t top_contributions = 0);

// Folds 0..k-1 for rows with binary labels `label` (stratified, shuffled from seed).
std::vector<int> stratified_folds(const std::vector<int>& label, int k, uint64_t seed);

}  // namespace medgen::predict
