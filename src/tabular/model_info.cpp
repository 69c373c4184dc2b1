// medgen info's description of a model file (see model_info.h).
#include "medgen/tabular/model_info.h"

#include <cstdio>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/tabular/disclosure.h"

namespace medgen::tabular {

using json = nlohmann::json;

json model_info_json(const json& header) {
  json info = header;
  info.erase("state");
  info["disclosure"] = model_disclosure_json(header);
  return info;
}

namespace {

std::string info_text(const json& h) {
  std::string s;
  s += "synthesizer   " + h.value("synthesizer", "?") + "\n";
  s += "medgen        " + h.value("medgen_version", "?") + " (model format " + std::to_string(kModelFormatVersion) +
       ")\n";
  s += "params        " + h.value("params", json::object()).dump() + "\n";
  const json p = h.value("provenance", json::object());
  s += "input         " + p.value("input", "?") + "  sha256 " + p.value("input_sha256", "?") + "\n";
  s += "trained on    " + std::to_string(p.value("rows", 0)) + " rows x " + std::to_string(p.value("columns", 0)) +
       " columns in " + std::to_string(p.value("train_seconds", 0.0)) + " s (seed " +
       std::to_string(p.value("seed", 0ULL)) + ", " + std::to_string(p.value("threads", 1)) + " thread(s))\n";
  s += "disclosure    " + model_disclosure(h) + "\n";
  const json summary = h.value("summary", json::object());
  const json dp = summary.value("privacy", json());
  if (dp.is_object() && dp.value("mechanism", "") == "dp-sgd") {
    char line[400];
    std::snprintf(line, sizeof line,
                  "privacy       DP-SGD (epsilon %.4g of %.4g, delta %.3g): noise multiplier %.4g, clip %.4g, sampling "
                  "rate %.4g, %lld steps; transformer from noisy histograms (share %.3g, rho %.4g)\n",
                  dp.value("epsilon", 0.0), dp.value("epsilon_target", 0.0), dp.value("delta", 0.0),
                  dp.value("noise_multiplier", 0.0), dp.value("clip", 0.0), dp.value("sampling_rate", 0.0),
                  static_cast<long long>(dp.value("steps", 0LL)), dp.value("transformer_share", 0.0),
                  dp.value("transformer_rho", 0.0));
    s += line;
  }
  if (summary.contains("history") && !summary["history"].empty()) {
    const json& hist = summary["history"];
    s += "training      " + std::to_string(hist.size()) + " epochs\n";
    s += "loss history  epoch";
    const json& first = hist.front();
    for (auto it = first.begin(); it != first.end(); ++it)
      if (it.key() != "epoch") s += "  " + it.key();
    s += "\n";
    // First, last and up to 8 evenly spaced epochs between.
    const size_t n = hist.size(), step = n > 10 ? n / 9 : 1;
    for (size_t i = 0; i < n; i += step) {
      const size_t k = (i + step >= n) ? n - 1 : i;
      char line[64];
      std::snprintf(line, sizeof line, "              %5d", hist[k].value("epoch", 0));
      s += line;
      for (auto it = hist[k].begin(); it != hist[k].end(); ++it) {
        if (it.key() == "epoch") continue;
        std::snprintf(line, sizeof line, "  %.4g", it->is_number() ? it->get<double>() : 0.0);
        s += line;
      }
      s += "\n";
      if (k == n - 1) break;
    }
  }
  if (summary.contains("trees") && summary["trees"].is_number() && summary.value("leaves", json()).is_number() &&
      summary.value("donors", json()).is_number())  // cart
    s += "learned       " + std::to_string(summary["trees"].get<int64_t>()) + " trees, " +
         std::to_string(summary["leaves"].get<int64_t>()) + " leaves" +
         (summary.value("min_leaf", json()).is_number()
              ? " (min_leaf " + std::to_string(summary["min_leaf"].get<int64_t>()) +
                    (summary.contains("leaf_choice") ? ", chosen by the internal check" : "") + ")"
              : std::string()) +
         ", " +
         std::to_string(summary["donors"].get<int64_t>()) + " donor values\n";
  s += "columns:\n";
  if (summary.contains("tree") && summary["tree"].is_array()) {  // mst
    std::string t;
    for (const json& e : summary["tree"])
      if (e.is_string()) t += (t.empty() ? "" : ", ") + e.get<std::string>();
    s += "learned       tree of " + std::to_string(summary["tree"].size()) + " noisy pair marginals: " + t + "\n";
  }
  const json marg = summary.value("marginals", json::object());
  for (const json& c : h.at("schema").at("columns")) {
    const std::string name = c.value("name", "?");
    std::string extra = marg.contains(name) && marg[name].is_string() ? marg[name].get<std::string>() : "";
    if (c.contains("values") && c["values"].is_array())
      extra += (extra.empty() ? "" : ", ") + std::to_string(c["values"].size()) + " values";
    char line[256];
    std::snprintf(line, sizeof line, "  %-20s %-12s %s\n", name.c_str(), c.value("type", "?").c_str(), extra.c_str());
    s += line;
  }
  if (h.contains("state") && h["state"].is_object())
    for (const json& w : h["state"].value("warnings", json::array()))
      if (w.is_string()) s += "note: " + w.get<std::string>() + "\n";
  return s;
}

}  // namespace

std::string model_info_text(const json& header) {
  try {
    return info_text(header);
  } catch (const json::exception& e) {
    // A header that passed the checksum but has a field of the wrong type.
    throw ModelFormat(std::string("model header: ") + e.what());
  }
}

}  // namespace medgen::tabular
