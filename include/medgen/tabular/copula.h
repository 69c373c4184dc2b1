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

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "medgen/core/csv_stream.h"
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

// The streamed fit (CopulaSynthesizer::fit_stream), for tables larger than memory.
struct CopulaStreamOptions {
  // Values kept per numeric column: a uniform reservoir sample (Vitter's algorithm R, seeded
  // from ctx.seed) from which the marginal is fitted and ranks are taken. 0: the larger of
  // max_quantiles and 100000.
  size_t reservoir = 0;
  // The schema was inferred from a prefix of the table: categorical labels found later are
  // added (sorted, as inference orders them), and numeric ranges, whole-number flags and
  // decimal places grow to what the whole table holds. Otherwise a label outside the schema
  // is InvalidInput and the schema is kept as given.
  bool widen_schema = false;
};

// What a streamed fit read and kept.
struct CopulaStreamStats {
  uint64_t rows = 0;          // rows in the table (per pass)
  uint64_t chunks = 0;        // chunks per pass
  size_t max_chunk_rows = 0;  // the largest chunk
  size_t reservoir_cap = 0;   // the reservoir's cap per numeric column
  size_t max_reservoir = 0;   // the most values any column's reservoir held (<= reservoir_cap)
  bool sampled = false;       // some column had more values than its reservoir holds
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

  // The same fit from a table read in chunks, in two passes (one with dependence false), with
  // memory bounded by the chunk, the reservoirs (columns x reservoir values), the distinct
  // labels of categorical columns and the latent correlation sums (latents^2), not by the
  // rows. Pass 1 keeps per numeric column the exact count, missing count, minimum, maximum and
  // (up to discrete_max_levels of them) distinct values with their counts, and the reservoir;
  // per label column the exact label counts. Discrete or continuous, parametric family,
  // quantiles and level shares are then decided as fit() decides them, from the exact counts
  // and range and from the reservoir (the parametric test is run on the reservoir at its own
  // size). Pass 2 scores each row by its mid-rank among the reservoir (clamped to the
  // reservoir's own range of probabilities) and sums the pairwise-complete correlations.
  // While every value fits in the reservoir the result is fit() on the whole table, bit for
  // bit, whatever the chunks (the correlation sums are added in row order); a table in memory
  // is fitted by the same code as one chunk. Only the reservoir draws random numbers, value
  // by value, so a sampled fit does not depend on the chunking either. InvalidInput as fit(),
  // and when the source yields another number of rows on the second pass.
  CopulaStreamStats fit_stream(TableChunkSource& source, const Schema& schema, const Context& ctx,
                               const CopulaStreamOptions& options = {});

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
  // fit and fit_stream: next_chunk returns the next chunk (nullptr at the end of a pass),
  // rewind starts the second pass; reservoir_cap SIZE_MAX keeps every value.
  CopulaStreamStats fit_chunks(const std::function<const Table*()>& next_chunk, const std::function<void()>& rewind,
                               const Schema& schema, const Context& ctx, size_t reservoir_cap, bool widen_schema);

  CopulaParams params_;
  std::string name_;
  std::vector<Latent> latents_;
  std::vector<int> missing_latent_;  // per schema column: index of its missingness latent, or -1
  std::vector<int> value_latent_;    // per schema column: index of its value latent, or -1
  std::vector<double> corr_;         // d x d
  std::vector<double> chol_;         // d x d lower triangular
};

}  // namespace medgen::tabular
