// The image models' shared helpers, and TorchImageModel's model file: save, load and the
// field-by-field validation of an untrusted file.
#include "image_model.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/nn/archive.h"
#include "medgen/nn/device.h"

namespace medgen::imaging::nnlib {

torch::Device device_of(const Context& ctx) { return ctx.device == Device::kCuda ? torch::kCUDA : torch::kCPU; }

// Slices [begin, begin + count) as an (count, 1, h, w) tensor on `dev`.
torch::Tensor to_tensor(const SliceStack& s, size_t begin, size_t count, const torch::Device& dev) {
  auto t = torch::from_blob(const_cast<float*>(s.slice(begin)),
                            {static_cast<int64_t>(count), 1, static_cast<int64_t>(s.h), static_cast<int64_t>(s.w)},
                            torch::kFloat32);
  return t.to(dev, /*non_blocking=*/false, /*copy=*/true);
}

void copy_out(const torch::Tensor& t, SliceStack* out, size_t begin) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  std::memcpy(out->slice(begin), c.data_ptr<float>(), sizeof(float) * c.numel());
}

// Standard normal draws from medgen's Rng, so samples depend on the seed alone (not on the
// device or LibTorch's generators).
torch::Tensor normal_from_seed(size_t n, size_t d, uint64_t seed, const torch::Device& dev) {
  Rng rng(seed);
  std::vector<float> z(n * d);
  for (float& v : z) v = static_cast<float>(rng.normal());
  return torch::from_blob(z.data(), {static_cast<int64_t>(n), static_cast<int64_t>(d)}, torch::kFloat32).to(dev, false, true);
}

// A random left-right flip of each image in the batch.
torch::Tensor random_flip(const torch::Tensor& x) {
  const auto mask = (torch::rand({x.size(0), 1, 1, 1}, x.options()) < 0.5);
  return torch::where(mask, x.flip({3}), x);
}

// Learning rate for step `s` of `total`: constant, then x0.3 at 70 % and again at 90 %.
double lr_at(double lr, size_t s, size_t total) {
  if (s >= total * 9 / 10) return lr * 0.09;
  if (s >= total * 7 / 10) return lr * 0.3;
  return lr;
}

void set_lr(torch::optim::Adam& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
}

std::string fmt(const char* f, double a, double b) {
  char buf[96];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

// The loop of every image model (nn/trainer.h): one unit per optimiser step, a timed history
// row every 50 steps and after the last. No checkpoints: a stop signal ends training with
// nothing written. `detail` formats the progress line from the step's losses.
nn::TrainLoop image_loop(const Context& ctx, const std::string& task, size_t steps,
                         std::function<std::string(const nn::Losses&)> detail) {
  nn::TrainLoop loop;
  loop.task = task;
  loop.unit = "step";
  loop.total = static_cast<int64_t>(steps);
  loop.record_every = 50;
  loop.timed_history = true;
  loop.progress = ctx.progress;
  loop.detail = [detail = std::move(detail)](const nn::Losses& l, double) { return detail(l); };
  return loop;
}

// The batch of `b` random training images, augmented: random left-right flips (when asked)
// and a random shift of up to 1/16 of the side (zero-filled), so that a few hundred slices of
// one head teach position-invariant anatomy rather than one layout.
torch::Tensor random_batch(const torch::Tensor& data, size_t b, bool flip) {
  const auto idx = torch::randint(data.size(0), {static_cast<int64_t>(b)},
                                  torch::TensorOptions().dtype(torch::kLong).device(data.device()));
  auto x = data.index_select(0, idx);
  if (flip) x = random_flip(x);
  const int64_t S = x.size(3), m = std::max<int64_t>(1, S / 16);
  const auto shift = torch::randint(-m, m + 1, {2}, torch::kLong);
  const int64_t dy = shift[0].item<int64_t>(), dx = shift[1].item<int64_t>();
  if (dy == 0 && dx == 0) return x;
  auto out = torch::zeros_like(x);
  const int64_t H = x.size(2);
  out.narrow(2, std::max<int64_t>(0, dy), H - std::abs(dy))
      .narrow(3, std::max<int64_t>(0, dx), S - std::abs(dx))
      .copy_(x.narrow(2, std::max<int64_t>(0, -dy), H - std::abs(dy)).narrow(3, std::max<int64_t>(0, -dx), S - std::abs(dx)));
  return out;
}

// ---------------------------------------------------------------------------------------------

void TorchImageModel::save(const std::string& path) const {
  ModelFile mf;
  mf.header = header();
  torch::serialize::OutputArchive ar;
  root().save(ar);
  mf.payload = nn::archive_bytes(ar);
  mf.save(path);
}

void TorchImageModel::load(const ModelFile& mf) {
  const nlohmann::json& h = mf.header;
  if (h.contains("history") && !h["history"].is_array()) throw ModelFormat("'history' is not a JSON array");
  if (h.contains("info") && !h["info"].is_object()) throw ModelFormat("'info' is not a JSON object");
  if (h.contains("train_seconds") && !h["train_seconds"].is_number())
    throw ModelFormat("'train_seconds' is not a number");
  history_ = h.value("history", nlohmann::json::array());
  info_ = h.value("info", nlohmann::json::object());
  train_seconds_ = h.value("train_seconds", 0.0);
  const auto expected = tensor_shapes();
  torch::serialize::InputArchive ar;
  try {
    nn::load_archive(ar, mf.payload, dev_);
    root().load(ar);
  } catch (const c10::Error& e) {
    throw ModelFormat(std::string("the network weights do not load: ") + e.what_without_backtrace());
  }
  const auto got = tensor_shapes();
  for (const auto& [name, shape] : expected) {
    auto it = got.find(name);
    if (it == got.end() || it->second != shape)
      throw ModelFormat("tensor '" + name + "' has shape " + (it == got.end() ? "(missing)" : it->second) +
                        ", the header's network needs " + shape);
  }
  {
    torch::NoGradGuard no_grad;
    for (const auto& t : root().parameters(true))
      if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
        throw ModelFormat("the network weights hold NaN or infinite values");
  }
  set_eval();
}

std::map<std::string, std::string> TorchImageModel::tensor_shapes() const {
  std::map<std::string, std::string> out;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    std::string s = std::string(c10::toString(t.scalar_type())) + "[";
    for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    out[name] = s + "]";
  };
  for (const auto& p : root().named_parameters(true)) add(p.key(), p.value());
  for (const auto& b : root().named_buffers(true)) add(b.key(), b.value());
  return out;
}

}  // namespace medgen::imaging::nnlib
