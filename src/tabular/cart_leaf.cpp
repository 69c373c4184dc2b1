// cart's automatic leaf size (min_leaf 0): see include/medgen/tabular/cart.h.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>

#include "medgen/core/error.h"
#include "medgen/core/progress.h"
#include "medgen/core/ranks.h"
#include "medgen/tabular/cart.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

constexpr int kCandidates[] = {5, 10, 20, 50, 100, 200};
constexpr double kMaxAuc = 0.53;       // the membership attacks' AUC on the internal split at most
constexpr double kHoldShare = 0.2;     // rows held out per repeat
constexpr size_t kMaxQueries = 500;    // members, non-members and synthetic queries per repeat at most
constexpr size_t kPerSide = 400;       // repeats until this many non-members per side, at most 5
constexpr size_t kMaxRepeats = 5;
constexpr size_t kMinRows = 60;        // below, no split: kSmallTableLeaf
constexpr int kSmallTableLeaf = 10;
constexpr int kDensityK = 5;
constexpr float kMissing = -1e6f;      // a missing value: distance 1 to any present value, 0 to another

// Rows as float vectors whose summed capped differences are the evaluation's record distance:
// numbers (v - min) / range, labels 2 * code (any two labels differ by at least 2: capped to 1).
struct Coded {
  size_t rows = 0, d = 0;
  std::vector<float> x;  // row-major
  const float* row(size_t r) const { return x.data() + r * d; }
};

Coded encode(const std::vector<std::vector<double>>& values, const std::vector<char>& numeric,
             const std::vector<double>& lo, const std::vector<double>& range, const std::vector<size_t>& rows) {
  Coded c;
  c.rows = rows.size();
  c.d = values.size();
  c.x.resize(c.rows * c.d);
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t k = 0; k < c.d; ++k) {
      const double v = values[k][rows[i]];
      c.x[i * c.d + k] = std::isnan(v) ? kMissing : numeric[k] ? static_cast<float>((v - lo[k]) / range[k]) : 2.f * static_cast<float>(v);
    }
  return c;
}

// The k smallest distances from each query row to the reference rows, ascending (row-major q.rows x k).
std::vector<float> nearest(const Coded& q, const Coded& ref, size_t k) {
  std::vector<float> out(q.rows * k, std::numeric_limits<float>::infinity());
  for (size_t i = 0; i < q.rows; ++i) {
    float* best = &out[i * k];
    const float* a = q.row(i);
    for (size_t j = 0; j < ref.rows; ++j) {
      const float* b = ref.row(j);
      float s = 0;
      for (size_t c = 0; c < q.d && s < best[k - 1]; ++c) s += std::min(std::fabs(a[c] - b[c]), 1.f);
      if (s >= best[k - 1]) continue;
      size_t p = k - 1;
      while (p > 0 && best[p - 1] > s) {
        best[p] = best[p - 1];
        --p;
      }
      best[p] = s;
    }
  }
  return out;
}

double median(std::vector<float> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

int CartSynthesizer::choose_min_leaf(const Table& table, const Schema& schema, const Context& ctx) {
  const size_t n = table.num_rows();
  if (n < kMinRows) {
    leaf_choice_ = {{"min_leaf", kSmallTableLeaf}, {"note", "fewer than 60 rows: no internal split"}};
    return kSmallTableLeaf;
  }
  std::vector<ColumnModel> models;
  const std::vector<std::vector<double>> values = learned_values(table, schema, &models);
  const size_t d = values.size();
  if (d == 0) return 5;  // fit_trees refuses the table
  std::vector<char> numeric(d);
  std::vector<double> lo(d, 0), range(d, 1);
  for (size_t k = 0; k < d; ++k) {
    numeric[k] = models[k].numeric;
    if (!numeric[k]) continue;
    double a = INFINITY, b = -INFINITY;
    for (double v : values[k])
      if (!std::isnan(v)) a = std::min(a, v), b = std::max(b, v);
    if (a <= b) lo[k] = a, range[k] = b > a ? b - a : 1.0;
  }

  // The splits, the same for every candidate.
  struct Split {
    Table fitted;
    std::vector<size_t> fitted_rows;
    Coded fitted_coded, members, non_members, reference;
  };
  const size_t held = std::max<size_t>(10, static_cast<size_t>(kHoldShare * static_cast<double>(n)));
  const size_t half = held / 2;
  const size_t queries = std::min(half, kMaxQueries);
  const size_t repeats = std::min(kMaxRepeats, std::max<size_t>(1, (kPerSide + queries - 1) / queries));
  Rng rng(ctx.seed ^ 0xC4A7'1EAFull);
  std::vector<Split> splits(repeats);
  for (Split& sp : splits) {
    std::vector<size_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
    std::vector<size_t> non(perm.begin(), perm.begin() + static_cast<long>(queries));
    std::vector<size_t> ref(perm.begin() + static_cast<long>(half), perm.begin() + static_cast<long>(held));
    sp.fitted_rows.assign(perm.begin() + static_cast<long>(held), perm.end());
    std::vector<size_t> mem(sp.fitted_rows.begin(), sp.fitted_rows.begin() + static_cast<long>(queries));  // perm is random
    std::sort(sp.fitted_rows.begin(), sp.fitted_rows.end());
    sp.fitted = table.take(sp.fitted_rows);
    sp.fitted_coded = encode(values, numeric, lo, range, sp.fitted_rows);
    sp.members = encode(values, numeric, lo, range, mem);
    sp.non_members = encode(values, numeric, lo, range, non);
    sp.reference = encode(values, numeric, lo, range, ref);
  }

  Context sub_ctx = ctx;
  sub_ctx.progress = nullptr;
  leaf_choice_ = {{"held_out_share", kHoldShare}, {"repeats", repeats}, {"queries_per_side", queries},
                  {"max_auc", kMaxAuc}, {"candidates", json::array()}};
  int chosen = 0, tried = 0;
  if (ctx.progress) ctx.progress->begin("choosing cart's leaf size", std::size(kCandidates));
  for (size_t ci = 0; ci < std::size(kCandidates); ++ci) {
    const int leaf = kCandidates[ci];
    // A leaf must leave room for a split of the fitted rows (the first candidate is always tried).
    if (ci > 0 && static_cast<size_t>(leaf) * 4 > n - held) break;
    if (ctx.progress) ctx.progress->update(ci);
    tried = leaf;
    double auc_sum = 0, ratio_sum = 0;
    for (size_t r = 0; r < repeats; ++r) {
      const Split& sp = splits[r];
      CartParams p = params_;
      p.min_leaf = leaf;
      CartSynthesizer sub(p);
      sub_ctx.seed = ctx.seed + 7919 * (r + 1);
      sub.fit(sp.fitted, schema, sub_ctx);
      std::vector<std::vector<double>> syn;
      Rng srng(sub_ctx.seed ^ 0x5EED);
      sub.draw(sp.fitted_rows.size(), srng, &syn);
      std::vector<size_t> all(sp.fitted_rows.size());
      std::iota(all.begin(), all.end(), 0);
      const Coded s = encode(syn, numeric, lo, range, all);
      const size_t k = std::min<size_t>(kDensityK, std::min(sp.reference.rows, s.rows));
      std::vector<double> by_distance, by_ratio;
      std::vector<int> label;
      for (int side = 0; side < 2; ++side) {
        const Coded& q = side == 0 ? sp.members : sp.non_members;
        const std::vector<float> ds = nearest(q, s, k), dr = nearest(q, sp.reference, k);
        for (size_t i = 0; i < q.rows; ++i) {
          by_distance.push_back(-ds[i * k]);
          by_ratio.push_back((dr[i * k + k - 1] + 1e-6) / (ds[i * k + k - 1] + 1e-6));
          label.push_back(side == 0);
        }
      }
      auc_sum += std::max(roc_auc(by_distance, label), roc_auc(by_ratio, label));
      // Closest fitted row: synthetic queries against the held-out rows' own.
      Coded sq = s;
      sq.rows = std::min(s.rows, kMaxQueries);
      sq.x.resize(sq.rows * sq.d);
      const double dcr_syn = median(nearest(sq, sp.fitted_coded, 1));
      const double dcr_held = median(nearest(sp.non_members, sp.fitted_coded, 1));
      ratio_sum += dcr_held > 0 ? dcr_syn / dcr_held : (dcr_syn > 0 ? 2.0 : 1.0);
    }
    const double auc = auc_sum / static_cast<double>(repeats), ratio = ratio_sum / static_cast<double>(repeats);
    const bool pass = auc <= kMaxAuc && ratio >= 1.0;
    leaf_choice_["candidates"].push_back({{"min_leaf", leaf}, {"membership_auc", auc}, {"dcr_ratio", ratio}, {"pass", pass}});
    if (pass) {
      chosen = leaf;
      break;
    }
  }
  if (ctx.progress) ctx.progress->end();
  if (chosen == 0) {
    chosen = tried;
    leaf_choice_["note"] = "no candidate passed: the largest one tried";
  }
  leaf_choice_["min_leaf"] = chosen;
  return chosen;
}

}  // namespace medgen::tabular
