// The sections on structure and time: per-table fidelity (the single-table evaluation), child
// counts per parent, gaps between events, each series' course over time and its lag-1
// autocorrelation, and the correlations between a parent's attributes and its children.
#include <algorithm>
#include <cmath>

#include "evaluate_sections.h"
#include "medgen/core/error.h"
#include "medgen/eval/metrics.h"

namespace medgen::records::evaldetail {

namespace {

// The sides to compare with the real one: synthetic, then holdout when there is one.
std::vector<std::pair<const char*, const Side*>> others(const Prepared& p) {
  std::vector<std::pair<const char*, const Side*>> o{{"synthetic", &p.syn}};
  if (p.has_holdout) o.push_back({"holdout", &p.hold});
  return o;
}

// {"synthetic": f(syn), "holdout": f(hold) or null}.
template <class F>
ojson both(const Prepared& p, F f) {
  ojson j{{"synthetic", f(p.syn)}, {"holdout", nullptr}};
  if (p.has_holdout) j["holdout"] = f(p.hold);
  return j;
}


// Pearson correlation over the positions where both are finite; NaN with fewer than 3 such
// positions, 0 when either is constant there.
double corr_present(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> a, b;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      a.push_back(x[i]);
      b.push_back(y[i]);
    }
  if (a.size() < 3) return NAN;
  return eval::pearson(a, b);
}

// Least-squares slope of v on t (per time unit); NaN without two distinct times.
double slope(const std::vector<double>& t, const std::vector<double>& v) {
  double n = 0, st = 0, sv = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (std::isfinite(t[i]) && std::isfinite(v[i])) {
      n += 1;
      st += t[i];
      sv += v[i];
    }
  if (n < 2) return NAN;
  const double mt = st / n, mv = sv / n;
  double stt = 0, stv = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (std::isfinite(t[i]) && std::isfinite(v[i])) {
      stt += (t[i] - mt) * (t[i] - mt);
      stv += (t[i] - mt) * (v[i] - mv);
    }
  return stt > 0 ? stv / stt : NAN;
}

ojson stats(const std::vector<double>& v) {
  const std::vector<double> s = finite_values(v);
  return {{"n", s.size()},
          {"mean", num(mean_of(s))},
          {"sd", num(sd_of(s))},
          {"p10", num(quantile_sorted(s, 0.1))},
          {"median", num(quantile_sorted(s, 0.5))},
          {"p90", num(quantile_sorted(s, 0.9))},
          {"max", num(s.empty() ? NAN : s.back())}};
}

std::vector<double> shares(std::vector<double> h) {
  double t = 0;
  for (double x : h) t += x;
  if (t > 0)
    for (double& x : h) x /= t;
  return h;
}

// Equal-width histogram over [0, hi] (values above in the last bin), as shares.
std::vector<double> histogram(const std::vector<double>& v, double lo, double hi, size_t bins) {
  std::vector<double> h(bins, 0);
  const double w = hi > lo ? (hi - lo) / static_cast<double>(bins) : 1.0;
  for (double x : v)
    if (std::isfinite(x))
      h[static_cast<size_t>(std::clamp(std::floor((x - lo) / w), 0.0, static_cast<double>(bins - 1)))] += 1;
  return shares(h);
}

// Children per parent unit of table t: per row of the parent table, or per entity of an
// implicit root.
std::vector<double> child_counts(const Prepared& p, const Side& s, size_t t) {
  if (t == p.root) {
    const detail::EntityGroups& g = s.groups[t];
    std::vector<double> c(g.num_entities());
    for (size_t e = 0; e < c.size(); ++e) c[e] = static_cast<double>(g.offsets[e + 1] - g.offsets[e]);
    return c;
  }
  const size_t parent = static_cast<size_t>(p.schema->parent_of(t));
  std::vector<double> c(s.d->tables[parent].num_rows(), 0.0);
  for (int64_t r : s.parent[t])
    if (r >= 0 && static_cast<size_t>(r) < c.size()) c[static_cast<size_t>(r)] += 1;
  return c;
}

// The tables whose rows hang under a parent unit: linked tables, and an implicit root.
std::vector<size_t> child_tables(const Prepared& p) {
  std::vector<size_t> out;
  if (p.schema->tables[p.root].is_sequence()) out.push_back(p.root);
  for (size_t t : p.linked)
    if (p.schema->parent_of(t) >= 0) out.push_back(t);
  return out;
}

std::vector<size_t> sequence_tables(const Prepared& p) {
  std::vector<size_t> out;
  for (size_t t : child_tables(p))
    if (p.schema->tables[t].is_sequence()) out.push_back(t);
  return out;
}

}  // namespace

// ------------------------------------------------------------------ per-table fidelity

ojson table_section(const Prepared& p, const RecordEvalOptions& o, const Context& ctx) {
  ojson items = ojson::array();
  for (size_t t = 0; t < p.schema->tables.size(); ++t) {
    const TableSchema& ts = p.schema->tables[t];
    ojson it{{"table", ts.name}};
    const bool scored = std::any_of(ts.schema.columns.begin(), ts.schema.columns.end(), [](const ColumnSchema& c) {
      return c.type != ColumnType::kIdentifier && c.type != ColumnType::kText;
    });
    const Table& real = p.real.d->tables[t];
    const Table& syn = p.syn.d->tables[t];
    const Table* hold = p.has_holdout ? &p.hold.d->tables[t] : nullptr;
    if (!scored) {
      it["skipped"] = "only key columns";
    } else if (real.num_rows() == 0 || syn.num_rows() == 0 || (hold && hold->num_rows() == 0)) {
      it["skipped"] = "a dataset has no rows in this table";
    } else {
      Context c = ctx;
      c.seed = ctx.seed * 1000003ULL + t;
      const ojson r = eval::evaluate(real, syn, hold, ts.schema, o.table, c);
      auto scores = [&](const ojson& f) -> ojson {
        if (!f.is_object()) return nullptr;
        return {{"quality", f["quality"]},
                {"column_shapes", f["column_shapes"]["score"]},
                {"pair_trends", f["pair_trends"]["score"]},
                {"detection", f.contains("detection") && f["detection"].contains("score") ? f["detection"]["score"]
                                                                                          : ojson(nullptr)}};
      };
      const ojson sf = scores(r["fidelity"]), hf = scores(r["fidelity_ceiling"]);
      for (const char* k : {"quality", "column_shapes", "pair_trends", "detection"})
        it[k] = {{"synthetic", sf[k]}, {"holdout", hf.is_object() ? hf[k] : ojson(nullptr)}};
      ojson cols = ojson::array();
      const ojson& hc = hf.is_object() ? r["fidelity_ceiling"]["column_shapes"]["columns"] : ojson();
      const ojson& sc = r["fidelity"]["column_shapes"]["columns"];
      for (size_t i = 0; i < sc.size(); ++i)
        cols.push_back({{"name", sc[i]["name"]},
                        {"metric", sc[i]["metric"]},
                        {"synthetic", sc[i]["score"]},
                        {"holdout", hc.is_array() && i < hc.size() ? hc[i]["score"] : ojson(nullptr)}});
      it["columns"] = cols;
    }
    items.push_back(it);
  }
  return {{"items", items}};
}

// ------------------------------------------------------------------ child counts

ojson child_count_section(const Prepared& p, const RecordEvalOptions& o) {
  ojson items = ojson::array();
  for (size_t t : child_tables(p)) {
    const TableSchema& ts = p.schema->tables[t];
    const size_t bins = o.count_bins + 1;  // 0 .. count_bins − 1, then "count_bins or more"
    auto hist = [&](const std::vector<double>& c) {
      std::vector<double> h(bins, 0);
      for (double x : c) h[std::min(bins - 1, static_cast<size_t>(x))] += 1;
      return h;
    };
    const std::vector<double> real = child_counts(p, p.real, t);
    const std::vector<double> hr = hist(real);
    ojson it{{"table", ts.name},
             {"parent", t == p.root ? std::string("(entity)") : p.schema->tables[static_cast<size_t>(p.schema->parent_of(t))].name},
             {"real", stats(real)}};
    it["real"]["share_zero"] = num(real.empty() ? NAN : hr[0] / static_cast<double>(real.size()));
    std::vector<std::vector<double>> chart{shares(hr)};
    for (const auto& [name, side] : others(p)) {
      const std::vector<double> c = child_counts(p, *side, t);
      const std::vector<double> h = hist(c);
      ojson sj = stats(c);
      sj["share_zero"] = num(c.empty() ? NAN : h[0] / static_cast<double>(c.size()));
      it[name] = sj;
      chart.push_back(shares(h));
    }
    it["ks"] = both(p, [&](const Side& s) { return eval::ks_statistic(real, child_counts(p, s, t)); });
    it["tvd"] = both(p, [&](const Side& s) { return eval::total_variation(hr, hist(child_counts(p, s, t))); });
    it["mean_difference"] =
        both(p, [&](const Side& s) { return num(mean_of(child_counts(p, s, t)) - mean_of(real)); });
    // Drop the empty tail of the chart.
    size_t used = 1;
    for (size_t b = 0; b < bins; ++b)
      for (const auto& h : chart)
        if (h[b] > 0) used = std::max(used, b + 1);
    std::vector<std::string> labels;
    for (size_t b = 0; b < used; ++b)
      labels.push_back(b + 1 == bins ? std::to_string(b) + "+" : std::to_string(b));
    ojson cj{{"labels", labels}};
    const char* names[] = {"real", "synthetic", "holdout"};
    for (size_t k = 0; k < chart.size(); ++k) cj[names[k]] = std::vector<double>(chart[k].begin(), chart[k].begin() + static_cast<long>(used));
    it["chart"] = cj;
    items.push_back(it);
  }
  return {{"items", items}};
}

// ------------------------------------------------------------------ gaps

namespace {

struct Gaps {
  std::vector<double> gaps, first, span;
};

Gaps gaps_of(const Side& s, size_t t) {
  Gaps g;
  const detail::EntityGroups& gr = s.groups[t];
  const std::vector<double>& time = s.time[t];
  for (size_t e = 0; e < gr.num_entities(); ++e) {
    double prev = NAN, first = NAN, last = NAN;
    for (size_t k = gr.offsets[e]; k < gr.offsets[e + 1]; ++k) {
      const double x = time[gr.order[k]];
      if (!std::isfinite(x)) continue;
      if (std::isfinite(prev)) g.gaps.push_back(x - prev);
      if (!std::isfinite(first)) first = x;
      prev = last = x;
    }
    if (std::isfinite(first)) {
      g.first.push_back(first);
      g.span.push_back(last - first);
    }
  }
  return g;
}

}  // namespace

ojson gap_section(const Prepared& p, const RecordEvalOptions& o) {
  ojson items = ojson::array();
  for (size_t t : sequence_tables(p)) {
    const TableSchema& ts = p.schema->tables[t];
    const Gaps real = gaps_of(p.real, t);
    ojson it{{"table", ts.name}, {"unit", ts.time_unit}};
    std::vector<Gaps> sides;
    for (const auto& [name, side] : others(p)) sides.push_back(gaps_of(*side, t));
    auto part = [&](const char* key, std::vector<double> Gaps::*m) {
      ojson j{{"real", stats(real.*m)}};
      for (size_t k = 0; k < sides.size(); ++k) j[others(p)[k].first] = stats(sides[k].*m);
      it[key] = j;
    };
    part("gap", &Gaps::gaps);
    part("first_time", &Gaps::first);
    part("span", &Gaps::span);
    it["gap_ks"] = {{"synthetic", eval::ks_statistic(real.gaps, sides[0].gaps)},
                    {"holdout", p.has_holdout ? ojson(eval::ks_statistic(real.gaps, sides[1].gaps)) : ojson(nullptr)}};
    it["first_time_ks"] = {
        {"synthetic", eval::ks_statistic(real.first, sides[0].first)},
        {"holdout", p.has_holdout ? ojson(eval::ks_statistic(real.first, sides[1].first)) : ojson(nullptr)}};
    it["span_ks"] = {
        {"synthetic", eval::ks_statistic(real.span, sides[0].span)},
        {"holdout", p.has_holdout ? ojson(eval::ks_statistic(real.span, sides[1].span)) : ojson(nullptr)}};
    // Chart: gaps up to the real 99th percentile (longer ones in the last bin).
    const std::vector<double> sorted = finite_values(real.gaps);
    const double hi = sorted.empty() ? 1.0 : std::max(quantile_sorted(sorted, 0.99), 1e-9);
    const size_t bins = o.gap_bins;
    std::vector<double> edges;
    for (size_t b = 0; b <= bins; ++b) edges.push_back(hi * static_cast<double>(b) / static_cast<double>(bins));
    ojson cj{{"edges", edges}, {"real", histogram(real.gaps, 0, hi, bins)}};
    for (size_t k = 0; k < sides.size(); ++k) cj[others(p)[k].first] = histogram(sides[k].gaps, 0, hi, bins);
    it["chart"] = cj;
    items.push_back(it);
  }
  return {{"items", items}};
}

// ------------------------------------------------------------------ trajectories

namespace {

struct Points {
  std::vector<double> t, v;          // every present value with its time
  std::vector<double> lag_a, lag_b;  // consecutive present values within an entity
};

Points points_of(const Side& s, size_t series_index, size_t t) {
  Points pt;
  const detail::EntityGroups& g = s.groups[t];
  const std::vector<double>& time = s.time[t];
  const std::vector<double>& val = s.values[series_index];
  for (size_t e = 0; e < g.num_entities(); ++e) {
    double prev = NAN;
    for (size_t k = g.offsets[e]; k < g.offsets[e + 1]; ++k) {
      const size_t r = g.order[k];
      if (!std::isfinite(val[r])) continue;
      if (std::isfinite(time[r])) {
        pt.t.push_back(time[r]);
        pt.v.push_back(val[r]);
      }
      if (std::isfinite(prev)) {
        pt.lag_a.push_back(prev);
        pt.lag_b.push_back(val[r]);
      }
      prev = val[r];
    }
  }
  return pt;
}

double lag1(const Points& p) { return p.lag_a.size() >= 3 ? eval::pearson(p.lag_a, p.lag_b) : NAN; }

struct Binned {
  std::vector<double> n, mean, sd, time;
};

Binned bin_points(const Points& p, const std::vector<double>& cuts) {
  const size_t nb = cuts.size() + 1;
  Binned b;
  b.n.assign(nb, 0);
  std::vector<double> s(nb, 0), ss(nb, 0), st(nb, 0);
  for (size_t i = 0; i < p.t.size(); ++i) {
    const size_t k = static_cast<size_t>(std::upper_bound(cuts.begin(), cuts.end(), p.t[i]) - cuts.begin());
    b.n[k] += 1;
    s[k] += p.v[i];
    ss[k] += p.v[i] * p.v[i];
    st[k] += p.t[i];
  }
  for (size_t k = 0; k < nb; ++k) {
    const double n = b.n[k];
    b.mean.push_back(n > 0 ? s[k] / n : NAN);
    b.time.push_back(n > 0 ? st[k] / n : NAN);
    b.sd.push_back(n > 1 ? std::sqrt(std::max(0.0, (ss[k] - s[k] * s[k] / n) / (n - 1))) : NAN);
  }
  return b;
}

ojson binned_json(const Binned& b) {
  ojson m = ojson::array(), s = ojson::array();
  for (size_t k = 0; k < b.n.size(); ++k) {
    m.push_back(num(b.mean[k]));
    s.push_back(num(b.sd[k]));
  }
  return {{"n", b.n}, {"mean", m}, {"sd", s}};
}

}  // namespace

ojson trajectory_section(const Prepared& p, const RecordEvalOptions& o) {
  ojson items = ojson::array();
  for (size_t si = 0; si < p.series.size(); ++si) {
    const Series& se = p.series[si];
    const TableSchema& ts = p.schema->tables[se.table];
    if (!ts.is_sequence()) continue;
    const Points real = points_of(p.real, si, se.table);
    if (real.v.size() < 2) continue;
    // Bins: quantiles of the real event times (distinct cuts above the smallest time).
    const std::vector<double> times = finite_values(real.t);
    std::vector<double> cuts;
    for (size_t k = 1; k < o.trajectory_bins; ++k) {
      const double c = quantile_sorted(times, static_cast<double>(k) / static_cast<double>(o.trajectory_bins));
      if (c > times.front() && (cuts.empty() || c > cuts.back())) cuts.push_back(c);
    }
    const Binned br = bin_points(real, cuts);
    double scale = 0;
    {
      const double m = mean_of(real.v);
      for (double x : real.v) scale += (x - m) * (x - m);
      scale = std::sqrt(scale / static_cast<double>(real.v.size() - 1));
      if (!(scale > 0)) scale = 1;
    }
    const double total = static_cast<double>(real.t.size());
    ojson it{{"table", ts.name}, {"series", se.name}, {"scale_sd", scale}, {"cuts", cuts}, {"time", ojson::array()}};
    for (double x : br.time) it["time"].push_back(num(x));
    it["real"] = binned_json(br);
    const double r_real = lag1(real);
    ojson mean_err{{"synthetic", nullptr}, {"holdout", nullptr}}, sd_err = mean_err, ks = mean_err,
        ac{{"real", num(r_real)}, {"synthetic", nullptr}, {"holdout", nullptr}}, ac_err = mean_err;
    for (const auto& [name, side] : others(p)) {
      const Points pt = points_of(*side, si, se.table);
      const Binned b = bin_points(pt, cuts);
      it[name] = binned_json(b);
      // Error of the bin means, in real standard deviations, weighted by the real events per
      // bin; a bin the other side leaves empty counts as one standard deviation off.
      double me = 0, de = 0, dw = 0;
      for (size_t k = 0; k < br.n.size(); ++k) {
        if (br.n[k] == 0) continue;
        const double w = br.n[k] / total;
        me += w * (b.n[k] > 0 ? std::fabs(b.mean[k] - br.mean[k]) / scale : 1.0);
        if (br.n[k] > 1 && b.n[k] > 1) {
          de += w * std::fabs(b.sd[k] - br.sd[k]) / scale;
          dw += w;
        }
      }
      mean_err[name] = me;
      sd_err[name] = dw > 0 ? num(de / dw) : ojson(nullptr);
      ks[name] = eval::ks_statistic(real.v, pt.v);
      const double r = lag1(pt);
      ac[name] = num(r);
      ac_err[name] = num(std::fabs(r - r_real));
    }
    it["mean_error"] = mean_err;
    it["sd_error"] = sd_err;
    it["values_ks"] = ks;
    it["autocorrelation"] = ac;
    it["autocorrelation_error"] = ac_err;
    items.push_back(it);
  }
  return {{"items", items}};
}

// ------------------------------------------------------------------ parent-child correlations

namespace {

struct Unitwise {
  std::vector<std::string> names;
  std::vector<std::vector<double>> cols;  // one value per parent unit
};

// The parent's numeric and boolean attributes per unit: the parent table's columns, or the
// static columns of an implicit root (from each entity's first row).
Unitwise attributes(const Prepared& p, const Side& s, size_t t) {
  Unitwise u;
  const bool implicit = t == p.root;
  const size_t src = implicit ? t : static_cast<size_t>(p.schema->parent_of(t));
  const TableSchema& ps = p.schema->tables[src];
  const Table& tab = s.d->tables[src];
  for (size_t c = 0; c < ps.schema.columns.size(); ++c) {
    const ColumnSchema& cs = ps.schema.columns[c];
    if (cs.type != ColumnType::kNumerical && cs.type != ColumnType::kBoolean) continue;
    if (implicit && std::find(ps.static_columns.begin(), ps.static_columns.end(), cs.name) == ps.static_columns.end())
      continue;
    const Column& col = tab.columns[c];
    std::vector<double> v;
    auto value = [&](size_t r) {
      if (col.storage == Storage::kNumber) return col.valid[r] ? col.values[r] : NAN;
      return col.codes[r] >= 0 ? static_cast<double>(col.codes[r]) : NAN;
    };
    if (implicit)
      for (size_t r : s.root_first_row) v.push_back(value(r));
    else
      for (size_t r = 0; r < tab.num_rows(); ++r) v.push_back(value(r));
    u.names.push_back(cs.name);
    u.cols.push_back(std::move(v));
  }
  return u;
}

// Aggregates of table t's rows per parent unit: the count, and each series' mean (and, for a
// sequence table, its least-squares slope over time).
Unitwise aggregates(const Prepared& p, const Side& s, size_t t) {
  Unitwise u;
  const TableSchema& ts = p.schema->tables[t];
  const std::vector<double> counts = child_counts(p, s, t);
  const size_t units = counts.size();
  u.names.push_back("count");
  u.cols.push_back(counts);
  // Rows per unit.
  std::vector<std::vector<size_t>> rows(units);
  if (ts.is_sequence()) {
    const detail::EntityGroups& g = s.groups[t];
    for (size_t e = 0; e < g.num_entities() && e < units; ++e)
      for (size_t k = g.offsets[e]; k < g.offsets[e + 1]; ++k) rows[e].push_back(g.order[k]);
  } else {
    for (size_t r = 0; r < s.parent[t].size(); ++r)
      if (s.parent[t][r] >= 0 && static_cast<size_t>(s.parent[t][r]) < units)
        rows[static_cast<size_t>(s.parent[t][r])].push_back(r);
  }
  for (size_t si = 0; si < p.series.size(); ++si) {
    if (p.series[si].table != t) continue;
    const std::vector<double>& val = s.values[si];
    std::vector<double> mean(units, NAN), sl(units, NAN);
    for (size_t e = 0; e < units; ++e) {
      std::vector<double> tv, vv;
      for (size_t r : rows[e]) {
        vv.push_back(val[r]);
        tv.push_back(ts.is_sequence() ? s.time[t][r] : NAN);
      }
      mean[e] = mean_of(vv);
      if (ts.is_sequence()) sl[e] = slope(tv, vv);
    }
    u.names.push_back(p.series[si].name + ".mean");
    u.cols.push_back(std::move(mean));
    if (ts.is_sequence()) {
      u.names.push_back(p.series[si].name + ".slope");
      u.cols.push_back(std::move(sl));
    }
  }
  return u;
}

std::vector<std::vector<double>> corr_matrix(const Unitwise& a, const Unitwise& b) {
  std::vector<std::vector<double>> m(a.cols.size(), std::vector<double>(b.cols.size(), NAN));
  for (size_t i = 0; i < a.cols.size(); ++i)
    for (size_t k = 0; k < b.cols.size(); ++k) m[i][k] = corr_present(a.cols[i], b.cols[k]);
  return m;
}

ojson matrix_json(const std::vector<std::vector<double>>& m) {
  ojson j = ojson::array();
  for (const auto& row : m) {
    ojson r = ojson::array();
    for (double x : row) r.push_back(num(x));
    j.push_back(r);
  }
  return j;
}

}  // namespace

ojson parent_child_section(const Prepared& p) {
  ojson items = ojson::array();
  for (size_t t : child_tables(p)) {
    const TableSchema& ts = p.schema->tables[t];
    const Unitwise ra = attributes(p, p.real, t);
    if (ra.cols.empty()) continue;
    const Unitwise rg = aggregates(p, p.real, t);
    const auto mr = corr_matrix(ra, rg);
    ojson it{{"table", ts.name},
             {"parent", t == p.root ? std::string("(entity)")
                                    : p.schema->tables[static_cast<size_t>(p.schema->parent_of(t))].name},
             {"attributes", ra.names},
             {"aggregates", rg.names},
             {"real", matrix_json(mr)}};
    ojson err{{"synthetic", nullptr}, {"holdout", nullptr}}, maxerr = err, largest;
    for (const auto& [name, side] : others(p)) {
      const auto m = corr_matrix(attributes(p, *side, t), aggregates(p, *side, t));
      it[name] = matrix_json(m);
      double s = 0, mx = 0;
      size_t n = 0;
      std::vector<std::tuple<double, size_t, size_t>> cells;
      for (size_t i = 0; i < m.size(); ++i)
        for (size_t k = 0; k < m[i].size(); ++k) {
          const double a = mr[i][k], b = m[i][k];
          const double d = std::isfinite(a) && std::isfinite(b) ? std::fabs(a - b) : NAN;
          if (!std::isfinite(d)) continue;
          s += d;
          mx = std::max(mx, d);
          ++n;
          cells.emplace_back(d, i, k);
        }
      err[name] = n ? ojson(s / static_cast<double>(n)) : ojson(nullptr);
      maxerr[name] = n ? ojson(mx) : ojson(nullptr);
      if (std::string(name) == "synthetic") {
        std::sort(cells.begin(), cells.end(), [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
        largest = ojson::array();
        for (size_t j = 0; j < cells.size() && j < 5; ++j) {
          const auto& [d, i, k] = cells[j];
          largest.push_back({{"attribute", ra.names[i]},
                             {"aggregate", rg.names[k]},
                             {"real", num(mr[i][k])},
                             {"synthetic", num(m[i][k])},
                             {"difference", d}});
        }
      }
    }
    it["error"] = err;
    it["max_error"] = maxerr;
    it["largest_differences"] = largest;
    items.push_back(it);
  }
  return {{"items", items}};
}

}  // namespace medgen::records::evaldetail
