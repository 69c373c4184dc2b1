// Builders of the synthesizers' option tables (internal to the tabular module). The tables
// themselves: param_table.cpp (copula, independent, tvae, ctgan), params_diffusion.cpp and
// params_autoregressive.cpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/tabular/param_table.h"

namespace medgen::tabular {

inline ParamSpec int_param(std::string name, int def, double lo, double hi, std::string help) {
  return {std::move(name), ParamKind::kInt, def, lo, hi, {}, std::move(help)};
}
inline ParamSpec real_param(std::string name, double def, double lo, double hi, std::string help) {
  return {std::move(name), ParamKind::kDouble, def, lo, hi, {}, std::move(help)};
}
inline ParamSpec choice_param(std::string name, std::vector<std::string> choices, std::string help) {
  nlohmann::json def = choices.front();
  return {std::move(name), ParamKind::kString, def, 0, 0, std::move(choices), std::move(help)};
}
inline ParamSpec widths_param(std::string name, std::vector<int> def, std::string help) {
  return {std::move(name), ParamKind::kIntList, def, 1, 65536, {}, std::move(help)};
}

inline const char* const kPrivacyHelp = "what the model file keeps of the real values (coarse: coarsened quantiles, "
                                 "rounded bounds; --privacy)";

inline std::vector<ParamSpec> neural_common(double lr, double weight_decay) {
  return {
      int_param("epochs", 300, 1, 1000000, "passes over the data (--epochs)"),
      int_param("batch_size", 500, 2, 1000000, "rows per optimisation step (--batch-size)"),
      real_param("lr", lr, 1e-8, 10, "Adam learning rate (--lr)"),
      real_param("weight_decay", weight_decay, 0, 1, "Adam L2 penalty"),
      int_param("checkpoint_every", 0, 0, 1000000, "write a checkpoint every N epochs, 0: only on a signal"),
      choice_param("device", {"cpu", "cuda"}, "where to train (--device)"),
      choice_param("privacy", {"exact", "coarse"}, kPrivacyHelp),
      int_param("max_categories", 100, 2, 100000, "one-hot width cap per categorical column"),
      int_param("max_modes", 10, 1, 100, "mixture components per numeric column at most"),
  };
}

// Differential privacy by DP-SGD (DpParams in neural.h): epsilon 0 leaves it off.
inline std::vector<ParamSpec> dp_sgd_params() {
  return {
      real_param("epsilon", 0, 0, 1e6, "differential privacy (DP-SGD): total budget epsilon; 0: off (--epsilon)"),
      real_param("delta", 1e-9, 0, 1, "DP-SGD: delta of (epsilon, delta)-DP, in (0, 1 / rows) (--delta)"),
      real_param("dp_clip", 1.0, 1e-6, 1e4, "DP-SGD: per-row gradient norm bound C"),
      real_param("dp_transformer_share", 0.1, 0.001, 0.9,
                 "DP-SGD: share of epsilon for the transformer's noisy histograms"),
      int_param("dp_bins", 16, 2, 1000, "DP-SGD: histogram bins of a numeric column between the schema's min and max"),
      real_param("dp_noise_multiplier", 0, 0, 1e6,
                 "DP-SGD: noise multiplier; 0: calibrated to epsilon; one too small for the budget is refused"),
  };
}

// The tables of the synthesizers defined in their own files.
std::vector<ParamSpec> diffusion_param_table();
std::vector<ParamSpec> autoregressive_param_table();
std::vector<ParamSpec> cart_param_table();
std::vector<ParamSpec> mst_param_table();

}  // namespace medgen::tabular
