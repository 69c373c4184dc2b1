// The parser against the phrasing set (tests/sim/data/parse_set.tsv): the figures in
// docs/simulation.md come from `medgen sim parse-eval tests/sim/data/parse_set.tsv`; this test keeps
// a floor under them so that a parser change that loses phrasings fails.
#include <gtest/gtest.h>

#include <cstdio>

#include "medgen/sim/parse_eval.h"
#include "sim_test_util.h"

namespace medgen::sim::test {
namespace {

TEST(ParseEval, SetHasFiveHundredPhrasingsAndTheParserKeepsItsAccuracy) {
  const ParseEvalReport r =
      evaluate_parser(std::string(MEDGEN_SOURCE_DIR) + "/tests/sim/data/parse_set.tsv", catalog());
  std::printf("%s", r.to_text().c_str());
  for (const auto& [split, s] : r.splits)
    for (const auto& f : s.failures) std::printf("  [%s] %s\n", split.c_str(), f.c_str());
  ASSERT_GE(r.splits.at("all").rows, 500u);
  EXPECT_GE(r.splits.at("dev").exact, 0.95 * r.splits.at("dev").rows);
  EXPECT_GE(r.splits.at("heldout").exact, 0.90 * r.splits.at("heldout").rows);
  // Procedures (issue 19 item 6: CPR, defibrillation and cardioversion in joules, pacing), written for the
  // purpose and split before the parser was written for them.
  EXPECT_GE(r.splits.at("proc-dev").exact, 0.95 * r.splits.at("proc-dev").rows);
  EXPECT_GE(r.splits.at("proc-heldout").exact, 0.90 * r.splits.at("proc-heldout").rows);
  // Issue 19 item 5, third set (pericardiocentesis, heparin, alteplase, dexamethasone, CTPA, lumbar puncture):
  // 24 phrasings written before the parser was run on them, split at once. The held-out floor is what the first
  // run gave (10 of 12): "bolus of unfractionated heparin 80 u/kg" and "thrombolyse with rtpa 100 mg over 120 min"
  // (read as the thrombolysis procedure) still fail.
  EXPECT_GE(r.splits.at("v3-dev").exact, 0.95 * r.splits.at("v3-dev").rows);
  EXPECT_GE(r.splits.at("v3-heldout").exact, 0.80 * r.splits.at("v3-heldout").rows);
}

}  // namespace
}  // namespace medgen::sim::test
