#include "ratio_filter.h"

#include <algorithm>
#include <cmath>

#include "medgen/core/error.h"

namespace medgen::records::detail {

using json = nlohmann::json;

namespace {

constexpr size_t kMinRows = 20;
constexpr int kRounds = 60;
constexpr size_t kMaxNodes = 1 << 12;  // per tree, at load (depth 3 trees have at most 15)
constexpr size_t kMaxTrees = 10000;

}  // namespace

// Features of `rows`: one float per column, a category as the index of its label in `levels`.
static std::vector<float> features(const Table& rows, const std::vector<std::string>& columns,
                                   const std::vector<std::vector<std::string>>& levels) {
  const size_t n = rows.num_rows(), d = columns.size();
  std::vector<float> x(n * d, NAN);
  for (size_t c = 0; c < d; ++c) {
    const int ci = rows.find(columns[c]);
    if (ci < 0) throw InvalidInput("parent filter: rows lack column '" + columns[c] + "'");
    const Column& col = rows.columns[static_cast<size_t>(ci)];
    if (col.storage == Storage::kNumber) {
      for (size_t r = 0; r < n; ++r)
        if (col.valid[r] && std::isfinite(col.values[r])) x[r * d + c] = static_cast<float>(col.values[r]);
    } else {
      std::vector<float> code(col.dictionary.size(), NAN);
      for (size_t k = 0; k < col.dictionary.size(); ++k) {
        const auto it = std::find(levels[c].begin(), levels[c].end(), col.dictionary[k]);
        if (it != levels[c].end()) code[k] = static_cast<float>(it - levels[c].begin());
      }
      for (size_t r = 0; r < n; ++r)
        if (col.codes[r] >= 0) x[r * d + c] = code[static_cast<size_t>(col.codes[r])];
    }
  }
  return x;
}

void RatioFilter::fit(const Table& real, const Table& synthetic, uint64_t seed) {
  *this = RatioFilter{};
  if (real.num_rows() < kMinRows || synthetic.num_rows() < kMinRows) return;
  std::vector<std::vector<std::string>> levels;
  for (const Column& c : real.columns) {
    if (synthetic.find(c.name) < 0) continue;
    columns_.push_back(c.name);
    std::vector<std::string> lv;
    if (c.storage == Storage::kString) {
      lv = c.dictionary;
      std::sort(lv.begin(), lv.end());
    }
    levels.push_back(std::move(lv));
  }
  levels_ = levels;
  const size_t nr = real.num_rows(), ns = synthetic.num_rows(), d = columns_.size();
  std::vector<float> x = features(real, columns_, levels_);
  const std::vector<float> xs = features(synthetic, columns_, levels_);
  x.insert(x.end(), xs.begin(), xs.end());
  std::vector<float> y(nr + ns, 0.f);
  std::fill(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(nr), 1.f);

  // Shallow, slow, regularised trees: the filter should see combinations of values that
  // real rows rarely show, not single patients (a leaf needs ~15 rows' worth of weight).
  const std::vector<std::pair<std::string, std::string>> params = {
      {"objective", "binary:logistic"}, {"base_score", "0.5"}, {"max_depth", "3"}, {"eta", "0.1"},
      {"min_child_weight", "3"},        {"lambda", "1"},       {"tree_method", "hist"}, {"nthread", "1"},
      {"seed", std::to_string(seed % 2147483647)}};
  trees_ = tabular::grow_trees(x, nr + ns, d, y, params, kRounds, "parent filter");
  log_prior_ = std::log(static_cast<double>(ns) / static_cast<double>(nr));
  // Cap: the 95th percentile of the generated rows' ratios (those above are always kept).
  std::vector<double> r = ratio(synthetic);
  std::sort(r.begin(), r.end());
  cap_ = std::max(1e-9, r[static_cast<size_t>(0.95 * static_cast<double>(r.size() - 1))]);
  double keep = 0;
  for (double v : r) keep += std::min(1.0, v / cap_);
  acceptance_ = std::max(0.01, keep / static_cast<double>(r.size()));
}

std::vector<double> RatioFilter::ratio(const Table& rows) const {
  const size_t n = rows.num_rows(), d = columns_.size();
  std::vector<double> out(n, 1.0);
  if (trees_.empty()) return out;
  const std::vector<float> x = features(rows, columns_, levels_);
  for (size_t r = 0; r < n; ++r) {
    double margin = 0;
    for (const tabular::Tree& t : trees_) margin += t.value[t.leaf(&x[r * d])];
    out[r] = std::exp(std::clamp(margin + log_prior_, -30.0, 30.0));
  }
  return out;
}

std::vector<double> RatioFilter::keep_probability(const Table& rows) const {
  std::vector<double> p = ratio(rows);
  if (!trees_.empty())
    for (double& v : p) v = std::min(1.0, v / cap_);
  return p;
}

json RatioFilter::to_json() const {
  json trees = json::array();
  for (const tabular::Tree& t : trees_) trees.push_back(t.to_json());
  return json{{"columns", columns_}, {"levels", levels_}, {"trees", trees}, {"log_prior", log_prior_},
              {"cap", cap_}, {"acceptance", acceptance_}};
}

RatioFilter RatioFilter::from_json(const json& j, const std::string& where) {
  auto fail = [&](const std::string& what) { return InvalidInput(where + ": " + what); };
  if (!j.is_object()) throw fail("not an object");
  RatioFilter f;
  try {
    f.columns_ = j.at("columns").get<std::vector<std::string>>();
    f.levels_ = j.at("levels").get<std::vector<std::vector<std::string>>>();
    f.log_prior_ = j.at("log_prior").get<double>();
    f.cap_ = j.at("cap").get<double>();
    f.acceptance_ = j.at("acceptance").get<double>();
    const json& trees = j.at("trees");
    if (!trees.is_array() || trees.size() > kMaxTrees) throw fail("trees: not an array of at most 10000");
    for (size_t k = 0; k < trees.size(); ++k)
      f.trees_.push_back(tabular::Tree::from_json(trees[k], f.columns_.size(), kMaxNodes, where + ": trees[" + std::to_string(k) + "]"));
  } catch (const json::exception& e) {
    throw fail(e.what());
  }
  if (f.levels_.size() != f.columns_.size()) throw fail("levels and columns differ in length");
  if (!std::isfinite(f.log_prior_) || std::fabs(f.log_prior_) > 30) throw fail("log_prior out of range");
  if (!(f.cap_ > 0) || !std::isfinite(f.cap_)) throw fail("cap must be positive");
  if (!(f.acceptance_ > 0) || f.acceptance_ > 1) throw fail("acceptance must be in (0, 1]");
  return f;
}

}  // namespace medgen::records::detail
