// The torch-free side of the image models: names, options, the default methods, and loading
// libmedgen_imaging_nn.so on first use.
#include "medgen/imaging/models.h"

#include <cmath>
#include <cstdio>

#include "medgen/core/error.h"
#include "medgen/core/plugin.h"
#include "medgen/imaging/intensity.h"
#include "medgen/imaging/tasks.h"

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
  if (!noise_mix.empty() && noise_mix.front() != noise) bad("--noise: the first of the mix must be the model's noise");
  for (size_t i = 0; i < noise_mix.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (noise_mix[i] == noise_mix[j]) bad("--noise: '" + noise_kind_name(noise_mix[i]) + "' is listed twice");
  auto check_level = [&](double v, const char* what) {
    if (!levels_are_sigma()) {
      if (!(v >= 1 && v <= 1e7)) bad(std::string("--noise-level: Poisson peak counts must be in [1, 1e7]") + what);
    } else if (!(v > 0 && v <= 1)) {
      bad(std::string("--noise-level: sigma must be in (0, 1] (model units: the window is [0, 1])") + what);
    }
  };
  check_level(noise_level, "");
  if (noise_level_max != 0) {
    check_level(noise_level_max, " (the range's maximum)");
    if (noise_level_max < noise_level) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "--noise-level: the range's minimum (%g) is above its maximum (%g)", noise_level,
                    noise_level_max);
      bad(buf);
    }
  }
  if (classes < 2 || classes > 64) bad("classes: expected 2..64");
  if (!(coarse_noise > 0 && coarse_noise <= 1)) bad("--coarse-noise: expected a sigma in (0, 1]");
}

nlohmann::json ImageTrainOptions::to_json() const {
  nlohmann::json j = {{"kind", image_model_kind_name(kind)}, {"steps", steps},       {"batch", batch},
          {"lr", lr},                            {"latent", latent},     {"channels", channels},
          {"loss", loss},                        {"flip", flip},         {"depth", depth},
          {"width", width},                      {"patch", patch},       {"noise", noise_kind_name(noise)},
          {"noise_level", noise_level},          {"scale", scale},       {"classes", classes},
          {"coarse_noise", coarse_noise}};
  if (blind()) {
    j["blind"] = true;
    j["noise_level_max"] = noise_level_max;
    nlohmann::json mix = nlohmann::json::array();
    for (NoiseKind k : noise_kinds()) mix.push_back(noise_kind_name(k));
    j["noise_mix"] = mix;
  }
  return j;
}

bool ImageTrainOptions::levels_are_sigma() const {
  return !(noise_kinds().size() == 1 && noise_kinds().front() == NoiseKind::Poisson);
}

ImageTrainOptions ImageTrainOptions::from_json(const nlohmann::json& j) {
  // A model file is untrusted input: every field has its type checked before it is read (a
  // negative or fractional count must not be converted into a huge size_t), and the values
  // go through validate(), the same ranges the command line accepts.
  auto count = [&](const char* key) -> size_t {
    const nlohmann::json& v = j.at(key);
    if (!v.is_number_unsigned()) throw ModelFormat(std::string("image model options: '") + key + "' must be a non-negative integer");
    return v.get<size_t>();
  };
  auto real = [&](const char* key, double dflt, bool required) -> double {
    if (!required && !j.contains(key)) return dflt;
    const nlohmann::json& v = j.at(key);
    if (!v.is_number()) throw ModelFormat(std::string("image model options: '") + key + "' must be a number");
    return v.get<double>();
  };
  try {
    if (!j.is_object()) throw ModelFormat("image model options: not a JSON object");
    ImageTrainOptions o;
    o.kind = image_model_kind_from_name(j.at("kind").get<std::string>());
    o.steps = count("steps");
    o.batch = count("batch");
    o.lr = real("lr", 0, true);
    o.latent = count("latent");
    o.channels = count("channels");
    o.loss = j.at("loss").get<std::string>();
    o.flip = j.at("flip").get<bool>();
    o.depth = count("depth");
    o.width = count("width");
    o.patch = count("patch");
    o.noise = noise_kind_from_name(j.at("noise").get<std::string>());
    o.noise_level = real("noise_level", 0, true);
    o.scale = count("scale");
    o.classes = count("classes");
    o.coarse_noise = real("coarse_noise", 0.2, false);
    o.noise_level_max = real("noise_level_max", 0, false);
    if (j.contains("noise_mix")) {
      const nlohmann::json& mix = j.at("noise_mix");
      if (!mix.is_array() || mix.size() > 3) throw ModelFormat("image model options: 'noise_mix' must be a list of at most 3 noise names");
      for (const nlohmann::json& k : mix) o.noise_mix.push_back(noise_kind_from_name(k.get<std::string>()));
      if (o.noise_mix.size() == 1) o.noise_mix.clear();
    }
    o.validate();
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

namespace {

// The parts of a model's info() that the commands read back (the data spec, the anomaly
// calibration), checked for type and range so that a hostile file cannot make them throw
// anything but ModelFormat later.
void check_info(const nlohmann::json& info) {
  if (!info.is_object()) throw ModelFormat("'info' is not a JSON object");
  if (info.contains("data")) {
    const auto& d = info["data"];
    if (!d.is_object()) throw ModelFormat("info.data is not a JSON object");
    try {
      const DataSpec spec = DataSpec::from_json(d);
      if (spec.block < 1 || spec.block > 1000000 || spec.test_every < 1 || spec.test_every > 1000000 ||
          spec.gap > 1000000 || !(spec.min_foreground >= 0 && spec.min_foreground <= 1))
        throw ModelFormat("info.data: split or foreground values out of range");
      if (spec.window != "auto" && spec.window != "range" && spec.window != "full") ct_window(spec.window);
    } catch (const nlohmann::json::exception& e) {
      throw ModelFormat(std::string("info.data: ") + e.what());
    } catch (const InvalidInput& e) {
      throw ModelFormat(std::string("info.data: ") + e.what());
    }
  }
  if (info.contains("anomaly")) {
    const auto& a = info["anomaly"];
    if (!a.is_object()) throw ModelFormat("info.anomaly is not a JSON object");
    for (const char* k : {"pixel_threshold", "slice_threshold", "smooth"})
      if (a.contains(k) && !(a[k].is_number() && std::isfinite(a[k].get<double>()) && a[k].get<double>() >= 0))
        throw ModelFormat(std::string("info.anomaly.") + k + " must be a non-negative number");
    if (a.contains("smooth") && a["smooth"].get<double>() > 100) throw ModelFormat("info.anomaly.smooth is out of range");
  }
}

}  // namespace

std::unique_ptr<ImageModel> load_image_model(const std::string& path, const Context& ctx) {
  const ModelFile mf = ModelFile::load(path);
  const auto model = mf.header.is_object() && mf.header.contains("model") && mf.header["model"].is_string()
                         ? mf.header["model"].get<std::string>()
                         : std::string();
  if (model != "image") throw ModelFormat(path + ": not a medgen image model (model: '" + model + "')");
  static const auto fn = plugin_fn<MedgenImagingLoadFn>("medgen_imaging_nn_load");
  try {
    std::unique_ptr<ImageModel> m(fn(mf, ctx));
    check_info(m->info());
    return m;
  } catch (const ModelFormat& e) {
    throw ModelFormat(path + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw ModelFormat(path + ": " + e.what());
  }
}

}  // namespace medgen::imaging
