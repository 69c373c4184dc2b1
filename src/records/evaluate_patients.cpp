// The sections on whole patients: one summary row per patient (attributes, child counts,
// per-series mean / first / last / slope, gaps) judged by the single-table evaluation
// (detection, distances, membership inference), a distance between whole sequences aligned by
// event index with its own closest-record and membership measures, and the utility of early
// records for predicting an outcome.
#include <algorithm>
#include <cmath>
#include <set>

#include "evaluate_sections.h"
#include "medgen/core/error.h"
#include "medgen/eval/features.h"
#include "medgen/eval/metrics.h"

namespace medgen::records::evaldetail {

namespace {

bool summary_table(const Prepared& p, size_t t) {
  if (t == p.root) return p.schema->tables[t].is_sequence();
  return std::find(p.linked.begin(), p.linked.end(), t) != p.linked.end();
}

// Rows of table t per patient, in time order for a sequence table (stable; undated rows last).
std::vector<std::vector<size_t>> rows_by_entity(const Prepared& p, const Side& s, size_t t) {
  std::vector<std::vector<size_t>> rows(s.entities);
  const std::vector<int64_t>& root = s.root[t];
  for (size_t r = 0; r < root.size(); ++r)
    if (root[r] >= 0 && static_cast<size_t>(root[r]) < s.entities) rows[static_cast<size_t>(root[r])].push_back(r);
  if (p.schema->tables[t].is_sequence()) {
    const std::vector<double>& time = s.time[t];
    auto key = [&](size_t r) { return std::isfinite(time[r]) ? time[r] : INFINITY; };
    for (auto& v : rows) std::stable_sort(v.begin(), v.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  }
  return rows;
}

double slope(const std::vector<double>& t, const std::vector<double>& v) {
  double n = 0, st = 0, sv = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (std::isfinite(t[i]) && std::isfinite(v[i])) {
      n += 1;
      st += t[i];
      sv += v[i];
    }
  if (n < 2) return NAN;
  double stt = 0, stv = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (std::isfinite(t[i]) && std::isfinite(v[i])) {
      stt += (t[i] - st / n) * (t[i] - st / n);
      stv += (t[i] - st / n) * (v[i] - sv / n);
    }
  return stt > 0 ? stv / stt : NAN;
}

struct Summary {
  Schema schema;
  Table table;
  void add(const std::string& name, const std::vector<double>& v) {
    ColumnSchema cs;
    cs.name = name;
    cs.type = ColumnType::kNumerical;
    schema.columns.push_back(cs);
    Column c = Column::numbers(name, v.size());
    for (size_t i = 0; i < v.size(); ++i)
      if (std::isfinite(v[i])) {
        c.values[i] = v[i];
        c.valid[i] = 1;
      }
    table.columns.push_back(std::move(c));
  }
};

// Root columns never used as utility features: the listed ones and any table's end of
// follow-up when it is a root column.
std::set<std::string> excluded_root_columns(const Prepared& p, const RecordEvalOptions& o) {
  std::set<std::string> out(o.exclude.begin(), o.exclude.end());
  const std::string prefix = p.schema->tables[p.root].name + ".";
  for (const TableSchema& ts : p.schema->tables)
    if (ts.end_column.rfind(prefix, 0) == 0) out.insert(ts.end_column.substr(prefix.size()));
  return out;
}

// The patient's own columns: the root table's scored columns, or an implicit root's static
// columns (from each entity's first row).
void add_root_attributes(const Prepared& p, const Side& s, const std::set<std::string>& drop, Summary* out) {
  const TableSchema& ts = p.schema->tables[p.root];
  const Table& tab = s.d->tables[p.root];
  const bool implicit = ts.is_sequence();
  std::vector<size_t> rows;
  if (implicit) rows = s.root_first_row;
  for (size_t c = 0; c < ts.schema.columns.size(); ++c) {
    const ColumnSchema& cs = ts.schema.columns[c];
    if (cs.type == ColumnType::kIdentifier || cs.type == ColumnType::kText || drop.count(cs.name)) continue;
    if (implicit && std::find(ts.static_columns.begin(), ts.static_columns.end(), cs.name) == ts.static_columns.end())
      continue;
    out->schema.columns.push_back(cs);
    const Column& col = tab.columns[c];
    if (!implicit) {
      out->table.columns.push_back(col);
      continue;
    }
    Column o = col;
    if (col.storage == Storage::kNumber) {
      o.values.clear();
      o.valid.clear();
      for (size_t r : rows) {
        o.values.push_back(col.values[r]);
        o.valid.push_back(col.valid[r]);
      }
    } else {
      o.codes.clear();
      for (size_t r : rows) o.codes.push_back(col.codes[r]);
    }
    out->table.columns.push_back(std::move(o));
  }
}

// One row per patient. window_only: the utility features (events up to `window` only: count,
// and each series' mean and last value), else the full summary.
Summary summarise(const Prepared& p, const Side& s, bool window_only, double window,
                  const std::set<std::string>& drop) {
  Summary out;
  add_root_attributes(p, s, drop, &out);
  for (size_t t = 0; t < p.schema->tables.size(); ++t) {
    if (!summary_table(p, t)) continue;
    const TableSchema& ts = p.schema->tables[t];
    const bool seq = ts.is_sequence();
    if (window_only && !seq) continue;  // no time to cut at: later rows could leak the outcome
    std::vector<std::vector<size_t>> rows = rows_by_entity(p, s, t);
    if (window_only)
      for (auto& v : rows)
        v.erase(std::remove_if(v.begin(), v.end(),
                               [&](size_t r) { return !(std::isfinite(s.time[t][r]) && s.time[t][r] <= window); }),
                v.end());
    const std::string pre = ts.name + ".";
    std::vector<double> count(s.entities);
    for (size_t e = 0; e < s.entities; ++e) count[e] = static_cast<double>(rows[e].size());
    out.add(pre + (window_only ? "count_window" : "count"), count);
    if (seq && !window_only) {
      std::vector<double> first(s.entities, NAN), span(s.entities, NAN), gap(s.entities, NAN);
      for (size_t e = 0; e < s.entities; ++e) {
        std::vector<double> tt;
        for (size_t r : rows[e])
          if (std::isfinite(s.time[t][r])) tt.push_back(s.time[t][r]);
        if (tt.empty()) continue;
        first[e] = tt.front();
        span[e] = tt.back() - tt.front();
        if (tt.size() > 1) gap[e] = span[e] / static_cast<double>(tt.size() - 1);
      }
      out.add(pre + "first_time", first);
      out.add(pre + "span", span);
      out.add(pre + "gap_mean", gap);
    }
    for (size_t si = 0; si < p.series.size(); ++si) {
      if (p.series[si].table != t) continue;
      const std::vector<double>& val = s.values[si];
      std::vector<double> mean(s.entities, NAN), first(s.entities, NAN), last(s.entities, NAN), sl(s.entities, NAN);
      for (size_t e = 0; e < s.entities; ++e) {
        std::vector<double> tv, vv;
        for (size_t r : rows[e]) {
          vv.push_back(val[r]);
          tv.push_back(seq ? s.time[t][r] : NAN);
          if (std::isfinite(val[r])) {
            if (!std::isfinite(first[e])) first[e] = val[r];
            last[e] = val[r];
          }
        }
        mean[e] = mean_of(vv);
        if (seq) sl[e] = slope(tv, vv);
      }
      const std::string sp = pre + p.series[si].name + ".";
      out.add(sp + (window_only ? "mean_window" : "mean"), mean);
      if (!seq) continue;
      if (window_only) {
        out.add(sp + "last_window", last);
      } else {
        out.add(sp + "first", first);
        out.add(sp + "last", last);
        out.add(sp + "slope", sl);
      }
    }
  }
  return out;
}

// Whole sequences as rows of a DistanceMatrix: for each sequence table and each of the first
// `length` events, its time and every series' value, standardised by the real data and
// divided by 4 (so that 4 standard deviations apart is the largest per-position distance, 1);
// an absent event or value is the far sentinel (1 against a value, 0 against another absent).
struct SequenceCoder {
  struct Part {
    size_t table;
    std::vector<size_t> series;
    double time_mean, time_sd;
    std::vector<double> mean, sd;
  };
  std::vector<Part> parts;
  size_t length = 0;
  size_t cols() const {
    size_t c = 0;
    for (const Part& pt : parts) c += length * (1 + pt.series.size());
    return c;
  }
};

double sd_or_one(const std::vector<double>& v) {
  const double sd = sd_of(v);
  return sd > 0 ? sd : 1.0;  // NaN (fewer than two values) and 0 alike
}

SequenceCoder make_coder(const Prepared& p, size_t length) {
  SequenceCoder c;
  c.length = length;
  for (size_t t = 0; t < p.schema->tables.size(); ++t) {
    if (!summary_table(p, t) || !p.schema->tables[t].is_sequence()) continue;
    SequenceCoder::Part part;
    part.table = t;
    part.time_mean = mean_of(p.real.time[t]);
    if (!std::isfinite(part.time_mean)) part.time_mean = 0;
    part.time_sd = sd_or_one(p.real.time[t]);
    for (size_t si = 0; si < p.series.size(); ++si) {
      if (p.series[si].table != t) continue;
      part.series.push_back(si);
      const double m = mean_of(p.real.values[si]);
      part.mean.push_back(std::isfinite(m) ? m : 0.0);
      part.sd.push_back(sd_or_one(p.real.values[si]));
    }
    c.parts.push_back(std::move(part));
  }
  return c;
}

eval::DistanceMatrix encode_sequences(const Prepared& p, const Side& s, const SequenceCoder& c,
                                      const std::vector<size_t>& entities) {
  constexpr float kAbsent = -1e6f;
  eval::DistanceMatrix m;
  m.rows = entities.size();
  m.cols = c.cols();
  m.data.assign(m.rows * m.cols, kAbsent);
  size_t col0 = 0;
  for (const SequenceCoder::Part& part : c.parts) {
    const std::vector<std::vector<size_t>> rows = rows_by_entity(p, s, part.table);
    const size_t width = 1 + part.series.size();
    for (size_t q = 0; q < entities.size(); ++q) {
      const std::vector<size_t>& ev = rows[entities[q]];
      for (size_t k = 0; k < ev.size() && k < c.length; ++k) {
        const size_t r = ev[k];
        const size_t base = col0 + k * width;
        const double tm = s.time[part.table][r];
        if (std::isfinite(tm))
          m.data[base * m.rows + q] = static_cast<float>((tm - part.time_mean) / part.time_sd / 4.0);
        for (size_t j = 0; j < part.series.size(); ++j) {
          const double v = s.values[part.series[j]][r];
          if (std::isfinite(v))
            m.data[(base + 1 + j) * m.rows + q] = static_cast<float>((v - part.mean[j]) / part.sd[j] / 4.0);
        }
      }
    }
    col0 += c.length * width;
  }
  return m;
}

// The patients with at least one event in a table of the coder (all-absent sequences would
// sit at distance 0 from each other and say nothing).
std::vector<size_t> with_events(const Side& s, const SequenceCoder& c) {
  std::vector<uint8_t> any(s.entities, 0);
  for (const SequenceCoder::Part& part : c.parts)
    for (int64_t e : s.root[part.table])
      if (e >= 0 && static_cast<size_t>(e) < s.entities) any[static_cast<size_t>(e)] = 1;
  std::vector<size_t> out;
  for (size_t e = 0; e < s.entities; ++e)
    if (any[e]) out.push_back(e);
  return out;
}

// k of `from`, drawn without replacement (all of them when k >= size).
std::vector<size_t> sample_of(const std::vector<size_t>& from, size_t k, Rng& rng) {
  std::vector<size_t> idx = from;
  k = std::min(k, idx.size());
  for (size_t i = 0; i < k; ++i) std::swap(idx[i], idx[i + rng.below(idx.size() - i)]);
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}

ojson distances(const std::vector<float>& d) {
  std::vector<double> v(d.begin(), d.end());
  const std::vector<double> s = finite_values(v);
  return {{"n", s.size()},
          {"mean", num(mean_of(s))},
          {"p05", num(quantile_sorted(s, 0.05))},
          {"median", num(quantile_sorted(s, 0.5))}};
}

const ojson& at(const ojson& j, std::initializer_list<const char*> path) {
  static const ojson null_value;
  const ojson* q = &j;
  for (const char* k : path) {
    if (!q->is_object() || !q->contains(k)) return null_value;
    q = &(*q)[k];
  }
  return *q;
}

ojson ratio(const ojson& a, const ojson& b) {
  if (!a.is_number() || !b.is_number() || !(b.get<double>() > 0)) return nullptr;
  return a.get<double>() / b.get<double>();
}

// The single-table evaluation's options for patient-level tables.
eval::EvalOptions patient_eval_options(const RecordEvalOptions& o) {
  eval::EvalOptions e;
  e.detection = o.detection;
  e.detection_rows = o.max_entities;
  e.folds = o.folds;
  e.boost_rounds = o.boost_rounds;
  e.boost_depth = o.boost_depth;
  e.privacy_queries = o.max_entities;
  e.utility_rows = o.max_entities;
  e.chart_columns = 0;
  return e;
}

}  // namespace

void check_outcome(const Prepared& p, const RecordEvalOptions& o) {
  const TableSchema& ts = p.schema->tables[p.root];
  for (const std::string& x : o.exclude)
    if (ts.schema.find(x) < 0)
      throw InvalidInput("exclude '" + x + "': no such column in the root table '" + ts.name + "'");
  if (o.outcome.empty()) return;
  const int c = ts.schema.find(o.outcome);
  if (c < 0) throw InvalidInput("outcome '" + o.outcome + "': no such column in the root table '" + ts.name + "'");
  const ColumnType type = ts.schema.columns[static_cast<size_t>(c)].type;
  if (type == ColumnType::kIdentifier || type == ColumnType::kText)
    throw InvalidInput("outcome '" + o.outcome + "': " + to_string(type) + " columns cannot be predicted");
  if (ts.is_sequence() &&
      std::find(ts.static_columns.begin(), ts.static_columns.end(), o.outcome) == ts.static_columns.end())
    throw InvalidInput("outcome '" + o.outcome + "': not a static column of the entity table '" + ts.name + "'");
  if (excluded_root_columns(p, o).count(o.outcome))
    throw InvalidInput("outcome '" + o.outcome + "' is excluded (listed in exclude, or the end of follow-up)");
}

ojson patient_section(const Prepared& p, const RecordEvalOptions& o, const Context& ctx, Rng rng) {
  ojson out;
  const Summary real = summarise(p, p.real, false, 0, {});
  const Summary syn = summarise(p, p.syn, false, 0, {});
  Summary hold;
  if (p.has_holdout) hold = summarise(p, p.hold, false, 0, {});
  std::vector<std::string> names;
  for (const ColumnSchema& cs : real.schema.columns) names.push_back(cs.name);
  out["summary_columns"] = names;

  // Detection, summary fidelity and summary distances: the single-table evaluation.
  Context c = ctx;
  c.seed = ctx.seed * 1000003ULL + 7919;
  const ojson r = eval::evaluate(real.table, syn.table, p.has_holdout ? &hold.table : nullptr, real.schema,
                                 patient_eval_options(o), c);
  const ojson& f = r["fidelity"];
  const ojson& fc = r["fidelity_ceiling"];
  out["fidelity"] = {
      {"quality", {{"synthetic", f["quality"]}, {"holdout", at(fc, {"quality"})}}},
      {"column_shapes", {{"synthetic", at(f, {"column_shapes", "score"})}, {"holdout", at(fc, {"column_shapes", "score"})}}},
      {"pair_trends", {{"synthetic", at(f, {"pair_trends", "score"})}, {"holdout", at(fc, {"pair_trends", "score"})}}}};
  if (f.contains("detection") && f["detection"].contains("models")) {
    ojson models = ojson::array();
    double best_s = 0, best_h = 0;
    const ojson& hm = at(fc, {"detection", "models"});
    for (size_t i = 0; i < f["detection"]["models"].size(); ++i) {
      const ojson& m = f["detection"]["models"][i];
      const ojson h = hm.is_array() && i < hm.size() ? hm[i]["auc"] : ojson(nullptr);
      best_s = std::max(best_s, m["auc"].get<double>());
      if (h.is_number()) best_h = std::max(best_h, h.get<double>());
      models.push_back({{"model", m["model"]},
                        {"synthetic", m["auc"]},
                        {"synthetic_standard_error", m["auc_standard_error"]},
                        {"holdout", h}});
    }
    out["detection"] = {{"auc", {{"synthetic", best_s}, {"holdout", hm.is_array() ? ojson(best_h) : ojson(nullptr)}}},
                        {"rows_per_side", f["detection"]["rows_per_side"]},
                        {"folds", f["detection"]["folds"]},
                        {"models", models}};
  } else if (f.contains("detection")) {
    out["detection"] = {{"auc", {{"synthetic", nullptr}, {"holdout", nullptr}}},
                        {"skipped", at(f, {"detection", "skipped"})}};
  } else {
    out["detection"] = nullptr;
  }

  // Privacy on summaries (from the single-table report).
  const ojson& pv = r["privacy"];
  ojson ps;
  ps["dcr_median"] = {{"synthetic", at(pv, {"dcr", "synthetic_to_train", "median"})},
                      {"holdout", at(pv, {"dcr", "holdout_to_train", "median"})}};
  ps["dcr_p05"] = {{"synthetic", at(pv, {"dcr", "synthetic_to_train", "p05"})},
                   {"holdout", at(pv, {"dcr", "holdout_to_train", "p05"})}};
  ps["dcr_ratio"] = ratio(ps["dcr_median"]["synthetic"], ps["dcr_median"]["holdout"]);
  ps["share_closer_to_train"] = at(pv, {"share_closer_to_train", "share"});
  ps["membership_auc"] = at(pv, {"membership_inference", "auc"});
  ps["membership_attacks"] = at(pv, {"membership_inference", "attacks"});
  ps["exact_copy_rate"] = {{"synthetic", at(pv, {"exact_copies", "rate"})},
                           {"holdout", at(pv, {"exact_copies", "holdout_rate"})}};
  ps["excess_exact_copy_rate"] = at(pv, {"exact_copies", "excess_rate"});
  ps["chart"] = at(pv, {"charts", "dcr"});

  // Privacy on whole sequences.
  ojson sq;
  const SequenceCoder coder = make_coder(p, o.sequence_length);
  const std::vector<size_t> real_e = with_events(p.real, coder), syn_e = with_events(p.syn, coder);
  const std::vector<size_t> hold_e = p.has_holdout ? with_events(p.hold, coder) : std::vector<size_t>{};
  if (coder.parts.empty() || real_e.empty() || syn_e.empty()) {
    sq = nullptr;
  } else {
    const eval::DistanceMatrix real_m = encode_sequences(p, p.real, coder, real_e);
    const eval::DistanceMatrix syn_m = encode_sequences(p, p.syn, coder, syn_e);
    const std::vector<float> dsyn = eval::nearest_distances(syn_m, real_m, 1);
    sq["encoding"] = {{"events", o.sequence_length}, {"columns", coder.cols()}};
    sq["patients"] = {{"real", real_e.size()}, {"synthetic", syn_e.size()},
                      {"holdout", p.has_holdout ? ojson(hold_e.size()) : ojson(nullptr)}};
    sq["dcr"] = {{"synthetic", distances(dsyn)}, {"holdout", nullptr}};
    sq["dcr_ratio"] = nullptr;
    sq["membership_auc"] = nullptr;
    if (p.has_holdout && !hold_e.empty()) {
      const eval::DistanceMatrix hold_m = encode_sequences(p, p.hold, coder, hold_e);
      const std::vector<float> dh = eval::nearest_distances(hold_m, real_m, 1);
      sq["dcr"]["holdout"] = distances(dh);
      sq["dcr_ratio"] = ratio(sq["dcr"]["synthetic"]["median"], sq["dcr"]["holdout"]["median"]);
      // Membership: training (members) and holdout (non-members) patients, scored by minus
      // their distance to the closest synthetic patient. Every holdout patient and as many
      // training patients as the query cap allows (at least as many as the holdout's): the
      // AUC needs no balance, and each patient left out only adds noise.
      const size_t nn = std::min(hold_e.size(), o.max_entities);
      const size_t m = std::min(real_e.size(), std::max(nn, o.max_entities));
      if (std::min(m, nn) >= 5) {
        const eval::DistanceMatrix mem = encode_sequences(p, p.real, coder, sample_of(real_e, m, rng));
        const eval::DistanceMatrix non = encode_sequences(p, p.hold, coder, sample_of(hold_e, nn, rng));
        std::vector<double> score;
        std::vector<int> label;
        for (int side = 0; side < 2; ++side)
          for (float d : eval::nearest_distances(side == 0 ? mem : non, syn_m, 1)) {
            score.push_back(-static_cast<double>(d));
            label.push_back(side == 0);
          }
        const double auc = eval::roc_auc(score, label);
        sq["membership_auc"] = auc;
        sq["membership_standard_error"] = eval::auc_standard_error(auc, m, nn);
        sq["members"] = m;
        sq["non_members"] = nn;
      }
    }
  }
  double mia = -1;
  for (const ojson& a : {ps["membership_auc"], sq.is_object() ? sq["membership_auc"] : ojson()})
    if (a.is_number()) mia = std::max(mia, a.get<double>());
  out["privacy"] = {{"summary", ps}, {"sequence", sq}, {"membership_auc", mia >= 0 ? ojson(mia) : ojson(nullptr)}};
  return out;
}

ojson utility_section(const Prepared& p, const RecordEvalOptions& o, const Context& ctx) {
  const std::set<std::string> drop = excluded_root_columns(p, o);
  const Summary real = summarise(p, p.real, true, o.window, drop);
  const Summary syn = summarise(p, p.syn, true, o.window, drop);
  const Summary hold = summarise(p, p.hold, true, o.window, drop);
  eval::EvalOptions e = patient_eval_options(o);
  e.detection = false;
  e.privacy_queries = 10;  // only the utility part of this report is read
  e.target = o.outcome;
  Context c = ctx;
  c.seed = ctx.seed * 1000003ULL + 104729;
  const ojson r = eval::evaluate(real.table, syn.table, &hold.table, real.schema, e, c);
  ojson out = r["utility"];
  std::vector<std::string> features;
  for (const ColumnSchema& cs : real.schema.columns)
    if (cs.name != o.outcome) features.push_back(cs.name);
  out["window"] = o.window;
  out["features"] = features;
  out["excluded"] = std::vector<std::string>(drop.begin(), drop.end());
  return out;
}

}  // namespace medgen::records::evaldetail
