// Benchmark of the predict module on the embedded pbc table: the Mayo Cox fit (Newton–Raphson,
// Efron), full cross-validated training runs with bootstrap intervals (Cox, XGBoost, the
// DeepSurv-style network), one network fit, and the network's exact Shapley explanations.
// Prints one JSON line per benchmark: {"bench", "reps", "median_ms", "min_ms"}.
// Usage: bench_predict [--reps N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "medgen/predict/evaluate.h"
#include "medgen/tabular/pipeline.h"

using namespace medgen;
using namespace medgen::predict;

static void run(const char* name, int reps, const std::function<void()>& f) {
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("{\"bench\": \"%s\", \"reps\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f}\n", name, reps, ms[ms.size() / 2], ms[0]);
  std::fflush(stdout);
}

int main(int argc, char** argv) {
  int reps = 5;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--reps")) reps = std::max(1, std::atoi(argv[i + 1]));
  tabular::Dataset data = tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/pbc.csv", "");
  OutcomeSpec o;
  o.time = "time";
  o.event = "status";
  o.event_value = "2";
  o.horizon = 1826;
  Design d = Design::parse("age, edema, log(bili), log(albumin), log(protime)", data.table, data.schema, {"time", "status"});
  d.fit_imputation(data.table);
  const Dataset ds = make_dataset(data.table, d, o, "pbc.csv");
  run("cox_fit_mayo_416", reps * 20, [&] { fit_cox(ds.x, ds.n, ds.p, ds.time, ds.event); });
  TrainInput in;
  in.table = &data.table;
  in.schema = &data.schema;
  in.source = "pbc.csv";
  in.outcome = o;
  in.options.features = "age, edema, log(bili), log(albumin), log(protime)";
  run("cox_train_cv5_bootstrap200", reps, [&] { train_and_evaluate(in, Context{}); });
  in.options.model = "deepsurv";
  run("deepsurv_train_cv5_bootstrap200", reps, [&] { train_and_evaluate(in, Context{}); });
  {
    auto net = create_neural_survival();
    run("deepsurv_fit_mayo_416", reps, [&] { net->fit(ds.x, ds.n, ds.p, ds.time, ds.event, NeuralParams{}, 1); });
    const Model m = fit_on(ds, d, o, ModelKind::kNeural, 0, BoostParams{}, 1, 1);
    run("deepsurv_shapley_exact_416x5", reps, [&] { m.contributions(ds.x, ds.n); });
  }
  in.options.model = "xgboost";
  in.options.features = "";
  run("xgboost_cox_train_cv5_bootstrap200", reps, [&] { train_and_evaluate(in, Context{}); });
  return 0;
}
