#include "medgen/tabular/mst.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/privacy/accountant.h"
#include "medgen/tabular/param_table.h"
#include "state_check.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

bool learned(const ColumnSchema& cs) { return cs.type != ColumnType::kIdentifier && cs.type != ColumnType::kText; }
bool numeric(const ColumnSchema& cs) { return cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime; }

// A numeric column's cells from the schema alone (never the data): bin edges, or the whole
// numbers of a small integer range. Returns the number of value cells.
size_t numeric_layout(const ColumnSchema& cs, int bins, std::vector<double>* edges, bool* integer_cells) {
  if (!std::isfinite(cs.min) || !std::isfinite(cs.max) || cs.min > cs.max)
    throw InvalidInput("mst: column '" + cs.name + "' needs finite min and max in the schema (the bins' public bounds)");
  edges->clear();
  *integer_cells = false;
  const double lo = cs.min, hi = cs.max;
  if (cs.type == ColumnType::kNumerical && cs.integer && hi - lo + 1 <= bins) {
    *integer_cells = true;
    for (double v = std::ceil(lo); v <= hi; v += 1) edges->push_back(v);
    if (edges->empty()) edges->push_back(lo);
    return edges->size();
  }
  if (lo == hi) {
    *edges = {lo, hi};
    return 1;
  }
  for (int k = 0; k <= bins; ++k) edges->push_back(lo + (hi - lo) * k / bins);
  return static_cast<size_t>(bins);
}

size_t numeric_cell(double x, const std::vector<double>& edges, bool integer_cells) {
  const size_t k = integer_cells ? edges.size() : edges.size() - 1;
  const double lo = edges.front(), hi = edges.back();
  double pos = integer_cells ? std::round(x) - lo : (hi > lo ? (x - lo) / (hi - lo) * static_cast<double>(k) : 0);
  pos = std::clamp(pos, 0.0, static_cast<double>(k - 1));
  return static_cast<size_t>(pos);
}

// An index drawn with probability w[i] / total.
size_t draw(const double* w, size_t k, double total, Rng& rng) {
  double u = rng.uniform() * total;
  size_t last = 0;
  for (size_t i = 0; i < k; ++i) {
    if (w[i] <= 0) continue;
    last = i;
    u -= w[i];
    if (u < 0) return i;
  }
  return last;
}

struct UnionFind {
  std::vector<size_t> up;
  explicit UnionFind(size_t n) : up(n) { std::iota(up.begin(), up.end(), 0); }
  size_t find(size_t a) {
    while (up[a] != a) a = up[a] = up[up[a]];
    return a;
  }
};

void normalise(std::vector<double>* p) {
  for (double& v : *p) v = std::max(v, 0.0);
  const double s = std::accumulate(p->begin(), p->end(), 0.0);
  for (double& v : *p) v = s > 0 ? v / s : 1.0 / static_cast<double>(p->size());
}

}  // namespace

MstParams MstParams::from_json(const json& j) {
  const json r = resolve_params("mst", j);
  MstParams p;
  p.epsilon = r["epsilon"].get<double>();
  p.delta = r["delta"].get<double>();
  p.bins = r["bins"].get<int>();
  if (!(p.epsilon > 0)) throw InvalidInput("mst: epsilon must be > 0, got " + json(p.epsilon).dump());
  if (!(p.delta > 0 && p.delta < 1)) throw InvalidInput("mst: delta must be in (0, 1), got " + json(p.delta).dump());
  return p;
}

json MstParams::to_json() const { return json{{"epsilon", epsilon}, {"delta", delta}, {"bins", bins}}; }

size_t MstSynthesizer::value_cells(const ColumnSchema& cs) const {
  if (!numeric(cs)) return cs.values.size();
  std::vector<double> edges;
  bool integer_cells = false;
  return numeric_layout(cs, params_.bins, &edges, &integer_cells);
}

void MstSynthesizer::fit(const Table& table, const Schema& schema, const Context& ctx) {
  schema_ = schema;
  warnings_.clear();
  nodes_.clear();
  const size_t n = table.num_rows();
  if (n == 0) throw InvalidInput("mst: the table has no rows");

  // Cells per column (the missing cell last) and every row's cell.
  std::vector<Node> nodes;
  std::vector<std::vector<uint32_t>> cell;
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    const ColumnSchema& cs = schema.columns[c];
    if (!learned(cs)) continue;
    const Column& col = table.column(cs.name);
    Node nd;
    nd.column = static_cast<int>(c);
    std::vector<uint32_t> x(n);
    if (numeric(cs)) {
      const size_t vc = numeric_layout(cs, params_.bins, &nd.edges, &nd.integer_cells);
      nd.cells = vc + 1;
      for (size_t r = 0; r < n; ++r)
        x[r] = static_cast<uint32_t>(col.is_missing(r) ? vc : numeric_cell(col.values[r], nd.edges, nd.integer_cells));
    } else {
      nd.cells = cs.values.size() + 1;
      std::vector<uint32_t> code_map(col.dictionary.size());
      for (size_t k = 0; k < col.dictionary.size(); ++k) {
        auto it = std::find(cs.values.begin(), cs.values.end(), col.dictionary[k]);
        if (it == cs.values.end())
          throw InvalidInput("column '" + cs.name + "': value '" + col.dictionary[k] + "' is not in the schema");
        code_map[k] = static_cast<uint32_t>(it - cs.values.begin());
      }
      for (size_t r = 0; r < n; ++r)
        x[r] = col.codes[r] < 0 ? static_cast<uint32_t>(cs.values.size()) : code_map[static_cast<size_t>(col.codes[r])];
    }
    nodes.push_back(std::move(nd));
    cell.push_back(std::move(x));
  }
  const size_t d = nodes.size();
  if (d == 0) throw InvalidInput("mst: no column to learn (identifier and text columns are not learned)");

  // The budget: rho-zCDP in three equal parts (all of it to the 1-way marginals for one column).
  const double rho = privacy::zcdp_rho(params_.epsilon, params_.delta);
  const double rho_part = d > 1 ? rho / 3 : rho;
  const double sigma1 = std::sqrt(static_cast<double>(d) / (2 * rho_part));
  const double sigma2 = d > 1 ? std::sqrt(static_cast<double>(d - 1) / (2 * rho_part)) : 0;
  const double eps_select = d > 1 ? std::sqrt(8 * rho_part / static_cast<double>(d - 1)) : 0;
  Rng rng(ctx.seed);

  // 1. Noisy 1-way marginals.
  std::vector<std::vector<double>> one(d);
  for (size_t i = 0; i < d; ++i) {
    one[i].assign(nodes[i].cells, 0.0);
    for (uint32_t v : cell[i]) one[i][v] += 1;
    for (double& v : one[i]) v += sigma1 * rng.normal();
  }
  auto pair_counts = [&](size_t a, size_t b) {
    std::vector<double> m(nodes[a].cells * nodes[b].cells, 0.0);
    for (size_t r = 0; r < n; ++r) m[cell[a][r] * nodes[b].cells + cell[b][r]] += 1;
    return m;
  };

  // 2. The tree: d - 1 rounds of the exponential mechanism over the pairs joining two components.
  // Scores use the true pair counts against the product of the noisy 1-way estimates.
  double n_hat = 0;
  for (const auto& o : one) n_hat += std::accumulate(o.begin(), o.end(), 0.0) / static_cast<double>(d);
  n_hat = std::max(n_hat, 1.0);
  std::vector<std::vector<double>> p1(d);
  for (size_t i = 0; i < d; ++i) {
    p1[i] = one[i];
    normalise(&p1[i]);
  }
  std::vector<std::pair<size_t, size_t>> pairs;
  std::vector<double> score;
  for (size_t a = 0; a < d; ++a)
    for (size_t b = a + 1; b < d; ++b) {
      const std::vector<double> m = pair_counts(a, b);
      double s = 0;
      for (size_t x = 0; x < nodes[a].cells; ++x)
        for (size_t y = 0; y < nodes[b].cells; ++y) s += std::fabs(m[x * nodes[b].cells + y] - n_hat * p1[a][x] * p1[b][y]);
      pairs.emplace_back(a, b);
      score.push_back(s);
    }
  UnionFind uf(d);
  std::vector<std::pair<size_t, size_t>> tree;
  for (size_t round = 0; round + 1 < d; ++round) {
    // Gumbel-max: argmax of eps/(2 * sensitivity) * score + Gumbel noise is the exponential mechanism.
    double best = -std::numeric_limits<double>::infinity();
    size_t pick = 0;
    for (size_t k = 0; k < pairs.size(); ++k) {
      const double g = -std::log(-std::log(rng.uniform_open()));
      if (uf.find(pairs[k].first) == uf.find(pairs[k].second)) continue;
      const double v = eps_select / 2 * score[k] + g;
      if (v > best) best = v, pick = k;
    }
    uf.up[uf.find(pairs[pick].first)] = uf.find(pairs[pick].second);
    tree.push_back(pairs[pick]);
  }

  // 3. Noisy pair marginals of the tree.
  std::vector<std::vector<double>> two(tree.size());
  for (size_t e = 0; e < tree.size(); ++e) {
    two[e] = pair_counts(tree[e].first, tree[e].second);
    for (double& v : two[e]) v += sigma2 * rng.normal();
  }

  // Estimation. Each column's marginal: inverse-variance average of its 1-way measurement and
  // its pair measurements' margins (a margin over k cells has k times a cell's variance).
  std::vector<std::vector<double>> marg(d);
  for (size_t i = 0; i < d; ++i) {
    std::vector<double> num(nodes[i].cells), den(nodes[i].cells, 1 / (sigma1 * sigma1));
    for (size_t x = 0; x < nodes[i].cells; ++x) num[x] = one[i][x] / (sigma1 * sigma1);
    for (size_t e = 0; e < tree.size(); ++e) {
      const auto [a, b] = tree[e];
      if (a != i && b != i) continue;
      const size_t ka = nodes[a].cells, kb = nodes[b].cells;
      const double w = 1 / (static_cast<double>(a == i ? kb : ka) * sigma2 * sigma2);
      for (size_t x = 0; x < ka; ++x)
        for (size_t y = 0; y < kb; ++y) {
          const size_t own = a == i ? x : y;
          num[own] += w * two[e][x * kb + y];
        }
      for (double& v : den) v += w;
    }
    marg[i].resize(nodes[i].cells);
    for (size_t x = 0; x < nodes[i].cells; ++x) marg[i][x] = num[x] / den[x];
    normalise(&marg[i]);
  }
  // Each pair: shrunk toward the independence model of its margins (positive-part James-Stein:
  // the measurement's excess over its noise decides how much dependence is kept, so at tiny
  // epsilon the estimate is close to independent rather than random), made non-negative, then
  // fitted to the two margins by iterative proportional fitting. A floor of 1e-9 per cell keeps
  // rows with a positive margin from being all zero.
  std::vector<std::vector<double>> joint(tree.size());
  for (size_t e = 0; e < tree.size(); ++e) {
    const auto [a, b] = tree[e];
    const size_t ka = nodes[a].cells, kb = nodes[b].cells;
    std::vector<double>& m = joint[e];
    m.resize(ka * kb);
    double ss = 0;
    for (size_t x = 0; x < ka; ++x)
      for (size_t y = 0; y < kb; ++y) {
        const double r = two[e][x * kb + y] - n_hat * marg[a][x] * marg[b][y];
        ss += r * r;
      }
    const double cells = static_cast<double>(ka * kb);
    const double keep = cells > 2 && ss > 0 ? std::max(0.0, 1 - (cells - 2) * sigma2 * sigma2 / ss) : 1.0;
    for (size_t x = 0; x < ka; ++x)
      for (size_t y = 0; y < kb; ++y) {
        const double prod = n_hat * marg[a][x] * marg[b][y];
        m[x * kb + y] = prod + keep * (two[e][x * kb + y] - prod);
      }
    normalise(&m);
    for (double& v : m) v += 1e-9;
    for (int it = 0; it < 200; ++it) {
      for (size_t x = 0; x < ka; ++x) {
        double s = 0;
        for (size_t y = 0; y < kb; ++y) s += m[x * kb + y];
        for (size_t y = 0; y < kb; ++y) m[x * kb + y] *= s > 0 ? marg[a][x] / s : 0;
      }
      for (size_t y = 0; y < kb; ++y) {
        double s = 0;
        for (size_t x = 0; x < ka; ++x) s += m[x * kb + y];
        for (size_t x = 0; x < ka; ++x) m[x * kb + y] *= s > 0 ? marg[b][y] / s : 0;
      }
    }
  }

  // The tree rooted at column 0, breadth first; conditionals P(child | parent).
  std::vector<std::vector<std::pair<size_t, size_t>>> adj(d);  // (neighbour, edge)
  for (size_t e = 0; e < tree.size(); ++e) {
    adj[tree[e].first].emplace_back(tree[e].second, e);
    adj[tree[e].second].emplace_back(tree[e].first, e);
  }
  std::vector<size_t> order = {0};
  std::vector<int> parent_of(d, -2), slot(d, -1);
  parent_of[0] = -1;
  slot[0] = 0;
  Node root = nodes[0];
  root.prob = marg[0];
  nodes_.push_back(root);
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t p = order[k];
    for (const auto& [c, e] : adj[p]) {
      if (parent_of[c] != -2) continue;
      parent_of[c] = static_cast<int>(p);
      order.push_back(c);
      Node nd = nodes[c];
      nd.parent = slot[p];
      const size_t kp = nodes[p].cells, kc = nodes[c].cells;
      const bool p_first = tree[e].first == p;
      nd.prob.assign(kp * kc, 0.0);
      for (size_t x = 0; x < kp; ++x) {
        double s = 0;
        for (size_t y = 0; y < kc; ++y) s += nd.prob[x * kc + y] = p_first ? joint[e][x * kc + y] : joint[e][y * kp + x];
        for (size_t y = 0; y < kc; ++y) nd.prob[x * kc + y] = s > 0 ? nd.prob[x * kc + y] / s : marg[c][y];
      }
      slot[c] = static_cast<int>(nodes_.size());
      nodes_.push_back(std::move(nd));
    }
  }
  MEDGEN_ASSERT(nodes_.size() == d);

  budget_ = json{{"epsilon", params_.epsilon},       {"delta", params_.delta},
                 {"rho", rho},                       {"sigma_1way", sigma1},
                 {"sigma_2way", sigma2},             {"epsilon_per_selection", eps_select},
                 {"selection_rounds", d - 1},        {"domain", "schema"}};
}

std::vector<std::pair<int, int>> MstSynthesizer::edges() const {
  std::vector<std::pair<int, int>> out;
  for (const Node& nd : nodes_)
    if (nd.parent >= 0) out.emplace_back(nodes_[static_cast<size_t>(nd.parent)].column, nd.column);
  return out;
}

std::vector<double> MstSynthesizer::pair_distribution(int parent_column, int child_column) const {
  // Node marginals down the tree.
  std::vector<std::vector<double>> marg(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& nd = nodes_[i];
    if (nd.parent < 0) {
      marg[i] = nd.prob;
      continue;
    }
    const std::vector<double>& pm = marg[static_cast<size_t>(nd.parent)];
    marg[i].assign(nd.cells, 0.0);
    for (size_t x = 0; x < pm.size(); ++x)
      for (size_t y = 0; y < nd.cells; ++y) marg[i][y] += pm[x] * nd.prob[x * nd.cells + y];
  }
  for (const Node& nd : nodes_)
    if (nd.column == child_column && nd.parent >= 0 && nodes_[static_cast<size_t>(nd.parent)].column == parent_column) {
      const std::vector<double>& pm = marg[static_cast<size_t>(nd.parent)];
      std::vector<double> out(pm.size() * nd.cells);
      for (size_t x = 0; x < pm.size(); ++x)
        for (size_t y = 0; y < nd.cells; ++y) out[x * nd.cells + y] = pm[x] * nd.prob[x * nd.cells + y];
      return out;
    }
  throw InvalidInput("mst: no tree edge from column " + std::to_string(parent_column) + " to " + std::to_string(child_column));
}

Table MstSynthesizer::sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const {
  check_request(n, conditions);
  const size_t d = nodes_.size();
  // Evidence, then messages from the leaves up: belief[i][x] = evidence x children's messages.
  std::vector<std::vector<double>> belief(d);
  for (size_t i = 0; i < d; ++i) belief[i].assign(nodes_[i].cells, 1.0);
  for (const Condition& c : conditions) {
    const size_t col = static_cast<size_t>(schema_.find(c.column));
    const ColumnSchema& cs = schema_.columns[col];
    const size_t code = static_cast<size_t>(std::find(cs.values.begin(), cs.values.end(), c.value) - cs.values.begin());
    for (size_t i = 0; i < d; ++i)
      if (nodes_[i].column == static_cast<int>(col))
        for (size_t x = 0; x < nodes_[i].cells; ++x) belief[i][x] *= x == code ? 1.0 : 0.0;
  }
  for (size_t i = d; i-- > 1;) {
    const Node& nd = nodes_[i];
    std::vector<double>& up = belief[static_cast<size_t>(nd.parent)];
    for (size_t x = 0; x < up.size(); ++x) {
      double s = 0;
      for (size_t y = 0; y < nd.cells; ++y) s += nd.prob[x * nd.cells + y] * belief[i][y];
      up[x] *= s;
    }
  }
  // Unnormalised sampling weights: root cells, then each child's per parent cell.
  std::vector<std::vector<double>> weight(d), total(d);
  for (size_t i = 0; i < d; ++i) {
    const Node& nd = nodes_[i];
    weight[i] = nd.prob;
    const size_t rows = nd.parent < 0 ? 1 : nodes_[static_cast<size_t>(nd.parent)].cells;
    total[i].assign(rows, 0.0);
    for (size_t x = 0; x < rows; ++x)
      for (size_t y = 0; y < nd.cells; ++y) total[i][x] += weight[i][x * nd.cells + y] *= belief[i][y];
  }
  if (!(total[0][0] > 0)) throw InvalidInput("mst: the conditions have probability 0 under the model");

  Table out;
  const std::vector<size_t> outcols = output_columns(schema_);
  std::vector<int> out_index(schema_.columns.size(), -1);
  for (size_t oc : outcols) {
    const ColumnSchema& cs = schema_.columns[oc];
    out_index[oc] = static_cast<int>(out.columns.size());
    if (cs.type == ColumnType::kIdentifier)
      out.columns.push_back(synthetic_identifiers(cs, n));
    else if (numeric(cs))
      out.columns.push_back(Column::numbers(cs.name, n));
    else
      out.columns.push_back(Column::strings(cs.name, n, cs.values));
  }
  Rng rng(ctx.seed);
  std::vector<size_t> x(d);
  for (size_t r = 0; r < n; ++r) {
    for (size_t i = 0; i < d; ++i) {
      const Node& nd = nodes_[i];
      const size_t row = nd.parent < 0 ? 0 : x[static_cast<size_t>(nd.parent)];
      x[i] = draw(&weight[i][row * nd.cells], nd.cells, total[i][row], rng);
    }
    for (size_t i = 0; i < d; ++i) {
      const Node& nd = nodes_[i];
      Column& col = out.columns[static_cast<size_t>(out_index[static_cast<size_t>(nd.column)])];
      const bool missing = x[i] + 1 == nd.cells;
      if (col.storage == Storage::kString) {
        col.codes[r] = missing ? -1 : static_cast<int32_t>(x[i]);
      } else if (!missing) {
        col.valid[r] = 1;
        col.values[r] = nd.integer_cells ? nd.edges[x[i]]
                                         : nd.edges[x[i]] + rng.uniform() * (nd.edges[x[i] + 1] - nd.edges[x[i]]);
      }
    }
  }
  for (size_t oc : outcols)
    if (numeric(schema_.columns[oc])) apply_constraints(out.columns[static_cast<size_t>(out_index[oc])], schema_.columns[oc]);
  return out;
}

json MstSynthesizer::summary() const {
  json tree = json::array();
  for (const auto& [p, c] : edges()) tree.push_back(schema_.columns[static_cast<size_t>(p)].name + " - " + schema_.columns[static_cast<size_t>(c)].name);
  return json{{"privacy", budget_}, {"tree", tree}};
}

void MstSynthesizer::save_state(json* state, std::string* payload) const {
  json nodes = json::array();
  for (const Node& nd : nodes_) nodes.push_back(json{{"column", nd.column}, {"parent", nd.parent}, {"prob", nd.prob}});
  *state = json{{"nodes", std::move(nodes)}, {"budget", budget_}, {"warnings", warnings_}};
  payload->clear();
}

// The layout (cells, bin edges) is recomputed from the schema and the options, never read.
void MstSynthesizer::load_state(const json& j, const std::string& payload) {
  namespace st = state;
  if (!payload.empty()) st::fail("mst state: unexpected binary payload");
  const json& jn = st::array(st::member(j, "nodes", "mst state"), "mst state: nodes");
  std::vector<Node> nodes;
  std::vector<bool> seen(schema_.columns.size(), false);
  for (size_t i = 0; i < jn.size(); ++i) {
    const std::string where = "mst state: nodes[" + std::to_string(i) + "]";
    const json& o = st::object(jn[i], where);
    for (auto it = o.begin(); it != o.end(); ++it)
      if (it.key() != "column" && it.key() != "parent" && it.key() != "prob") st::fail(where + ": unknown key '" + it.key() + "'");
    Node nd;
    nd.column = static_cast<int>(st::integer(st::member(o, "column", where), 0, static_cast<int64_t>(schema_.columns.size()) - 1, where + ".column"));
    const ColumnSchema& cs = schema_.columns[static_cast<size_t>(nd.column)];
    if (!learned(cs)) st::fail(where + ": column '" + cs.name + "' is not learned");
    if (seen[static_cast<size_t>(nd.column)]) st::fail(where + ": column '" + cs.name + "' appears twice");
    seen[static_cast<size_t>(nd.column)] = true;
    if (numeric(cs)) {
      try {
        nd.cells = numeric_layout(cs, params_.bins, &nd.edges, &nd.integer_cells) + 1;
      } catch (const InvalidInput& e) {
        st::fail(where + ": " + e.what());
      }
    } else {
      nd.cells = cs.values.size() + 1;
    }
    nd.parent = static_cast<int>(st::integer(st::member(o, "parent", where), -1, static_cast<int64_t>(i) - 1, where + ".parent"));
    if ((i == 0) != (nd.parent < 0)) st::fail(where + ": only the first node is the root");
    nd.prob = st::finite_array(st::member(o, "prob", where), where + ".prob");
    const size_t rows = nd.parent < 0 ? 1 : nodes[static_cast<size_t>(nd.parent)].cells;
    if (nd.prob.size() != rows * nd.cells)
      st::fail(where + ".prob: " + std::to_string(rows * nd.cells) + " entries expected, got " + std::to_string(nd.prob.size()));
    for (size_t x = 0; x < rows; ++x) {
      double s = 0;
      for (size_t y = 0; y < nd.cells; ++y) {
        if (nd.prob[x * nd.cells + y] < 0) st::fail(where + ".prob: a negative probability");
        s += nd.prob[x * nd.cells + y];
      }
      if (std::fabs(s - 1) > 1e-6) st::fail(where + ".prob: a distribution that does not sum to 1");
    }
    nodes.push_back(std::move(nd));
  }
  for (size_t c = 0; c < schema_.columns.size(); ++c)
    if (learned(schema_.columns[c]) && !seen[c]) st::fail("mst state: column '" + schema_.columns[c].name + "' has no node");
  if (nodes.empty()) st::fail("mst state: no nodes");
  const json& b = st::object(st::member(j, "budget", "mst state"), "mst state: budget");
  for (const char* key : {"epsilon", "delta", "rho"})
    if (!(st::finite(st::member(b, key, "mst state: budget"), std::string("mst state: budget.") + key) >= 0))
      st::fail(std::string("mst state: budget.") + key + ": negative");
  warnings_.clear();
  if (j.contains("warnings")) warnings_ = st::string_array(j["warnings"], "mst state: warnings");
  nodes_ = std::move(nodes);
  budget_ = b;
}

}  // namespace medgen::tabular
