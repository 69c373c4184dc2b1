#include "medgen/tabular/disclosure.h"

#include <cstdio>

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

const json& field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

}  // namespace

json model_disclosure_json(const json& header) {
  const json& params = field(header, "params");
  const json& priv = field(params, "privacy");
  const std::string privacy = priv.is_string() ? priv.get<std::string>() : "exact";
  const bool coarse = privacy == "coarse";
  const std::string synth = field(header, "synthesizer").is_string() ? field(header, "synthesizer").get<std::string>() : "";
  const bool neural = synth == "ctgan" || synth == "tvae" || synth == "diffusion" || synth == "autoregressive";

  size_t bounded = 0, labels = 0;
  const json& columns = field(field(header, "schema"), "columns");
  if (columns.is_array())
    for (const json& c : columns) {
      if (c.is_object() && c.contains("min") && c.contains("max")) ++bounded;
      const json& values = field(c, "values");
      if (values.is_array()) labels += values.size();
    }
  size_t quantiles = 0, real = 0;
  const json& latents = field(field(header, "state"), "latents");
  if (latents.is_array())
    for (const json& l : latents) {
      const json& q = field(l, "quantiles");
      const json& levels = field(l, "levels");
      if (q.is_array()) {
        quantiles += q.size();
        if (!coarse && field(l, "family") == "empirical") real += q.size();
      }
      if (field(l, "family") == "discrete" && levels.is_array()) real += levels.size();
    }
  // The autoregressive synthesizer's tokens: atoms (values kept exactly) and bin edges (order
  // statistics of the training values), real values under exact privacy.
  const json& tokens = field(field(field(header, "state"), "encoding"), "columns");
  if (tokens.is_array())
    for (const json& c : tokens)
      for (const char* key : {"atoms", "edges"}) {
        const json& v = field(c, key);
        if (v.is_array()) {
          quantiles += v.size();
          if (!coarse) real += v.size();
        }
      }

  // The cart synthesizer's donors: training values (rounded under coarse privacy).
  const json& cart = field(field(header, "state"), "columns");
  if (cart.is_array())
    for (const json& c : cart) {
      const json& d = field(field(c, "value"), "donors");
      if (d.is_array() && !coarse) real += d.size();
    }

  json out{{"privacy", privacy},
           {"real_values", real},
           {"quantile_entries", quantiles},
           {"bounded_columns", bounded},
           {"bounds", coarse ? "rounded outward" : "exact"},
           {"labels", labels},
           {"counts", coarse ? "rounded to 1/200 shares" : "exact"},
           {"weights", neural}};
  std::string line;
  const json& dp = field(field(header, "summary"), "privacy");
  if (synth == "mst" && dp.is_object() && dp.value("epsilon", json()).is_number() && dp.value("delta", json()).is_number()) {
    // Only noisy marginals: what the data discloses is bounded by the budget; the domain
    // (the schema's bounds and labels) is outside it.
    char b[160];
    std::snprintf(b, sizeof b, "(epsilon %g, delta %g)-differentially private (rho-zCDP %.4g)", dp["epsilon"].get<double>(),
                  dp["delta"].get<double>(), dp.value("rho", 0.0));
    out["privacy"] = "dp";
    out["counts"] = "noisy (Gaussian)";
    out["epsilon"] = dp["epsilon"];
    out["delta"] = dp["delta"];
    line = std::string(b) + ": noisy marginals only; the schema's min/max of " + std::to_string(bounded) + " columns and " +
           std::to_string(labels) + " category labels are not covered (public only if the schema was)";
  } else if (neural && dp.is_object() && dp.value("mechanism", json()) == "dp-sgd" &&
             dp.value("epsilon", json()).is_number() && dp.value("delta", json()).is_number()) {
    // DP-SGD: network weights and a transformer fitted from noisy histograms.
    char b[200];
    std::snprintf(b, sizeof b, "(epsilon %g, delta %g)-differentially private (DP-SGD, noise multiplier %.4g)",
                  dp["epsilon"].get<double>(), dp["delta"].get<double>(), dp.value("noise_multiplier", 0.0));
    out["privacy"] = "dp";
    out["counts"] = "noisy (Gaussian)";
    out["epsilon"] = dp["epsilon"];
    out["delta"] = dp["delta"];
    line = std::string(b) + ": weights and transformer from noisy gradients and histograms; the schema's min/max of " +
           std::to_string(bounded) + " columns and " + std::to_string(labels) +
           " category labels are not covered (public only if the schema was)";
  } else if (!coarse) {
    line = "privacy exact: holds real values from the training data (";
    if (!neural || real > 0) line += std::to_string(real) + " values as they occur in the data, ";
    line += "exact min/max of " + std::to_string(bounded) + " columns, " + std::to_string(labels) +
            " category labels, exact frequencies" + std::string(neural ? ", network weights trained on the rows" : "") +
            "): protect it like the data";
  } else {
    line = "privacy coarse: no quantile tables of real values; bounds of " + std::to_string(bounded) +
           " columns rounded outward, frequencies rounded";
    if (!neural) line += ", values seen fewer than 5 times dropped (" + std::to_string(real) + " numeric levels each seen 5+ times kept)";
    line += "; still derived from the data (" + std::to_string(labels) + " category labels, correlations" +
            std::string(neural ? ", network weights" : "") + ")";
  }
  out["summary"] = line;
  return out;
}

std::string model_disclosure(const json& header) { return model_disclosure_json(header)["summary"].get<std::string>(); }

}  // namespace medgen::tabular
