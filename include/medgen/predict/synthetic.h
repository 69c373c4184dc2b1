// What generative models add to prediction, measured on real held-out rows only. The real table
// is split once (stratified by outcome; test_share held out and never used to train, tune or fit
// a synthesizer). Train-on-synthetic-test-on-real (TSTR): a medgen synthesizer (copula, cart, ...)
// learns the training rows, as many synthetic rows are drawn, the same model is fitted on them
// and scored on the real test rows beside the model fitted on the real training rows. Augmentation
// (binary outcomes): the minority (positive outcomes, or a group "column=value") is topped up to
// the majority's size by (a) reweighting (duplicating rows), (b) SMOTE-like interpolation between
// a minority row and one of its 5 nearest minority neighbours in standardised feature space, (c)
// conditional sampling from the synthesizer (condition on the outcome/group; where the column
// is not categorical, rejection sampling); each is scored on the real test rows (overall and in
// the group): AUROC, recall and precision at the training prevalence, calibration slope, Brier,
// with the change against no augmentation and a verdict.
// Thread safety: pure apart from XGBoost's and the synthesizers' own threads.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/predict/evaluate.h"

namespace medgen::predict {

struct SyntheticOptions {
  std::string synthesizer = "cart";  // any registered synthesizer without LibTorch: copula, cart
  double test_share = 0.3;           // real rows held out for testing
  std::string group;                 // "column=value": augment and score this group ("" = positive outcomes)
};

nlohmann::json synthetic_experiment(const TrainInput& in, const SyntheticOptions& options, const Context& ctx);

}  // namespace medgen::predict
