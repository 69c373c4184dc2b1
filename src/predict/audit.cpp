#include "medgen/predict/audit.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/ranks.h"
#include "medgen/predict/metrics.h"

namespace medgen::predict {

using json = nlohmann::json;

GroupSpec GroupSpec::parse(const std::string& text) {
  GroupSpec g;
  const size_t colon = text.find(':');
  g.column = text.substr(0, colon);
  if (g.column.empty()) throw InvalidInput("--group: empty column name in '" + text + "'");
  if (colon == std::string::npos) return g;
  std::string rest = text.substr(colon + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    if (comma == std::string::npos) comma = rest.size();
    const std::string tok = rest.substr(start, comma - start);
    start = comma + 1;
    try {
      size_t used = 0;
      const double v = std::stod(tok, &used);
      if (used != tok.size() || !std::isfinite(v)) throw std::invalid_argument("");
      if (!g.cuts.empty() && v <= g.cuts.back()) throw InvalidInput("--group " + text + ": cut points must increase");
      g.cuts.push_back(v);
    } catch (const InvalidInput&) {
      throw;
    } catch (const std::exception&) {
      throw InvalidInput("--group " + text + ": '" + tok + "' is not a number (cut points: COLUMN:50,65)");
    }
  }
  return g;
}

namespace {
std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}
}  // namespace

std::vector<std::string> GroupSpec::labels(const Table& table) const {
  const int ci = table.find(column);
  if (ci < 0) throw InvalidInput("--group: no column '" + column + "' in the data");
  const Column& c = table.columns[ci];
  std::vector<std::string> out(c.size());
  if (c.storage == Storage::kString) {
    if (!cuts.empty()) throw InvalidInput("--group " + column + ": cut points need a numerical column");
    for (size_t i = 0; i < c.size(); ++i)
      if (c.codes[i] >= 0) out[i] = c.dictionary[c.codes[i]];
    return out;
  }
  if (cuts.empty()) {
    std::set<double> v;
    for (size_t i = 0; i < c.size(); ++i)
      if (c.valid[i]) v.insert(c.values[i]);
    if (v.size() > 12)
      throw InvalidInput("--group " + column + ": " + std::to_string(v.size()) +
                         " distinct values; give bands, e.g. --group " + column + ":50,65");
  }
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c.valid[i]) continue;
    const double x = c.values[i];
    if (cuts.empty()) {
      out[i] = fmt(x);
      continue;
    }
    size_t k = 0;
    while (k < cuts.size() && x >= cuts[k]) ++k;
    out[i] = k == 0 ? "<" + fmt(cuts[0]) : k == cuts.size() ? ">=" + fmt(cuts.back()) : fmt(cuts[k - 1]) + "-" + fmt(cuts[k]);
  }
  return out;
}

namespace {

struct Rates {
  double tpr = NAN, fpr = NAN, positive_rate = NAN, disc = NAN, observed = NAN, expected = NAN, brier = NAN;
};

// Rates over the scored rows `idx` (positions in the AuditInput vectors).
Rates rates(const AuditInput& in, const std::vector<size_t>& idx) {
  Rates r;
  std::vector<double> risk, margin, y, w, t;
  std::vector<int> e, lab;
  for (size_t i : idx) {
    risk.push_back(in.risk[i]);
    margin.push_back(in.margin[i]);
    if (in.survival) t.push_back(in.time[i]), e.push_back(in.event[i]);
    else y.push_back(in.y[i]), lab.push_back(in.y[i] != 0);
  }
  if (idx.empty()) return r;
  std::vector<int> status;
  if (in.survival) {
    horizon_status(t, e, in.horizon, &status, &w);
    r.disc = harrell_c(margin, t, e);
    y.assign(idx.size(), 0);
    for (size_t k = 0; k < idx.size(); ++k) y[k] = status[k] == 1;
  } else {
    w.assign(idx.size(), 1);
    r.disc = roc_auc(margin, lab);
  }
  double tp = 0, p = 0, fp = 0, ng = 0, pos = 0, sw = 0, o = 0, ex = 0, br = 0;
  for (size_t k = 0; k < idx.size(); ++k) {
    const bool flag = risk[k] >= in.threshold;
    pos += flag;
    if (w[k] <= 0) continue;
    sw += w[k];
    o += w[k] * y[k];
    ex += w[k] * risk[k];
    br += w[k] * (risk[k] - y[k]) * (risk[k] - y[k]);
    if (y[k]) p += w[k], tp += w[k] * flag;
    else ng += w[k], fp += w[k] * flag;
  }
  r.positive_rate = pos / idx.size();
  if (p > 0) r.tpr = tp / p;
  if (ng > 0) r.fpr = fp / ng;
  if (sw > 0) r.observed = o / sw, r.expected = ex / sw, r.brier = br / sw;
  return r;
}

json num_or_null(double v) { return std::isfinite(v) ? json(v) : json(); }

}  // namespace

json audit(const AuditInput& in, const std::vector<std::string>& groups) {
  json out{{"threshold", in.threshold},
           {"note", "discrimination: " + std::string(in.survival ? "Harrell's c" : "AUROC") +
                        "; TPR/FPR/positive rate at the threshold" +
                        (in.survival ? "; outcome = event by the horizon, inverse-probability-of-censoring weighted" : "") +
                        "; 95% percentile bootstrap intervals"},
           {"groups", json::array()}};
  const size_t n = in.rows.size();
  for (const std::string& gtext : groups) {
    const GroupSpec spec = GroupSpec::parse(gtext);
    const std::vector<std::string> all = spec.labels(*in.table);
    std::map<std::string, std::vector<size_t>> members;  // label -> positions among scored rows
    for (size_t k = 0; k < n; ++k)
      if (!all[in.rows[k]].empty()) members[all[in.rows[k]]].push_back(k);
    if (members.size() < 2)
      throw InvalidInput("--group " + gtext + ": the column has " + std::to_string(members.size()) +
                         " level among the scored rows; an audit compares two or more groups");
    json gj{{"group", gtext}, {"levels", json::array()}, {"warnings", json::array()}};
    std::vector<std::string> names;
    for (const auto& [label, idx] : members) names.push_back(label);
    // Point estimates and per-level intervals.
    std::map<std::string, Rates> point;
    for (const auto& [label, idx] : members) {
      const Rates r = rates(in, idx);
      point[label] = r;
      size_t outcomes = 0;
      for (size_t k : idx) outcomes += in.survival ? (in.event[k] && in.time[k] <= in.horizon) : in.y[k] != 0;
      json lj{{"level", label}, {"n", idx.size()}, {"outcomes", outcomes}};
      const char* keys[] = {"discrimination", "tpr", "fpr", "positive_rate", "observed", "expected", "brier"};
      for (int m = 0; m < 7; ++m) {
        const Interval iv = bootstrap(idx.size(), in.bootstrap, in.seed + m * 7919 + idx.size(), [&](const std::vector<size_t>& s) {
          std::vector<size_t> rows;
          for (size_t q : s) rows.push_back(idx[q]);
          const Rates x = rates(in, rows);
          const double v[] = {x.disc, x.tpr, x.fpr, x.positive_rate, x.observed, x.expected, x.brier};
          return v[m];
        });
        lj[keys[m]] = std::isfinite(iv.value) ? iv.to_json() : json();
      }
      if (idx.size() < 30 || outcomes < 10) {
        const std::string w = "group " + gtext + "=" + label + " is too small to judge (" + std::to_string(idx.size()) +
                               " rows, " + std::to_string(outcomes) + " outcomes; want >= 30 and >= 10)";
        lj["too_small"] = true;
        gj["warnings"].push_back(w);
      }
      // Missing-data pattern: share missing per feature column in this group (all table rows of the group).
      json miss = json::object();
      size_t group_rows = 0;
      for (size_t i = 0; i < all.size(); ++i) group_rows += all[i] == label;
      for (const std::string& col : in.feature_columns) {
        const int ci = in.table->find(col);
        if (ci < 0) continue;
        size_t m = 0;
        for (size_t i = 0; i < all.size(); ++i)
          if (all[i] == label && in.table->columns[ci].is_missing(i)) ++m;
        miss[col] = group_rows ? static_cast<double>(m) / group_rows : 0.0;
      }
      lj["missing_share"] = miss;
      lj["table_rows"] = group_rows;
      gj["levels"].push_back(lj);
    }
    // Gaps: max - min over levels, bootstrapped by resampling within each level.
    auto gap_of = [&](const std::map<std::string, Rates>& r, int which) {
      double lo = INFINITY, hi = -INFINITY;
      for (const auto& [l, x] : r) {
        const double v = which == 0 ? x.tpr : which == 1 ? x.fpr : x.positive_rate;
        if (!std::isfinite(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      return hi >= lo ? hi - lo : NAN;
    };
    const char* gap_names[] = {"tpr_gap", "fpr_gap", "demographic_parity_gap"};
    json gaps;
    for (int m = 0; m < 3; ++m) {
      // Stratified bootstrap: resample each level's rows on its own.
      Interval iv;
      iv.value = gap_of(point, m);
      std::vector<double> vals;
      uint64_t s = in.seed + 104729 * (m + 1);
      for (int b = 0; b < in.bootstrap; ++b) {
        std::map<std::string, Rates> r;
        for (const auto& [label, idx] : members) {
          std::vector<size_t> rows(idx.size());
          for (auto& q : rows) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            q = idx[(s >> 33) % idx.size()];
          }
          r[label] = rates(in, rows);
        }
        const double v = gap_of(r, m);
        if (std::isfinite(v)) vals.push_back(v);
      }
      std::sort(vals.begin(), vals.end());
      iv.lo = vals.empty() ? NAN : vals[static_cast<size_t>(0.025 * (vals.size() - 1) + 0.5)];
      iv.hi = vals.empty() ? NAN : vals[static_cast<size_t>(0.975 * (vals.size() - 1) + 0.5)];
      gaps[gap_names[m]] = std::isfinite(iv.value) ? json{{"value", iv.value}, {"lo", num_or_null(iv.lo)}, {"hi", num_or_null(iv.hi)}} : json();
    }
    gaps["equalised_odds_gap"] = num_or_null(std::max(gap_of(point, 0), gap_of(point, 1)));
    gj["gaps"] = gaps;
    out["groups"].push_back(gj);
  }
  return out;
}

}  // namespace medgen::predict
