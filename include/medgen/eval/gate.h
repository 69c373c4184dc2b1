// The release gate: thresholds on the report's headline numbers (evaluate.h) that a
// data-protection officer can set once and apply to every synthetic release. A gate file is a
// JSON object with any of the keys below; a key left out keeps its default, null switches the
// check off, unknown keys are errors. Defaults and their reasons: docs/evaluation.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace medgen::eval {

// The CLI's exit status when the report was written but the gate failed (2 stays "bad input").
constexpr int kGateFailedExitCode = 3;

struct Gate {
  // summary.detection_auc_margin: XGBoost's detection AUC on the synthetic rows minus its AUC
  // on the holdout (or 0.5 when that is lower), so "detection_auc <= holdout's + margin" (off
  // by default; needs a holdout).
  std::optional<double> max_detection_auc_margin;
  std::optional<double> min_quality = 0.8;                // summary.quality (fidelity, 0..1)
  std::optional<double> min_detection_score;              // summary.detection_score (off by default)
  std::optional<double> max_membership_auc = 0.6;         // summary.membership_auc (0.5 is ideal)
  std::optional<double> max_exact_copy_rate = 0.0;        // summary.excess_exact_copy_rate (beyond the holdout's)
  std::optional<double> max_share_closer_to_train = 0.6;  // summary.share_closer_to_train (0.5 is ideal)
  std::optional<double> min_utility_ratio = 0.8;          // summary.utility_ratio, when --target was given
  std::optional<double> min_k_anonymity;                  // summary.k_anonymity, when --quasi was given (off)
  std::optional<double> max_attribute_inference_gain;     // summary.attribute_inference_gain (off)
  bool require_holdout = true;  // fail when the privacy checks that need a holdout could not run

  // Strict: unknown keys and values that are neither numbers nor null are InvalidInput naming
  // the source and the key.
  static Gate from_json(const nlohmann::json& j, const std::string& source = "<gate>");
  // IoError when unreadable, InvalidInput (path: ...) when not valid JSON or not a gate.
  static Gate read(const std::string& path);
  nlohmann::ordered_json to_json() const;
};

struct GateCheck {
  std::string key;              // the gate key, e.g. "min_quality"
  std::optional<double> value;  // the report's number (none: not measured)
  double threshold = 0;
  bool passed = true;
  std::string message;  // one line: "quality 0.62 < min_quality 0.8"
};

struct GateResult {
  bool passed = true;
  std::vector<GateCheck> checks;  // every check that was switched on
  std::vector<std::string> failures() const;
  nlohmann::ordered_json to_json() const;
};

// Applies the gate to a report from evaluate().
GateResult apply_gate(const nlohmann::ordered_json& report, const Gate& gate);

}  // namespace medgen::eval
