#include "medgen/predict/trajectory.h"

#include <algorithm>
#include <cmath>
#include <array>
#include <map>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/predict/model.h"

namespace medgen::predict {

using json = nlohmann::json;

namespace {

struct Series {
  std::string id;
  std::vector<double> t, y;  // sorted by t; y on the model scale
};

// Population model: (a, b) ~ N(mu, D); y = a + b t + e, e ~ N(0, s2).
struct Population {
  double mu[2] = {0, 0};
  double D[4] = {1, 0, 0, 1};
  double s2 = 1;
};

Population estimate(const std::vector<const Series*>& ss) {
  std::vector<std::array<double, 2>> coef;
  double rss = 0, dof = 0, mean_y = 0, ny = 0;
  for (const Series* s : ss) {
    for (double y : s->y) mean_y += y, ++ny;
    const size_t n = s->t.size();
    if (n < 3) continue;
    double mt = 0, my = 0;
    for (size_t i = 0; i < n; ++i) mt += s->t[i], my += s->y[i];
    mt /= n;
    my /= n;
    double stt = 0, sty = 0;
    for (size_t i = 0; i < n; ++i) stt += (s->t[i] - mt) * (s->t[i] - mt), sty += (s->t[i] - mt) * (s->y[i] - my);
    if (stt <= 0) continue;
    const double b = sty / stt, a = my - b * mt;
    for (size_t i = 0; i < n; ++i) rss += (s->y[i] - a - b * s->t[i]) * (s->y[i] - a - b * s->t[i]);
    dof += n - 2;
    coef.push_back({a, b});
  }
  Population p;
  if (coef.size() < 3) throw InvalidInput("trajectories: fewer than 3 patients with 3 or more visits");
  for (const auto& c : coef) p.mu[0] += c[0] / coef.size(), p.mu[1] += c[1] / coef.size();
  double d00 = 0, d01 = 0, d11 = 0;
  for (const auto& c : coef) {
    d00 += (c[0] - p.mu[0]) * (c[0] - p.mu[0]);
    d01 += (c[0] - p.mu[0]) * (c[1] - p.mu[1]);
    d11 += (c[1] - p.mu[1]) * (c[1] - p.mu[1]);
  }
  const double k = static_cast<double>(coef.size() - 1);
  p.s2 = dof > 0 ? rss / dof : 1e-6;
  // The spread of per-patient estimates includes their sampling noise; this keeps D modest but
  // positive definite (a small ridge).
  p.D[0] = d00 / k + 1e-9;
  p.D[1] = p.D[2] = d01 / k;
  p.D[3] = d11 / k + 1e-9;
  const double det = p.D[0] * p.D[3] - p.D[1] * p.D[1];
  if (det <= 1e-12 * p.D[0] * p.D[3]) p.D[1] = p.D[2] = 0.9 * std::copysign(std::sqrt(p.D[0] * p.D[3]), d01);
  (void)mean_y;
  return p;
}

// Posterior of (a, b) after observations (t_i, y_i): precision form.
void posterior(const Population& p, const std::vector<double>& t, const std::vector<double>& y, size_t upto, double m[2],
               double S[4]) {
  const double det = p.D[0] * p.D[3] - p.D[1] * p.D[2];
  double P[4] = {p.D[3] / det, -p.D[1] / det, -p.D[2] / det, p.D[0] / det};  // prior precision
  double h[2] = {P[0] * p.mu[0] + P[1] * p.mu[1], P[2] * p.mu[0] + P[3] * p.mu[1]};
  for (size_t i = 0; i < upto; ++i) {
    P[0] += 1 / p.s2;
    P[1] += t[i] / p.s2;
    P[2] += t[i] / p.s2;
    P[3] += t[i] * t[i] / p.s2;
    h[0] += y[i] / p.s2;
    h[1] += t[i] * y[i] / p.s2;
  }
  const double dp = P[0] * P[3] - P[1] * P[2];
  S[0] = P[3] / dp;
  S[1] = -P[1] / dp;
  S[2] = -P[2] / dp;
  S[3] = P[0] / dp;
  m[0] = S[0] * h[0] + S[1] * h[1];
  m[1] = S[2] * h[0] + S[3] * h[1];
}

void predict(const Population& p, const double m[2], const double S[4], double t, double* mean, double* sd) {
  *mean = m[0] + m[1] * t;
  *sd = std::sqrt(S[0] + 2 * t * S[1] + t * t * S[3] + p.s2);
}

std::string patient_key(const Column& idc, size_t i) {
  char idbuf[40];
  if (idc.storage == Storage::kNumber) std::snprintf(idbuf, sizeof idbuf, "%.15g", idc.values[i]);
  return idc.storage == Storage::kString ? idc.dictionary[idc.codes[i]] : std::string(idbuf);
}

// One marker's series per patient (time / scale, sorted; values on the model scale).
struct MarkerSeries {
  bool logscale = false;
  std::map<std::string, Series> by;
};

MarkerSeries marker_series(const Column& idc, const Column& tc, const Column& mc, const std::string& mk,
                           const std::string& source, double scale) {
  if (mc.storage != Storage::kNumber) throw InvalidInput(source + ": marker '" + mk + "' is not numerical");
  std::vector<double> vals;
  bool positive = true;
  for (size_t i = 0; i < mc.size(); ++i)
    if (mc.valid[i]) vals.push_back(mc.values[i]), positive = positive && mc.values[i] > 0;
  if (vals.size() < 10) throw InvalidInput(source + ": marker '" + mk + "' has fewer than 10 values");
  double mean = 0, m2 = 0, m3 = 0;
  for (double v : vals) mean += v / vals.size();
  for (double v : vals) m2 += (v - mean) * (v - mean) / vals.size(), m3 += std::pow(v - mean, 3) / vals.size();
  MarkerSeries out;
  out.logscale = positive && m2 > 0 && m3 / std::pow(m2, 1.5) > 1.0;
  for (size_t i = 0; i < mc.size(); ++i) {
    if (!mc.valid[i] || !tc.valid[i] || idc.is_missing(i)) continue;
    const std::string id = patient_key(idc, i);
    Series& s = out.by[id];
    s.id = id;
    s.t.push_back(tc.values[i] / scale);
    s.y.push_back(out.logscale ? std::log(mc.values[i]) : mc.values[i]);
  }
  for (auto& [id, s] : out.by) {
    std::vector<size_t> ord(s.t.size());
    for (size_t k = 0; k < ord.size(); ++k) ord[k] = k;
    std::sort(ord.begin(), ord.end(), [&](size_t a, size_t b) { return s.t[a] < s.t[b]; });
    Series c = s;
    for (size_t k = 0; k < ord.size(); ++k) c.t[k] = s.t[ord[k]], c.y[k] = s.y[ord[k]];
    s = c;
  }
  return out;
}

double time_scale(const Column& tc) {
  double tmax = 0;
  for (size_t i = 0; i < tc.size(); ++i)
    if (tc.valid[i]) tmax = std::max(tmax, std::abs(tc.values[i]));
  return tmax > 0 ? tmax : 1;
}

double median_gap(const std::map<std::string, Series>& by) {
  std::vector<double> gaps;
  for (const auto& [id, s] : by)
    for (size_t k = 1; k < s.t.size(); ++k) gaps.push_back(s.t[k] - s.t[k - 1]);
  std::sort(gaps.begin(), gaps.end());
  return gaps.empty() ? 0.1 : gaps[gaps.size() / 2];
}

}  // namespace

json forecast_trajectories(const Table& table, const TrajectoryOptions& o, const std::string& source) {
  auto col = [&](const std::string& name) -> const Column& {
    const int ci = table.find(name);
    if (ci < 0) throw InvalidInput(source + ": no column '" + name + "'");
    return table.columns[ci];
  };
  const Column& idc = col(o.id);
  const Column& tc = col(o.time);
  if (tc.storage != Storage::kNumber) throw InvalidInput(source + ": visit time '" + o.time + "' is not numerical");
  if (o.markers.empty()) throw InvalidInput("forecast: give at least one --marker");
  // Time scale: the spread of visit times, so that slopes are per typical follow-up.
  const double scale = time_scale(tc);
  json out{{"source", source}, {"id", o.id}, {"time", o.time}, {"markers", json::array()},
           {"model", "linear mixed model (random intercept and slope), two-stage population estimates, Gaussian "
                     "posterior update per visit; intervals are 95% posterior predictive"}};
  for (const std::string& mk : o.markers) {
    MarkerSeries ms = marker_series(idc, tc, col(mk), mk, source, scale);
    const bool logscale = ms.logscale;
    std::vector<Series*> all;
    for (auto& [id, s] : ms.by) all.push_back(&s);
    // Two halves by patient; each half forecast by the other's population model.
    std::vector<const Series*> half[2];
    for (size_t k = 0; k < all.size(); ++k) half[k % 2].push_back(all[k]);
    double abs_err = 0, abs_lvcf = 0, covered = 0, count = 0;
    for (int h = 0; h < 2; ++h) {
      const Population pop = estimate(half[1 - h]);
      for (const Series* s : half[h])
        for (size_t k = 1; k < s->t.size(); ++k) {
          double m[2], S[4], mu, sd;
          posterior(pop, s->t, s->y, k, m, S);
          predict(pop, m, S, s->t[k], &mu, &sd);
          const double back = logscale ? std::exp(mu) : mu, truth = logscale ? std::exp(s->y[k]) : s->y[k];
          const double last = logscale ? std::exp(s->y[k - 1]) : s->y[k - 1];
          abs_err += std::abs(back - truth);
          abs_lvcf += std::abs(last - truth);
          covered += std::abs(s->y[k] - mu) <= 1.959964 * sd;
          ++count;
        }
    }
    const Population pop = estimate(std::vector<const Series*>(all.begin(), all.end()));
    // Typical gap between visits, for each patient's next forecast.
    const double gap = median_gap(ms.by);
    json patients = json::array();
    for (const Series* s : all) {
      if (patients.size() >= o.max_patients_listed) break;
      double m[2], S[4], mu, sd;
      posterior(pop, s->t, s->y, s->t.size(), m, S);
      const double tn = s->t.back() + gap;
      predict(pop, m, S, tn, &mu, &sd);
      auto back = [&](double v) { return logscale ? std::exp(v) : v; };
      patients.push_back({{"id", s->id}, {"visits", s->t.size()}, {"last_time", s->t.back() * scale},
                          {"last_value", back(s->y.back())}, {"next_time", tn * scale}, {"mean", back(mu)},
                          {"lo95", back(mu - 1.959964 * sd)}, {"hi95", back(mu + 1.959964 * sd)},
                          {"slope_per_time_unit", m[1] / scale}});
    }
    out["markers"].push_back(
        {{"marker", mk},
         {"log_scale", logscale},
         {"patients", all.size()},
         {"population", {{"intercept", pop.mu[0]}, {"slope_per_time_unit", pop.mu[1] / scale}, {"residual_sd", std::sqrt(pop.s2)}}},
         {"evaluation",
          {{"forecasts", count},
           {"mae", count ? abs_err / count : 0.0},
           {"mae_last_value_carried_forward", count ? abs_lvcf / count : 0.0},
           {"coverage95", count ? covered / count : 0.0},
           {"method", "patients split in two halves; each half forecast one visit ahead from its earlier visits by the "
                      "other half's population model"}}},
         {"forecasts", patients}});
  }
  return out;
}

json forecast_risk(const Table& table, const TrajectoryOptions& o, const Model& model, const ForecastRiskOptions& r,
                   const std::string& source) {
  if (model.task() != Task::kSurvival || !std::isfinite(model.outcome.horizon))
    throw InvalidInput("forecast risk: the model must be a survival model with a horizon (fit it with --horizon)");
  if (r.draws < 10 || r.draws > 100000) throw InvalidInput("forecast risk: --draws must be in [10, 100000]");
  if (o.markers.empty()) throw InvalidInput("forecast: give at least one --marker");
  auto col = [&](const std::string& name) -> const Column& {
    const int ci = table.find(name);
    if (ci < 0) throw InvalidInput(source + ": no column '" + name + "'");
    return table.columns[ci];
  };
  const Column& idc = col(o.id);
  const Column& tc = col(o.time);
  if (tc.storage != Storage::kNumber) throw InvalidInput(source + ": visit time '" + o.time + "' is not numerical");
  for (const std::string& c : model.design.columns())
    if (table.find(c) < 0) throw InvalidInput(source + ": no column '" + c + "', a feature of the model");
  bool uses_marker = false;
  for (const std::string& mk : o.markers) {
    const auto cs = model.design.columns();
    uses_marker = uses_marker || std::find(cs.begin(), cs.end(), mk) != cs.end();
  }
  if (!uses_marker) throw InvalidInput("forecast risk: none of the markers is a feature of the model");
  const double scale = time_scale(tc);
  std::vector<MarkerSeries> series;
  std::vector<Population> pops;
  for (const std::string& mk : o.markers) {
    series.push_back(marker_series(idc, tc, col(mk), mk, source, scale));
    std::vector<const Series*> all;
    for (const auto& [id, s] : series.back().by) all.push_back(&s);
    pops.push_back(estimate(all));
  }
  const double gap = median_gap(series[0].by);

  // The visits (rows) at which a forecast is made: per patient its latest, or every visit of one.
  std::map<std::string, std::vector<size_t>> rows_of;
  for (size_t i = 0; i < table.num_rows(); ++i)
    if (!idc.is_missing(i) && tc.valid[i]) rows_of[patient_key(idc, i)].push_back(i);
  std::vector<size_t> at;
  if (!r.patient.empty()) {
    auto it = rows_of.find(r.patient);
    if (it == rows_of.end()) throw InvalidInput(source + ": no patient '" + r.patient + "' in column '" + o.id + "'");
    at = it->second;
    std::stable_sort(at.begin(), at.end(), [&](size_t a, size_t b) { return tc.values[a] < tc.values[b]; });
  } else {
    for (auto& [id, rows] : rows_of) {
      std::vector<size_t> upto;
      for (size_t i : rows)
        if (std::isnan(r.at) || tc.values[i] <= r.at) upto.push_back(i);
      if (!upto.empty())
        at.push_back(*std::max_element(upto.begin(), upto.end(), [&](size_t a, size_t b) { return tc.values[a] < tc.values[b]; }));
    }
    if (at.empty()) throw InvalidInput(source + ": no visit at or before --at " + std::to_string(r.at));
  }

  // Per forecast point: one row as observed, one with the forecast means, then `draws` rows of
  // draws; the model scores them all at once.
  const size_t per = 2 + static_cast<size_t>(r.draws);
  std::vector<size_t> take;
  for (size_t i : at) take.insert(take.end(), per, i);
  Table t = table.take(take);
  Rng rng(r.seed);
  json points = json::array();
  std::vector<json> forecast_of(at.size());
  std::vector<uint8_t> usable(at.size(), 1);
  for (size_t k = 0; k < at.size(); ++k) {
    const std::string id = patient_key(idc, at[k]);
    const double tp = tc.values[at[k]] / scale, tn = tp + gap;
    json fm = json::object();
    for (size_t m = 0; m < o.markers.size(); ++m) {
      Column& mc = t.columns[t.find(o.markers[m])];
      auto it = series[m].by.find(id);
      size_t upto = 0;
      if (it != series[m].by.end())
        while (upto < it->second.t.size() && it->second.t[upto] <= tp) ++upto;
      if (upto == 0) {  // no value of this marker yet: nothing to forecast from
        usable[k] = 0;
        break;
      }
      double post[2], S[4], mu, sd;
      posterior(pops[m], it->second.t, it->second.y, upto, post, S);
      predict(pops[m], post, S, tn, &mu, &sd);
      auto back = [&](double v) { return series[m].logscale ? std::exp(v) : v; };
      fm[o.markers[m]] = {{"mean", back(mu)}, {"lo95", back(mu - 1.959964 * sd)}, {"hi95", back(mu + 1.959964 * sd)}};
      const size_t base = k * per;
      mc.values[base + 1] = back(mu);
      mc.valid[base + 1] = 1;
      for (size_t d = 0; d < static_cast<size_t>(r.draws); ++d) {
        mc.values[base + 2 + d] = back(mu + sd * rng.normal());
        mc.valid[base + 2 + d] = 1;
      }
    }
    forecast_of[k] = fm;
  }
  const std::vector<double> x = model.design.matrix(t);
  const std::vector<double> risk = model.risk_from_margin(model.margin(x, t.num_rows()));
  for (size_t k = 0; k < at.size(); ++k) {
    json p{{"id", patient_key(idc, at[k])}, {"visit_time", tc.values[at[k]]}};
    const size_t base = k * per;
    p["risk_observed"] = std::isfinite(risk[base]) ? json(risk[base]) : json();
    if (!usable[k]) {
      p["note"] = "a marker has no value yet";
      points.push_back(p);
      continue;
    }
    std::vector<double> draws;
    for (size_t d = 0; d < static_cast<size_t>(r.draws); ++d)
      if (std::isfinite(risk[base + 2 + d])) draws.push_back(risk[base + 2 + d]);
    p["forecast_time"] = tc.values[at[k]] + gap * scale;
    p["forecast"] = forecast_of[k];
    if (draws.empty() || !std::isfinite(risk[base + 1])) {
      p["note"] = "a feature of the model is missing at this visit";
      points.push_back(p);
      continue;
    }
    std::sort(draws.begin(), draws.end());
    auto q = [&](double f) { return draws[std::min(draws.size() - 1, static_cast<size_t>(f * (draws.size() - 1) + 0.5))]; };
    p["risk"] = risk[base + 1];
    p["risk_lo95"] = q(0.025);
    p["risk_hi95"] = q(0.975);
    points.push_back(p);
  }
  return json{{"source", source},
              {"model", to_string(model.kind)},
              {"horizon", model.outcome.horizon},
              {"next_visit_after", gap * scale},
              {"draws", r.draws},
              {"method", "risk of the event within the horizon from the forecast time: the row at the visit with the "
                         "markers set to their forecast at the next visit (visit time + median gap); interval: 2.5% and "
                         "97.5% of the risks of joint draws from the markers' 95% predictive distributions (independent "
                         "across markers). The model's hazard is assumed to hold from the forecast time (not validated)."},
              {"points", points}};
}

}  // namespace medgen::predict
