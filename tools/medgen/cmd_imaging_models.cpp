// medgen image train|sample|evaluate|enhance|anomaly|degrade: the image models. Thin: parses
// flags, calls medgen/imaging/tasks.h, prints. See docs/imaging.md.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/progress.h"
#include "medgen/imaging/io.h"
#include "medgen/imaging/tasks.h"
#include "options.h"

using namespace medgen;
using namespace medgen::imaging;

namespace {

cli::CommonOptions image_common_defaults() {
  cli::CommonOptions c;
  c.seed = 0;
  return c;
}

struct ModelArgs {
  // shared
  std::vector<std::string> data;
  std::string model, output, input, reference, png_dir, axis = "axial", window;
  // --seed (default 0 here), --threads, -q, --json (the summary is JSON on stdout anyway),
  // --json-out FILE, --device
  cli::CommonOptions common = image_common_defaults();
  size_t size = 0, block = 16, test_every = 4, gap = 2, n = 16, repeats = 2;
  double min_foreground = 0.15;
  std::string noise = "gaussian";
  double noise_level = 0;
  std::string noise_level_text;  // train: SIGMA, PEAK or MIN:MAX (blind)
  // evaluate --images: evaluation-only images, the levels and the classical filters
  std::vector<std::string> images;
  std::string levels = "0.05,0.1";
  bool classical = false;
  bool nlm = false;  // enhance --nlm
  ImageTrainOptions opt;
  LesionOptions lesions;
  std::string lesion_kind = "blob";
  CLI::App *train = nullptr, *sample = nullptr, *evaluate = nullptr, *enhance = nullptr, *anomaly = nullptr,
           *degrade = nullptr;
};

Context make_context(const ModelArgs& a) { return cli::make_context(a.common); }

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
  if (!a.common.json_out.empty()) write_file_atomic(a.common.json_out, j.dump(2) + "\n");
  std::printf("%s\n", j.dump(2).c_str());
}

void check_png_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(located(dir, 0, 0, "cannot create folder: " + ec.message()));
}

void write_overlays(const std::string& dir, const std::vector<RgbImage>& images) {
  for (const RgbImage& im : images) write_png_rgb(dir + "/" + im.stem + ".png", im.width, im.height, im.rgb);
}

// A number for `flag` (InvalidInput naming it otherwise).
double parse_number(const std::string& text, const char* flag) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw InvalidInput(std::string(flag) + ": expected a number, got '" + text + "'");
  if (v < 0) throw InvalidInput(std::string(flag) + ": must not be negative, got " + text);
  return v;
}

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t e; (e = s.find(sep, b)) != std::string::npos; b = e + 1) out.push_back(s.substr(b, e - b));
  out.push_back(s.substr(b));
  return out;
}

int run_train(ModelArgs& a) {
  // --noise KIND[,KIND...] (a mix: blind) and --noise-level LEVEL or MIN:MAX (a range: blind).
  const std::vector<std::string> kinds = split_list(a.noise, ',');
  if (kinds.size() > 3) throw InvalidInput("--noise: at most gaussian, rician and poisson, once each");
  for (const std::string& k : kinds) a.opt.noise_mix.push_back(noise_kind_from_name(k));
  a.opt.noise = a.opt.noise_mix.front();
  if (a.opt.noise_mix.size() == 1) a.opt.noise_mix.clear();
  double level = 0;
  if (!a.noise_level_text.empty()) {
    const std::vector<std::string> r = split_list(a.noise_level_text, ':');
    if (r.size() > 2) throw InvalidInput("--noise-level: expected LEVEL or MIN:MAX, got '" + a.noise_level_text + "'");
    level = parse_number(r[0], "--noise-level");
    if (!(level > 0)) throw InvalidInput("--noise-level: must be positive, got " + r[0]);
    if (r.size() == 2) {
      if (a.opt.kind != ImageModelKind::Denoise) throw InvalidInput("--noise-level MIN:MAX: only for --model denoise");
      a.opt.noise_level_max = parse_number(r[1], "--noise-level");
      if (!(a.opt.noise_level_max > 0)) throw InvalidInput("--noise-level: the range's maximum must be positive");
    }
  }
  if (!a.opt.noise_mix.empty() && a.opt.kind != ImageModelKind::Denoise)
    throw InvalidInput("--noise with several models: only for --model denoise");
  if (!a.opt.noise_mix.empty() && level == 0) level = 0.05;  // a mix's levels are sigmas
  std::string window = a.window;
  resolve_train_defaults(&a.opt, &a.size, &window, level, a.train->count("--patch") > 0);
  if (a.output.empty()) throw InvalidInput("--output: the model file to write is required");
  const Context ctx = make_context(a);
  // Enhancement may learn from single images and short series too (no held-out slices there).
  const bool enh = a.opt.kind == ImageModelKind::Denoise || a.opt.kind == ImageModelKind::SuperRes;
  const SliceData data = load_slice_data(data_spec(a, window), enh && a.data.size() > 1);
  auto m = train_on_data(a.opt, data, a.size, ctx);
  m->save(a.output);
  emit(a, train_summary(*m, a.output));
  return 0;
}

int run_sample(ModelArgs& a) {
  if (a.n < 1 || a.n > 100000) throw InvalidInput("--n: expected 1..100000");
  check_sample_output(a.output);
  const Context ctx = make_context(a);
  auto m = load_image_model(a.model, ctx);
  const SliceStack s = m->sample(a.n, a.common.seed);
  write_samples(s, a.output);
  if (a.common.json || !a.common.json_out.empty())
    emit(a, {{"model", a.model}, {"output", a.output}, {"n", s.n}, {"width", s.w}, {"height", s.h}});
  if (!a.common.quiet) std::fprintf(stderr, "wrote %s (%zu samples of %zux%zu)\n", a.output.c_str(), s.n, s.w, s.h);
  return 0;
}

int run_evaluate(ModelArgs& a) {
  if (a.images.empty() == a.data.empty())
    throw InvalidInput("evaluate: give --data (the model's held-out slices) or --images (evaluation-only images)");
  const Context ctx = make_context(a);
  auto m = load_image_model(a.model, ctx);
  if (!a.images.empty()) {
    BlindEvalOptions o;
    o.images = a.images;
    const ImageTrainOptions mo = ImageTrainOptions::from_json(m->header().at("options"));
    o.noise = a.evaluate->count("--noise") ? noise_kind_from_name(a.noise) : mo.noise;
    o.levels.clear();
    for (const std::string& l : split_list(a.levels, ',')) o.levels.push_back(parse_number(l, "--levels"));
    o.classical = a.classical;
    o.seed = a.common.seed;
    emit(a, evaluate_blind_denoising(*m, o));
    return 0;
  }
  const SliceData data = load_slice_data(spec_of_model(a, *m));
  switch (m->kind()) {
    case ImageModelKind::Vae:
    case ImageModelKind::Gan:
      emit(a, evaluate_generative(*m, data, a.evaluate->count("--n") ? a.n : 256, ctx).to_json());
      return 0;
    case ImageModelKind::Denoise:
    case ImageModelKind::SuperRes:
      emit(a, evaluate_enhancement(*m, data, a.noise_level, a.common.seed).to_json());
      return 0;
    default: throw InvalidInput("evaluate: a features model is evaluated through the others");
  }
}

int run_enhance(ModelArgs& a) {
  if (a.nlm == !a.model.empty()) throw InvalidInput("enhance: give --model FILE or --nlm (the classical baseline)");
  if (a.nlm) {
    Volume v = read_image(a.input);
    std::vector<double> sig;
    const Volume out = nlm_estimated_volume(v, axis_from_name(a.axis), &sig);
    write_image(out, a.output);
    emit(a, {{"input", a.input}, {"output", a.output}, {"method", "non-local means, estimated sigma"},
             {"dims", out.dims}, {"sigma_est", sig}});
    return 0;
  }
  const Context ctx = make_context(a);
  auto m = load_image_model(a.model, ctx);
  Volume v = read_image(a.input);
  const Volume out = enhance_volume(*m, v, axis_from_name(a.axis));
  write_image(out, a.output);
  nlohmann::json j = {{"input", a.input}, {"output", a.output}, {"dims", out.dims}, {"spacing_mm", out.spacing}};
  if (!a.reference.empty())
    score_against_reference(*m, v, out, read_image(a.reference), a.reference, axis_from_name(a.axis)).add_to(j);
  emit(a, j);
  return 0;
}

int run_degrade(ModelArgs& a) {
  const NoiseKind kind = noise_kind_from_name(a.noise);
  if (!(a.noise_level > 0)) throw InvalidInput("--noise-level is required (sigma in window units, or Poisson peak)");
  write_image(degrade_volume(read_image(a.input), kind, a.noise_level, a.window, a.common.seed), a.output);
  if (a.common.json || !a.common.json_out.empty())
    emit(a, {{"input", a.input}, {"output", a.output}, {"noise", noise_kind_name(kind)}, {"noise_level", a.noise_level},
             {"seed", a.common.seed}});
  if (!a.common.quiet)
    std::fprintf(stderr, "wrote %s (%s noise, level %g)\n", a.output.c_str(), noise_kind_name(kind).c_str(),
                 a.noise_level);
  return 0;
}

int run_anomaly(ModelArgs& a) {
  check_png_dir(a.png_dir);
  const Context ctx = make_context(a);
  auto m = load_image_model(a.model, ctx);
  if (m->kind() != ImageModelKind::Vae && m->kind() != ImageModelKind::Dae)
    throw InvalidInput("anomaly needs a vae or dae model");
  const size_t S = m->image_size();
  if (!a.data.empty()) {
    // Evaluation with synthetic lesions on the held-out slices.
    a.lesions.kind = lesion_kind_from_name(a.lesion_kind);
    const SliceData data = load_slice_data(spec_of_model(a, *m));
    // Lesion radii scale with the model's slice size unless given (64 px: 2 to 6.4 px).
    if (a.anomaly->count("--min-radius") == 0) a.lesions.min_radius = S / 32.0;
    if (a.anomaly->count("--max-radius") == 0) a.lesions.max_radius = S / 10.0;
    AnomalyExamples ex;
    const AnomalyScores scores = evaluate_anomaly(*m, data, a.lesions, a.repeats, a.common.seed, &ex);
    if (!a.png_dir.empty()) write_overlays(a.png_dir, lesion_overlays(ex, anomaly_calibration(*m).pixel_threshold));
    emit(a, scores.to_json());
    return 0;
  }
  if (a.input.empty()) throw InvalidInput("anomaly: give --input VOLUME (maps) or --data VOLUME (lesion evaluation)");
  const Volume v = read_image(a.input);
  DataSpec spec = spec_of_model(a, *m);
  spec.axis = axis_from_name(a.axis);
  AnomalyResult r = anomaly_volume(*m, v, spec, a.input);
  r.output = a.output;
  if (!a.output.empty()) write_image(r.map, a.output);
  if (!a.png_dir.empty()) write_overlays(a.png_dir, anomaly_overlays(r, v, spec));
  emit(a, r.to_json());
  return 0;
}

void common(CLI::App* c, ModelArgs& a) {
  cli::add_common(c, &a.common, cli::kJsonOut | cli::kDevice,
                  "the JSON summary on stdout (train, evaluate, enhance and anomaly print it in any case)");
}

void data_options(CLI::App* c, ModelArgs& a) {
  c->add_option("--axis", a.axis, "slice axis: axial, coronal or sagittal")->capture_default_str();
  c->add_option("--window", a.window,
                "intensity window: auto, brain, bone, soft, lung, range or full (CT -1024..3071 HU); "
                "default: the model's (train: full for denoise/sr, auto otherwise)");
  cli::add_integer<size_t>(c, "--block", &a.block, "split: slices per block", 1)
      ->default_str(cli::default_text(a.block));
  cli::add_integer<size_t>(c, "--test-every", &a.test_every, "split: every N-th block is held out", 1)
      ->default_str(cli::default_text(a.test_every));
  cli::add_integer<size_t>(c, "--gap", &a.gap, "split: slices dropped next to held-out blocks", 0)
      ->default_str(cli::default_text(a.gap));
  cli::add_real(c, "--min-foreground", &a.min_foreground, "skip slices with less signal than this fraction", 0, 1)
      ->default_str(cli::default_text(a.min_foreground));
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
  a.train->add_option("-o,--output", a.output, "model file to write")->required();
  cli::add_integer<size_t>(a.train, "--size", &a.size, "vae/gan/dae: slice side, 64 or 128 (default 64; dae 128)", 0);
  cli::add_integer<size_t>(a.train, "--steps", &a.opt.steps, "optimiser steps (0: the model's default)", 0);
  cli::add_integer<size_t>(a.train, "--batch", &a.opt.batch, "batch size (0: default)", 0);
  cli::add_real(a.train, "--lr", &a.opt.lr, "learning rate (0: default)", 0, 10);
  cli::add_integer<size_t>(a.train, "--latent", &a.opt.latent, "vae/gan latent dimension", 0)
      ->default_str(cli::default_text(a.opt.latent));
  cli::add_integer<size_t>(a.train, "--channels", &a.opt.channels, "vae/gan first-layer channels", 0)
      ->default_str(cli::default_text(a.opt.channels));
  a.train->add_option("--loss", a.opt.loss, "gan: minimax or wgan-gp")->capture_default_str();
  cli::add_integer<size_t>(a.train, "--depth", &a.opt.depth, "denoise/sr/dae: convolutions", 0)
      ->default_str(cli::default_text(a.opt.depth));
  cli::add_integer<size_t>(a.train, "--width", &a.opt.width, "denoise/sr/dae: channels", 0)
      ->default_str(cli::default_text(a.opt.width));
  cli::add_integer<size_t>(a.train, "--patch", &a.opt.patch, "denoise/sr: training crop side (dae: default size/2)", 0)
      ->default_str(cli::default_text(a.opt.patch));
  a.train->add_option("--noise", a.noise,
                      "denoise: gaussian, rician (MRI) or poisson (low-dose CT); a comma list (e.g. "
                      "gaussian,rician) trains one blind model on a mix")
      ->capture_default_str();
  a.train->add_option("--noise-level", a.noise_level_text,
                      "denoise: sigma in window units (default 0.05) or Poisson peak (2000); MIN:MAX (e.g. "
                      "0.02:0.12) trains a blind model, each example drawing its own level");
  cli::add_integer<size_t>(a.train, "--scale", &a.opt.scale, "sr: 2 or 4", 1)
      ->default_str(cli::default_text(a.opt.scale));
  cli::add_real(a.train, "--coarse-noise", &a.opt.coarse_noise, "dae: sigma of the coarse training noise", 0, 10)
      ->default_str(cli::default_text(a.opt.coarse_noise));
  common(a.train, a);
  data_options(a.train, a);

  a.sample = image->add_subcommand("sample", "new slices from a vae or gan");
  a.sample->add_option("--model", a.model, "model file")->required();
  cli::add_integer<size_t>(a.sample, "--n", &a.n, "number of slices", 1)->default_str(cli::default_text(a.n));
  a.sample->add_option("-o,--output", a.output, ".png (a grid) or .nii/.nii.gz (a stack)")->required();
  common(a.sample, a);

  a.evaluate = image->add_subcommand("evaluate", "quality on the held-out slices (PSNR, SSIM, Fréchet distance, baselines)");
  a.evaluate->add_option("--model", a.model, "model file")->required();
  a.evaluate->add_option("--data", a.data, "the volume(s) the model was trained on (their held-out slices)");
  a.evaluate->add_option("--images", a.images,
                         "denoise, instead of --data: evaluation-only images, against non-local means with an "
                         "estimated sigma (pixel-identical images are scored once)");
  a.evaluate->add_option("--levels", a.levels, "--images: noise levels, comma-separated (sigmas; Poisson: peaks)")
      ->capture_default_str();
  a.evaluate->add_option("--noise", a.noise, "--images: gaussian, rician or poisson (default: the model's first)");
  a.evaluate->add_flag("--classical", a.classical,
                       "--images: also the best Gaussian, median and NLM filter per image (oracle parameters)");
  cli::add_integer<size_t>(a.evaluate, "--n", &a.n, "vae/gan: samples for the Fréchet distance (default 256)", 1);
  cli::add_real(a.evaluate, "--noise-level", &a.noise_level, "denoise: test noise level (default: the model's)", 0);
  common(a.evaluate, a);
  data_options(a.evaluate, a);

  a.enhance = image->add_subcommand("enhance", "denoise or super-resolve a whole volume, keeping its geometry");
  a.enhance->add_option("--model", a.model, "denoise or sr model file");
  a.enhance->add_flag("--nlm", a.nlm,
                      "instead of --model: non-local means with sigma estimated per slice (h 0.8 sigma, 5x5 "
                      "patches, 13x13 search; the blind baseline)");
  a.enhance->add_option("--input", a.input, "volume to enhance")->required();
  a.enhance->add_option("-o,--output", a.output, "volume to write (.nii, .nii.gz or a DICOM folder)")->required();
  a.enhance->add_option("--reference", a.reference, "clean volume: report PSNR/SSIM before and after");
  a.enhance->add_option("--axis", a.axis, "slice axis")->capture_default_str();
  common(a.enhance, a);

  a.degrade = image->add_subcommand("degrade", "add synthetic noise to a volume (to test enhancement)");
  a.degrade->add_option("--input", a.input, "volume")->required();
  a.degrade->add_option("-o,--output", a.output, "noisy volume to write")->required();
  a.degrade->add_option("--noise", a.noise, "gaussian, rician or poisson")->capture_default_str();
  cli::add_real(a.degrade, "--noise-level", &a.noise_level, "sigma in window units, or Poisson peak counts", 0)->required();
  a.degrade->add_option("--window", a.window, "window the level refers to (default full: CT -1024..3071, else range)");
  common(a.degrade, a);

  a.anomaly = image->add_subcommand("anomaly", "anomaly maps from a vae or dae: per-pixel map, per-slice score, overlays");
  a.anomaly->add_option("--model", a.model, "vae or dae model file")->required();
  a.anomaly->add_option("--input", a.input, "volume to map");
  a.anomaly->add_option("-o,--output", a.output, "anomaly map to write (.nii/.nii.gz), in the input's geometry");
  a.anomaly->add_option("--data", a.data, "instead: evaluate with synthetic lesions on these volumes' held-out slices");
  a.anomaly->add_option("--png-dir", a.png_dir, "folder for PNG overlays (top slices, or lesion examples)");
  cli::add_integer<size_t>(a.anomaly, "--repeats", &a.repeats, "lesion draws per held-out slice", 1)
      ->default_str(cli::default_text(a.repeats));
  cli::add_real(a.anomaly, "--min-radius", &a.lesions.min_radius, "lesion radius, px at the model's size (default size/32)", 0);
  cli::add_real(a.anomaly, "--max-radius", &a.lesions.max_radius, "(default size/10)", 0);
  a.anomaly->add_option("--lesions", a.lesion_kind,
                        "synthetic lesion kind: blob, tumour (mass effect, oedema, ring enhancement) or haemorrhage (CT, HU)")
      ->capture_default_str();
  cli::add_real(a.anomaly, "--mass-effect", &a.lesions.max_mass_effect,
                "tumour, haemorrhage: largest push of the surrounding tissue, fraction of the radius", 0, 0.6)
      ->default_str(cli::default_text(a.lesions.max_mass_effect));
  cli::add_real(a.anomaly, "--min-contrast", &a.lesions.min_contrast, "lesion contrast, window units (blob, tumour)", 0, 10)
      ->default_str(cli::default_text(a.lesions.min_contrast));
  cli::add_real(a.anomaly, "--max-contrast", &a.lesions.max_contrast, "", 0, 10)
      ->default_str(cli::default_text(a.lesions.max_contrast));
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
