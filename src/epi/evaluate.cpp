#include "medgen/epi/evaluate.h"

#include <algorithm>
#include <cmath>

#include "medgen/core/error.h"
#include "medgen/epi/score.h"

namespace medgen::epi {

void EvaluateOptions::validate() const {
  if (!(train_share >= 0.2 && train_share <= 0.9)) throw InvalidInput("--train-share must be in [0.2, 0.9]");
  if (horizons < 0 || horizons > 60) throw InvalidInput("--horizons must be in 1..60 (0 = the step's default)");
  if (particles < 50 || particles > 1000000) throw InvalidInput("--particles must be in 50..1000000");
  if (draws < 50 || draws > 1000000) throw InvalidInput("--draws must be in 50..1000000");
  if (window < 0 || window > 60) throw InvalidInput("--window must be in 1..60 (0 = the step's default)");
  if (refit_every < 0 || refit_every > 10000) throw InvalidInput("--refit-every must be in 0..10000");
}

namespace {

struct Tally {
  double wis = 0, ae = 0, cov50 = 0, cov95 = 0;
  size_t n = 0;
  void add(const std::vector<double>& q, double y) {
    wis += weighted_interval_score(q, y);
    ae += std::fabs(median_of(q) - y);
    cov50 += covered(q, y, 0.5);
    cov95 += covered(q, y, 0.05);
    ++n;
  }
  nlohmann::json to_json() const {
    return {{"forecasts", n}, {"wis", wis / n}, {"mae", ae / n}, {"coverage50", cov50 / n}, {"coverage95", cov95 / n}};
  }
};

nlohmann::json mixture_json(const SeirFit& f) {
  nlohmann::json m = nlohmann::json::array();
  for (const auto& [p, w] : f.mixture)
    m.push_back({{"rw_sd", p.rw_sd},
                 {"dispersion", p.dispersion},
                 {"population", std::isfinite(p.population) ? nlohmann::json(p.population) : nlohmann::json("inf")},
                 {"waning", p.waning},
                 {"weight", w}});
  return m;
}

nlohmann::json quantile_json(const std::vector<double>& q) {
  const auto& lv = quantile_levels();
  return {{"median", median_of(q)}, {"lo50", q[std::find(lv.begin(), lv.end(), 0.25) - lv.begin()]},
          {"hi50", q[std::find(lv.begin(), lv.end(), 0.75) - lv.begin()]}, {"lo95", q[1]}, {"hi95", q[lv.size() - 2]}};
}

}  // namespace

nlohmann::json evaluate_forecasts(const Series& s, const EvaluateOptions& o, uint64_t seed) {
  o.validate();
  check_si(s.si, s.source);
  const bool weekly = s.step == "week";
  const int H = o.horizons ? o.horizons : (weekly ? 4 : 7);
  RenewalParams rp;
  rp.window = o.window ? o.window : (weekly ? 3 : 7);
  const size_t T = s.cases.size();
  const size_t train_end = static_cast<size_t>(std::floor(o.train_share * T));
  if (train_end < 5 || train_end + 1 >= T)
    throw InvalidInput(s.source + ": too few steps to hold out a part (" + std::to_string(T) + " steps, train share " +
                       std::to_string(o.train_share) + ")");
  SeirParams base;
  base.latent = base.infectious = std::max(0.05, s.si_mean / 2);
  base.particles = o.particles;
  // A series longer than a year may span several seasons: let immunity wane over about a year.
  const double steps_per_year = weekly ? 52.0 : 365.0;
  if (T > steps_per_year) base.waning = 1 / steps_per_year;
  const int refit = o.refit_every;

  // Origins: every step from the end of training to the end (the last one forecasts beyond the data).
  std::vector<size_t> origins;
  for (size_t t = train_end - 1; t < T; ++t) origins.push_back(t);
  // Segments of origins, each forecast with hyperparameters chosen on the data up to its first origin.
  FilterResult fr;
  SeirFit fit;
  nlohmann::json refits = nlohmann::json::array();
  for (size_t a = 0; a < origins.size();) {
    const size_t b = refit > 0 ? std::min(origins.size(), a + refit) : origins.size();
    const SeirFit f = fit_seir(s.cases, origins[a] + 1, base, seed);
    if (a == 0) fit = f;
    const std::vector<size_t> seg(origins.begin() + a, origins.begin() + b);
    FilterResult part = forecast_mixture(s.cases, seg.back(), f.mixture, seg, H, o.draws, seed + 1 + a);
    for (auto& x : part.forecasts) fr.forecasts.push_back(std::move(x));
    if (b == origins.size()) fr.r_effective = part.r_effective;
    refits.push_back({{"from_origin", origins[a]},
                      {"rw_sd", f.params.rw_sd},
                      {"dispersion", f.params.dispersion},
                      {"population", std::isfinite(f.params.population) ? nlohmann::json(f.params.population) : nlohmann::json("inf")},
                      {"waning", f.params.waning},
                      {"mixture", mixture_json(f)}});
    a = b;
  }

  const char* names[3] = {"seir", "renewal", "persistence"};
  std::vector<std::vector<Tally>> tally(3, std::vector<Tally>(H));
  std::vector<Tally> overall(3);
  nlohmann::json beyond = nlohmann::json::object();
  for (size_t k = 0; k < origins.size(); ++k) {
    const size_t t = origins[k];
    const std::vector<std::vector<double>> q[3] = {
        fr.forecasts[k].quantiles, renewal_forecast(s.cases, t, s.si, rp, H, o.draws, seed + 2 + t),
        persistence_forecast(s.cases, t, H)};
    for (int m = 0; m < 3; ++m)
      for (int h = 1; h <= H; ++h) {
        if (t + h < T) {
          tally[m][h - 1].add(q[m][h - 1], s.cases[t + h]);
          overall[m].add(q[m][h - 1], s.cases[t + h]);
        } else if (t == T - 1) {
          beyond[names[m]].push_back(quantile_json(q[m][h - 1]));
        }
      }
  }
  nlohmann::json methods = nlohmann::json::object();
  for (int m = 0; m < 3; ++m) {
    nlohmann::json by = nlohmann::json::array();
    for (int h = 0; h < H; ++h) {
      nlohmann::json j = tally[m][h].n ? tally[m][h].to_json() : nlohmann::json{{"forecasts", 0}};
      j["horizon"] = h + 1;
      by.push_back(j);
    }
    methods[names[m]] = {{"overall", overall[m].to_json()}, {"by_horizon", by}};
  }
  const double pers = overall[2].wis / overall[2].n;
  nlohmann::json rel = nlohmann::json::object();
  for (int m = 0; m < 3; ++m) rel[names[m]] = overall[m].wis / overall[m].n / pers;
  const REstimate r_end = estimate_r(s.cases, T - 1, s.si, rp);
  nlohmann::json p = {{"latent_steps", fit.params.latent},
                      {"infectious_steps", fit.params.infectious},
                      {"rw_sd", fit.params.rw_sd},
                      {"dispersion", fit.params.dispersion},
                      {"population", std::isfinite(fit.params.population) ? nlohmann::json(fit.params.population)
                                                                           : nlohmann::json("inf")},
                      {"waning", fit.params.waning},
                      {"particles", fit.params.particles},
                      {"train_loglik", fit.loglik},
                      {"grid_size", fit.grid.size()},
                      {"refit_every", refit},
                      {"fits", refits}};
  return {{"series", s.name},
          {"source", s.source},
          {"step", s.step},
          {"steps", T},
          {"train_steps", train_end},
          {"scored_from_step", train_end},
          {"horizons", H},
          {"renewal_window", rp.window},
          {"seir", p},
          {"methods", methods},
          {"relative_wis_vs_persistence", rel},
          {"r_end", {{"seir", fr.r_effective.back()}, {"renewal_mean", r_end.mean()}}},
          {"forecast_beyond_end", beyond},
          {"quantile_levels", quantile_levels()}};
}

}  // namespace medgen::epi
