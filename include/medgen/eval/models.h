// The small supervised models of the evaluation: (multinomial) logistic and linear regression
// fitted by L-BFGS, and gradient-boosted trees through XGBoost's C API. Each is a
// fit-then-predict function: the evaluation only ever needs predictions on held-out rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace medgen::eval {

// Dense row-major features (standardised numbers, one-hot levels; see features.h).
struct Matrix {
  size_t rows = 0, cols = 0;
  std::vector<float> data;  // data[r * cols + c]
  const float* row(size_t r) const { return data.data() + r * cols; }
};

// The rows of m listed in idx, in that order.
Matrix take_rows(const Matrix& m, const std::vector<size_t>& idx);

// Minimises a smooth function by L-BFGS (10 corrections, backtracking line search).
// f(x, grad) returns the value and writes the gradient. Returns the number of iterations.
int minimize_lbfgs(const std::function<double(const std::vector<double>&, std::vector<double>&)>& f,
                   std::vector<double>* x, int max_iterations = 200, double gradient_tolerance = 1e-6);

struct LinearParams {
  double l2 = 1e-4;          // ridge penalty on the weights (not the intercepts), per row
  int max_iterations = 100;  // L-BFGS iterations (a cap that bounds the time on large tables)
};

// Multinomial logistic regression (binary: ordinary logistic regression) with labels
// 0..classes-1. Returns test.rows x classes probabilities, row-major.
std::vector<double> logistic_fit_predict(const Matrix& train, const std::vector<int>& y, int classes,
                                         const Matrix& test, const LinearParams& params = {});

// Ridge-penalised least squares; returns predictions for test.
std::vector<double> linear_fit_predict(const Matrix& train, const std::vector<double>& y, const Matrix& test,
                                       const LinearParams& params = {});

struct BoostParams {
  int rounds = 50;    // boosting rounds (trees per class)
  int max_depth = 4;  // depth of each tree
  double eta = 0.3;   // learning rate
  int threads = 1;    // XGBoost's nthread
  uint64_t seed = 0;  // XGBoost's seed (row subsampling is off; kept for determinism)
};

// What a fitted booster split on, read from XGBoost's model dump with statistics. Filled by
// adding to it, so one SplitStats can collect several fits (the folds of a cross-validation).
struct SplitStats {
  std::vector<double> gain;    // per feature: the summed loss reduction ("total gain") of its splits
  std::vector<double> splits;  // per feature: how many splits use it
  // A split directly below a split on another feature: the pair a tree uses together.
  struct Nested {
    int parent = 0, child = 0;  // feature indices
    double gain = 0;            // the child split's loss reduction
  };
  std::vector<Nested> nested;
};

// XGBoost classifier (binary:logistic or multi:softprob, histogram trees). Returns
// test.rows x classes probabilities, row-major. medgen::Error when XGBoost reports one.
// stats (optional): the fitted trees' splits are added to it.
std::vector<double> boost_classify(const Matrix& train, const std::vector<int>& y, int classes, const Matrix& test,
                                   const BoostParams& params = {}, SplitStats* stats = nullptr);

// XGBoost regressor (reg:squarederror); returns predictions for test.
std::vector<double> boost_regress(const Matrix& train, const std::vector<double>& y, const Matrix& test,
                                  const BoostParams& params = {});

}  // namespace medgen::eval
