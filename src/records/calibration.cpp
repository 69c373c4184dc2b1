#include "calibration.h"

#include <algorithm>
#include <cmath>

#include "../tabular/state_check.h"

namespace medgen::records::detail {

using json = nlohmann::json;

namespace {

// The sample's quantile at level u (linear between order statistics); sorted non-empty.
double quantile(const std::vector<double>& sorted, double u) {
  const double pos = u * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(pos), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

double QuantileMap::operator()(double x) const {
  if (from.empty() || std::isnan(x)) return x;
  // Beyond the knots: shifted with the end knot (a gap far beyond every observed one stays
  // beyond them: that is how a sequence ends).
  // Below the first knot a positive quantity (a gap, a lab value) scales with the first knots'
  // ratio instead, so that it stays positive and small values stay small on a log scale.
  if (x < from.front())
    return from.front() > 0 && to.front() > 0 && x > 0 ? to.front() * (x / from.front()) : to.front() + (x - from.front());
  if (x > from.back()) return to.back() + (x - from.back());
  const size_t lo = static_cast<size_t>(std::lower_bound(from.begin(), from.end(), x) - from.begin());
  const size_t hi = static_cast<size_t>(std::upper_bound(from.begin(), from.end(), x) - from.begin());
  // x on knots lo..hi-1 (a point mass of the model when several): the middle of their levels.
  // Between knots lo-1 and lo: linear in the level.
  const double k = lo < hi ? 0.5 * static_cast<double>(lo + hi - 1)
                           : static_cast<double>(lo - 1) + (x - from[lo - 1]) / (from[lo] - from[lo - 1]);
  const size_t k0 = std::min(static_cast<size_t>(k), to.size() - 2);
  return to[k0] + (k - static_cast<double>(k0)) * (to[k0 + 1] - to[k0]);
}

QuantileMap QuantileMap::fit(std::vector<double> model, std::vector<double> data, size_t knots, size_t min_values) {
  QuantileMap m;
  if (knots < 1 || model.size() < std::max<size_t>(min_values, 2) || data.size() < std::max<size_t>(min_values, 2)) return m;
  std::sort(model.begin(), model.end());
  std::sort(data.begin(), data.end());
  for (size_t k = 0; k <= knots; ++k) {
    const double u = static_cast<double>(k) / static_cast<double>(knots);
    m.from.push_back(quantile(model, u));
    m.to.push_back(quantile(data, u));
  }
  if (m.from.front() == m.from.back()) return QuantileMap{};  // a constant: nothing to map
  return m;
}

json QuantileMap::to_json() const { return json{{"from", from}, {"to", to}}; }

QuantileMap QuantileMap::from_json(const json& j, size_t max_knots, const std::string& where) {
  namespace st = tabular::state;
  QuantileMap m;
  m.from = st::finite_array(st::member(j, "from", where), where + ".from");
  m.to = st::finite_array(st::member(j, "to", where), where + ".to");
  if (m.from.size() != m.to.size() || m.from.size() == 1 || m.from.size() > max_knots + 1)
    st::fail(where + ": from and to need the same number of knots, 2 to " + std::to_string(max_knots + 1) + " (or none)");
  if (!std::is_sorted(m.from.begin(), m.from.end()) || !std::is_sorted(m.to.begin(), m.to.end()))
    st::fail(where + ": knots must not decrease");
  if (!m.from.empty() && m.from.front() == m.from.back()) st::fail(where + ": the model's knots are all equal");
  return m;
}

std::vector<double> share_shift(const std::vector<double>& data_counts, const std::vector<double>& model_counts,
                                double limit) {
  const size_t k = data_counts.size();
  double nd = 0, nm = 0;
  for (size_t i = 0; i < k; ++i) {
    nd += data_counts[i] + 0.5;
    nm += model_counts[i] + 0.5;
  }
  std::vector<double> s(k);
  for (size_t i = 0; i < k; ++i)
    s[i] = std::clamp(std::log((data_counts[i] + 0.5) / nd) - std::log((model_counts[i] + 0.5) / nm), -limit, limit);
  return s;
}

double odds_shift(const std::vector<double>& data_counts, const std::vector<double>& model_counts, double limit) {
  const std::vector<double> s = share_shift(data_counts, model_counts, limit);
  return std::clamp(s[1] - s[0], -limit, limit);
}

}  // namespace medgen::records::detail
