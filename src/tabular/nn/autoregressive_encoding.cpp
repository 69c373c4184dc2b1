#include "autoregressive_encoding.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "medgen/core/error.h"
#include "../privacy.h"
#include "../state_check.h"

namespace medgen::tabular::ar {

using json = nlohmann::json;

namespace {

constexpr size_t kCoarseMinCount = 5;  // privacy "coarse": atoms only for values seen this often

bool is_numeric(ColumnType t) { return t == ColumnType::kNumerical || t == ColumnType::kDatetime; }
bool is_categorical(ColumnType t) { return t == ColumnType::kCategorical || t == ColumnType::kBoolean; }
bool is_learned(ColumnType t) { return is_numeric(t) || is_categorical(t); }

const Column& column_for(const Table& table, const ColumnSchema& cs) {
  const int ti = table.find(cs.name);
  if (ti < 0) throw InvalidInput("the table lacks column '" + cs.name + "' named in the schema");
  const Column& col = table.columns[static_cast<size_t>(ti)];
  const Storage want = is_numeric(cs.type) ? Storage::kNumber : Storage::kString;
  if (col.storage != want)
    throw InvalidInput("column '" + cs.name + "' must hold " + (want == Storage::kNumber ? "numbers" : "labels"));
  return col;
}

// For each entry of col's dictionary, its index in the schema's values (-1: not listed).
std::vector<int32_t> dictionary_levels(const Column& col, const ColumnSchema& cs) {
  std::map<std::string, int32_t> index;
  for (size_t k = 0; k < cs.values.size(); ++k) index.emplace(cs.values[k], static_cast<int32_t>(k));
  std::vector<int32_t> out(col.dictionary.size(), -1);
  for (size_t k = 0; k < col.dictionary.size(); ++k) {
    const auto it = index.find(col.dictionary[k]);
    if (it != index.end()) out[k] = it->second;
  }
  return out;
}

int32_t level_of(const Column& col, const std::vector<int32_t>& dict_level, const ColumnSchema& cs, size_t r) {
  const int32_t code = col.codes[r];
  if (code < 0) return kMissingLevel;
  if (static_cast<size_t>(code) >= dict_level.size() || dict_level[static_cast<size_t>(code)] < 0)
    throw InvalidInput("column '" + cs.name + "': value '" +
                       (static_cast<size_t>(code) < col.dictionary.size() ? col.dictionary[static_cast<size_t>(code)] : "?") +
                       "' is not one of the schema's values");
  return dict_level[static_cast<size_t>(code)];
}

ColumnCode fit_categorical(const Column& col, const ColumnSchema& cs, int max_categories) {
  ColumnCode code;
  const std::vector<int32_t> dict_level = dictionary_levels(col, cs);
  std::vector<double> counts(cs.values.size(), 0.0);
  size_t missing = 0;
  for (size_t r = 0; r < col.size(); ++r) {
    const int32_t l = level_of(col, dict_level, cs, r);
    if (l == kMissingLevel)
      ++missing;
    else
      counts[static_cast<size_t>(l)] += 1;
  }
  std::vector<int32_t> seen;
  for (size_t l = 0; l < counts.size(); ++l)
    if (counts[l] > 0) seen.push_back(static_cast<int32_t>(l));
  std::vector<uint8_t> kept(cs.values.size(), 0);
  if (seen.size() > static_cast<size_t>(max_categories)) {
    std::vector<int32_t> by_count = seen;
    std::stable_sort(by_count.begin(), by_count.end(),
                     [&](int32_t a, int32_t b) { return counts[static_cast<size_t>(a)] > counts[static_cast<size_t>(b)]; });
    for (int i = 0; i < max_categories - 1; ++i) kept[static_cast<size_t>(by_count[static_cast<size_t>(i)])] = 1;
  } else {
    for (int32_t l : seen) kept[static_cast<size_t>(l)] = 1;
  }
  for (int32_t l : seen) {
    if (kept[static_cast<size_t>(l)]) {
      code.slot_level.push_back(l);
    } else {
      code.other_levels.push_back(l);
      code.other_weights.push_back(counts[static_cast<size_t>(l)]);
    }
  }
  if (!code.other_levels.empty()) code.slot_level.push_back(kOtherLevel);
  if (missing > 0) code.slot_level.push_back(kMissingLevel);
  code.has_missing = missing > 0;
  return code;
}

ColumnCode fit_numeric(const Column& col, const ColumnSchema& cs, int bins, bool coarse,
                       std::vector<std::string>* warnings) {
  ColumnCode code;
  code.numeric = true;
  std::vector<double> vals;
  vals.reserve(col.size());
  for (size_t r = 0; r < col.size(); ++r)
    if (col.valid[r] && std::isfinite(col.values[r])) vals.push_back(col.values[r]);
  code.has_missing = vals.size() < col.size();
  if (vals.empty()) {
    if (warnings) warnings->push_back("column '" + cs.name + "' is entirely missing: synthesized as missing");
    return code;
  }
  std::sort(vals.begin(), vals.end());
  std::vector<double> distinct;
  std::vector<size_t> counts;
  for (double x : vals) {
    if (distinct.empty() || distinct.back() != x) {
      distinct.push_back(x);
      counts.push_back(0);
    }
    ++counts.back();
  }
  const size_t nv = vals.size();
  // Atoms: every value of a column with few of them, else the heavy ones (at least 1/bins of
  // the values: a bin could not separate them from their neighbours).
  size_t min_count = distinct.size() <= static_cast<size_t>(bins)
                         ? 1
                         : std::max<size_t>(2, static_cast<size_t>(std::ceil(static_cast<double>(nv) / bins)));
  if (coarse) min_count = std::max(min_count, kCoarseMinCount);
  std::vector<double> rest;
  for (size_t i = 0; i < distinct.size(); ++i) {
    if (counts[i] >= min_count && code.atoms.size() + 1 < static_cast<size_t>(bins)) {
      code.atoms.push_back(distinct[i]);
    } else {
      rest.insert(rest.end(), counts[i], distinct[i]);
    }
  }
  if (!rest.empty()) {
    const size_t m = std::max<size_t>(1, static_cast<size_t>(bins) - code.atoms.size());
    const double last = static_cast<double>(rest.size() - 1);
    for (size_t k = 0; k <= m; ++k) {
      const double e = rest[static_cast<size_t>(std::llround(last * static_cast<double>(k) / static_cast<double>(m)))];
      if (code.edges.empty() || e > code.edges.back()) code.edges.push_back(e);
    }
    if (code.edges.size() == 1) code.edges.push_back(code.edges.front());  // one value: a bin of width 0
  }
  return code;
}

}  // namespace

int64_t ColumnCode::missing_token() const {
  if (!has_missing) return -1;
  if (numeric) return tokens() - 1;
  const auto it = std::find(slot_level.begin(), slot_level.end(), kMissingLevel);
  return it == slot_level.end() ? -1 : static_cast<int64_t>(it - slot_level.begin());
}

int64_t ColumnCode::numeric_token(double x) const {
  const auto a = std::lower_bound(atoms.begin(), atoms.end(), x);
  if (a != atoms.end() && *a == x) return static_cast<int64_t>(a - atoms.begin());
  if (bins() > 0) {
    int64_t b = static_cast<int64_t>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin()) - 1;
    b = std::clamp<int64_t>(b, 0, bins() - 1);
    return static_cast<int64_t>(atoms.size()) + b;
  }
  if (atoms.empty()) return -1;
  // Only atoms: the nearest one.
  if (a == atoms.end()) return static_cast<int64_t>(atoms.size()) - 1;
  if (a == atoms.begin()) return 0;
  return x - *(a - 1) <= *a - x ? static_cast<int64_t>(a - atoms.begin()) - 1 : static_cast<int64_t>(a - atoms.begin());
}

double ColumnCode::numeric_value(int64_t token, Rng& rng) const {
  if (token < static_cast<int64_t>(atoms.size())) return atoms[static_cast<size_t>(token)];
  const int64_t b = token - static_cast<int64_t>(atoms.size());
  const double lo = edges[static_cast<size_t>(b)], hi = edges[static_cast<size_t>(b + 1)];
  if (integer) {
    const double ilo = std::ceil(lo);
    double ihi = b == bins() - 1 ? std::floor(hi) : std::ceil(hi) - 1;
    if (ihi < ilo) ihi = ilo;
    const double span = ihi - ilo;
    if (span < 9e15) return ilo + static_cast<double>(rng.below(static_cast<uint64_t>(span) + 1));
  }
  return lo + rng.uniform() * (hi - lo);
}

int32_t ColumnCode::level(int64_t token, Rng& rng) const {
  const int32_t l = slot_level[static_cast<size_t>(token)];
  if (l != kOtherLevel) return l;
  // "other": a folded level in proportion to its weight (uniformly if none has one).
  const double total = std::accumulate(other_weights.begin(), other_weights.end(), 0.0);
  if (!(total > 0)) return other_levels[static_cast<size_t>(rng.below(other_levels.size()))];
  double u = rng.uniform() * total;
  for (size_t i = 0; i < other_levels.size(); ++i) {
    if (u < other_weights[i]) return other_levels[i];
    u -= other_weights[i];
  }
  for (size_t i = other_levels.size(); i-- > 0;)
    if (other_weights[i] > 0) return other_levels[i];
  return other_levels.back();
}

void Encoding::fit(const Table& table, const Schema& schema, int bins, int max_categories, bool coarse,
                   std::vector<std::string>* warnings) {
  codes_.clear();
  for (size_t ci = 0; ci < schema.columns.size(); ++ci) {
    const ColumnSchema& cs = schema.columns[ci];
    if (!is_learned(cs.type)) continue;
    const Column& col = column_for(table, cs);
    ColumnCode code = is_numeric(cs.type) ? fit_numeric(col, cs, bins, coarse, warnings)
                                          : fit_categorical(col, cs, max_categories);
    code.schema_index = static_cast<int>(ci);
    code.integer = cs.type == ColumnType::kNumerical && cs.integer;
    codes_.push_back(std::move(code));
  }
  if (codes_.empty())
    throw InvalidInput("nothing to learn: every column is text or an identifier (neither is learned); "
                       "give numerical, categorical, boolean or datetime columns, or change the column types in a schema");
  finish(schema);
}

void Encoding::finish(const Schema& schema) {
  offsets_.clear();
  total_ = 0;
  for (ColumnCode& code : codes_) {
    offsets_.push_back(total_);
    total_ += code.tokens();
    if (code.numeric) continue;
    code.level_slot.assign(schema.columns[static_cast<size_t>(code.schema_index)].values.size(), -1);
    for (size_t k = 0; k < code.slot_level.size(); ++k)
      if (code.slot_level[k] >= 0) code.level_slot[static_cast<size_t>(code.slot_level[k])] = static_cast<int32_t>(k);
    const auto other = std::find(code.slot_level.begin(), code.slot_level.end(), kOtherLevel);
    for (int32_t l : code.other_levels)
      code.level_slot[static_cast<size_t>(l)] = static_cast<int32_t>(other - code.slot_level.begin());
  }
}

int Encoding::column_of(int schema_index) const {
  for (size_t c = 0; c < codes_.size(); ++c)
    if (codes_[c].schema_index == schema_index) return static_cast<int>(c);
  return -1;
}

int64_t Encoding::max_tokens() const {
  int64_t m = 0;
  for (const ColumnCode& code : codes_) m = std::max(m, code.tokens());
  return m;
}

std::vector<int64_t> Encoding::encode(const Table& table, const Schema& schema, std::vector<uint8_t>* present) const {
  const size_t n = table.num_rows(), d = codes_.size();
  std::vector<int64_t> out(n * d, -1);
  if (present) present->assign(n * d, 0);
  for (size_t c = 0; c < d; ++c) {
    const ColumnCode& code = codes_[c];
    const ColumnSchema& cs = schema.columns[static_cast<size_t>(code.schema_index)];
    const Column& col = column_for(table, cs);
    if (col.size() != n) throw InvalidInput("column '" + cs.name + "' has another number of rows");
    const int64_t missing = code.missing_token();
    if (code.numeric) {
      for (size_t r = 0; r < n; ++r) {
        const bool ok = col.valid[r] && std::isfinite(col.values[r]);
        out[r * d + c] = ok ? code.numeric_token(col.values[r]) : missing;
        if (present) (*present)[r * d + c] = ok;
      }
    } else {
      const std::vector<int32_t> dict_level = dictionary_levels(col, cs);
      for (size_t r = 0; r < n; ++r) {
        const int32_t l = level_of(col, dict_level, cs, r);
        if (present) (*present)[r * d + c] = l != kMissingLevel;
        if (l == kMissingLevel) {
          out[r * d + c] = missing;
        } else if (static_cast<size_t>(l) < code.level_slot.size()) {
          out[r * d + c] = code.level_slot[static_cast<size_t>(l)];  // -1 for a level never seen in training
        }
      }
    }
  }
  return out;
}

Column Encoding::decode(size_t c, const int64_t* tokens, size_t stride, size_t rows, const Schema& schema, Rng& rng) const {
  const ColumnCode& code = codes_[c];
  const ColumnSchema& cs = schema.columns[static_cast<size_t>(code.schema_index)];
  const int64_t missing = code.missing_token();
  if (code.numeric) {
    Column col = Column::numbers(cs.name, rows);
    for (size_t r = 0; r < rows; ++r) {
      const int64_t t = tokens[r * stride + c];
      if (t < 0 || t == missing) continue;
      col.values[r] = code.numeric_value(t, rng);
      col.valid[r] = 1;
    }
    apply_constraints(col, cs);
    return col;
  }
  Column col = Column::strings(cs.name, rows, cs.values);
  for (size_t r = 0; r < rows; ++r) {
    const int64_t t = tokens[r * stride + c];
    col.codes[r] = t < 0 ? kMissingLevel : code.level(t, rng);
  }
  return col;
}

void Encoding::coarsen(Schema* schema) {
  for (ColumnCode& code : codes_) {
    if (code.numeric && !code.edges.empty()) {
      const ColumnSchema& cs = schema->columns[static_cast<size_t>(code.schema_index)];
      const double step = privacy::bounds_step(cs, code.edges.front(), code.edges.back());
      const double lo = privacy::round_down(code.edges.front(), step), hi = privacy::round_up(code.edges.back(), step);
      for (size_t k = 0; k < code.edges.size(); ++k) {
        double e = k == 0 ? lo : k + 1 == code.edges.size() ? hi : privacy::round_significant(code.edges[k]);
        e = std::clamp(e, lo, hi);
        if (k > 0) e = std::max(e, code.edges[k - 1]);
        code.edges[k] = e;
      }
    }
    const double total = std::accumulate(code.other_weights.begin(), code.other_weights.end(), 0.0);
    for (double& w : code.other_weights) w = total > 0 ? privacy::round_share(w / total) : 0.0;
  }
  for (ColumnSchema& c : schema->columns) privacy::round_bounds(c);
}

json Encoding::to_json() const {
  json cols = json::array();
  for (const ColumnCode& code : codes_) {
    json c;
    c["schema_index"] = code.schema_index;
    if (code.numeric) {
      c["atoms"] = code.atoms;
      c["edges"] = code.edges;
      c["missing"] = code.has_missing;
    } else {
      c["slot_level"] = code.slot_level;
      c["other_levels"] = code.other_levels;
      c["other_weights"] = code.other_weights;
    }
    cols.push_back(std::move(c));
  }
  return json{{"columns", cols}};
}

Encoding Encoding::from_json(const json& j, const Schema& schema, int max_bins, int max_categories) {
  namespace st = tabular::state;
  Encoding e;
  const json& cols = st::array(st::member(j, "columns", "encoding"), "encoding.columns");
  std::vector<int> learned;
  for (size_t ci = 0; ci < schema.columns.size(); ++ci)
    if (is_learned(schema.columns[ci].type)) learned.push_back(static_cast<int>(ci));
  if (cols.size() != learned.size())
    st::fail("encoding.columns: " + std::to_string(cols.size()) + " entries for " + std::to_string(learned.size()) +
             " learned columns");
  if (learned.empty()) st::fail("encoding.columns: nothing learned");
  for (size_t c = 0; c < cols.size(); ++c) {
    const std::string where = "encoding.columns[" + std::to_string(c) + "]";
    const json& jc = st::object(cols[c], where);
    ColumnCode code;
    code.schema_index = static_cast<int>(st::integer(st::member(jc, "schema_index", where), learned[c], learned[c], where + ".schema_index"));
    const ColumnSchema& cs = schema.columns[static_cast<size_t>(code.schema_index)];
    code.numeric = is_numeric(cs.type);
    code.integer = cs.type == ColumnType::kNumerical && cs.integer;
    if (code.numeric) {
      code.atoms = st::finite_array(st::member(jc, "atoms", where), where + ".atoms");
      code.edges = st::finite_array(st::member(jc, "edges", where), where + ".edges");
      const json& miss = st::member(jc, "missing", where);
      if (!miss.is_boolean()) st::fail(where + ".missing: expected true or false");
      code.has_missing = miss.get<bool>();
      for (size_t k = 1; k < code.atoms.size(); ++k)
        if (!(code.atoms[k] > code.atoms[k - 1])) st::fail(where + ".atoms: not increasing");
      for (size_t k = 1; k < code.edges.size(); ++k)
        if (!(code.edges[k] >= code.edges[k - 1])) st::fail(where + ".edges: decreasing");
      if (code.edges.size() == 1) st::fail(where + ".edges: one edge makes no bin");
      if (code.atoms.size() + static_cast<size_t>(code.bins()) > static_cast<size_t>(max_bins))
        st::fail(where + ": more atoms and bins than the option 'bins' allows");
    } else {
      const int64_t nvalues = static_cast<int64_t>(cs.values.size());
      const json& sl = st::array(st::member(jc, "slot_level", where), where + ".slot_level");
      if (sl.size() > static_cast<size_t>(max_categories) + 1 || sl.size() > cs.values.size() + 2)
        st::fail(where + ".slot_level: more tokens than the column can have");
      std::vector<uint8_t> used(cs.values.size(), 0);
      bool other = false;
      for (size_t k = 0; k < sl.size(); ++k) {
        const int32_t l = static_cast<int32_t>(st::integer(sl[k], kOtherLevel, nvalues - 1, where + ".slot_level"));
        if (l >= 0) {
          if (used[static_cast<size_t>(l)]) st::fail(where + ".slot_level: level repeated");
          used[static_cast<size_t>(l)] = 1;
        } else if (l == kOtherLevel) {
          if (other) st::fail(where + ".slot_level: two 'other' tokens");
          other = true;
        } else {
          if (code.has_missing) st::fail(where + ".slot_level: two 'missing' tokens");
          code.has_missing = true;
        }
        code.slot_level.push_back(l);
      }
      const json& ol = st::array(st::member(jc, "other_levels", where), where + ".other_levels");
      for (size_t k = 0; k < ol.size(); ++k) {
        const int32_t l = static_cast<int32_t>(st::integer(ol[k], 0, nvalues - 1, where + ".other_levels"));
        if (used[static_cast<size_t>(l)]) st::fail(where + ".other_levels: level repeated");
        used[static_cast<size_t>(l)] = 1;
        code.other_levels.push_back(l);
      }
      code.other_weights = st::finite_array(st::member(jc, "other_weights", where), where + ".other_weights");
      if (code.other_weights.size() != code.other_levels.size())
        st::fail(where + ".other_weights: not one per folded level");
      for (double w : code.other_weights)
        if (w < 0) st::fail(where + ".other_weights: must be non-negative");
      if (other != !code.other_levels.empty()) st::fail(where + ": an 'other' token needs folded levels and back");
    }
    if (code.tokens() < 1) st::fail(where + ": no tokens");
    e.codes_.push_back(std::move(code));
  }
  e.finish(schema);
  return e;
}

}  // namespace medgen::tabular::ar
