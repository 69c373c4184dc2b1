// TVAE: a variational autoencoder on the mode-normalized table (Xu et al. 2019, "Modeling
// Tabular Data using Conditional GAN", section on TVAE), trained on the evidence lower bound
//   L = -E_q(z|x)[log p(x|z)] + KL(q(z|x) || N(0, I))
// where p(x|z) is Gaussian with a learned per-dimension sigma (clamped to [0.01, 1]) on the
// normalized scalars (mean tanh(decoder output)) and categorical (softmax) on each one-hot span.
//
// Sampling: z ~ N(0, I); scalars from N(tanh(out), sigma^2) clipped to [-1, 1]; each one-hot
// span from its softmax. Conditional sampling (col=value, several at once) targets the learned
// p(x | conditions): since the decoder makes columns independent given z, p(z | c) is
// proportional to p(z) * prod_i p(c_i | z); proposals z ~ N(0, I) are importance-resampled
// with weights prod_i softmax_i(c_i | z), the conditioned spans are set to their values and the
// other columns are drawn from p(x | z). Exactly n rows; no rejection.
//
// With dp.epsilon > 0 the model is trained by DP-SGD (see DpParams in neural.h and
// docs/privacy.md): the encoder and decoder are Linear + ReLU stacks (no BatchNorm), so each
// row's gradient, the learned sigma's included, is separable; the model file then records the
// budget spent, and no loss history computed from the rows.
//
// Implemented in the LibTorch shared library (see neural.h); this header carries the options.
// Thread safety and global state: see Synthesizer in synthesizer.h. fit and sample seed
// LibTorch's global generator from ctx.seed and set its process-wide intra-op thread count
// (nn::init_torch); fit handles SIGINT, SIGTERM and SIGHUP while it trains (to write a
// checkpoint) and restores the previous handlers when it returns.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/tabular/neural.h"
#include "medgen/tabular/transformer.h"

namespace medgen::tabular {

struct TvaeParams {
  TrainParams train;                   // epochs 300, batch 500, lr 1e-3, weight decay 1e-5
  int latent_dim = 128;                // size of z
  std::vector<int> hidden = {128, 128};  // encoder widths; the decoder mirrors them
  double loss_factor = 1.0;            // weight of the reconstruction term (1 = the ELBO)
  int proposals_per_row = 20;          // conditional sampling: importance proposals per row
  TransformerParams transformer;       // the data transformer's options
  DpParams dp;                         // differential privacy (off unless dp.epsilon > 0)

  // InvalidInput on unknown keys or absurd values, naming the key.
  static TvaeParams from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

}  // namespace medgen::tabular
