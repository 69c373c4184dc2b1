// Trained on pima2 and colon, each neural synthesizer must beat the independent-columns
// baseline (exact marginals, no dependence) on pairwise-correlation error and on a
// k-nearest-neighbour discriminator test (test_util.h). Labelled slow: full training runs.
#include <gtest/gtest.h>

#include <cstdio>

#include "medgen/tabular/pipeline.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

struct Scores {
  double correlation = 0, detection = 0;
};

Scores score(const std::string& model, const json& params, const test::Loaded& real, uint64_t seed) {
  Context ctx;
  ctx.seed = seed;
  auto synth = create_synthesizer(model, params);
  synth->fit(real.table, real.schema, ctx);
  const Table syn = synth->sample(real.table.num_rows(), {}, ctx);
  Scores s{correlation_error(real.table, syn, real.schema), test::knn_detection(real.table, syn, real.schema)};
  std::printf("%-12s corr_error %.4f  knn_same_share %.4f\n", model.c_str(), s.correlation, s.detection);
  return s;
}

void beats_independent(const std::string& model, const json& params, const std::string& dataset) {
  const test::Loaded real = test::load(test::data_dir() + "/" + dataset + ".csv");
  const Scores base = score("independent", json::object(), real, 5);
  const Scores s = score(model, params, real, 5);
  EXPECT_LT(s.correlation, base.correlation) << model << " on " << dataset;
  EXPECT_LT(s.detection, base.detection) << model << " on " << dataset;
}

}  // namespace

// Small tables give few optimisation steps per epoch at the default batch of 500 (pima2: one,
// so 300 epochs are 300 steps), and a GAN needs thousands. CTGAN is trained here with batches
// of 100 and more epochs (5,600 and 18,000 steps), as docs/cli.md advises for small tables;
// with 300 epochs it matched the pairwise correlations better than independent columns but
// its marginals were still too far off for the discriminator test (docs/benchmarks.md).
TEST(NeuralQuality, CtganBeatsIndependentOnPima2) {
  beats_independent("ctgan", {{"batch_size", 100}, {"epochs", 800}}, "pima2");
}
TEST(NeuralQuality, CtganBeatsIndependentOnColon) {
  beats_independent("ctgan", {{"batch_size", 100}, {"epochs", 1000}}, "colon");
}
TEST(NeuralQuality, TvaeBeatsIndependentOnPima2) { beats_independent("tvae", json::object(), "pima2"); }
TEST(NeuralQuality, TvaeBeatsIndependentOnColon) { beats_independent("tvae", json::object(), "colon"); }
