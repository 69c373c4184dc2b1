// No-show model benchmark (JSON on stdout): trains on synthetic appointments, reports
// discrimination and calibration on a held-out set drawn with another seed, and timings.
// Usage: bench_noshow [--train N] [--test N] [--seed S]
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "medgen/ops/noshow.h"

using namespace medgen::ops;

int main(int argc, char** argv) {
  size_t ntrain = 50000, ntest = 20000;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--train")) ntrain = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--test")) ntest = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  GeneratorParams gp;
  gp.appointments = ntrain;
  auto train = generate_appointments(gp, seed);
  gp.appointments = ntest;
  auto test = generate_appointments(gp, seed + 1000003);
  auto t0 = std::chrono::steady_clock::now();
  NoShowModel m = NoShowModel::train(train, NoShowParams{}, seed);
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  t0 = std::chrono::steady_clock::now();
  auto preds = m.predict(test, 3);
  const double pred_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<double> p, truth;
  std::vector<int> y;
  for (size_t i = 0; i < test.size(); ++i) {
    p.push_back(preds[i].probability);
    truth.push_back(test[i].true_risk);
    y.push_back(test[i].no_show);
  }
  nlohmann::ordered_json j = {{"bench", "noshow"}, {"train_rows", ntrain}, {"test_rows", ntest}, {"train_s", train_s},
                              {"predict_with_reasons_s", pred_s},
                              {"calibration_fold", m.calibration_metrics().to_json()}, {"test", evaluate_probabilities(p, y).to_json()},
                              {"generator_oracle", evaluate_probabilities(truth, y).to_json()}};
  std::cout << j.dump() << std::endl;
  return 0;
}
