// Claim review speed: payer-rule lines per second on one thread (floor: >= 100,000), plus CSV
// parsing and the denial model's scoring for context. Prints JSON lines (docs/ops-admin.md).
//   bench_claims [--patients N] [--reps R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "medgen/ops/claims/claims.h"
#include "medgen/ops/claims/denial_model.h"

using namespace medgen::ops::claims;
using clk = std::chrono::steady_clock;

static double seconds_since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }

int main(int argc, char** argv) {
  size_t patients = 40000;
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--patients")) patients = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
  }
  const RuleSet rules = RuleSet::load(std::string(MEDGEN_SOURCE_DIR) + "/data/ops/claims");
  GenerateOptions g;
  g.patients = patients;
  g.seed = 1;
  auto t0 = clk::now();
  const std::vector<ClaimLine> lines = generate_claims(rules, g);
  const double gen_s = seconds_since(t0);
  const std::string csv = claims_to_csv(lines);
  std::vector<double> parse, review;
  size_t flagged = 0;
  for (int r = 0; r < reps; ++r) {
    t0 = clk::now();
    const auto parsed = parse_claims_csv(csv, "bench.csv");
    parse.push_back(seconds_since(t0));
    t0 = clk::now();
    const auto rv = rules.review(parsed, ReviewOptions{});
    review.push_back(seconds_since(t0));
    flagged = 0;
    for (const auto& x : rv) flagged += x.denied;
  }
  std::sort(parse.begin(), parse.end());
  std::sort(review.begin(), review.end());
  const double med_review = review[review.size() / 2], med_parse = parse[parse.size() / 2];
  std::printf("{\"bench\":\"claims_rules\",\"lines\":%zu,\"flagged\":%zu,\"threads\":1,\"reps\":%d,"
              "\"review_s_median\":%.4f,\"rule_lines_per_s\":%.0f,\"floor_lines_per_s\":100000,\"meets_floor\":%s}\n",
              lines.size(), flagged, reps, med_review, lines.size() / med_review,
              lines.size() / med_review >= 100000 ? "true" : "false");
  std::printf("{\"bench\":\"claims_csv_parse\",\"lines\":%zu,\"bytes\":%zu,\"parse_s_median\":%.4f,\"lines_per_s\":%.0f}\n",
              lines.size(), csv.size(), med_parse, lines.size() / med_parse);
  std::printf("{\"bench\":\"claims_generate\",\"lines\":%zu,\"seconds\":%.3f}\n", lines.size(), gen_s);
  // The model: train on a quarter, score everything.
  std::vector<ClaimLine> train(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(lines.size() / 4));
  DenialModelParams p;
  t0 = clk::now();
  const DenialModel m = DenialModel::train(train, rules, p);
  const double train_s = seconds_since(t0);
  std::vector<std::vector<std::pair<std::string, double>>> reasons;
  t0 = clk::now();
  m.predict(lines, rules, 3, &reasons);
  const double score_s = seconds_since(t0);
  std::printf("{\"bench\":\"claims_model\",\"train_lines\":%zu,\"train_s\":%.3f,\"scored_lines\":%zu,"
              "\"score_with_shap_s\":%.3f,\"lines_per_s\":%.0f}\n",
              train.size(), train_s, lines.size(), score_s, lines.size() / score_s);
  return 0;
}
