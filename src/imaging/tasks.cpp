// The image-model workflows behind `medgen image train|evaluate|enhance|anomaly`.
#include "medgen/imaging/tasks.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/imaging/io.h"

namespace medgen::imaging {

namespace {

std::string axis_name(Axis a) { return a == Axis::Axial ? "axial" : a == Axis::Coronal ? "coronal" : "sagittal"; }

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

SliceStack concat(const std::vector<SliceStack>& parts) {
  SliceStack out;
  for (const SliceStack& p : parts) {
    if (p.n == 0) continue;
    if (out.n == 0) {
      out.h = p.h;
      out.w = p.w;
    } else if (p.h != out.h || p.w != out.w) {
      throw InvalidInput("the volumes' slices differ in size (" + std::to_string(out.w) + "x" + std::to_string(out.h) +
                         " and " + std::to_string(p.w) + "x" + std::to_string(p.h) +
                         "); enhancement trains on native slices of one size");
    }
    out.n += p.n;
    out.data.insert(out.data.end(), p.data.begin(), p.data.end());
    out.position.insert(out.position.end(), p.position.begin(), p.position.end());
  }
  return out;
}

// Slice-position bins (the feature network's labels): each volume's foreground range cut into
// `classes` equal parts.
std::vector<int> position_labels(const SliceData& d, bool train, size_t classes) {
  std::vector<int> out;
  for (size_t v = 0; v < d.volumes.size(); ++v) {
    const auto& s = d.splits[v];
    const auto& pos = train ? s.train : s.test;
    size_t lo = SIZE_MAX, hi = 0;
    for (size_t p : s.train) lo = std::min(lo, p), hi = std::max(hi, p);
    for (size_t p : s.test) lo = std::min(lo, p), hi = std::max(hi, p);
    for (size_t p : pos) {
      const double f = hi > lo ? double(p - lo) / double(hi - lo + 1) : 0.0;
      out.push_back(static_cast<int>(std::min<double>(classes - 1, std::floor(f * classes))));
    }
  }
  return out;
}

double rmse(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(a[i] - b[i]) * double(a[i] - b[i]);
  return std::sqrt(s / double(n));
}

// For each slice of `q`, the RMSE to its nearest slice in `ref`.
std::vector<double> nearest_rmse(const SliceStack& q, const SliceStack& ref) {
  std::vector<double> out(q.n, INFINITY);
  for (size_t i = 0; i < q.n; ++i)
    for (size_t j = 0; j < ref.n; ++j) out[i] = std::min(out[i], rmse(q.slice(i), ref.slice(j), q.plane()));
  return out;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  return i + 1 < v.size() ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[i];
}

nlohmann::json stats(const std::vector<double>& v) {
  return {{"mean", mean_of(v)}, {"median", quantile(v, 0.5)}, {"min", quantile(v, 0.0)}, {"p05", quantile(v, 0.05)}};
}

}  // namespace

nlohmann::json DataSpec::to_json() const {
  return {{"paths", paths}, {"axis", axis_name(axis)}, {"window", window}, {"block", block},
          {"test_every", test_every}, {"gap", gap}, {"min_foreground", min_foreground}};
}

DataSpec DataSpec::from_json(const nlohmann::json& j) {
  DataSpec d;
  d.paths = j.value("paths", std::vector<std::string>{});
  d.axis = axis_from_name(j.value("axis", std::string("axial")));
  d.window = j.value("window", std::string("auto"));
  d.block = j.value("block", size_t{16});
  d.test_every = j.value("test_every", size_t{4});
  d.gap = j.value("gap", size_t{2});
  d.min_foreground = j.value("min_foreground", 0.15);
  return d;
}

Window model_window(const Volume& v, const std::string& name) {
  if (name == "range" || (name == "full" && v.modality != Modality::CT)) {
    auto [lo, hi] = v.range();
    if (!(hi > lo)) hi = lo + 1;
    return Window{(double(lo) + double(hi)) / 2, double(hi) - double(lo)};
  }
  if (name == "full") return Window{1023.5, 4095};  // CT: -1024 .. 3071 HU, 12 bits
  return choose_window(v, name);
}

SliceStack SliceData::train(size_t size) const {
  std::vector<SliceStack> parts;
  for (size_t i = 0; i < volumes.size(); ++i)
    parts.push_back(slices_from_volume(volumes[i], spec.axis, windows[i], splits[i].train, size));
  return concat(parts);
}

SliceStack SliceData::test(size_t size) const {
  std::vector<SliceStack> parts;
  for (size_t i = 0; i < volumes.size(); ++i)
    parts.push_back(slices_from_volume(volumes[i], spec.axis, windows[i], splits[i].test, size));
  return concat(parts);
}

SliceData load_slice_data(const DataSpec& spec) {
  if (spec.paths.empty()) throw InvalidInput("--data: at least one volume is needed");
  SliceData d;
  d.spec = spec;
  for (const std::string& p : spec.paths) {
    d.volumes.push_back(read_image(p));
    const Volume& v = d.volumes.back();
    d.windows.push_back(model_window(v, spec.window));
    const auto cand = foreground_slices(v, spec.axis, d.windows.back(), spec.min_foreground);
    d.splits.push_back(split_by_position(cand, spec.block, spec.test_every, spec.gap));
    if (d.splits.back().train.empty() || d.splits.back().test.empty())
      throw InvalidInput(p + ": too few slices with signal (" + std::to_string(cand.size()) +
                         ") for a train/test split by position; lower --block or use a larger volume");
  }
  return d;
}

AnomalyMaps anomaly_maps(const ImageModel& model, const SliceStack& x, double smooth) {
  if (model.kind() != ImageModelKind::Vae && model.kind() != ImageModelKind::Dae)
    throw InvalidInput("anomaly maps need a vae or dae model");
  const SliceStack rec = model.kind() == ImageModelKind::Vae ? model.reconstruct(x) : model.enhance(x);
  AnomalyMaps out;
  out.map = SliceStack::zeros(x.n, x.h, x.w);
  out.map.position = x.position;
  const size_t P = x.plane(), top = std::max<size_t>(8, P / 200);
  std::vector<float> r(P);
  for (size_t i = 0; i < x.n; ++i) {
    const float *a = x.slice(i), *b = rec.slice(i);
    for (size_t p = 0; p < P; ++p) r[p] = (a[p] - b[p]) * (a[p] - b[p]);
    const auto g = smooth > 0 ? gaussian_filter(r.data(), x.h, x.w, smooth) : r;
    float* m = out.map.slice(i);
    for (size_t p = 0; p < P; ++p) m[p] = std::max(a[p], b[p]) > 0.05f ? g[p] : 0.0f;
    std::vector<float> v(m, m + P);
    std::nth_element(v.begin(), v.begin() + top, v.end(), std::greater<float>());
    out.score.push_back(std::accumulate(v.begin(), v.begin() + top, 0.0) / double(top));
  }
  return out;
}

std::unique_ptr<ImageModel> train_on_data(const ImageTrainOptions& opt, const SliceData& data, size_t size,
                                          const Context& ctx) {
  const bool square = square_input(opt.kind);
  const SliceStack train = data.train(square ? size : 0);
  std::vector<int> labels;
  if (opt.kind == ImageModelKind::Features) labels = position_labels(data, true, opt.classes);
  auto m = train_image_model(opt, train, labels, ctx);
  nlohmann::json& info = m->info();
  info["data"] = data.spec.to_json();
  info["modality"] = modality_name(data.volumes.front().modality);
  info["train_slices"] = train.n;
  info["test_slices"] = data.test(square ? size : 0).n;
  info["slice_shape"] = {train.w, train.h};
  if (opt.kind == ImageModelKind::Vae || opt.kind == ImageModelKind::Dae) {
    // Calibration on normal anatomy: what the maps look like on the training slices.
    const AnomalyMaps am = anomaly_maps(*m, train);
    std::vector<double> px;
    for (float v : am.map.data)
      if (v > 0) px.push_back(v);
    info["anomaly"] = {{"pixel_threshold", quantile(px, 0.999)},
                       {"slice_threshold", quantile(am.score, 0.95)},
                       {"smooth", 1.5}};
  }
  return m;
}

nlohmann::json evaluate_generative(const ImageModel& m, const SliceData& data, size_t samples, const Context& ctx) {
  const size_t S = m.image_size();
  const SliceStack train = data.train(S), test = data.test(S);
  nlohmann::json out = {{"model", image_model_kind_name(m.kind())}, {"size", S},
                        {"train_slices", train.n}, {"test_slices", test.n}};
  if (m.kind() == ImageModelKind::Vae) {
    const SliceStack rec = m.reconstruct(test), rec_train = m.reconstruct(train);
    std::vector<float> mean(train.plane(), 0.0f);
    for (size_t i = 0; i < train.n; ++i)
      for (size_t p = 0; p < train.plane(); ++p) mean[p] += train.slice(i)[p] / float(train.n);
    std::vector<double> ps, ss, pm, sm, pt;
    for (size_t i = 0; i < test.n; ++i) {
      ps.push_back(psnr(rec.slice(i), test.slice(i), test.plane()));
      ss.push_back(ssim(rec.slice(i), test.slice(i), S, S));
      pm.push_back(psnr(mean.data(), test.slice(i), test.plane()));
      sm.push_back(ssim(mean.data(), test.slice(i), S, S));
    }
    for (size_t i = 0; i < train.n; ++i) pt.push_back(psnr(rec_train.slice(i), train.slice(i), train.plane()));
    out["reconstruction"] = {{"test_psnr_db", mean_of(ps)},         {"test_ssim", mean_of(ss)},
                             {"mean_image_psnr_db", mean_of(pm)},   {"mean_image_ssim", mean_of(sm)},
                             {"train_psnr_db", mean_of(pt)}};
  }
  // The feature network, trained here on the training slices.
  ImageTrainOptions fo;
  fo.kind = ImageModelKind::Features;
  auto feat = train_image_model(fo, train, position_labels(data, true, fo.classes), ctx);
  const size_t d = feat->feature_dim();
  const SliceStack gen = m.sample(std::max<size_t>(samples, 2), ctx.seed + 1);
  const auto f_train = feat->features(train), f_test = feat->features(test), f_gen = feat->features(gen);
  out["frechet"] = {
      {"features", "medgen's own CNN (" + std::to_string(d) +
                       " features) trained on this run's training slices to predict slice position; not the ImageNet FID"},
      {"samples_vs_test", frechet_distance(f_gen, gen.n, f_test, test.n, d)},
      {"train_vs_test", frechet_distance(f_train, train.n, f_test, test.n, d)},
      {"samples", gen.n}};
  // Memorisation check: a sample much closer to a training slice than held-out real slices
  // ever are would be a copy.
  const auto ng = nearest_rmse(gen, train), nt = nearest_rmse(test, train);
  const double tmin = quantile(nt, 0.0);
  size_t closer = 0;
  for (double v : ng) closer += v < tmin;
  out["nearest_training_rmse"] = {{"samples", stats(ng)}, {"test", stats(nt)},
                                  {"samples_closer_than_any_test_slice", closer}};
  return out;
}

nlohmann::json evaluate_enhancement(const ImageModel& m, const SliceData& data, double noise_level, uint64_t seed) {
  const SliceStack test = data.test(0);
  const ImageTrainOptions opt = ImageTrainOptions::from_json(m.header().at("options"));
  nlohmann::json out = {{"model", image_model_kind_name(m.kind())}, {"test_slices", test.n},
                        {"slice_shape", {test.w, test.h}}};
  std::vector<nlohmann::json> rows;
  auto score = [&](const std::string& method, const std::string& param, const SliceStack& pred, const SliceStack& ref) {
    std::vector<double> p, s;
    for (size_t i = 0; i < ref.n; ++i) {
      p.push_back(psnr(pred.slice(i), ref.slice(i), ref.plane()));
      s.push_back(ssim(pred.slice(i), ref.slice(i), ref.h, ref.w));
    }
    nlohmann::json r = {{"method", method}, {"param", param}, {"psnr_db", mean_of(p)}, {"ssim", mean_of(s)}};
    rows.push_back(r);
    return r;
  };
  if (m.kind() == ImageModelKind::Denoise) {
    const double level = noise_level > 0 ? noise_level : opt.noise_level;
    SliceStack noisy = test;
    Rng rng(seed);
    add_noise(noisy.data.data(), noisy.data.size(), opt.noise, level, rng);
    out["noise"] = noise_kind_name(opt.noise);
    out["noise_level"] = level;
    score("noisy input", "", noisy, test);
    // The filters' sigma: the noise's standard deviation in model units (Poisson: at the mean
    // signal of the slices).
    double sigma = level;
    if (opt.noise == NoiseKind::Poisson) {
      double mean = 0;
      for (float v : test.data) mean += v;
      sigma = std::sqrt(std::max(1e-12, mean / double(test.data.size())) / level);
    }
    auto best_of = [&](const std::string& name, const std::vector<double>& params, auto filter) {
      nlohmann::json best;
      for (double prm : params) {
        SliceStack f = SliceStack::zeros(noisy.n, noisy.h, noisy.w);
        for (size_t i = 0; i < noisy.n; ++i) {
          const auto r = filter(noisy.slice(i), prm);
          std::copy(r.begin(), r.end(), f.slice(i));
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", prm);
        auto r = score(name, buf, f, test);
        rows.pop_back();
        if (best.is_null() || r["psnr_db"].get<double>() > best["psnr_db"].get<double>()) best = r;
      }
      rows.push_back(best);
      return best["psnr_db"].get<double>();
    };
    const size_t H = noisy.h, W = noisy.w;
    double best = -INFINITY;
    best = std::max(best, best_of("gaussian filter (sigma px)", {0.5, 0.75, 1.0, 1.5, 2.0},
                                  [&](const float* x, double s) { return gaussian_filter(x, H, W, s); }));
    best = std::max(best, best_of("median filter (radius px)", {1, 2},
                                  [&](const float* x, double r) { return median_filter(x, H, W, int(r)); }));
    best = std::max(best, best_of("non-local means (h / sigma)", {0.6, 0.8, 1.0},
                                  [&](const float* x, double h) { return nlm_filter(x, H, W, sigma, h * sigma); }));
    const auto r = score("medgen denoise", "", m.enhance(noisy), test);
    out["best_baseline_psnr_db"] = best;
    out["gain_db"] = r["psnr_db"].get<double>() - best;
  } else if (m.kind() == ImageModelKind::SuperRes) {
    const size_t s = opt.scale, h = test.h / s * s, w = test.w / s * s;
    SliceStack hr = SliceStack::zeros(test.n, h, w), lr = SliceStack::zeros(test.n, h / s, w / s),
               bic = SliceStack::zeros(test.n, h, w);
    for (size_t i = 0; i < test.n; ++i) {
      for (size_t y = 0; y < h; ++y) std::copy_n(test.slice(i) + y * test.w, w, hr.slice(i) + y * w);
      const auto l = downsample_area(hr.slice(i), h, w, s);
      std::copy(l.begin(), l.end(), lr.slice(i));
      const auto b = upsample_bicubic(l.data(), h / s, w / s, s);
      std::copy(b.begin(), b.end(), bic.slice(i));
    }
    out["scale"] = s;
    const auto rb = score("bicubic", "", bic, hr);
    const auto r = score("medgen sr", "", m.enhance(lr), hr);
    out["gain_db"] = r["psnr_db"].get<double>() - rb["psnr_db"].get<double>();
  } else {
    throw InvalidInput("enhancement evaluation needs a denoise or sr model");
  }
  out["results"] = rows;
  return out;
}

nlohmann::json evaluate_anomaly(const ImageModel& vae, const SliceData& data, const LesionOptions& lesions,
                                size_t repeats, uint64_t seed, AnomalyExamples* examples) {
  if (vae.kind() != ImageModelKind::Vae && vae.kind() != ImageModelKind::Dae)
    throw InvalidInput("anomaly maps need a vae or dae model");
  const size_t S = vae.image_size();
  const SliceStack test = data.test(S);
  const size_t P = test.plane();
  SliceStack les = SliceStack::zeros(test.n * repeats, S, S), mask = SliceStack::zeros(test.n * repeats, S, S);
  Rng rng(seed);
  std::vector<uint8_t> mk(P);
  for (size_t r = 0; r < repeats; ++r)
    for (size_t i = 0; i < test.n; ++i) {
      const size_t k = r * test.n + i;
      std::copy_n(test.slice(i), P, les.slice(k));
      std::fill(mk.begin(), mk.end(), 0);
      insert_lesions(les.slice(k), mk.data(), S, S, lesions, rng);
      for (size_t p = 0; p < P; ++p) mask.slice(k)[p] = mk[p];
    }
  const AnomalyMaps clean = anomaly_maps(vae, test), sick = anomaly_maps(vae, les);
  std::vector<float> px_score;
  std::vector<uint8_t> px_label;
  size_t lesion_px = 0;
  for (size_t k = 0; k < les.n; ++k) {
    const float* img = test.slice(k % test.n);
    for (size_t p = 0; p < P; ++p) {
      const bool lesion = mask.slice(k)[p] > 0.5f;
      if (!(img[p] > 0.05f) && !lesion) continue;  // pixels with signal (and every lesion pixel)
      px_score.push_back(sick.map.slice(k)[p]);
      px_label.push_back(lesion);
      lesion_px += lesion;
    }
  }
  std::vector<float> sl_score;
  std::vector<uint8_t> sl_label;
  for (double s : clean.score) sl_score.push_back(float(s)), sl_label.push_back(0);
  for (double s : sick.score) sl_score.push_back(float(s)), sl_label.push_back(1);
  if (examples) {
    const size_t n = std::min<size_t>(les.n, 6);
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    examples->image = les.subset(idx);
    examples->mask = mask.subset(idx);
    examples->map = sick.map.subset(idx);
  }
  double pos = 0;
  for (uint8_t l : px_label) pos += l;
  return {{"test_slices", test.n},
          {"lesioned_slices", les.n},
          {"lesion_pixels", lesion_px},
          {"pixel_auroc", roc_auc(px_score, px_label)},
          {"pixel_auprc", average_precision(px_score, px_label)},
          {"pixel_auprc_chance", pos / double(px_label.size())},
          {"slice_auroc", roc_auc(sl_score, sl_label)},
          {"lesions",
           {{"per_slice", {lesions.min_lesions, lesions.max_lesions}},
            {"radius_px", {lesions.min_radius, lesions.max_radius}},
            {"contrast", {lesions.min_contrast, lesions.max_contrast}}}}};
}

Volume enhance_volume(const ImageModel& m, const Volume& v, Axis axis) {
  if (m.kind() != ImageModelKind::Denoise && m.kind() != ImageModelKind::SuperRes)
    throw InvalidInput("enhance needs a denoise or sr model");
  const ImageTrainOptions opt = ImageTrainOptions::from_json(m.header().at("options"));
  const size_t s = m.kind() == ImageModelKind::SuperRes ? opt.scale : 1;
  if (s > 1 && axis != Axis::Axial) throw InvalidInput("super-resolution works on axial slices (in-plane)");
  std::string wname = "full";
  const nlohmann::json info = m.header().at("info");
  if (info.contains("data")) wname = info["data"].value("window", wname);
  const Window w = model_window(v, wname);
  const double lo = w.lo(), width = w.width;
  const size_t n = axis_length(v, axis);
  SliceStack in;
  for (size_t k = 0; k < n; ++k) {
    Slice sl = extract_slice(v, axis, k);
    if (k == 0) in = SliceStack::zeros(n, sl.height, sl.width);
    for (size_t p = 0; p < sl.pixels.size(); ++p) in.slice(k)[p] = float((sl.pixels[p] - lo) / width);
    in.position[k] = k;
  }
  const SliceStack out = m.enhance(in);
  if (s == 1) {
    // Back through the window without clipping (the CNN sees unclipped values too).
    SliceStack back = out;
    for (float& x : back.data) x = float(lo + x * width);
    return volume_from_slices(v, axis, Window{0.5, 1.0}, back);
  }
  Volume r = v;
  r.dims = {v.dims[0] * s, v.dims[1] * s, v.dims[2]};
  r.voxels.assign(r.nvox(), 0.0f);
  r.spacing = {v.spacing[0] / double(s), v.spacing[1] / double(s), v.spacing[2]};
  const double off = 0.5 / double(s) - 0.5;
  r.origin = v.position(off, off, 0);
  for (size_t k = 0; k < n; ++k)
    for (size_t j = 0; j < r.dims[1]; ++j)
      for (size_t i = 0; i < r.dims[0]; ++i) r.at(i, j, k) = float(lo + out.slice(k)[j * out.w + i] * width);
  return r;
}

std::vector<uint8_t> overlay_rgb(const float* image, const float* map, const float* mask, size_t width,
                                 size_t height, double threshold) {
  std::vector<uint8_t> rgb(width * height * 3);
  for (size_t y = 0; y < height; ++y)
    for (size_t x = 0; x < width; ++x) {
      const size_t p = y * width + x;
      double g = std::clamp<double>(image[p], 0.0, 1.0) * 255.0, r = g, gg = g, b = g;
      if (threshold > 0 && map[p] > threshold) {
        const double t = std::clamp(map[p] / threshold - 1.0, 0.0, 1.0), a = 0.35 + 0.35 * t;
        r = (1 - a) * r + a * 255.0;
        gg = (1 - a) * gg + a * 255.0 * t;
        b = (1 - a) * b;
      }
      if (mask && mask[p] > 0.5f) {
        const bool edge = x == 0 || y == 0 || x + 1 == width || y + 1 == height || mask[p - 1] <= 0.5f ||
                          mask[p + 1] <= 0.5f || mask[p - width] <= 0.5f || mask[p + width] <= 0.5f;
        if (edge) r = 0, gg = 255, b = 0;
      }
      rgb[3 * p] = uint8_t(std::lround(r));
      rgb[3 * p + 1] = uint8_t(std::lround(gg));
      rgb[3 * p + 2] = uint8_t(std::lround(b));
    }
  return rgb;
}

}  // namespace medgen::imaging
