#include "medgen/tabular/cart.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "medgen/core/error.h"
#include "medgen/core/progress.h"
#include "medgen/tabular/param_table.h"
#include "state_check.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

constexpr size_t kMaxChain = 32;          // binary trees per categorical column at most
constexpr size_t kMaxNodes = 1u << 22;    // per tree, at load
constexpr double kShareSteps = 200;       // privacy coarse: shares and donors on a 1/200 grid
constexpr int kCoarseMinLeaf = 5;
constexpr long kSmoothMinLevels = 32;     // numeric columns with more distinct values are smoothed,
constexpr double kSmoothMinUnique = 0.5;  // when at least this share of their values is distinct
constexpr double kMinAcceptance = 1e-4;   // conditional sampling: matching share at least
constexpr double kMaxDraws = 5e7;         // conditional sampling: rows drawn at most
const double kNan = std::numeric_limits<double>::quiet_NaN();

bool is_learned(const ColumnSchema& cs) { return cs.type != ColumnType::kText && cs.type != ColumnType::kIdentifier; }

bool is_numeric(const ColumnSchema& cs) {
  return cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime;
}

// Silverman's rule of thumb per leaf: 0.9 min(sd, IQR / 1.34) n^(-1/5) of its (sorted) donors.
std::vector<double> leaf_bandwidths(const std::vector<uint32_t>& offsets, const std::vector<double>& donors) {
  std::vector<double> h;
  for (size_t k = 0; k + 1 < offsets.size(); ++k) {
    const double* v = donors.data() + offsets[k];
    const size_t m = offsets[k + 1] - offsets[k];
    double mean = 0, var = 0;
    for (size_t i = 0; i < m; ++i) mean += v[i];
    mean /= static_cast<double>(m);
    for (size_t i = 0; i < m; ++i) var += (v[i] - mean) * (v[i] - mean);
    const double sd = m > 1 ? std::sqrt(var / static_cast<double>(m - 1)) : 0.0;
    const double iqr = (v[(3 * (m - 1)) / 4] - v[(m - 1) / 4]) / 1.34;
    const double spread = iqr > 0 ? std::min(sd, iqr) : sd;
    h.push_back(0.9 * spread * std::pow(static_cast<double>(m), -0.2));
  }
  return h;
}

Tree single_leaf() {
  Tree t;
  t.feature = {-1};
  t.yes = t.no = t.missing = {0};
  t.threshold = {0.f};
  t.value = {0.0};
  return t;
}

}  // namespace

CartParams CartParams::from_json(const json& j) {
  const json r = resolve_params("cart", j);
  CartParams p;
  p.min_leaf = r["min_leaf"].get<int>();
  p.max_depth = r["max_depth"].get<int>();
  p.smoothing = r["smoothing"].get<std::string>();
  p.privacy = r["privacy"].get<std::string>();
  return p;
}

json CartParams::to_json() const {
  return json{{"min_leaf", min_leaf}, {"max_depth", max_depth}, {"smoothing", smoothing}, {"privacy", privacy}};
}

// ---------------------------------------------------------------------------------- fit

// One tree for `target` (per row of `rows`; 0/1 when binary) on the first p features, and its
// leaves' shares or donors.
CartSynthesizer::Step CartSynthesizer::fit_step(const std::vector<float>& features, size_t d, size_t p,
                                                const std::vector<size_t>& rows, const std::vector<double>& target,
                                                bool binary, const Context& ctx) const {
  const bool coarse = params_.privacy == "coarse";
  const int min_leaf = coarse ? std::max(leaf_, kCoarseMinLeaf) : leaf_;
  const size_t m = rows.size();
  Step s;
  const auto [lo, hi] = std::minmax_element(target.begin(), target.end());
  if (p == 0 || m < 2 * static_cast<size_t>(min_leaf) || *lo == *hi) {
    s.tree = single_leaf();
  } else {
    std::vector<float> x(m * p);
    for (size_t i = 0; i < m; ++i) std::copy_n(&features[rows[i] * d], p, &x[i * p]);
    // Scaled target: squared-error gains in float stay exact enough for any unit.
    double mean = 0, sd = 0;
    for (double v : target) mean += v;
    mean /= static_cast<double>(m);
    for (double v : target) sd += (v - mean) * (v - mean);
    sd = std::sqrt(sd / static_cast<double>(m));
    std::vector<float> y(m);
    for (size_t i = 0; i < m; ++i) y[i] = static_cast<float>((target[i] - mean) / (sd > 0 ? sd : 1.0));
    const std::vector<std::pair<std::string, std::string>> xgb = {
        {"objective", "reg:squarederror"},
        {"base_score", "0"},
        {"eta", "1"},
        {"lambda", "0"},
        {"alpha", "0"},
        {"gamma", "0"},
        {"max_depth", std::to_string(params_.max_depth)},
        {"min_child_weight", std::to_string(min_leaf)},
        {"tree_method", m > 50000 ? "hist" : "exact"},
        {"max_bin", "1024"},
        {"nthread", std::to_string(std::max(1, ctx.threads))},
        {"seed", std::to_string(ctx.seed % 2147483647)},
        {"verbosity", "0"}};
    std::vector<Tree> trees = grow_trees(x, m, p, y, xgb, 1, "cart");
    if (trees.size() != 1) throw InvalidInput("cart: XGBoost returned " + std::to_string(trees.size()) + " trees for one round");
    s.tree = std::move(trees[0]);
  }
  // Leaf slots in preorder, then each training row's slot.
  size_t slots = 0;
  for (size_t i = 0; i < s.tree.feature.size(); ++i)
    if (s.tree.feature[i] < 0) s.tree.value[i] = static_cast<double>(slots++);
  std::vector<size_t> slot(m);
  for (size_t i = 0; i < m; ++i) slot[i] = static_cast<size_t>(s.tree.value[s.tree.leaf(&features[rows[i] * d])]);
  std::vector<size_t> count(slots, 0);
  for (size_t k : slot) ++count[k];
  if (binary) {
    double all = 0;
    for (double v : target) all += v;
    all /= static_cast<double>(m);
    std::vector<double> ones(slots, 0.0);
    for (size_t i = 0; i < m; ++i) ones[slot[i]] += target[i];
    s.prob.resize(slots);
    for (size_t k = 0; k < slots; ++k) {
      double q = count[k] ? ones[k] / static_cast<double>(count[k]) : all;  // an empty leaf: the overall share
      if (coarse) q = std::round(q * kShareSteps) / kShareSteps;
      s.prob[k] = q;
    }
    return s;
  }
  // Donors by slot (a leaf no training row reaches borrows every donor).
  double step = 0;
  if (coarse) {
    const auto [a, b] = std::minmax_element(target.begin(), target.end());
    step = (*b - *a) / kShareSteps;
  }
  auto donor = [&](double v) { return step > 0 ? std::round(v / step) * step : v; };
  s.offsets.assign(slots + 1, 0);
  for (size_t k = 0; k < slots; ++k) s.offsets[k + 1] = s.offsets[k] + static_cast<uint32_t>(count[k] ? count[k] : m);
  s.donors.assign(s.offsets[slots], 0.0);
  std::vector<uint32_t> fill(s.offsets.begin(), s.offsets.end() - 1);
  for (size_t i = 0; i < m; ++i) s.donors[fill[slot[i]]++] = donor(target[i]);
  for (size_t k = 0; k < slots; ++k)
    if (!count[k])
      for (size_t i = 0; i < m; ++i) s.donors[s.offsets[k] + i] = donor(target[i]);
  for (size_t k = 0; k < slots; ++k)  // sorted: the file does not keep the training order
    std::sort(s.donors.begin() + s.offsets[k], s.donors.begin() + s.offsets[k + 1]);
  return s;
}

std::vector<std::vector<double>> CartSynthesizer::learned_values(const Table& table, const Schema& schema,
                                                                 std::vector<ColumnModel>* models) {
  const size_t n = table.num_rows();
  models->clear();
  // Learned columns in schema order, their values (NaN = missing, categories as schema codes).
  std::vector<std::vector<double>> values;
  for (size_t ci = 0; ci < schema.columns.size(); ++ci) {
    const ColumnSchema& cs = schema.columns[ci];
    if (!is_learned(cs)) continue;
    const int ti = table.find(cs.name);
    if (ti < 0) throw InvalidInput("the table lacks column '" + cs.name + "' named in the schema");
    const Column& col = table.columns[static_cast<size_t>(ti)];
    ColumnModel cm;
    cm.column = static_cast<int>(ci);
    cm.numeric = is_numeric(cs);
    std::vector<double> v(n, kNan);
    if (cm.numeric) {
      if (col.storage != Storage::kNumber) throw InvalidInput("column '" + cs.name + "' must hold numbers");
      for (size_t r = 0; r < n; ++r)
        if (col.valid[r] && std::isfinite(col.values[r])) v[r] = col.values[r];
    } else {
      if (col.storage != Storage::kString) throw InvalidInput("column '" + cs.name + "' must hold labels");
      std::vector<double> code_map(col.dictionary.size());
      for (size_t k = 0; k < col.dictionary.size(); ++k) {
        const auto it = std::find(cs.values.begin(), cs.values.end(), col.dictionary[k]);
        if (it == cs.values.end())
          throw InvalidInput("column '" + cs.name + "': value '" + col.dictionary[k] + "' is not in the schema");
        code_map[k] = static_cast<double>(it - cs.values.begin());
      }
      for (size_t r = 0; r < n; ++r)
        if (col.codes[r] >= 0) v[r] = code_map[static_cast<size_t>(col.codes[r])];
    }
    values.push_back(std::move(v));
    models->push_back(std::move(cm));
  }
  return values;
}

void CartSynthesizer::fit(const Table& table, const Schema& schema, const Context& ctx) {
  const size_t n = table.num_rows();
  if (n == 0) throw InvalidInput("the table has no rows to learn from");
  if (n > std::numeric_limits<uint32_t>::max() / 2) throw InvalidInput("cart: more than 2^31 rows");
  leaf_ = params_.min_leaf;
  leaf_choice_ = nullptr;
  if (params_.min_leaf == 0) leaf_ = choose_min_leaf(table, schema, ctx);
  fit_trees(table, schema, ctx);
}

void CartSynthesizer::fit_trees(const Table& table, const Schema& schema, const Context& ctx) {
  schema_ = schema;
  warnings_.clear();
  const size_t n = table.num_rows();
  std::vector<std::vector<double>> values = learned_values(table, schema, &cols_);
  const size_t d = cols_.size();
  if (d == 0) throw InvalidInput("the table has no columns to learn (only identifiers and text)");

  // Features: numbers scaled to mean 0 and sd 1, category codes as they are.
  std::vector<float> features(n * d, NAN);
  for (size_t c = 0; c < d; ++c) {
    ColumnModel& cm = cols_[c];
    const std::vector<double>& v = values[c];
    if (cm.numeric) {
      double sum = 0, sq = 0, k = 0;
      for (double x : v)
        if (!std::isnan(x)) sum += x, k += 1;
      cm.center = k > 0 ? sum / k : 0.0;
      for (double x : v)
        if (!std::isnan(x)) sq += (x - cm.center) * (x - cm.center);
      const double sd = k > 1 ? std::sqrt(sq / k) : 0.0;
      cm.scale = sd > 0 && std::isfinite(sd) ? sd : 1.0;
    }
    for (size_t r = 0; r < n; ++r)
      if (!std::isnan(v[r])) features[r * d + c] = static_cast<float>(cm.numeric ? (v[r] - cm.center) / cm.scale : v[r]);
  }

  if (ctx.progress) ctx.progress->begin("fitting cart trees", d);
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  for (size_t c = 0; c < d; ++c) {
    if (ctx.progress) ctx.progress->update(c);
    ColumnModel& cm = cols_[c];
    const std::vector<double>& v = values[c];
    const std::string& name = schema.columns[static_cast<size_t>(cm.column)].name;
    if (cm.numeric) {
      std::vector<size_t> present;
      std::vector<double> target, missing(n);
      for (size_t r = 0; r < n; ++r) {
        missing[r] = std::isnan(v[r]) ? 1.0 : 0.0;
        if (!std::isnan(v[r])) {
          present.push_back(r);
          target.push_back(v[r]);
        }
      }
      if (present.empty()) {
        cm.always_missing = true;
        warnings_.push_back("column '" + name + "' is entirely missing: synthesized as missing");
        continue;
      }
      if (present.size() < n) {
        cm.has_missing = true;
        cm.missing = fit_step(features, d, c, all, missing, true, ctx);
      }
      cm.value = fit_step(features, d, c, present, target, false, ctx);
      std::vector<double> distinct = target;
      std::sort(distinct.begin(), distinct.end());
      // Smoothed only where values are mostly unique: spreading a value that many rows share
      // (a lab reported on a 0.1 grid) would be plain to see.
      const long levels = std::unique(distinct.begin(), distinct.end()) - distinct.begin();
      cm.smooth = params_.smoothing != "none" && levels > kSmoothMinLevels &&
                  static_cast<double>(levels) >= kSmoothMinUnique * static_cast<double>(target.size());
      if (cm.smooth) prepare_smoothing(&cm);
      continue;
    }
    // Categorical: classes (-1 = missing) by frequency, most frequent first.
    std::vector<std::pair<size_t, int>> freq;
    {
      std::vector<size_t> counts(schema.columns[static_cast<size_t>(cm.column)].values.size() + 1, 0);
      for (double x : v) ++counts[std::isnan(x) ? 0 : static_cast<size_t>(x) + 1];
      for (size_t k = 0; k < counts.size(); ++k)
        if (counts[k]) freq.emplace_back(counts[k], static_cast<int>(k) - 1);
      std::stable_sort(freq.begin(), freq.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    }
    auto class_of = [&](size_t r) { return std::isnan(v[r]) ? -1 : static_cast<int>(v[r]); };
    std::vector<size_t> rows = all;
    size_t k = 0;
    const int min_leaf = std::max(leaf_, params_.privacy == "coarse" ? kCoarseMinLeaf : 1);
    for (; k + 1 < freq.size() && k < kMaxChain && rows.size() >= 2 * static_cast<size_t>(min_leaf); ++k) {
      const int cls = freq[k].second;
      std::vector<double> y(rows.size());
      for (size_t i = 0; i < rows.size(); ++i) y[i] = class_of(rows[i]) == cls ? 1.0 : 0.0;
      cm.chain_class.push_back(cls);
      cm.chain.push_back(fit_step(features, d, c, rows, y, true, ctx));
      std::vector<size_t> rest;
      for (size_t r : rows)
        if (class_of(r) != cls) rest.push_back(r);
      rows.swap(rest);
    }
    // The rest: shares among the remaining rows.
    double total = 0;
    for (size_t j = k; j < freq.size(); ++j) total += static_cast<double>(freq[j].first);
    double cum = 0;
    for (size_t j = k; j < freq.size(); ++j) {
      cum += static_cast<double>(freq[j].first);
      cm.rest_class.push_back(freq[j].second);
      double q = j + 1 == freq.size() ? 1.0 : cum / total;
      if (params_.privacy == "coarse") q = std::round(q * kShareSteps) / kShareSteps;
      cm.rest_cum.push_back(q);
    }
  }
  if (ctx.progress) ctx.progress->end();
}

// ---------------------------------------------------------------------------------- sample

void CartSynthesizer::draw(size_t m, Rng& rng, std::vector<std::vector<double>>* out) const {
  const size_t d = cols_.size();
  out->assign(d, std::vector<double>(m, kNan));
  std::vector<float> x(d);
  for (size_t r = 0; r < m; ++r) {
    std::fill(x.begin(), x.end(), NAN);
    for (size_t c = 0; c < d; ++c) {
      const ColumnModel& cm = cols_[c];
      double value = kNan;
      if (cm.numeric) {
        if (cm.always_missing) continue;
        if (cm.has_missing) {
          const Step& s = cm.missing;
          if (rng.uniform() < s.prob[static_cast<size_t>(s.tree.value[s.tree.leaf(x.data())])]) continue;
        }
        const Step& s = cm.value;
        const size_t k = static_cast<size_t>(s.tree.value[s.tree.leaf(x.data())]);
        const uint32_t a = s.offsets[k], b = s.offsets[k + 1];
        value = s.donors[a + rng.below(b - a)];
        if (cm.smooth) {
          if (params_.smoothing == "density") {
            value += s.bandwidth[k] * rng.normal();
          } else {  // jitter: uniform between the midpoints to the neighbouring training values
            const auto& g = cm.grid;
            const size_t j = static_cast<size_t>(std::lower_bound(g.begin(), g.end(), value) - g.begin());
            if (j < g.size() && g[j] == value) {
              const double lo = j > 0 ? 0.5 * (g[j - 1] + g[j]) : g[j];
              const double hi = j + 1 < g.size() ? 0.5 * (g[j] + g[j + 1]) : g[j];
              value = lo + (hi - lo) * rng.uniform();
            }
          }
        }
        x[c] = static_cast<float>((value - cm.center) / cm.scale);
      } else {
        int cls = -2;
        for (size_t j = 0; j < cm.chain.size() && cls == -2; ++j) {
          const Step& s = cm.chain[j];
          if (rng.uniform() < s.prob[static_cast<size_t>(s.tree.value[s.tree.leaf(x.data())])]) cls = cm.chain_class[j];
        }
        if (cls == -2) {
          const double u = rng.uniform();
          size_t j = 0;
          while (j + 1 < cm.rest_cum.size() && cm.rest_cum[j] <= u) ++j;
          cls = cm.rest_class[j];
        }
        if (cls < 0) continue;
        value = static_cast<double>(cls);
        x[c] = static_cast<float>(cls);
      }
      (*out)[c][r] = value;
    }
  }
}

void CartSynthesizer::prepare_smoothing(ColumnModel* cm) const {
  if (params_.smoothing == "density") {
    cm->value.bandwidth = leaf_bandwidths(cm->value.offsets, cm->value.donors);
    return;
  }
  cm->grid = cm->value.donors;
  std::sort(cm->grid.begin(), cm->grid.end());
  cm->grid.erase(std::unique(cm->grid.begin(), cm->grid.end()), cm->grid.end());
}

Table CartSynthesizer::sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const {
  check_request(n, conditions);
  if (cols_.empty()) throw InvalidInput("cart: the model is not fitted");
  Rng rng(ctx.seed);
  // Conditions as (learned column, code); a class the model cannot draw is refused up front.
  std::vector<std::pair<size_t, double>> conds;
  for (const Condition& c : conditions) {
    const int ci = schema_.find(c.column);
    const ColumnSchema& cs = schema_.columns[static_cast<size_t>(ci)];
    const int code = static_cast<int>(std::find(cs.values.begin(), cs.values.end(), c.value) - cs.values.begin());
    size_t lc = 0;
    while (lc < cols_.size() && cols_[lc].column != ci) ++lc;
    bool seen = false;
    if (lc < cols_.size()) {
      const ColumnModel& cm = cols_[lc];
      seen = std::count(cm.chain_class.begin(), cm.chain_class.end(), code) > 0 ||
             std::count(cm.rest_class.begin(), cm.rest_class.end(), code) > 0;
    }
    if (!seen) throw InvalidInput("--condition " + c.column + "=" + c.value + ": the model never saw this value in training");
    conds.emplace_back(lc, static_cast<double>(code));
  }

  std::vector<std::vector<double>> rows(cols_.size());
  size_t have = 0, drawn = 0;
  Progress* progress = n >= (1u << 18) ? ctx.progress : nullptr;
  if (progress) progress->begin("sampling", n);
  std::vector<std::vector<double>> batch;
  while (have < n) {
    // Unconditioned: exactly the rows asked for. Conditioned: enough for the matching share
    // seen so far (a first batch of at least 1,024 rows estimates it).
    size_t m = n - have;
    if (!conds.empty()) {
      const double share = drawn ? std::max(static_cast<double>(have) / static_cast<double>(drawn), kMinAcceptance) : 0.0;
      m = drawn && have ? static_cast<size_t>(1.2 * static_cast<double>(n - have) / share) + 64 : std::max<size_t>(1024, 4 * (n - have));
      m = std::min<size_t>(m, 1u << 20);
    }
    draw(m, rng, &batch);
    drawn += m;
    for (size_t r = 0; r < m && have < n; ++r) {
      bool ok = true;
      for (const auto& [c, code] : conds) ok = ok && batch[c][r] == code;
      if (!ok) continue;
      for (size_t c = 0; c < cols_.size(); ++c) rows[c].push_back(batch[c][r]);
      ++have;
    }
    if (progress) progress->update(have, "rows");
    // Refuse what would take too long: fewer than 1 in 10,000 rows matching, or more than
    // kMaxDraws rows still to draw at the share seen.
    const double share = static_cast<double>(have) / static_cast<double>(drawn);
    if (have < n && drawn >= 100000 &&
        (share < kMinAcceptance || static_cast<double>(n - have) / share > kMaxDraws))
      throw InvalidInput("--condition: only " + std::to_string(have) + " of " + std::to_string(drawn) +
                         " rows drawn by the cart synthesizer match (it samples conditions by rejection); "
                         "ask for fewer rows or a more common combination");
  }
  if (progress) progress->end();

  Table out;
  const std::vector<size_t> outcols = output_columns(schema_);
  std::vector<int> learned(schema_.columns.size(), -1);
  for (size_t c = 0; c < cols_.size(); ++c) learned[static_cast<size_t>(cols_[c].column)] = static_cast<int>(c);
  for (size_t oc : outcols) {
    const ColumnSchema& cs = schema_.columns[oc];
    if (cs.type == ColumnType::kIdentifier) {
      out.columns.push_back(synthetic_identifiers(cs, n));
      continue;
    }
    const std::vector<double>* v = learned[oc] >= 0 ? &rows[static_cast<size_t>(learned[oc])] : nullptr;
    if (is_numeric(cs)) {
      Column col = Column::numbers(cs.name, n);
      if (v)
        for (size_t r = 0; r < n; ++r)
          if (!std::isnan((*v)[r])) {
            col.values[r] = (*v)[r];
            col.valid[r] = 1;
          }
      apply_constraints(col, cs);
      out.columns.push_back(std::move(col));
    } else {
      Column col = Column::strings(cs.name, n, cs.values);
      if (v)
        for (size_t r = 0; r < n; ++r) col.codes[r] = std::isnan((*v)[r]) ? -1 : static_cast<int32_t>((*v)[r]);
      apply_constraints(col, cs);
      out.columns.push_back(std::move(col));
    }
  }
  return out;
}

// -------------------------------------------------------------------------------- state

namespace {

json step_json(const Tree& tree, const std::vector<double>& prob, const std::vector<uint32_t>& offsets,
               const std::vector<double>& donors) {
  json j{{"tree", tree.to_json()}};
  if (!prob.empty()) j["prob"] = prob;
  if (!offsets.empty()) {
    j["offsets"] = offsets;
    j["donors"] = donors;
  }
  return j;
}

}  // namespace

void CartSynthesizer::save_state(json* state, std::string* payload) const {
  json cols = json::array();
  for (const ColumnModel& cm : cols_) {
    json j{{"column", cm.column}, {"numeric", cm.numeric}};
    if (cm.numeric) {
      j["center"] = cm.center;
      j["scale"] = cm.scale;
      j["always_missing"] = cm.always_missing;
      j["smooth"] = cm.smooth;
      if (cm.has_missing) j["missing"] = step_json(cm.missing.tree, cm.missing.prob, {}, {});
      if (!cm.always_missing) j["value"] = step_json(cm.value.tree, {}, cm.value.offsets, cm.value.donors);
    } else {
      json chain = json::array();
      for (const Step& s : cm.chain) chain.push_back(step_json(s.tree, s.prob, {}, {}));
      j["chain_class"] = cm.chain_class;
      j["chain"] = std::move(chain);
      j["rest_class"] = cm.rest_class;
      j["rest_cum"] = cm.rest_cum;
    }
    cols.push_back(std::move(j));
  }
  *state = json{{"columns", std::move(cols)}, {"warnings", warnings_}, {"min_leaf_used", leaf_}};
  if (!leaf_choice_.is_null()) (*state)["leaf_choice"] = leaf_choice_;
  payload->clear();
}

void CartSynthesizer::load_state(const json& j_state, const std::string& /*payload*/) {
  namespace st = state;
  cols_.clear();
  const json& cols = st::array(st::member(j_state, "columns", "cart state"), "cart state: columns");
  std::vector<bool> used(schema_.columns.size(), false);
  int last = -1;
  for (size_t c = 0; c < cols.size(); ++c) {
    const std::string where = "cart state: columns[" + std::to_string(c) + "]";
    const json& j = st::object(cols[c], where);
    ColumnModel cm;
    cm.column = static_cast<int>(st::integer(st::member(j, "column", where), 0,
                                             static_cast<int64_t>(schema_.columns.size()) - 1, where + ".column"));
    if (cm.column <= last) st::fail(where + ".column: columns must follow schema order, each once");
    last = cm.column;
    const ColumnSchema& cs = schema_.columns[static_cast<size_t>(cm.column)];
    if (!is_learned(cs)) st::fail(where + ".column: '" + cs.name + "' is not a learned column");
    const json& numeric = st::member(j, "numeric", where);
    if (!numeric.is_boolean() || numeric.get<bool>() != is_numeric(cs))
      st::fail(where + ".numeric: does not match the schema's type of '" + cs.name + "'");
    cm.numeric = numeric.get<bool>();
    // A step's tree may split only on the columns before this one (c features).
    auto read_step = [&](const json& js, const std::string& at, bool binary) {
      Step s;
      st::object(js, at);
      try {
        s.tree = Tree::from_json(st::member(js, "tree", at), c, kMaxNodes, at + ".tree");
      } catch (const InvalidInput& e) {
        st::fail(e.what());
      }
      size_t slots = 0;
      for (size_t i = 0; i < s.tree.feature.size(); ++i)
        if (s.tree.feature[i] < 0) {
          if (s.tree.value[i] != static_cast<double>(slots)) st::fail(at + ".tree: leaf slots must count up from 0 in node order");
          ++slots;
        }
      if (binary) {
        s.prob = st::finite_array(st::member(js, "prob", at), at + ".prob");
        if (s.prob.size() != slots) st::fail(at + ".prob: one share per leaf expected");
        for (double q : s.prob)
          if (q < 0 || q > 1) st::fail(at + ".prob: a share outside [0, 1]");
      } else {
        const json& off = st::array(st::member(js, "offsets", at), at + ".offsets");
        s.donors = st::finite_array(st::member(js, "donors", at), at + ".donors");
        if (off.size() != slots + 1) st::fail(at + ".offsets: one more than the leaves expected");
        for (size_t i = 0; i < off.size(); ++i)
          s.offsets.push_back(static_cast<uint32_t>(st::integer(off[i], 0, static_cast<int64_t>(s.donors.size()), at + ".offsets")));
        if (s.offsets[0] != 0 || s.offsets.back() != s.donors.size()) st::fail(at + ".offsets: must span the donors");
        for (size_t k = 0; k < slots; ++k)
          if (s.offsets[k + 1] <= s.offsets[k]) st::fail(at + ".offsets: every leaf needs a donor, in order");
      }
      return s;
    };
    if (cm.numeric) {
      cm.center = st::finite(st::member(j, "center", where), where + ".center");
      cm.scale = st::finite(st::member(j, "scale", where), where + ".scale");
      if (!(cm.scale > 0)) st::fail(where + ".scale: must be positive");
      const json& am = st::member(j, "always_missing", where);
      if (!am.is_boolean()) st::fail(where + ".always_missing: expected true or false");
      cm.always_missing = am.get<bool>();
      const json& sm = st::member(j, "smooth", where);
      if (!sm.is_boolean()) st::fail(where + ".smooth: expected true or false");
      cm.smooth = sm.get<bool>();
      cm.has_missing = j.contains("missing");
      if (cm.has_missing) cm.missing = read_step(j.at("missing"), where + ".missing", true);
      if (!cm.always_missing) cm.value = read_step(st::member(j, "value", where), where + ".value", false);
      if (cm.smooth && !cm.always_missing) prepare_smoothing(&cm);
    } else {
      const int64_t levels = static_cast<int64_t>(cs.values.size());
      const json& cc = st::array(st::member(j, "chain_class", where), where + ".chain_class");
      const json& chain = st::array(st::member(j, "chain", where), where + ".chain");
      if (cc.size() != chain.size() || chain.size() > kMaxChain) st::fail(where + ".chain: one class per step, at most 32");
      for (size_t k = 0; k < chain.size(); ++k) {
        const std::string at = where + ".chain[" + std::to_string(k) + "]";
        cm.chain_class.push_back(static_cast<int>(st::integer(cc[k], -1, levels - 1, where + ".chain_class")));
        cm.chain.push_back(read_step(chain[k], at, true));
      }
      const json& rc = st::array(st::member(j, "rest_class", where), where + ".rest_class");
      cm.rest_cum = st::finite_array(st::member(j, "rest_cum", where), where + ".rest_cum");
      if (rc.empty() || rc.size() != cm.rest_cum.size()) st::fail(where + ".rest_class: one share per class, at least one");
      for (size_t k = 0; k < rc.size(); ++k) {
        cm.rest_class.push_back(static_cast<int>(st::integer(rc[k], -1, levels - 1, where + ".rest_class")));
        if (cm.rest_cum[k] < (k ? cm.rest_cum[k - 1] : 0.0) || cm.rest_cum[k] > 1)
          st::fail(where + ".rest_cum: cumulative shares must rise within [0, 1]");
      }
    }
    used[static_cast<size_t>(cm.column)] = true;
    cols_.push_back(std::move(cm));
  }
  if (cols_.empty()) st::fail("cart state: no columns");
  for (size_t ci = 0; ci < schema_.columns.size(); ++ci)
    if (is_learned(schema_.columns[ci]) && !used[ci])
      st::fail("cart state: no model for column '" + schema_.columns[ci].name + "'");
  warnings_ = j_state.contains("warnings") ? st::string_array(j_state.at("warnings"), "cart state: warnings")
                                           : std::vector<std::string>{};
  // What the trees were grown with (for `medgen info`; files from before it say min_leaf).
  leaf_ = j_state.contains("min_leaf_used")
              ? static_cast<int>(st::integer(j_state.at("min_leaf_used"), 1, 1000000, "cart state: min_leaf_used"))
              : params_.min_leaf;
  leaf_choice_ = j_state.contains("leaf_choice") && j_state.at("leaf_choice").is_object() ? j_state.at("leaf_choice") : json();
}

json CartSynthesizer::summary() const {
  size_t trees = 0, leaves = 0, donors = 0;
  auto add = [&](const Step& s) {
    ++trees;
    leaves += s.tree.num_leaves();
    donors += s.donors.size();
  };
  for (const ColumnModel& cm : cols_) {
    if (cm.has_missing) add(cm.missing);
    if (cm.numeric && !cm.always_missing) add(cm.value);
    for (const Step& s : cm.chain) add(s);
  }
  json j{{"columns", cols_.size()}, {"trees", trees}, {"leaves", leaves}, {"donors", donors}, {"min_leaf", leaf_}};
  if (!leaf_choice_.is_null()) j["leaf_choice"] = leaf_choice_;
  return j;
}

}  // namespace medgen::tabular
