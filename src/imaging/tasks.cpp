// The image-model workflows behind `medgen image train|evaluate|enhance|anomaly`.
#include "medgen/imaging/tasks.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/imaging/intensity.h"
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

DistanceStats stats(const std::vector<double>& v) {
  return {mean_of(v), percentile(v, 0.5), percentile(v, 0.0), percentile(v, 0.05)};
}

nlohmann::json split_json(const DataSpec& d) {
  return {{"block", d.block}, {"test_every", d.test_every}, {"gap", d.gap}};
}

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
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

size_t SliceData::test_slice_count() const {
  size_t n = 0;
  for (const SliceSplit& s : splits) n += s.test.size();
  return n;
}

SliceStack SliceData::train_tiles(size_t side, std::vector<size_t>* counts) const {
  if (side < 2) throw InvalidInput("tiles: side must be at least 2");
  const size_t stride = std::max<size_t>(1, side / 2);
  // Tile origins along a side of n pixels: 0, stride, ..., and one flush with the end.
  auto origins = [&](size_t n) {
    std::vector<long> o;
    if (n <= side) return std::vector<long>{0};
    for (size_t p = 0; p + side < n; p += stride) o.push_back(static_cast<long>(p));
    o.push_back(static_cast<long>(n - side));
    return o;
  };
  auto reflect = [](long i, long n) {  // half-sample symmetric, any index
    if (n == 1) return 0L;
    const long period = 2 * n;
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - 1 - i;
  };
  SliceStack out;
  out.h = out.w = side;
  if (counts) counts->clear();
  const size_t P = side * side;
  std::vector<float> tile(P);
  for (size_t v = 0; v < volumes.size(); ++v) {
    const SliceStack st = slices_from_volume(volumes[v], spec.axis, windows[v], splits[v].train, 0);
    std::vector<float> tiles;
    std::vector<size_t> pos;
    for (size_t i = 0; i < st.n; ++i) {
      const float* img = st.slice(i);
      for (long y0 : origins(st.h))
        for (long x0 : origins(st.w)) {
          size_t signal = 0;
          for (size_t y = 0; y < side; ++y)
            for (size_t x = 0; x < side; ++x) {
              const float val = img[reflect(y0 + long(y), long(st.h)) * st.w + reflect(x0 + long(x), long(st.w))];
              tile[y * side + x] = val;
              signal += val > 0.05f;
            }
          if (signal * 10 < P) continue;
          tiles.insert(tiles.end(), tile.begin(), tile.end());
          pos.push_back(st.position[i]);
        }
    }
    const size_t n = pos.size();
    if (n == 0) throw InvalidInput(spec.paths[v] + ": no training tile with signal");
    // Thin evenly or repeat cyclically to [kMinTilesPerVolume, kMaxTilesPerVolume].
    const size_t keep = std::clamp(n, kMinTilesPerVolume, kMaxTilesPerVolume);
    for (size_t k = 0; k < keep; ++k) {
      const size_t src = n > keep ? k * n / keep : k % n;
      out.data.insert(out.data.end(), tiles.begin() + src * P, tiles.begin() + (src + 1) * P);
      out.position.push_back(pos[src]);
    }
    out.n += keep;
    if (counts) counts->push_back(keep);
  }
  return out;
}

SliceData load_slice_data(const DataSpec& spec, bool train_only_if_small) {
  if (spec.paths.empty()) throw InvalidInput("--data: at least one volume is needed");
  SliceData d;
  d.spec = spec;
  for (const std::string& p : spec.paths) {
    d.volumes.push_back(read_image(p));
    const Volume& v = d.volumes.back();
    d.windows.push_back(model_window(v, spec.window));
    const auto cand = foreground_slices(v, spec.axis, d.windows.back(), spec.min_foreground);
    d.splits.push_back(split_by_position(cand, spec.block, spec.test_every, spec.gap));
    if (d.splits.back().train.empty() || d.splits.back().test.empty()) {
      if (train_only_if_small && !cand.empty()) {
        d.splits.back() = SliceSplit{cand, {}};
        continue;
      }
      throw InvalidInput(p + ": too few slices with signal (" + std::to_string(cand.size()) +
                         ") for a train/test split by position; lower --block or use a larger volume");
    }
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
  // Enhancement on several volumes trains on tiles (their slices may differ in size).
  const bool tiled = !square && data.volumes.size() > 1;
  std::vector<size_t> tile_counts;
  const SliceStack train = tiled ? data.train_tiles(2 * opt.patch, &tile_counts) : data.train(square ? size : 0);
  std::vector<int> labels;
  if (opt.kind == ImageModelKind::Features) labels = position_labels(data, true, opt.classes);
  auto m = train_image_model(opt, train, labels, ctx);
  nlohmann::json& info = m->info();
  info["data"] = data.spec.to_json();
  info["modality"] = modality_name(data.volumes.front().modality);
  size_t train_slices = 0;
  for (const SliceSplit& s : data.splits) train_slices += s.train.size();
  info["train_slices"] = train_slices;
  info["test_slices"] = data.test_slice_count();
  info["slice_shape"] = {train.w, train.h};
  if (tiled) {
    // Provenance: what each input contributed.
    nlohmann::json vols = nlohmann::json::array();
    for (size_t v = 0; v < data.volumes.size(); ++v)
      vols.push_back({{"path", data.spec.paths[v]}, {"modality", modality_name(data.volumes[v].modality)},
                      {"dims", data.volumes[v].dims}, {"train_slices", data.splits[v].train.size()},
                      {"test_slices", data.splits[v].test.size()}, {"tiles", tile_counts[v]}});
    info["volumes"] = vols;
    info["tile"] = train.w;
  }
  if (opt.kind == ImageModelKind::Vae || opt.kind == ImageModelKind::Dae) {
    // Calibration on normal anatomy: what the maps look like on the training slices.
    const AnomalyMaps am = anomaly_maps(*m, train);
    std::vector<double> px;
    for (float v : am.map.data)
      if (v > 0) px.push_back(v);
    info["anomaly"] = {{"pixel_threshold", percentile(px, 0.999)},
                       {"slice_threshold", percentile(am.score, 0.95)},
                       {"smooth", 1.5}};
  }
  return m;
}

nlohmann::json DistanceStats::to_json() const {
  return {{"mean", mean}, {"median", median}, {"min", min}, {"p05", p05}};
}

nlohmann::json GenerationScores::to_json() const {
  nlohmann::json out = {{"model", model}, {"size", size}, {"train_slices", train_slices}, {"test_slices", test_slices}};
  if (has_reconstruction)
    out["reconstruction"] = {{"test_psnr_db", test_psnr_db},
                             {"test_ssim", test_ssim},
                             {"mean_image_psnr_db", mean_image_psnr_db},
                             {"mean_image_ssim", mean_image_ssim},
                             {"train_psnr_db", train_psnr_db}};
  out["frechet"] = {{"features", frechet_features},
                    {"samples_vs_test", frechet_samples_vs_test},
                    {"train_vs_test", frechet_train_vs_test},
                    {"samples", samples}};
  out["nearest_training_rmse"] = {{"samples", nearest_samples.to_json()},
                                  {"test", nearest_test.to_json()},
                                  {"samples_closer_than_any_test_slice", samples_closer_than_any_test_slice}};
  out["split"] = split_json(split);
  return out;
}

GenerationScores evaluate_generative(const ImageModel& m, const SliceData& data, size_t samples, const Context& ctx) {
  const size_t S = m.image_size();
  const SliceStack train = data.train(S), test = data.test(S);
  GenerationScores out;
  out.model = image_model_kind_name(m.kind());
  out.size = S;
  out.train_slices = train.n;
  out.test_slices = test.n;
  out.split = data.spec;
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
    out.has_reconstruction = true;
    out.test_psnr_db = mean_of(ps);
    out.test_ssim = mean_of(ss);
    out.mean_image_psnr_db = mean_of(pm);
    out.mean_image_ssim = mean_of(sm);
    out.train_psnr_db = mean_of(pt);
  }
  // The feature network, trained here on the training slices.
  ImageTrainOptions fo;
  fo.kind = ImageModelKind::Features;
  auto feat = train_image_model(fo, train, position_labels(data, true, fo.classes), ctx);
  const size_t d = feat->feature_dim();
  const SliceStack gen = m.sample(std::max<size_t>(samples, 2), ctx.seed + 1);
  const auto f_train = feat->features(train), f_test = feat->features(test), f_gen = feat->features(gen);
  out.frechet_features = "medgen's own CNN (" + std::to_string(d) +
                         " features) trained on this run's training slices to predict slice position; not the "
                         "ImageNet FID";
  out.frechet_samples_vs_test = frechet_distance(f_gen, gen.n, f_test, test.n, d);
  out.frechet_train_vs_test = frechet_distance(f_train, train.n, f_test, test.n, d);
  out.samples = gen.n;
  // Memorisation check: a sample much closer to a training slice than held-out real slices
  // ever are would be a copy.
  const auto ng = nearest_rmse(gen, train), nt = nearest_rmse(test, train);
  const double tmin = percentile(nt, 0.0);
  size_t closer = 0;
  for (double v : ng) closer += v < tmin;
  out.nearest_samples = stats(ng);
  out.nearest_test = stats(nt);
  out.samples_closer_than_any_test_slice = closer;
  return out;
}

nlohmann::json EnhancementScores::to_json() const {
  nlohmann::json out = {{"model", model}, {"test_slices", test_slices}, {"slice_shape", {slice_width, slice_height}}};
  if (denoise) {
    out["noise"] = noise;
    out["noise_level"] = noise_level;
    out["best_baseline_psnr_db"] = best_baseline_psnr_db;
  } else {
    out["scale"] = scale;
  }
  out["gain_db"] = gain_db;
  nlohmann::json rows = nlohmann::json::array();
  for (const MethodScore& r : results)
    rows.push_back({{"method", r.method}, {"param", r.param}, {"psnr_db", r.psnr_db}, {"ssim", r.ssim}});
  out["results"] = rows;
  out["split"] = split_json(split);
  return out;
}

EnhancementScores evaluate_enhancement(const ImageModel& m, const SliceData& data, double noise_level, uint64_t seed) {
  const SliceStack test = data.test(0);
  const ImageTrainOptions opt = ImageTrainOptions::from_json(m.header().at("options"));
  EnhancementScores out;
  out.model = image_model_kind_name(m.kind());
  out.test_slices = test.n;
  out.slice_width = test.w;
  out.slice_height = test.h;
  out.split = data.spec;
  std::vector<MethodScore>& rows = out.results;
  auto score = [&](const std::string& method, const std::string& param, const SliceStack& pred, const SliceStack& ref) {
    std::vector<double> p, s;
    for (size_t i = 0; i < ref.n; ++i) {
      p.push_back(psnr(pred.slice(i), ref.slice(i), ref.plane()));
      s.push_back(ssim(pred.slice(i), ref.slice(i), ref.h, ref.w));
    }
    rows.push_back(MethodScore{method, param, mean_of(p), mean_of(s)});
    return rows.back();
  };
  if (m.kind() == ImageModelKind::Denoise) {
    const double level = noise_level > 0 ? noise_level : opt.noise_level;
    SliceStack noisy = test;
    Rng rng(seed);
    add_noise(noisy.data.data(), noisy.data.size(), opt.noise, level, rng);
    out.denoise = true;
    out.noise = noise_kind_name(opt.noise);
    out.noise_level = level;
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
      MethodScore best;
      bool any = false;
      for (double prm : params) {
        SliceStack f = SliceStack::zeros(noisy.n, noisy.h, noisy.w);
        for (size_t i = 0; i < noisy.n; ++i) {
          const auto r = filter(noisy.slice(i), prm);
          std::copy(r.begin(), r.end(), f.slice(i));
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", prm);
        const MethodScore r = score(name, buf, f, test);
        rows.pop_back();
        if (!any || r.psnr_db > best.psnr_db) best = r;
        any = true;
      }
      rows.push_back(best);
      return best.psnr_db;
    };
    const size_t H = noisy.h, W = noisy.w;
    double best = -INFINITY;
    best = std::max(best, best_of("gaussian filter (sigma px)", {0.5, 0.75, 1.0, 1.5, 2.0},
                                  [&](const float* x, double s) { return gaussian_filter(x, H, W, s); }));
    best = std::max(best, best_of("median filter (radius px)", {1, 2},
                                  [&](const float* x, double r) { return median_filter(x, H, W, int(r)); }));
    best = std::max(best, best_of("non-local means (h / sigma)", {0.6, 0.8, 1.0},
                                  [&](const float* x, double h) { return nlm_filter(x, H, W, sigma, h * sigma); }));
    const MethodScore r = score("medgen denoise", "", m.enhance(noisy), test);
    out.best_baseline_psnr_db = best;
    out.gain_db = r.psnr_db - best;
  } else if (m.kind() == ImageModelKind::SuperRes) {
    const size_t s = opt.scale, h = test.h / s * s, w = test.w / s * s;
    SliceStack hr = SliceStack::zeros(test.n, h, w), lr = SliceStack::zeros(test.n, h / s, w / s),
               bic = SliceStack::zeros(test.n, h, w);
    for (size_t i = 0; i < test.n; ++i) {
      const SrTriple t = sr_triple(test.slice(i), test.h, test.w, s);
      std::copy(t.hr.begin(), t.hr.end(), hr.slice(i));
      std::copy(t.lr.begin(), t.lr.end(), lr.slice(i));
      std::copy(t.bicubic.begin(), t.bicubic.end(), bic.slice(i));
    }
    out.scale = s;
    const MethodScore rb = score("bicubic", "", bic, hr);
    const MethodScore r = score("medgen sr", "", m.enhance(lr), hr);
    out.gain_db = r.psnr_db - rb.psnr_db;
  } else {
    throw InvalidInput("enhancement evaluation needs a denoise or sr model");
  }
  return out;
}

nlohmann::json AnomalyScores::to_json() const {
  return {{"test_slices", test_slices},
          {"lesioned_slices", lesioned_slices},
          {"lesion_pixels", lesion_pixels},
          {"pixel_auroc", pixel_auroc},
          {"pixel_auprc", pixel_auprc},
          {"pixel_auprc_chance", pixel_auprc_chance},
          {"pixel_dice_best", pixel_dice},
          {"dice_threshold", std::isfinite(dice_threshold) ? nlohmann::json(dice_threshold) : nlohmann::json()},
          {"slice_auroc", slice_auroc},
          {"lesions",
           {{"kind", lesion_kind_name(lesions.kind)},
            {"per_slice", {lesions.min_lesions, lesions.max_lesions}},
            {"radius_px", {lesions.min_radius, lesions.max_radius}},
            {"contrast", {lesions.min_contrast, lesions.max_contrast}},
            {"max_mass_effect", lesions.max_mass_effect}}}};
}

AnomalyScores evaluate_anomaly(const ImageModel& vae, const SliceData& data, const LesionOptions& lesions,
                               size_t repeats, uint64_t seed, AnomalyExamples* examples) {
  if (vae.kind() != ImageModelKind::Vae && vae.kind() != ImageModelKind::Dae)
    throw InvalidInput("anomaly maps need a vae or dae model");
  const size_t S = vae.image_size();
  const SliceStack test = data.test(S);
  const size_t P = test.plane();
  SliceStack les = SliceStack::zeros(test.n * repeats, S, S), mask = SliceStack::zeros(test.n * repeats, S, S);
  // Each test slice's window (haemorrhages are drawn in Hounsfield units): the slices of
  // test(S) are the volumes' test slices in order.
  std::vector<LesionOptions> slice_opts;
  for (size_t v = 0; v < data.volumes.size(); ++v) {
    LesionOptions o = lesions;
    if (lesions.kind == LesionKind::Haemorrhage) {
      if (data.volumes[v].modality != Modality::CT)
        throw InvalidInput(data.spec.paths[v] + ": haemorrhage lesions need a CT volume (Hounsfield units), this is " +
                           modality_name(data.volumes[v].modality));
      o.hu_per_unit = data.windows[v].width;
      o.window_lo_hu = data.windows[v].lo();
    }
    slice_opts.insert(slice_opts.end(), data.splits[v].test.size(), o);
  }
  if (slice_opts.size() != test.n) throw std::logic_error("evaluate_anomaly: test slices do not match the splits");
  Rng rng(seed);
  std::vector<uint8_t> mk(P);
  for (size_t r = 0; r < repeats; ++r)
    for (size_t i = 0; i < test.n; ++i) {
      const size_t k = r * test.n + i;
      std::copy_n(test.slice(i), P, les.slice(k));
      std::fill(mk.begin(), mk.end(), 0);
      insert_lesions(les.slice(k), mk.data(), S, S, slice_opts[i], rng);
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
  AnomalyScores out;
  out.test_slices = test.n;
  out.lesioned_slices = les.n;
  out.lesion_pixels = lesion_px;
  out.pixel_auroc = roc_auc(px_score, px_label);
  out.pixel_auprc = average_precision(px_score, px_label);
  out.pixel_auprc_chance = pos / double(px_label.size());
  const BestDice dice = best_dice(px_score, px_label);
  out.pixel_dice = dice.dice;
  out.dice_threshold = dice.threshold;
  out.slice_auroc = roc_auc(sl_score, sl_label);
  out.lesions = lesions;
  return out;
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

ReferenceScores score_against_reference(const ImageModel& m, const Volume& input, const Volume& output,
                                        const Volume& ref, const std::string& reference_name, Axis ax) {
  if (ref.dims != output.dims) throw InvalidInput(located(reference_name, 0, 0, "reference dims differ from the output"));
  const nlohmann::json info = m.header().at("info");
  const Window w = model_window(ref, info.contains("data") ? info["data"].value("window", "full") : "full");
  const auto keep = foreground_slices(ref, ax, w, 0.15);
  auto stack = [&](const Volume& vol) { return slices_from_volume(vol, ax, w, keep, 0); };
  const SliceStack r = stack(ref), o = stack(output);
  ReferenceScores out;
  out.reference = reference_name;
  out.slices_compared = r.n;
  out.has_input = input.dims == ref.dims;
  SliceStack i;
  if (out.has_input) i = stack(input);
  for (size_t k = 0; k < r.n; ++k) {
    out.output_psnr_db += psnr(o.slice(k), r.slice(k), r.plane()) / r.n;
    out.output_ssim += ssim(o.slice(k), r.slice(k), r.h, r.w) / r.n;
    if (out.has_input) {
      out.input_psnr_db += psnr(i.slice(k), r.slice(k), r.plane()) / r.n;
      out.input_ssim += ssim(i.slice(k), r.slice(k), r.h, r.w) / r.n;
    }
  }
  return out;
}

void ReferenceScores::add_to(nlohmann::json& j) const {
  j["reference"] = reference;
  j["slices_compared"] = slices_compared;
  j["output_psnr_db"] = output_psnr_db;
  j["output_ssim"] = output_ssim;
  if (has_input) j["input_psnr_db"] = input_psnr_db, j["input_ssim"] = input_ssim;
}

AnomalyCalibration anomaly_calibration(const ImageModel& m) {
  const nlohmann::json info = m.header().at("info");
  AnomalyCalibration c;
  if (info.contains("anomaly")) {
    c.pixel_threshold = info["anomaly"].value("pixel_threshold", 0.0);
    c.slice_threshold = info["anomaly"].value("slice_threshold", 0.0);
    c.smooth = info["anomaly"].value("smooth", 1.5);
  }
  return c;
}

AnomalyResult anomaly_volume(const ImageModel& m, const Volume& v, const DataSpec& spec, const std::string& name) {
  if (m.kind() != ImageModelKind::Vae && m.kind() != ImageModelKind::Dae)
    throw InvalidInput("anomaly needs a vae or dae model");
  const size_t S = m.image_size();
  AnomalyResult r;
  r.input = name;
  r.calibration = anomaly_calibration(m);
  const Window w = model_window(v, spec.window);
  const auto keep = foreground_slices(v, spec.axis, w, spec.min_foreground);
  if (keep.empty()) throw InvalidInput(located(name, 0, 0, "no slice has enough signal for anomaly maps"));
  const SliceStack x = slices_from_volume(v, spec.axis, w, keep, S);
  const AnomalyMaps am = anomaly_maps(m, x, r.calibration.smooth);
  // The map in the source geometry (zero on slices without signal).
  const Slice first = extract_slice(v, spec.axis, keep.front());
  r.native = SliceStack::zeros(keep.size(), first.height, first.width);
  r.native.position = keep;
  for (size_t k = 0; k < keep.size(); ++k) {
    const auto back = from_square(am.map.slice(k), S, first.width, first.height);
    std::copy(back.begin(), back.end(), r.native.slice(k));
  }
  r.map = v;
  std::fill(r.map.voxels.begin(), r.map.voxels.end(), 0.0f);
  r.map.modality = Modality::Other;
  r.map = volume_from_slices(r.map, spec.axis, Window{0.5, 1.0}, r.native);
  r.slices = keep;
  r.score = am.score;
  return r;
}

nlohmann::json AnomalyResult::to_json() const {
  nlohmann::json s = nlohmann::json::array();
  const double thr = calibration.slice_threshold;
  for (size_t k = 0; k < slices.size(); ++k)
    s.push_back({{"slice", slices[k]}, {"score", score[k]}, {"flagged", thr > 0 && score[k] > thr}});
  return {{"input", input}, {"output", output}, {"pixel_threshold", calibration.pixel_threshold},
          {"slice_threshold", thr}, {"slices", s}};
}

void resolve_train_defaults(ImageTrainOptions* opt, size_t* size, std::string* window, double noise_level,
                            bool patch_given) {
  if (noise_level > 0) opt->noise_level = noise_level;
  else if (opt->noise == NoiseKind::Poisson) opt->noise_level = 2000;
  opt->validate();
  const bool enh = opt->kind == ImageModelKind::Denoise || opt->kind == ImageModelKind::SuperRes;
  if (*size == 0) *size = opt->kind == ImageModelKind::Dae ? 128 : 64;
  // The dae trains on crops of half the model's slices (fully convolutional; 4x cheaper steps).
  if (opt->kind == ImageModelKind::Dae && !patch_given) opt->patch = *size / 2;
  if (*size != 64 && *size != 128 && *size != 32 && *size != 256)
    throw InvalidInput("--size: expected 32, 64, 128 or 256, got " + std::to_string(*size));
  // Enhancement sees the whole intensity range by default (nothing clipped), the generative
  // models the display window.
  if (window->empty()) *window = enh ? "full" : "auto";
}

nlohmann::json train_summary(const ImageModel& m, const std::string& output) {
  const nlohmann::json h = m.header();
  nlohmann::json summary = {{"model", h["kind"]}, {"output", output}, {"train_seconds", h["train_seconds"]},
                            {"train_slices", h["info"]["train_slices"]}, {"test_slices", h["info"]["test_slices"]},
                            {"last", h["history"].empty() ? nlohmann::json() : h["history"].back()}};
  if (h["info"].contains("anomaly")) summary["anomaly_calibration"] = h["info"]["anomaly"];
  return summary;
}

Volume degrade_volume(const Volume& in, NoiseKind kind, double level, const std::string& window, uint64_t seed) {
  if (!(level > 0)) throw InvalidInput("--noise-level is required (sigma in window units, or Poisson peak)");
  Volume v = in;
  const Window w = model_window(v, window.empty() ? "full" : window);
  std::vector<float> x(v.voxels.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = float((v.voxels[i] - w.lo()) / w.width);
  Rng rng(seed);
  add_noise(x.data(), x.size(), kind, level, rng);
  for (size_t i = 0; i < x.size(); ++i) v.voxels[i] = float(w.lo() + x[i] * w.width);
  return v;
}

void check_sample_output(const std::string& path) {
  if (!ends_with(path, ".png") && !ends_with(path, ".nii") && !ends_with(path, ".nii.gz"))
    throw InvalidInput(located(path, 0, 0, "sample output must be .png (a grid) or .nii/.nii.gz (a stack)"));
}

void write_samples(const SliceStack& s, const std::string& path) {
  check_sample_output(path);
  if (ends_with(path, ".png")) {
    // A grid of slices as one 8-bit PNG.
    const size_t cols = static_cast<size_t>(std::ceil(std::sqrt(double(s.n)))), rows = (s.n + cols - 1) / cols;
    const size_t W = cols * s.w, H = rows * s.h;
    std::vector<uint16_t> px(W * H, 0);
    for (size_t i = 0; i < s.n; ++i)
      for (size_t y = 0; y < s.h; ++y)
        for (size_t x = 0; x < s.w; ++x)
          px[((i / cols) * s.h + y) * W + (i % cols) * s.w + x] =
              uint16_t(std::lround(std::clamp(s.slice(i)[y * s.w + x], 0.0f, 1.0f) * 255));
    write_png_gray(path, W, H, px, 8);
    return;
  }
  // A stack of slices as a volume (x, y, slice) with unit spacing.
  Volume v = Volume::zeros(s.w, s.h, s.n);
  std::copy(s.data.begin(), s.data.end(), v.voxels.begin());
  write_nifti(v, path);
}

}  // namespace medgen::imaging
