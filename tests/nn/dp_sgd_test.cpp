// DP-SGD's per-example gradients (issue 20 item 1): the per-layer outer-product path against
// the micro-batch computation (batches of one through LibTorch's autograd, each gradient clipped,
// then summed), on a small VAE shaped like tvae's (a per-example parameter included).
#include "medgen/nn/dp_sgd.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "medgen/core/error.h"

namespace {

using medgen::nn::PerExampleGrads;

struct ToyVae {
  torch::nn::Sequential enc{torch::nn::Linear(5, 8), torch::nn::ReLU(), torch::nn::Linear(8, 6), torch::nn::ReLU()};
  torch::nn::Linear mu{6, 3}, logvar{6, 3};
  torch::nn::Sequential dec{torch::nn::Linear(3, 6),
                            torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2))};
  torch::nn::Linear out{6, 5};
  torch::Tensor sigma;
  ToyVae() {
    for (torch::nn::Module* m : std::vector<torch::nn::Module*>{enc.ptr().get(), mu.ptr().get(), logvar.ptr().get(),
                                                                dec.ptr().get(), out.ptr().get()})
      m->to(torch::kDouble);
    sigma = torch::full({5}, 0.3, torch::kDouble).requires_grad_(true);
  }
  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> p;
    for (const auto& m : std::vector<std::vector<torch::Tensor>>{enc->parameters(), mu->parameters(),
                                                                 logvar->parameters(), dec->parameters(),
                                                                 out->parameters()})
      p.insert(p.end(), m.begin(), m.end());
    p.push_back(sigma);
    return p;
  }
  // Each row's loss: Gaussian reconstruction with the learned sigma, plus the KL term. Through
  // the tape when given one, else through the modules' own forward().
  torch::Tensor losses(const torch::Tensor& x, const torch::Tensor& noise, PerExampleGrads* tape) {
    torch::Tensor h, m, lv, o, sig;
    if (tape) {
      h = tape->sequential(enc, x);
      m = tape->linear(*mu, h);
      lv = tape->linear(*logvar, h);
    } else {
      h = enc->forward(x);
      m = mu->forward(h);
      lv = logvar->forward(h);
    }
    const auto z = m + noise * torch::exp(0.5 * lv);
    if (tape) {
      o = tape->linear(*out, tape->sequential(dec, z));
      sig = tape->per_example(sigma);
    } else {
      o = out->forward(dec->forward(z));
      sig = sigma.unsqueeze(0).expand({x.size(0), 5});
    }
    const auto diff = x - torch::tanh(o);
    const auto rec = (diff * diff / (2 * sig * sig) + torch::log(sig)).sum(1);
    const auto kl = -0.5 * (1 + lv - m * m - torch::exp(lv)).sum(1);
    return rec + kl;
  }
};

// The reference DP-SGD computes one example at a time: each example's gradient norm (its loss,
// from `loss_of(i)`, back-propagated alone) and the sum of the gradients clipped to `clip`, the
// median norm (between the smallest and largest, so that both branches are exercised).
struct MicroBatches {
  std::vector<double> norms;
  double clip = 0;
  std::vector<torch::Tensor> clipped_sum;
};
MicroBatches micro_batches(const std::vector<torch::Tensor>& params, int64_t rows,
                           const std::function<torch::Tensor(int64_t)>& loss_of) {
  MicroBatches m;
  std::vector<std::vector<torch::Tensor>> each;
  for (int64_t i = 0; i < rows; ++i) {
    for (const auto& p : params) p.mutable_grad() = torch::Tensor();
    loss_of(i).backward();
    double sq = 0;
    std::vector<torch::Tensor> g;
    for (const auto& p : params) {
      g.push_back(p.grad().clone());
      sq += p.grad().pow(2).sum().item<double>();
    }
    m.norms.push_back(std::sqrt(sq));
    each.push_back(g);
  }
  std::vector<double> sorted = m.norms;
  std::sort(sorted.begin(), sorted.end());
  m.clip = sorted[static_cast<size_t>(rows / 2)];
  for (const auto& p : params) m.clipped_sum.push_back(torch::zeros_like(p));
  for (int64_t i = 0; i < rows; ++i) {
    const double c = std::min(1.0, m.clip / m.norms[static_cast<size_t>(i)]);
    for (size_t k = 0; k < params.size(); ++k) m.clipped_sum[k] += c * each[static_cast<size_t>(i)][k];
  }
  for (const auto& p : params) p.mutable_grad() = torch::Tensor();
  return m;
}

TEST(DpSgd, PerLayerClippedSumEqualsMicroBatches) {
  torch::manual_seed(11);
  ToyVae net;
  const int64_t rows = 13;
  const auto x = torch::randn({rows, 5}, torch::kDouble);
  const auto noise = torch::randn({rows, 3}, torch::kDouble);
  const std::vector<torch::Tensor> params = net.parameters();

  // The reference: one example at a time.
  const MicroBatches ref = micro_batches(params, rows, [&](int64_t i) {
    return net.losses(x.narrow(0, i, 1), noise.narrow(0, i, 1), nullptr).sum();
  });
  const std::vector<double>& ref_norms = ref.norms;
  const std::vector<torch::Tensor>& micro_sum = ref.clipped_sum;
  const double clip = ref.clip;

  for (const auto& p : params) p.mutable_grad() = torch::Tensor();
  PerExampleGrads tape(rows);
  const auto losses = net.losses(x, noise, &tape);
  ASSERT_EQ(tape.parameters().size(), params.size());  // every parameter recorded
  const auto norms = tape.clip_and_sum(losses, clip);
  for (int64_t i = 0; i < rows; ++i) EXPECT_NEAR(norms[i].item<double>(), ref_norms[static_cast<size_t>(i)], 1e-10 * ref_norms[static_cast<size_t>(i)]);
  for (size_t k = 0; k < params.size(); ++k) {
    ASSERT_TRUE(params[k].grad().defined()) << k;
    EXPECT_TRUE(torch::allclose(params[k].grad(), micro_sum[k], 1e-9, 1e-12)) << "parameter " << k;
  }

  // The same in single precision, to float tolerance.
  torch::manual_seed(11);
  ToyVae f32;
  for (auto* m : std::vector<torch::nn::Module*>{f32.enc.ptr().get(), f32.mu.ptr().get(), f32.logvar.ptr().get(),
                                                 f32.dec.ptr().get(), f32.out.ptr().get()})
    m->to(torch::kFloat);
  f32.sigma = torch::full({5}, 0.3, torch::kFloat).requires_grad_(true);
  PerExampleGrads tape32(rows);
  const auto n32 = tape32.clip_and_sum(f32.losses(x.to(torch::kFloat), noise.to(torch::kFloat), &tape32), clip);
  for (int64_t i = 0; i < rows; ++i) EXPECT_NEAR(n32[i].item<double>(), ref_norms[static_cast<size_t>(i)], 1e-4 * ref_norms[static_cast<size_t>(i)]);
  const std::vector<torch::Tensor> p32 = f32.parameters();
  for (size_t k = 0; k < p32.size(); ++k)
    EXPECT_TRUE(torch::allclose(p32[k].grad().to(torch::kDouble), micro_sum[k], 1e-4, 1e-5)) << "parameter " << k;
}

// A WGAN-GP critic's per-example loss, as ctgan's private discriminator has it: the critic on a
// real and a fake row (two forward uses of every weight) and the gradient penalty at a mix of
// the two (a third forward use and a backward use, differentiated twice). The outer-product
// norms and clipped sums against batches of one through autograd's double backward; Tanh's
// second derivative exercises the penalty's path through the activations.
TEST(DpSgd, CriticWithGradientPenaltyEqualsMicroBatches) {
  torch::manual_seed(5);
  torch::nn::Sequential critic{torch::nn::Linear(4, 7),
                               torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                               torch::nn::Dropout(0.5),
                               torch::nn::Linear(7, 5),
                               torch::nn::Tanh(),
                               torch::nn::Linear(5, 1)};
  critic->to(torch::kDouble);
  critic->eval();  // autograd's reference cannot replay the tape's dropout masks
  const int64_t rows = 11;
  const auto real = torch::randn({rows, 4}, torch::kDouble);
  const auto fake = torch::randn({rows, 4}, torch::kDouble);
  const auto alpha = torch::rand({rows, 1}, torch::kDouble);
  const auto mixed = (alpha * real + (1 - alpha) * fake).detach();
  const double lambda = 10;
  const std::vector<torch::Tensor> params = critic->parameters();

  const MicroBatches ref = micro_batches(params, rows, [&](int64_t i) {
    const auto xi = mixed.narrow(0, i, 1).clone().requires_grad_(true);
    const auto yi = critic->forward(xi);
    const auto gx = torch::autograd::grad({yi}, {xi}, {torch::ones_like(yi)}, true, true)[0];
    return -critic->forward(real.narrow(0, i, 1)).sum() + critic->forward(fake.narrow(0, i, 1)).sum() +
           lambda * (gx.norm(2, 1) - 1).pow(2).sum();
  });
  const std::vector<double>& ref_norms = ref.norms;
  const std::vector<torch::Tensor>& micro_sum = ref.clipped_sum;
  const double clip = ref.clip;

  for (const auto& p : params) p.mutable_grad() = torch::Tensor();
  PerExampleGrads tape(rows);
  const auto y_real = tape.sequential(critic, real), y_fake = tape.sequential(critic, fake);
  const auto [y_mixed, gx] = tape.critic_with_input_gradient(critic, mixed);
  // The input gradient is autograd's.
  {
    const auto xm = mixed.clone().requires_grad_(true);
    const auto ym = critic->forward(xm);
    const auto ref = torch::autograd::grad({ym}, {xm}, {torch::ones_like(ym)})[0];
    EXPECT_TRUE(torch::allclose(gx.detach(), ref, 1e-10, 1e-12));
    EXPECT_TRUE(torch::allclose(y_mixed.detach(), ym.detach(), 1e-12, 1e-12));
  }
  ASSERT_EQ(tape.parameters().size(), params.size());
  const auto losses = (-y_real + y_fake).squeeze(1) + lambda * (gx.norm(2, 1) - 1).pow(2);
  const auto norms = tape.clip_and_sum(losses, clip);
  for (int64_t i = 0; i < rows; ++i)
    EXPECT_NEAR(norms[i].item<double>(), ref_norms[static_cast<size_t>(i)], 1e-9 * ref_norms[static_cast<size_t>(i)]) << i;
  for (size_t k = 0; k < params.size(); ++k)
    EXPECT_TRUE(torch::allclose(params[k].grad(), micro_sum[k], 1e-8, 1e-11)) << "parameter " << k;
}

// In training mode the penalty's input gradient uses the forward pass's dropout mask: autograd's
// gradient of the tape's own output (whose graph holds the mask) equals the tape's dy/dx.
TEST(DpSgd, CriticDropoutMaskIsUsedBothWays) {
  torch::manual_seed(9);
  torch::nn::Sequential critic{torch::nn::Linear(3, 16), torch::nn::ReLU(), torch::nn::Dropout(0.5),
                               torch::nn::Linear(16, 1)};
  critic->to(torch::kDouble);
  critic->train();
  const auto x = torch::randn({8, 3}, torch::kDouble).requires_grad_(true);
  PerExampleGrads tape(8);
  const auto [y, gx] = tape.critic_with_input_gradient(critic, x);
  const auto ref = torch::autograd::grad({y}, {x}, {torch::ones_like(y)})[0];
  EXPECT_TRUE(torch::allclose(gx.detach(), ref, 1e-12, 1e-12));
  // Some units were dropped: the gradient differs from the one without dropout.
  critic->eval();
  const auto xe = x.detach().clone().requires_grad_(true);
  const auto ye = critic->forward(xe);
  const auto full = torch::autograd::grad({ye}, {xe}, {torch::ones_like(ye)})[0];
  EXPECT_FALSE(torch::allclose(gx.detach(), full, 1e-6, 1e-9));
}

TEST(DpSgd, BatchNormIsRefused) {
  torch::nn::Sequential seq{torch::nn::Linear(4, 4), torch::nn::BatchNorm1d(4), torch::nn::ReLU()};
  PerExampleGrads tape(6);
  try {
    tape.sequential(seq, torch::randn({6, 4}));
    ADD_FAILURE() << "BatchNorm accepted";
  } catch (const medgen::InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("BatchNorm"), std::string::npos) << e.what();
  }
}

TEST(DpSgd, PoissonSampleAndNoise) {
  torch::manual_seed(3);
  int64_t total = 0;
  for (int k = 0; k < 200; ++k) total += medgen::nn::poisson_sample(1000, 0.05).numel();
  EXPECT_NEAR(total / 200.0, 50.0, 2.0);  // sd of the mean ~ 0.49
  EXPECT_EQ(medgen::nn::poisson_sample(100, 0).numel(), 0);
  auto p = torch::zeros({200, 200}).requires_grad_(true);
  p.mutable_grad() = torch::full({200, 200}, 8.0);
  medgen::nn::add_noise({p}, 1.5, 2.0, 4.0);
  EXPECT_NEAR(p.grad().mean().item<double>(), 2.0, 0.02);
  EXPECT_NEAR(p.grad().std().item<double>(), 1.5 * 2.0 / 4.0, 0.01);
}

}  // namespace
