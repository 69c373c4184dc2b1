// Neural synthesizers (LibTorch) live in a shared library, libmedgen_tabular_nn.so, loaded on
// first use: LibTorch's ~0.5 s of static initialisation is paid only by commands that fit or
// sample a neural model, not by every medgen process. The registry creates them through
// create_neural_synthesizer; the library is looked up in $MEDGEN_PLUGIN_DIR, then next to the
// running executable, then in the build's library folder.
// Global state: the first call loads the library (process-wide, never unloaded; see
// core/plugin.h) and, with it, LibTorch. The synthesizers it returns are owned by the caller's
// unique_ptr; their thread safety is that of Synthesizer (synthesizer.h).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "medgen/core/interrupted.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::tabular {

// Options shared by the neural synthesizers (each adds its own), read from the params JSON.
struct TrainParams {
  int epochs = 300;              // passes over the data
  int batch_size = 500;          // rows per optimisation step
  double lr = 1e-3;              // Adam learning rate
  double weight_decay = 1e-5;    // Adam L2 penalty
  std::string device = "cpu";    // "cpu" or "cuda"
  int checkpoint_every = 0;      // save a checkpoint every N epochs (0: only on Ctrl-C)
  std::string checkpoint;        // checkpoint path (set by the pipeline: <model>.ckpt)
  bool resume = false;           // continue from `checkpoint`
  // "exact" or "coarse": with "coarse" the model file stores the schema's bounds rounded
  // outward, the transformer's modes to 3 significant digits and category shares on a grid of
  // 1/200 (see docs/formats.md). The network weights are what they are: trained on the data.
  std::string privacy = "exact";
};

// Differential privacy by DP-SGD (docs/privacy.md, "DP-SGD"): off while epsilon is 0, and then
// nothing about training changes. On: the transformer is fitted from noisy per-column histograms
// (transformer_share of the budget), training takes Poisson-sampled batches (rate batch_size /
// rows), clips each row's gradient to norm `clip` and adds Gaussian noise of standard deviation
// noise_multiplier * clip to their sum; the multiplier is calibrated so that the whole run spends
// at most (epsilon, delta) (privacy::calibrate_sigma_with_zcdp).
struct DpParams {
  double epsilon = 0;               // total budget epsilon; 0: no differential privacy
  double delta = 1e-9;              // delta of (epsilon, delta)-DP; below 1 / rows
  double clip = 1.0;                // per-row gradient norm bound C
  double transformer_share = 0.1;   // share of epsilon for the transformer's histograms, in (0, 1)
  int bins = 16;                    // histogram bins of a numeric column between the schema's bounds
  double noise_multiplier = 0;      // 0: calibrated; > 0: this one, refused if it spends more than epsilon
  bool enabled() const { return epsilon > 0; }
};

// InvalidInput (naming the library) when the neural library cannot be loaded.
std::unique_ptr<Synthesizer> create_neural_synthesizer(const std::string& name, const nlohmann::json& params);

// Thrown by fit when SIGINT (Ctrl-C), SIGTERM or SIGHUP stopped training after a checkpoint
// was written (see nn/trainer.h); the CLI exits with 128 + signo().
using medgen::Interrupted;

}  // namespace medgen::tabular
