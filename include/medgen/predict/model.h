// A prediction model: Cox proportional hazards, logistic regression, gradient-boosted trees
// (XGBoost) or a DeepSurv-style neural network (neural.h, LibTorch plugin), with its design (how a table becomes features), its outcome definition, and for
// survival the baseline hazard that turns a linear predictor into a risk by a horizon. Saved as
// one JSON file (format "medgen-predict", version 1) holding the model and its model card.
// Thread safety: a Model is used from one thread at a time (the boosted kind holds an XGBoost
// handle, the neural kind a LibTorch module); fit_model and load_predict_model are pure apart from that.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/predict/boosted.h"
#include "medgen/predict/design.h"
#include "medgen/predict/linear.h"
#include "medgen/predict/neural.h"

namespace medgen::predict {

enum class ModelKind { kCox, kLogistic, kBoosted, kNeural };
const char* to_string(ModelKind k);
ModelKind model_kind_from_string(const std::string& s);  // "cox", "logistic", "xgboost", "deepsurv"; InvalidInput otherwise

struct FitOptions {
  std::string model = "cox";  // cox | logistic | xgboost | deepsurv
  std::string features;       // "age, log(bili), sex" ("" = every usable column)
  std::string missing;        // drop | impute | keep ("" = drop for cox/logistic, keep for xgboost)
  double l2 = 0;              // ridge penalty for cox/logistic (standardised features)
  bool tune = false;          // choose l2 (cox/logistic), depth and rounds (xgboost) or weight decay (deepsurv) by inner CV
  BoostParams boost;          // xgboost
  NeuralParams neural;        // deepsurv
  int folds = 5;              // outer cross-validation folds (2..20)
  int bootstrap = 200;        // bootstrap resamples for confidence intervals (0 = none)
  bool allow_leak = false;    // a leaking feature is a warning instead of an error
  std::string compare_features;  // also cross-validate these features on the same rows and folds: paired difference
  std::vector<std::string> groups;  // bias-audit groups: "sex", "age:50,65" (cut points)
  double threshold = std::numeric_limits<double>::quiet_NaN();  // audit's decision threshold (default: prevalence)
  void validate() const;
};

class Model {
 public:
  ModelKind kind = ModelKind::kCox;
  OutcomeSpec outcome;
  Design design;
  LinearFit linear;          // cox, logistic
  BaselineHazard baseline;   // survival (cox and xgboost): for margin 0
  Booster booster;           // xgboost
  BoostParams boost;
  NeuralParams neural;                      // deepsurv
  std::shared_ptr<NeuralSurvival> network;  // deepsurv (fitted)
  double l2 = 0;
  nlohmann::json card;       // the model card (see evaluate.h), written with the model

  Task task() const { return outcome.task(); }
  // Margins (log-odds, or log hazard ratio relative to the training mean) for a design matrix
  // x (n rows); NaN rows give NaN for cox/logistic/deepsurv. deepsurv: f(x) - f(training means).
  std::vector<double> margin(const std::vector<double>& x, size_t n) const;
  // Probabilities: binary, P(outcome); survival, P(event by the horizon) (margin when no horizon).
  std::vector<double> risk_from_margin(const std::vector<double>& margin) const;
  // Per-prediction contributions to the margin: n x (p + 1), last column the base value; each
  // row sums to margin exactly (linear: beta_j (x_j - mean_j); xgboost: tree SHAP; deepsurv:
  // baseline Shapley values against the training means, see neural.h).
  std::vector<double> contributions(const std::vector<double>& x, size_t n) const;

  nlohmann::json to_json() const;
  static Model from_json(const nlohmann::json& j, const std::string& where);
  void save(const std::string& path) const;
};

// Fits `kind` on d (built with `design`); survival models also get their baseline hazard.
Model fit_on(const Dataset& d, const Design& design, const OutcomeSpec& outcome, ModelKind kind, double l2,
             const BoostParams& boost, uint64_t seed, int threads, const NeuralParams& neural = {});

// Reads and validates a model file (untrusted: every field checked). InvalidInput/IoError.
Model load_predict_model(const std::string& path);

}  // namespace medgen::predict
