// The WGAN-GP gradient penalty against finite differences on a toy PacGAN critic (double
// precision, smooth activations so central differences are accurate to ~1e-8).
#include "medgen/nn/gan.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

struct Toy {
  mutable torch::nn::Linear a{nullptr}, b{nullptr};
  int64_t pac;
  Toy(int64_t d, int64_t pac_) : pac(pac_) {
    a = torch::nn::Linear(d * pac, 5);
    b = torch::nn::Linear(5, 1);
    a->to(torch::kDouble);
    b->to(torch::kDouble);
  }
  torch::Tensor operator()(const torch::Tensor& x) const {
    return b->forward(torch::tanh(a->forward(x.reshape({-1, x.size(1) * pac}))));
  }
};

// The penalty computed by hand: the critic's input gradient per pack by central differences.
double penalty_by_differences(const Toy& critic, const torch::Tensor& x, double lambda) {
  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  const int64_t rows = x.size(0), d = x.size(1), packs = rows / critic.pac;
  std::vector<double> sq(static_cast<size_t>(packs), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < d; ++c) {
      auto up = x.clone(), down = x.clone();
      up[r][c] += h;
      down[r][c] -= h;
      const int64_t pack = r / critic.pac;
      const double g = (critic(up)[pack][0].item<double>() - critic(down)[pack][0].item<double>()) / (2 * h);
      sq[static_cast<size_t>(pack)] += g * g;
    }
  double total = 0;
  for (double s : sq) total += (std::sqrt(s) - 1) * (std::sqrt(s) - 1);
  return lambda * total / packs;
}

}  // namespace

TEST(GradientPenalty, MatchesFiniteDifferences) {
  torch::manual_seed(3);
  const int64_t pac = 2, d = 3, rows = 6;
  Toy critic(d, pac);
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  const auto real = torch::randn({rows, d}, opts), fake = torch::randn({rows, d}, opts) + 1.0;
  const auto alpha = torch::tensor({0.2, 0.7, 0.5}, opts);
  const double lambda = 10.0;
  const auto gp = medgen::nn::gradient_penalty([&](const torch::Tensor& x) { return critic(x); }, real, fake, alpha,
                                               pac, lambda);

  // The interpolates, one mixing weight per pack of two rows.
  auto x = torch::empty({rows, d}, opts);
  for (int64_t r = 0; r < rows; ++r) {
    const double a = alpha[r / pac].item<double>();
    x[r] = a * real[r] + (1 - a) * fake[r];
  }
  const double expected = penalty_by_differences(critic, x, lambda);
  EXPECT_GT(expected, 0.1);  // not a trivial zero
  EXPECT_NEAR(gp.item<double>(), expected, 1e-6 * expected);

  // The penalty's gradient with respect to a critic weight (through the double backward)
  // against differences of the penalty in that weight.
  const auto w = critic.a->weight;
  const auto grads = torch::autograd::grad({gp}, {w});
  const double h = 1e-6;
  for (int64_t i : {0, 7, 13}) {
    const int64_t r = i / w.size(1), c = i % w.size(1);
    double fd;
    {
      torch::NoGradGuard no_grad;
      w[r][c] += h;
    }
    const double up = penalty_by_differences(critic, x, lambda);
    {
      torch::NoGradGuard no_grad;
      w[r][c] -= 2 * h;
    }
    const double down = penalty_by_differences(critic, x, lambda);
    {
      torch::NoGradGuard no_grad;
      w[r][c] += h;
    }
    fd = (up - down) / (2 * h);
    // Nested differences lose digits: h^2-level noise over 2h.
    EXPECT_NEAR(grads[0][r][c].item<double>(), fd, 1e-3 * std::max(1.0, std::abs(fd))) << "weight " << i;
  }
}

TEST(GradientPenalty, ZeroForAUnitSlopeCritic) {
  // critic(x) = u . x_pack with |u| = 1 has input-gradient norm 1 everywhere: penalty 0.
  const int64_t pac = 2, d = 2;
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  const auto u = torch::tensor({0.5, 0.5, 0.5, 0.5}, opts);
  auto critic = [&](const torch::Tensor& x) { return x.reshape({-1, pac * d}).matmul(u).unsqueeze(1); };
  const auto real = torch::randn({4, d}, opts), fake = torch::randn({4, d}, opts);
  const auto gp = medgen::nn::gradient_penalty(critic, real, fake, torch::tensor({0.3, 0.9}, opts), pac, 10.0);
  EXPECT_NEAR(gp.item<double>(), 0.0, 1e-12);
}
