// Options of the "diffusion" synthesizer (src/tabular/nn/diffusion.cpp).
#include "param_builders.h"

namespace medgen::tabular {

std::vector<ParamSpec> diffusion_param_table() {
  std::vector<ParamSpec> t = neural_common(2e-3, 1e-4);
  for (ParamSpec& p : t) {
    // Bigger batches: a diffusion step is cheap and its loss noisy (a random timestep per row).
    if (p.name == "batch_size") p.default_value = 1024;
    // Fewer modes: the one-hot of each mode is one more categorical the diffusion must learn.
    if (p.name == "max_modes") p.default_value = 5;
  }
  t.push_back(int_param("timesteps", 100, 2, 10000, "diffusion steps of training (T)"));
  t.push_back(int_param("sample_steps", 25, 0, 10000,
                        "reverse steps when sampling, a respaced subsequence of the T steps (0 or >= T: all T)"));
  t.push_back(widths_param("hidden", {128, 128}, "denoiser layer widths"));
  t.push_back(int_param("epoch_rows", 5000, 0, 100000000,
                        "rows per epoch at least: a smaller table is passed over several times per epoch"));
  return t;
}

}  // namespace medgen::tabular
