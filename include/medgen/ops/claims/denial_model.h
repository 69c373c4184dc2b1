// The learned denial model: gradient-boosted trees (XGBoost, binary:logistic) on features of a
// claim line (charge relative to the code's typical charge, units, counts of diagnoses and
// modifiers, prior authorisation present, days into and left of coverage, age, place of
// service, procedure category and payer one-hot), with reasons per prediction from XGBoost's
// tree SHAP contributions (pred_contribs), one-hot groups summed back to their feature.
//
// Model file: JSON {"format": "medgen-claims-denial", "version": 1, "features", "payers",
// "categories", "params", "training", "booster": XGBoost's own JSON model}; validated on load
// (ModelFormat).
//
// Thread safety: a loaded model may predict from one thread at a time (XGBoost booster handle).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/ops/claims/claims.h"

namespace medgen::ops::claims {

struct DenialModelParams {
  int rounds = 200;          // boosting rounds
  int max_depth = 5;         // tree depth
  double eta = 0.1;          // learning rate
  double subsample = 0.8;    // rows per tree
  uint64_t seed = 1;
  void validate() const;     // InvalidInput naming the option
};

class DenialModel {
 public:
  DenialModel();
  ~DenialModel();
  DenialModel(DenialModel&&) noexcept;
  DenialModel& operator=(DenialModel&&) noexcept;

  // Learns P(denied) from lines that carry `denied` (InvalidInput when none or one class only).
  static DenialModel train(const std::vector<ClaimLine>& lines, const RuleSet& rules, const DenialModelParams& params);
  void save(const std::string& path) const;  // write_file_atomic
  static DenialModel load(const std::string& path);

  // Probability per line, and the `top` largest positive SHAP contributions per line
  // ("charge_ratio=2.41", log-odds) when top > 0.
  std::vector<double> predict(const std::vector<ClaimLine>& lines, const RuleSet& rules, int top,
                              std::vector<std::vector<std::pair<std::string, double>>>* reasons) const;
  const nlohmann::json& info() const { return info_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  nlohmann::json info_;
};

// Rules, then (when `model` is given) the model on every line: a model finding is added when
// its probability reaches options.model_threshold.
std::vector<LineReview> review_claims(const std::vector<ClaimLine>& lines, const RuleSet& rules,
                                      const DenialModel* model, const ReviewOptions& options);

}  // namespace medgen::ops::claims
