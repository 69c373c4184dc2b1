// medgen image train|sample|evaluate|enhance|anomaly|degrade: the image models. Thin: parses
// flags, calls medgen/imaging/tasks.h, prints. See docs/imaging.md.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/progress.h"
#include "medgen/imaging/io.h"
#include "medgen/imaging/tasks.h"

using namespace medgen;
using namespace medgen::imaging;

namespace {

struct ModelArgs {
  // shared
  std::vector<std::string> data;
  std::string model, output, input, reference, png_dir, json_path, axis = "axial", window, device = "cpu";
  uint64_t seed = 0;
  int threads = 1;
  bool quiet = false, json = false;
  size_t size = 0, block = 16, test_every = 4, gap = 2, n = 16, repeats = 2;
  double min_foreground = 0.15;
  std::string noise = "gaussian";
  double noise_level = 0;
  ImageTrainOptions opt;
  LesionOptions lesions;
  CLI::App *train = nullptr, *sample = nullptr, *evaluate = nullptr, *enhance = nullptr, *anomaly = nullptr,
           *degrade = nullptr;
};

Context make_context(const ModelArgs& a) {
  static Progress progress(!a.quiet && Progress::stderr_is_terminal());
  Context ctx;
  ctx.seed = a.seed;
  ctx.threads = a.threads;
  ctx.progress = &progress;
  ctx.validate();
  if (a.device == "cuda") ctx.device = Device::kCuda;
  else if (a.device != "cpu") throw InvalidInput("--device: expected 'cpu' or 'cuda', got '" + a.device + "'");
  apply_threads(ctx);
  return ctx;
}

DataSpec data_spec(const ModelArgs& a, const std::string& window) {
  DataSpec d;
  d.paths = a.data;
  d.axis = axis_from_name(a.axis);
  d.window = window;
  d.block = a.block;
  d.test_every = a.test_every;
  d.gap = a.gap;
  d.min_foreground = a.min_foreground;
  return d;
}

// The window a model was trained with, unless --window overrides it.
DataSpec spec_of_model(const ModelArgs& a, const ImageModel& m) {
  const nlohmann::json info = m.header().at("info");
  DataSpec d = info.contains("data") ? DataSpec::from_json(info["data"]) : DataSpec{};
  d.paths = a.data;
  if (!a.window.empty()) d.window = a.window;
  return d;
}

void emit(const ModelArgs& a, const nlohmann::json& j) {
  if (!a.json_path.empty()) write_file_atomic(a.json_path, j.dump(2) + "\n");
  std::printf("%s\n", j.dump(2).c_str());
}

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

// A stack of slices as a volume (x, y, slice) with unit spacing, for NIfTI output.
Volume stack_volume(const SliceStack& s) {
  Volume v = Volume::zeros(s.w, s.h, s.n);
  std::copy(s.data.begin(), s.data.end(), v.voxels.begin());
  return v;
}

// A grid of slices as one 8-bit PNG.
void write_montage(const SliceStack& s, const std::string& path) {
  const size_t cols = static_cast<size_t>(std::ceil(std::sqrt(double(s.n)))), rows = (s.n + cols - 1) / cols;
  const size_t W = cols * s.w, H = rows * s.h;
  std::vector<uint16_t> px(W * H, 0);
  for (size_t i = 0; i < s.n; ++i)
    for (size_t y = 0; y < s.h; ++y)
      for (size_t x = 0; x < s.w; ++x)
        px[((i / cols) * s.h + y) * W + (i % cols) * s.w + x] =
            uint16_t(std::lround(std::clamp(s.slice(i)[y * s.w + x], 0.0f, 1.0f) * 255));
  write_png_gray(path, W, H, px, 8);
}

void check_png_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(located(dir, 0, 0, "cannot create folder: " + ec.message()));
}

int run_train(ModelArgs& a) {
  a.opt.noise = noise_kind_from_name(a.noise);
  if (a.noise_level > 0) a.opt.noise_level = a.noise_level;
  else if (a.opt.noise == NoiseKind::Poisson) a.opt.noise_level = 2000;
  a.opt.validate();
  if (a.output.empty()) throw InvalidInput("--output: the model file to write is required");
  const bool enh = a.opt.kind == ImageModelKind::Denoise || a.opt.kind == ImageModelKind::SuperRes;
  if (a.size == 0) a.size = a.opt.kind == ImageModelKind::Dae ? 128 : 64;
  // The dae trains on crops of half the model's slices (fully convolutional; 4x cheaper steps).
  if (a.opt.kind == ImageModelKind::Dae && a.train->count("--patch") == 0) a.opt.patch = a.size / 2;
  if (a.size != 64 && a.size != 128 && a.size != 32 && a.size != 256 && a.size != 0)
    throw InvalidInput("--size: expected 32, 64, 128 or 256, got " + std::to_string(a.size));
  const Context ctx = make_context(a);
  // Enhancement sees the whole intensity range by default (nothing clipped), the generative
  // models the display window.
  const std::string window = !a.window.empty() ? a.window : enh ? "full" : "auto";
  const SliceData data = load_slice_data(data_spec(a, window));
  auto m = train_on_data(a.opt, data, a.size, ctx);
  m->save(a.output);
  const nlohmann::json h = m->header();
  nlohmann::json summary = {{"model", h["kind"]}, {"output", a.output}, {"train_seconds", h["train_seconds"]},
                            {"train_slices", h["info"]["train_slices"]}, {"test_slices", h["info"]["test_slices"]},
                            {"last", h["history"].empty() ? nlohmann::json() : h["history"].back()}};
  if (h["info"].contains("anomaly")) summary["anomaly_calibration"] = h["info"]["anomaly"];
  emit(a, summary);
  return 0;
}

int run_sample(ModelArgs& a) {
  if (a.n < 1 || a.n > 100000) throw InvalidInput("--n: expected 1..100000");
  if (!ends_with(a.output, ".png") && !ends_with(a.output, ".nii") && !ends_with(a.output, ".nii.gz"))
    throw InvalidInput(located(a.output, 0, 0, "sample output must be .png (a grid) or .nii/.nii.gz (a stack)"));
  const Context ctx = make_context(a);
  auto m = load_image_model(a.model, ctx);
  const SliceStack s = m->sample(a.n, a.seed);
  if (ends_with(a.output, ".png")) write_montage(s, a.output);
  else write_nifti(stack_volume(s), a.output);
  std::fprintf(stderr, "wrote %s (%zu samples of %zux%zu)\n", a.output.c_str(), s.n, s.w, s.h);
  return 0;
}

int run_evaluate(ModelArgs& a) {
  const Context ctx = make_context(a);
  auto m = load_image_model(a.model, ctx);
  const SliceData data = load_slice_data(spec_of_model(a, *m));
  nlohmann::json j;
  switch (m->kind()) {
    case ImageModelKind::Vae:
    case ImageModelKind::Gan:
      j = evaluate_generative(*m, data, a.evaluate->count("--n") ? a.n : 256, ctx);
      break;
    case ImageModelKind::Denoise:
    case ImageModelKind::SuperRes: j = evaluate_enhancement(*m, data, a.noise_level, a.seed); break;
    default: throw InvalidInput("evaluate: a features model is evaluated through the others");
  }
  j["split"] = {{"block", data.spec.block}, {"test_every", data.spec.test_every}, {"gap", data.spec.gap}};
  emit(a, j);
  return 0;
}

int run_enhance(ModelArgs& a) {
  const Context ctx = make_context(a);
  auto m = load_image_model(a.model, ctx);
  Volume v = read_image(a.input);
  const Volume out = enhance_volume(*m, v, axis_from_name(a.axis));
  write_image(out, a.output);
  nlohmann::json j = {{"input", a.input}, {"output", a.output}, {"dims", out.dims}, {"spacing_mm", out.spacing}};
  if (!a.reference.empty()) {
    // PSNR/SSIM of input and output against a clean reference, in the model's window units.
    const Volume ref = read_image(a.reference);
    if (ref.dims != out.dims) throw InvalidInput(located(a.reference, 0, 0, "reference dims differ from the output"));
    nlohmann::json info = m->info();
    const Window w = model_window(ref, info.contains("data") ? info["data"].value("window", "full") : "full");
    const Axis ax = axis_from_name(a.axis);
    const auto keep = foreground_slices(ref, ax, w, 0.15);
    auto stack = [&](const Volume& vol) { return slices_from_volume(vol, ax, w, keep, 0); };
    const SliceStack r = stack(ref), o = stack(out);
    double p_out = 0, s_out = 0, p_in = 0, s_in = 0;
    const bool same_size = v.dims == ref.dims;
    SliceStack i;
    if (same_size) i = stack(v);
    for (size_t k = 0; k < r.n; ++k) {
      p_out += psnr(o.slice(k), r.slice(k), r.plane()) / r.n;
      s_out += ssim(o.slice(k), r.slice(k), r.h, r.w) / r.n;
      if (same_size) {
        p_in += psnr(i.slice(k), r.slice(k), r.plane()) / r.n;
        s_in += ssim(i.slice(k), r.slice(k), r.h, r.w) / r.n;
      }
    }
    j["reference"] = a.reference;
    j["slices_compared"] = r.n;
    j["output_psnr_db"] = p_out;
    j["output_ssim"] = s_out;
    if (same_size) j["input_psnr_db"] = p_in, j["input_ssim"] = s_in;
  }
  emit(a, j);
  return 0;
}

int run_degrade(ModelArgs& a) {
  const NoiseKind kind = noise_kind_from_name(a.noise);
  if (!(a.noise_level > 0)) throw InvalidInput("--noise-level is required (sigma in window units, or Poisson peak)");
  Volume v = read_image(a.input);
  const Window w = model_window(v, a.window.empty() ? "full" : a.window);
  std::vector<float> x(v.voxels.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = float((v.voxels[i] - w.lo()) / w.width);
  Rng rng(a.seed);
  add_noise(x.data(), x.size(), kind, a.noise_level, rng);
  for (size_t i = 0; i < x.size(); ++i) v.voxels[i] = float(w.lo() + x[i] * w.width);
  write_image(v, a.output);
  std::fprintf(stderr, "wrote %s (%s noise, level %g)\n", a.output.c_str(), noise_kind_name(kind).c_str(), a.noise_level);
  return 0;
}

int run_anomaly(ModelArgs& a) {
  check_png_dir(a.png_dir);
  const Context ctx = make_context(a);
  auto m = load_image_model(a.model, ctx);
  if (m->kind() != ImageModelKind::Vae && m->kind() != ImageModelKind::Dae)
    throw InvalidInput("anomaly needs a vae or dae model");
  nlohmann::json info = m->info();
  const double px_thr = info.contains("anomaly") ? info["anomaly"].value("pixel_threshold", 0.0) : 0.0;
  const double sl_thr = info.contains("anomaly") ? info["anomaly"].value("slice_threshold", 0.0) : 0.0;
  const size_t S = m->image_size();
  if (!a.data.empty()) {
    // Evaluation with synthetic lesions on the held-out slices.
    const SliceData data = load_slice_data(spec_of_model(a, *m));
    // Lesion radii scale with the model's slice size unless given (64 px: 2 to 6.4 px).
    if (a.anomaly->count("--min-radius") == 0) a.lesions.min_radius = S / 32.0;
    if (a.anomaly->count("--max-radius") == 0) a.lesions.max_radius = S / 10.0;
    AnomalyExamples ex;
    nlohmann::json j = evaluate_anomaly(*m, data, a.lesions, a.repeats, a.seed, &ex);
    if (!a.png_dir.empty())
      for (size_t i = 0; i < ex.image.n; ++i)
        write_png_rgb(a.png_dir + "/lesions_" + std::to_string(i) + ".png", S, S,
                      overlay_rgb(ex.image.slice(i), ex.map.slice(i), ex.mask.slice(i), S, S, px_thr));
    emit(a, j);
    return 0;
  }
  if (a.input.empty()) throw InvalidInput("anomaly: give --input VOLUME (maps) or --data VOLUME (lesion evaluation)");
  const Volume v = read_image(a.input);
  const DataSpec spec = spec_of_model(a, *m);
  const Window w = model_window(v, spec.window);
  const Axis ax = axis_from_name(a.axis);
  const auto keep = foreground_slices(v, ax, w, spec.min_foreground);
  if (keep.empty()) throw InvalidInput(located(a.input, 0, 0, "no slice has enough signal for anomaly maps"));
  const SliceStack x = slices_from_volume(v, ax, w, keep, S);
  const AnomalyMaps am = anomaly_maps(*m, x, info.contains("anomaly") ? info["anomaly"].value("smooth", 1.5) : 1.5);
  // The map in the source geometry (zero on slices without signal).
  const Slice first = extract_slice(v, ax, keep.front());
  SliceStack native = SliceStack::zeros(keep.size(), first.height, first.width);
  native.position = keep;
  for (size_t k = 0; k < keep.size(); ++k) {
    const auto back = from_square(am.map.slice(k), S, first.width, first.height);
    std::copy(back.begin(), back.end(), native.slice(k));
  }
  Volume map = v;
  std::fill(map.voxels.begin(), map.voxels.end(), 0.0f);
  map.modality = Modality::Other;
  map = volume_from_slices(map, ax, Window{0.5, 1.0}, native);
  if (!a.output.empty()) write_image(map, a.output);
  nlohmann::json slices = nlohmann::json::array();
  std::vector<size_t> order(keep.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return am.score[i] > am.score[j]; });
  for (size_t k = 0; k < keep.size(); ++k)
    slices.push_back({{"slice", keep[k]}, {"score", am.score[k]}, {"flagged", sl_thr > 0 && am.score[k] > sl_thr}});
  if (!a.png_dir.empty()) {
    const SliceStack grey = slices_from_volume(v, ax, w, keep, 0);
    for (size_t r = 0; r < std::min<size_t>(order.size(), 6); ++r) {
      const size_t k = order[r];
      std::vector<float> img(grey.slice(k), grey.slice(k) + grey.plane()), mp(native.slice(k), native.slice(k) + grey.plane());
      orient_for_display(v, ax, img.data(), grey.w, grey.h);
      orient_for_display(v, ax, mp.data(), grey.w, grey.h);
      write_png_rgb(a.png_dir + "/slice_" + std::to_string(keep[k]) + ".png", grey.w, grey.h,
                    overlay_rgb(img.data(), mp.data(), nullptr, grey.w, grey.h, px_thr));
    }
  }
  emit(a, {{"input", a.input}, {"output", a.output}, {"pixel_threshold", px_thr}, {"slice_threshold", sl_thr},
           {"slices", slices}});
  return 0;
}

void common(CLI::App* c, ModelArgs& a) {
  c->add_option("--seed", a.seed, "random seed")->capture_default_str();
  c->add_option("--threads", a.threads, "worker threads (1-256)")->capture_default_str();
  c->add_option("--device", a.device, "cpu or cuda")->capture_default_str();
  c->add_flag("--quiet", a.quiet, "no progress line");
  c->add_option("--json", a.json_path, "also write the JSON summary to this file");
}

void data_options(CLI::App* c, ModelArgs& a) {
  c->add_option("--axis", a.axis, "slice axis: axial, coronal or sagittal")->capture_default_str();
  c->add_option("--window", a.window,
                "intensity window: auto, brain, bone, soft, lung, range or full (CT -1024..3071 HU); "
                "default: the model's (train: full for denoise/sr, auto otherwise)");
  c->add_option("--block", a.block, "split: slices per block")->capture_default_str();
  c->add_option("--test-every", a.test_every, "split: every N-th block is held out")->capture_default_str();
  c->add_option("--gap", a.gap, "split: slices dropped next to held-out blocks")->capture_default_str();
  c->add_option("--min-foreground", a.min_foreground, "skip slices with less signal than this fraction")
      ->capture_default_str();
}

}  // namespace

// Declared in cmd_imaging.cpp: adds the model subcommands to `medgen image` and returns the
// runner (-1: none of them was given).
std::function<int()> add_image_model_commands(CLI::App* image) {
  static ModelArgs a;
  static std::string kind = "vae";
  a.train = image->add_subcommand("train", "train an image model (vae, gan, denoise, sr) on the training split");
  a.train->add_option("--model", kind, "vae, gan, dae (anomaly maps), denoise or sr")->capture_default_str();
  a.train->add_option("--data", a.data, "volume(s) to learn from (DICOM, NIfTI, .inv3, PNG)")->required();
  a.train->add_option("--output", a.output, "model file to write")->required();
  a.train->add_option("--size", a.size, "vae/gan/dae: slice side, 64 or 128 (default 64; dae 128)");
  a.train->add_option("--steps", a.opt.steps, "optimiser steps (0: the model's default)");
  a.train->add_option("--batch", a.opt.batch, "batch size (0: default)");
  a.train->add_option("--lr", a.opt.lr, "learning rate (0: default)");
  a.train->add_option("--latent", a.opt.latent, "vae/gan latent dimension")->capture_default_str();
  a.train->add_option("--channels", a.opt.channels, "vae/gan first-layer channels")->capture_default_str();
  a.train->add_option("--loss", a.opt.loss, "gan: minimax or wgan-gp")->capture_default_str();
  a.train->add_option("--depth", a.opt.depth, "denoise/sr/dae: convolutions")->capture_default_str();
  a.train->add_option("--width", a.opt.width, "denoise/sr/dae: channels")->capture_default_str();
  a.train->add_option("--patch", a.opt.patch, "denoise/sr: training crop side (dae: default size/2)")->capture_default_str();
  a.train->add_option("--noise", a.noise, "denoise: gaussian, rician (MRI) or poisson (low-dose CT)")
      ->capture_default_str();
  a.train->add_option("--noise-level", a.noise_level, "denoise: sigma in window units (default 0.05) or Poisson peak (2000)");
  a.train->add_option("--scale", a.opt.scale, "sr: 2 or 4")->capture_default_str();
  a.train->add_option("--coarse-noise", a.opt.coarse_noise, "dae: sigma of the coarse training noise")->capture_default_str();
  common(a.train, a);
  data_options(a.train, a);

  a.sample = image->add_subcommand("sample", "new slices from a vae or gan");
  a.sample->add_option("--model", a.model, "model file")->required();
  a.sample->add_option("--n", a.n, "number of slices")->capture_default_str();
  a.sample->add_option("--output", a.output, ".png (a grid) or .nii/.nii.gz (a stack)")->required();
  common(a.sample, a);

  a.evaluate = image->add_subcommand("evaluate", "quality on the held-out slices (PSNR, SSIM, Fréchet distance, baselines)");
  a.evaluate->add_option("--model", a.model, "model file")->required();
  a.evaluate->add_option("--data", a.data, "the volume(s) the model was trained on")->required();
  a.evaluate->add_option("--n", a.n, "vae/gan: samples for the Fréchet distance (default 256)");
  a.evaluate->add_option("--noise-level", a.noise_level, "denoise: test noise level (default: the model's)");
  common(a.evaluate, a);
  data_options(a.evaluate, a);

  a.enhance = image->add_subcommand("enhance", "denoise or super-resolve a whole volume, keeping its geometry");
  a.enhance->add_option("--model", a.model, "denoise or sr model file")->required();
  a.enhance->add_option("--input", a.input, "volume to enhance")->required();
  a.enhance->add_option("--output", a.output, "volume to write (.nii, .nii.gz or a DICOM folder)")->required();
  a.enhance->add_option("--reference", a.reference, "clean volume: report PSNR/SSIM before and after");
  a.enhance->add_option("--axis", a.axis, "slice axis")->capture_default_str();
  common(a.enhance, a);

  a.degrade = image->add_subcommand("degrade", "add synthetic noise to a volume (to test enhancement)");
  a.degrade->add_option("--input", a.input, "volume")->required();
  a.degrade->add_option("--output", a.output, "noisy volume to write")->required();
  a.degrade->add_option("--noise", a.noise, "gaussian, rician or poisson")->capture_default_str();
  a.degrade->add_option("--noise-level", a.noise_level, "sigma in window units, or Poisson peak counts")->required();
  a.degrade->add_option("--window", a.window, "window the level refers to (default full: CT -1024..3071, else range)");
  a.degrade->add_option("--seed", a.seed, "random seed")->capture_default_str();

  a.anomaly = image->add_subcommand("anomaly", "anomaly maps from a vae or dae: per-pixel map, per-slice score, overlays");
  a.anomaly->add_option("--model", a.model, "vae or dae model file")->required();
  a.anomaly->add_option("--input", a.input, "volume to map");
  a.anomaly->add_option("--output", a.output, "anomaly map to write (.nii/.nii.gz), in the input's geometry");
  a.anomaly->add_option("--data", a.data, "instead: evaluate with synthetic lesions on these volumes' held-out slices");
  a.anomaly->add_option("--png-dir", a.png_dir, "folder for PNG overlays (top slices, or lesion examples)");
  a.anomaly->add_option("--repeats", a.repeats, "lesion draws per held-out slice")->capture_default_str();
  a.anomaly->add_option("--min-radius", a.lesions.min_radius, "lesion radius, px at the model's size (default size/32)");
  a.anomaly->add_option("--max-radius", a.lesions.max_radius, "(default size/10)");
  a.anomaly->add_option("--min-contrast", a.lesions.min_contrast, "lesion contrast, window units")->capture_default_str();
  a.anomaly->add_option("--max-contrast", a.lesions.max_contrast, "")->capture_default_str();
  common(a.anomaly, a);
  data_options(a.anomaly, a);

  return [] {
    if (a.train->parsed()) {
      a.opt.kind = image_model_kind_from_name(kind);
      if (a.opt.kind == ImageModelKind::Features) throw InvalidInput("--model features is trained by evaluate");
      return run_train(a);
    }
    if (a.sample->parsed()) return run_sample(a);
    if (a.evaluate->parsed()) return run_evaluate(a);
    if (a.enhance->parsed()) return run_enhance(a);
    if (a.anomaly->parsed()) return run_anomaly(a);
    if (a.degrade->parsed()) return run_degrade(a);
    return -1;
  };
}
