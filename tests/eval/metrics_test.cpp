// The building blocks against values computed by hand (derivations in the comments).
#include "medgen/eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "medgen/core/rng.h"
#include "medgen/eval/models.h"

using namespace medgen;
using namespace medgen::eval;

TEST(Metrics, KolmogorovSmirnovByHand) {
  // a = {1,2,3,4}, b = {3,4,5,6}: at x = 2, F_a = 2/4 and F_b = 0; at 3, 3/4 vs 1/4; at 4, 1 vs
  // 2/4; beyond, F_a = 1 and F_b climbs: the largest gap is 1/2.
  EXPECT_DOUBLE_EQ(ks_statistic({1, 2, 3, 4}, {3, 4, 5, 6}), 0.5);
  // Disjoint supports: 1.
  EXPECT_DOUBLE_EQ(ks_statistic({1, 2, 3}, {4, 5}), 1.0);
  // Ties: a = {0,0,1,1}, b = {0,1,1,1}: at 0, F_a = 2/4, F_b = 1/4 (the CDF counts values <= x,
  // not half of the tie); at 1 both are 1. KS = 1/4.
  EXPECT_DOUBLE_EQ(ks_statistic({0, 0, 1, 1}, {0, 1, 1, 1}), 0.25);
  EXPECT_DOUBLE_EQ(ks_statistic({3, 1, 2}, {2, 3, 1}), 0.0);  // order does not matter
  EXPECT_DOUBLE_EQ(ks_statistic({}, {}), 0.0);
  EXPECT_DOUBLE_EQ(ks_statistic({1}, {}), 1.0);
}

TEST(Metrics, TotalVariationByHand) {
  // p = (2/4, 2/4), q = (1/4, 3/4): ½ (1/4 + 1/4) = 1/4.
  EXPECT_DOUBLE_EQ(total_variation({2, 2}, {1, 3}), 0.25);
  // Same shares, different totals: 0.
  EXPECT_DOUBLE_EQ(total_variation({1, 1, 2}, {2, 2, 4}), 0.0);
  // A level only one side has: p = (1, 0), q = (0, 1): 1.
  EXPECT_DOUBLE_EQ(total_variation({5, 0}, {0, 3}), 1.0);
  // Shorter vector = zero counts for the missing levels: p = (1/2, 1/2, 0), q = (1/4, 1/4, 1/2): ½ (1/4 + 1/4 + 1/2).
  EXPECT_DOUBLE_EQ(total_variation({1, 1}, {1, 1, 2}), 0.5);
}

TEST(Metrics, PearsonAndRanksByHand) {
  // x = 1..5, y = (2,4,5,4,5): centred dx = (−2,−1,0,1,2), dy = (−2,0,1,0,1); Σdxdy = 6,
  // Σdx² = 10, Σdy² = 6, r = 6 / √60.
  EXPECT_NEAR(pearson({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5}), 6 / std::sqrt(60.0), 1e-12);
  EXPECT_NEAR(pearson({1, 2, 3}, {-2, -4, -6}), -1.0, 1e-12);
  EXPECT_DOUBLE_EQ(pearson({1, 2, 3}, {7, 7, 7}), 0.0);  // constant: no correlation, not NaN
  // Ties share the mean of their positions: 10 -> 1, the two 20s -> (2+3)/2, 30 -> 4.
  EXPECT_EQ(mid_ranks({20, 10, 30, 20}), (std::vector<double>{2.5, 1, 4, 2.5}));
}

TEST(Metrics, RocAucByHand) {
  // Positives score .35 and .8, negatives .1 and .4: of the 4 (pos, neg) pairs, .35 beats .1,
  // loses to .4; .8 beats both: 3/4.
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.5}, {0, 1}), 0.5);    // a tie counts one half
  EXPECT_DOUBLE_EQ(roc_auc({1, 2, 3}, {1, 1, 1}), 0.5);  // one class only
  EXPECT_DOUBLE_EQ(roc_auc({3, 2, 1}, {1, 0, 0}), 1.0);
  // Hanley–McNeil at AUC 0.5 with n+ = n− = 100: Q1 = 1/3, Q2 = 1/3,
  // var = (0.25 + 99 (1/3 − 1/4) · 2) / 10^4 = 16.75 / 10^4.
  EXPECT_NEAR(auc_standard_error(0.5, 100, 100), std::sqrt(16.75e-4), 1e-12);
}

TEST(Metrics, NearestDistancesMatchBruteForce) {
  Rng rng(3);
  const size_t nq = 37, nr = 5000, cols = 7;  // more than one block of reference rows
  DistanceMatrix q, r;
  q.rows = nq;
  r.rows = nr;
  q.cols = r.cols = cols;
  q.data.resize(nq * cols);
  r.data.resize(nr * cols);
  // Columns 0..4 numeric in [0, 1.3] (differences above 1 are capped), 5..6 categorical codes ×2.
  auto fill = [&](DistanceMatrix& m) {
    for (size_t c = 0; c < cols; ++c)
      for (size_t i = 0; i < m.rows; ++i)
        m.data[c * m.rows + i] =
            c < 5 ? static_cast<float>(1.3 * rng.uniform()) : 2.f * static_cast<float>(rng.below(3));
  };
  fill(q);
  fill(r);
  std::vector<size_t> nearest;
  const std::vector<float> d = nearest_distances(q, r, 3, &nearest);
  for (size_t i = 0; i < nq; ++i) {
    std::vector<double> all;
    for (size_t j = 0; j < nr; ++j) {
      double s = 0;
      for (size_t c = 0; c < cols; ++c) s += std::min(1.0, std::fabs(double(q.at(i, c)) - r.at(j, c)));
      all.push_back(s / cols);
    }
    std::vector<double> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(d[i * 3 + k], sorted[k], 1e-5);
    EXPECT_NEAR(all[nearest[i]], sorted[0], 1e-5);
  }
  // One categorical mismatch out of 2 columns: distance 1/2.
  DistanceMatrix a, b;
  a.rows = b.rows = 1;
  a.cols = b.cols = 2;
  a.data = {0.25f, 2.f};
  b.data = {0.25f, 4.f};
  EXPECT_FLOAT_EQ(nearest_distances(a, b, 1)[0], 0.5f);
}

TEST(Models, LogisticAndBoostSeparateAndPredictProbabilities) {
  // y = 1 when x0 + x1 > 0: both models must rank held-out rows almost perfectly.
  Rng rng(5);
  auto make = [&](size_t n, Matrix* x, std::vector<int>* y) {
    x->rows = n;
    x->cols = 3;
    x->data.resize(n * 3);
    y->resize(n);
    for (size_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < 3; ++c) x->data[i * 3 + c] = static_cast<float>(rng.normal());
      (*y)[i] = x->data[i * 3] + x->data[i * 3 + 1] > 0;
    }
  };
  Matrix xtr, xte;
  std::vector<int> ytr, yte;
  make(2000, &xtr, &ytr);
  make(1000, &xte, &yte);
  for (int m = 0; m < 2; ++m) {
    const std::vector<double> p = m == 0 ? logistic_fit_predict(xtr, ytr, 2, xte) : boost_classify(xtr, ytr, 2, xte);
    std::vector<double> s;
    for (size_t i = 0; i < xte.rows; ++i) {
      EXPECT_NEAR(p[2 * i] + p[2 * i + 1], 1.0, 1e-6);
      s.push_back(p[2 * i + 1]);
    }
    EXPECT_GT(roc_auc(s, yte), m == 0 ? 0.99 : 0.95) << "model " << m;
  }
  // Linear regression recovers y = 2 x0 − x2 + 3.
  std::vector<double> yr(xtr.rows);
  for (size_t i = 0; i < xtr.rows; ++i) yr[i] = 2 * xtr.data[i * 3] - xtr.data[i * 3 + 2] + 3;
  const std::vector<double> pr = linear_fit_predict(xtr, yr, xte);
  for (size_t i = 0; i < 20; ++i) EXPECT_NEAR(pr[i], 2 * xte.data[i * 3] - xte.data[i * 3 + 2] + 3, 0.02);
}
