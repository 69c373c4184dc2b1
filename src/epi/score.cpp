#include "medgen/epi/score.h"

#include <algorithm>
#include <cmath>

#include "medgen/core/error.h"

namespace medgen::epi {

const std::vector<double>& quantile_levels() {
  static const std::vector<double> levels = [] {
    std::vector<double> l{0.01, 0.025};
    for (int i = 1; i <= 19; ++i) l.push_back(0.05 * i);
    l.push_back(0.975);
    l.push_back(0.99);
    return l;
  }();
  return levels;
}

std::vector<double> sample_quantiles(std::vector<double>& s) {
  MEDGEN_ASSERT(!s.empty());
  std::sort(s.begin(), s.end());
  std::vector<double> q;
  for (double p : quantile_levels()) {
    const double h = p * (s.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(h)), hi = std::min(lo + 1, s.size() - 1);
    q.push_back(s[lo] + (h - lo) * (s[hi] - s[lo]));
  }
  return q;
}

double median_of(const std::vector<double>& q) { return q[quantile_levels().size() / 2]; }

double weighted_interval_score(const std::vector<double>& q, double y) {
  const auto& lv = quantile_levels();
  const size_t m = lv.size() / 2, K = m;
  double total = 0.5 * std::fabs(y - q[m]);
  for (size_t k = 0; k < K; ++k) {
    const double alpha = 2 * lv[k], l = q[k], u = q[lv.size() - 1 - k];
    double is = u - l;
    if (y < l) is += 2 / alpha * (l - y);
    if (y > u) is += 2 / alpha * (y - u);
    total += alpha / 2 * is;
  }
  return total / (K + 0.5);
}

bool covered(const std::vector<double>& q, double y, double alpha) {
  const auto& lv = quantile_levels();
  for (size_t k = 0; k < lv.size() / 2; ++k)
    if (std::fabs(2 * lv[k] - alpha) < 1e-9) return y >= q[k] && y <= q[lv.size() - 1 - k];
  MEDGEN_ASSERT(false && "no interval at this alpha");
  return false;
}

}  // namespace medgen::epi
