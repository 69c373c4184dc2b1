// Quantile mapping: a monotone map that carries one distribution onto another by matching their
// quantiles (what climate modelling calls bias correction by quantile mapping). The gru
// sequence model fits one per series and time window after training, from its own samples to
// the training data, and applies it to what it samples (internal to the records module and
// its plugin).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::records::detail {

struct QuantileMap {
  // Knots: from[k] (the model's quantile) maps to to[k] (the data's quantile at the same
  // level); both non-decreasing, equal sizes. Empty: the identity.
  std::vector<double> from, to;

  bool identity() const { return from.empty(); }
  // Piecewise-linear between knots; above the last knot shifted by the end knots' difference,
  // below the first likewise, or scaled by the first knots' ratio where x and both first knots
  // are positive.
  double operator()(double x) const;

  // Knots at `knots` + 1 evenly spaced levels of the two samples (any order, finite). The
  // identity when either has fewer than min_values values.
  static QuantileMap fit(std::vector<double> model, std::vector<double> data, size_t knots, size_t min_values);

  nlohmann::json to_json() const;
  // ModelFormat naming `where` on anything but two equal-length, non-decreasing arrays of
  // finite numbers (at most max_knots).
  static QuantileMap from_json(const nlohmann::json& j, size_t max_knots, const std::string& where);
};

// Logit shifts that move a model's class shares onto the data's: log(data share) - log(model
// share) per class, both from counts with half a count added, clamped to [-limit, limit].
std::vector<double> share_shift(const std::vector<double>& data_counts, const std::vector<double>& model_counts,
                                double limit);
// The same for a binary outcome as one logit shift: counts {no, yes}; the log odds ratio.
double odds_shift(const std::vector<double>& data_counts, const std::vector<double>& model_counts, double limit);

}  // namespace medgen::records::detail
