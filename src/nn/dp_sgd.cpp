#include "medgen/nn/dp_sgd.h"

#include <string>

#include "medgen/core/error.h"

namespace medgen::nn {

namespace F = torch::nn::functional;

torch::Tensor PerExampleGrads::linear(torch::nn::LinearImpl& layer, const torch::Tensor& x) {
  MEDGEN_ASSERT(x.dim() == 2 && x.size(0) == rows_);
  // A layer run twice per example would need the cross terms of its two uses in the norm.
  for (const LinearUse& u : linears_) MEDGEN_ASSERT(!u.weight.is_same(layer.weight));
  LinearUse u;
  u.x = x.detach();
  u.weight = layer.weight;
  u.bias = layer.bias;
  u.y = F::linear(x, layer.weight, layer.bias);
  linears_.push_back(u);
  return u.y;
}

torch::Tensor PerExampleGrads::sequential(torch::nn::Sequential& seq, const torch::Tensor& x) {
  torch::Tensor h = x;
  size_t k = 0;
  for (auto& m : *seq) {
    const auto module = m.ptr();
    if (auto* lin = module->as<torch::nn::LinearImpl>()) {
      h = linear(*lin, h);
    } else if (module->as<torch::nn::ReLUImpl>() || module->as<torch::nn::LeakyReLUImpl>() ||
               module->as<torch::nn::TanhImpl>() || module->as<torch::nn::SigmoidImpl>() ||
               module->as<torch::nn::DropoutImpl>() || module->as<torch::nn::IdentityImpl>()) {
      h = m.forward(h);
    } else {
      throw InvalidInput("differential privacy: layer " + std::to_string(k) + " (" + module->name() +
                         ") mixes or is not known to keep apart the examples of a batch; per-example gradients need "
                         "Linear layers and elementwise activations");
    }
    ++k;
  }
  return h;
}

torch::Tensor PerExampleGrads::per_example(const torch::Tensor& param) {
  std::vector<int64_t> shape = {rows_};
  for (int64_t s : param.sizes()) shape.push_back(s);
  for (const ParamUse& u : params_) MEDGEN_ASSERT(!u.param.is_same(param));
  ParamUse u;
  u.param = param;
  u.rows = param.unsqueeze(0).expand(shape);
  params_.push_back(u);
  return u.rows;
}

torch::Tensor PerExampleGrads::clip_and_sum(const torch::Tensor& losses, double clip) {
  MEDGEN_ASSERT(losses.dim() == 1 && losses.size(0) == rows_ && clip > 0);
  std::vector<torch::Tensor> outs;
  for (const LinearUse& u : linears_) outs.push_back(u.y);
  for (const ParamUse& u : params_) outs.push_back(u.rows);
  std::vector<torch::Tensor> g = torch::autograd::grad({losses.sum()}, outs, {}, /*retain_graph=*/false,
                                                       /*create_graph=*/false, /*allow_unused=*/true);
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < g.size(); ++k)
    if (!g[k].defined()) g[k] = torch::zeros_like(outs[k]);
  auto sq = torch::zeros({rows_}, losses.options());
  for (size_t k = 0; k < linears_.size(); ++k) {
    auto xs = linears_[k].x.pow(2).sum(1);
    if (linears_[k].bias.defined()) xs = xs + 1;
    sq += g[k].pow(2).sum(1) * xs;
  }
  for (size_t k = 0; k < params_.size(); ++k) sq += g[linears_.size() + k].reshape({rows_, -1}).pow(2).sum(1);
  const auto norms = sq.sqrt();
  const auto scale = (clip / norms.clamp_min(1e-12)).clamp_max(1.0);
  for (size_t k = 0; k < linears_.size(); ++k) {
    const auto dc = g[k] * scale.unsqueeze(1);
    linears_[k].weight.mutable_grad() = dc.t().mm(linears_[k].x);
    if (linears_[k].bias.defined()) linears_[k].bias.mutable_grad() = dc.sum(0);
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    const torch::Tensor& gk = g[linears_.size() + k];
    params_[k].param.mutable_grad() = (gk.reshape({rows_, -1}) * scale.unsqueeze(1)).sum(0).view(params_[k].param.sizes());
  }
  linears_.clear();
  params_.clear();
  return norms;
}

std::vector<torch::Tensor> PerExampleGrads::parameters() const {
  std::vector<torch::Tensor> out;
  for (const LinearUse& u : linears_) {
    out.push_back(u.weight);
    if (u.bias.defined()) out.push_back(u.bias);
  }
  for (const ParamUse& u : params_) out.push_back(u.param);
  return out;
}

torch::Tensor poisson_sample(int64_t n, double q) {
  MEDGEN_ASSERT(n >= 0 && q >= 0 && q <= 1);
  const auto keep = torch::rand({n}) < q;
  return keep.nonzero().view({-1});
}

void add_noise(const std::vector<torch::Tensor>& params, double noise_multiplier, double clip, double expected_batch) {
  MEDGEN_ASSERT(expected_batch > 0);
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& p : params) {
    torch::Tensor& g = const_cast<torch::Tensor&>(p).mutable_grad();
    if (!g.defined()) g = torch::zeros_like(p);
    g.add_(torch::randn_like(g), noise_multiplier * clip).div_(expected_batch);
  }
}

}  // namespace medgen::nn
