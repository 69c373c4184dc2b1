// The image-model plugin's entry points (looked up by src/imaging/models.cpp): training, and
// loading with the header's checks before any network is built. The models are in
// vae_model.cpp, gan_model.cpp, enhance_model.cpp and feature_model.cpp; their shared base,
// with save, load and the weights' validation, in image_model.cpp. Design notes: docs/imaging.md.
#include <string>

#include "image_model.h"
#include "medgen/core/error.h"
#include "medgen/nn/device.h"

namespace medgen::imaging::nnlib {

namespace {

std::unique_ptr<TorchImageModel> make_model(const ImageTrainOptions& opt, size_t size, const Context& ctx) {
  switch (opt.kind) {
    case ImageModelKind::Vae: return make_vae_model(opt, size, ctx);
    case ImageModelKind::Gan: return make_gan_model(opt, size, ctx);
    case ImageModelKind::Denoise:
    case ImageModelKind::SuperRes:
    case ImageModelKind::Dae: return make_enhance_model(opt, size, ctx);
    case ImageModelKind::Features: return make_feature_model(opt, size, ctx);
  }
  throw InvalidInput("unknown image model kind");
}

}  // namespace

}  // namespace medgen::imaging::nnlib

using namespace medgen;
using namespace medgen::imaging;

extern "C" ImageModel* medgen_imaging_nn_train(const ImageTrainOptions& opt, const SliceStack& train,
                                               const std::vector<int>& labels, const Context& ctx) {
  nn::init_torch(ctx);
  const bool square = square_input(opt.kind);
  if (train.n == 0) throw InvalidInput("no training slices");
  if (square && train.h != train.w) throw InvalidInput("vae, gan and features train on square slices");
  if (square) nnlib::halvings(static_cast<int64_t>(train.h));  // checks the size
  auto m = nnlib::make_model(opt, square ? train.h : 0, ctx);
  m->train(train, labels);
  return m.release();
}

extern "C" ImageModel* medgen_imaging_nn_load(const ModelFile& mf, const Context& ctx) {
  nn::init_torch(ctx);
  ImageTrainOptions opt;
  size_t size = 0;
  try {
    opt = ImageTrainOptions::from_json(mf.header.at("options"));
    const nlohmann::json& sz = mf.header.at("size");
    if (!sz.is_number_unsigned()) throw ModelFormat("image model header: 'size' must be a non-negative integer");
    size = sz.get<size_t>();
    if (mf.header.contains("kind") && mf.header["kind"] != image_model_kind_name(opt.kind))
      throw ModelFormat("image model header: 'kind' disagrees with the options' kind");
  } catch (const nlohmann::json::exception& e) {
    throw ModelFormat(std::string("image model header: ") + e.what());
  }
  // The network's size before anything is built from it: vae, gan, features and dae take
  // squares of 4 x 2^k (8 .. 1024); the enhancement CNNs are fully convolutional (size 0).
  if (square_input(opt.kind)) {
    if (size < 8 || size > 1024) throw ModelFormat("image model header: 'size' " + std::to_string(size) + " is not 8..1024");
    bool ok = true;
    try {
      ok = (int64_t{4} << nnlib::halvings(static_cast<int64_t>(size))) == static_cast<int64_t>(size);
    } catch (const InvalidInput&) {
      ok = false;
    }
    if (!ok) throw ModelFormat("image model header: 'size' " + std::to_string(size) + " is not 4 times a power of two");
  } else if (size != 0) {
    throw ModelFormat("image model header: 'size' must be 0 for a " + image_model_kind_name(opt.kind) + " model");
  }
  try {
    auto m = nnlib::make_model(opt, size, ctx);
    m->load(mf);
    return m.release();
  } catch (const c10::Error& e) {
    throw ModelFormat(std::string("the network does not load: ") + e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    throw ModelFormat(std::string("image model header: ") + e.what());
  }
}
