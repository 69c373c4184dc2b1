// How much the quality scores of a trained synthesizer move with the training seed. The
// neural quality tests (tests/tabular/neural_quality_slow_test.cpp) compare a model with the
// independent-columns baseline; another CPU (other OpenBLAS kernels, other rounding) acts like
// another seed, so the margins those tests demand come from this spread.
// For each seed: fit on the table, sample as many rows as it has, and score the pairwise
// correlation error and the k-nearest-neighbour discriminator share (tests/test_util.h,
// averaged over 5 subsamples). One JSON line per seed, then one with the mean and standard
// deviation over seeds.
// Usage: bench_quality_spread [model=tvae] [dataset=pima2] [seeds=3] [params JSON={}]
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "../tests/test_util.h"

using namespace medgen;
using json = nlohmann::json;

int main(int argc, char** argv) {
  const std::string model = argc > 1 ? argv[1] : "tvae";
  const std::string dataset = argc > 2 ? argv[2] : "pima2";
  const int seeds = argc > 3 ? std::stoi(argv[3]) : 3;
  const json params = argc > 4 ? json::parse(argv[4]) : json::object();
  const test::Loaded real = test::load(test::data_dir() + "/" + dataset + ".csv");
  const test::QualitySpread q = test::quality_over_seeds(model, params, real, seeds);
  for (int s = 0; s < seeds; ++s)
    std::printf("%s\n", json{{"bench", "quality_seed"}, {"model", model}, {"dataset", dataset}, {"params", params},
                             {"seed", s + 1}, {"corr_error", q.corr[s]}, {"knn_share", q.knn[s]}}
                            .dump()
                            .c_str());
  std::printf("%s\n", json{{"bench", "quality_spread"}, {"model", model}, {"dataset", dataset}, {"params", params},
                           {"seeds", seeds}, {"corr_error_mean", q.corr_mean}, {"corr_error_sd", q.corr_sd},
                           {"knn_share_mean", q.knn_mean}, {"knn_share_sd", q.knn_sd}}
                          .dump()
                          .c_str());
  return 0;
}
