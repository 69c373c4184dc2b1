// Trained on pima2 and colon, each neural synthesizer must beat the independent-columns
// baseline (exact marginals, no dependence) on pairwise-correlation error and on a
// k-nearest-neighbour discriminator test (test_util.h). Labelled slow: full training runs.
//
// The margins come from repeated seeds, not from one run. Another CPU (other OpenBLAS and
// ATen kernels, other rounding) trains like another seed, so a comparison that holds for one
// seed by a hair fails elsewhere (it did: ctgan on pima2, 0.649 against 0.621, on an AVX2
// machine). bench_quality_spread measured each score's spread over five seeds
// (docs/benchmarks.md, "Quality across seeds"); every comparison below averages enough seeds
// that the measured gap is at least four standard deviations of the difference of the means,
// and the test prints both means with their spread.
#include <gtest/gtest.h>

#include <cstdio>

#include "medgen/tabular/pipeline.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

using Spread = test::QualitySpread;

// Fits `model` with seeds 1..seeds and prints the means with their spread.
Spread scores(const std::string& model, const json& params, const test::Loaded& real, int seeds) {
  const Spread r = test::quality_over_seeds(model, params, real, seeds);
  std::printf("%-12s %d seed(s): corr_error %.4f (sd %.4f)  knn_same_share %.4f (sd %.4f)\n", model.c_str(), seeds,
              r.corr_mean, r.corr_sd, r.knn_mean, r.knn_sd);
  return r;
}

void beats_independent(const std::string& model, const json& params, const std::string& dataset, int seeds) {
  const test::Loaded real = test::load(test::data_dir() + "/" + dataset + ".csv");
  const Spread base = scores("independent", json::object(), real, 5);  // cheap: five seeds
  const Spread s = scores(model, params, real, seeds);
  EXPECT_LT(s.corr_mean, base.corr_mean) << model << " on " << dataset;
  EXPECT_LT(s.knn_mean, base.knn_mean) << model << " on " << dataset;
}

}  // namespace

// Measured spread over five seeds (bench_quality_spread, AMD EPYC with AVX-512, default
// kernels): independent columns on pima2 correlation error 0.219 (sd 0.005), discriminator
// share 0.638 (sd 0.014); on colon 0.065 (0.002) and 0.590 (0.003). tvae on pima2 0.144
// (0.012) and 0.589 (0.004); on colon 0.042 (0.004) and 0.550 (0.007). One tvae seed against
// five baseline seeds leaves every gap above five standard deviations of the difference.
TEST(NeuralQuality, TvaeBeatsIndependentOnPima2) { beats_independent("tvae", json::object(), "pima2", 1); }
TEST(NeuralQuality, TvaeBeatsIndependentOnColon) { beats_independent("tvae", json::object(), "colon", 1); }

// CTGAN on a small table needs batches of 100 and thousands of steps (pima2: 800 epochs, 5,600
// steps), as docs/cli.md advises. So trained (three seeds): correlation error 0.128 (sd 0.033),
// discriminator share 0.639 (sd 0.012). It learns the correlations, but its discriminator share
// sits on the baseline's 0.638: it does not beat independent columns there, and the test no
// longer claims it (an earlier version did, from one seed, and failed on another CPU). What it
// must do: learn the correlations (mean of three seeds: the gap is about five standard
// deviations), and stay far from separable (share below 0.70, five standard deviations above
// its mean; a collapsed generator scores above 0.9).
TEST(NeuralQuality, CtganLearnsCorrelationsOnPima2) {
  const test::Loaded real = test::load(test::data_dir() + "/pima2.csv");
  const Spread base = scores("independent", json::object(), real, 5);
  const Spread s = scores("ctgan", {{"batch_size", 100}, {"epochs", 800}}, real, 3);
  EXPECT_LT(s.corr_mean, base.corr_mean);
  EXPECT_LT(s.knn_mean, 0.70);
}
