// The torch-free side of the image models: names, options, the default methods, and loading
// libmedgen_imaging_nn.so on first use.
#include "medgen/imaging/models.h"

#include "medgen/core/error.h"
#include "medgen/core/plugin.h"

namespace medgen::imaging {

ImageModelKind image_model_kind_from_name(const std::string& s) {
  if (s == "vae") return ImageModelKind::Vae;
  if (s == "gan") return ImageModelKind::Gan;
  if (s == "denoise") return ImageModelKind::Denoise;
  if (s == "sr") return ImageModelKind::SuperRes;
  if (s == "features") return ImageModelKind::Features;
  if (s == "dae") return ImageModelKind::Dae;
  throw InvalidInput("--model: expected vae, gan, dae, denoise or sr, got '" + s + "'");
}

bool square_input(ImageModelKind k) {
  return k == ImageModelKind::Vae || k == ImageModelKind::Gan || k == ImageModelKind::Features ||
         k == ImageModelKind::Dae;
}

std::string image_model_kind_name(ImageModelKind k) {
  switch (k) {
    case ImageModelKind::Vae: return "vae";
    case ImageModelKind::Gan: return "gan";
    case ImageModelKind::Denoise: return "denoise";
    case ImageModelKind::SuperRes: return "sr";
    case ImageModelKind::Features: return "features";
    case ImageModelKind::Dae: return "dae";
  }
  return "?";
}

void ImageTrainOptions::validate() const {
  auto bad = [](const std::string& what) { throw InvalidInput(what); };
  if (steps > 1000000) bad("--steps: at most 1000000, got " + std::to_string(steps));
  if (batch > 4096) bad("--batch: at most 4096, got " + std::to_string(batch));
  if (!(lr >= 0 && lr < 1)) bad("--lr: expected a value in (0, 1)");
  if (latent < 2 || latent > 4096) bad("--latent: expected 2..4096, got " + std::to_string(latent));
  if (channels < 4 || channels > 512) bad("--channels: expected 4..512, got " + std::to_string(channels));
  if (loss != "minimax" && loss != "wgan-gp") bad("--loss: expected minimax or wgan-gp, got '" + loss + "'");
  if (depth < 3 || depth > 64) bad("--depth: expected 3..64, got " + std::to_string(depth));
  if (width < 4 || width > 512) bad("--width: expected 4..512, got " + std::to_string(width));
  if (patch < 16 || patch > 1024) bad("--patch: expected 16..1024, got " + std::to_string(patch));
  if (scale != 2 && scale != 4) bad("--scale: expected 2 or 4, got " + std::to_string(scale));
  if (patch % scale != 0) bad("--patch must be a multiple of --scale");
  if (noise == NoiseKind::Poisson) {
    if (!(noise_level >= 1 && noise_level <= 1e7)) bad("--noise-level: Poisson peak counts must be in [1, 1e7]");
  } else if (!(noise_level > 0 && noise_level <= 1)) {
    bad("--noise-level: sigma must be in (0, 1] (model units: the window is [0, 1])");
  }
  if (classes < 2 || classes > 64) bad("classes: expected 2..64");
  if (!(coarse_noise > 0 && coarse_noise <= 1)) bad("--coarse-noise: expected a sigma in (0, 1]");
}

nlohmann::json ImageTrainOptions::to_json() const {
  return {{"kind", image_model_kind_name(kind)}, {"steps", steps},       {"batch", batch},
          {"lr", lr},                            {"latent", latent},     {"channels", channels},
          {"loss", loss},                        {"flip", flip},         {"depth", depth},
          {"width", width},                      {"patch", patch},       {"noise", noise_kind_name(noise)},
          {"noise_level", noise_level},          {"scale", scale},       {"classes", classes},
          {"coarse_noise", coarse_noise}};
}

ImageTrainOptions ImageTrainOptions::from_json(const nlohmann::json& j) {
  try {
    ImageTrainOptions o;
    o.kind = image_model_kind_from_name(j.at("kind").get<std::string>());
    o.steps = j.at("steps").get<size_t>();
    o.batch = j.at("batch").get<size_t>();
    o.lr = j.at("lr").get<double>();
    o.latent = j.at("latent").get<size_t>();
    o.channels = j.at("channels").get<size_t>();
    o.loss = j.at("loss").get<std::string>();
    o.flip = j.at("flip").get<bool>();
    o.depth = j.at("depth").get<size_t>();
    o.width = j.at("width").get<size_t>();
    o.patch = j.at("patch").get<size_t>();
    o.noise = noise_kind_from_name(j.at("noise").get<std::string>());
    o.noise_level = j.at("noise_level").get<double>();
    o.scale = j.at("scale").get<size_t>();
    o.classes = j.at("classes").get<size_t>();
    o.coarse_noise = j.value("coarse_noise", 0.2);
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw ModelFormat(std::string("image model options: ") + e.what());
  } catch (const InvalidInput& e) {
    throw ModelFormat(std::string("image model options: ") + e.what());
  }
}

ImageTrainOptions ImageTrainOptions::resolved() const {
  ImageTrainOptions o = *this;
  size_t steps0 = 1000, batch0 = 32;
  double lr0 = 1e-3;
  switch (kind) {
    case ImageModelKind::Vae: steps0 = 2000, batch0 = 32, lr0 = 1e-3; break;
    case ImageModelKind::Gan:
      steps0 = 2000, batch0 = 32, lr0 = loss == "wgan-gp" ? 1e-4 : 2e-4;
      break;
    case ImageModelKind::Denoise:
    case ImageModelKind::SuperRes: steps0 = 1500, batch0 = 16, lr0 = 1e-3; break;
    case ImageModelKind::Features: steps0 = 400, batch0 = 32, lr0 = 1e-3; break;
    case ImageModelKind::Dae: steps0 = 1500, batch0 = 16, lr0 = 1e-3; break;
  }
  if (o.steps == 0) o.steps = steps0;
  if (o.batch == 0) o.batch = batch0;
  if (o.lr == 0) o.lr = lr0;
  return o;
}

namespace {
[[noreturn]] void unsupported(const ImageModel& m, const char* what) {
  throw InvalidInput("a " + image_model_kind_name(m.kind()) + " model cannot " + what);
}
}  // namespace

SliceStack ImageModel::reconstruct(const SliceStack&) const { unsupported(*this, "reconstruct slices (use a vae)"); }
SliceStack ImageModel::sample(size_t, uint64_t) const { unsupported(*this, "sample slices (use a vae or gan)"); }
SliceStack ImageModel::enhance(const SliceStack&) const { unsupported(*this, "enhance images (use denoise or sr)"); }
std::vector<double> ImageModel::features(const SliceStack&) const { unsupported(*this, "compute features"); }
size_t ImageModel::feature_dim() const { return 0; }

namespace {
constexpr const char* kLibrary = "libmedgen_imaging_nn.so";
template <typename Fn>
Fn plugin_fn(const char* symbol) {
  return reinterpret_cast<Fn>(load_plugin_symbol(kLibrary, symbol, "image models"));
}
}  // namespace

std::unique_ptr<ImageModel> train_image_model(const ImageTrainOptions& opt, const SliceStack& train,
                                              const std::vector<int>& labels, const Context& ctx) {
  opt.validate();
  ctx.validate();
  static const auto fn = plugin_fn<MedgenImagingTrainFn>("medgen_imaging_nn_train");
  return std::unique_ptr<ImageModel>(fn(opt.resolved(), train, labels, ctx));
}

std::unique_ptr<ImageModel> load_image_model(const std::string& path, const Context& ctx) {
  const ModelFile mf = ModelFile::load(path);
  if (mf.header.value("model", "") != "image")
    throw ModelFormat(path + ": not a medgen image model (model: '" + mf.header.value("model", "") + "')");
  static const auto fn = plugin_fn<MedgenImagingLoadFn>("medgen_imaging_nn_load");
  try {
    return std::unique_ptr<ImageModel>(fn(mf, ctx));
  } catch (const ModelFormat& e) {
    throw ModelFormat(path + ": " + e.what());
  }
}

}  // namespace medgen::imaging
