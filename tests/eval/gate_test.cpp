// The gate: strict files, defaults, and what a missing measurement does.
#include "medgen/eval/gate.h"

#include <gtest/gtest.h>

#include "medgen/core/error.h"

using namespace medgen;
using namespace medgen::eval;
using json = nlohmann::ordered_json;

namespace {

json report(double quality, json membership, bool holdout) {
  json r;
  r["inputs"]["holdout"] = holdout ? json{{"rows", 10}} : json(nullptr);
  r["summary"] = {{"quality", quality},
                  {"detection_score", 0.7},
                  {"membership_auc", membership},
                  {"excess_exact_copy_rate", 0.0},
                  {"share_closer_to_train", holdout ? json(0.5) : json(nullptr)},
                  {"utility_ratio", nullptr},
                  {"k_anonymity", nullptr},
                  {"attribute_inference_gain", nullptr}};
  return r;
}

}  // namespace

TEST(Gate, DefaultsPassAGoodReportAndNameTheFailedThreshold) {
  EXPECT_TRUE(apply_gate(report(0.9, 0.52, true), Gate{}).passed);
  const GateResult g = apply_gate(report(0.62, 0.52, true), Gate{});
  ASSERT_FALSE(g.passed);
  ASSERT_EQ(g.failures().size(), 1u);
  EXPECT_EQ(g.failures()[0], "quality 0.62 < min_quality 0.8");
}

TEST(Gate, FileOverridesDisablesAndRejectsUnknownKeys) {
  Gate g = Gate::from_json(json::parse(R"({"min_quality": 0.95, "max_membership_auc": null})"));
  EXPECT_EQ(*g.min_quality, 0.95);
  EXPECT_FALSE(g.max_membership_auc.has_value());
  EXPECT_EQ(*g.max_share_closer_to_train, 0.6);  // untouched keys keep their defaults
  EXPECT_FALSE(apply_gate(report(0.9, 0.52, true), g).passed);
  try {
    Gate::from_json(json::parse(R"({"min_qualty": 0.9})"), "g.json");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("g.json: unknown key 'min_qualty'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Gate::from_json(json::parse(R"({"min_quality": "high"})")), InvalidInput);
  EXPECT_THROW(Gate::from_json(json::parse(R"([1])")), InvalidInput);
  EXPECT_THROW(Gate::from_json(json::parse(R"({"require_holdout": 1})")), InvalidInput);
}

TEST(Gate, PrivacyChecksNeedAHoldoutUnlessToldOtherwise) {
  const GateResult strict = apply_gate(report(0.9, nullptr, false), Gate{});
  EXPECT_FALSE(strict.passed);
  EXPECT_NE(strict.failures()[0].find("needs --holdout"), std::string::npos);
  Gate lax;
  lax.require_holdout = false;
  EXPECT_TRUE(apply_gate(report(0.9, nullptr, false), lax).passed);
  // With a holdout, a privacy number that could not be measured fails rather than passes.
  EXPECT_FALSE(apply_gate(report(0.9, nullptr, true), Gate{}).passed);
}

TEST(Gate, DetectionMarginIsOptInAndBoundsTheAucAboveTheHoldouts) {
  json r = report(0.9, 0.52, true);
  r["summary"]["detection_auc"] = 0.83;
  r["summary"]["detection_auc_holdout"] = 0.52;
  r["summary"]["detection_auc_margin"] = 0.83 - 0.52;
  // Off by default (issue notes: opt-in until a synthesizer meets it on the shared data).
  EXPECT_FALSE(Gate{}.max_detection_auc_margin.has_value());
  EXPECT_TRUE(apply_gate(r, Gate{}).passed);
  EXPECT_TRUE(Gate{}.to_json()["max_detection_auc_margin"].is_null());
  const Gate g = Gate::from_json(json::parse(R"({"max_detection_auc_margin": 0.1})"));
  const GateResult res = apply_gate(r, g);
  ASSERT_FALSE(res.passed);
  ASSERT_EQ(res.failures().size(), 1u);
  EXPECT_EQ(res.failures()[0],
            "detection_auc 0.83 - holdout 0.52 = detection_auc_margin 0.31 > max_detection_auc_margin 0.1");
  r["summary"]["detection_auc"] = 0.58;
  r["summary"]["detection_auc_margin"] = 0.58 - 0.52;
  EXPECT_TRUE(apply_gate(r, g).passed);
  // A holdout AUC below chance (cross-validation's bias) is named, and 0.5 is the baseline.
  r["summary"]["detection_auc"] = 0.65;
  r["summary"]["detection_auc_holdout"] = 0.37;
  r["summary"]["detection_auc_margin"] = 0.65 - 0.5;
  EXPECT_EQ(apply_gate(r, g).failures()[0],
            "detection_auc 0.65 - 0.5 (holdout 0.37) = detection_auc_margin 0.15 > max_detection_auc_margin 0.1");
  // No holdout: the margin cannot be measured, which fails unless require_holdout is false.
  json n = report(0.9, nullptr, false);
  n["summary"]["detection_auc_margin"] = nullptr;
  Gate only = g;
  only.max_membership_auc = only.max_share_closer_to_train = std::nullopt;
  EXPECT_FALSE(apply_gate(n, only).passed);
  only.require_holdout = false;
  EXPECT_TRUE(apply_gate(n, only).passed);
}
