// Every metric on the scale case, 100,000 rows x 50 columns (bench/eval/bench_evaluate.cpp
// times the same case: 20-31 s on one thread of the shared development VM). Labelled slow.
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/rng.h"
#include "medgen/eval/evaluate.h"

using namespace medgen;
using namespace medgen::eval;

namespace {

// 35 numeric columns from 5 shared factors (two with 10% missing) and 15 categorical ones
// with 2 to 20 levels driven by the same factors; each seed an independent sample.
void generate(size_t rows, uint64_t seed, Table* t, Schema* s) {
  Rng rng(seed);
  t->columns.clear();
  s->columns.clear();
  for (int j = 0; j < 50; ++j) {
    ColumnSchema cs;
    cs.name = (j < 35 ? "x" : "c") + std::to_string(j);
    if (j >= 35) {
      cs.type = ColumnType::kCategorical;
      for (int l = 0; l < 2 + (j * 7) % 19; ++l) cs.values.push_back("L" + std::to_string(l));
      t->columns.push_back(Column::strings(cs.name, rows, cs.values));
    } else {
      t->columns.push_back(Column::numbers(cs.name, rows));
    }
    s->columns.push_back(cs);
  }
  double z[5];
  for (size_t r = 0; r < rows; ++r) {
    for (double& f : z) f = rng.normal();
    for (int j = 0; j < 50; ++j) {
      Column& c = t->columns[static_cast<size_t>(j)];
      const double v = 0.8 * z[j % 5] + 0.5 * rng.normal();
      if (j < 35) {
        if (j % 17 == 3 && rng.uniform() < 0.1) continue;
        c.values[r] = std::round((j % 4 == 1 ? std::exp(v) : 50 + 10 * v) * 100) / 100;
        c.valid[r] = 1;
      } else {
        const int levels = static_cast<int>(c.dictionary.size());
        c.codes[r] = std::min(levels - 1, static_cast<int>(0.5 * std::erfc(-v / std::sqrt(2 * 0.89)) * levels));
      }
    }
  }
}

}  // namespace

// At the scale (100,000 rows x 50 columns) every metric must come out right for a
// synthetic table drawn from the true process. Its running time is a benchmark's business
// (bench/eval/bench_evaluate.cpp, docs/benchmarks.md), not a test's: machines are noisy.
TEST(EvaluateScale, HundredThousandRowsFiftyColumnsScoreTheTrueProcessAsIdeal) {
  Table real, holdout, synthetic;
  Schema s, s2, s3;
  generate(100000, 1, &real, &s);
  generate(100000, 2, &holdout, &s2);
  generate(100000, 3, &synthetic, &s3);  // the true process: what a perfect synthesizer gives
  EvalOptions o;
  o.target = "c36";
  o.quasi = {"x0", "c35"};
  o.sensitive = {"c37"};
  Context ctx;
  const nlohmann::ordered_json r = evaluate(real, synthetic, &holdout, s, o, ctx);
  const auto& sm = r["summary"];
  EXPECT_GT(sm["quality"].get<double>(), 0.98);
  EXPECT_NEAR(sm["membership_auc"].get<double>(), 0.5, 0.05);
  EXPECT_NEAR(sm["share_closer_to_train"].get<double>(), 0.5, 0.05);
  EXPECT_NEAR(sm["utility_ratio"].get<double>(), 1.0, 0.05);
  EXPECT_EQ(r["privacy"]["dcr"]["synthetic_to_train"]["n"], 1000);
  EXPECT_EQ(r["fidelity"]["detection"]["rows_per_side"], 10000);
}
