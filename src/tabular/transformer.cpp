#include "medgen/tabular/transformer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <unordered_map>

#include "medgen/core/error.h"
#include "privacy.h"

namespace medgen::tabular {

namespace {

constexpr int kFormatVersion = 1;
constexpr const char* kFormatName = "medgen.data_transformer";

bool is_numeric(ColumnType t) { return t == ColumnType::kNumerical || t == ColumnType::kDatetime; }
bool is_categorical(ColumnType t) { return t == ColumnType::kCategorical || t == ColumnType::kBoolean; }

const Column& find_column(const Table& table, const ColumnSchema& cs) {
  const int i = table.find(cs.name);
  if (i < 0) throw InvalidInput("missing column '" + cs.name + "'");
  const Column& col = table.columns[static_cast<size_t>(i)];
  const Storage want = is_numeric(cs.type) ? Storage::kNumber : Storage::kString;
  if (col.storage != want)
    throw InvalidInput("column '" + cs.name + "' is stored as " +
                       (col.storage == Storage::kNumber ? "numbers" : "strings") + " but its schema type is " +
                       to_string(cs.type));
  if (col.size() != table.num_rows()) throw InvalidInput("column '" + cs.name + "' has a different row count");
  return col;
}

// Table dictionary code -> schema level index; -3 for a label the schema does not know (an
// error only when a row actually uses it, so unused dictionary entries are harmless).
std::vector<int32_t> dictionary_levels(const Column& col, const ColumnSchema& cs) {
  std::unordered_map<std::string, int32_t> index;
  index.reserve(cs.values.size() * 2);
  for (size_t i = 0; i < cs.values.size(); ++i) index.emplace(cs.values[i], static_cast<int32_t>(i));
  std::vector<int32_t> out(col.dictionary.size(), -3);
  for (size_t d = 0; d < col.dictionary.size(); ++d) {
    const auto it = index.find(col.dictionary[d]);
    if (it != index.end()) out[d] = it->second;
  }
  return out;
}

int32_t level_of(const Column& col, const std::vector<int32_t>& dict_level, size_t row, const ColumnSchema& cs) {
  const int32_t code = col.codes[row];
  if (code < 0) return -1;
  if (static_cast<size_t>(code) >= dict_level.size())
    throw InvalidInput("column '" + cs.name + "': code " + std::to_string(code) + " outside its dictionary");
  const int32_t level = dict_level[static_cast<size_t>(code)];
  if (level == -3)
    throw InvalidInput("column '" + cs.name + "': label '" + col.dictionary[static_cast<size_t>(code)] +
                       "' is not among the schema's values");
  return level;
}

// Plain mixture posterior with per-component constants hoisted out of the row loop.
struct ModeTable {
  std::vector<double> mean, log_norm, half_prec, p;
  explicit ModeTable(const std::vector<GaussianComponent>& modes) {
    for (const auto& g : modes) {
      mean.push_back(g.mean);
      log_norm.push_back(std::log(g.weight) - std::log(g.std));
      half_prec.push_back(0.5 / (g.std * g.std));
    }
    p.resize(modes.size());
  }
  // Draws a mode for x from its posterior.
  size_t draw(double x, Rng& rng) {
    const size_t K = mean.size();
    if (K == 1) return 0;
    double mx = -std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < K; ++k) {
      const double d = x - mean[k];
      p[k] = log_norm[k] - half_prec[k] * d * d;
      mx = std::max(mx, p[k]);
    }
    double s = 0.0;
    for (size_t k = 0; k < K; ++k) {
      const double t = p[k] - mx;
      p[k] = t > -40.0 ? std::exp(t) : 0.0;
      s += p[k];
    }
    double u = rng.uniform() * s;
    for (size_t k = 0; k + 1 < K; ++k) {
      u -= p[k];
      if (u < 0.0) return k;
    }
    // Rounding can leave u >= 0 past the last positive term: take the last positive one.
    size_t k = K - 1;
    while (k > 0 && p[k] == 0.0) --k;
    return k;
  }
};

size_t argmax(const float* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

// Spans and width follow from the column states (fit and from_json share this). A template
// only so that it can take the private ColumnState type.
template <class States>
size_t build_spans(const Schema& schema, const States& columns, std::vector<Span>* spans) {
  spans->clear();
  size_t pos = 0;
  for (const auto& st : columns) {
    const ColumnSchema& cs = schema.columns[static_cast<size_t>(st.schema_index)];
    if (is_numeric(cs.type)) {
      spans->push_back(Span{SpanKind::kScalar, pos, 1, st.schema_index, Span::Role::kValue});
      pos += 1;
      spans->push_back(Span{SpanKind::kSoftmax, pos, st.modes.size(), st.schema_index, Span::Role::kMode});
      pos += st.modes.size();
      if (st.has_null) {
        spans->push_back(Span{SpanKind::kSoftmax, pos, 2, st.schema_index, Span::Role::kNull});
        pos += 2;
      }
    } else if (is_categorical(cs.type)) {
      spans->push_back(Span{SpanKind::kSoftmax, pos, st.slot_level.size(), st.schema_index, Span::Role::kCategory});
      pos += st.slot_level.size();
    }
  }
  return pos;
}

[[noreturn]] void bad_state(const std::string& what) {
  throw ModelFormat("data transformer state: " + what);
}

}  // namespace

void TransformerParams::validate() const {
  gmm.validate();
  if (max_categories < 2 || max_categories > 1000000)
    throw InvalidInput("max_categories must be in [2, 1000000], got " + std::to_string(max_categories));
}

void DataTransformer::fit(const Table& table, const Schema& schema, const TransformerParams& params, Rng& rng) {
  params.validate();
  const size_t rows = table.num_rows();
  if (rows == 0) throw InvalidInput("cannot fit the data transformer on an empty table");
  schema_ = schema;
  params_ = params;
  columns_.clear();
  warnings_.clear();
  for (size_t si : output_columns(schema)) {
    const ColumnSchema& cs = schema.columns[si];
    ColumnState st;
    st.schema_index = static_cast<int>(si);
    // Each column gets its own stream so adding a column does not change the others' fits.
    Rng col_rng = rng.split(si);
    if (is_numeric(cs.type)) {
      const Column& col = find_column(table, cs);
      std::vector<double> x;
      x.reserve(rows);
      for (size_t r = 0; r < rows; ++r) {
        if (!col.valid[r]) continue;
        if (!std::isfinite(col.values[r]))
          throw InvalidInput("column '" + cs.name + "': non-finite value in row " + std::to_string(r + 1));
        x.push_back(col.values[r]);
      }
      st.has_null = x.size() < rows;
      if (x.empty()) {
        st.modes = {GaussianComponent{1.0, 0.0, 1.0}};  // all missing: the null span carries it all
      } else {
        BayesianGmm1d gmm;
        gmm.fit(x, params.gmm, col_rng);
        st.modes = gmm.components();
      }
    } else if (is_categorical(cs.type)) {
      const Column& col = find_column(table, cs);
      const std::vector<int32_t> dict_level = dictionary_levels(col, cs);
      const size_t levels = cs.values.size();
      std::vector<double> freq(levels, 0.0);
      for (size_t r = 0; r < rows; ++r) {
        const int32_t level = level_of(col, dict_level, r, cs);
        if (level < 0)
          st.has_null = true;
        else
          freq[static_cast<size_t>(level)] += 1.0;
      }
      st.level_slot.assign(levels, -1);
      const size_t cap = static_cast<size_t>(params.max_categories);
      if (levels <= cap) {
        for (size_t l = 0; l < levels; ++l) {
          st.level_slot[l] = static_cast<int32_t>(st.slot_level.size());
          st.slot_level.push_back(static_cast<int32_t>(l));
        }
      } else {
        // Most frequent (cap - 1) keep a slot (ties: schema order); slots stay in schema order.
        std::vector<int32_t> by_freq(levels);
        std::iota(by_freq.begin(), by_freq.end(), 0);
        std::stable_sort(by_freq.begin(), by_freq.end(), [&](int32_t a, int32_t b) { return freq[a] > freq[b]; });
        std::vector<uint8_t> keep(levels, 0);
        for (size_t i = 0; i + 1 < cap; ++i) keep[static_cast<size_t>(by_freq[i])] = 1;
        for (size_t l = 0; l < levels; ++l) {
          if (keep[l]) {
            st.level_slot[l] = static_cast<int32_t>(st.slot_level.size());
            st.slot_level.push_back(static_cast<int32_t>(l));
          } else {
            st.other_levels.push_back(static_cast<int32_t>(l));
            st.other_weights.push_back(freq[l]);
          }
        }
        const int32_t other_slot = static_cast<int32_t>(st.slot_level.size());
        st.slot_level.push_back(-2);
        warnings_.push_back("column '" + cs.name + "': " + std::to_string(levels) + " levels; the " +
                            std::to_string(cap - 1) + " most frequent keep their own one-hot slot, " +
                            std::to_string(st.other_levels.size()) +
                            " rarer ones share an 'other' slot and are drawn back by frequency (max_categories=" +
                            std::to_string(cap) + ")");
        for (int32_t l : st.other_levels) st.level_slot[static_cast<size_t>(l)] = other_slot;
      }
      if (st.has_null || levels == 0) st.slot_level.push_back(-1);
    } else if (cs.type != ColumnType::kIdentifier) {
      continue;  // text: excluded (output_columns already skips it)
    }
    columns_.push_back(std::move(st));
  }
  output_dim_ = build_spans(schema_, columns_, &spans_);
  // Zero-width networks fail deep inside LibTorch (its weight initialisation divides by the
  // fan-in): say what is wrong instead.
  if (output_dim_ == 0)
    throw InvalidInput("nothing to learn: every column is text or an identifier (neither is learned); "
                       "give numerical, categorical, boolean or datetime columns, or change the column types in a schema");
}

DataTransformer::CategorySlot DataTransformer::category_slot(const std::string& column, const std::string& value) const {
  const int ci = schema_.find(column);
  if (ci < 0) throw InvalidInput("unknown column '" + column + "'");
  const ColumnSchema& cs = schema_.columns[static_cast<size_t>(ci)];
  const auto it = std::find(cs.values.begin(), cs.values.end(), value);
  if ((cs.type != ColumnType::kCategorical && cs.type != ColumnType::kBoolean) || it == cs.values.end())
    throw InvalidInput("'" + value + "' is not a value of categorical column '" + column + "'");
  const int32_t level = static_cast<int32_t>(it - cs.values.begin());
  for (size_t s = 0; s < spans_.size(); ++s) {
    if (spans_[s].column != ci || spans_[s].role != Span::Role::kCategory) continue;
    for (const ColumnState& st : columns_)
      if (st.schema_index == ci)
        return CategorySlot{s, static_cast<size_t>(st.level_slot[static_cast<size_t>(level)]), level};
  }
  throw InvalidInput("column '" + column + "' has no category span");
}

std::vector<float> DataTransformer::transform(const Table& table, Rng& rng) const {
  const size_t rows = table.num_rows();
  const size_t dim = output_dim_;
  std::vector<float> out(rows * dim, 0.0f);
  size_t span_i = 0;
  for (const ColumnState& st : columns_) {
    const ColumnSchema& cs = schema_.columns[static_cast<size_t>(st.schema_index)];
    Rng col_rng = rng.split(static_cast<uint64_t>(st.schema_index));
    if (is_numeric(cs.type)) {
      const Column& col = find_column(table, cs);
      const size_t value_pos = spans_[span_i].start;
      const size_t mode_pos = spans_[span_i + 1].start;
      const size_t null_pos = st.has_null ? spans_[span_i + 2].start : 0;
      span_i += st.has_null ? 3 : 2;
      ModeTable table_k(st.modes);
      // A missing value is encoded as the heaviest mode at its mean, so the mode span stays a
      // valid one-hot; the null span says it is missing.
      const size_t heaviest = static_cast<size_t>(
          std::max_element(st.modes.begin(), st.modes.end(),
                           [](const GaussianComponent& a, const GaussianComponent& b) { return a.weight < b.weight; }) -
          st.modes.begin());
      for (size_t r = 0; r < rows; ++r) {
        float* row = out.data() + r * dim;
        if (!col.valid[r]) {
          if (!st.has_null)
            throw InvalidInput("column '" + cs.name + "' has missing values but had none when the transformer was fitted");
          row[mode_pos + heaviest] = 1.0f;
          row[null_pos + 1] = 1.0f;
          continue;
        }
        const double x = col.values[r];
        if (!std::isfinite(x))
          throw InvalidInput("column '" + cs.name + "': non-finite value in row " + std::to_string(r + 1));
        const size_t k = table_k.draw(x, col_rng);
        const GaussianComponent& g = st.modes[k];
        // Not clipped, so that the round trip is exact; the mode is drawn from the posterior,
        // so |v| > 1 (more than 4 sd from the drawn mode) is rare.
        const double v = (x - g.mean) / (4.0 * g.std);
        row[value_pos] = static_cast<float>(v);
        row[mode_pos + k] = 1.0f;
        if (st.has_null) row[null_pos] = 1.0f;
      }
    } else if (is_categorical(cs.type)) {
      const Column& col = find_column(table, cs);
      const size_t pos = spans_[span_i].start;
      ++span_i;
      const std::vector<int32_t> dict_level = dictionary_levels(col, cs);
      int32_t null_slot = -1;
      for (size_t s = 0; s < st.slot_level.size(); ++s)
        if (st.slot_level[s] == -1) null_slot = static_cast<int32_t>(s);
      for (size_t r = 0; r < rows; ++r) {
        const int32_t level = level_of(col, dict_level, r, cs);
        int32_t slot = level < 0 ? null_slot : st.level_slot[static_cast<size_t>(level)];
        if (slot < 0)
          throw InvalidInput("column '" + cs.name + "' has missing values but had none when the transformer was fitted");
        out[r * dim + pos + static_cast<size_t>(slot)] = 1.0f;
      }
    }
  }
  return out;
}

Table DataTransformer::inverse_transform(const float* data, size_t rows, Rng& rng) const {
  Inverse inv(*this, rows, rng);
  inv.write(data, 0, rows);
  return inv.finish();
}

DataTransformer::Inverse::Inverse(const DataTransformer& tr, size_t rows, Rng& rng) : tr_(&tr), rows_(rows) {
  // Table columns in column-state order: numbers and strings now, identifiers at finish (an
  // empty placeholder keeps their place).
  for (const ColumnState& st : tr.columns_) {
    const ColumnSchema& cs = tr.schema_.columns[static_cast<size_t>(st.schema_index)];
    rngs_.push_back(rng.split(static_cast<uint64_t>(st.schema_index)));
    // Folded levels' cumulative frequencies, for the "other" slot's draws.
    double run = 0.0;
    other_cum_.emplace_back();
    for (double w : st.other_weights) other_cum_.back().push_back(run += w);
    if (is_numeric(cs.type))
      table_.columns.push_back(Column::numbers(cs.name, rows));
    else if (is_categorical(cs.type))
      table_.columns.push_back(Column::strings(cs.name, rows, cs.values));
    else if (cs.type == ColumnType::kIdentifier)
      table_.columns.emplace_back();
  }
}

void DataTransformer::Inverse::write(const float* data, size_t first, size_t count) {
  MEDGEN_ASSERT(first <= rows_ && count <= rows_ - first);
  const DataTransformer& tr = *tr_;
  const size_t dim = tr.output_dim_;
  size_t span_i = 0, out_i = 0;
  for (size_t c = 0; c < tr.columns_.size(); ++c) {
    const ColumnState& st = tr.columns_[c];
    const ColumnSchema& cs = tr.schema_.columns[static_cast<size_t>(st.schema_index)];
    if (is_numeric(cs.type)) {
      Column& col = table_.columns[out_i++];
      const Span& value = tr.spans_[span_i];
      const Span& mode = tr.spans_[span_i + 1];
      const Span* null_span = st.has_null ? &tr.spans_[span_i + 2] : nullptr;
      span_i += st.has_null ? 3 : 2;
      for (size_t i = 0; i < count; ++i) {
        const float* row = data + i * dim;
        const size_t r = first + i;
        if (null_span && argmax(row + null_span->start, 2) == 1) {
          col.valid[r] = 0;
          continue;
        }
        const size_t k = argmax(row + mode.start, mode.width);
        const GaussianComponent& g = st.modes[k];
        double v = static_cast<double>(row[value.start]);
        v = std::isfinite(v) ? v : 0.0;  // range limits come from apply_constraints in finish
        col.values[r] = g.mean + 4.0 * g.std * v;
        col.valid[r] = 1;
      }
    } else if (is_categorical(cs.type)) {
      Column& col = table_.columns[out_i++];
      Rng& col_rng = rngs_[c];
      const Span& span = tr.spans_[span_i++];
      const std::vector<double>& other_cum = other_cum_[c];
      const double other_total = other_cum.empty() ? 0.0 : other_cum.back();
      for (size_t i = 0; i < count; ++i) {
        const size_t r = first + i;
        const int32_t level = st.slot_level[argmax(data + i * dim + span.start, span.width)];
        if (level != -2) {
          col.codes[r] = level;  // a level index, or -1 for missing
          continue;
        }
        // "other": a folded level in proportion to its frequency (uniformly if none was seen).
        const size_t n_other = st.other_levels.size();
        size_t pick;
        if (other_total > 0.0) {
          const double u = col_rng.uniform() * other_total;
          pick = static_cast<size_t>(std::upper_bound(other_cum.begin(), other_cum.end(), u) - other_cum.begin());
          pick = std::min(pick, n_other - 1);
          while (st.other_weights[pick] == 0.0 && pick > 0) --pick;  // rounding past the end
        } else {
          pick = static_cast<size_t>(col_rng.below(n_other));
        }
        col.codes[r] = st.other_levels[pick];
      }
    } else if (cs.type == ColumnType::kIdentifier) {
      ++out_i;
    }
  }
}

Table DataTransformer::Inverse::finish() {
  const DataTransformer& tr = *tr_;
  size_t out_i = 0;
  for (const ColumnState& st : tr.columns_) {
    const ColumnSchema& cs = tr.schema_.columns[static_cast<size_t>(st.schema_index)];
    if (is_numeric(cs.type))
      apply_constraints(table_.columns[out_i++], cs);
    else if (is_categorical(cs.type))
      ++out_i;
    else if (cs.type == ColumnType::kIdentifier)
      table_.columns[out_i++] = synthetic_identifiers(cs, rows_);
  }
  return std::move(table_);
}

void DataTransformer::coarsen() {
  for (ColumnSchema& c : schema_.columns) privacy::round_bounds(c);
  for (ColumnState& st : columns_) {
    for (GaussianComponent& g : st.modes) {
      g.weight = std::clamp(privacy::round_significant(g.weight), 0.0, 1.0);
      g.mean = privacy::round_significant(g.mean);
      g.std = std::max(privacy::round_significant(g.std), std::numeric_limits<double>::min());
    }
    double total = 0;
    for (double w : st.other_weights) total += w;
    for (double& w : st.other_weights) w = total > 0 ? privacy::round_share(w / total) : 0.0;
  }
}

nlohmann::json DataTransformer::to_json() const {
  nlohmann::json cols = nlohmann::json::array();
  for (const ColumnState& st : columns_) {
    nlohmann::json modes = nlohmann::json::array();
    for (const auto& g : st.modes) modes.push_back({g.weight, g.mean, g.std});
    cols.push_back({{"schema_index", st.schema_index},
                    {"modes", modes},
                    {"has_null", st.has_null},
                    {"slot_level", st.slot_level},
                    {"other_levels", st.other_levels},
                    {"other_weights", st.other_weights}});
  }
  const BgmParams& g = params_.gmm;
  return {{"format", kFormatName},
          {"version", kFormatVersion},
          {"schema", schema_.to_json()},
          {"params",
           {{"max_categories", params_.max_categories},
            {"gmm",
             {{"max_components", g.max_components},
              {"weight_threshold", g.weight_threshold},
              {"weight_concentration_prior", g.weight_concentration_prior},
              {"max_iter", g.max_iter},
              {"tol", g.tol}}}}},
          {"columns", cols}};
}

DataTransformer DataTransformer::from_json(const nlohmann::json& j) {
  DataTransformer t;
  try {
    if (!j.is_object()) bad_state("not an object");
    if (j.at("format").get<std::string>() != kFormatName) bad_state("unknown format");
    if (j.at("version").get<int>() != kFormatVersion) bad_state("unsupported version");
    try {
      t.schema_ = Schema::from_json(j.at("schema"), "<model schema>");
    } catch (const InvalidInput& e) {
      bad_state(std::string("schema: ") + e.what());
    }
    const nlohmann::json& p = j.at("params");
    t.params_.max_categories = p.at("max_categories").get<int>();
    const nlohmann::json& g = p.at("gmm");
    t.params_.gmm.max_components = g.at("max_components").get<int>();
    t.params_.gmm.weight_threshold = g.at("weight_threshold").get<double>();
    t.params_.gmm.weight_concentration_prior = g.at("weight_concentration_prior").get<double>();
    t.params_.gmm.max_iter = g.at("max_iter").get<int>();
    t.params_.gmm.tol = g.at("tol").get<double>();
    try {
      t.params_.validate();
    } catch (const InvalidInput& e) {
      bad_state(std::string("params: ") + e.what());
    }
    const std::vector<size_t> expected = output_columns(t.schema_);
    const nlohmann::json& cols = j.at("columns");
    if (!cols.is_array() || cols.size() != expected.size()) bad_state("column count does not match the schema");
    for (size_t c = 0; c < cols.size(); ++c) {
      const nlohmann::json& jc = cols[c];
      ColumnState st;
      st.schema_index = jc.at("schema_index").get<int>();
      if (st.schema_index != static_cast<int>(expected[c])) bad_state("column order does not match the schema");
      const ColumnSchema& cs = t.schema_.columns[expected[c]];
      st.has_null = jc.at("has_null").get<bool>();
      for (const auto& m : jc.at("modes")) {
        if (!m.is_array() || m.size() != 3) bad_state("mode of column '" + cs.name + "' is not [weight, mean, std]");
        GaussianComponent gc{m[0].get<double>(), m[1].get<double>(), m[2].get<double>()};
        if (!(gc.weight >= 0.0 && gc.weight <= 1.0) || !std::isfinite(gc.mean) || !(gc.std > 0.0) ||
            !std::isfinite(gc.std))
          bad_state("invalid mode in column '" + cs.name + "'");
        st.modes.push_back(gc);
      }
      st.slot_level = jc.at("slot_level").get<std::vector<int32_t>>();
      st.other_levels = jc.at("other_levels").get<std::vector<int32_t>>();
      st.other_weights = jc.at("other_weights").get<std::vector<double>>();
      if (st.other_levels.size() != st.other_weights.size()) bad_state("other levels/weights of '" + cs.name + "'");
      if (is_numeric(cs.type)) {
        if (st.modes.empty() || st.modes.size() > 100) bad_state("column '" + cs.name + "' needs 1..100 modes");
        if (!st.slot_level.empty() || !st.other_levels.empty()) bad_state("slots on numeric column '" + cs.name + "'");
      } else if (is_categorical(cs.type)) {
        if (!st.modes.empty()) bad_state("modes on categorical column '" + cs.name + "'");
        const int32_t levels = static_cast<int32_t>(cs.values.size());
        st.level_slot.assign(static_cast<size_t>(levels), -1);
        std::vector<uint8_t> seen(static_cast<size_t>(levels), 0);
        bool has_other = false, has_missing = false;
        for (size_t s = 0; s < st.slot_level.size(); ++s) {
          const int32_t l = st.slot_level[s];
          if (l == -2) {
            if (has_other) bad_state("two 'other' slots in '" + cs.name + "'");
            has_other = true;
          } else if (l == -1) {
            if (has_missing) bad_state("two missing slots in '" + cs.name + "'");
            has_missing = true;
          } else {
            if (l < 0 || l >= levels || seen[static_cast<size_t>(l)]) bad_state("bad slot map in '" + cs.name + "'");
            seen[static_cast<size_t>(l)] = 1;
            st.level_slot[static_cast<size_t>(l)] = static_cast<int32_t>(s);
          }
        }
        if (st.slot_level.empty()) bad_state("no slots in '" + cs.name + "'");
        if (has_other == st.other_levels.empty()) bad_state("'other' slot and folded levels disagree in '" + cs.name + "'");
        for (size_t s = 0; s < st.slot_level.size(); ++s) {
          if (st.slot_level[s] != -2) continue;
          for (size_t i = 0; i < st.other_levels.size(); ++i) {
            const int32_t l = st.other_levels[i];
            if (l < 0 || l >= levels || seen[static_cast<size_t>(l)]) bad_state("bad folded level in '" + cs.name + "'");
            if (!(st.other_weights[i] >= 0.0) || !std::isfinite(st.other_weights[i])) bad_state("bad folded weight");
            seen[static_cast<size_t>(l)] = 1;
            st.level_slot[static_cast<size_t>(l)] = static_cast<int32_t>(s);
          }
        }
        for (uint8_t s : seen)
          if (!s) bad_state("a level of '" + cs.name + "' has no slot");
      } else {
        if (!st.modes.empty() || !st.slot_level.empty() || !st.other_levels.empty() || st.has_null)
          bad_state("state on identifier column '" + cs.name + "'");
      }
      t.columns_.push_back(std::move(st));
    }
  } catch (const nlohmann::json::exception& e) {
    bad_state(e.what());
  }
  t.output_dim_ = build_spans(t.schema_, t.columns_, &t.spans_);
  if (t.output_dim_ == 0) bad_state("no learned columns");
  return t;
}

}  // namespace medgen::tabular
