// Gradient-boosted trees through XGBoost's C API: binary:logistic for a binary outcome and
// survival:cox (Cox partial likelihood) for time to event. Predictions are margins (log-odds or
// log hazard ratios); per-prediction explanations are XGBoost's tree SHAP values
// (pred_contribs), which add up to the margin exactly.
// Thread safety: a Booster owns an XGBoost handle; use each from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::predict {

struct BoostParams {
  int rounds = 200;            // boosting rounds
  int max_depth = 3;           // tree depth
  double eta = 0.05;           // learning rate
  double subsample = 0.8;      // rows per tree
  double colsample = 0.8;      // features per tree
  double min_child_weight = 1; // minimum hessian in a leaf
  double lambda = 1;           // L2 on leaf weights
  nlohmann::json to_json() const;
  static BoostParams from_json(const nlohmann::json& j);
  void validate() const;  // InvalidInput naming the parameter
};

class Booster {
 public:
  Booster();
  ~Booster();
  Booster(Booster&&) noexcept;
  Booster& operator=(Booster&&) noexcept;

  // survival: labels are time with event (time > 0); binary: y 0/1 (time/event ignored).
  // x: n x p row-major, NaN = missing (XGBoost's default direction).
  void fit(const std::vector<double>& x, size_t n, size_t p, bool survival, const std::vector<double>& y,
           const std::vector<double>& time, const std::vector<int>& event, const BoostParams& params,
           uint64_t seed, int threads);
  // Margins (log-odds, or log hazard ratio) for x (n x p).
  std::vector<double> margin(const std::vector<double>& x, size_t n) const;
  // Tree SHAP: n x (p + 1), the last column the bias; each row sums to the margin.
  std::vector<double> contributions(const std::vector<double>& x, size_t n) const;
  size_t num_features() const { return p_; }

  // The model as XGBoost's JSON (a string); from_json validates what XGBoost accepts.
  std::string save() const;
  void load(const std::string& model_json, size_t p, const std::string& where);

 private:
  void* handle_ = nullptr;
  size_t p_ = 0;
};

}  // namespace medgen::predict
