// DeviceAdam (step counts on the device, for CUDA graphs) against torch::optim::Adam: taking over
// after one step, it follows the same trajectory to float tolerance and hands the step count back.
// CudaStepGraph without CUDA: unsupported, and it says so.
#include "medgen/nn/device_adam.h"

#include <gtest/gtest.h>

#include "medgen/nn/cuda_graph.h"

namespace {

torch::nn::Sequential net() {
  return torch::nn::Sequential(torch::nn::Linear(6, 8), torch::nn::Tanh(), torch::nn::Linear(8, 1));
}

// One gradient of a fixed regression loss on batch `k`.
void backward_on(torch::nn::Sequential& m, int k) {
  torch::manual_seed(100 + k);
  const auto x = torch::randn({16, 6});
  const auto y = torch::randn({16, 1});
  (m->forward(x) - y).pow(2).mean().backward();
}

TEST(DeviceAdam, FollowsTorchAdamAfterTakingOver) {
  torch::manual_seed(3);
  auto a = net();
  auto b = net();
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    torch::NoGradGuard ng;
    b->parameters()[i].copy_(a->parameters()[i]);
  }
  const auto opts = torch::optim::AdamOptions(0.01).betas({0.5, 0.9}).weight_decay(1e-3);
  torch::optim::Adam opt_a(a->parameters(), opts), opt_b(b->parameters(), opts);
  const int kSteps = 12;
  for (int k = 0; k < kSteps; ++k) {
    opt_a.zero_grad();
    backward_on(a, k);
    opt_a.step();
  }
  opt_b.zero_grad();
  backward_on(b, 0);
  opt_b.step();
  medgen::nn::DeviceAdam dev(opt_b);
  for (int k = 1; k < kSteps; ++k) {
    opt_b.zero_grad();
    backward_on(b, k);
    dev.step();
  }
  double worst = 0, moved = 0;
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    worst = std::max(worst, (a->parameters()[i] - b->parameters()[i]).abs().max().item<double>());
  }
  // The parameters moved by far more than the disagreement (lr 0.01 over 12 steps).
  torch::manual_seed(3);
  auto start = net();
  for (size_t i = 0; i < a->parameters().size(); ++i)
    moved = std::max(moved, (a->parameters()[i] - start->parameters()[i]).abs().max().item<double>());
  EXPECT_LT(worst, 1e-6);
  EXPECT_GT(moved, 0.02);

  // The step count goes back to the optimizer (for its checkpoint).
  dev.sync_back();
  ASSERT_EQ(opt_b.state().size(), b->parameters().size());
  for (const auto& kv : opt_b.state())
    EXPECT_EQ(static_cast<const torch::optim::AdamParamState&>(*kv.second).step(), kSteps);
}

TEST(DeviceAdam, RefusesAnOptimizerThatHasNotStepped) {
  auto m = net();
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(0.01));
  EXPECT_THROW(medgen::nn::DeviceAdam{opt}, std::logic_error);
}

TEST(CudaStepGraph, UnsupportedWithoutCudaAndSaysSo) {
  if (medgen::nn::CudaStepGraph::supported()) GTEST_SKIP() << "this LibTorch has CUDA";
  EXPECT_THROW(medgen::nn::CudaStepGraph(torch::Device(torch::kCPU)), std::logic_error);
}

}  // namespace
