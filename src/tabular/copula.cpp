#include "medgen/tabular/copula.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "medgen/core/error.h"
#include "medgen/core/linalg.h"
#include "medgen/core/normal.h"
#include "medgen/core/progress.h"
#include "medgen/core/rng.h"
#include "medgen/tabular/param_table.h"
#include "privacy.h"
#include "state_check.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

using namespace privacy;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMinMissingForDependence = 20;

// privacy "coarse" (see copula.h and docs/formats.md).
constexpr size_t kCoarseMinCount = 5;     // values seen fewer times are not stored
constexpr double kShareSteps = 200;       // level shares stored on a grid of 1/200
constexpr size_t kCoarseKnots = 20;       // empirical marginals: 21 knots at u = 0, 1/20, ..., 1
constexpr size_t kCoarseTable = 200;      // ... stored as a 200-entry table interpolated between them

// Kolmogorov-Smirnov statistic of sorted data against a CDF.
template <typename Cdf>
double ks_statistic(const std::vector<double>& sorted, Cdf cdf) {
  const double n = static_cast<double>(sorted.size());
  double d = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const double f = cdf(sorted[i]);
    d = std::max({d, f - i / n, (i + 1) / n - f});
  }
  return d;
}

struct FamilyFit {
  std::string family;
  double a = 0, b = 0;  // parameters
  double ks = kInf;
};

// Best parametric family by KS statistic.
FamilyFit fit_parametric(const std::vector<double>& sorted) {
  const size_t n = sorted.size();
  double mean = 0, var = 0;
  for (double v : sorted) mean += v;
  mean /= n;
  for (double v : sorted) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / std::max<size_t>(1, n - 1));
  const double lo = sorted.front(), hi = sorted.back();
  std::vector<FamilyFit> fits;
  if (sd > 0) {
    FamilyFit f{"normal", mean, sd};
    f.ks = ks_statistic(sorted, [&](double x) { return normal_cdf((x - mean) / sd); });
    fits.push_back(f);
  }
  if (lo > 0) {
    double lm = 0, lv = 0;
    for (double v : sorted) lm += std::log(v);
    lm /= n;
    for (double v : sorted) lv += (std::log(v) - lm) * (std::log(v) - lm);
    const double ls = std::sqrt(lv / std::max<size_t>(1, n - 1));
    if (ls > 0) {
      FamilyFit f{"lognormal", lm, ls};
      f.ks = ks_statistic(sorted, [&](double x) { return normal_cdf((std::log(x) - lm) / ls); });
      fits.push_back(f);
    }
  }
  if (hi > lo) {
    FamilyFit u{"uniform", lo, hi};
    u.ks = ks_statistic(sorted, [&](double x) { return (x - lo) / (hi - lo); });
    fits.push_back(u);
    // Shifted exponential: location at the minimum, scale = mean excess.
    const double scale = mean - lo;
    if (scale > 0) {
      FamilyFit e{"exponential", lo, scale};
      e.ks = ks_statistic(sorted, [&](double x) { return 1 - std::exp(-(x - lo) / scale); });
      fits.push_back(e);
    }
  }
  FamilyFit best;
  for (const auto& f : fits)
    if (f.ks < best.ks) best = f;
  return best;
}

double family_quantile(const FamilyFit& f, double u) {
  if (f.family == "normal") return f.a + f.b * normal_quantile(u);
  if (f.family == "lognormal") return std::exp(f.a + f.b * normal_quantile(u));
  if (f.family == "uniform") return f.a + u * (f.b - f.a);
  return f.a - f.b * std::log1p(-u);  // exponential
}

// One draw from N(0,1) truncated to [a, b]; *mass = P(a <= Z <= b).
double truncated_normal(double a, double b, Rng& rng, double* mass) {
  const bool flip = a > 0;
  if (flip) {
    const double t = a;
    a = -b;
    b = -t;
  }
  const double pa = normal_cdf(a), pb = normal_cdf(b);
  *mass = pb - pa;
  double x;
  if (*mass <= 0) {
    x = std::isfinite(a) ? a : b;
  } else {
    x = normal_quantile(pa + rng.uniform_open() * (pb - pa));
    x = std::clamp(x, a, b);
  }
  return flip ? -x : x;
}

}  // namespace

// ------------------------------------------------------------------------------- params

// Names, defaults and ranges: the "copula" table in param_table.cpp.
CopulaParams CopulaParams::from_json(const json& j) {
  const json r = resolve_params("copula", j);
  CopulaParams p;
  p.marginals = r["marginals"].get<std::string>();
  p.dependence = r["dependence"].get<bool>();
  p.max_quantiles = r["max_quantiles"].get<int>();
  p.discrete_max_levels = r["discrete_max_levels"].get<int>();
  p.privacy = r["privacy"].get<std::string>();
  return p;
}

json CopulaParams::to_json() const {
  return json{{"marginals", marginals},
              {"dependence", dependence},
              {"max_quantiles", max_quantiles},
              {"discrete_max_levels", discrete_max_levels},
              {"privacy", privacy}};
}

// ---------------------------------------------------------------------------------- fit
//
// One fit serves tables in memory and tables read in chunks (fit_stream). Pass 1 gathers per
// column what the marginals need: row and missing counts, the range, the distinct values and
// their counts while there are few, a uniform reservoir sample of the values (every value
// while they fit in it) and label counts. The marginals are fitted from those; pass 2 turns
// each chunk into normal scores and adds them to the pairwise-complete correlation sums, in
// row order. A table in memory is one chunk and a reservoir without a cap: the exact fit.

namespace {

// Pass-1 statistics of one schema column.
struct ColumnStats {
  uint64_t missing = 0;
  // Numeric columns.
  uint64_t valid = 0;                           // values seen
  double lo = kInf, hi = -kInf;                 // their range
  std::vector<double> reservoir;                // a uniform sample of them (all, while they fit)
  std::vector<double> distinct, counts;         // distinct values and counts, while few
  bool many = false;                            // more distinct values than tracked
  bool integer = true;                          // widening: every value whole
  int decimals = 0;                             // widening: decimal places needed
  // Label columns: counts per label (the schema's values, then labels found on the way).
  std::vector<std::string> labels;
  std::unordered_map<std::string, int> label_index;
  std::vector<double> label_counts;
};

// Decimal places (at most 12) that print v exactly.
int decimals_of_value(double v) {
  double scale = 1;
  for (int d = 0; d < 12; ++d, scale *= 10)
    if (std::nearbyint(v * scale) / scale == v) return d;
  return 12;
}

// How pass 2 scores one latent (parallel to latents_).
struct Scorer {
  enum class How { kMissing, kRanks, kNumericLevels, kLabelLevels };
  How how = How::kRanks;
  size_t column = 0;                  // schema column
  std::vector<double> m;              // discrete: score of each level, E[Z | level]
  std::vector<double> sorted;         // kRanks: the reservoir, sorted
  std::vector<double> distinct;       // kNumericLevels: distinct values ...
  std::vector<size_t> level_of;       // ... and the level each is drawn as
  std::vector<int> level_of_label;    // kLabelLevels: level of each label (-1: not learned)
  const std::unordered_map<std::string, int>* label_index = nullptr;  // label -> its index
};


// Normal scores of a chunk, one vector per latent (NaN where unknown).
void score_chunk(const std::vector<Scorer>& scorers, const Table& chunk,
                 const std::function<const Column*(size_t)>& column, std::vector<std::vector<double>>* scores) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const size_t rows = chunk.num_rows();
  std::vector<int> level_of_code;
  for (size_t li = 0; li < scorers.size(); ++li) {
    const Scorer& sc = scorers[li];
    const Column& col = *column(sc.column);
    std::vector<double>& s = (*scores)[li];
    s.assign(rows, nan);
    switch (sc.how) {
      case Scorer::How::kMissing:
        for (size_t r = 0; r < rows; ++r) s[r] = sc.m[col.is_missing(r) ? 1 : 0];
        break;
      case Scorer::How::kRanks: {
        // u = (mid-rank - 1/2) / m among the sorted sample; a value outside the sample (the
        // reservoir is smaller than the table) is kept inside the sample's own range of u.
        const std::vector<double>& sorted = sc.sorted;
        const double m = static_cast<double>(sorted.size());
        const double u_lo = 0.5 / m, u_hi = 1 - 0.5 / m;
        for (size_t r = 0; r < rows; ++r) {
          if (!col.valid[r]) continue;
          const double x = col.values[r];
          const auto lo = std::lower_bound(sorted.begin(), sorted.end(), x);
          const auto hi = std::upper_bound(lo, sorted.end(), x);
          const double rank = ((lo - sorted.begin()) + (hi - sorted.begin()) + 1) / 2.0;  // 1-based mid-rank
          s[r] = normal_quantile(std::clamp((rank - 0.5) / m, u_lo, u_hi));
        }
        break;
      }
      case Scorer::How::kNumericLevels: {
        const std::vector<double>& distinct = sc.distinct;
        for (size_t r = 0; r < rows; ++r) {
          if (!col.valid[r]) continue;
          // A value the first pass did not see (the data changed) is caught by the row count
          // or the checksum; here it only must not index out of range.
          const size_t i = std::min(
              static_cast<size_t>(std::lower_bound(distinct.begin(), distinct.end(), col.values[r]) - distinct.begin()),
              distinct.size() - 1);
          s[r] = sc.m[sc.level_of[i]];
        }
        break;
      }
      case Scorer::How::kLabelLevels: {
        level_of_code.assign(col.dictionary.size(), -1);
        for (size_t k = 0; k < col.dictionary.size(); ++k) {
          const auto it = sc.label_index->find(col.dictionary[k]);
          if (it != sc.label_index->end()) level_of_code[k] = sc.level_of_label[static_cast<size_t>(it->second)];
        }
        for (size_t r = 0; r < rows; ++r) {
          const int32_t code = col.codes[r];
          if (code >= 0 && level_of_code[static_cast<size_t>(code)] >= 0)
            s[r] = sc.m[static_cast<size_t>(level_of_code[static_cast<size_t>(code)])];
        }
        break;
      }
    }
  }
}

}  // namespace

CopulaStreamStats CopulaSynthesizer::fit_stream(TableChunkSource& source, const Schema& schema, const Context& ctx,
                                                const CopulaStreamOptions& options) {
  const size_t cap = options.reservoir > 0 ? options.reservoir
                                           : std::max<size_t>(static_cast<size_t>(params_.max_quantiles), 100000);
  Table chunk;
  return fit_chunks([&]() -> const Table* { return source.next(&chunk) ? &chunk : nullptr; },
                    [&]() { source.rewind(); }, schema, ctx, cap, options.widen_schema);
}

void CopulaSynthesizer::fit(const Table& table, const Schema& schema, const Context& ctx) {
  bool given = false;
  fit_chunks([&]() -> const Table* { return std::exchange(given, true) ? nullptr : &table; },
             [&]() { given = false; }, schema, ctx, std::numeric_limits<size_t>::max(), false);
}

CopulaStreamStats CopulaSynthesizer::fit_chunks(const std::function<const Table*()>& next_chunk,
                                                const std::function<void()>& rewind, const Schema& schema,
                                                const Context& ctx, size_t reservoir_cap, bool widen_schema) {
  schema_ = schema;
  warnings_.clear();
  latents_.clear();
  std::vector<Scorer> scorers;
  const bool coarse = params_.privacy == "coarse";
  const size_t ncols = schema.columns.size();
  missing_latent_.assign(ncols, -1);
  value_latent_.assign(ncols, -1);
  CopulaStreamStats stats;
  stats.reservoir_cap = reservoir_cap;
  auto numeric = [&](size_t ci) {
    return schema.columns[ci].type == ColumnType::kNumerical || schema.columns[ci].type == ColumnType::kDatetime;
  };
  auto labels = [&](size_t ci) {
    return schema.columns[ci].type == ColumnType::kCategorical || schema.columns[ci].type == ColumnType::kBoolean;
  };
  auto find_column = [&](const Table& t, size_t ci, std::vector<int>* where) {
    int& ti = (*where)[ci];
    // Chunks of one source share their layout: check the cached position first.
    if (ti < 0 || static_cast<size_t>(ti) >= t.num_cols() || t.columns[static_cast<size_t>(ti)].name != schema.columns[ci].name)
      ti = t.find(schema.columns[ci].name);
    if (ti < 0) throw InvalidInput("the table lacks column '" + schema.columns[ci].name + "' named in the schema");
    return &t.columns[static_cast<size_t>(ti)];
  };

  // ---- pass 1: per-column statistics.
  std::vector<ColumnStats> col_stats(ncols);
  std::vector<Rng> rngs;
  for (size_t ci = 0; ci < ncols; ++ci) {
    rngs.emplace_back(ctx.seed ^ (0x9E3779B97F4A7C15ULL * (ci + 1)));
    if (!labels(ci)) continue;
    ColumnStats& st = col_stats[ci];
    st.labels = schema.columns[ci].values;
    for (size_t k = 0; k < st.labels.size(); ++k) st.label_index.emplace(st.labels[k], static_cast<int>(k));
    st.label_counts.assign(st.labels.size(), 0.0);
  }
  const size_t track = static_cast<size_t>(std::max(params_.discrete_max_levels, 1));
  std::vector<int> where(ncols, -1);
  Progress* progress = reservoir_cap == std::numeric_limits<size_t>::max() ? nullptr : ctx.progress;
  if (progress) progress->begin("pass 1 of " + std::string(params_.dependence ? "2" : "1") + ": marginals", 0);
  uint64_t n = 0;
  std::vector<int> code_map;
  while (const Table* t = next_chunk()) {
    const size_t rows = t->num_rows();
    for (size_t ci = 0; ci < ncols; ++ci) {
      const ColumnSchema& cs = schema.columns[ci];
      if (!numeric(ci) && !labels(ci)) continue;
      const Column& col = *find_column(*t, ci, &where);
      ColumnStats& st = col_stats[ci];
      if (col.size() != rows) throw InvalidInput("column '" + cs.name + "' has a different number of rows");
      if (numeric(ci)) {
        if (col.storage != Storage::kNumber) throw InvalidInput("column '" + cs.name + "' must hold numbers");
        // Grown by hand so that a capped reservoir never holds more room than its cap.
        if (reservoir_cap == std::numeric_limits<size_t>::max() && st.reservoir.capacity() == 0)
          st.reservoir.reserve(rows);
        const bool widen_decimals = widen_schema && cs.type == ColumnType::kNumerical;
        for (size_t r = 0; r < rows; ++r) {
          if (!col.valid[r]) {
            ++st.missing;
            continue;
          }
          const double x = col.values[r];
          st.lo = std::min(st.lo, x);
          st.hi = std::max(st.hi, x);
          // Uniform reservoir (Vitter's algorithm R).
          if (st.valid < reservoir_cap) {
            if (st.reservoir.size() == st.reservoir.capacity())
              st.reservoir.reserve(std::min(reservoir_cap, std::max<size_t>(1024, 2 * st.reservoir.capacity())));
            st.reservoir.push_back(x);
          } else {
            const uint64_t j = rngs[ci].below(st.valid + 1);
            if (j < reservoir_cap) st.reservoir[static_cast<size_t>(j)] = x;
          }
          ++st.valid;
          if (!st.many) {
            const auto it = std::lower_bound(st.distinct.begin(), st.distinct.end(), x);
            const size_t k = static_cast<size_t>(it - st.distinct.begin());
            if (it != st.distinct.end() && *it == x) {
              st.counts[k] += 1;
            } else if (st.distinct.size() == track) {
              st.many = true;
              std::vector<double>().swap(st.distinct);
              std::vector<double>().swap(st.counts);
            } else {
              st.distinct.insert(it, x);
              st.counts.insert(st.counts.begin() + static_cast<std::ptrdiff_t>(k), 1.0);
            }
          }
          if (widen_decimals && x != std::floor(x)) {
            st.integer = false;
            if (st.decimals < 12 && decimals_of_value(x) > st.decimals) st.decimals = decimals_of_value(x);
          }
        }
        stats.max_reservoir = std::max(stats.max_reservoir, st.reservoir.size());
      } else {
        if (col.storage != Storage::kString) throw InvalidInput("column '" + cs.name + "' must hold labels");
        code_map.assign(col.dictionary.size(), -1);
        for (size_t k = 0; k < col.dictionary.size(); ++k) {
          auto it = st.label_index.find(col.dictionary[k]);
          if (it == st.label_index.end()) {
            if (!widen_schema || cs.type != ColumnType::kCategorical)
              throw InvalidInput("column '" + cs.name + "': value '" + col.dictionary[k] + "' is not in the schema");
            it = st.label_index.emplace(col.dictionary[k], static_cast<int>(st.labels.size())).first;
            st.labels.push_back(col.dictionary[k]);
            st.label_counts.push_back(0.0);
          }
          code_map[k] = it->second;
        }
        for (size_t r = 0; r < rows; ++r) {
          if (col.codes[r] < 0)
            ++st.missing;
          else
            st.label_counts[static_cast<size_t>(code_map[static_cast<size_t>(col.codes[r])])] += 1;
        }
      }
    }
    n += rows;
    ++stats.chunks;
    stats.max_chunk_rows = std::max(stats.max_chunk_rows, rows);
    if (progress) progress->update(static_cast<size_t>(n), "rows");
  }
  if (progress) progress->end();
  stats.rows = n;
  if (n == 0) throw InvalidInput("the table has no rows to learn from");
  for (const ColumnStats& st : col_stats) stats.sampled = stats.sampled || st.valid > st.reservoir.size();

  // The schema inferred from a prefix grows to what the whole table holds.
  if (widen_schema) {
    for (size_t ci = 0; ci < ncols; ++ci) {
      ColumnSchema& c = schema_.columns[ci];
      ColumnStats& st = col_stats[ci];
      if (numeric(ci) && st.valid > 0) {
        c.min = std::isnan(c.min) ? st.lo : std::min(c.min, st.lo);
        c.max = std::isnan(c.max) ? st.hi : std::max(c.max, st.hi);
        if (c.type == ColumnType::kNumerical && !st.integer) {
          c.decimals = c.integer ? st.decimals : std::max(c.decimals, st.decimals);
          c.integer = false;
        }
      } else if (c.type == ColumnType::kCategorical && st.labels.size() > c.values.size()) {
        // Sorted, as inference orders labels; counts and indices follow.
        std::vector<std::string> sorted = st.labels;
        std::sort(sorted.begin(), sorted.end());
        std::vector<double> counts(sorted.size());
        for (size_t k = 0; k < sorted.size(); ++k) {
          int& index = st.label_index[sorted[k]];
          counts[k] = st.label_counts[static_cast<size_t>(index)];
          index = static_cast<int>(k);
        }
        st.labels = sorted;
        st.label_counts = std::move(counts);
        c.values = std::move(sorted);
      }
    }
  }
  const Schema fitted = schema_;  // the schema the marginals are fitted to (before privacy rounding)

  // Attenuation of each latent's scores. A discrete latent is scored by its level's
  // conditional mean m_k = E[Z | level k]; for a bivariate normal, corr(score, other) =
  // rho * sd(m) exactly against a continuous partner (the polyserial relation) and to first
  // order against another discrete one, so rho = r / (sd_a * sd_b). Continuous latents: 1.
  std::vector<double> attenuation;

  // Level scores of a discrete latent (the mean of Z within each level's interval).
  auto level_means = [&](const std::vector<double>& cum) {
    std::vector<double> m(cum.size(), 0.0);
    double var_m = 0;
    for (size_t k = 0; k < cum.size(); ++k) {
      const double lo = k == 0 ? 0.0 : cum[k - 1], hi = cum[k];
      if (hi <= lo) continue;
      const double a = normal_quantile(lo), b = normal_quantile(hi);
      const double pdf_a = std::isfinite(a) ? std::exp(-a * a / 2) / std::sqrt(2 * M_PI) : 0.0;
      const double pdf_b = std::isfinite(b) ? std::exp(-b * b / 2) / std::sqrt(2 * M_PI) : 0.0;
      m[k] = (pdf_a - pdf_b) / (hi - lo);
      var_m += (hi - lo) * m[k] * m[k];
    }
    attenuation.push_back(std::sqrt(var_m));
    return m;
  };
  // Breaks (z upper bounds of each level but the last) from counts.
  auto breaks_of = [&](std::vector<double> counts, std::vector<double>* cum) {
    if (coarse)  // shares on a grid of 1/200 (at least one step): no exact counts in the file
      for (double& c : counts) c = std::max(1.0, std::round(c / static_cast<double>(n) * kShareSteps));
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    std::vector<double> breaks;
    cum->clear();
    double c = 0;
    for (size_t k = 0; k < counts.size(); ++k) {
      c += counts[k];
      cum->push_back(k + 1 == counts.size() ? 1.0 : c / total);
      if (k + 1 < counts.size()) breaks.push_back(normal_quantile(c / total));
    }
    return breaks;
  };
  auto add_latent = [&](Latent latent, Scorer scorer) {
    (latent.kind == Kind::kMissing ? missing_latent_ : value_latent_)[static_cast<size_t>(latent.column)] =
        static_cast<int>(latents_.size());
    latents_.push_back(std::move(latent));
    scorers.push_back(std::move(scorer));
  };

  // Missingness as its own binary latent (present below the break, missing above), so that
  // whether a value is missing can depend on the other columns.
  auto add_missing_latent = [&](size_t ci, uint64_t missing_rows) {
    Latent m;
    m.kind = Kind::kMissing;
    m.column = static_cast<int>(ci);
    const double missing = static_cast<double>(missing_rows);
    std::vector<double> cum;
    m.breaks = breaks_of({static_cast<double>(n) - missing, missing}, &cum);
    Scorer s;
    s.how = Scorer::How::kMissing;
    s.column = ci;
    s.m = level_means(cum);
    // Too few missing values to estimate how missingness depends on other columns: keep it
    // independent (missing completely at random) instead of amplifying noise.
    if (missing < kMinMissingForDependence) attenuation.back() = 0.0;
    add_latent(std::move(m), std::move(s));
  };

  if (ctx.progress) ctx.progress->begin("fitting " + name_ + " marginals", ncols);
  for (size_t ci = 0; ci < ncols; ++ci) {
    if (ctx.progress) ctx.progress->update(ci);
    const ColumnSchema& cs = fitted.columns[ci];
    if (!numeric(ci) && !labels(ci)) continue;
    ColumnStats& st = col_stats[ci];
    if (numeric(ci)) {
      const uint64_t missing = st.missing;
      if (st.valid == 0) {
        warnings_.push_back("column '" + cs.name + "' is entirely missing: synthesized as missing");
        continue;
      }
      if (coarse && st.valid < kCoarseMinCount) {
        warnings_.push_back("column '" + cs.name + "' has fewer than " + std::to_string(kCoarseMinCount) +
                            " values: synthesized as missing (privacy coarse)");
        continue;
      }
      std::vector<double> sorted = std::move(st.reservoir);
      std::sort(sorted.begin(), sorted.end());
      const std::vector<double>& distinct = st.distinct;
      const std::vector<double>& counts = st.counts;
      const bool few_levels = !st.many;
      // privacy "coarse": a discrete column keeps only values seen at least kCoarseMinCount
      // times; rarer ones are drawn as the nearest kept value. Without any, it is continuous.
      const bool discrete =
          few_levels && (!coarse || *std::max_element(counts.begin(), counts.end()) >= kCoarseMinCount);
      if (missing > 0) add_missing_latent(ci, missing);
      Latent v;
      v.column = static_cast<int>(ci);
      Scorer s;
      s.column = ci;
      if (discrete) {
        v.kind = Kind::kDiscrete;
        v.family = "discrete";
        // level_of[i]: the kept level that distinct value i is drawn as.
        std::vector<size_t> level_of(distinct.size());
        std::vector<double> kept_counts;
        for (size_t i = 0; i < distinct.size(); ++i) {
          if (coarse && counts[i] < kCoarseMinCount) continue;
          v.levels.push_back(distinct[i]);
          kept_counts.push_back(0.0);
        }
        for (size_t i = 0; i < distinct.size(); ++i) {
          const double x = distinct[i];
          const size_t hi = static_cast<size_t>(std::lower_bound(v.levels.begin(), v.levels.end(), x) - v.levels.begin());
          size_t k;
          if (hi == v.levels.size())
            k = hi - 1;
          else if (v.levels[hi] == x || hi == 0)
            k = hi;
          else
            k = x - v.levels[hi - 1] <= v.levels[hi] - x ? hi - 1 : hi;
          level_of[i] = k;
          kept_counts[k] += counts[i];
        }
        std::vector<double> cum;
        v.breaks = breaks_of(kept_counts, &cum);
        s.how = Scorer::How::kNumericLevels;
        s.m = level_means(cum);
        s.distinct = distinct;
        s.level_of = std::move(level_of);
      } else {
        // The exact extremes (the reservoir's when it holds every value).
        const double min = st.lo, max = st.hi;
        if (coarse) {
          v.kind = Kind::kContinuous;
          const double step = bounds_step(cs, min, max);
          const double lo = round_down(min, step), hi = round_up(max, step);
          FamilyFit fam;
          if (params_.marginals != "empirical") fam = fit_parametric(sorted);
          const bool use_param = !fam.family.empty() &&
                                 (params_.marginals == "parametric" ||
                                  (params_.marginals == "auto" && fam.ks < 1.36 / std::sqrt(double(sorted.size()))));
          if (use_param) {
            // Two rounded parameters; the table is computed from them, not from the data.
            if (fam.family == "uniform") {
              fam.a = lo;
              fam.b = hi;
            } else if (fam.family == "exponential") {
              fam.a = lo;
              fam.b = round_significant(fam.b);
            } else {
              fam.a = round_significant(fam.a);
              fam.b = round_significant(fam.b);
            }
            v.family = fam.family;
            v.family_a = fam.a;
            v.family_b = fam.b;
            const size_t k = std::min(sorted.size(), static_cast<size_t>(params_.max_quantiles));
            v.quantiles.resize(k);
            for (size_t i = 0; i < k; ++i) v.quantiles[i] = std::clamp(family_quantile(fam, (i + 0.5) / k), lo, hi);
          } else {
            // 21 knots: the rounded bounds and 19 Hazen quantiles rounded to ~1/200 of the range.
            v.family = "empirical";
            const double knot_step = nice_step((max > min ? max - min : std::max(std::fabs(min), 1.0)) / 200);
            std::vector<double> knot(kCoarseKnots + 1);
            const double m = static_cast<double>(sorted.size());
            knot.front() = lo;
            knot.back() = hi;
            for (size_t j = 1; j < kCoarseKnots; ++j) {
              const double pos = std::clamp(static_cast<double>(j) / kCoarseKnots * m - 0.5, 0.0, m - 1);
              const size_t a = static_cast<size_t>(pos);
              const size_t b = std::min(a + 1, sorted.size() - 1);
              const double q = sorted[a] + (pos - a) * (sorted[b] - sorted[a]);
              knot[j] = std::clamp(on_grid(std::round(q / knot_step), knot_step), knot[j - 1], hi);
            }
            v.quantiles.resize(kCoarseTable);
            for (size_t i = 0; i < kCoarseTable; ++i) {
              const double t = (i + 0.5) / kCoarseTable * kCoarseKnots;
              const size_t j = std::min(static_cast<size_t>(t), kCoarseKnots - 1);
              v.quantiles[i] = knot[j] + (t - j) * (knot[j + 1] - knot[j]);
            }
          }
        } else {
          v.kind = Kind::kContinuous;
          FamilyFit fam;
          if (params_.marginals != "empirical") fam = fit_parametric(sorted);
          const bool use_param = params_.marginals == "parametric" ||
                                 (params_.marginals == "auto" && fam.ks < 1.36 / std::sqrt(double(sorted.size())));
          const size_t k = std::min(sorted.size(), static_cast<size_t>(params_.max_quantiles));
          v.quantiles.resize(k);
          if (use_param && !fam.family.empty()) {
            v.family = fam.family;
            v.family_a = fam.a;
            v.family_b = fam.b;
            for (size_t i = 0; i < k; ++i) v.quantiles[i] = family_quantile(fam, (i + 0.5) / k);
          } else {
            v.family = "empirical";
            // Hazen quantiles of the sample at k evenly spaced probabilities.
            const double m = static_cast<double>(sorted.size());
            for (size_t i = 0; i < k; ++i) {
              const double pos = std::clamp((i + 0.5) / k * m - 0.5, 0.0, m - 1);
              const size_t lo = static_cast<size_t>(pos);
              const size_t hi = std::min(lo + 1, sorted.size() - 1);
              v.quantiles[i] = sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
            }
            // The ends reach the observed extremes so the full range is reproduced.
            v.quantiles.front() = min;
            v.quantiles.back() = max;
          }
        }
        // Pseudo-observations from mid-ranks (among the sample, when it is one).
        attenuation.push_back(1.0);
        s.how = Scorer::How::kRanks;
        s.sorted = std::move(sorted);
      }
      add_latent(std::move(v), std::move(s));
      continue;
    }
    // Categorical / boolean: levels in schema order; missing handled by its own latent.
    const std::vector<double>& counts = st.label_counts;
    const uint64_t missing = st.missing;
    if (missing == n) {
      warnings_.push_back("column '" + cs.name + "' is entirely missing: synthesized as missing");
      continue;
    }
    // privacy "coarse": labels seen fewer than kCoarseMinCount times are neither sampled nor
    // kept in the model's schema (a boolean keeps its two labels, only the latent drops one).
    const double min_count = coarse ? static_cast<double>(kCoarseMinCount) : 1.0;
    const bool relabel = coarse && cs.type == ColumnType::kCategorical;
    std::vector<std::string> kept_labels;
    if (counts.empty() || *std::max_element(counts.begin(), counts.end()) < min_count) {
      warnings_.push_back("column '" + cs.name + "': every value was seen fewer than " +
                          std::to_string(kCoarseMinCount) + " times: synthesized as missing (privacy coarse)");
      if (relabel) schema_.columns[ci].values.clear();
      continue;
    }
    if (missing > 0) add_missing_latent(ci, missing);
    Latent v;
    v.kind = Kind::kDiscrete;
    v.column = static_cast<int>(ci);
    v.family = "categorical";
    std::vector<double> kept;
    std::vector<int> level_of_code(counts.size(), -1);
    for (size_t k = 0; k < counts.size(); ++k) {
      if (counts[k] < min_count) continue;
      level_of_code[k] = static_cast<int>(v.levels.size());
      v.levels.push_back(static_cast<double>(relabel ? kept_labels.size() : k));
      if (relabel) kept_labels.push_back(cs.values[k]);
      kept.push_back(counts[k]);
    }
    if (relabel) {
      if (kept_labels.size() < cs.values.size())
        warnings_.push_back("column '" + cs.name + "': " + std::to_string(cs.values.size() - kept_labels.size()) +
                            " label(s) seen fewer than " + std::to_string(kCoarseMinCount) +
                            " times are not stored and not sampled (privacy coarse)");
      schema_.columns[ci].values = kept_labels;
    }
    std::vector<double> cum;
    v.breaks = breaks_of(kept, &cum);
    Scorer s;
    s.how = Scorer::How::kLabelLevels;
    s.column = ci;
    s.m = level_means(cum);
    s.level_of_label = std::move(level_of_code);
    s.label_index = &st.label_index;
    add_latent(std::move(v), std::move(s));
  }

  if (ctx.progress) ctx.progress->end();
  if (coarse) {
    // The schema's exact minimum and maximum (what synthetic values are clipped to) are real
    // values too: round them outward.
    for (ColumnSchema& c : schema_.columns) privacy::round_bounds(c);
  }

  // ---- pass 2: pairwise-complete correlation of the normal scores.
  const size_t d = latents_.size();
  corr_.assign(d * d, 0.0);
  for (size_t a = 0; a < d; ++a) corr_[a * d + a] = 1.0;
  if (params_.dependence) {
    struct Sums {
      double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      size_t m = 0;
    };
    std::vector<Sums> sums(d * d);
    std::vector<std::vector<double>> scores(d);
    rewind();
    if (progress) progress->begin("pass 2 of 2: correlations", static_cast<size_t>(n));
    uint64_t seen = 0;
    while (const Table* t = next_chunk()) {
      const size_t rows = t->num_rows();
      score_chunk(scorers, *t, [&](size_t ci) { return find_column(*t, ci, &where); }, &scores);
      for (size_t a = 0; a < d; ++a) {
        for (size_t b = a + 1; b < d; ++b) {
          const double* x = scores[a].data();
          const double* y = scores[b].data();
          // In locals (the sums could alias the scores otherwise); the order of the additions
          // is the rows' order whatever the chunks.
          Sums s = sums[a * d + b];
          for (size_t r = 0; r < rows; ++r) {
            if (std::isnan(x[r]) || std::isnan(y[r])) continue;
            s.sx += x[r];
            s.sy += y[r];
            s.sxx += x[r] * x[r];
            s.syy += y[r] * y[r];
            s.sxy += x[r] * y[r];
            ++s.m;
          }
          sums[a * d + b] = s;
        }
      }
      seen += rows;
      if (progress) progress->update(static_cast<size_t>(std::min(seen, n)), "rows");
    }
    if (progress) progress->end();
    if (seen != n)
      throw InvalidInput("the data changed between the two passes (" + std::to_string(n) + " rows, then " +
                         std::to_string(seen) + ")");
    for (size_t a = 0; a < d; ++a) {
      for (size_t b = a + 1; b < d; ++b) {
        const Sums& s = sums[a * d + b];
        const size_t m = s.m;
        double rho = 0;
        if (m >= 3) {
          const double cov = s.sxy - s.sx * s.sy / m, vx = s.sxx - s.sx * s.sx / m, vy = s.syy - s.sy * s.sy / m;
          const double att = attenuation[a] * attenuation[b];
          if (vx > 0 && vy > 0 && att > 1e-3) rho = std::clamp(cov / std::sqrt(vx * vy) / att, -0.999, 0.999);
        }
        corr_[a * d + b] = corr_[b * d + a] = rho;
      }
    }
    corr_ = nearest_correlation(corr_, d);
  }
  build_cholesky();
  return stats;
}

void CopulaSynthesizer::build_cholesky() { chol_ = cholesky(corr_, latents_.size()); }

// ------------------------------------------------------------------------------- sample

Table CopulaSynthesizer::sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const {
  check_request(n, conditions);
  const size_t d = latents_.size();
  Rng rng(ctx.seed);

  // Conditioned latents and their z-intervals.
  struct Cond {
    size_t latent;
    double lo, hi;
  };
  std::vector<Cond> conds;
  for (const Condition& c : conditions) {
    const int ci = schema_.find(c.column);
    const ColumnSchema& cs = schema_.columns[static_cast<size_t>(ci)];
    const int code = static_cast<int>(std::find(cs.values.begin(), cs.values.end(), c.value) - cs.values.begin());
    const int li = value_latent_[static_cast<size_t>(ci)];
    const Latent* lat = li >= 0 ? &latents_[static_cast<size_t>(li)] : nullptr;
    const auto pos = lat ? std::find(lat->levels.begin(), lat->levels.end(), static_cast<double>(code))
                         : std::vector<double>::const_iterator();
    if (!lat || pos == lat->levels.end())
      throw InvalidInput("--condition " + c.column + "=" + c.value + ": the model never saw this value in training");
    const size_t k = static_cast<size_t>(pos - lat->levels.begin());
    Cond cd{static_cast<size_t>(li), k == 0 ? -kInf : lat->breaks[k - 1], k < lat->breaks.size() ? lat->breaks[k] : kInf};
    bool dup = false;
    for (const Cond& o : conds)
      if (o.latent == cd.latent) {
        if (o.lo != cd.lo) throw InvalidInput("--condition: two different values requested for column '" + c.column + "'");
        dup = true;
      }
    if (dup) continue;
    conds.push_back(cd);
    // A conditioned value is present: its missingness latent lies below the break.
    const int mi = missing_latent_[static_cast<size_t>(ci)];
    if (mi >= 0) conds.push_back(Cond{static_cast<size_t>(mi), -kInf, latents_[static_cast<size_t>(mi)].breaks[0]});
  }

  // Latent order: conditioned first, then the rest; Cholesky of the permuted correlation.
  std::vector<size_t> order;
  for (const Cond& c : conds) order.push_back(c.latent);
  for (size_t i = 0; i < d; ++i)
    if (std::none_of(conds.begin(), conds.end(), [&](const Cond& c) { return c.latent == i; })) order.push_back(i);
  std::vector<double> lmat;
  if (conds.empty()) {
    lmat = chol_;
  } else {
    std::vector<double> pc(d * d);
    for (size_t i = 0; i < d; ++i)
      for (size_t j = 0; j < d; ++j) pc[i * d + j] = corr_[order[i] * d + order[j]];
    lmat = cholesky(pc, d);
  }
  const size_t c = conds.size();

  // GHK draws of the conditioned innovations (with importance resampling when c > 1).
  std::vector<double> cond_e;  // n x c
  if (c > 0) {
    const size_t proposals = c == 1 ? n : 4 * n;
    std::vector<double> e(proposals * c), logw(proposals, 0.0);
    for (size_t p = 0; p < proposals; ++p) {
      double* ep = &e[p * c];
      for (size_t i = 0; i < c; ++i) {
        double mu = 0;
        for (size_t j = 0; j < i; ++j) mu += lmat[i * d + j] * ep[j];
        const double lii = lmat[i * d + i];
        double mass;
        ep[i] = truncated_normal((conds[i].lo - mu) / lii, (conds[i].hi - mu) / lii, rng, &mass);
        logw[p] += mass > 0 ? std::log(mass) : -kInf;
      }
    }
    if (c == 1) {
      cond_e = std::move(e);
    } else {
      const double mx = *std::max_element(logw.begin(), logw.end());
      if (!std::isfinite(mx))
        throw InvalidInput("--condition: this combination of values has zero probability under the model");
      std::vector<double> cumw(proposals);
      double tot = 0;
      for (size_t p = 0; p < proposals; ++p) cumw[p] = tot += std::exp(logw[p] - mx);
      cond_e.resize(n * c);
      const double u0 = rng.uniform();
      size_t p = 0;
      for (size_t r = 0; r < n; ++r) {
        const double target = (r + u0) / n * tot;  // systematic resampling
        while (p + 1 < proposals && cumw[p] < target) ++p;
        std::copy(&e[p * c], &e[p * c] + c, &cond_e[r * c]);
      }
    }
  }

  // Output columns.
  Table out;
  const std::vector<size_t> outcols = output_columns(schema_);
  std::vector<int> out_index(schema_.columns.size(), -1);
  for (size_t oc : outcols) {
    const ColumnSchema& cs = schema_.columns[oc];
    out_index[oc] = static_cast<int>(out.columns.size());
    if (cs.type == ColumnType::kIdentifier)
      out.columns.push_back(synthetic_identifiers(cs, n));
    else if (cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime)
      out.columns.push_back(Column::numbers(cs.name, n));
    else
      out.columns.push_back(Column::strings(cs.name, n, cs.values));
  }

  // Blocks of rows: draw innovations, correlate them, then decode latent by latent (a tight
  // loop per column instead of a branch per value).
  constexpr size_t kBlock = 1024;
  std::vector<double> e(kBlock * d), z(kBlock * d);  // z is latent-major: z[latent * kBlock + row]
  Progress* progress = n >= (1u << 18) ? ctx.progress : nullptr;
  if (progress) progress->begin("sampling", n);
  for (size_t start = 0; start < n; start += kBlock) {
    if (progress && start % (64 * kBlock) == 0) progress->update(start, "rows");
    const size_t rows = std::min(kBlock, n - start);
    for (size_t r = 0; r < rows; ++r) {
      double* er = &e[r * d];
      for (size_t i = 0; i < c; ++i) er[i] = cond_e[(start + r) * c + i];
      for (size_t i = c; i < d; ++i) er[i] = rng.normal();
      for (size_t i = 0; i < d; ++i) {
        const double* li = &lmat[i * d];
        double s = 0;
        for (size_t j = 0; j <= i; ++j) s += li[j] * er[j];
        z[order[i] * kBlock + r] = s;
      }
    }
    for (size_t li = 0; li < d; ++li) {
      const Latent& lat = latents_[li];
      if (lat.kind == Kind::kMissing) continue;  // applied below, after the values
      Column& col = out.columns[static_cast<size_t>(out_index[static_cast<size_t>(lat.column)])];
      const double* zl = &z[li * kBlock];
      if (lat.kind == Kind::kContinuous) {
        const double* q = lat.quantiles.data();
        const size_t k = lat.quantiles.size();
        const double kmax = static_cast<double>(k - 1);
        double* values = &col.values[start];
        uint8_t* valid = &col.valid[start];
        for (size_t r = 0; r < rows; ++r) {
          const double pos = std::clamp(normal_cdf(zl[r]) * k - 0.5, 0.0, kmax);
          const size_t lo = static_cast<size_t>(pos);
          const size_t hi = lo + 1 < k ? lo + 1 : lo;
          values[r] = q[lo] + (pos - lo) * (q[hi] - q[lo]);
          valid[r] = 1;
        }
      } else {
        const double* br = lat.breaks.data();
        const size_t nb = lat.breaks.size();
        for (size_t r = 0; r < rows; ++r) {
          const size_t k = nb < 8 ? static_cast<size_t>(std::count_if(br, br + nb, [&](double b) { return b <= zl[r]; }))
                                  : static_cast<size_t>(std::upper_bound(br, br + nb, zl[r]) - br);
          if (col.storage == Storage::kNumber) {
            col.values[start + r] = lat.levels[k];
            col.valid[start + r] = 1;
          } else {
            col.codes[start + r] = static_cast<int32_t>(lat.levels[k]);
          }
        }
      }
    }
    for (size_t li = 0; li < d; ++li) {
      const Latent& lat = latents_[li];
      if (lat.kind != Kind::kMissing) continue;
      Column& col = out.columns[static_cast<size_t>(out_index[static_cast<size_t>(lat.column)])];
      const double* zl = &z[li * kBlock];
      const double b = lat.breaks[0];
      for (size_t r = 0; r < rows; ++r) {
        if (zl[r] < b) continue;
        if (col.storage == Storage::kNumber)
          col.valid[start + r] = 0;
        else
          col.codes[start + r] = -1;
      }
    }
  }
  if (progress) progress->end();
  for (size_t oc : outcols)
    apply_constraints(out.columns[static_cast<size_t>(out_index[oc])], schema_.columns[oc]);
  return out;
}

// -------------------------------------------------------------------------------- state

void CopulaSynthesizer::save_state(json* state, std::string* payload) const {
  json lats = json::array();
  for (const Latent& l : latents_) {
    json j{{"kind", l.kind == Kind::kContinuous ? "continuous" : l.kind == Kind::kDiscrete ? "discrete" : "missing"},
           {"column", l.column},
           {"family", l.family}};
    if (!l.quantiles.empty()) j["quantiles"] = l.quantiles;
    if (!l.breaks.empty()) j["breaks"] = l.breaks;
    if (!l.levels.empty()) j["levels"] = l.levels;
    if (l.family != "empirical" && l.kind == Kind::kContinuous) j["family_params"] = {l.family_a, l.family_b};
    lats.push_back(std::move(j));
  }
  *state = json{{"latents", std::move(lats)}, {"correlation", corr_}, {"warnings", warnings_}};
  payload->clear();
}

void CopulaSynthesizer::load_state(const json& j_state, const std::string& /*payload*/) {
  // Every field is checked against the schema (already restored) before sampling can index
  // with it: a model file from elsewhere is untrusted input.
  namespace st = state;
  const size_t ncols = schema_.columns.size();
  latents_.clear();
  missing_latent_.assign(ncols, -1);
  value_latent_.assign(ncols, -1);
  const json& lats = st::array(st::member(j_state, "latents", "copula state"), "copula state: latents");
  for (size_t i = 0; i < lats.size(); ++i) {
    const std::string where = "copula state: latents[" + std::to_string(i) + "]";
    const json& j = st::object(lats[i], where);
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() != "kind" && it.key() != "column" && it.key() != "family" && it.key() != "quantiles" &&
          it.key() != "breaks" && it.key() != "levels" && it.key() != "family_params")
        st::fail(where + ": unknown key '" + it.key() + "'");
    Latent l;
    const std::string kind = st::string(st::member(j, "kind", where), where + ".kind");
    if (kind == "continuous")
      l.kind = Kind::kContinuous;
    else if (kind == "discrete")
      l.kind = Kind::kDiscrete;
    else if (kind == "missing")
      l.kind = Kind::kMissing;
    else
      st::fail(where + ": unknown latent kind '" + kind + "'");
    l.column = static_cast<int>(st::integer(st::member(j, "column", where), 0, static_cast<int64_t>(ncols) - 1, where + ".column"));
    const ColumnSchema& cs = schema_.columns[static_cast<size_t>(l.column)];
    const std::string cw = where + " (column '" + cs.name + "')";
    l.family = st::string(st::member(j, "family", where), where + ".family");
    if (j.contains("quantiles")) l.quantiles = st::finite_array(j["quantiles"], where + ".quantiles");
    if (j.contains("breaks")) l.breaks = st::finite_array(j["breaks"], where + ".breaks");
    if (j.contains("levels")) l.levels = st::finite_array(j["levels"], where + ".levels");
    if (j.contains("family_params")) {
      const std::vector<double> fp = st::finite_array(j["family_params"], where + ".family_params");
      if (fp.size() != 2) st::fail(where + ".family_params: expected 2 numbers");
      l.family_a = fp[0];
      l.family_b = fp[1];
    }
    const bool numeric = cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime;
    const bool labels = cs.type == ColumnType::kCategorical || cs.type == ColumnType::kBoolean;
    if (!numeric && !labels) st::fail(cw + ": a " + std::string(to_string(cs.type)) + " column is not learned");
    if (!std::is_sorted(l.breaks.begin(), l.breaks.end())) st::fail(cw + ": breaks are not in increasing order");
    switch (l.kind) {
      case Kind::kContinuous:
        if (!numeric) st::fail(cw + ": a continuous latent on a " + std::string(to_string(cs.type)) + " column");
        if (l.family != "empirical" && l.family != "normal" && l.family != "lognormal" && l.family != "uniform" &&
            l.family != "exponential")
          st::fail(cw + ": unknown marginal family '" + l.family + "'");
        if (l.quantiles.empty() || l.quantiles.size() > 1000000) st::fail(cw + ": needs 1 to 1000000 quantiles");
        if (!std::is_sorted(l.quantiles.begin(), l.quantiles.end())) st::fail(cw + ": quantiles are not sorted");
        if (!l.breaks.empty() || !l.levels.empty()) st::fail(cw + ": a continuous latent has no breaks or levels");
        break;
      case Kind::kDiscrete:
        if (l.levels.empty() || l.levels.size() > 1000000) st::fail(cw + ": a discrete latent needs 1 to 1000000 levels");
        if (l.levels.size() != l.breaks.size() + 1) st::fail(cw + ": " + std::to_string(l.levels.size()) + " levels need " +
                                                             std::to_string(l.levels.size() - 1) + " breaks");
        if (!l.quantiles.empty()) st::fail(cw + ": a discrete latent has no quantiles");
        if (labels) {
          if (l.family != "categorical") st::fail(cw + ": family must be 'categorical'");
          std::vector<uint8_t> used(cs.values.size(), 0);
          for (double v : l.levels) {
            if (v != std::floor(v) || v < 0 || v >= static_cast<double>(cs.values.size()))
              st::fail(cw + ": level " + json(v).dump() + " is not an index into the column's " +
                       std::to_string(cs.values.size()) + " values");
            if (used[static_cast<size_t>(v)]++) st::fail(cw + ": level " + json(v).dump() + " appears twice");
          }
        } else {
          if (l.family != "discrete") st::fail(cw + ": family must be 'discrete'");
          if (std::adjacent_find(l.levels.begin(), l.levels.end(), std::greater_equal<double>()) != l.levels.end())
            st::fail(cw + ": levels are not strictly increasing");
        }
        break;
      case Kind::kMissing:
        if (l.breaks.size() != 1 || !l.levels.empty() || !l.quantiles.empty())
          st::fail(cw + ": a missingness latent has exactly one break and nothing else");
        break;
    }
    int& slot = (l.kind == Kind::kMissing ? missing_latent_ : value_latent_)[static_cast<size_t>(l.column)];
    if (slot >= 0) st::fail(cw + ": a second " + (l.kind == Kind::kMissing ? "missingness" : "value") + " latent");
    slot = static_cast<int>(latents_.size());
    latents_.push_back(std::move(l));
  }
  for (size_t c = 0; c < ncols; ++c)
    if (missing_latent_[c] >= 0 && value_latent_[c] < 0)
      st::fail("copula state: column '" + schema_.columns[c].name + "' has a missingness latent but no value latent");
  const size_t d = latents_.size();
  corr_ = st::finite_array(st::member(j_state, "correlation", "copula state"), "copula state: correlation");
  if (corr_.size() != d * d)
    st::fail("copula state: correlation has " + std::to_string(corr_.size()) + " entries; " + std::to_string(d) +
             " latents need " + std::to_string(d * d));
  for (size_t a = 0; a < d; ++a) {
    if (std::fabs(corr_[a * d + a] - 1.0) > 1e-9) st::fail("copula state: correlation diagonal is not 1");
    for (size_t b = a + 1; b < d; ++b) {
      if (std::fabs(corr_[a * d + b] - corr_[b * d + a]) > 1e-9) st::fail("copula state: correlation is not symmetric");
      if (std::fabs(corr_[a * d + b]) > 1.0) st::fail("copula state: a correlation outside [-1, 1]");
    }
  }
  if (d > 1 && min_eigenvalue(corr_, d) < -1e-6) st::fail("copula state: correlation matrix is not positive semi-definite");
  warnings_.clear();
  if (j_state.contains("warnings")) warnings_ = st::string_array(j_state["warnings"], "copula state: warnings");
  build_cholesky();
}

json CopulaSynthesizer::summary() const {
  json cols = json::object();
  for (const Latent& l : latents_) {
    if (l.kind == Kind::kMissing) continue;
    cols[schema_.columns[static_cast<size_t>(l.column)].name] = l.family;
  }
  return json{{"marginals", cols}, {"latent_variables", latents_.size()}};
}

}  // namespace medgen::tabular
