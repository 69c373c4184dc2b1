// Privacy: does the synthetic table give away the training records? Every distance metric
// compares the synthetic rows' closeness to the training rows with the closeness of fresh
// real rows (the holdout) to them: real data from the same population sets the baseline that
// a synthesizer which learned the population, not the people, reaches.
//
// The distance between two records is the mean over the scored columns of a per-column
// distance in [0, 1]: |Δ| / range (of the real column) capped at 1 for numbers, 0 / 1 for
// labels, 1 between a missing and a present value. Nearest-neighbour searches are exact over
// the whole reference table; only the query rows are sampled, so each estimate is a mean or a
// share over a known number of independent queries and its error is stated with it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "medgen/eval/metrics.h"
#include "sections.h"

namespace medgen::eval {

namespace {

constexpr size_t kAnonymityK = 5;       // "small group" size for the k-anonymity share
constexpr double kNumericMatch = 0.05;  // attribute inference: a number within 5% of the range counts as inferred

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  return h * 0xBF58476D1CE4E5B9ULL;
}

// A 64-bit hash of each row's values over columns `use` (missing hashes as itself).
std::vector<uint64_t> row_hashes(const Table& t, const std::vector<EvalColumn>& cols, const std::vector<size_t>& use) {
  std::vector<uint64_t> h(t.num_rows(), 0x12345678ULL);
  for (size_t u : use) {
    const Column& col = t.columns[cols[u].index];
    for (size_t r = 0; r < h.size(); ++r) {
      uint64_t v;
      if (col.storage == Storage::kNumber) {
        double x = col.valid[r] ? col.values[r] : 0.0;
        if (x == 0.0) x = 0.0;  // -0 and +0 are the same value
        std::memcpy(&v, &x, sizeof v);
        if (!col.valid[r]) v = 0x7FF8DEADBEEFULL;
      } else {
        v = static_cast<uint64_t>(static_cast<int64_t>(col.codes[r]));
      }
      h[r] = mix(h[r], v);
    }
  }
  return h;
}

// Share of rows of `a` whose values (over all scored columns) equal some row of `b`.
double exact_copy_rate(const Table& a, const Table& b, const std::vector<EvalColumn>& cols) {
  std::vector<size_t> use = all_rows(cols.size());
  const std::vector<uint64_t> hb = row_hashes(b, cols, use);
  const std::unordered_set<uint64_t> set(hb.begin(), hb.end());
  size_t n = 0;
  for (uint64_t h : row_hashes(a, cols, use)) n += set.count(h);
  return a.num_rows() ? static_cast<double>(n) / static_cast<double>(a.num_rows()) : 0.0;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return NAN;
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// 95% half-width of a share p estimated from n independent draws.
double share_error(double p, size_t n) { return n ? 1.96 * std::sqrt(p * (1 - p) / static_cast<double>(n)) : NAN; }

// Summary of a distance sample: the mean with its 95% half-width, and quantiles.
ojson distance_summary(const std::vector<double>& d) {
  return {{"n", d.size()},
          {"mean", num(mean_of(d))},
          {"mean_error_95", num(d.size() > 1 ? 1.96 * sd_of(d) / std::sqrt(static_cast<double>(d.size())) : NAN)},
          {"p05", num(quantile(d, 0.05))},
          {"median", num(quantile(d, 0.5))},
          {"p95", num(quantile(d, 0.95))}};
}

// Distances to the nearest and second-nearest reference row, and their ratio (NNDR; 1 when
// both are 0: two identical reference records single out nobody).
void nearest_two(const DistanceMatrix& q, const DistanceMatrix& ref, std::vector<double>* d1,
                 std::vector<double>* nndr) {
  const std::vector<float> d = nearest_distances(q, ref, 2);
  for (size_t i = 0; i < q.rows; ++i) {
    const double a = d[2 * i], b = d[2 * i + 1];
    d1->push_back(a);
    nndr->push_back(b > 0 && std::isfinite(b) ? a / b : 1.0);
  }
}

// Histogram of two distance samples on one scale (for the report).
ojson dcr_chart(const std::vector<double>& syn, const std::vector<double>& hold) {
  constexpr size_t kBins = 20;
  double hi = 0;
  // Distances are in [0, 1]; +inf only when a reference table was empty.
  for (double v : syn)
    if (std::isfinite(v)) hi = std::max(hi, v);
  for (double v : hold)
    if (std::isfinite(v)) hi = std::max(hi, v);
  if (hi <= 0) hi = 1;
  auto hist = [&](const std::vector<double>& v) {
    std::vector<double> h(kBins, 0);
    for (double x : v) h[std::min(kBins - 1, static_cast<size_t>(std::min(x, hi) / hi * kBins))] += 1;
    for (double& x : h) x /= std::max<double>(1, static_cast<double>(v.size()));
    return h;
  };
  std::vector<double> edges;
  for (size_t b = 0; b <= kBins; ++b) edges.push_back(hi * static_cast<double>(b) / kBins);
  ojson j{{"edges", edges}, {"synthetic", hist(syn)}};
  if (!hold.empty()) j["holdout"] = hist(hold);
  return j;
}

// Groups of equal quasi-identifier values in t: the smallest group (k), the number of
// groups, and the share of rows in groups smaller than kAnonymityK.
ojson anonymity(const Table& t, const std::vector<EvalColumn>& cols, const std::vector<size_t>& quasi) {
  std::unordered_map<uint64_t, size_t> groups;
  for (uint64_t h : row_hashes(t, cols, quasi)) ++groups[h];
  size_t k = t.num_rows(), small = 0;
  for (const auto& g : groups) {
    k = std::min(k, g.second);
    if (g.second < kAnonymityK) small += g.second;
  }
  return {
      {"k", groups.empty() ? 0 : k},
      {"groups", groups.size()},
      {"share_in_groups_below_5", t.num_rows() ? static_cast<double>(small) / static_cast<double>(t.num_rows()) : 0.0}};
}

// The attacker knows a training record's quasi-identifiers, finds the nearest record on them
// in `known` (the released table) and reads off the sensitive value. Returns the share of
// targets whose sensitive value that reveals (numbers: within kNumericMatch of the range).
double inference_accuracy(const Table& real, const std::vector<size_t>& targets, const Table& known,
                          const std::vector<EvalColumn>& cols, size_t sensitive, const std::vector<size_t>& quasi) {
  const DistanceMatrix q = distance_matrix(real, cols, targets, quasi);
  const DistanceMatrix ref = distance_matrix(known, cols, all_rows(known.num_rows()), quasi);
  std::vector<size_t> nearest;
  nearest_distances(q, ref, 1, &nearest);
  const EvalColumn& c = cols[sensitive];
  const Column& a = real.columns[c.index];
  const Column& b = known.columns[c.index];
  size_t hits = 0, n = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const size_t r = targets[i], s = nearest[i];
    if (a.is_missing(r)) continue;
    ++n;
    if (b.is_missing(s)) continue;
    if (c.kind == Kind::kNumeric)
      hits += std::fabs(a.values[r] - b.values[s]) <= kNumericMatch * c.range();
    else
      hits += a.codes[r] == b.codes[s];
  }
  return n ? static_cast<double>(hits) / static_cast<double>(n) : NAN;
}

}  // namespace

ojson privacy_section(const Table& real, const Table& synthetic, const Table* holdout,
                      const std::vector<EvalColumn>& cols, const std::vector<size_t>& sensitive,
                      const std::vector<size_t>& quasi, const EvalOptions& options, Rng rng) {
  ojson out;
  const std::vector<size_t> every = all_rows(cols.size());
  const size_t nq = options.privacy_queries;

  // Exact copies: every synthetic row, hashed (no sampling). Real data has duplicates too
  // (discrete tables): the holdout's own rate is the baseline, and the excess beyond it (less
  // two standard errors) is what the gate reads.
  const double copies = exact_copy_rate(synthetic, real, cols);
  ojson ec{{"rate", copies}, {"rows", synthetic.num_rows()}};
  double excess = copies;
  if (holdout) {
    const double base = exact_copy_rate(*holdout, real, cols);
    const double se = std::sqrt(base * (1 - base) / static_cast<double>(synthetic.num_rows()) +
                                base * (1 - base) / static_cast<double>(holdout->num_rows()));
    excess = std::max(0.0, copies - base - 2 * se);
    ec["holdout_rate"] = base;
  }
  ec["excess_rate"] = excess;
  out["exact_copies"] = ec;

  // DCR and NNDR: sampled synthetic (and holdout) rows against every training row.
  const DistanceMatrix train_all = distance_matrix(real, cols, all_rows(real.num_rows()), every);
  const std::vector<size_t> syn_q = sample_indices(synthetic.num_rows(), nq, rng);
  const DistanceMatrix syn_qm = distance_matrix(synthetic, cols, syn_q, every);
  std::vector<double> dcr_syn, nndr_syn, dcr_hold, nndr_hold;
  nearest_two(syn_qm, train_all, &dcr_syn, &nndr_syn);
  ojson dcr{{"synthetic_to_train", distance_summary(dcr_syn)}};
  ojson nndr{{"synthetic_to_train", distance_summary(nndr_syn)}};
  if (holdout) {
    const std::vector<size_t> hq = sample_indices(holdout->num_rows(), nq, rng);
    nearest_two(distance_matrix(*holdout, cols, hq, every), train_all, &dcr_hold, &nndr_hold);
    dcr["holdout_to_train"] = distance_summary(dcr_hold);
    nndr["holdout_to_train"] = distance_summary(nndr_hold);
  }
  out["dcr"] = dcr;
  out["nndr"] = nndr;
  out["charts"] = {{"dcr", dcr_chart(dcr_syn, dcr_hold)}};
  if (!holdout) {
    out["share_closer_to_train"] = nullptr;
    out["membership_inference"] = nullptr;
  } else {
    // Share of synthetic rows closer to the training set than to the holdout, against equally
    // many training rows as holdout rows so that a synthesizer which never saw the training
    // rows scores 0.5 (ties count one half).
    const size_t nh = holdout->num_rows(), same = std::min(nh, real.num_rows());
    const std::vector<size_t> tsub = sample_indices(real.num_rows(), same, rng);
    const std::vector<size_t> hsub = sample_indices(nh, same, rng);
    const std::vector<float> dt = nearest_distances(syn_qm, distance_matrix(real, cols, tsub, every), 1);
    const std::vector<float> dh = nearest_distances(syn_qm, distance_matrix(*holdout, cols, hsub, every), 1);
    double closer = 0;
    for (size_t i = 0; i < dt.size(); ++i) closer += dt[i] < dh[i] ? 1.0 : dt[i] == dh[i] ? 0.5 : 0.0;
    closer /= std::max<double>(1, static_cast<double>(dt.size()));
    out["share_closer_to_train"] = {{"share", closer},
                                    {"error_95", num(share_error(closer, dt.size()))},
                                    {"queries", dt.size()},
                                    {"rows_per_side", same}};

    // Membership inference, cross-fitted: the holdout is split in two halves; each half in turn
    // gives the non-members and the other half the real reference of the density-ratio attack,
    // against as many training rows (members, disjoint between the folds when the training
    // table has enough rows). Every holdout row is scored once: twice the queries of one split,
    // the same attack, a smaller standard error.
    const std::vector<size_t> hperm = sample_indices(nh, nh, rng);
    const size_t half = nh / 2;
    const size_t m = std::min({nq, half, real.num_rows()});
    ojson mia;
    if (m < 5) {
      mia["skipped"] = "the holdout needs at least 10 rows";
    } else {
      const bool disjoint = real.num_rows() >= 2 * m;
      const std::vector<size_t> mem_all = sample_indices(real.num_rows(), disjoint ? 2 * m : m, rng);
      const DistanceMatrix syn_all = distance_matrix(synthetic, cols, all_rows(synthetic.num_rows()), every);
      const size_t k = std::min<size_t>(5, std::min(nh - half, synthetic.num_rows()));
      std::vector<double> s_dist, s_ratio;
      std::vector<int> label;
      size_t members = 0, non_members = 0;
      for (int fold = 0; fold < 2; ++fold) {
        // non-members: m rows of this half; reference: the whole other half
        const size_t nb = fold == 0 ? 0 : half, ne = fold == 0 ? half : nh;
        const std::vector<size_t> non(hperm.begin() + static_cast<long>(nb), hperm.begin() + static_cast<long>(nb + m));
        std::vector<size_t> refrows;
        for (size_t q = 0; q < nh; ++q)
          if (q < nb || q >= ne) refrows.push_back(hperm[q]);
        const size_t mb = disjoint ? static_cast<size_t>(fold) * m : 0;
        const std::vector<size_t> mem(mem_all.begin() + static_cast<long>(mb), mem_all.begin() + static_cast<long>(mb + m));
        const DistanceMatrix ref = distance_matrix(*holdout, cols, refrows, every);
        const size_t kf = std::min(k, refrows.size());
        for (int side = 0; side < 2; ++side) {
          const DistanceMatrix q =
              side == 0 ? distance_matrix(real, cols, mem, every) : distance_matrix(*holdout, cols, non, every);
          const std::vector<float> ds = nearest_distances(q, syn_all, kf);
          const std::vector<float> dr = nearest_distances(q, ref, kf);
          for (size_t i = 0; i < q.rows; ++i) {
            s_dist.push_back(-ds[i * kf]);  // closer to a synthetic row: more likely a member
            // kNN density ratio p_syn / p_real: a record where the synthetic data is denser than
            // real data of the population is suspect (DOMIAS-style).
            s_ratio.push_back((dr[i * kf + kf - 1] + 1e-6) / (ds[i * kf + kf - 1] + 1e-6));
            label.push_back(side == 0);
          }
          (side == 0 ? members : non_members) += q.rows;
        }
      }
      const double a1 = roc_auc(s_dist, label), a2 = roc_auc(s_ratio, label);
      mia = {{"members", members},
             {"non_members", non_members},
             {"reference_rows", nh - half},
             {"folds", 2},
             {"attacks",
              {{{"attack", "distance_to_closest_synthetic"},
                {"auc", a1},
                {"auc_standard_error", auc_standard_error(a1, members, non_members)}},
               {{"attack", "density_ratio_knn"},
                {"k", k},
                {"auc", a2},
                {"auc_standard_error", auc_standard_error(a2, members, non_members)}}}},
             {"auc", std::max(a1, a2)}};
    }
    out["membership_inference"] = mia;
  }

  // Attribute inference and k-anonymity on the named columns.
  if (!quasi.empty()) {
    ojson ai = ojson::array();
    const std::vector<size_t> targets = sample_indices(real.num_rows(), nq, rng);
    for (size_t s : sensitive) {
      ojson a{{"sensitive", cols[s].name}, {"targets", targets.size()}};
      const double acc = inference_accuracy(real, targets, synthetic, cols, s, quasi);
      a["accuracy_from_synthetic"] = num(acc);
      a["error_95"] = num(share_error(acc, targets.size()));
      if (holdout) {
        const double base = inference_accuracy(real, targets, *holdout, cols, s, quasi);
        a["accuracy_from_holdout"] = num(base);
        a["gain"] = num(acc - base);
      }
      ai.push_back(std::move(a));
    }
    std::vector<std::string> qn;
    for (size_t q : quasi) qn.push_back(cols[q].name);
    out["attribute_inference"] = {{"quasi_identifiers", qn}, {"numeric_match_within", kNumericMatch}, {"columns", ai}};
    out["k_anonymity"] = {{"quasi_identifiers", qn},
                          {"synthetic", anonymity(synthetic, cols, quasi)},
                          {"real", anonymity(real, cols, quasi)}};
  }
  return out;
}

}  // namespace medgen::eval
