#include "medgen/tabular/trees.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>

#include "medgen/core/error.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

// One node of XGBoost's JSON dump and its subtree, appended in preorder.
void flatten(const json& node, Tree* t, const std::string& where) {
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
  // "f12" or "12", depending on the XGBoost version and whether features were named.
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
  if (!index.count(yes) || !index.count(no) || !index.count(missing)) throw InvalidInput(where + ": a split's child is missing");
  t->yes[me] = index[yes];
  t->no[me] = index[no];
  t->missing[me] = index[missing];
}

void check(int rc, const std::string& what) {
  if (rc != 0) throw InvalidInput(what + ": XGBoost: " + XGBGetLastError());
}

}  // namespace

size_t Tree::num_leaves() const {
  size_t k = 0;
  for (int32_t f : feature) k += f < 0;
  return k;
}

json Tree::to_json() const {
  return json{{"feature", feature}, {"threshold", threshold}, {"yes", yes}, {"no", no}, {"missing", missing}, {"value", value}};
}

Tree Tree::from_json(const json& j, size_t num_features, size_t max_nodes, const std::string& where) {
  auto fail = [&](const std::string& what) { return InvalidInput(where + ": " + what); };
  if (!j.is_object()) throw fail("expected an object");
  Tree t;
  try {
    t.feature = j.at("feature").get<std::vector<int32_t>>();
    t.threshold = j.at("threshold").get<std::vector<float>>();
    t.yes = j.at("yes").get<std::vector<int32_t>>();
    t.no = j.at("no").get<std::vector<int32_t>>();
    t.missing = j.at("missing").get<std::vector<int32_t>>();
    t.value = j.at("value").get<std::vector<double>>();
  } catch (const json::exception& e) {
    throw fail(e.what());
  }
  const size_t n = t.feature.size();
  if (n == 0 || n > max_nodes || t.threshold.size() != n || t.yes.size() != n || t.no.size() != n ||
      t.missing.size() != n || t.value.size() != n)
    throw fail("node arrays empty, too long or of different lengths");
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(t.value[i])) throw fail("a leaf value is not finite");
    if (t.feature[i] < 0) continue;
    if (static_cast<size_t>(t.feature[i]) >= num_features) throw fail("a split on an unknown feature");
    if (!std::isfinite(t.threshold[i])) throw fail("a split threshold is not finite");
    for (int32_t c : {t.yes[i], t.no[i], t.missing[i]})
      if (c <= static_cast<int32_t>(i) || static_cast<size_t>(c) >= n) throw fail("a child does not follow its parent");
  }
  return t;
}

std::vector<Tree> grow_trees(const std::vector<float>& x, size_t rows, size_t cols, const std::vector<float>& y,
                             const std::vector<std::pair<std::string, std::string>>& params, int rounds,
                             const std::string& what) {
  if (rows == 0 || cols == 0 || x.size() != rows * cols || y.size() != rows)
    throw InvalidInput(what + ": no rows or features to grow trees on");
  DMatrixHandle dm = nullptr;
  check(XGDMatrixCreateFromMat(x.data(), rows, cols, NAN, &dm), what);
  std::unique_ptr<void, std::function<void(void*)>> dm_guard(dm, [](void* h) { XGDMatrixFree(h); });
  check(XGDMatrixSetFloatInfo(dm, "label", y.data(), rows), what);
  BoosterHandle b = nullptr;
  check(XGBoosterCreate(&dm, 1, &b), what);
  std::unique_ptr<void, std::function<void(void*)>> b_guard(b, [](void* h) { XGBoosterFree(h); });
  for (const auto& [k, v] : params) check(XGBoosterSetParam(b, k.c_str(), v.c_str()), what);
  for (int i = 0; i < rounds; ++i) check(XGBoosterUpdateOneIter(b, i, dm), what);
  bst_ulong count = 0;
  const char** dump = nullptr;
  check(XGBoosterDumpModelEx(b, "", 0, "json", &count, &dump), what);
  std::vector<Tree> trees;
  for (bst_ulong i = 0; i < count; ++i) {
    Tree t;
    flatten(json::parse(dump[i]), &t, what);
    trees.push_back(std::move(t));
  }
  return trees;
}

}  // namespace medgen::tabular
