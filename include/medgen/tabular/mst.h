// MST: a differentially private synthesizer from measured marginals (McKenna, Miklau and
// Sheldon 2021, "Winning the NIST Contest: A scalable and general approach to differentially
// private synthetic data"), for a budget (epsilon, delta) converted to rho-zCDP
// (privacy::zcdp_rho) and split in three equal parts:
//  1. every learned column's 1-way marginal, measured with Gaussian noise (L2 sensitivity 1
//     each, d measurements: stddev sqrt(3 d / (2 rho)));
//  2. d - 1 rounds of the exponential mechanism (each epsilon_r = sqrt(8 (rho / 3) / (d - 1)),
//     i.e. rho / (3 (d - 1)) zCDP) choosing, among the pairs that join two components so far,
//     the pair whose true 2-way counts are farthest in L1 from the product of the noisy 1-way
//     marginals (sensitivity 1): a maximum spanning tree of informative pairs;
//  3. the tree's d - 1 pair marginals, measured with Gaussian noise (stddev sqrt(3 (d-1) / (2 rho))).
// Estimation (post-processing): each column's marginal is the inverse-variance average of its
// noisy 1-way marginal and the margins of its noisy pair marginals, made non-negative; each
// pair marginal is shrunk toward the product of those margins by as much as its noise explains
// (positive-part James-Stein), made non-negative and fitted to the two margins by iterative
// proportional fitting. Sampling follows the tree from column 0: its marginal, then each child given its
// parent. Conditions (categorical columns) are exact: messages from the leaves up, then
// sampling down.
//
// The domain is public, taken from the schema, never from the data: categorical and boolean
// columns have the schema's labels, numeric and datetime columns `bins` equal-width bins
// between the schema's min and max (an integer column with at most `bins` values: one bin per
// value). Every column gets one more cell for missing values. A synthetic number is uniform
// within its bin (rounded for integers). So the schema's bounds and labels are *not* covered by
// epsilon: pass a schema written from public knowledge (`fit --schema`); an inferred schema
// reads them from the data. Identifier columns are regenerated, text columns are not learned.
//
// The model file holds only noisy (post-processed) quantities, the schema and the budget spent.
// Deterministic from ctx.seed. Thread safety: fit mutates; sample is const and uses its own Rng.
#pragma once

#include <string>
#include <vector>

#include "medgen/tabular/synthesizer.h"

namespace medgen::tabular {

struct MstParams {
  double epsilon = 1.0;  // total privacy budget
  double delta = 1e-9;   // of (epsilon, delta)-DP
  int bins = 16;         // equal-width bins of a numeric column between the schema's bounds
  static MstParams from_json(const nlohmann::json& j);  // InvalidInput on unknown keys or bad values
  nlohmann::json to_json() const;
};

class MstSynthesizer : public Synthesizer {
 public:
  explicit MstSynthesizer(MstParams params) : params_(params) {}

  std::string name() const override { return "mst"; }
  nlohmann::json params() const override { return params_.to_json(); }
  void fit(const Table& table, const Schema& schema, const Context& ctx) override;
  Table sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const override;
  void save_state(nlohmann::json* state, std::string* payload) const override;
  void load_state(const nlohmann::json& state, const std::string& payload) override;
  // The tree's edges (column names) and the budget: epsilon, delta, rho and the noise scales.
  nlohmann::json summary() const override;

  // For tests: the tree as (parent, child) schema column indices, and the joint distribution
  // of two adjacent columns' cells (parent-major), missing cell last.
  std::vector<std::pair<int, int>> edges() const;
  std::vector<double> pair_distribution(int parent_column, int child_column) const;

 private:
  struct Node {
    int column = -1;             // schema column index
    std::vector<double> edges;   // numeric: bin edges (size cells); empty for labels
    bool integer_cells = false;  // numeric: one cell per whole number edges[k]
    int parent = -1;             // node index, -1 for the root (node 0)
    size_t cells = 0;            // including the missing cell (last)
    std::vector<double> prob;    // root: marginal (cells); others: P(cell | parent cell), parent-major
  };
  size_t value_cells(const ColumnSchema& cs) const;  // cells before the missing one

  MstParams params_;
  std::vector<Node> nodes_;  // in sampling order: every parent before its children
  nlohmann::json budget_;    // what was spent
};

}  // namespace medgen::tabular
