// Options of the "cart" synthesizer (src/tabular/cart.cpp).
#include "param_builders.h"

namespace medgen::tabular {

std::vector<ParamSpec> cart_param_table() {
  return {
      int_param("min_leaf", 0, 0, 1000000,
                "training rows per leaf at least (each synthetic value is drawn from its leaf's rows); 0: the smallest "
                "of 5-200 that passes a membership and distance check on an internal 80/20 split"),
      int_param("max_depth", 20, 1, 60, "tree depth at most"),
      choice_param("smoothing", {"jitter", "density", "none"},
                   "columns with more than 32 values: jitter (uniform between the midpoints to the neighbouring training values), "
                   "density (Gaussian noise of the leaf's kernel bandwidth) or none (donors as they are)"),
      choice_param("privacy", {"exact", "coarse"},
                   "what the model file keeps of the real values (coarse: donors rounded to 1/200 of the range, "
                   "leaf shares to 1/200, leaves of 5 rows at least)"),
  };
}

}  // namespace medgen::tabular
