// Selecting and splitting datasets by top-level entity (every descendant follows its entity).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "links.h"
#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/records/dataset.h"

namespace medgen::records {

Dataset select_entities(const Dataset& d, const std::vector<bool>& keep) {
  if (keep.size() != d.num_entities())
    throw InvalidInput("select_entities: " + std::to_string(keep.size()) + " flags for " +
                       std::to_string(d.num_entities()) + " entities");
  const DatasetSchema& s = d.schema;
  std::vector<std::vector<bool>> kept(s.tables.size());
  size_t base = 0;
  for (size_t r : s.roots()) {
    const TableSchema& ts = s.tables[r];
    const size_t rows = d.tables[r].num_rows();
    kept[r].assign(rows, false);
    if (ts.is_sequence()) {
      const detail::EntityGroups g = detail::group_events(d, r);
      for (size_t e = 0; e < g.num_entities(); ++e)
        for (size_t k = g.offsets[e]; k < g.offsets[e + 1]; ++k) kept[r][g.order[k]] = keep[base + e];
      base += g.num_entities();
    } else {
      for (size_t i = 0; i < rows; ++i) kept[r][i] = keep[base + i];
      base += rows;
    }
  }
  for (size_t t : s.topological_order()) {
    if (s.parent_of(t) < 0) continue;
    const size_t p = static_cast<size_t>(s.parent_of(t));
    const std::vector<int64_t> pr = detail::parent_rows(d, t);
    kept[t].assign(pr.size(), false);
    for (size_t i = 0; i < pr.size(); ++i) kept[t][i] = pr[i] >= 0 && kept[p][static_cast<size_t>(pr[i])];
  }
  Dataset out;
  out.schema = s;
  for (size_t t = 0; t < s.tables.size(); ++t) {
    std::vector<size_t> rows;
    for (size_t i = 0; i < kept[t].size(); ++i)
      if (kept[t][i]) rows.push_back(i);
    Table table;
    for (const Column& c : d.tables[t].columns) table.columns.push_back(c.take(rows));
    out.tables.push_back(std::move(table));
  }
  return out;
}

std::pair<Dataset, Dataset> split_dataset(const Dataset& d, double fraction, uint64_t seed) {
  if (!(fraction > 0 && fraction < 1)) throw InvalidInput("split: the holdout fraction must be in (0, 1)");
  const size_t n = d.num_entities();
  if (n < 2) throw InvalidInput("split: a dataset of " + std::to_string(n) + " entities cannot be split");
  size_t h = static_cast<size_t>(std::llround(fraction * static_cast<double>(n)));
  h = std::clamp<size_t>(h, 1, n - 1);
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), size_t{0});
  Rng rng(seed);
  for (size_t i = n - 1; i > 0; --i) std::swap(idx[i], idx[rng.below(i + 1)]);  // Fisher-Yates
  std::vector<bool> hold(n, false);
  for (size_t i = 0; i < h; ++i) hold[idx[i]] = true;
  std::vector<bool> train(n);
  for (size_t i = 0; i < n; ++i) train[i] = !hold[i];
  return {select_entities(d, train), select_entities(d, hold)};
}

}  // namespace medgen::records
