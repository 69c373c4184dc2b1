#include "medgen/nn/device_adam.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "medgen/core/error.h"

namespace medgen::nn {

namespace {

// The optimizer's state of one parameter. LibTorch keys the state map by the parameter's
// TensorImpl address: as its printed text up to 1.13, as the pointer itself later.
template <class Map>
torch::optim::AdamParamState& adam_state(Map& states, const torch::Tensor& p) {
  using Key = typename Map::key_type;
  Key key{};
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    key = s.str();
  } else {
    key = p.unsafeGetTensorImpl();
  }
  auto it = states.find(key);
  if (it == states.end() || !it->second)
    throw std::logic_error("DeviceAdam: a parameter has no Adam state (take over after one step of the optimizer)");
  return static_cast<torch::optim::AdamParamState&>(*it->second);
}

}  // namespace

DeviceAdam::DeviceAdam(torch::optim::Adam& opt) : opt_(&opt) {
  if (opt.param_groups().size() != 1) throw std::logic_error("DeviceAdam: one parameter group only");
  auto& group = opt.param_groups()[0];
  const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
  if (o.amsgrad()) throw std::logic_error("DeviceAdam: amsgrad is not supported");
  lr_ = o.lr();
  beta1_ = std::get<0>(o.betas());
  beta2_ = std::get<1>(o.betas());
  eps_ = o.eps();
  weight_decay_ = o.weight_decay();
  for (const torch::Tensor& p : group.params()) {
    auto& s = adam_state(opt.state(), p);
    params_.push_back(p);
    exp_avg_.push_back(s.exp_avg());
    exp_avg_sq_.push_back(s.exp_avg_sq());
    steps_.push_back(torch::full({}, static_cast<double>(s.step()), p.options().dtype(torch::kFloat32)));
  }
  fused_ = !params_.empty() && params_[0].is_cuda();
}

void DeviceAdam::step() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  grads.reserve(params_.size());
  for (const torch::Tensor& p : params_) {
    if (!p.grad().defined()) throw std::logic_error("DeviceAdam: a parameter has no gradient");
    grads.push_back(p.grad());
  }
  at::_foreach_add_(steps_, 1);
  if (fused_) {
    // One multi-tensor kernel; bias corrections from the device step counts. Its argument
    // checks run on the host before any launch, so a refusal leaves nothing half done.
    try {
      at::_fused_adam_(params_, grads, exp_avg_, exp_avg_sq_, {}, steps_, lr_, beta1_, beta2_, weight_decay_, eps_,
                       /*amsgrad=*/false, /*maximize=*/false);
      return;
    } catch (const c10::Error& e) {
      fused_ = false;
      std::fprintf(stderr, "note: fused Adam kernel refused (%s); using tensor operations\n",
                   e.what_without_backtrace());
    }
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor g = weight_decay_ != 0 ? grads[i].add(params_[i], weight_decay_) : grads[i];
    exp_avg_[i].mul_(beta1_).add_(g, 1 - beta1_);
    exp_avg_sq_[i].mul_(beta2_).addcmul_(g, g, 1 - beta2_);
    const torch::Tensor bc1 = 1 - torch::pow(beta1_, steps_[i]);
    const torch::Tensor bc2 = 1 - torch::pow(beta2_, steps_[i]);
    const torch::Tensor denom = (exp_avg_sq_[i].sqrt() / bc2.sqrt()).add_(eps_);
    params_[i].sub_(exp_avg_[i] / denom * (lr_ / bc1));
  }
}

void DeviceAdam::sync_back() {
  for (size_t i = 0; i < params_.size(); ++i)
    adam_state(opt_->state(), params_[i]).step(static_cast<int64_t>(std::llround(steps_[i].item<double>())));
}

}  // namespace medgen::nn
