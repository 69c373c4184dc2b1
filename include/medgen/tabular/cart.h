// Sequential regression trees ("cart"): the table is synthesized column by column, each
// column drawn from the training rows that fall into the same leaf of a tree grown on the
// columns before it (Reiter 2005, "Using CART to generate partially synthetic public use
// microdata"; the default method of the synthpop package, Nowok et al. 2016).
//
//  - The first learned column has no predictors: its values are drawn from the whole column.
//  - A numerical or datetime column: one regression tree (squared error, at least min_leaf
//    rows per leaf) on the earlier columns; a synthetic row walks the tree with its values so
//    far and takes the value of a random training row ("donor") of its leaf. A column with
//    missing values first draws whether the value is missing from a tree on the same
//    predictors (the share of missing rows in its leaf).
//    Smoothing applies to columns whose values are mostly distinct (more than 32 values, at
//    least half of them distinct: spreading a value that many rows share, like a lab reported
//    on a 0.1 grid, would be plain to a detector). "jitter" (default) moves the donor's value
//    uniformly within the midpoints to its neighbouring training values (the marginal keeps
//    its shape, values are not replayed exactly); "density" (synthpop's option of that name)
//    adds Gaussian noise of the leaf's kernel bandwidth (Silverman's rule on its donors);
//    "none" keeps donors as they are. Results stay within the column's bounds and precision.
//  - A categorical or boolean column (missing as one more class): classes by frequency, a
//    chain of binary trees, P(class k | not an earlier class) the share in the leaf; for a
//    binary column one tree. Classes after the 32nd, or once fewer than 2 * min_leaf rows
//    remain, are drawn from their shares among the remaining rows.
// Trees are grown by XGBoost (one round, learning rate 1, no regularisation: the split
// criterion is CART's variance reduction, Gini for a binary target) on features scaled to
// mean 0 and sd 1 (numbers) or category codes, then read into plain arrays: sampling walks
// them without XGBoost. Conditional sampling (`--condition`) draws rows and keeps those that
// match (rejection), and fails with a clear message when fewer than one in 10,000 match or
// more than 5e7 rows would have to be drawn.
//
// min_leaf 0 chooses the leaf size from the training rows alone (cart_leaf.cpp): an internal
// split holds out 20% of them (repeated up to 5 times on small tables), a cart is fitted on the
// rest for each candidate (5, 10, 20, 50, 100, 200, ascending) and samples as many rows, and the
// first candidate is kept whose synthetic rows do not give the fitted rows away: the membership
// attacks of `medgen evaluate` (distance to the closest synthetic row; k-NN density ratio
// against held-out real rows) reach an AUC of at most 0.53 between fitted and held-out rows, and
// the synthetic rows' median distance to the closest fitted row is at least the held-out rows'.
// When no candidate passes, the largest one tried. Distances as in `medgen evaluate`: per column
// |a - b| / range (numbers) or 0/1 (labels), capped at 1, missing against present 1, summed.
//
// Model files hold real values: every training value of every numerical column is a donor
// (privacy "exact"). privacy "coarse" rounds donors to 1/200 of the column's range, leaf shares
// to 1/200, and grows no leaf with fewer than 5 rows.
//
// Thread safety: fit mutates; a fitted model's sample is const and uses only its own Rng.
#pragma once

#include <string>
#include <vector>

#include "medgen/core/rng.h"
#include "medgen/tabular/synthesizer.h"
#include "medgen/tabular/trees.h"

namespace medgen::tabular {

struct CartParams {
  int min_leaf = 5;               // training rows per leaf at least; 0: chosen (see above)
  int max_depth = 20;             // tree depth at most
  std::string smoothing = "jitter";  // "jitter", "density" or "none" (see above)
  std::string privacy = "exact";  // "exact" or "coarse"
  static CartParams from_json(const nlohmann::json& j);  // InvalidInput on unknown keys or bad values
  nlohmann::json to_json() const;
};

class CartSynthesizer : public Synthesizer {
 public:
  explicit CartSynthesizer(CartParams params) : params_(std::move(params)) {}

  std::string name() const override { return "cart"; }
  nlohmann::json params() const override { return params_.to_json(); }
  void fit(const Table& table, const Schema& schema, const Context& ctx) override;
  Table sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const override;
  void save_state(nlohmann::json* state, std::string* payload) const override;
  void load_state(const nlohmann::json& state, const std::string& payload) override;
  nlohmann::json summary() const override;

 private:
  // One tree and what its leaves hold; tree.value[leaf] is the leaf's slot.
  struct Step {
    Tree tree;
    std::vector<double> prob;        // binary step: P(yes) per slot
    std::vector<uint32_t> offsets;   // numeric step: slot k's donors are donors[offsets[k], offsets[k + 1])
    std::vector<double> donors;
    std::vector<double> bandwidth;   // numeric step with smoothing: per slot (derived, not saved)
  };
  struct ColumnModel {
    int column = -1;        // schema index
    bool numeric = false;
    double center = 0, scale = 1;  // numeric feature = (value - center) / scale
    bool always_missing = false;
    bool has_missing = false;      // numeric: `missing` draws missingness first
    bool smooth = false;           // numeric with more than 32 distinct values and smoothing not "none"
    std::vector<double> grid;      // smoothing "jitter": the distinct donors, sorted (derived, not saved)
    Step missing, value;           // numeric
    std::vector<int> chain_class;  // categorical: class of each chain step (-1: missing)
    std::vector<Step> chain;
    std::vector<int> rest_class;   // categorical: classes after the chain and their cumulative shares
    std::vector<double> rest_cum;
  };
  // The learned columns of `table` in schema order (NaN = missing, labels as schema codes) and a
  // model per column with its kind set; InvalidInput for a column that is absent or mistyped.
  static std::vector<std::vector<double>> learned_values(const Table& table, const Schema& schema,
                                                         std::vector<ColumnModel>* models);
  void fit_trees(const Table& table, const Schema& schema, const Context& ctx);
  // min_leaf 0: the leaf size (cart_leaf.cpp); fills leaf_choice_ with the candidates' scores.
  int choose_min_leaf(const Table& table, const Schema& schema, const Context& ctx);
  Step fit_step(const std::vector<float>& features, size_t d, size_t p, const std::vector<size_t>& rows,
                const std::vector<double>& target, bool binary, const Context& ctx) const;
  // The derived parts of a smoothed column's state (bandwidths or grid).
  void prepare_smoothing(ColumnModel* cm) const;
  // Fills `out` (columns × m, NaN = missing, categories as codes) with m unconditioned draws.
  void draw(size_t m, Rng& rng, std::vector<std::vector<double>>* out) const;

  CartParams params_;
  int leaf_ = 5;                  // the leaf size the trees were grown with
  nlohmann::json leaf_choice_;    // min_leaf 0: what the internal check measured
  std::vector<ColumnModel> cols_;  // learned columns in schema order (the order of synthesis)
};

}  // namespace medgen::tabular
