// Gaussian copula synthesizer.
//
// Each learned column becomes one or two latent standard-normal variables:
//  - numerical / datetime: a marginal quantile function. "empirical" interpolates between
//    order statistics (a piecewise-linear CDF, which smooths and does not replay exact
//    values); "parametric" picks the best of normal, lognormal, exponential and uniform by
//    the Kolmogorov-Smirnov statistic; "auto" (default) takes the parametric fit when it
//    passes the KS test at the 5% level and the empirical one otherwise. Columns with at
//    most `discrete_max_levels` distinct values are treated as discrete (exact values and
//    frequencies). A column with missing values adds a latent missingness indicator.
//  - categorical / boolean: levels (missing included) map to consecutive intervals of the
//    standard normal with their frequencies as probabilities.
// The latent correlation matrix is the pairwise-complete correlation of normal scores
// (pseudo-observations; categorical scores drawn uniformly inside their interval), projected
// onto the nearest positive-definite correlation matrix.
// Conditional sampling on categorical levels draws the conditioned latents from their
// truncated normal given the previous ones (GHK, in Cholesky order) and the rest from the
// exact conditional Gaussian; with several conditions the GHK proposals are importance-
// resampled. No rejection: exactly n rows, all matching.
//
// Model files are as sensitive as the training data. With privacy "exact" (default) they hold
// real values: empirical quantile tables are order statistics (every value of a column with up
// to max_quantiles rows), discrete levels and the schema's min/max are exact, and level shares
// give exact counts. privacy "coarse" stores instead: empirical marginals as 21 knots (bounds
// and 19 quantiles rounded to ~1/200 of the range) interpolated into a 200-entry table;
// parametric marginals as two parameters rounded to 3 significant digits; bounds rounded
// outward to ~1/20 of the range (whole numbers for integers, whole days for dates); level
// shares on a 1/200 grid; numeric levels and category labels seen fewer than 5 times neither
// stored nor sampled (a rare numeric level is drawn as the nearest kept one; a column with
// fewer than 5 values is synthesized as missing). The latent correlation matrix is kept as is.
//
// Thread safety: fit mutates; a fitted model's sample is const and safe to call from several
// threads at once (it uses only its own Rng, seeded from ctx.seed).
#pragma once

#include <string>
#include <vector>

#include "medgen/tabular/synthesizer.h"

namespace medgen::tabular {

struct CopulaParams {
  std::string marginals = "auto";  // "auto", "empirical" or "parametric"
  bool dependence = true;          // false: independent columns (a baseline)
  int max_quantiles = 10000;       // empirical quantile table size cap (>= 16)
  int discrete_max_levels = 32;    // numeric columns with at most this many distinct values are discrete
  std::string privacy = "exact";   // "exact" or "coarse": what real values the model file keeps (below)
  static CopulaParams from_json(const nlohmann::json& j);  // InvalidInput on unknown keys or bad values
  nlohmann::json to_json() const;
};

class CopulaSynthesizer : public Synthesizer {
 public:
  explicit CopulaSynthesizer(CopulaParams params, std::string name = "copula")
      : params_(std::move(params)), name_(std::move(name)) {}

  std::string name() const override { return name_; }
  nlohmann::json params() const override { return params_.to_json(); }
  void fit(const Table& table, const Schema& schema, const Context& ctx) override;
  Table sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const override;
  void save_state(nlohmann::json* state, std::string* payload) const override;
  void load_state(const nlohmann::json& state, const std::string& payload) override;
  nlohmann::json summary() const override;

  // Latent correlation matrix (row-major, num_latents^2), for tests.
  const std::vector<double>& correlation() const { return corr_; }

 private:
  enum class Kind { kContinuous, kDiscrete, kMissing };
  struct Latent {
    Kind kind = Kind::kContinuous;
    int column = -1;                 // schema column index
    std::string family;              // kContinuous: "empirical", "normal", ...
    std::vector<double> quantiles;   // kContinuous: Q(u) at u = (i + 0.5) / size
    std::vector<double> breaks;      // kDiscrete / kMissing: upper z-bounds of levels (last = +inf omitted)
    std::vector<double> levels;      // kDiscrete: numeric value, or category code (-1 = missing)
    double family_a = 0, family_b = 0;  // parametric parameters (for info)
  };
  void build_cholesky();

  CopulaParams params_;
  std::string name_;
  std::vector<Latent> latents_;
  std::vector<int> missing_latent_;  // per schema column: index of its missingness latent, or -1
  std::vector<int> value_latent_;    // per schema column: index of its value latent, or -1
  std::vector<double> corr_;         // d x d
  std::vector<double> chol_;         // d x d lower triangular
};

}  // namespace medgen::tabular
