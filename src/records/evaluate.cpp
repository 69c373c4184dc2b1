// The records evaluation: options, the datasets prepared once (sampled patients, links, event
// times, series), the sections in order, the headline summary, and the report files.
#include "medgen/records/evaluate.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "evaluate_sections.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/version.h"

namespace medgen::records {

using evaldetail::ojson;

void RecordEvalOptions::validate() const {
  if (max_entities < 10) throw InvalidInput("max_entities must be at least 10, got " + std::to_string(max_entities));
  if (trajectory_bins < 1 || trajectory_bins > 100)
    throw InvalidInput("trajectory_bins must be in [1, 100], got " + std::to_string(trajectory_bins));
  if (max_series < 1 || max_series > 1000)
    throw InvalidInput("max_series must be in [1, 1000], got " + std::to_string(max_series));
  if (count_bins < 2 || count_bins > 1000)
    throw InvalidInput("count_bins must be in [2, 1000], got " + std::to_string(count_bins));
  if (sequence_length < 1 || sequence_length > 1000)
    throw InvalidInput("sequence_length must be in [1, 1000], got " + std::to_string(sequence_length));
  if (folds < 2 || folds > 10) throw InvalidInput("folds must be in [2, 10], got " + std::to_string(folds));
  if (boost_rounds < 1 || boost_rounds > 10000)
    throw InvalidInput("boost_rounds must be in [1, 10000], got " + std::to_string(boost_rounds));
  if (boost_depth < 1 || boost_depth > 16)
    throw InvalidInput("boost_depth must be in [1, 16], got " + std::to_string(boost_depth));
  if (!(window > 0)) throw InvalidInput("window must be a positive number of time units");
  if (gap_bins < 2 || gap_bins > 1000)
    throw InvalidInput("gap_bins must be in [2, 1000], got " + std::to_string(gap_bins));
  if (!table.target.empty() || !table.sensitive.empty() || !table.quasi.empty())
    throw InvalidInput("table options: target, sensitive and quasi are not used per table (use outcome)");
  table.validate();
}

namespace evaldetail {

namespace {

bool value_type(ColumnType t) { return t == ColumnType::kNumerical || t == ColumnType::kBoolean; }

}  // namespace

std::vector<double> finite_values(const std::vector<double>& v) {
  std::vector<double> out;
  out.reserve(v.size());
  for (double x : v)
    if (std::isfinite(x)) out.push_back(x);
  std::sort(out.begin(), out.end());
  return out;
}

double quantile_sorted(const std::vector<double>& s, double q) {
  if (s.empty()) return NAN;
  const double pos = q * static_cast<double>(s.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  if (i + 1 >= s.size()) return s.back();
  return s[i] + (pos - static_cast<double>(i)) * (s[i + 1] - s[i]);
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      s += x;
      ++n;
    }
  return n ? s / static_cast<double>(n) : NAN;
}

// Sample standard deviation of the present values; NaN with fewer than two.
double sd_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      s += (x - m) * (x - m);
      ++n;
    }
  return n > 1 ? std::sqrt(s / static_cast<double>(n - 1)) : NAN;
}

std::vector<Series> find_series(const Dataset& real, size_t t, size_t max_series) {
  const TableSchema& ts = real.schema.tables[t];
  std::vector<Series> out;
  if (ts.is_long()) {
    const Column& sc = real.tables[t].column(ts.series_column);
    std::vector<size_t> counts(sc.dictionary.size(), 0);
    for (int32_t c : sc.codes)
      if (c >= 0 && static_cast<size_t>(c) < counts.size()) ++counts[static_cast<size_t>(c)];
    std::vector<size_t> order;
    for (size_t i = 0; i < counts.size(); ++i)
      if (counts[i]) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return counts[a] > counts[b]; });
    if (order.size() > max_series) order.resize(max_series);
    for (size_t i : order) out.push_back({t, sc.dictionary[i], ts.value_column, sc.dictionary[i]});
    return out;
  }
  std::set<std::string> skip{ts.primary_key, ts.entity_key, ts.time_column, ts.unit_column};
  for (const ForeignKey& fk : ts.foreign_keys) skip.insert(fk.column);
  for (const std::string& s : ts.static_columns) skip.insert(s);
  if (ts.end_column.rfind(ts.name + ".", 0) == 0) skip.insert(ts.end_column.substr(ts.name.size() + 1));
  for (const ColumnSchema& cs : ts.schema.columns) {
    if (!value_type(cs.type) || skip.count(cs.name)) continue;
    if (out.size() == max_series) break;
    out.push_back({t, cs.name, cs.name, ""});
  }
  return out;
}

Side prepare_side(const Dataset& d, size_t root, const std::vector<Series>& series) {
  Side s;
  s.d = &d;
  const DatasetSchema& schema = d.schema;
  const size_t nt = schema.tables.size();
  s.parent.resize(nt);
  s.root.resize(nt);
  s.groups.resize(nt);
  s.time.resize(nt);
  for (size_t t = 0; t < nt; ++t) {
    s.parent[t] = detail::parent_rows(d, t);
    if (schema.tables[t].is_sequence()) {
      s.groups[t] = detail::group_events(d, t);
      s.time[t] = detail::event_offsets(d, t, s.groups[t]);
    }
  }
  const size_t root_rows = d.tables[root].num_rows();
  s.root[root].assign(root_rows, -1);
  if (schema.tables[root].is_sequence()) {
    const detail::EntityGroups& g = s.groups[root];
    s.entities = g.num_entities();
    for (size_t e = 0; e < s.entities; ++e) {
      s.root_first_row.push_back(g.order[g.offsets[e]]);
      for (size_t k = g.offsets[e]; k < g.offsets[e + 1]; ++k) s.root[root][g.order[k]] = static_cast<int64_t>(e);
    }
  } else {
    s.entities = root_rows;
    for (size_t r = 0; r < root_rows; ++r) s.root[root][r] = static_cast<int64_t>(r);
  }
  for (size_t t : schema.topological_order()) {
    if (t == root) continue;
    const int p = schema.parent_of(t);
    s.root[t].assign(d.tables[t].num_rows(), -1);
    if (p < 0 || s.root[static_cast<size_t>(p)].empty()) continue;
    const std::vector<int64_t>& up = s.root[static_cast<size_t>(p)];
    for (size_t r = 0; r < s.root[t].size(); ++r) {
      const int64_t pr = s.parent[t][r];
      if (pr >= 0 && static_cast<size_t>(pr) < up.size()) s.root[t][r] = up[static_cast<size_t>(pr)];
    }
  }
  for (const Series& se : series) {
    const Table& tab = d.tables[se.table];
    const size_t rows = tab.num_rows();
    std::vector<double> v(rows, NAN);
    const Column& c = tab.column(se.column);
    std::vector<uint8_t> use(rows, 1);
    if (!se.level.empty()) {
      const Column& sc = tab.column(schema.tables[se.table].series_column);
      const auto it = std::find(sc.dictionary.begin(), sc.dictionary.end(), se.level);
      const int32_t code = it == sc.dictionary.end() ? -2 : static_cast<int32_t>(it - sc.dictionary.begin());
      for (size_t r = 0; r < rows; ++r) use[r] = sc.codes[r] == code;
    }
    for (size_t r = 0; r < rows; ++r) {
      if (!use[r]) continue;
      if (c.storage == Storage::kNumber) {
        if (c.valid[r]) v[r] = c.values[r];
      } else if (c.codes[r] >= 0) {
        v[r] = c.codes[r];  // a boolean: the false label is first
      }
    }
    s.values.push_back(std::move(v));
  }
  return s;
}

Dataset subsample(const Dataset& d, size_t root, size_t max, Rng& rng) {
  const Side s = prepare_side(d, root, {});
  if (s.entities <= max) return d;
  std::vector<size_t> idx(s.entities);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  for (size_t i = 0; i < max; ++i) std::swap(idx[i], idx[i + rng.below(idx.size() - i)]);
  std::vector<uint8_t> keep(s.entities, 0);
  for (size_t i = 0; i < max; ++i) keep[idx[i]] = 1;
  Dataset out;
  out.schema = d.schema;
  for (size_t t = 0; t < d.tables.size(); ++t) {
    const bool linked = t == root || d.schema.parent_of(t) >= 0;
    if (!linked) {
      out.tables.push_back(d.tables[t]);
      continue;
    }
    std::vector<size_t> rows;
    for (size_t r = 0; r < s.root[t].size(); ++r)
      if (s.root[t][r] >= 0 && keep[static_cast<size_t>(s.root[t][r])]) rows.push_back(r);
    out.tables.push_back(d.tables[t].take(rows));
  }
  return out;
}

}  // namespace evaldetail

namespace {

using namespace evaldetail;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The tables must be the schema's, column for column, with the schema's storage.
void check_matches(const Dataset& d, const DatasetSchema& schema, const char* which) {
  const std::string w = which;
  if (d.tables.size() != schema.tables.size())
    throw InvalidInput(w + ": " + std::to_string(d.tables.size()) + " tables, the schema has " +
                       std::to_string(schema.tables.size()));
  for (size_t t = 0; t < schema.tables.size(); ++t) {
    const TableSchema& ts = schema.tables[t];
    if (d.schema.tables.size() != schema.tables.size() || d.schema.tables[t].name != ts.name)
      throw InvalidInput(w + ": table " + std::to_string(t) + " is not '" + ts.name + "'");
    const Table& tab = d.tables[t];
    if (tab.num_cols() != ts.schema.columns.size())
      throw InvalidInput(w + ": table '" + ts.name + "' has " + std::to_string(tab.num_cols()) +
                         " columns, the schema has " + std::to_string(ts.schema.columns.size()));
    for (size_t c = 0; c < tab.num_cols(); ++c) {
      const ColumnSchema& cs = ts.schema.columns[c];
      const bool number = cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime;
      if (tab.columns[c].name != cs.name || (tab.columns[c].storage == Storage::kNumber) != number)
        throw InvalidInput(w + ": table '" + ts.name + "' column " + std::to_string(c) + " is not '" + cs.name +
                           "' typed by the schema");
      if (tab.columns[c].size() != tab.num_rows())
        throw InvalidInput(w + ": table '" + ts.name + "' column '" + cs.name + "' has a different length");
    }
  }
}

// The mean over a section's items of item[key][side], skipping nulls.
ojson mean_over(const ojson& items, const char* key, const char* side) {
  double s = 0;
  size_t n = 0;
  for (const ojson& it : items)
    if (it.contains(key) && it[key].is_object() && it[key].contains(side) && it[key][side].is_number()) {
      s += it[key][side].get<double>();
      ++n;
    }
  return n ? ojson(s / static_cast<double>(n)) : ojson(nullptr);
}

ojson pair_mean(const ojson& items, const char* key, bool holdout) {
  return {{"synthetic", mean_over(items, key, "synthetic")},
          {"holdout", holdout ? mean_over(items, key, "holdout") : ojson(nullptr)}};
}

const ojson& at(const ojson& j, std::initializer_list<const char*> path) {
  static const ojson null_value;
  const ojson* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return null_value;
    p = &(*p)[k];
  }
  return *p;
}

}  // namespace

nlohmann::ordered_json evaluate_records(const Dataset& real, const Dataset& synthetic, const Dataset* holdout,
                                        const RecordEvalOptions& options, const Context& ctx) {
  options.validate();
  const DatasetSchema& schema = real.schema;
  schema.validate();
  check_matches(real, schema, "real");
  check_matches(synthetic, schema, "synthetic");
  if (holdout) check_matches(*holdout, schema, "holdout");
  const std::vector<size_t> roots = schema.roots();
  if (roots.empty()) throw InvalidInput("the dataset schema has no root table (every table has a parent)");
  if (!options.outcome.empty() && !holdout)
    throw InvalidInput("outcome needs a holdout: utility is measured on real patients neither model saw");

  Prepared p;
  p.schema = &schema;
  p.root = roots[0];
  p.has_holdout = holdout != nullptr;
  if (roots.size() > 1)
    p.notes.push_back("several root tables: patients are the rows of '" + schema.tables[p.root].name +
                      "'; the tables under the other roots are scored per table only");
  check_outcome(p, options);
  Rng rng(ctx.seed);
  auto t0 = std::chrono::steady_clock::now();
  Rng r1 = rng.split(1), r2 = rng.split(2), r3 = rng.split(3);
  const Dataset real_s = subsample(real, p.root, options.max_entities, r1);
  const Dataset syn_s = subsample(synthetic, p.root, options.max_entities, r2);
  Dataset hold_s;
  if (holdout) hold_s = subsample(*holdout, p.root, options.max_entities, r3);
  for (size_t t = 0; t < schema.tables.size(); ++t) {
    if (t == p.root ? schema.tables[t].is_sequence() : schema.parent_of(t) >= 0) {
      std::vector<Series> s = find_series(real_s, t, options.max_series);
      p.series.insert(p.series.end(), s.begin(), s.end());
    }
  }
  p.real = prepare_side(real_s, p.root, p.series);
  p.syn = prepare_side(syn_s, p.root, p.series);
  if (holdout) p.hold = prepare_side(hold_s, p.root, p.series);
  for (size_t t = 0; t < schema.tables.size(); ++t)
    if (t != p.root && std::any_of(p.real.root[t].begin(), p.real.root[t].end(), [](int64_t e) { return e >= 0; }))
      p.linked.push_back(t);
  // The sequence distance holds patients × events × (series + 1) floats per dataset.
  size_t seq_cols = 0;
  for (size_t t = 0; t < schema.tables.size(); ++t) {
    if (!schema.tables[t].is_sequence()) continue;
    seq_cols += options.sequence_length;
    for (const Series& se : p.series) seq_cols += se.table == t ? options.sequence_length : 0;
  }
  const size_t most = std::max({p.real.entities, p.syn.entities, holdout ? p.hold.entities : size_t{0}});
  if (seq_cols > 0 && most > (size_t{1} << 28) / seq_cols)
    throw InvalidInput("sequence_length " + std::to_string(options.sequence_length) + " with " +
                       std::to_string(p.series.size()) + " series and " + std::to_string(most) +
                       " patients needs too much memory for the sequence distance: lower sequence_length, "
                       "max_series or max_entities");
  if (p.real.entities == 0) throw InvalidInput("the real dataset has no patients (root table '" + schema.tables[p.root].name + "' is empty)");
  if (p.syn.entities == 0) throw InvalidInput("the synthetic dataset has no patients");
  if (holdout && p.hold.entities == 0) throw InvalidInput("the holdout dataset has no patients");

  ojson timings;
  timings["prepare"] = seconds_since(t0);
  ojson report;
  report["medgen_version"] = MEDGEN_VERSION;
  auto side_inputs = [&](const Dataset& full, const Side& s) {
    ojson tables;
    for (size_t t = 0; t < schema.tables.size(); ++t) tables[schema.tables[t].name] = s.d->tables[t].num_rows();
    return ojson{{"entities", s.entities}, {"entities_total", full.num_entities()}, {"rows", tables}};
  };
  ojson series_names = ojson::array();
  for (const Series& s : p.series) series_names.push_back(schema.tables[s.table].name + "." + s.name);
  report["inputs"] = {{"root", schema.tables[p.root].name},
                      {"real", side_inputs(real, p.real)},
                      {"synthetic", side_inputs(synthetic, p.syn)},
                      {"holdout", holdout ? side_inputs(*holdout, p.hold) : ojson(nullptr)},
                      {"series", series_names}};
  report["options"] = {{"seed", ctx.seed},
                       {"max_entities", options.max_entities},
                       {"table_fidelity", options.table_fidelity},
                       {"table_detection", options.table.detection},
                       {"trajectory_bins", options.trajectory_bins},
                       {"max_series", options.max_series},
                       {"count_bins", options.count_bins},
                       {"sequence_length", options.sequence_length},
                       {"detection", options.detection},
                       {"folds", options.folds},
                       {"boost_rounds", options.boost_rounds},
                       {"boost_depth", options.boost_depth},
                       {"outcome", options.outcome.empty() ? ojson(nullptr) : ojson(options.outcome)},
                       {"window", options.window},
                       {"exclude", options.exclude}};

  auto timed = [&](const char* name, auto&& fn) {
    const auto t = std::chrono::steady_clock::now();
    report[name] = fn();
    timings[name] = seconds_since(t);
  };
  if (options.table_fidelity) timed("tables", [&] { return table_section(p, options, ctx); });
  else report["tables"] = nullptr;
  timed("child_counts", [&] { return child_count_section(p, options); });
  timed("gaps", [&] { return gap_section(p, options); });
  timed("trajectories", [&] { return trajectory_section(p, options); });
  timed("parent_child", [&] { return parent_child_section(p); });
  timed("patients", [&] { return patient_section(p, options, ctx, rng.split(4)); });
  if (!options.outcome.empty()) timed("utility", [&] { return utility_section(p, options, ctx); });
  else report["utility"] = nullptr;

  const bool h = holdout != nullptr;
  ojson s;
  s["entities"] = {{"real", p.real.entities}, {"synthetic", p.syn.entities},
                   {"holdout", h ? ojson(p.hold.entities) : ojson(nullptr)}};
  s["table_quality"] = report["tables"].is_object() ? pair_mean(report["tables"]["items"], "quality", h)
                                                   : ojson(nullptr);
  s["child_count_tvd"] = pair_mean(report["child_counts"]["items"], "tvd", h);
  s["gap_ks"] = pair_mean(report["gaps"]["items"], "gap_ks", h);
  s["trajectory_error"] = pair_mean(report["trajectories"]["items"], "mean_error", h);
  s["autocorrelation_error"] = pair_mean(report["trajectories"]["items"], "autocorrelation_error", h);
  s["parent_child_error"] = pair_mean(report["parent_child"]["items"], "error", h);
  const ojson& pt = report["patients"];
  s["detection_auc"] = at(pt, {"detection", "auc"});
  s["summary_dcr_ratio"] = at(pt, {"privacy", "summary", "dcr_ratio"});
  s["sequence_dcr_ratio"] = at(pt, {"privacy", "sequence", "dcr_ratio"});
  s["membership_auc"] = at(pt, {"privacy", "membership_auc"});
  const ojson& ut = report["utility"];
  s["utility"] = ut.is_object() ? ojson{{"tstr", at(ut, {"best_tstr"})},
                                         {"trtr", at(ut, {"best_trtr"})},
                                         {"ratio", at(ut, {"ratio"})},
                                         {"metric", at(ut, {"primary_metric"})}}
                                : ojson(nullptr);
  report["summary"] = s;
  report["timings_seconds"] = timings;
  ojson notes = ojson::array();
  for (const std::string& n : p.notes) notes.push_back(n);
  notes.push_back("Every metric compares a dataset with the real (training) one: 'synthetic' for the synthetic "
                  "dataset, 'holdout' for real patients the synthesizer never saw (the ceiling).");
  notes.push_back("At most " + std::to_string(options.max_entities) +
                  " patients per dataset are scored (sampled with the seed), with all their rows.");
  if (!h) notes.push_back("No holdout: no ceilings, no membership inference, no utility.");
  report["notes"] = notes;
  ojson ordered;
  ordered["medgen_version"] = report["medgen_version"];
  ordered["summary"] = report["summary"];
  for (auto it = report.begin(); it != report.end(); ++it)
    if (it.key() != "summary" && it.key() != "medgen_version") ordered[it.key()] = *it;
  return ordered;
}

void write_records_report(const nlohmann::ordered_json& report, const std::string& json_path,
                          const std::string& html_path) {
  std::vector<std::pair<std::string, std::string>> files;
  if (!json_path.empty()) files.emplace_back(json_path, report.dump(2) + "\n");
  if (!html_path.empty()) files.emplace_back(html_path, render_records_html(report));
  if (!files.empty()) write_files_atomic(files);
}

ojson records_gate_summary(const ojson& report) {
  const ojson& s = report.at("summary");
  auto num = [](const ojson& v) { return v.is_number() ? v : ojson(nullptr); };
  auto side = [&](const char* key, const char* which) {
    return s.contains(key) && s[key].is_object() && s[key].contains(which) ? num(s[key][which]) : ojson(nullptr);
  };
  const ojson priv = report.contains("patients") && report["patients"].is_object() &&
                             report["patients"].contains("privacy") && report["patients"]["privacy"].is_object()
                         ? report["patients"]["privacy"].value("summary", ojson())
                         : ojson();
  ojson g;
  g["quality"] = side("table_quality", "synthetic");
  g["detection_auc"] = side("detection_auc", "synthetic");
  g["detection_auc_holdout"] = side("detection_auc", "holdout");
  g["detection_auc_margin"] =
      g["detection_auc"].is_number() && g["detection_auc_holdout"].is_number()
          ? ojson(g["detection_auc"].get<double>() - std::max(0.5, g["detection_auc_holdout"].get<double>()))
          : ojson(nullptr);
  g["detection_score"] = nullptr;  // the patients' detection is reported as an AUC only
  g["membership_auc"] = s.contains("membership_auc") ? num(s["membership_auc"]) : ojson(nullptr);
  g["excess_exact_copy_rate"] = priv.is_object() && priv.contains("excess_exact_copy_rate")
                                    ? num(priv["excess_exact_copy_rate"])
                                    : ojson(nullptr);
  g["share_closer_to_train"] =
      priv.is_object() && priv.contains("share_closer_to_train") ? num(priv["share_closer_to_train"]) : ojson(nullptr);
  g["utility_ratio"] = s.contains("utility") && s["utility"].is_object() && s["utility"].contains("ratio")
                           ? num(s["utility"]["ratio"])
                           : ojson(nullptr);
  return g;
}

eval::GateResult apply_records_gate(ojson& report, const eval::Gate& gate) {
  ojson view{{"summary", records_gate_summary(report)}, {"inputs", report.value("inputs", ojson::object())}};
  const eval::GateResult verdict = eval::apply_gate(view, gate);
  report["gate"] = verdict.to_json();
  report["gate"]["thresholds"] = gate.to_json();
  report["gate"]["summary"] = view["summary"];
  return verdict;
}

}  // namespace medgen::records
