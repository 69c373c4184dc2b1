#include "medgen/eval/gate.h"

#include <cstdio>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"

namespace medgen::eval {

namespace {

// One gate key: the summary number it reads, which way it points, and whether a missing
// number (not measured) is a failure or only a note.
struct Spec {
  const char* key;
  std::optional<double> Gate::*field;
  const char* summary;  // key in report["summary"]
  bool is_min;          // threshold is a minimum (value >= threshold passes)
  enum Missing { kFail, kSkip, kNeedsHoldout } missing;
};

const Spec kSpecs[] = {
    {"max_detection_auc_margin", &Gate::max_detection_auc_margin, "detection_auc_margin", false, Spec::kNeedsHoldout},
    {"min_quality", &Gate::min_quality, "quality", true, Spec::kFail},
    {"min_detection_score", &Gate::min_detection_score, "detection_score", true, Spec::kFail},
    {"max_membership_auc", &Gate::max_membership_auc, "membership_auc", false, Spec::kNeedsHoldout},
    {"max_exact_copy_rate", &Gate::max_exact_copy_rate, "excess_exact_copy_rate", false, Spec::kFail},
    {"max_share_closer_to_train", &Gate::max_share_closer_to_train, "share_closer_to_train", false,
     Spec::kNeedsHoldout},
    {"min_utility_ratio", &Gate::min_utility_ratio, "utility_ratio", true, Spec::kSkip},
    {"min_k_anonymity", &Gate::min_k_anonymity, "k_anonymity", true, Spec::kSkip},
    {"max_attribute_inference_gain", &Gate::max_attribute_inference_gain, "attribute_inference_gain", false,
     Spec::kSkip},
};

std::string g(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

}  // namespace

Gate Gate::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw InvalidInput(source + ": a gate is a JSON object of thresholds");
  Gate gate;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "require_holdout") {
      if (!it->is_boolean()) throw InvalidInput(source + ": 'require_holdout' must be true or false");
      gate.require_holdout = it->get<bool>();
      continue;
    }
    const Spec* spec = nullptr;
    for (const Spec& s : kSpecs)
      if (it.key() == s.key) spec = &s;
    if (!spec) {
      std::string known = "require_holdout";
      for (const Spec& s : kSpecs) known += std::string(", ") + s.key;
      throw InvalidInput(source + ": unknown key '" + it.key() + "' (known: " + known + ")");
    }
    if (it->is_null())
      gate.*(spec->field) = std::nullopt;
    else if (it->is_number())
      gate.*(spec->field) = it->get<double>();
    else
      throw InvalidInput(source + ": '" + it.key() + "' must be a number or null, got " + it->dump());
  }
  return gate;
}

Gate Gate::read(const std::string& path) {
  const std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInput(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  return from_json(j, path);
}

nlohmann::ordered_json Gate::to_json() const {
  nlohmann::ordered_json j;
  for (const Spec& s : kSpecs) j[s.key] = (this->*(s.field)) ? nlohmann::ordered_json(*(this->*(s.field))) : nullptr;
  j["require_holdout"] = require_holdout;
  return j;
}

GateResult apply_gate(const nlohmann::ordered_json& report, const Gate& gate) {
  GateResult r;
  const nlohmann::ordered_json& summary = report.at("summary");
  const bool has_holdout =
      report.contains("inputs") && report["inputs"].contains("holdout") && !report["inputs"]["holdout"].is_null();
  for (const Spec& s : kSpecs) {
    const std::optional<double>& t = gate.*(s.field);
    if (!t) continue;
    GateCheck c;
    c.key = s.key;
    c.threshold = *t;
    const auto v = summary.find(s.summary);
    if (v != summary.end() && v->is_number()) {
      c.value = v->get<double>();
      c.passed = s.is_min ? *c.value >= *t : *c.value <= *t;
      c.message = std::string(s.summary) + " " + g(*c.value) +
                  (c.passed ? (s.is_min ? " >= " : " <= ") : (s.is_min ? " < " : " > ")) + s.key + " " + g(*t);
      // The margin with the AUCs it comes from: "detection_auc 0.8 - holdout 0.54 = ...", or
      // "- 0.5 (holdout 0.42) = ..." when the holdout's AUC is below chance.
      const auto a = summary.find("detection_auc"), h = summary.find("detection_auc_holdout");
      if (c.key == "max_detection_auc_margin" && a != summary.end() && a->is_number() && h != summary.end() &&
          h->is_number()) {
        const double hv = h->get<double>();
        c.message = "detection_auc " + g(a->get<double>()) +
                    (hv >= 0.5 ? " - holdout " + g(hv) : " - 0.5 (holdout " + g(hv) + ")") + " = " + c.message;
      }
    } else if (s.missing == Spec::kNeedsHoldout && !has_holdout) {
      c.passed = !gate.require_holdout;
      c.message =
          std::string(s.summary) + " not measured (needs --holdout)" + (c.passed ? "" : "; require_holdout is true");
    } else if (s.missing == Spec::kFail || s.missing == Spec::kNeedsHoldout) {
      c.passed = false;
      c.message = std::string(s.summary) + " could not be measured, so " + s.key + " " + g(*t) + " cannot pass";
    } else {
      c.message = std::string(s.summary) + " not measured (skipped)";
    }
    if (!c.passed) r.passed = false;
    r.checks.push_back(std::move(c));
  }
  return r;
}

std::vector<std::string> GateResult::failures() const {
  std::vector<std::string> out;
  for (const GateCheck& c : checks)
    if (!c.passed) out.push_back(c.message);
  return out;
}

nlohmann::ordered_json GateResult::to_json() const {
  nlohmann::ordered_json checks_j = nlohmann::ordered_json::array();
  for (const GateCheck& c : checks)
    checks_j.push_back({{"key", c.key},
                        {"threshold", c.threshold},
                        {"value", c.value ? nlohmann::ordered_json(*c.value) : nullptr},
                        {"passed", c.passed},
                        {"message", c.message}});
  return {{"passed", passed}, {"checks", checks_j}};
}

}  // namespace medgen::eval
