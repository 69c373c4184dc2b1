#include "medgen/predict/linear.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "medgen/core/error.h"
#include "medgen/core/linalg.h"

namespace medgen::predict {

using json = nlohmann::json;

std::vector<double> spd_solve(const std::vector<double>& a, size_t d, const std::vector<double>& b) {
  const std::vector<double> l = cholesky(a, d, 1e-12);
  std::vector<double> y(d), x(d);
  for (size_t i = 0; i < d; ++i) {
    double s = b[i];
    for (size_t k = 0; k < i; ++k) s -= l[i * d + k] * y[k];
    y[i] = s / l[i * d + i];
  }
  for (size_t i = d; i-- > 0;) {
    double s = y[i];
    for (size_t k = i + 1; k < d; ++k) s -= l[k * d + i] * x[k];
    x[i] = s / l[i * d + i];
  }
  return x;
}

std::vector<double> spd_inverse(const std::vector<double>& a, size_t d) {
  std::vector<double> inv(d * d);
  for (size_t j = 0; j < d; ++j) {
    std::vector<double> e(d, 0.0);
    e[j] = 1;
    const std::vector<double> c = spd_solve(a, d, e);
    for (size_t i = 0; i < d; ++i) inv[i * d + j] = c[i];
  }
  return inv;
}

namespace {

// Standardised copy of x: z = (x - mean) / sd (sd 1 for a constant column).
struct Standardised {
  std::vector<double> z, mean, sd;
};
Standardised standardise(const std::vector<double>& x, size_t n, size_t p) {
  Standardised s;
  s.mean.assign(p, 0);
  s.sd.assign(p, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < p; ++j) s.mean[j] += x[i * p + j];
  for (size_t j = 0; j < p; ++j) s.mean[j] /= std::max<size_t>(n, 1);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < p; ++j) s.sd[j] += (x[i * p + j] - s.mean[j]) * (x[i * p + j] - s.mean[j]);
  for (size_t j = 0; j < p; ++j) {
    s.sd[j] = std::sqrt(s.sd[j] / std::max<size_t>(n - 1, 1));
    if (!(s.sd[j] > 0)) s.sd[j] = 1;
  }
  s.z.resize(n * p);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < p; ++j) s.z[i * p + j] = (x[i * p + j] - s.mean[j]) / s.sd[j];
  return s;
}

void check_matrix(const std::vector<double>& x, size_t n, size_t p, const char* what) {
  if (n == 0 || p == 0 || x.size() != n * p) throw InvalidInput(std::string(what) + ": no rows or no features");
  for (double v : x)
    if (!std::isfinite(v)) throw InvalidInput(std::string(what) + ": a feature value is missing or not finite");
}

// Cox log partial likelihood (Efron), its gradient and information at b (standardised z).
double cox_terms(const std::vector<double>& z, size_t n, size_t p, const std::vector<size_t>& order,
                 const std::vector<double>& time, const std::vector<int>& event, const std::vector<double>& b,
                 std::vector<double>* grad, std::vector<double>* info) {
  std::vector<double> eta(n);
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < p; ++j) s += z[i * p + j] * b[j];
    eta[i] = s;
  }
  if (grad) grad->assign(p, 0);
  if (info) info->assign(p * p, 0);
  std::vector<double> s1(p, 0), s2(info ? p * p : 0, 0), d1(p), d2(info ? p * p : 0), a1(p);
  double s0 = 0, ll = 0;
  for (size_t i = 0; i < n;) {
    const double t = time[order[i]];
    double d0 = 0;
    int d = 0;
    std::fill(d1.begin(), d1.end(), 0.0);
    std::fill(d2.begin(), d2.end(), 0.0);
    size_t k = i;
    for (; k < n && time[order[k]] == t; ++k) {
      const size_t r = order[k];
      const double w = std::exp(eta[r]);
      const double* zr = &z[r * p];
      s0 += w;
      for (size_t a = 0; a < p; ++a) {
        s1[a] += w * zr[a];
        if (info)
          for (size_t c = 0; c <= a; ++c) s2[a * p + c] += w * zr[a] * zr[c];
      }
      if (event[r]) {
        ++d;
        d0 += w;
        ll += eta[r];
        for (size_t a = 0; a < p; ++a) {
          d1[a] += w * zr[a];
          if (grad) (*grad)[a] += zr[a];
          if (info)
            for (size_t c = 0; c <= a; ++c) d2[a * p + c] += w * zr[a] * zr[c];
        }
      }
    }
    for (int l = 0; l < d; ++l) {
      const double f = static_cast<double>(l) / d;
      const double q0 = s0 - f * d0;
      ll -= std::log(q0);
      for (size_t a = 0; a < p; ++a) a1[a] = (s1[a] - f * d1[a]) / q0;
      if (grad)
        for (size_t a = 0; a < p; ++a) (*grad)[a] -= a1[a];
      if (info)
        for (size_t a = 0; a < p; ++a)
          for (size_t c = 0; c <= a; ++c) (*info)[a * p + c] += (s2[a * p + c] - f * d2[a * p + c]) / q0 - a1[a] * a1[c];
    }
    i = k;
  }
  if (info)
    for (size_t a = 0; a < p; ++a)
      for (size_t c = 0; c < a; ++c) (*info)[c * p + a] = (*info)[a * p + c];
  return ll;
}

// Newton–Raphson with step halving on a penalised objective f(b) = ll(b) - l2/2 |b|^2.
template <typename Terms>
void newton(size_t d, const NewtonParams& params, size_t unpenalised_from, Terms terms, std::vector<double>* b,
            LinearFit* fit) {
  auto objective = [&](const std::vector<double>& beta, std::vector<double>* g, std::vector<double>* h) {
    double f = terms(beta, g, h);
    for (size_t j = 0; j < d; ++j) {
      if (j >= unpenalised_from) continue;
      f -= 0.5 * params.l2 * beta[j] * beta[j];
      if (g) (*g)[j] -= params.l2 * beta[j];
      if (h) (*h)[j * d + j] += params.l2;
    }
    return f;
  };
  std::vector<double> g, h;
  double f = objective(*b, &g, &h);
  fit->loglik0 = f;
  for (int it = 0; it < params.max_iter; ++it) {
    fit->iterations = it + 1;
    const std::vector<double> step = spd_solve(h, d, g);
    double scale = 1;
    std::vector<double> nb(d);
    double nf = -INFINITY;
    for (int half = 0; half < 30; ++half) {
      for (size_t j = 0; j < d; ++j) nb[j] = (*b)[j] + scale * step[j];
      nf = objective(nb, nullptr, nullptr);
      if (std::isfinite(nf) && nf >= f - 1e-12 * std::abs(f)) break;
      scale *= 0.5;
    }
    if (!std::isfinite(nf)) break;
    const double change = std::abs(nf - f);
    *b = nb;
    f = objective(*b, &g, &h);
    if (change <= params.tolerance * (std::abs(f) + params.tolerance)) {
      fit->converged = true;
      break;
    }
  }
  fit->loglik = f;
  if (!fit->converged)
    fit->warnings.push_back("Newton-Raphson did not converge in " + std::to_string(params.max_iter) + " steps");
  // Standard errors from the inverse (penalised) information.
  const std::vector<double> inv = spd_inverse(h, d);
  fit->se.resize(d);
  for (size_t j = 0; j < d; ++j) fit->se[j] = std::sqrt(std::max(0.0, inv[j * d + j]));
}

}  // namespace

LinearFit fit_cox(const std::vector<double>& x, size_t n, size_t p, const std::vector<double>& time,
                  const std::vector<int>& event, const NewtonParams& params) {
  check_matrix(x, n, p, "cox");
  if (time.size() != n || event.size() != n) throw InvalidInput("cox: time and event must have one entry per row");
  if (std::accumulate(event.begin(), event.end(), 0) == 0) throw InvalidInput("cox: no events");
  const Standardised s = standardise(x, n, p);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return time[a] > time[b]; });
  LinearFit fit;
  std::vector<double> b(p, 0.0);
  newton(p, params, p,
         [&](const std::vector<double>& beta, std::vector<double>* g, std::vector<double>* h) {
           return cox_terms(s.z, n, p, order, time, event, beta, g, h);
         },
         &b, &fit);
  fit.beta.resize(p);
  for (size_t j = 0; j < p; ++j) {
    fit.beta[j] = b[j] / s.sd[j];
    fit.se[j] /= s.sd[j];
    if (std::abs(b[j]) > 20)
      fit.warnings.push_back("coefficient " + std::to_string(j) + " is diverging (a feature separates the events)");
  }
  return fit;
}

LinearFit fit_logistic(const std::vector<double>& x, size_t n, size_t p, const std::vector<double>& y,
                       const NewtonParams& params) {
  check_matrix(x, n, p, "logistic");
  if (y.size() != n) throw InvalidInput("logistic: one label per row");
  const Standardised s = standardise(x, n, p);
  const size_t d = p + 1;  // coefficients then the intercept (unpenalised)
  LinearFit fit;
  std::vector<double> b(d, 0.0);
  double ybar = std::accumulate(y.begin(), y.end(), 0.0) / n;
  ybar = std::min(std::max(ybar, 1e-6), 1 - 1e-6);
  b[p] = std::log(ybar / (1 - ybar));
  newton(d, params, p,
         [&](const std::vector<double>& beta, std::vector<double>* g, std::vector<double>* h) {
           if (g) g->assign(d, 0);
           if (h) h->assign(d * d, 0);
           double ll = 0;
           for (size_t i = 0; i < n; ++i) {
             const double* zi = &s.z[i * p];
             double eta = beta[p];
             for (size_t j = 0; j < p; ++j) eta += zi[j] * beta[j];
             // log(1 + e^eta) without overflow
             const double soft = eta > 0 ? eta + std::log1p(std::exp(-eta)) : std::log1p(std::exp(eta));
             ll += y[i] * eta - soft;
             if (!g) continue;
             const double mu = 1 / (1 + std::exp(-eta));
             const double r = y[i] - mu, w = mu * (1 - mu);
             for (size_t a = 0; a < d; ++a) {
               const double za = a < p ? zi[a] : 1.0;
               (*g)[a] += r * za;
               for (size_t c = 0; c <= a; ++c) (*h)[a * d + c] += w * za * (c < p ? zi[c] : 1.0);
             }
           }
           if (h)
             for (size_t a = 0; a < d; ++a)
               for (size_t c = 0; c < a; ++c) (*h)[c * d + a] = (*h)[a * d + c];
           return ll;
         },
         &b, &fit);
  fit.beta.resize(p);
  fit.intercept = b[p];
  std::vector<double> se(p);
  for (size_t j = 0; j < p; ++j) {
    fit.beta[j] = b[j] / s.sd[j];
    fit.intercept -= fit.beta[j] * s.mean[j];
    se[j] = fit.se[j] / s.sd[j];
    if (std::abs(b[j]) > 20)
      fit.warnings.push_back("coefficient " + std::to_string(j) + " is diverging (a feature separates the outcome)");
  }
  fit.se = se;  // the intercept's standard error is left out (it depends on centring)
  return fit;
}

double BaselineHazard::at(double t) const {
  const auto it = std::upper_bound(times.begin(), times.end(), t);
  if (it == times.begin()) return 0;
  return cumhaz[(it - times.begin()) - 1];
}

json BaselineHazard::to_json() const { return json{{"times", times}, {"cumhaz", cumhaz}}; }

BaselineHazard BaselineHazard::from_json(const json& j, const std::string& where) {
  BaselineHazard h;
  try {
    h.times = j.at("times").get<std::vector<double>>();
    h.cumhaz = j.at("cumhaz").get<std::vector<double>>();
  } catch (const json::exception& e) {
    throw InvalidInput(where + ": baseline hazard: " + e.what());
  }
  if (h.times.size() != h.cumhaz.size()) throw InvalidInput(where + ": baseline hazard arrays differ in length");
  for (size_t i = 0; i < h.times.size(); ++i)
    if (!std::isfinite(h.times[i]) || !std::isfinite(h.cumhaz[i]) || (i && (h.times[i] <= h.times[i - 1] ||
                                                                           h.cumhaz[i] < h.cumhaz[i - 1])))
      throw InvalidInput(where + ": baseline hazard is not increasing");
  return h;
}

BaselineHazard baseline_hazard(const std::vector<double>& eta, const std::vector<double>& time,
                               const std::vector<int>& event) {
  const size_t n = time.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return time[a] > time[b]; });
  std::vector<std::pair<double, double>> steps;  // (time, increment), descending time
  double s0 = 0;
  for (size_t i = 0; i < n;) {
    const double t = time[order[i]];
    double d0 = 0;
    int d = 0;
    size_t k = i;
    for (; k < n && time[order[k]] == t; ++k) {
      const double w = std::exp(eta[order[k]]);
      s0 += w;
      if (event[order[k]]) ++d, d0 += w;
    }
    if (d > 0) {
      double inc = 0;
      for (int l = 0; l < d; ++l) inc += 1 / (s0 - static_cast<double>(l) / d * d0);
      steps.emplace_back(t, inc);
    }
    i = k;
  }
  BaselineHazard h;
  double c = 0;
  for (size_t i = steps.size(); i-- > 0;) {
    c += steps[i].second;
    h.times.push_back(steps[i].first);
    h.cumhaz.push_back(c);
  }
  return h;
}

}  // namespace medgen::predict
