#include "medgen/nn/dp_sgd.h"

#include <algorithm>
#include <string>

#include "medgen/core/error.h"

namespace medgen::nn {

namespace F = torch::nn::functional;

torch::Tensor PerExampleGrads::linear(torch::nn::LinearImpl& layer, const torch::Tensor& x) {
  MEDGEN_ASSERT(x.dim() == 2 && x.size(0) == rows_);
  LinearUse u;
  u.in = x.detach();
  u.weight = layer.weight;
  u.bias = layer.bias;
  u.out = F::linear(x, layer.weight, layer.bias);
  linears_.push_back(u);
  return u.out;
}

torch::Tensor PerExampleGrads::linear_backward(torch::nn::LinearImpl& layer, const torch::Tensor& g) {
  MEDGEN_ASSERT(g.dim() == 2 && g.size(0) == rows_ && g.size(1) == layer.weight.size(0));
  LinearUse u;
  u.in = g.detach();
  u.weight = layer.weight;
  u.out = g.mm(layer.weight);
  u.backward = true;
  linears_.push_back(u);
  return u.out;
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

std::pair<torch::Tensor, torch::Tensor> PerExampleGrads::critic_with_input_gradient(torch::nn::Sequential& seq,
                                                                                   const torch::Tensor& x) {
  // Forward, keeping what the backward needs: per layer, the Linear layer, or the factor its
  // input's gradient is multiplied by (a function of the recorded outputs, so that the
  // penalty's second-order terms go through them).
  struct Step {
    torch::nn::LinearImpl* linear = nullptr;
    torch::Tensor factor;
  };
  std::vector<Step> steps;
  torch::Tensor h = x;
  size_t k = 0;
  for (auto& m : *seq) {
    const auto module = m.ptr();
    Step st;
    if (auto* lin = module->as<torch::nn::LinearImpl>()) {
      st.linear = lin;
      h = linear(*lin, h);
    } else if (module->as<torch::nn::ReLUImpl>()) {
      st.factor = (h > 0).to(h.scalar_type());
      h = torch::relu(h);
    } else if (auto* leaky = module->as<torch::nn::LeakyReLUImpl>()) {
      const double slope = leaky->options.negative_slope();
      st.factor = torch::where(h > 0, torch::ones_like(h), torch::full_like(h, slope)).detach();
      h = F::leaky_relu(h, F::LeakyReLUFuncOptions().negative_slope(slope));
    } else if (module->as<torch::nn::TanhImpl>()) {
      h = torch::tanh(h);
      st.factor = 1 - h * h;
    } else if (module->as<torch::nn::SigmoidImpl>()) {
      h = torch::sigmoid(h);
      st.factor = h * (1 - h);
    } else if (auto* drop = module->as<torch::nn::DropoutImpl>()) {
      const double p = drop->options.p();
      if (drop->is_training() && p > 0) {
        st.factor = p < 1 ? (torch::rand_like(h) >= p).to(h.scalar_type()) / (1 - p) : torch::zeros_like(h);
        h = h * st.factor;
      }
    } else if (!module->as<torch::nn::IdentityImpl>()) {
      throw InvalidInput("differential privacy: layer " + std::to_string(k) + " (" + module->name() +
                         ") mixes or is not known to keep apart the examples of a batch; per-example gradients need "
                         "Linear layers and elementwise activations");
    }
    steps.push_back(st);
    ++k;
  }
  MEDGEN_ASSERT(h.dim() == 2 && h.size(1) == 1);
  torch::Tensor g = torch::ones_like(h);
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (it->linear)
      g = linear_backward(*it->linear, g);
    else if (it->factor.defined())
      g = g * it->factor;
  }
  return {h, g};
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
  for (const LinearUse& u : linears_) outs.push_back(u.out);
  for (const ParamUse& u : params_) outs.push_back(u.rows);
  std::vector<torch::Tensor> g = torch::autograd::grad({losses.sum()}, outs, {}, /*retain_graph=*/false,
                                                       /*create_graph=*/false, /*allow_unused=*/true);
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < g.size(); ++k)
    if (!g[k].defined()) g[k] = torch::zeros_like(outs[k]);
  // Each use's outer-product factors (a: rows x out, b: rows x in), grouped by weight.
  const size_t nl = linears_.size();
  std::vector<torch::Tensor> a(nl), b(nl);
  for (size_t k = 0; k < nl; ++k) {
    if (linears_[k].backward) {
      a[k] = linears_[k].in;
      b[k] = g[k];
    } else {
      a[k] = g[k];
      b[k] = linears_[k].in;
    }
  }
  std::vector<std::vector<size_t>> groups;  // uses of one weight, in recording order
  for (size_t k = 0; k < nl; ++k) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const std::vector<size_t>& gr) { return linears_[gr[0]].weight.is_same(linears_[k].weight); });
    if (it == groups.end())
      groups.push_back({k});
    else
      it->push_back(k);
  }
  auto sq = torch::zeros({rows_}, losses.options());
  for (const auto& gr : groups) {
    if (gr.size() == 1) {
      sq += a[gr[0]].pow(2).sum(1) * b[gr[0]].pow(2).sum(1);
    } else {
      for (size_t i = 0; i < gr.size(); ++i)
        for (size_t j = i; j < gr.size(); ++j) {
          const auto term = (a[gr[i]] * a[gr[j]]).sum(1) * (b[gr[i]] * b[gr[j]]).sum(1);
          sq += i == j ? term : 2 * term;
        }
    }
    torch::Tensor bias_grad;  // per example, summed over the forward uses
    for (size_t k : gr)
      if (!linears_[k].backward && linears_[k].bias.defined()) bias_grad = bias_grad.defined() ? bias_grad + a[k] : a[k];
    if (bias_grad.defined()) sq += bias_grad.pow(2).sum(1);
  }
  for (size_t k = 0; k < params_.size(); ++k) sq += g[nl + k].reshape({rows_, -1}).pow(2).sum(1);
  const auto norms = sq.sqrt();
  const auto scale = (clip / norms.clamp_min(1e-12)).clamp_max(1.0).unsqueeze(1);
  for (const auto& gr : groups) {
    torch::Tensor wg, bg;
    for (size_t k : gr) {
      const auto ac = a[k] * scale;
      const auto w = ac.t().mm(b[k]);
      wg = wg.defined() ? wg + w : w;
      if (!linears_[k].backward && linears_[k].bias.defined()) bg = bg.defined() ? bg + ac.sum(0) : ac.sum(0);
    }
    linears_[gr[0]].weight.mutable_grad() = wg;
    for (size_t k : gr)
      if (linears_[k].bias.defined()) {
        linears_[k].bias.mutable_grad() = bg.defined() ? bg : torch::zeros_like(linears_[k].bias);
        break;
      }
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    const torch::Tensor& gk = g[nl + k];
    params_[k].param.mutable_grad() = (gk.reshape({rows_, -1}) * scale).sum(0).view(params_[k].param.sizes());
  }
  linears_.clear();
  params_.clear();
  return norms;
}

std::vector<torch::Tensor> PerExampleGrads::parameters() const {
  std::vector<torch::Tensor> out;
  auto add = [&](const torch::Tensor& t) {
    if (!t.defined()) return;
    for (const torch::Tensor& o : out)
      if (o.is_same(t)) return;
    out.push_back(t);
  };
  for (const LinearUse& u : linears_) {
    add(u.weight);
    add(u.bias);
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
