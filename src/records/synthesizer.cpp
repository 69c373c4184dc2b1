// RecordSynthesizer: parents augmented with child summaries (tabular synthesizer), children
// as sequences conditioned on their parent row (sequence models), keys regenerated.
#include "medgen/records/synthesizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "links.h"
#include "ratio_filter.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/core/rng.h"
#include "medgen/core/version.h"
#include "medgen/records/sequence.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::records {

using json = nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// splitmix64 of a seed and a stream number: independent seeds per chunk and per model.
uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

bool learnable(const ColumnSchema& c) { return c.type != ColumnType::kText && c.type != ColumnType::kIdentifier; }

std::string count_name(const std::string& table) { return table + ":count"; }
std::string start_name(const std::string& table) { return table + ":start"; }
std::string lifted_name(const std::string& table, const std::string& column) { return table + ":" + column; }

Column renamed(Column c, const std::string& name) {
  c.name = name;
  return c;
}

// Copies rows `rows` of a column (the same column shape, -1 / invalid where rows[i] < 0).
Column take(const Column& src, const std::vector<int64_t>& rows) {
  Column out;
  out.name = src.name;
  out.storage = src.storage;
  out.dictionary = src.dictionary;
  if (src.storage == Storage::kNumber) {
    out.values.assign(rows.size(), 0.0);
    out.valid.assign(rows.size(), 0);
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i] >= 0) {
        out.values[i] = src.values[static_cast<size_t>(rows[i])];
        out.valid[i] = src.valid[static_cast<size_t>(rows[i])];
      }
  } else {
    out.codes.assign(rows.size(), -1);
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i] >= 0) out.codes[i] = src.codes[static_cast<size_t>(rows[i])];
  }
  return out;
}

Column empty_like(const ColumnSchema& cs, size_t rows) {
  if (cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime) return Column::numbers(cs.name, rows);
  const bool closed = cs.type == ColumnType::kCategorical || cs.type == ColumnType::kBoolean;
  return Column::strings(cs.name, rows, closed ? cs.values : std::vector<std::string>{});
}

ColumnSchema count_schema(const std::string& name, double max) {
  ColumnSchema c;
  c.name = name;
  c.type = ColumnType::kNumerical;
  c.integer = true;
  c.min = 0;
  c.max = std::max(0.0, max);
  return c;
}

}  // namespace

// ------------------------------------------------------------------------------------ nodes

// One learned part: a top-level table (or the implicit entity table of a root sequence
// table) learned by a tabular synthesizer, or a child table learned by a sequence model.
// "Augmented" rows are what the part learns and generates: the table's own value columns plus,
// for each child table, its count, its static columns and (dates without origin) its start.
struct Node {
  int table = -1;          // schema.tables index; for a virtual entity node, the sequence table
  bool virtual_entity = false;
  int parent = -1;         // node index
  std::vector<size_t> children;  // node indices
  Schema aug;              // augmented columns
  std::vector<std::string> base;  // the table's own value columns (in aug, same names)
  // Long format: one event column per series level; unit per level.
  std::vector<std::string> levels, level_units;
  // Static columns of this (child) table that repeat the parent's column of the same name in
  // every row of the data (a denormalised copy): written from the parent, never learned apart.
  std::vector<std::string> copied;
  // What the data guarantees of a (child) table's summary in its parent's row: the lifted
  // columns present in every row with events, and the densest timeline (events per time unit
  // after the first: the 97.5th percentile over entities; NaN: no end). Generated parent rows
  // breaking either are drawn again.
  std::vector<std::string> present_when_events;
  double max_rate = std::numeric_limits<double>::quiet_NaN();
  // The parent's count of this table holds only whether an entity has events (0 or 1): the
  // sequence model learns the lengths and every entity with events has an end.
  bool presence = false;
  // Child nodes: time handling.
  bool has_time = false;
  bool datetime_time = false;
  double unit = 86400.0;
  std::string origin_col;  // parent aug column holding the origin datetime ("" = none)
  std::string end_col;     // parent aug column holding the end ("" = none)
  bool end_datetime = false;
  std::unique_ptr<tabular::Synthesizer> synth;
  std::unique_ptr<SequenceModel> seq;
  // Top-level nodes: the density-ratio filter on generated rows (empty: none).
  detail::RatioFilter filter;
};

struct RecordSynthesizer::Impl {
  DatasetSchema schema;
  RecordOptions options;
  std::vector<Node> nodes;  // parents before children
  std::vector<std::string> warnings;
  json summary = json::object();

  void plan();
  std::vector<std::string> copied_statics(const Dataset& d, size_t node) const;
  void learn_support(const Table& parent_aug, size_t node);
  // Indices of the rows of a parent's augmented table that every child's support allows.
  std::vector<bool> supported(const Table& parent_aug, size_t parent_node) const;
  void build_aug_schemas(const Dataset& d);
  Table aug_rows(const Dataset& d, size_t node, std::vector<int64_t>* entity_of_row, detail::EntityGroups* groups,
                 std::vector<double>* time, std::vector<double>* end) const;
  void sample_chunk(size_t n, uint64_t chunk_seed, const Context& ctx, std::vector<size_t>* counters, Dataset* out) const;
};

RecordSynthesizer::RecordSynthesizer() : impl_(std::make_unique<Impl>()) {}
RecordSynthesizer::~RecordSynthesizer() = default;
RecordSynthesizer::RecordSynthesizer(RecordSynthesizer&&) noexcept = default;
RecordSynthesizer& RecordSynthesizer::operator=(RecordSynthesizer&&) noexcept = default;

const DatasetSchema& RecordSynthesizer::schema() const { return impl_->schema; }
const RecordOptions& RecordSynthesizer::options() const { return impl_->options; }
json RecordSynthesizer::summary() const { return impl_->summary; }
const std::vector<std::string>& RecordSynthesizer::warnings() const { return impl_->warnings; }

// Nodes in topological order of the tables; a root sequence table gets a virtual entity node.
void RecordSynthesizer::Impl::plan() {
  nodes.clear();
  std::vector<int> node_of_table(schema.tables.size(), -1);
  for (size_t t : schema.topological_order()) {
    const TableSchema& ts = schema.tables[t];
    const int p = schema.parent_of(t);
    if (p < 0 && ts.is_sequence()) {
      Node e;
      e.table = static_cast<int>(t);
      e.virtual_entity = true;
      nodes.push_back(std::move(e));
      Node c;
      c.table = static_cast<int>(t);
      c.parent = static_cast<int>(nodes.size() - 1);
      nodes[static_cast<size_t>(c.parent)].children.push_back(nodes.size());
      nodes.push_back(std::move(c));
    } else {
      Node n;
      n.table = static_cast<int>(t);
      if (p >= 0) {
        n.parent = node_of_table[static_cast<size_t>(p)];
        if (n.parent < 0) throw InvalidInput("table '" + ts.name + "': its parent is not learned");
        if (schema.tables[static_cast<size_t>(p)].is_long())
          throw InvalidInput("table '" + ts.name + "': its parent '" + schema.tables[static_cast<size_t>(p)].name +
                             "' is a long-format table, whose rows cannot be parents");
        nodes[static_cast<size_t>(n.parent)].children.push_back(nodes.size());
      }
      nodes.push_back(std::move(n));
    }
    node_of_table[t] = static_cast<int>(nodes.size() - 1);
  }
}

void RecordSynthesizer::Impl::learn_support(const Table& pa, size_t k) {
  Node& n = nodes[k];
  const std::string& name = schema.tables[static_cast<size_t>(n.table)].name;
  const Column& cnt = pa.column(count_name(name));
  n.present_when_events.clear();
  for (const Column& c : pa.columns) {
    if (c.name.rfind(name + ":", 0) != 0 || c.name == count_name(name)) continue;
    bool always = true, any = false;
    for (size_t r = 0; r < c.size() && always; ++r)
      if (cnt.valid[r] && cnt.values[r] > 0) {
        any = true;
        always = !c.is_missing(r);
      }
    if (always && any) n.present_when_events.push_back(c.name);
  }
  n.max_rate = kNaN;
  if (n.end_col.empty()) return;
  const Column& ec = pa.column(n.end_col);
  const Column* oc = n.origin_col.empty() ? nullptr : &pa.column(n.origin_col);
  std::vector<double> rates;
  for (size_t r = 0; r < pa.num_rows(); ++r) {
    if (!cnt.valid[r] || cnt.values[r] < 2 || !ec.valid[r]) continue;
    double end = ec.values[r];
    if (n.end_datetime) {
      if (!oc || !oc->valid[r]) continue;
      end = (end - oc->values[r]) / n.unit;
    }
    if (end <= 0) continue;
    rates.push_back((cnt.values[r] - 1) / end);
  }
  if (rates.empty()) return;
  // The 97.5th percentile of the real densities, not the maximum: the parent synthesizer couples
  // the count and the end only loosely, and the densest synthetic timelines (many events in a
  // short follow-up) would force gaps near zero.
  std::sort(rates.begin(), rates.end());
  n.max_rate = rates[static_cast<size_t>(std::floor(0.975 * static_cast<double>(rates.size() - 1)))];
}

std::vector<bool> RecordSynthesizer::Impl::supported(const Table& pa, size_t pk) const {
  std::vector<bool> ok(pa.num_rows(), true);
  for (size_t ci : nodes[pk].children) {
    const Node& n = nodes[ci];
    const Column& cnt = pa.column(count_name(schema.tables[static_cast<size_t>(n.table)].name));
    for (size_t r = 0; r < ok.size(); ++r) {
      if (!ok[r] || !cnt.valid[r] || std::round(cnt.values[r]) <= 0) continue;
      for (const std::string& c : n.present_when_events)
        if (pa.column(c).is_missing(r)) ok[r] = false;
      // A sequence model that learns lengths draws the count itself: only its presence counts.
      if (!ok[r] || std::isnan(n.max_rate) || std::round(cnt.values[r]) < 2 || (n.seq && n.seq->learns_lengths()))
        continue;
      const Column& ec = pa.column(n.end_col);
      if (!ec.valid[r]) continue;
      double end = ec.values[r];
      if (n.end_datetime) {
        const Column& oc = pa.column(n.origin_col);
        if (!oc.valid[r]) continue;
        end = (end - oc.values[r]) / n.unit;
      }
      if (std::round(cnt.values[r]) - 1 > n.max_rate * std::max(0.0, end) + 1e-9) ok[r] = false;
    }
  }
  return ok;
}

// Static columns of child node k equal, row for row, to the parent table's column of the same
// name and type (pbcseq's age and sex repeat pbc's).
std::vector<std::string> RecordSynthesizer::Impl::copied_statics(const Dataset& d, size_t k) const {
  std::vector<std::string> out;
  const Node& n = nodes[k];
  const Node& p = nodes[static_cast<size_t>(n.parent)];
  if (p.virtual_entity) return out;
  const size_t t = static_cast<size_t>(n.table), pt = static_cast<size_t>(p.table);
  const TableSchema& ts = schema.tables[t];
  const TableSchema& ps = schema.tables[pt];
  const std::vector<int64_t> pr = detail::parent_rows(d, t);
  for (const std::string& sc : ts.static_columns) {
    const int pi = ps.schema.find(sc);
    if (pi < 0 || !learnable(ts.schema.column(sc))) continue;
    const ColumnSchema& a = ts.schema.column(sc);
    const ColumnSchema& b = ps.schema.columns[static_cast<size_t>(pi)];
    if (a.type != b.type || a.values != b.values || (a.type == ColumnType::kNumerical && a.integer != b.integer)) continue;
    const Column& cc = d.tables[t].column(sc);
    const Column& pc = d.tables[pt].column(sc);
    bool same = true;
    for (size_t r = 0; r < pr.size() && same; ++r) {
      if (pr[r] < 0) continue;
      const size_t q = static_cast<size_t>(pr[r]);
      if (cc.storage == Storage::kNumber)
        same = cc.valid[r] == pc.valid[q] && (!cc.valid[r] || cc.values[r] == pc.values[q]);
      else
        same = (cc.codes[r] < 0) == (pc.codes[q] < 0) &&
               (cc.codes[r] < 0 || cc.dictionary[static_cast<size_t>(cc.codes[r])] == pc.dictionary[static_cast<size_t>(pc.codes[q])]);
    }
    if (same) out.push_back(sc);
  }
  return out;
}

// The augmented schema of every node, from the data (levels of long tables, count maxima).
void RecordSynthesizer::Impl::build_aug_schemas(const Dataset& d) {
  // Whether the sequence model decides how many events an entity with an end has.
  const bool learns_lengths = create_sequence_model(options.sequence_model, options.sequence_params)->learns_lengths();
  for (size_t k = 0; k < nodes.size(); ++k) {
    Node& n = nodes[k];
    const TableSchema& ts = schema.tables[static_cast<size_t>(n.table)];
    n.aug = Schema{};
    n.base.clear();
    if (!n.virtual_entity) {
      if (ts.is_long()) {
        // One numerical column per level of the series column.
        const ColumnSchema& vs = ts.schema.column(ts.value_column);
        const Column& sc = d.tables[static_cast<size_t>(n.table)].column(ts.series_column);
        const Column& vc = d.tables[static_cast<size_t>(n.table)].column(ts.value_column);
        const Column* uc = ts.unit_column.empty() ? nullptr : &d.tables[static_cast<size_t>(n.table)].column(ts.unit_column);
        n.levels = sc.dictionary;
        n.level_units.assign(n.levels.size(), "");
        std::vector<double> lo(n.levels.size(), INFINITY), hi(n.levels.size(), -INFINITY);
        std::vector<std::map<int32_t, size_t>> unit_counts(n.levels.size());
        for (size_t r = 0; r < sc.size(); ++r) {
          if (sc.codes[r] < 0) continue;
          const size_t l = static_cast<size_t>(sc.codes[r]);
          if (vc.valid[r]) {
            lo[l] = std::min(lo[l], vc.values[r]);
            hi[l] = std::max(hi[l], vc.values[r]);
          }
          if (uc && uc->codes[r] >= 0) ++unit_counts[l][uc->codes[r]];
        }
        for (size_t l = 0; l < n.levels.size(); ++l) {
          ColumnSchema c = vs;
          c.name = n.levels[l];
          c.min = std::isfinite(lo[l]) ? lo[l] : vs.min;
          c.max = std::isfinite(hi[l]) ? hi[l] : vs.max;
          if (uc && !unit_counts[l].empty()) {
            auto best = std::max_element(unit_counts[l].begin(), unit_counts[l].end(),
                                         [](auto& a, auto& b) { return a.second < b.second; });
            n.level_units[l] = uc->dictionary[static_cast<size_t>(best->first)];
          }
          n.aug.columns.push_back(c);
          n.base.push_back(c.name);
        }
        for (const ColumnSchema& c : ts.schema.columns) {
          const bool used = c.name == ts.entity_key || c.name == ts.time_column || c.name == ts.series_column ||
                            c.name == ts.value_column || c.name == ts.unit_column || ts.foreign_key(c.name) ||
                            c.name == ts.primary_key ||
                            std::find(ts.static_columns.begin(), ts.static_columns.end(), c.name) != ts.static_columns.end();
          if (!used && learnable(c))
            warnings.push_back("table '" + ts.name + "': column '" + c.name + "' of a long-format table is not learned (written empty)");
        }
      } else {
        for (const ColumnSchema& c : ts.schema.columns) {
          if (!learnable(c) || c.name == ts.time_column) continue;
          if (n.parent >= 0 && std::find(ts.static_columns.begin(), ts.static_columns.end(), c.name) != ts.static_columns.end())
            continue;
          n.aug.columns.push_back(c);
          n.base.push_back(c.name);
        }
      }
    }
    // Summaries of the children.
    for (size_t ci : n.children) {
      Node& child = nodes[ci];
      child.copied = copied_statics(d, ci);
      const TableSchema& cs = schema.tables[static_cast<size_t>(child.table)];
      // Count maximum over the data.
      const detail::EntityGroups g = detail::group_events(d, static_cast<size_t>(child.table));
      size_t max_count = 0;
      for (size_t e = 0; e < g.num_entities(); ++e) max_count = std::max(max_count, g.offsets[e + 1] - g.offsets[e]);
      if (cs.is_long()) {
        // Events are distinct times: bound by rows anyway.
      }
      child.presence = false;
      if (learns_lengths && !cs.end_column.empty()) {
        const std::vector<double> ends = detail::entity_ends(d, static_cast<size_t>(child.table), g);
        child.presence = std::all_of(ends.begin(), ends.end(), [](double v) { return std::isfinite(v); });
      }
      n.aug.columns.push_back(count_schema(count_name(cs.name), child.presence ? 1.0 : static_cast<double>(max_count)));
      for (const std::string& sc : cs.static_columns) {
        ColumnSchema c = cs.schema.column(sc);
        if (!learnable(c) || std::count(child.copied.begin(), child.copied.end(), sc)) continue;
        c.name = lifted_name(cs.name, sc);
        n.aug.columns.push_back(c);
      }
      if (!cs.time_column.empty() && cs.schema.column(cs.time_column).type == ColumnType::kDatetime && cs.time_origin.empty()) {
        ColumnSchema c = cs.schema.column(cs.time_column);
        c.name = start_name(cs.name);
        n.aug.columns.push_back(c);
      }
    }
    if (n.aug.columns.empty()) {
      // Nothing to learn but the row count: a constant column keeps the synthesizers fed.
      throw InvalidInput("table '" + ts.name + "': no column to learn");
    }
  }
  // Time handling of the child nodes (needs the parents' augmented schemas).
  for (Node& n : nodes) {
    if (n.parent < 0) continue;
    const TableSchema& ts = schema.tables[static_cast<size_t>(n.table)];
    const Node& p = nodes[static_cast<size_t>(n.parent)];
    n.has_time = !ts.time_column.empty();
    if (!n.has_time) continue;
    n.datetime_time = ts.schema.column(ts.time_column).type == ColumnType::kDatetime;
    n.unit = detail::unit_seconds(ts.time_unit);
    auto resolve = [&](const std::string& ref, const char* what) -> std::string {
      const size_t dot = ref.rfind('.');
      const std::string rt = ref.substr(0, dot), rc = ref.substr(dot + 1);
      std::string name;
      if (rt == ts.name) name = lifted_name(ts.name, rc);
      else if (!p.virtual_entity && rt == schema.tables[static_cast<size_t>(p.table)].name) name = rc;
      if (name.empty() || p.aug.find(name) < 0)
        throw InvalidInput("table '" + ts.name + "': time." + what + " '" + ref +
                           "' must be a static column of the table or a learned column of its parent table");
      return name;
    };
    if (!ts.time_origin.empty()) n.origin_col = resolve(ts.time_origin, "origin");
    else if (n.datetime_time) n.origin_col = start_name(ts.name);
    if (!ts.end_column.empty()) {
      n.end_col = resolve(ts.end_column, "end");
      n.end_datetime = p.aug.column(n.end_col).type == ColumnType::kDatetime;
    }
  }
}

// The augmented rows of node k from real data. For a child node also: the entity (parent aug
// row) of every event, the groups, event times (offsets) and entity ends.
Table RecordSynthesizer::Impl::aug_rows(const Dataset& d, size_t k, std::vector<int64_t>* entity_of_row,
                                        detail::EntityGroups* groups_out, std::vector<double>* time_out,
                                        std::vector<double>* end_out) const {
  const Node& n = nodes[k];
  const size_t t = static_cast<size_t>(n.table);
  const TableSchema& ts = schema.tables[t];
  const Table& table = d.tables[t];
  // Which source rows make the augmented rows.
  std::vector<int64_t> rows;      // source row per augmented row (long: first row of the event)
  std::vector<size_t> event_of;   // long: source row -> augmented row
  detail::EntityGroups g;
  std::vector<double> off;
  if (n.virtual_entity) {
    g = detail::group_events(d, t);
    for (size_t e = 0; e < g.num_entities(); ++e) rows.push_back(static_cast<int64_t>(g.order[g.offsets[e]]));
  } else if (n.parent < 0) {
    for (size_t r = 0; r < table.num_rows(); ++r) rows.push_back(static_cast<int64_t>(r));
  } else {
    g = detail::group_events(d, t);
    off = detail::event_offsets(d, t, g);
    if (ts.is_long()) {
      // Events are the distinct times of an entity.
      event_of.assign(table.num_rows(), 0);
      std::vector<size_t> new_offsets{0};
      std::vector<size_t> new_order;
      for (size_t e = 0; e < g.num_entities(); ++e) {
        double last = kNaN;
        for (size_t i = g.offsets[e]; i < g.offsets[e + 1]; ++i) {
          const size_t r = g.order[i];
          if (rows.empty() || new_order.size() == new_offsets.back() || !(off[r] == last)) {
            rows.push_back(static_cast<int64_t>(r));
            new_order.push_back(r);
            last = off[r];
          }
          event_of[r] = rows.size() - 1;
        }
        new_offsets.push_back(new_order.size());
      }
      g.order = std::move(new_order);
      g.offsets = std::move(new_offsets);
    } else {
      for (size_t r : g.order) rows.push_back(static_cast<int64_t>(r));
    }
  }
  const size_t m = rows.size();
  Table out;
  // Own value columns.
  if (ts.is_long() && !n.virtual_entity) {
    const Column& sc = table.column(ts.series_column);
    const Column& vc = table.column(ts.value_column);
    for (const std::string& level : n.levels) out.columns.push_back(Column::numbers(level, m));
    for (size_t r = 0; r < table.num_rows(); ++r) {
      if (sc.codes[r] < 0 || !vc.valid[r]) continue;
      // Levels were taken from this table's dictionary at fit; map by name for safety.
      const std::string& level = sc.dictionary[static_cast<size_t>(sc.codes[r])];
      const auto it = std::find(n.levels.begin(), n.levels.end(), level);
      if (it == n.levels.end()) continue;
      Column& c = out.columns[static_cast<size_t>(it - n.levels.begin())];
      const size_t a = event_of[r];
      if (!c.valid[a]) {
        c.values[a] = vc.values[r];
        c.valid[a] = 1;
      }
    }
  } else {
    for (const std::string& b : n.base) out.columns.push_back(take(table.column(b), rows));
  }
  // Child summaries, per augmented row.
  for (size_t ci : n.children) {
    const Node& child = nodes[ci];
    const size_t ct = static_cast<size_t>(child.table);
    const TableSchema& cs = schema.tables[ct];
    const detail::EntityGroups cg = detail::group_events(d, ct);
    // Map each augmented row of this node to the child's entity index.
    std::vector<int64_t> entity(m, -1);
    if (n.virtual_entity) {
      for (size_t e = 0; e < m; ++e) entity[e] = static_cast<int64_t>(e);
    } else {
      std::vector<int64_t> by_row(table.num_rows(), -1);
      for (size_t e = 0; e < cg.num_entities(); ++e)
        if (cg.entity_row[e] >= 0) by_row[static_cast<size_t>(cg.entity_row[e])] = static_cast<int64_t>(e);
      for (size_t i = 0; i < m; ++i) entity[i] = by_row[static_cast<size_t>(rows[i])];
    }
    // Counts: rows, or for long-format children distinct times.
    Column cnt = Column::numbers(count_name(cs.name), m);
    std::vector<int64_t> first(m, -1);
    std::vector<double> coff;
    if (cs.is_long()) coff = detail::event_offsets(d, ct, cg);
    for (size_t i = 0; i < m; ++i) {
      const int64_t e = entity[i];
      size_t c = 0;
      if (e >= 0) {
        const size_t a = cg.offsets[static_cast<size_t>(e)], b = cg.offsets[static_cast<size_t>(e) + 1];
        if (cs.is_long()) {
          for (size_t j = a; j < b; ++j) c += j == a || coff[cg.order[j]] != coff[cg.order[j - 1]];
        } else {
          c = b - a;
        }
        if (b > a) first[i] = static_cast<int64_t>(cg.order[a]);
      }
      cnt.values[i] = static_cast<double>(c);
      if (child.presence) cnt.values[i] = std::min(cnt.values[i], 1.0);
      cnt.valid[i] = 1;
    }
    out.columns.push_back(std::move(cnt));
    for (const std::string& sc : cs.static_columns) {
      if (!learnable(cs.schema.column(sc)) || std::count(child.copied.begin(), child.copied.end(), sc)) continue;
      out.columns.push_back(renamed(take(d.tables[ct].column(sc), first), lifted_name(cs.name, sc)));
    }
    if (!cs.time_column.empty() && cs.schema.column(cs.time_column).type == ColumnType::kDatetime && cs.time_origin.empty())
      out.columns.push_back(renamed(take(d.tables[ct].column(cs.time_column), first), start_name(cs.name)));
  }
  if (n.parent >= 0) {
    // Entity (parent augmented row) of each event: the parent's augmented rows are the parent
    // table's rows in order (or the implicit entities in order), the groups' entity indices.
    entity_of_row->assign(m, -1);
    for (size_t e = 0; e < g.num_entities(); ++e)
      for (size_t i = g.offsets[e]; i < g.offsets[e + 1]; ++i) (*entity_of_row)[i] = static_cast<int64_t>(e);
    if (time_out) {
      time_out->assign(m, 0.0);
      if (n.has_time)
        for (size_t i = 0; i < m; ++i) (*time_out)[i] = off[static_cast<size_t>(rows[i])];
    }
    if (end_out) *end_out = detail::entity_ends(d, t, g);
    if (groups_out) *groups_out = std::move(g);
  }
  return out;
}

void RecordSynthesizer::fit(const Dataset& data, const RecordOptions& options, const Context& ctx) {
  ctx.validate();
  auto impl = std::make_unique<Impl>();
  impl->schema = data.schema;
  impl->options = options;
  impl->schema.validate();
  impl->plan();
  impl->build_aug_schemas(data);
  // The augmented parents of each node are needed as the children's context: build them all.
  std::vector<Table> aug(impl->nodes.size());
  for (size_t k = 0; k < impl->nodes.size(); ++k) {
    Node& n = impl->nodes[k];
    const TableSchema& ts = impl->schema.tables[static_cast<size_t>(n.table)];
    const std::string label = n.virtual_entity ? ts.name + " (entities)" : ts.name;
    std::vector<int64_t> entity;
    detail::EntityGroups g;
    std::vector<double> time, end;
    aug[k] = impl->aug_rows(data, k, &entity, &g, &time, &end);
    Context sub = ctx;
    sub.seed = mix_seed(ctx.seed, k);
    if (n.parent >= 0) impl->learn_support(aug[static_cast<size_t>(n.parent)], k);
    if (n.parent < 0) {
      if (aug[k].num_rows() == 0) throw InvalidInput("table '" + ts.name + "': no rows to learn from");
      json params = options.synthesizer_params.is_object() ? options.synthesizer_params : json::object();
      if (options.synthesizer == "cart" && !params.contains("min_leaf")) params["min_leaf"] = kRecordsCartMinLeaf;
      n.synth = tabular::create_synthesizer(options.synthesizer, params);
      n.synth->fit(aug[k], n.aug, sub);
      for (const std::string& w : n.synth->warnings()) impl->warnings.push_back(label + ": " + w);
      impl->summary[label] = json{{"model", options.synthesizer}, {"rows", aug[k].num_rows()},
                                  {"columns", n.aug.columns.size()}, {"learned", n.synth->summary()}};
      if (options.parent_filter == "detector") {
        // Rows of the fitted synthesizer against the real ones: what it over-generates.
        Context draw = sub;
        draw.seed = mix_seed(sub.seed, 0xF117E5);
        const size_t m = std::clamp<size_t>(2 * aug[k].num_rows(), 1000, 20000);
        n.filter.fit(aug[k], n.synth->sample(m, {}, draw), draw.seed);
        if (!n.filter.empty()) impl->summary[label]["filter"] = json{{"kind", "detector"}, {"acceptance", n.filter.acceptance()}};
      }
    } else {
      SequenceData sd;
      sd.context = aug[static_cast<size_t>(n.parent)];
      sd.context_schema = impl->nodes[static_cast<size_t>(n.parent)].aug;
      sd.events = aug[k];
      sd.event_schema = n.aug;
      sd.time = std::move(time);
      sd.end = std::move(end);
      sd.offsets = g.offsets;
      sd.length_column = count_name(ts.name);
      // Ends in the data are honoured by construction; NaN ends stay open.
      sd.check();
      if (sd.time.empty()) {
        // A table without rows (allergies nobody has): nothing to learn, nothing generated.
        impl->summary[label] = json{{"model", "none"}, {"entities", sd.num_entities()}, {"events", 0}};
        impl->warnings.push_back("table '" + ts.name + "' has no rows: the synthetic one will have none");
        continue;
      }
      n.seq = create_sequence_model(options.sequence_model, options.sequence_params);
      n.seq->fit(sd, sub);
      impl->summary[label] = json{{"model", options.sequence_model},
                                  {"entities", sd.num_entities()},
                                  {"events", sd.time.size()},
                                  {"event_columns", n.aug.columns.size()},
                                  {"static_copied_from_parent", n.copied}};
    }
  }
  impl_ = std::move(impl);
}

// ------------------------------------------------------------------------------------ sampling

// `count` rows of a top-level node's synthesizer; with a filter, candidates are drawn in rounds
// and each kept with its filter probability (rows still missing after 50 rounds are drawn
// unfiltered, which only a degenerate filter would need).
namespace {

Table draw_rows(const Node& n, size_t count, const Context& ctx) {
  if (n.filter.empty()) return n.synth->sample(count, {}, ctx);
  Rng rng(mix_seed(ctx.seed, 0xACCE97));
  Table out;
  size_t have = 0;
  for (int round = 0; round < 50 && have < count; ++round) {
    Context c = ctx;
    c.seed = mix_seed(ctx.seed, static_cast<uint64_t>(round));
    const size_t want = count - have;
    const size_t m = std::max<size_t>(16, static_cast<size_t>(std::ceil(1.25 * static_cast<double>(want) / n.filter.acceptance())));
    const Table cand = n.synth->sample(m, {}, c);
    const std::vector<double> keep = n.filter.keep_probability(cand);
    std::vector<int64_t> rows;
    for (size_t r = 0; r < m && rows.size() < want; ++r)
      if (rng.uniform() < keep[r]) rows.push_back(static_cast<int64_t>(r));
    Table part;
    for (const Column& col : cand.columns) part.columns.push_back(take(col, rows));
    if (have == 0) out = std::move(part);
    else tabular::append_rows(&out, part);
    have += rows.size();
  }
  if (have < count) {
    Context c = ctx;
    c.seed = mix_seed(ctx.seed, 51);
    const Table rest = n.synth->sample(count - have, {}, c);
    if (have == 0) return rest;
    tabular::append_rows(&out, rest);
  }
  return out;
}

}  // namespace

void RecordSynthesizer::Impl::sample_chunk(size_t n_entities, uint64_t chunk_seed, const Context& ctx,
                                           std::vector<size_t>* counters, Dataset* out) const {
  out->schema = schema;
  out->tables.assign(schema.tables.size(), Table{});
  std::vector<Table> aug(nodes.size());
  std::vector<std::vector<int64_t>> entity_of(nodes.size());  // child node rows -> parent aug row
  std::vector<std::vector<double>> time_of(nodes.size());
  std::vector<std::vector<int64_t>> root_of(nodes.size());    // aug row -> root entity in the chunk
  // Output key text per aug row of a node (the table's primary key, or the implicit entity key).
  std::vector<std::vector<std::string>> key_of(nodes.size());
  Rng rng(mix_seed(chunk_seed, 1000003));

  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& n = nodes[k];
    const size_t t = static_cast<size_t>(n.table);
    const TableSchema& ts = schema.tables[t];
    Context sub = ctx;
    sub.seed = mix_seed(chunk_seed, k);
    if (n.parent < 0) {
      // Rows the children's support forbids (events without their static columns, more events
      // than the densest real timeline allows) are drawn again: up to 20 rounds, then kept.
      aug[k] = draw_rows(n, n_entities, sub);
      for (int round = 1; round <= 20; ++round) {
        const std::vector<bool> ok = supported(aug[k], k);
        std::vector<size_t> bad;
        for (size_t r = 0; r < ok.size(); ++r)
          if (!ok[r]) bad.push_back(r);
        if (bad.empty()) break;
        Context again = sub;
        again.seed = mix_seed(sub.seed, static_cast<uint64_t>(round));
        const size_t draw = std::max<size_t>(bad.size() * 2, 16);
        const Table extra = draw_rows(n, draw, again);
        const std::vector<bool> extra_ok = supported(extra, k);
        size_t j = 0;
        for (size_t r = 0; r < extra.num_rows() && j < bad.size(); ++r) {
          if (!extra_ok[r]) continue;
          for (size_t c = 0; c < aug[k].columns.size(); ++c) {
            Column& dst = aug[k].columns[c];
            const Column& src = extra.columns[c];
            if (dst.storage == Storage::kNumber) {
              dst.values[bad[j]] = src.values[r];
              dst.valid[bad[j]] = src.valid[r];
            } else {
              dst.codes[bad[j]] = src.codes[r];
            }
          }
          ++j;
        }
      }
      root_of[k].resize(n_entities);
      for (size_t i = 0; i < n_entities; ++i) root_of[k][i] = static_cast<int64_t>(i);
    } else {
      const Node& p = nodes[static_cast<size_t>(n.parent)];
      const Table& ctxt = aug[static_cast<size_t>(n.parent)];
      const size_t entities = ctxt.num_rows();
      std::vector<size_t> lengths(entities, 0);
      const Column& cnt = ctxt.column(count_name(ts.name));
      const double max_count = p.aug.column(count_name(ts.name)).max;
      for (size_t e = 0; e < entities; ++e)
        if (cnt.valid[e]) lengths[e] = static_cast<size_t>(std::clamp(std::round(cnt.values[e]), 0.0, max_count));
      std::vector<double> end;
      if (!n.end_col.empty()) {
        end.assign(entities, kNaN);
        const Column& ec = ctxt.column(n.end_col);
        const Column* oc = n.origin_col.empty() ? nullptr : &ctxt.column(n.origin_col);
        for (size_t e = 0; e < entities; ++e) {
          if (!ec.valid[e]) continue;
          double v = ec.values[e];
          if (n.end_datetime) {
            if (!oc || !oc->valid[e]) continue;
            v = (v - oc->values[e]) / n.unit;
          }
          end[e] = std::max(0.0, v);
        }
      }
      SequenceData sd;
      if (n.seq) {
        sd = n.seq->sample(ctxt, lengths, end, sub);
      } else {
        for (const ColumnSchema& c : n.aug.columns) sd.events.columns.push_back(empty_like(c, 0));
        sd.offsets.assign(entities + 1, 0);
      }
      aug[k] = std::move(sd.events);
      time_of[k] = std::move(sd.time);
      entity_of[k].assign(time_of[k].size(), -1);
      for (size_t e = 0; e + 1 < sd.offsets.size(); ++e)
        for (size_t i = sd.offsets[e]; i < sd.offsets[e + 1]; ++i) entity_of[k][i] = static_cast<int64_t>(e);
      root_of[k].resize(entity_of[k].size());
      for (size_t i = 0; i < entity_of[k].size(); ++i)
        root_of[k][i] = root_of[static_cast<size_t>(n.parent)][static_cast<size_t>(entity_of[k][i])];
    }
    // Keys of this node's rows.
    const size_t m = aug[k].num_rows();
    std::string key_column = n.virtual_entity ? ts.entity_key : ts.primary_key;
    if (!key_column.empty()) {
      const Column ids = synthetic_identifiers(ts.schema.column(key_column), m, (*counters)[k] + 1);
      (*counters)[k] += m;
      key_of[k].resize(m);
      for (size_t i = 0; i < m; ++i) {
        if (ids.storage == Storage::kString) key_of[k][i] = ids.dictionary[static_cast<size_t>(ids.codes[i])];
        else {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.0f", ids.values[i]);
          key_of[k][i] = buf;
        }
      }
    }
    if (n.virtual_entity) continue;  // its columns are written with its sequence table

    // ---- the output table
    const Table* pctx = n.parent >= 0 ? &aug[static_cast<size_t>(n.parent)] : nullptr;
    std::vector<int64_t> rows_src;  // long: event per output row
    std::vector<int64_t> level_of;  // long: level per output row
    size_t out_rows = m;
    if (ts.is_long()) {
      for (size_t i = 0; i < m; ++i)
        for (size_t l = 0; l < n.levels.size(); ++l) {
          const Column& c = aug[k].columns[l];
          if (c.valid[i]) {
            rows_src.push_back(static_cast<int64_t>(i));
            level_of.push_back(static_cast<int64_t>(l));
          }
        }
      out_rows = rows_src.size();
    } else {
      rows_src.resize(m);
      for (size_t i = 0; i < m; ++i) rows_src[i] = static_cast<int64_t>(i);
    }
    std::vector<int64_t> parent_row(out_rows, -1);
    if (n.parent >= 0)
      for (size_t i = 0; i < out_rows; ++i) parent_row[i] = entity_of[k][static_cast<size_t>(rows_src[i])];

    Table& table = out->tables[t];
    for (const ColumnSchema& cs : ts.schema.columns) {
      Column col = empty_like(cs, out_rows);
      std::unordered_map<std::string, int32_t> key_code;
      auto set_key = [&](size_t i, const std::string& key) {
        if (col.storage == Storage::kString) {
          auto it = key_code.find(key);
          if (it == key_code.end()) {
            col.dictionary.push_back(key);
            it = key_code.emplace(key, static_cast<int32_t>(col.dictionary.size() - 1)).first;
          }
          col.codes[i] = it->second;
        } else {
          col.values[i] = std::strtod(key.c_str(), nullptr);
          col.valid[i] = 1;
        }
      };
      const bool is_static = std::find(ts.static_columns.begin(), ts.static_columns.end(), cs.name) != ts.static_columns.end();
      if (cs.name == ts.primary_key) {
        for (size_t i = 0; i < out_rows && !ts.is_long(); ++i) set_key(i, key_of[k][i]);
        if (ts.is_long()) {
          const Column ids = synthetic_identifiers(cs, out_rows, (*counters)[nodes.size() + t] + 1);
          (*counters)[nodes.size() + t] += out_rows;
          col = ids;
          col.name = cs.name;
        }
      } else if (n.parent >= 0 && (cs.name == ts.entity_key || (ts.entity_key.empty() && ts.foreign_key(cs.name) &&
                                                                 &ts.foreign_keys[0] == ts.foreign_key(cs.name)))) {
        for (size_t i = 0; i < out_rows; ++i)
          if (parent_row[i] >= 0) set_key(i, key_of[static_cast<size_t>(n.parent)][static_cast<size_t>(parent_row[i])]);
      } else if (const ForeignKey* fk = ts.foreign_key(cs.name)) {
        // A secondary reference: a row of the referenced table within the same top-level entity.
        const int rt = schema.find(fk->parent);
        int rnode = -1;
        for (size_t j = 0; j < k; ++j)
          if (nodes[j].table == rt && !nodes[j].virtual_entity) rnode = static_cast<int>(j);
        if (rnode >= 0) {
          std::unordered_map<int64_t, std::vector<size_t>> by_root;
          for (size_t i = 0; i < key_of[static_cast<size_t>(rnode)].size(); ++i)
            by_root[root_of[static_cast<size_t>(rnode)][i]].push_back(i);
          for (size_t i = 0; i < out_rows; ++i) {
            const int64_t root = root_of[k][static_cast<size_t>(rows_src[i])];
            auto it = by_root.find(root);
            if (it == by_root.end() || it->second.empty()) continue;
            set_key(i, key_of[static_cast<size_t>(rnode)][it->second[rng.below(it->second.size())]]);
          }
        }
      } else if (n.parent >= 0 && cs.name == ts.time_column) {
        const Column* oc = n.origin_col.empty() ? nullptr : &pctx->column(n.origin_col);
        for (size_t i = 0; i < out_rows; ++i) {
          const size_t ev = static_cast<size_t>(rows_src[i]);
          double v = time_of[k][ev];
          if (n.datetime_time) {
            const size_t e = static_cast<size_t>(parent_row[i]);
            if (!oc || !oc->valid[e]) continue;
            v = oc->values[e] + v * n.unit;
          }
          col.values[i] = v;
          col.valid[i] = 1;
        }
        // Rounding only: clipping a time to the column's range could move it past the end.
        ColumnSchema round_only = cs;
        round_only.min = round_only.max = kNaN;
        apply_constraints(col, round_only);
      } else if (n.parent >= 0 && is_static) {
        const bool copy = std::count(n.copied.begin(), n.copied.end(), cs.name) > 0;
        const Column& src = pctx->column(copy ? cs.name : lifted_name(ts.name, cs.name));
        col = renamed(take(src, parent_row), cs.name);
      } else if (ts.is_long() && cs.name == ts.series_column) {
        for (size_t i = 0; i < out_rows; ++i) {
          const std::string& level = n.levels[static_cast<size_t>(level_of[i])];
          auto it = std::find(col.dictionary.begin(), col.dictionary.end(), level);
          if (it == col.dictionary.end()) {
            col.dictionary.push_back(level);
            it = col.dictionary.end() - 1;
          }
          col.codes[i] = static_cast<int32_t>(it - col.dictionary.begin());
        }
      } else if (ts.is_long() && cs.name == ts.value_column) {
        for (size_t i = 0; i < out_rows; ++i) {
          const Column& c = aug[k].columns[static_cast<size_t>(level_of[i])];
          col.values[i] = c.values[static_cast<size_t>(rows_src[i])];
          col.valid[i] = 1;
        }
      } else if (ts.is_long() && cs.name == ts.unit_column) {
        for (size_t i = 0; i < out_rows; ++i) {
          const std::string& u = n.level_units[static_cast<size_t>(level_of[i])];
          if (u.empty()) continue;
          auto it = std::find(col.dictionary.begin(), col.dictionary.end(), u);
          if (it == col.dictionary.end()) continue;  // closed categorical: units were its values
          col.codes[i] = static_cast<int32_t>(it - col.dictionary.begin());
        }
      } else if (!ts.is_long() && aug[k].find(cs.name) >= 0) {
        col = renamed(aug[k].column(cs.name), cs.name);
      } else if (cs.type == ColumnType::kIdentifier) {
        col = synthetic_identifiers(cs, out_rows, (*counters)[nodes.size() + t] + 1);
        (*counters)[nodes.size() + t] += out_rows;
        col.name = cs.name;
      }
      // Anything else (free text, unlearned columns) stays missing.
      table.columns.push_back(std::move(col));
    }
  }
}

void RecordSynthesizer::sample(size_t n, const Context& ctx, size_t chunk,
                               const std::function<void(const Dataset&)>& sink) const {
  if (impl_->nodes.empty()) throw InvalidInput("records model: nothing was fitted");
  if (n == 0) throw InvalidInput("records: the number of entities must be at least 1");
  if (chunk == 0) chunk = 1000;
  std::vector<size_t> counters(impl_->nodes.size() + impl_->schema.tables.size(), 0);
  size_t done = 0;
  for (uint64_t c = 0; done < n; ++c) {
    const size_t m = std::min(chunk, n - done);
    Dataset out;
    impl_->sample_chunk(m, mix_seed(ctx.seed, c), ctx, &counters, &out);
    sink(out);
    done += m;
  }
}

Dataset RecordSynthesizer::sample(size_t n, const Context& ctx) const {
  Dataset all;
  bool first = true;
  sample(n, ctx, 1000, [&](const Dataset& chunk) {
    if (first) {
      all = chunk;
      first = false;
      return;
    }
    for (size_t t = 0; t < all.tables.size(); ++t) {
      Table& dst = all.tables[t];
      const Table& src = chunk.tables[t];
      for (size_t c = 0; c < dst.columns.size(); ++c) {
        Column& a = dst.columns[c];
        const Column& b = src.columns[c];
        if (a.storage == Storage::kNumber) {
          a.values.insert(a.values.end(), b.values.begin(), b.values.end());
          a.valid.insert(a.valid.end(), b.valid.begin(), b.valid.end());
        } else {
          // Dictionaries may differ (keys): re-encode.
          std::unordered_map<std::string, int32_t> idx;
          for (size_t i = 0; i < a.dictionary.size(); ++i) idx.emplace(a.dictionary[i], static_cast<int32_t>(i));
          for (int32_t code : b.codes) {
            if (code < 0) {
              a.codes.push_back(-1);
              continue;
            }
            const std::string& s = b.dictionary[static_cast<size_t>(code)];
            auto it = idx.find(s);
            if (it == idx.end()) {
              a.dictionary.push_back(s);
              it = idx.emplace(s, static_cast<int32_t>(a.dictionary.size() - 1)).first;
            }
            a.codes.push_back(it->second);
          }
        }
      }
    }
  });
  return all;
}

// ------------------------------------------------------------------------------------ files

bool RecordSynthesizer::is_records_header(const json& header) {
  return header.is_object() && header.contains("kind") && header["kind"] == "records";
}

void RecordSynthesizer::save(const std::string& path, const RecordProvenance& p) const {
  ModelFile m;
  json parts = json::array();
  for (const Node& n : impl_->nodes) {
    json state;
    std::string payload;
    json part{{"table", impl_->schema.tables[static_cast<size_t>(n.table)].name},
              {"virtual_entity", n.virtual_entity},
              {"aug_schema", json::parse(n.aug.to_json().dump())},
              {"levels", n.levels},
              {"level_units", n.level_units},
              {"copied", n.copied},
              {"present_when_events", n.present_when_events},
              {"max_rate", std::isnan(n.max_rate) ? json(nullptr) : json(n.max_rate)}};
    if (!n.filter.empty()) part["filter"] = n.filter.to_json();
    if (n.synth) {
      n.synth->save_state(&state, &payload);
      part["synthesizer"] = n.synth->name();
      part["params"] = n.synth->params();
    } else if (n.seq) {
      n.seq->save_state(&state, &payload);
      part["sequence_model"] = n.seq->name();
      part["params"] = n.seq->params();
    } else {
      part["sequence_model"] = "none";  // a table without rows
      part["params"] = json::object();
      state = json::object();
    }
    part["state"] = std::move(state);
    part["payload_offset"] = m.payload.size();
    part["payload_size"] = payload.size();
    m.payload += payload;
    parts.push_back(std::move(part));
  }
  m.header = json{{"medgen_version", MEDGEN_VERSION},
                  {"kind", "records"},
                  {"dataset", json::parse(impl_->schema.to_json().dump())},
                  {"options",
                   {{"synthesizer", impl_->options.synthesizer},
                    {"synthesizer_params", impl_->options.synthesizer_params},
                    {"sequence_model", impl_->options.sequence_model},
                    {"sequence_params", impl_->options.sequence_params},
                    {"parent_filter", impl_->options.parent_filter}}},
                  {"parts", std::move(parts)},
                  {"summary", impl_->summary},
                  {"provenance",
                   {{"input", p.input_name},
                    {"input_sha256", p.input_sha256},
                    {"entities", p.entities},
                    {"train_seconds", p.train_seconds},
                    {"seed", p.seed},
                    {"threads", p.threads}}}};
  m.save(path);
}

RecordSynthesizer RecordSynthesizer::load(const std::string& path, json* header) {
  const ModelFile m = ModelFile::load(path);
  return load_bytes(m.serialize(), path, header);
}

RecordSynthesizer RecordSynthesizer::load_bytes(const std::string& bytes, const std::string& source, json* header) {
  const ModelFile m = ModelFile::deserialize(bytes, source);
  auto fail = [&](const std::string& what) { return ModelFormat(source + ": " + what); };
  const json& h = m.header;
  if (!is_records_header(h)) throw fail("not a records model (header 'kind' is not \"records\")");
  RecordSynthesizer rs;
  Impl& impl = *rs.impl_;
  try {
    impl.schema = DatasetSchema::from_json(h.at("dataset"), source + ": dataset");
    const json& o = h.at("options");
    impl.options.synthesizer = o.at("synthesizer").get<std::string>();
    impl.options.synthesizer_params = o.at("synthesizer_params");
    impl.options.sequence_model = o.at("sequence_model").get<std::string>();
    impl.options.sequence_params = o.at("sequence_params");
    // Files written before the filter existed have none.
    impl.options.parent_filter = o.contains("parent_filter") ? o.at("parent_filter").get<std::string>() : "none";
    if (impl.options.parent_filter != "detector" && impl.options.parent_filter != "none")
      throw fail("options.parent_filter: expected \"detector\" or \"none\"");
    if (h.contains("summary")) impl.summary = h["summary"];
    impl.plan();
    const json& parts = h.at("parts");
    if (!parts.is_array() || parts.size() != impl.nodes.size())
      throw fail("'parts' must list " + std::to_string(impl.nodes.size()) + " models for this dataset");
    for (size_t k = 0; k < impl.nodes.size(); ++k) {
      Node& n = impl.nodes[k];
      const json& part = parts[k];
      const std::string at = "parts[" + std::to_string(k) + "]";
      if (part.at("table").get<std::string>() != impl.schema.tables[static_cast<size_t>(n.table)].name ||
          part.at("virtual_entity").get<bool>() != n.virtual_entity)
        throw fail(at + ": does not match the dataset's tables");
      n.aug = Schema::from_json(part.at("aug_schema"), source + ": " + at + ".aug_schema");
      n.levels = part.at("levels").get<std::vector<std::string>>();
      n.level_units = part.at("level_units").get<std::vector<std::string>>();
      if (n.level_units.size() != n.levels.size()) throw fail(at + ": levels and level_units differ in length");
      n.copied = part.at("copied").get<std::vector<std::string>>();
      n.present_when_events = part.at("present_when_events").get<std::vector<std::string>>();
      n.max_rate = part.at("max_rate").is_null() ? kNaN : part.at("max_rate").get<double>();
      if (!std::isnan(n.max_rate) && !(n.max_rate >= 0 && std::isfinite(n.max_rate))) throw fail(at + ": max_rate out of range");
      if (part.contains("filter")) {
        if (n.parent >= 0) throw fail(at + ": a filter on a table that is not top-level");
        try {
          n.filter = detail::RatioFilter::from_json(part.at("filter"), at + ".filter");
        } catch (const InvalidInput& e) {
          throw fail(e.what());
        }
      }
      const uint64_t off = part.at("payload_offset").get<uint64_t>(), size = part.at("payload_size").get<uint64_t>();
      if (off > m.payload.size() || size > m.payload.size() - off) throw fail(at + ": payload range outside the file");
      const std::string payload = m.payload.substr(off, size);
      const TableSchema& ts = impl.schema.tables[static_cast<size_t>(n.table)];
      for (const std::string& l : n.levels)
        if (n.aug.find(l) < 0) throw fail(at + ": level '" + l + "' has no column");
      n.base.clear();
      if (!n.virtual_entity) {
        if (ts.is_long()) n.base = n.levels;
        else
          for (const ColumnSchema& c : ts.schema.columns)
            if (n.aug.find(c.name) >= 0) n.base.push_back(c.name);
      }
      if (n.parent < 0) {
        n.synth = tabular::create_synthesizer(part.at("synthesizer").get<std::string>(), part.at("params"));
        n.synth->restore(n.aug, part.at("state"), payload);
      } else {
        const std::string model = part.at("sequence_model").get<std::string>();
        if (model != "none") {
          n.seq = create_sequence_model(model, part.at("params"));
          n.seq->load_state(part.at("state"), payload);
        }
      }
    }
    // Children's counts and time columns must be in their parents' schemas.
    for (size_t k = 0; k < impl.nodes.size(); ++k) {
      const Node& n = impl.nodes[k];
      for (size_t ci : n.children) {
        const std::string cn = count_name(impl.schema.tables[static_cast<size_t>(impl.nodes[ci].table)].name);
        if (n.aug.find(cn) < 0) throw fail("parts[" + std::to_string(k) + "]: no column '" + cn + "'");
        for (const std::string& c : impl.nodes[ci].present_when_events)
          if (n.aug.find(c) < 0) throw fail("parts[" + std::to_string(ci) + "]: column '" + c + "' is not in the parent's model");
        for (const std::string& c : impl.nodes[ci].copied)
          if (n.aug.find(c) < 0) throw fail("parts[" + std::to_string(ci) + "]: copied column '" + c + "' is not in the parent's model");
      }
    }
    // Time handling from the schemas (the same code as fit).
    for (Node& n : impl.nodes) {
      if (n.parent < 0) continue;
      const TableSchema& ts = impl.schema.tables[static_cast<size_t>(n.table)];
      const Node& p = impl.nodes[static_cast<size_t>(n.parent)];
      n.has_time = !ts.time_column.empty();
      if (!n.has_time) continue;
      n.datetime_time = ts.schema.column(ts.time_column).type == ColumnType::kDatetime;
      n.unit = detail::unit_seconds(ts.time_unit);
      auto resolve = [&](const std::string& ref) {
        const size_t dot = ref.rfind('.');
        const std::string rt = ref.substr(0, dot), rc = ref.substr(dot + 1);
        const std::string name = rt == ts.name ? lifted_name(ts.name, rc) : rc;
        if (p.aug.find(name) < 0) throw fail("table '" + ts.name + "': '" + ref + "' is not in the parent's model");
        return name;
      };
      if (!ts.time_origin.empty()) n.origin_col = resolve(ts.time_origin);
      else if (n.datetime_time) {
        n.origin_col = start_name(ts.name);
        if (p.aug.find(n.origin_col) < 0) throw fail("table '" + ts.name + "': no start column in the parent's model");
      }
      if (!ts.end_column.empty()) {
        n.end_col = resolve(ts.end_column);
        n.end_datetime = p.aug.column(n.end_col).type == ColumnType::kDatetime;
      }
    }
  } catch (const ModelFormat&) {
    throw;
  } catch (const json::exception& e) {
    throw fail(std::string("malformed header (") + e.what() + ")");
  } catch (const InvalidInput& e) {
    throw fail(e.what());
  }
  if (header) *header = h;
  return rs;
}

}  // namespace medgen::records
