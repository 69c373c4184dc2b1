// Options of the "autoregressive" synthesizer (src/tabular/nn/autoregressive.cpp).
#include <algorithm>

#include "param_builders.h"

namespace medgen::tabular {

std::vector<ParamSpec> autoregressive_param_table() {
  std::vector<ParamSpec> t = neural_common(1e-3, 1e-5);
  // No mixture modes here: numeric columns are cut into quantile bins.
  t.erase(std::remove_if(t.begin(), t.end(), [](const ParamSpec& p) { return p.name == "max_modes"; }), t.end());
  for (ParamSpec& p : t)
    if (p.name == "max_categories") p.help = "tokens per categorical column at most (rarer levels share one)";
  t.push_back(int_param("bins", 64, 2, 4096, "tokens of a numeric column: exact values and quantile bins"));
  t.push_back(widths_param("hidden", {256, 256}, "network widths: the first is the column-embedding size"));
  t.push_back(real_param("fixed_order_share", 0.5, 0, 1,
                         "share of training rows in the sampling order (the rest in random orders)"));
  t.push_back(real_param("validation_share", 0.1, 0, 0.5,
                         "share of rows held out to stop training early and keep the best epoch (0: off)"));
  t.push_back(int_param("patience", 20, 1, 1000000, "epochs without a better validation NLL before training stops"));
  return t;
}

}  // namespace medgen::tabular
