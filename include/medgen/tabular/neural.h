// Neural synthesizers (LibTorch) live in a shared library, libmedgen_tabular_nn.so, loaded on
// first use: LibTorch's ~0.5 s of static initialisation is paid only by commands that fit or
// sample a neural model, not by every medgen process. The registry creates them through
// create_neural_synthesizer; the library is looked up in $MEDGEN_PLUGIN_DIR, then next to the
// running executable, then in the build's library folder.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

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
};

// InvalidInput (naming the library) when the neural library cannot be loaded.
std::unique_ptr<Synthesizer> create_neural_synthesizer(const std::string& name, const nlohmann::json& params);

// Thrown by fit when Ctrl-C (SIGINT) stopped training after a checkpoint was written.
class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace medgen::tabular
