#include "medgen/core/ranks.h"

#include <algorithm>
#include <numeric>

namespace medgen {

std::vector<double> mid_ranks(const std::vector<double>& x) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) r[order[k]] = rank;
    i = j + 1;
  }
  return r;
}

double roc_auc(const std::vector<double>& score, const std::vector<int>& label) {
  const std::vector<double> r = mid_ranks(score);
  double n_pos = 0, n_neg = 0, rank_sum = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    if (label[i] != 0) {
      n_pos += 1;
      rank_sum += r[i];
    } else {
      n_neg += 1;
    }
  }
  if (n_pos == 0 || n_neg == 0) return 0.5;
  return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
}

}  // namespace medgen
