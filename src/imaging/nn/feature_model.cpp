// The feature network (kind features), whose features feed the Fréchet distance.
#include "image_model.h"

#include <cstring>

#include "medgen/core/error.h"

namespace medgen::imaging::nnlib {

namespace {

// Feature network: trained to tell the slice's position bin (self-supervised: the labels come
// from the split, not from annotations), so its features encode anatomy of this modality.

class FeatureModel : public TorchImageModel {
 public:
  FeatureModel(const ImageTrainOptions& opt, size_t size, const Context& ctx)
      : TorchImageModel(opt, size, ctx), net_(static_cast<int64_t>(opt.classes)) {
    net_->to(dev_);
  }
  void train(const SliceStack& data, const std::vector<int>& labels) override {
    check_square(data, "feature network training");
    if (labels.size() != data.n) throw InvalidInput("feature network training: one label per slice needed");
    std::vector<int64_t> lab(labels.begin(), labels.end());
    for (int64_t l : lab)
      if (l < 0 || l >= static_cast<int64_t>(opt_.classes)) throw InvalidInput("feature network: label out of range");
    const auto x_all = to_tensor(data, 0, data.n, dev_);
    const auto y_all = torch::from_blob(lab.data(), {static_cast<int64_t>(lab.size())}, torch::kLong).to(dev_, false, true);
    torch::optim::Adam adam(net_->parameters(), torch::optim::AdamOptions(opt_.lr));
    net_->train();
    nn::Trainer t(image_loop(ctx_, "features", opt_.steps,
                             [](const nn::Losses& l) { return fmt("ce=%.3f", l[0].second); }));
    t.run([&](int64_t s, bool record) -> nn::Losses {
      set_lr(adam, lr_at(opt_.lr, static_cast<size_t>(s), opt_.steps));
      const auto idx = torch::randint(static_cast<int64_t>(data.n), {static_cast<int64_t>(opt_.batch)},
                                      torch::TensorOptions().dtype(torch::kLong).device(dev_));
      auto x = x_all.index_select(0, idx);
      if (opt_.flip) x = random_flip(x);
      x = x + 0.02 * torch::randn_like(x);
      const auto logits = net_->forward(x);
      const auto loss = torch::nn::functional::cross_entropy(logits, y_all.index_select(0, idx));
      adam.zero_grad();
      loss.backward();
      adam.step();
      if (!record) return {};
      return {{"cross_entropy", loss.item<double>()}};
    });
    history_ = t.history();
    train_seconds_ = t.seconds();
    set_eval();
  }
  std::vector<double> features(const SliceStack& x) const override {
    check_square(x, "features");
    std::vector<double> out(x.n * FeatureNet::Impl::kDim);
    torch::NoGradGuard no_grad;
    for (size_t b = 0; b < x.n; b += 64) {
      const size_t m = std::min<size_t>(64, x.n - b);
      const auto f = net_->features(to_tensor(x, b, m, dev_)).to(torch::kCPU).to(torch::kFloat64).contiguous();
      std::memcpy(out.data() + b * FeatureNet::Impl::kDim, f.data_ptr<double>(), sizeof(double) * f.numel());
    }
    return out;
  }
  size_t feature_dim() const override { return FeatureNet::Impl::kDim; }

 protected:
  torch::nn::Module& root() const override { return *net_; }

 private:
  mutable FeatureNet net_;
};

}  // namespace

std::unique_ptr<TorchImageModel> make_feature_model(const ImageTrainOptions& opt, size_t size, const Context& ctx) {
  return std::make_unique<FeatureModel>(opt, size, ctx);
}

}  // namespace medgen::imaging::nnlib
