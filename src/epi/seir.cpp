#include "medgen/epi/seir.h"

#include <algorithm>
#include <cmath>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/epi/random.h"
#include "medgen/epi/score.h"

namespace medgen::epi {

namespace {

constexpr double kImport = 0.1;      // imported infections per step (reported scale)
constexpr double kObsFloor = 0.1;    // added to the expected incidence in the observation model

struct Dynamics {
  double sigma, gamma, population;  // population inf: no depletion
  double waning = 0;                 // R -> S per step (SEIRS), finite population only
  int substeps;

  // Advances (S, E, I) by one step under transmission rate beta; returns the step's incidence
  // (the E -> I flow). RK4 on (S, E, I, C).
  double step(double& S, double& E, double& I, double beta) const {
    const double h = 1.0 / substeps;
    const bool finite = std::isfinite(population);
    auto f = [&](double s, double e, double i, double* d) {
      const double frac = finite ? std::max(0.0, s) / population : 1.0;
      const double inf = (beta * std::max(0.0, i) + kImport) * frac;
      d[0] = -inf + (finite ? waning * std::max(0.0, population - s - e - i) : 0.0);
      d[1] = inf - sigma * e;
      d[2] = sigma * e - gamma * i;
      d[3] = sigma * e;
    };
    double C = 0;
    for (int k = 0; k < substeps; ++k) {
      double k1[4], k2[4], k3[4], k4[4];
      f(S, E, I, k1);
      f(S + h / 2 * k1[0], E + h / 2 * k1[1], I + h / 2 * k1[2], k2);
      f(S + h / 2 * k2[0], E + h / 2 * k2[1], I + h / 2 * k2[2], k3);
      f(S + h * k3[0], E + h * k3[1], I + h * k3[2], k4);
      S += h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]);
      E += h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]);
      I += h / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2]);
      C += h / 6 * (k1[3] + 2 * k2[3] + 2 * k3[3] + k4[3]);
      S = std::max(0.0, S), E = std::max(0.0, E), I = std::max(0.0, I);
    }
    return std::max(0.0, C);
  }
};

void check(const SeirParams& p) {
  if (!(p.latent > 0 && p.latent < 1e4 && p.infectious > 0 && p.infectious < 1e4))
    throw InvalidInput("SEIR: latent and infectious periods must be in (0, 10000) steps");
  if (!(p.rw_sd >= 0 && p.rw_sd <= 5)) throw InvalidInput("SEIR: random-walk sd must be in [0, 5]");
  if (!(p.dispersion > 0)) throw InvalidInput("SEIR: dispersion must be > 0");
  if (!(p.population > 0)) throw InvalidInput("SEIR: population must be > 0");
  if (!(p.waning >= 0 && p.waning <= 1)) throw InvalidInput("SEIR: waning must be in [0, 1] per step");
  if (p.particles < 10 || p.particles > 1000000) throw InvalidInput("SEIR: particles must be in 10..1000000");
}

}  // namespace

FilterResult run_filter(const std::vector<double>& cases, size_t last, const SeirParams& p,
                        const std::vector<size_t>& origins, int horizons, int draws, uint64_t seed) {
  check(p);
  MEDGEN_ASSERT(last < cases.size());
  Dynamics dyn;
  dyn.sigma = 1 / p.latent;
  dyn.gamma = 1 / p.infectious;
  dyn.population = p.population;
  dyn.waning = p.waning;
  dyn.substeps = std::max(2, static_cast<int>(std::ceil(2 * std::max(dyn.sigma, dyn.gamma))));  // rate x h <= 0.5
  const size_t P = p.particles;
  Rng rng(seed);
  std::vector<double> S(P), E(P), I(P), lb(P), inc(P), logw(P), w(P);
  double y0 = 0;
  const size_t n0 = std::min<size_t>(3, last + 1);
  for (size_t t = 0; t < n0; ++t) y0 += cases[t] / n0;
  y0 = std::max(y0, 0.5);
  for (size_t i = 0; i < P; ++i) {
    const double j = std::exp(0.5 * rng.normal());
    E[i] = y0 * p.latent * j;
    I[i] = y0 * p.infectious * j;
    S[i] = std::isfinite(p.population) ? std::max(0.0, p.population - E[i] - I[i]) : 0;
    lb[i] = std::log(1.5 * dyn.gamma) + 0.5 * rng.normal();
  }
  FilterResult res;
  size_t next_origin = 0;
  std::vector<size_t> idx(P);
  std::vector<double> S2(P), E2(P), I2(P), lb2(P);
  for (size_t t = 0; t <= last; ++t) {
    double mx = -INFINITY;
    for (size_t i = 0; i < P; ++i) {
      if (t > 0) lb[i] += p.rw_sd * rng.normal();
      inc[i] = dyn.step(S[i], E[i], I[i], std::exp(lb[i]));
      logw[i] = negbin_logpmf(cases[t], inc[i] + kObsFloor, p.dispersion);
      mx = std::max(mx, logw[i]);
    }
    double sum = 0;
    for (size_t i = 0; i < P; ++i) sum += (w[i] = std::exp(logw[i] - mx));
    res.loglik += mx + std::log(sum / P);
    double r = 0;
    for (size_t i = 0; i < P; ++i) {
      w[i] /= sum;
      const double frac = std::isfinite(p.population) ? S[i] / p.population : 1.0;
      r += w[i] * std::exp(lb[i]) / dyn.gamma * frac;
    }
    res.r_effective.push_back(r);
    // Systematic resampling.
    const double u0 = rng.uniform() / P;
    double c = w[0];
    size_t j = 0;
    for (size_t i = 0; i < P; ++i) {
      const double u = u0 + static_cast<double>(i) / P;
      while (u > c && j + 1 < P) c += w[++j];
      idx[i] = j;
    }
    for (size_t i = 0; i < P; ++i) S2[i] = S[idx[i]], E2[i] = E[idx[i]], I2[i] = I[idx[i]], lb2[i] = lb[idx[i]];
    S.swap(S2), E.swap(E2), I.swap(I2), lb.swap(lb2);

    while (next_origin < origins.size() && origins[next_origin] < t) ++next_origin;
    if (next_origin < origins.size() && origins[next_origin] == t) {
      std::vector<std::vector<double>> samples(horizons);
      for (int d = 0; d < draws; ++d) {
        const size_t i = static_cast<size_t>(d) % P;
        double s = S[i], e = E[i], in = I[i], l = lb[i];
        for (int h = 0; h < horizons; ++h) {
          l += p.rw_sd * rng.normal();
          const double m = dyn.step(s, e, in, std::exp(l));
          samples[h].push_back(draw_negbin(rng, m + kObsFloor, p.dispersion));
        }
      }
      OriginForecast f;
      f.origin = t;
      if (draws > 0)
        for (auto& s : samples) f.quantiles.push_back(sample_quantiles(s));
      f.samples = std::move(samples);
      res.forecasts.push_back(std::move(f));
      ++next_origin;
    }
  }
  return res;
}

SeirFit fit_seir(const std::vector<double>& cases, size_t train_end, const SeirParams& base, uint64_t seed) {
  MEDGEN_ASSERT(train_end >= 2 && train_end <= cases.size());
  double cum = 0;
  for (size_t t = 0; t < train_end; ++t) cum += cases[t];
  cum = std::max(cum, 20.0);
  SeirFit best;
  best.loglik = -INFINITY;
  best.grid = nlohmann::json::array();
  std::vector<double> wanings{0.0};
  if (base.waning > 0) wanings.push_back(base.waning);
  for (double rw : {0.05, 0.1, 0.2, 0.35, 0.6})
    for (double k : {3.0, 10.0, 30.0, 100.0})
      for (double pop : {2.0, 5.0, 20.0, 100.0})
        for (double wane : wanings) {
        SeirParams p = base;
        p.rw_sd = rw;
        p.dispersion = k;
        p.population = pop * cum;
        p.waning = wane;
        const double ll = run_filter(cases, train_end - 1, p, {}, 0, 0, seed).loglik;
        best.grid.push_back({{"rw_sd", rw},
                             {"dispersion", k},
                             {"population", std::isfinite(p.population) ? nlohmann::json(p.population) : nlohmann::json("inf")},
                             {"waning", wane},
                             {"loglik", ll}});
        if (ll > best.loglik) {
          best.loglik = ll;
          best.params = p;
        }
      }
  // The mixture: weights exp(loglik - max), the most likely settings up to 95% of the weight.
  std::vector<std::pair<double, size_t>> order;
  double total = 0;
  for (size_t i = 0; i < best.grid.size(); ++i) {
    const double w = std::exp(best.grid[i]["loglik"].get<double>() - best.loglik);
    order.emplace_back(w, i);
    total += w;
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  double kept = 0;
  for (const auto& [w, i] : order) {
    const auto& g = best.grid[i];
    SeirParams p = base;
    p.rw_sd = g["rw_sd"].get<double>();
    p.dispersion = g["dispersion"].get<double>();
    p.population = g["population"].is_number() ? g["population"].get<double>() : INFINITY;
    p.waning = g["waning"].get<double>();
    best.mixture.emplace_back(p, w / total);
    kept += w / total;
    if (kept >= 0.95 || best.mixture.size() == 8) break;
  }
  for (auto& m : best.mixture) m.second /= kept;
  return best;
}

FilterResult forecast_mixture(const std::vector<double>& cases, size_t last,
                              const std::vector<std::pair<SeirParams, double>>& mixture,
                              const std::vector<size_t>& origins, int horizons, int draws, uint64_t seed) {
  MEDGEN_ASSERT(!mixture.empty());
  // Paths per setting by largest remainders.
  std::vector<int> n(mixture.size());
  std::vector<std::pair<double, size_t>> rem;
  int given = 0;
  for (size_t j = 0; j < mixture.size(); ++j) {
    const double share = mixture[j].second * draws;
    n[j] = static_cast<int>(std::floor(share));
    given += n[j];
    rem.emplace_back(share - n[j], j);
  }
  std::stable_sort(rem.begin(), rem.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < draws; ++k, ++given) n[rem[k % rem.size()].second]++;
  FilterResult out;
  for (size_t j = 0; j < mixture.size(); ++j) {
    if (n[j] == 0 && j > 0) continue;
    FilterResult r = run_filter(cases, last, mixture[j].first, origins, horizons, n[j], seed + 7919 * j);
    if (j == 0) {
      out.loglik = r.loglik;
      out.r_effective = r.r_effective;
      out.forecasts = std::move(r.forecasts);
      continue;
    }
    for (size_t k = 0; k < out.forecasts.size(); ++k)
      for (int h = 0; h < horizons; ++h) {
        auto& dst = out.forecasts[k].samples[h];
        dst.insert(dst.end(), r.forecasts[k].samples[h].begin(), r.forecasts[k].samples[h].end());
      }
  }
  for (auto& f : out.forecasts) {
    f.quantiles.clear();
    for (auto& s : f.samples) f.quantiles.push_back(sample_quantiles(s));
  }
  return out;
}

}  // namespace medgen::epi
