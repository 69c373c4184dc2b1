// Options of the "mst" synthesizer (src/tabular/mst.cpp).
#include "param_builders.h"

namespace medgen::tabular {

std::vector<ParamSpec> mst_param_table() {
  return {
      real_param("epsilon", 1.0, 0, 1e6, "total privacy budget epsilon, > 0 (--epsilon)"),
      real_param("delta", 1e-9, 0, 1, "delta of (epsilon, delta)-DP, in (0, 1) (--delta)"),
      int_param("bins", 16, 1, 1000,
                "equal-width bins of a numeric or datetime column between the schema's min and max "
                "(an integer column with at most this many values: one bin per value)"),
  };
}

}  // namespace medgen::tabular
