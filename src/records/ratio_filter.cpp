#include "ratio_filter.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>

#include "medgen/core/error.h"

namespace medgen::records::detail {

using json = nlohmann::json;

namespace {

constexpr size_t kMinRows = 20;
constexpr int kRounds = 60;
constexpr size_t kMaxNodes = 1 << 12;  // per tree, at load (depth 3 trees have at most 15)
constexpr size_t kMaxTrees = 10000;

void check_xgb(int rc, const char* what) {
  if (rc != 0) throw Error(std::string("parent filter: XGBoost ") + what + ": " + XGBGetLastError());
}

// One tree of XGBoost's JSON dump, flattened in preorder.
void flatten(const json& node, RatioTree* t, const std::string& where) {
  const size_t me = t->feature.size();
  t->feature.push_back(-1);
  t->yes.push_back(0);
  t->no.push_back(0);
  t->missing.push_back(0);
  t->threshold.push_back(0);
  t->value.push_back(0);
  if (node.contains("leaf")) {
    t->value[me] = node.at("leaf").get<double>();
    return;
  }
  std::string split = node.at("split").is_string() ? node.at("split").get<std::string>()
                                                   : std::to_string(node.at("split").get<int>());
  if (!split.empty() && split[0] == 'f') split = split.substr(1);
  t->feature[me] = std::stoi(split);
  t->threshold[me] = node.at("split_condition").get<float>();
  const int yes = node.at("yes").get<int>(), no = node.at("no").get<int>(), missing = node.at("missing").get<int>();
  std::map<int, int32_t> index;
  for (const json& child : node.at("children")) {
    index[child.at("nodeid").get<int>()] = static_cast<int32_t>(t->feature.size());
    flatten(child, t, where);
  }
  if (!index.count(yes) || !index.count(no) || !index.count(missing)) throw Error(where + ": a split's child is missing");
  t->yes[me] = index[yes];
  t->no[me] = index[no];
  t->missing[me] = index[missing];
}

double walk(const RatioTree& t, const float* x) {
  size_t i = 0;
  while (t.feature[i] >= 0) {
    const float v = x[t.feature[i]];
    i = static_cast<size_t>(std::isnan(v) ? t.missing[i] : (v < t.threshold[i] ? t.yes[i] : t.no[i]));
  }
  return t.value[i];
}

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

  DMatrixHandle dm = nullptr;
  check_xgb(XGDMatrixCreateFromMat(x.data(), nr + ns, d, NAN, &dm), "matrix");
  std::unique_ptr<void, std::function<void(void*)>> dm_guard(dm, [](void* h) { XGDMatrixFree(h); });
  check_xgb(XGDMatrixSetFloatInfo(dm, "label", y.data(), nr + ns), "labels");
  BoosterHandle b = nullptr;
  check_xgb(XGBoosterCreate(&dm, 1, &b), "booster");
  std::unique_ptr<void, std::function<void(void*)>> b_guard(b, [](void* h) { XGBoosterFree(h); });
  // Shallow, slow, regularised trees: the filter should see combinations of values that
  // real rows rarely show, not single patients (a leaf needs ~15 rows' worth of weight).
  const std::vector<std::pair<const char*, std::string>> params = {
      {"objective", "binary:logistic"}, {"base_score", "0.5"}, {"max_depth", "3"}, {"eta", "0.1"},
      {"min_child_weight", "3"},        {"lambda", "1"},       {"tree_method", "hist"}, {"nthread", "1"},
      {"seed", std::to_string(seed % 2147483647)}};
  for (const auto& [k, v] : params) check_xgb(XGBoosterSetParam(b, k, v.c_str()), "parameters");
  for (int i = 0; i < kRounds; ++i) check_xgb(XGBoosterUpdateOneIter(b, i, dm), "training");
  bst_ulong count = 0;
  const char** dump = nullptr;
  check_xgb(XGBoosterDumpModelEx(b, "", 0, "json", &count, &dump), "dump");
  for (bst_ulong i = 0; i < count; ++i) {
    RatioTree t;
    flatten(json::parse(dump[i]), &t, "parent filter");
    trees_.push_back(std::move(t));
  }
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
    for (const RatioTree& t : trees_) margin += walk(t, &x[r * d]);
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
  for (const RatioTree& t : trees_)
    trees.push_back(json{{"feature", t.feature}, {"threshold", t.threshold}, {"yes", t.yes}, {"no", t.no},
                         {"missing", t.missing}, {"value", t.value}});
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
    for (size_t k = 0; k < trees.size(); ++k) {
      RatioTree t;
      t.feature = trees[k].at("feature").get<std::vector<int32_t>>();
      t.threshold = trees[k].at("threshold").get<std::vector<float>>();
      t.yes = trees[k].at("yes").get<std::vector<int32_t>>();
      t.no = trees[k].at("no").get<std::vector<int32_t>>();
      t.missing = trees[k].at("missing").get<std::vector<int32_t>>();
      t.value = trees[k].at("value").get<std::vector<double>>();
      const size_t n = t.feature.size();
      const std::string at = "trees[" + std::to_string(k) + "]";
      if (n == 0 || n > kMaxNodes || t.threshold.size() != n || t.yes.size() != n || t.no.size() != n ||
          t.missing.size() != n || t.value.size() != n)
        throw fail(at + ": node arrays empty, too long or of different lengths");
      for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(t.value[i])) throw fail(at + ": a leaf value is not finite");
        if (t.feature[i] < 0) continue;
        if (static_cast<size_t>(t.feature[i]) >= f.columns_.size()) throw fail(at + ": a split on an unknown feature");
        for (int32_t c : {t.yes[i], t.no[i], t.missing[i]})
          if (c <= static_cast<int32_t>(i) || static_cast<size_t>(c) >= n) throw fail(at + ": a child does not follow its parent");
      }
      f.trees_.push_back(std::move(t));
    }
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
