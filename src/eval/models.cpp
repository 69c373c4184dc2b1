#include "medgen/eval/models.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>

#include "medgen/core/error.h"

namespace medgen::eval {

Matrix take_rows(const Matrix& m, const std::vector<size_t>& idx) {
  Matrix out;
  out.rows = idx.size();
  out.cols = m.cols;
  out.data.resize(out.rows * out.cols);
  for (size_t i = 0; i < idx.size(); ++i) std::copy_n(m.row(idx[i]), m.cols, out.data.data() + i * m.cols);
  return out;
}

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

int minimize_lbfgs(const std::function<double(const std::vector<double>&, std::vector<double>&)>& f,
                   std::vector<double>* x, int max_iterations, double gradient_tolerance) {
  constexpr size_t kMemory = 10;
  const size_t n = x->size();
  std::vector<double> g(n), g_new(n), x_new(n), d(n);
  double fx = f(*x, g);
  std::deque<std::vector<double>> ss, ys;
  std::deque<double> rhos;
  int it = 0;
  for (; it < max_iterations; ++it) {
    double gmax = 0;
    for (double v : g) gmax = std::max(gmax, std::fabs(v));
    if (gmax < gradient_tolerance) break;
    // Two-loop recursion: d = −H g with the implicit inverse-Hessian approximation.
    std::vector<double> q = g, alpha(ss.size());
    for (size_t i = ss.size(); i-- > 0;) {
      alpha[i] = rhos[i] * dot(ss[i], q);
      for (size_t j = 0; j < n; ++j) q[j] -= alpha[i] * ys[i][j];
    }
    const double gamma =
        ss.empty() ? 1.0 / std::max(1.0, std::sqrt(dot(g, g))) : dot(ss.back(), ys.back()) / dot(ys.back(), ys.back());
    for (size_t j = 0; j < n; ++j) q[j] *= gamma;
    for (size_t i = 0; i < ss.size(); ++i) {
      const double b = rhos[i] * dot(ys[i], q);
      for (size_t j = 0; j < n; ++j) q[j] += ss[i][j] * (alpha[i] - b);
    }
    for (size_t j = 0; j < n; ++j) d[j] = -q[j];
    double dg = dot(d, g);
    if (dg >= 0) {  // not a descent direction (numerical trouble): restart from steepest descent
      ss.clear();
      ys.clear();
      rhos.clear();
      for (size_t j = 0; j < n; ++j) d[j] = -g[j] / std::max(1.0, std::sqrt(dot(g, g)));
      dg = dot(d, g);
    }
    double step = 1.0, f_new = fx;
    bool accepted = false;
    for (int tries = 0; tries < 40; ++tries) {
      for (size_t j = 0; j < n; ++j) x_new[j] = (*x)[j] + step * d[j];
      f_new = f(x_new, g_new);
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * step * dg) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    std::vector<double> s(n), y(n);
    for (size_t j = 0; j < n; ++j) {
      s[j] = x_new[j] - (*x)[j];
      y[j] = g_new[j] - g[j];
    }
    const double sy = dot(s, y);
    if (sy > 1e-12) {
      ss.push_back(std::move(s));
      ys.push_back(std::move(y));
      rhos.push_back(1.0 / sy);
      if (ss.size() > kMemory) {
        ss.pop_front();
        ys.pop_front();
        rhos.pop_front();
      }
    }
    const bool flat = std::fabs(fx - f_new) <= 1e-10 * std::max(1.0, std::fabs(fx));
    x->swap(x_new);
    g.swap(g_new);
    fx = f_new;
    if (flat) break;
  }
  return it;
}

std::vector<double> logistic_fit_predict(const Matrix& train, const std::vector<int>& y, int classes,
                                         const Matrix& test, const LinearParams& params) {
  MEDGEN_ASSERT(classes >= 2 && y.size() == train.rows && train.cols == test.cols);
  // Class 0 is the reference (logit 0): K − 1 weight rows of p weights and an intercept, so
  // the binary case is exactly ordinary logistic regression.
  const size_t p = train.cols, k1 = static_cast<size_t>(classes - 1), stride = p + 1;
  const double n = static_cast<double>(std::max<size_t>(train.rows, 1));
  std::vector<double> w(k1 * stride, 0.0);
  std::vector<double> z(classes), prob(classes);
  auto softmax = [&](const float* xr, const std::vector<double>& wv) {
    z[0] = 0;
    double zmax = 0;
    for (size_t k = 0; k < k1; ++k) {
      const double* wk = &wv[k * stride];
      double s = wk[p];
      for (size_t j = 0; j < p; ++j) s += wk[j] * xr[j];
      z[k + 1] = s;
      zmax = std::max(zmax, s);
    }
    double tot = 0;
    for (int k = 0; k < classes; ++k) tot += prob[k] = std::exp(z[k] - zmax);
    for (int k = 0; k < classes; ++k) prob[k] /= tot;
    return zmax + std::log(tot);  // log-sum-exp
  };
  auto loss = [&](const std::vector<double>& wv, std::vector<double>& grad) {
    std::fill(grad.begin(), grad.end(), 0.0);
    double f = 0;
    for (size_t r = 0; r < train.rows; ++r) {
      const float* xr = train.row(r);
      const double lse = softmax(xr, wv);
      f += lse - z[y[r]];
      for (size_t k = 0; k < k1; ++k) {
        const double e = prob[k + 1] - (y[r] == static_cast<int>(k + 1) ? 1.0 : 0.0);
        if (e == 0) continue;
        double* gk = &grad[k * stride];
        for (size_t j = 0; j < p; ++j) gk[j] += e * xr[j];
        gk[p] += e;
      }
    }
    f /= n;
    for (double& v : grad) v /= n;
    for (size_t k = 0; k < k1; ++k)
      for (size_t j = 0; j < p; ++j) {
        const double wj = wv[k * stride + j];
        f += 0.5 * params.l2 * wj * wj;
        grad[k * stride + j] += params.l2 * wj;
      }
    return f;
  };
  minimize_lbfgs(loss, &w, params.max_iterations);
  std::vector<double> out(test.rows * static_cast<size_t>(classes));
  for (size_t r = 0; r < test.rows; ++r) {
    softmax(test.row(r), w);
    std::copy(prob.begin(), prob.end(), out.begin() + static_cast<long>(r * classes));
  }
  return out;
}

std::vector<double> linear_fit_predict(const Matrix& train, const std::vector<double>& y, const Matrix& test,
                                       const LinearParams& params) {
  MEDGEN_ASSERT(y.size() == train.rows && train.cols == test.cols);
  const size_t p = train.cols;
  const double n = static_cast<double>(std::max<size_t>(train.rows, 1));
  // A standardised target keeps the penalty and the tolerance on one scale for any unit.
  double mean = 0, var = 0;
  for (double v : y) mean += v;
  mean /= n;
  for (double v : y) var += (v - mean) * (v - mean);
  const double sd = var > 0 ? std::sqrt(var / n) : 1.0;
  std::vector<double> w(p + 1, 0.0);
  auto loss = [&](const std::vector<double>& wv, std::vector<double>& grad) {
    std::fill(grad.begin(), grad.end(), 0.0);
    double f = 0;
    for (size_t r = 0; r < train.rows; ++r) {
      const float* xr = train.row(r);
      double s = wv[p];
      for (size_t j = 0; j < p; ++j) s += wv[j] * xr[j];
      const double e = s - (y[r] - mean) / sd;
      f += 0.5 * e * e;
      for (size_t j = 0; j < p; ++j) grad[j] += e * xr[j];
      grad[p] += e;
    }
    f /= n;
    for (double& v : grad) v /= n;
    for (size_t j = 0; j < p; ++j) {
      f += 0.5 * params.l2 * wv[j] * wv[j];
      grad[j] += params.l2 * wv[j];
    }
    return f;
  };
  minimize_lbfgs(loss, &w, params.max_iterations);
  std::vector<double> out(test.rows);
  for (size_t r = 0; r < test.rows; ++r) {
    const float* xr = test.row(r);
    double s = w[p];
    for (size_t j = 0; j < p; ++j) s += w[j] * xr[j];
    out[r] = mean + sd * s;
  }
  return out;
}

namespace {

void xgb_check(int rc) {
  if (rc != 0) throw Error(std::string("XGBoost: ") + XGBGetLastError());
}

// Owns the DMatrix and booster handles so that an error on the way frees them.
struct Boost {
  DMatrixHandle train = nullptr, test = nullptr;
  BoosterHandle booster = nullptr;
  ~Boost() {
    if (booster) XGBoosterFree(booster);
    if (train) XGDMatrixFree(train);
    if (test) XGDMatrixFree(test);
  }
};

// Adds the splits of one tree of XGBoost's JSON dump (with statistics) to stats. parent: the
// feature of the split above (−1 at the root). Features are named "f<index>" (no feature map).
void add_splits(const nlohmann::json& node, int parent, size_t features, SplitStats* stats, int depth = 0) {
  if (!node.is_object() || !node.contains("split") || depth > 64) return;  // a leaf (or nothing to read)
  // "f12" (or "12", depending on the XGBoost version).
  std::string name = node["split"].is_string() ? node["split"].get<std::string>()
                     : node["split"].is_number_integer() ? std::to_string(node["split"].get<long long>())
                                                         : "";
  if (!name.empty() && name[0] == 'f') name.erase(0, 1);
  if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) return;
  const size_t f = std::stoul(name);
  if (f >= features) return;
  const double gain = node.contains("gain") && node["gain"].is_number() ? node["gain"].get<double>() : 0.0;
  stats->gain[f] += gain;
  stats->splits[f] += 1;
  const int fi = static_cast<int>(f);
  if (parent >= 0 && parent != fi) stats->nested.push_back({parent, fi, gain});
  if (node.contains("children") && node["children"].is_array())
    for (const nlohmann::json& c : node["children"]) add_splits(c, fi, features, stats, depth + 1);
}

std::vector<float> boost_run(const Matrix& train, const std::vector<float>& labels, const Matrix& test,
                             const BoostParams& params, const std::string& objective, int num_class,
                             SplitStats* stats = nullptr) {
  Boost b;
  const float kMissing = std::nanf("");
  xgb_check(XGDMatrixCreateFromMat(train.data.data(), train.rows, train.cols, kMissing, &b.train));
  xgb_check(XGDMatrixSetFloatInfo(b.train, "label", labels.data(), labels.size()));
  xgb_check(XGDMatrixCreateFromMat(test.data.data(), test.rows, test.cols, kMissing, &b.test));
  xgb_check(XGBoosterCreate(&b.train, 1, &b.booster));
  auto set = [&](const char* k, const std::string& v) { xgb_check(XGBoosterSetParam(b.booster, k, v.c_str())); };
  set("objective", objective);
  if (num_class > 2) set("num_class", std::to_string(num_class));
  set("tree_method", "hist");
  set("max_depth", std::to_string(params.max_depth));
  set("eta", std::to_string(params.eta));
  set("nthread", std::to_string(params.threads));
  set("seed", std::to_string(params.seed % 2147483647));
  set("verbosity", "0");
  for (int i = 0; i < params.rounds; ++i) xgb_check(XGBoosterUpdateOneIter(b.booster, i, b.train));
  if (stats) {
    stats->gain.resize(train.cols, 0.0);
    stats->splits.resize(train.cols, 0.0);
    bst_ulong trees = 0;
    const char** dump = nullptr;
    xgb_check(XGBoosterDumpModelEx(b.booster, "", 1, "json", &trees, &dump));
    for (bst_ulong t = 0; t < trees; ++t)
      add_splits(nlohmann::json::parse(dump[t], nullptr, false), -1, train.cols, stats);
  }
  bst_ulong len = 0;
  const float* out = nullptr;
  xgb_check(XGBoosterPredict(b.booster, b.test, 0, 0, 0, &len, &out));
  return std::vector<float>(out, out + len);
}

}  // namespace

std::vector<double> boost_classify(const Matrix& train, const std::vector<int>& y, int classes, const Matrix& test,
                                   const BoostParams& params, SplitStats* stats) {
  MEDGEN_ASSERT(classes >= 2 && y.size() == train.rows && train.cols == test.cols);
  const std::vector<float> labels(y.begin(), y.end());
  const std::vector<float> pred =
      boost_run(train, labels, test, params, classes == 2 ? "binary:logistic" : "multi:softprob", classes, stats);
  std::vector<double> out(test.rows * static_cast<size_t>(classes));
  if (classes == 2) {
    MEDGEN_ASSERT(pred.size() == test.rows);
    for (size_t r = 0; r < test.rows; ++r) {
      out[2 * r] = 1.0 - pred[r];
      out[2 * r + 1] = pred[r];
    }
  } else {
    MEDGEN_ASSERT(pred.size() == out.size());
    std::copy(pred.begin(), pred.end(), out.begin());
  }
  return out;
}

std::vector<double> boost_regress(const Matrix& train, const std::vector<double>& y, const Matrix& test,
                                  const BoostParams& params) {
  MEDGEN_ASSERT(y.size() == train.rows && train.cols == test.cols);
  const std::vector<float> labels(y.begin(), y.end());
  const std::vector<float> pred = boost_run(train, labels, test, params, "reg:squarederror", 0);
  return std::vector<double>(pred.begin(), pred.end());
}

}  // namespace medgen::eval
