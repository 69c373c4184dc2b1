// Variational 1-D Gaussian mixture under a truncated stick-breaking Dirichlet-process prior.
//
// Model (Blei & Jordan 2006; Bishop PRML 10.2 with D = 1, the Wishart reducing to a Gamma):
//   v_k ~ Beta(1, gamma), k < K;  v_K = 1 (truncation);  pi_k = v_k prod_{j<k} (1 - v_j)
//   lambda_k ~ Gamma(nu0 / 2, rate = winv0 / 2);  mu_k | lambda_k ~ N(m0, 1 / (beta0 lambda_k))
//   z_n ~ Cat(pi);  x_n | z_n = k ~ N(mu_k, 1 / lambda_k)
// Mean-field q(v) q(mu, lambda) q(z), updated by coordinate ascent. The data are standardised
// first (m0 = 0, unit variance), so the priors and the float arithmetic are scale free.
#include "medgen/tabular/bayesian_gmm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "medgen/core/error.h"

namespace medgen::tabular {

namespace {

// Fits use at most this many distinct values. Larger inputs are subsampled (deterministically
// from the rng) down to this many points; a column of 30,000 draws is represented well enough by
// 10,000 for mode-specific normalization, and it bounds the cost of a column at ~K * 10000 * iters.
constexpr size_t kMaxFitPoints = 10000;
// Prior on each component's variance, as a share of the data variance. sklearn uses the full
// data variance, which with nu0 = 1 adds one "pseudo-point" of data-scale spread to every
// component and inflates narrow modes noticeably (+10% std for a mode holding 30% of the data
// at 1/20 of its spread); a hundredth keeps empty components regular without that bias.
constexpr double kVariancePriorShare = 0.01;
constexpr double kMeanPrecisionPrior = 1.0;  // beta0, in pseudo-points
constexpr double kDofPrior = 1.0;            // nu0 (= the dimension, as usual)
// Reported stds are floored at this share of the data std.
constexpr double kStdFloorShare = 1e-4;
constexpr int kKmeansIters = 10;
constexpr int kMergePasses = 3;
constexpr int kPassBudget = 3;

double digamma(double x) {
  double r = 0.0;
  while (x < 6.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

double log_beta_fn(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// Sorted values -> distinct values with multiplicities (exact compression).
void compress(const std::vector<double>& sorted, std::vector<double>* values, std::vector<double>* weights) {
  values->clear();
  weights->clear();
  for (double v : sorted) {
    if (!values->empty() && values->back() == v) {
      weights->back() += 1.0;
    } else {
      values->push_back(v);
      weights->push_back(1.0);
    }
  }
}

double constant_std(double value) { return 1e-6 * std::max(1.0, std::fabs(value)); }


// Variational state over standardised, weighted points; sufficient statistics are additive,
// so a pass needs no responsibility matrix.
struct Vb {
  const double* z;
  const double* w;
  size_t n;
  double gamma;
  double m0 = 0.0, beta0 = kMeanPrecisionPrior, nu0 = kDofPrior, winv0 = kDofPrior * kVariancePriorShare;
  int K = 0;
  std::vector<double> stat_n, stat_x, stat_xx;    // sum r, sum r z, sum r z^2 (weighted)
  std::vector<double> qa, qb, beta, m, nu, winv;  // q(v_k) = Beta(qa, qb); q(mu, lambda) Normal-Gamma
  std::vector<double> c, half_prec, lr, new_n, new_x, new_xx;

  Vb(const double* z_, const double* w_, size_t n_, double gamma_) : z(z_), w(w_), n(n_), gamma(gamma_) {}

  void set_stats(std::vector<double> sn, std::vector<double> sx, std::vector<double> sxx) {
    K = static_cast<int>(sn.size());
    stat_n = std::move(sn);
    stat_x = std::move(sx);
    stat_xx = std::move(sxx);
    for (auto* v : {&qa, &qb, &beta, &m, &nu, &winv, &c, &half_prec, &lr, &new_n, &new_x, &new_xx}) v->assign(K, 0.0);
  }

  // Pools b into a, drops b and re-sorts by size (largest first).
  void merge(int a, int b) {
    std::vector<double> sn, sx, sxx;
    for (int k = 0; k < K; ++k) {
      if (k == b) continue;
      const double add = k == a;
      sn.push_back(stat_n[k] + add * stat_n[b]);
      sx.push_back(stat_x[k] + add * stat_x[b]);
      sxx.push_back(stat_xx[k] + add * stat_xx[b]);
    }
    std::vector<int> order(sn.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int i, int j) { return sn[i] > sn[j]; });
    std::vector<double> on, ox, oxx;
    for (int i : order) {
      on.push_back(sn[i]);
      ox.push_back(sx[i]);
      oxx.push_back(sxx[i]);
    }
    set_stats(std::move(on), std::move(ox), std::move(oxx));
  }

  void m_step() {
    double tail = 0.0;  // sum_{j > k} N_j
    for (int k = K - 1; k >= 0; --k) {
      qa[k] = 1.0 + stat_n[k];
      qb[k] = gamma + tail;
      tail += stat_n[k];
    }
    for (int k = 0; k < K; ++k) {
      const double nk = stat_n[k];
      const double xbar = nk > 1e-300 ? stat_x[k] / nk : 0.0;
      const double s = nk > 1e-300 ? std::max(0.0, stat_xx[k] / nk - xbar * xbar) : 0.0;
      beta[k] = beta0 + nk;
      m[k] = (beta0 * m0 + nk * xbar) / beta[k];
      nu[k] = nu0 + nk;
      winv[k] = winv0 + nk * s + beta0 * nk / (beta0 + nk) * (xbar - m0) * (xbar - m0);
    }
  }

  // KL(q(theta) || p(theta)). The last stick is fixed at 1 (truncation): no Beta term.
  double kl_theta() const {
    double kl = 0.0;
    for (int k = 0; k + 1 < K; ++k) {
      const double a = qa[k], b = qb[k], ab = digamma(a + b);
      kl += -std::log(gamma) - log_beta_fn(a, b) + (a - 1.0) * (digamma(a) - ab) + (b - gamma) * (digamma(b) - ab);
    }
    const double al0 = nu0 / 2, b0 = winv0 / 2;
    for (int k = 0; k < K; ++k) {
      const double al = nu[k] / 2, b = winv[k] / 2;
      kl += (al - al0) * digamma(al) - std::lgamma(al) + std::lgamma(al0) + al0 * (std::log(b) - std::log(b0)) +
            al * (b0 - b) / b;
      const double el = al / b;
      kl += 0.5 * (beta0 / beta[k] + beta0 * el * (m[k] - m0) * (m[k] - m0) - 1.0 - std::log(beta0 / beta[k]));
    }
    return kl;
  }

  // M-step from the current statistics, then one E-step pass over the points. Returns the
  // lower bound for the new q(theta) with q(z) optimal for it; the statistics become the pass's.
  double pass() {
    m_step();
    static const double half_log_2pi = 0.5 * std::log(2.0 * M_PI);
    double log_rest = 0.0;  // sum_{j<k} E[ln(1 - v_j)]
    for (int k = 0; k < K; ++k) {
      double e_log_pi = log_rest;
      if (k + 1 < K) {
        const double ab = digamma(qa[k] + qb[k]);
        e_log_pi += digamma(qa[k]) - ab;
        log_rest += digamma(qb[k]) - ab;
      }
      const double e_log_lambda = digamma(nu[k] / 2) - std::log(winv[k] / 2);
      // ln rho_nk = c_k - half_prec_k (z_n - m_k)^2
      c[k] = e_log_pi + 0.5 * e_log_lambda - half_log_2pi - 0.5 / beta[k];
      half_prec[k] = 0.5 * nu[k] / winv[k];
    }
    std::fill(new_n.begin(), new_n.end(), 0.0);
    std::fill(new_x.begin(), new_x.end(), 0.0);
    std::fill(new_xx.begin(), new_xx.end(), 0.0);
    double lb = 0.0;
    double* l = lr.data();
    for (size_t i = 0; i < n; ++i) {
      const double zi = z[i];
      double mx = -std::numeric_limits<double>::infinity();
      for (int k = 0; k < K; ++k) {
        const double d = zi - m[k];
        l[k] = c[k] - half_prec[k] * d * d;
        mx = std::max(mx, l[k]);
      }
      double s = 0.0;
      for (int k = 0; k < K; ++k) {
        const double t = l[k] - mx;
        // exp(-40) is below double resolution relative to the winner: skip the call.
        const double e = t > -40.0 ? std::exp(t) : 0.0;
        l[k] = e;
        s += e;
      }
      const double wi = w[i];
      lb += wi * (mx + std::log(s));
      const double scale = wi / s;
      for (int k = 0; k < K; ++k) {
        const double r = l[k] * scale;
        new_n[k] += r;
        new_x[k] += r * zi;
        new_xx[k] += r * zi * zi;
      }
    }
    lb -= kl_theta();
    stat_n.swap(new_n);
    stat_x.swap(new_x);
    stat_xx.swap(new_xx);
    return lb;
  }

  // CAVI until the bound moves less than tol_total or max_iter passes.
  double run(int max_iter, double tol_total, int* iters, double prev = -std::numeric_limits<double>::infinity()) {
    double lb = prev;
    for (int it = 0; it < max_iter; ++it) {
      lb = pass();
      *iters = it + 1;
      if (std::fabs(lb - prev) < tol_total) break;
      prev = lb;
    }
    return lb;
  }
};
}  // namespace

void BgmParams::validate() const {
  if (max_components < 1 || max_components > 100)
    throw InvalidInput("gmm max_components must be in [1, 100], got " + std::to_string(max_components));
  if (!(weight_threshold >= 0.0 && weight_threshold < 1.0))
    throw InvalidInput("gmm weight_threshold must be in [0, 1), got " + std::to_string(weight_threshold));
  if (!(weight_concentration_prior > 0.0 && std::isfinite(weight_concentration_prior)))
    throw InvalidInput("gmm weight_concentration_prior must be positive, got " +
                       std::to_string(weight_concentration_prior));
  if (max_iter < 1 || max_iter > 100000)
    throw InvalidInput("gmm max_iter must be in [1, 100000], got " + std::to_string(max_iter));
  if (!(tol > 0.0 && std::isfinite(tol))) throw InvalidInput("gmm tol must be positive, got " + std::to_string(tol));
}

void BayesianGmm1d::fit(const std::vector<double>& x, const BgmParams& params, Rng& rng) {
  params.validate();
  if (x.empty()) throw InvalidInput("gaussian mixture: no values to fit");
  double sum = 0.0;
  for (double v : x) {
    if (!std::isfinite(v)) throw InvalidInput("gaussian mixture: non-finite value");
    sum += v;
  }
  const double n_all = static_cast<double>(x.size());
  const double mean = sum / n_all;
  double ss = 0.0;
  for (double v : x) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / n_all);
  iterations_ = 0;
  if (!(sd > 0.0) || !std::isfinite(sd)) {
    components_ = {GaussianComponent{1.0, x[0], constant_std(x[0])}};
    return;
  }

  std::vector<double> vals, wts;
  {
    std::vector<double> sorted(x);
    std::sort(sorted.begin(), sorted.end());
    compress(sorted, &vals, &wts);
    if (vals.size() > kMaxFitPoints) {
      // Partial Fisher-Yates: a uniform subsample without replacement.
      std::vector<uint32_t> idx(x.size());
      std::iota(idx.begin(), idx.end(), 0u);
      for (size_t i = 0; i < kMaxFitPoints; ++i) {
        const size_t j = i + static_cast<size_t>(rng.below(idx.size() - i));
        std::swap(idx[i], idx[j]);
      }
      sorted.resize(kMaxFitPoints);
      for (size_t i = 0; i < kMaxFitPoints; ++i) sorted[i] = x[idx[i]];
      std::sort(sorted.begin(), sorted.end());
      compress(sorted, &vals, &wts);
    }
  }
  const size_t n = vals.size();
  std::vector<double> z(n);
  for (size_t i = 0; i < n; ++i) z[i] = (vals[i] - mean) / sd;
  const double w_total = std::accumulate(wts.begin(), wts.end(), 0.0);
  const int kk = static_cast<int>(std::min<size_t>(static_cast<size_t>(params.max_components), n));

  // --- Initialisation: weighted k-means++ seeding, a few Lloyd steps, hard responsibilities.
  std::vector<double> centers;
  centers.reserve(kk);
  {
    std::vector<double> d2(n, std::numeric_limits<double>::infinity());
    size_t first = 0;
    double u = rng.uniform() * w_total;
    for (first = 0; first + 1 < n && u >= wts[first]; ++first) u -= wts[first];
    centers.push_back(z[first]);
    while (static_cast<int>(centers.size()) < kk) {
      double tot = 0.0;
      for (size_t i = 0; i < n; ++i) {
        const double d = z[i] - centers.back();
        d2[i] = std::min(d2[i], d * d);
        tot += wts[i] * d2[i];
      }
      if (!(tot > 0.0)) break;
      double r = rng.uniform() * tot;
      size_t pick = 0;
      for (; pick + 1 < n; ++pick) {
        r -= wts[pick] * d2[pick];
        if (r < 0.0) break;
      }
      centers.push_back(z[pick]);
    }
  }
  const int k_init = static_cast<int>(centers.size());
  std::vector<int> assign(n, 0);
  std::vector<double> cn(k_init), cs(k_init), css(k_init);
  for (int it = 0; it < kKmeansIters; ++it) {
    bool changed = it == 0;
    std::fill(cn.begin(), cn.end(), 0.0);
    std::fill(cs.begin(), cs.end(), 0.0);
    for (size_t i = 0; i < n; ++i) {
      int best = 0;
      double bd = std::fabs(z[i] - centers[0]);
      for (int k = 1; k < k_init; ++k) {
        const double d = std::fabs(z[i] - centers[k]);
        if (d < bd) bd = d, best = k;
      }
      if (assign[i] != best) changed = true;
      assign[i] = best;
      cn[best] += wts[i];
      cs[best] += wts[i] * z[i];
    }
    for (int k = 0; k < k_init; ++k)
      if (cn[k] > 0.0) centers[k] = cs[k] / cn[k];
    if (!changed) break;
  }
  std::fill(cn.begin(), cn.end(), 0.0);
  std::fill(cs.begin(), cs.end(), 0.0);
  for (size_t i = 0; i < n; ++i) {
    const int k = assign[i];
    cn[k] += wts[i];
    cs[k] += wts[i] * z[i];
    css[k] += wts[i] * z[i] * z[i];
  }
  // Largest clusters first: the stick-breaking prior favours early sticks, so a size-biased
  // order is the one the posterior concentrates on anyway, and it converges faster.
  std::vector<int> order(k_init);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return cn[a] > cn[b]; });
  std::vector<double> stat_n(k_init), stat_x(k_init), stat_xx(k_init);
  for (int k = 0; k < k_init; ++k) {
    stat_n[k] = cn[order[k]];
    stat_x[k] = cs[order[k]];
    stat_xx[k] = css[order[k]];
  }

  // --- Coordinate ascent, then merge moves.
  Vb vb(z.data(), wts.data(), n, params.weight_concentration_prior);
  vb.set_stats(std::move(stat_n), std::move(stat_x), std::move(stat_xx));
  const double tol_total = params.tol * w_total;
  double lb = vb.run(params.max_iter, tol_total, &iterations_);
  // CAVI cannot merge two components that share a mode (each sits in a local optimum with half
  // the points), and k-means seeding splits every broad mode. A merge move pools the pair's
  // sufficient statistics, re-fits q(theta) and keeps the result if the bound (with q(z) optimal
  // for the new q(theta)) is higher (Hughes & Sudderth 2013, memoized VB). Candidates: the
  // closest pairs first, at most K tries per round, first improvement wins.
  // The whole fit is capped at kPassBudget * max_iter passes so a column's cost stays bounded.
  const int budget = kPassBudget * params.max_iter;
  for (int round = 0; round < kk && vb.K > 1 && iterations_ + 1 + kMergePasses <= budget; ++round) {
    lb = vb.pass();  // the baseline with q(theta) refreshed, as each candidate gets
    ++iterations_;
    struct Pair { double score; int a, b; };
    std::vector<Pair> pairs;
    for (int a = 0; a < vb.K; ++a)
      for (int b = a + 1; b < vb.K; ++b) {
        const double va = vb.winv[a] / vb.nu[a], vbb = vb.winv[b] / vb.nu[b];
        const double d = vb.m[a] - vb.m[b];
        pairs.push_back(Pair{d * d / (va + vbb), a, b});
      }
    std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& p, const Pair& q) { return p.score < q.score; });
    if (static_cast<int>(pairs.size()) > vb.K) pairs.resize(vb.K);
    bool merged = false;
    for (const Pair& pr : pairs) {
      if (iterations_ + kMergePasses > budget) break;
      Vb cand = vb;
      cand.merge(pr.a, pr.b);
      // A few passes let the neighbours of the merged component re-settle before judging.
      double cand_lb = -std::numeric_limits<double>::infinity();
      for (int t = 0; t < kMergePasses; ++t) cand_lb = cand.pass();
      iterations_ += kMergePasses;
      if (cand_lb > lb + 1e-9 * std::fabs(lb)) {
        vb = std::move(cand);
        int it = 0;
        lb = vb.run(std::max(1, std::min(params.max_iter, budget - iterations_)), tol_total, &it, cand_lb);
        iterations_ += it;
        merged = true;
        break;
      }
    }
    if (!merged) break;
  }
  vb.m_step();
  const int K = vb.K;
  const std::vector<double>& qa = vb.qa;
  const std::vector<double>& qb = vb.qb;
  const std::vector<double>& m = vb.m;
  const std::vector<double>& nu = vb.nu;
  const std::vector<double>& winv = vb.winv;

  // --- Expected weights under q(v), pruning, back to data units.
  std::vector<double> weight(K);
  double rest = 1.0;
  for (int k = 0; k < K; ++k) {
    if (k + 1 < K) {
      weight[k] = rest * qa[k] / (qa[k] + qb[k]);
      rest *= qb[k] / (qa[k] + qb[k]);
    } else {
      weight[k] = rest;
    }
  }
  std::vector<GaussianComponent> kept;
  double kept_total = 0.0;
  for (int k = 0; k < K; ++k) {
    if (weight[k] < params.weight_threshold) continue;
    const double var = winv[k] / nu[k];  // 1 / E[lambda]
    const double std_dev = std::max(sd * std::sqrt(var), sd * kStdFloorShare);
    kept.push_back(GaussianComponent{weight[k], mean + sd * m[k], std_dev});
    kept_total += weight[k];
  }
  if (kept.empty()) {
    // Only possible with a threshold above every weight: keep the heaviest component.
    const int k = static_cast<int>(std::max_element(weight.begin(), weight.end()) - weight.begin());
    kept.push_back(GaussianComponent{1.0, mean + sd * m[k],
                                     std::max(sd * std::sqrt(winv[k] / nu[k]), sd * kStdFloorShare)});
    kept_total = 1.0;
  }
  for (auto& g : kept) g.weight /= kept_total;
  std::stable_sort(kept.begin(), kept.end(),
                   [](const GaussianComponent& a, const GaussianComponent& b) { return a.mean < b.mean; });
  components_ = std::move(kept);
}

void BayesianGmm1d::posterior(double x, double* out) const {
  const size_t K = components_.size();
  double mx = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < K; ++k) {
    const GaussianComponent& g = components_[k];
    const double d = (x - g.mean) / g.std;
    out[k] = std::log(g.weight) - std::log(g.std) - 0.5 * d * d;
    mx = std::max(mx, out[k]);
  }
  double s = 0.0;
  for (size_t k = 0; k < K; ++k) {
    out[k] = std::exp(out[k] - mx);
    s += out[k];
  }
  for (size_t k = 0; k < K; ++k) out[k] /= s;
}

}  // namespace medgen::tabular
