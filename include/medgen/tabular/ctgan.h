// CTGAN: a conditional GAN for tables (Xu et al. 2019, "Modeling Tabular Data using
// Conditional GAN"), implemented from the paper on the shared data transformer.
//  - Conditional vector and training-by-sampling: each row of a batch picks a discrete
//    (categorical/boolean) column uniformly, a value of it with probability proportional to
//    log(1 + frequency), and a real row with that value; the cond vector one-hots that value.
//    The generator's loss adds the cross-entropy between its output on the picked column and
//    the picked value.
//  - Generator: noise (embedding_dim) + cond -> residual blocks (Linear, BatchNorm, ReLU, the
//    block's output concatenated to its input) of widths `generator` -> Linear. Outputs: tanh
//    on normalized scalars, Gumbel-softmax (tau) on every one-hot span.
//  - Discriminator (PacGAN): `pac` rows concatenated per decision; Linear, LeakyReLU(0.2),
//    Dropout(0.5) per width of `discriminator`; then Linear to 1.
//  - loss "wgan-gp" (default): Wasserstein loss with gradient penalty gp_lambda on random
//    interpolates; "minimax": the original min_G max_D E[log D(x)] + E[log(1 - D(G(z)))] with
//    the non-saturating generator loss -E[log D(G(z))].
//  - Adam(lr 2e-4, betas (0.5, 0.9), weight decay 1e-6) for both, batch 500 (a multiple of pac).
// Sampling runs the generator in evaluation mode; sample_batchnorm chooses whether BatchNorm
// then uses its running statistics ("eval", default) or each sampling batch's own ("train",
// as the Python reference does); docs/benchmarks.md has the measured difference. Unconditional
// samples draw cond vectors from the training frequencies; `col=value` conditions set them,
// keep generated rows that honour every condition, regenerate the others (up to 20 rounds) and
// finally set the conditioned values on rows that still disagree. Exactly n rows.
// On CUDA (cuda_graph "auto") one training step (the discriminator's and the generator's
// updates, conditions and noise drawn on the device) is captured once as a CUDA graph after a
// few eager steps and replayed, with Adam's step counts on the device (nn::DeviceAdam): the same
// mathematics without hundreds of kernel launches per step; "off" launches each kernel.
// With dp.epsilon > 0 the discriminator, the only part that reads rows, is trained by DP-SGD
// (docs/privacy.md, "DP-SGD"): Poisson-sampled rows, one row per decision (pac 1: a pack of
// several rows would make a row's presence change a pack instead of adding one), each row's
// cond vector taken from the row itself (a uniformly picked discrete column's value), and the
// per-row loss -- the critic on the real row, on its fake, and the gradient penalty at their
// interpolate (wgan-gp) -- clipped as one gradient before the noise is added. The transformer
// and the generator's cond frequencies come from noisy histograms (the transformer's share of
// the budget); generator updates read no rows. No CUDA graph; the model records the budget.
// Thread safety and global state: see Synthesizer in synthesizer.h. fit and sample seed
// LibTorch's global generator from ctx.seed and set its process-wide intra-op thread count
// (nn::init_torch); fit handles SIGINT, SIGTERM and SIGHUP while it trains (to write a
// checkpoint) and restores the previous handlers when it returns. With sample_batchnorm
// "train", sample also updates the generator's BatchNorm running statistics.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/tabular/neural.h"
#include "medgen/tabular/transformer.h"

namespace medgen::tabular {

struct CtganParams {
  TrainParams train = default_train();      // epochs 300, batch 500, lr 2e-4, weight decay 1e-6
  int embedding_dim = 128;                  // noise size
  std::vector<int> generator = {256, 256};  // residual block widths
  std::vector<int> discriminator = {256, 256};
  int pac = 10;                             // rows per discriminator decision (PacGAN)
  double gp_lambda = 10.0;                  // gradient penalty weight (wgan-gp)
  std::string loss = "wgan-gp";             // "wgan-gp" or "minimax"
  int discriminator_steps = 1;              // discriminator updates per generator update
  double tau = 0.2;                         // Gumbel-softmax temperature
  std::string sample_batchnorm = "eval";    // "eval" or "train" (see above)
  std::string cuda_graph = "auto";          // "auto" or "off" (see below)
  TransformerParams transformer;
  DpParams dp;                              // differential privacy (off unless dp.epsilon > 0; see below)

  static TrainParams default_train() {
    TrainParams t;
    t.lr = 2e-4;
    t.weight_decay = 1e-6;
    return t;
  }
  // InvalidInput on unknown keys or absurd values (batch_size not a multiple of pac, ...).
  static CtganParams from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

}  // namespace medgen::tabular
