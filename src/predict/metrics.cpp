#include "medgen/predict/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "medgen/core/rng.h"
#include "medgen/predict/linear.h"

namespace medgen::predict {

using json = nlohmann::json;

double KaplanMeier::at(double t) const {
  const auto it = std::upper_bound(times.begin(), times.end(), t);
  return it == times.begin() ? 1.0 : surv[(it - times.begin()) - 1];
}

double KaplanMeier::before(double t) const {
  const auto it = std::lower_bound(times.begin(), times.end(), t);
  return it == times.begin() ? 1.0 : surv[(it - times.begin()) - 1];
}

KaplanMeier kaplan_meier(const std::vector<double>& time, const std::vector<int>& event,
                         const std::vector<double>* weights) {
  const size_t n = time.size();
  std::vector<size_t> o(n);
  std::iota(o.begin(), o.end(), 0);
  std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return time[a] < time[b]; });
  double at_risk = 0;
  for (size_t i = 0; i < n; ++i) at_risk += weights ? (*weights)[i] : 1.0;
  KaplanMeier km;
  double s = 1;
  for (size_t i = 0; i < n;) {
    const double t = time[o[i]];
    double d = 0, leaving = 0;
    size_t k = i;
    for (; k < n && time[o[k]] == t; ++k) {
      const double w = weights ? (*weights)[o[k]] : 1.0;
      leaving += w;
      if (event[o[k]]) d += w;
    }
    if (d > 0 && at_risk > 0) {
      s *= 1 - d / at_risk;
      km.times.push_back(t);
      km.surv.push_back(s);
    }
    at_risk -= leaving;
    i = k;
  }
  return km;
}

KaplanMeier censoring_km(const std::vector<double>& time, const std::vector<int>& event) {
  std::vector<int> c(event.size());
  for (size_t i = 0; i < c.size(); ++i) c[i] = !event[i];
  return kaplan_meier(time, c);
}

namespace {
// Fenwick tree over ranks 1..m: counts.
struct Fenwick {
  std::vector<double> t;
  explicit Fenwick(size_t m) : t(m + 1, 0) {}
  void add(size_t i, double v) {
    for (; i < t.size(); i += i & (~i + 1)) t[i] += v;
  }
  double sum(size_t i) const {  // ranks 1..i
    double s = 0;
    for (; i > 0; i -= i & (~i + 1)) s += t[i];
    return s;
  }
};

std::vector<size_t> dense_rank(const std::vector<double>& v) {  // 1-based, ties share a rank
  std::vector<double> u = v;
  std::sort(u.begin(), u.end());
  u.erase(std::unique(u.begin(), u.end()), u.end());
  std::vector<size_t> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = std::lower_bound(u.begin(), u.end(), v[i]) - u.begin() + 1;
  return r;
}

double logit(double p) {
  p = std::min(std::max(p, 1e-9), 1 - 1e-9);
  return std::log(p / (1 - p));
}

// Weighted logistic fit of y on a + b * z (with offset when b is fixed at 1).
void recalibrate(const std::vector<double>& z, const std::vector<double>& y, const std::vector<double>& w, bool offset,
                 double* a, double* b) {
  double A = 0, B = 1;
  const size_t n = z.size();
  for (int it = 0; it < 100; ++it) {
    double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
    for (size_t i = 0; i < n; ++i) {
      const double wi = w.empty() ? 1 : w[i];
      if (wi <= 0) continue;
      const double eta = A + B * z[i];
      const double mu = 1 / (1 + std::exp(-eta));
      const double r = (y[i] - mu) * wi, v = mu * (1 - mu) * wi;
      g0 += r;
      g1 += r * z[i];
      h00 += v;
      h01 += v * z[i];
      h11 += v * z[i] * z[i];
    }
    double dA, dB = 0;
    if (offset) {
      if (h00 <= 0) break;
      dA = g0 / h00;
    } else {
      const double det = h00 * h11 - h01 * h01;
      if (!(det > 1e-300)) break;
      dA = (h11 * g0 - h01 * g1) / det;
      dB = (h00 * g1 - h01 * g0) / det;
    }
    dA = std::max(-5.0, std::min(5.0, dA));
    dB = std::max(-5.0, std::min(5.0, dB));
    A += dA;
    B += dB;
    if (std::abs(dA) + std::abs(dB) < 1e-10) break;
  }
  *a = A;
  *b = B;
}

std::vector<double> thresholds() {
  std::vector<double> t;
  for (int i = 1; i <= 99; ++i) t.push_back(i / 100.0);
  return t;
}

}  // namespace

double harrell_c(const std::vector<double>& risk, const std::vector<double>& time, const std::vector<int>& event) {
  const size_t n = time.size();
  std::vector<size_t> o(n);
  std::iota(o.begin(), o.end(), 0);
  std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return time[a] > time[b]; });
  const std::vector<size_t> r = dense_rank(risk);
  Fenwick fw(n + 1);
  double conc = 0, pairs = 0, inserted = 0;
  // Walk times descending; subjects with strictly longer times are in the tree.
  for (size_t i = 0; i < n;) {
    size_t k = i;
    while (k < n && time[o[k]] == time[o[i]]) ++k;
    for (size_t m = i; m < k; ++m) {
      const size_t a = o[m];
      if (!event[a]) continue;
      const double lower = fw.sum(r[a] - 1), equal = fw.sum(r[a]) - lower;
      conc += lower + 0.5 * equal;
      pairs += inserted;
    }
    for (size_t m = i; m < k; ++m) fw.add(r[o[m]], 1), inserted += 1;
    i = k;
  }
  return pairs > 0 ? conc / pairs : std::nan("");
}

void horizon_status(const std::vector<double>& time, const std::vector<int>& event, double horizon,
                    std::vector<int>* status, std::vector<double>* weight) {
  const KaplanMeier g = censoring_km(time, event);
  const size_t n = time.size();
  status->assign(n, -1);
  weight->assign(n, 0);
  const double gh = std::max(g.at(horizon), 1e-3);
  for (size_t i = 0; i < n; ++i) {
    if (time[i] <= horizon && event[i]) {
      (*status)[i] = 1;
      (*weight)[i] = 1 / std::max(g.before(time[i]), 1e-3);
    } else if (time[i] > horizon) {
      (*status)[i] = 0;
      (*weight)[i] = 1 / gh;
    }
  }
}

double time_auc(const std::vector<double>& risk, const std::vector<double>& time, const std::vector<int>& event,
                double horizon) {
  std::vector<int> st;
  std::vector<double> w;
  horizon_status(time, event, horizon, &st, &w);
  std::vector<double> controls;
  for (size_t i = 0; i < st.size(); ++i)
    if (st[i] == 0) controls.push_back(risk[i]);
  std::sort(controls.begin(), controls.end());
  double num = 0, den = 0;
  for (size_t i = 0; i < st.size(); ++i) {
    if (st[i] != 1) continue;
    const double below = std::lower_bound(controls.begin(), controls.end(), risk[i]) - controls.begin();
    const double equal = (std::upper_bound(controls.begin(), controls.end(), risk[i]) - controls.begin()) - below;
    num += w[i] * (below + 0.5 * equal);
    den += w[i] * controls.size();
  }
  return den > 0 ? num / den : std::nan("");
}

json Calibration::to_json() const {
  return json{{"slope", slope},          {"intercept", intercept},         {"calibration_in_the_large", citl},
              {"brier", brier},          {"observed", observed},           {"expected", expected},
              {"bin_predicted", bin_predicted}, {"bin_observed", bin_observed}, {"bin_n", bin_n}};
}

Calibration calibration(const std::vector<double>& p, const std::vector<double>& y, const std::vector<double>& w,
                        int bins) {
  Calibration c;
  const size_t n = p.size();
  double sw = 0;
  std::vector<double> z(n);
  for (size_t i = 0; i < n; ++i) {
    const double wi = w.empty() ? 1 : w[i];
    sw += wi;
    c.brier += wi * (p[i] - y[i]) * (p[i] - y[i]);
    c.observed += wi * y[i];
    c.expected += wi * p[i];
    z[i] = logit(p[i]);
  }
  if (sw <= 0) return c;
  c.brier /= sw;
  c.observed /= sw;
  c.expected /= sw;
  recalibrate(z, y, w, false, &c.intercept, &c.slope);
  double b1;
  std::vector<double> zz = z;
  // calibration-in-the-large: intercept with logit(p) as offset (slope fixed at 1)
  {
    double a = 0;
    std::vector<double> yy = y;
    recalibrate(zz, yy, w, true, &a, &b1);
    c.citl = a;
  }
  std::vector<size_t> o(n);
  std::iota(o.begin(), o.end(), 0);
  std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  const int k = std::max(1, std::min<int>(bins, static_cast<int>(n / 10)));
  for (int b = 0; b < k; ++b) {
    const size_t lo = n * b / k, hi = n * (b + 1) / k;
    double sp = 0, sy = 0, s = 0;
    for (size_t m = lo; m < hi; ++m) {
      const double wi = w.empty() ? 1 : w[o[m]];
      sp += wi * p[o[m]];
      sy += wi * y[o[m]];
      s += wi;
    }
    if (s <= 0) continue;
    c.bin_predicted.push_back(sp / s);
    c.bin_observed.push_back(sy / s);
    c.bin_n.push_back(hi - lo);
  }
  return c;
}

Calibration survival_calibration(const std::vector<double>& risk, const std::vector<double>& time,
                                 const std::vector<int>& event, double horizon, int bins) {
  std::vector<int> st;
  std::vector<double> w;
  horizon_status(time, event, horizon, &st, &w);
  std::vector<double> y(st.size());
  for (size_t i = 0; i < st.size(); ++i) y[i] = st[i] == 1;
  Calibration c = calibration(risk, y, w, bins);
  // Observed risk per group: 1 - KM at the horizon among the group's rows (all of them).
  const size_t n = risk.size();
  std::vector<size_t> o(n);
  std::iota(o.begin(), o.end(), 0);
  std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return risk[a] < risk[b]; });
  const int k = std::max(1, std::min<int>(bins, static_cast<int>(n / 10)));
  c.bin_predicted.clear();
  c.bin_observed.clear();
  c.bin_n.clear();
  for (int b = 0; b < k; ++b) {
    const size_t lo = n * b / k, hi = n * (b + 1) / k;
    std::vector<double> t;
    std::vector<int> e;
    double sp = 0;
    for (size_t m = lo; m < hi; ++m) t.push_back(time[o[m]]), e.push_back(event[o[m]]), sp += risk[o[m]];
    if (t.empty()) continue;
    c.bin_predicted.push_back(sp / t.size());
    c.bin_observed.push_back(1 - kaplan_meier(t, e).at(horizon));
    c.bin_n.push_back(t.size());
  }
  return c;
}

json DecisionCurve::to_json() const {
  return json{{"threshold", threshold}, {"model", model}, {"treat_all", treat_all}};
}

DecisionCurve decision_curve(const std::vector<double>& p, const std::vector<double>& y) {
  DecisionCurve d;
  d.threshold = thresholds();
  const double n = p.size();
  double prev = 0;
  for (double v : y) prev += v;
  prev /= n;
  for (double t : d.threshold) {
    double tp = 0, fp = 0;
    for (size_t i = 0; i < p.size(); ++i)
      if (p[i] >= t) (y[i] ? tp : fp) += 1;
    d.model.push_back(tp / n - fp / n * t / (1 - t));
    d.treat_all.push_back(prev - (1 - prev) * t / (1 - t));
  }
  return d;
}

DecisionCurve survival_decision_curve(const std::vector<double>& risk, const std::vector<double>& time,
                                      const std::vector<int>& event, double horizon) {
  DecisionCurve d;
  d.threshold = thresholds();
  const double n = risk.size();
  const double all = 1 - kaplan_meier(time, event).at(horizon);
  for (double t : d.threshold) {
    std::vector<double> tt;
    std::vector<int> ee;
    for (size_t i = 0; i < risk.size(); ++i)
      if (risk[i] >= t) tt.push_back(time[i]), ee.push_back(event[i]);
    double nb = 0;
    if (!tt.empty()) {
      const double r = 1 - kaplan_meier(tt, ee).at(horizon), share = tt.size() / n;
      nb = r * share - (1 - r) * share * t / (1 - t);
    }
    d.model.push_back(nb);
    d.treat_all.push_back(all - (1 - all) * t / (1 - t));
  }
  return d;
}

json Interval::to_json() const { return json{{"value", value}, {"lo", lo}, {"hi", hi}}; }

Interval bootstrap(size_t n, int reps, uint64_t seed, const std::function<double(const std::vector<size_t>&)>& statistic) {
  Interval out;
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  out.value = statistic(all);
  Rng rng(seed);
  std::vector<double> vals;
  std::vector<size_t> idx(n);
  for (int r = 0; r < reps; ++r) {
    for (size_t i = 0; i < n; ++i) idx[i] = rng.next() % n;
    const double v = statistic(idx);
    if (std::isfinite(v)) vals.push_back(v);
  }
  if (vals.empty()) {
    out.lo = out.hi = std::nan("");
    return out;
  }
  std::sort(vals.begin(), vals.end());
  auto q = [&](double f) { return vals[std::min(vals.size() - 1, static_cast<size_t>(f * (vals.size() - 1) + 0.5))]; };
  out.lo = q(0.025);
  out.hi = q(0.975);
  return out;
}

}  // namespace medgen::predict
