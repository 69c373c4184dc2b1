// Decision trees grown by XGBoost and evaluated by medgen. A tree is read from XGBoost's JSON
// dump into plain arrays: model files keep it as JSON (validated like any untrusted input) and
// sampling needs no XGBoost. Used by the cart synthesizer (one regression tree per column) and
// by the records' parent filter (a boosted classifier).
//
// Thread safety: Tree is a value; leaf() and to_json() are const and safe to call concurrently.
// grow_trees calls XGBoost, which keeps no global state between calls here.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::tabular {

struct Tree {
  // Node i: a leaf when feature[i] < 0 (value[i] its output), else x[feature] < threshold goes
  // to yes[i], otherwise no[i], a missing value (NaN) to missing[i]. Children follow their
  // parent (so every walk ends).
  std::vector<int32_t> feature, yes, no, missing;
  std::vector<float> threshold;
  std::vector<double> value;

  // The leaf node that x (one float per feature, NaN for missing) falls into.
  size_t leaf(const float* x) const {
    size_t i = 0;
    while (feature[i] >= 0) {
      const float v = x[feature[i]];
      i = static_cast<size_t>(v != v ? missing[i] : (v < threshold[i] ? yes[i] : no[i]));
    }
    return i;
  }
  size_t num_leaves() const;

  nlohmann::json to_json() const;
  // Checks every field: node arrays of one length in [1, max_nodes], splits on features below
  // num_features, children after their parent, finite leaf values. InvalidInput naming `where`.
  static Tree from_json(const nlohmann::json& j, size_t num_features, size_t max_nodes, const std::string& where);
};

// Grows `rounds` boosting rounds with XGBoost on x (rows × cols floats, row-major, NaN =
// missing) and labels y; params are XGBoost's (objective, max_depth, ...), "nthread" and
// "seed" included by the caller. Returns every tree of the dump. InvalidInput with XGBoost's
// message (prefixed by `what`) when it fails.
std::vector<Tree> grow_trees(const std::vector<float>& x, size_t rows, size_t cols, const std::vector<float>& y,
                             const std::vector<std::pair<std::string, std::string>>& params, int rounds,
                             const std::string& what);

}  // namespace medgen::tabular
