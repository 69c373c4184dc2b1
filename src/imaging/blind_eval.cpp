// Blind denoising on evaluation-only images (tasks.h: evaluate_blind_denoising).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/imaging/intensity.h"
#include "medgen/imaging/io.h"
#include "medgen/imaging/tasks.h"

namespace medgen::imaging {

namespace {

struct Score {
  double psnr_db = 0, ssim = 0;
};

Score score_stack(const SliceStack& pred, const SliceStack& ref) {
  Score s;
  for (size_t i = 0; i < ref.n; ++i) {
    s.psnr_db += psnr(pred.slice(i), ref.slice(i), ref.plane()) / double(ref.n);
    s.ssim += ssim(pred.slice(i), ref.slice(i), ref.h, ref.w) / double(ref.n);
  }
  return s;
}

template <typename F>
SliceStack per_slice(const SliceStack& x, F f) {
  SliceStack out = SliceStack::zeros(x.n, x.h, x.w);
  out.position = x.position;
  for (size_t i = 0; i < x.n; ++i) {
    const std::vector<float> r = f(x.slice(i), i);
    std::copy(r.begin(), r.end(), out.slice(i));
  }
  return out;
}

nlohmann::json score_json(const Score& s) { return {{"psnr_db", s.psnr_db}, {"ssim", s.ssim}}; }

std::string param_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

struct EvalImage {
  std::string path;
  std::vector<std::string> duplicates;
  Modality modality = Modality::Other;
  SliceStack clean;
};

}  // namespace

nlohmann::json evaluate_blind_denoising(const ImageModel& m, const BlindEvalOptions& opt) {
  if (m.kind() != ImageModelKind::Denoise) throw InvalidInput("--images: blind evaluation needs a denoise model");
  if (opt.images.empty()) throw InvalidInput("--images: at least one image is needed");
  if (opt.levels.empty()) throw InvalidInput("--levels: at least one noise level is needed");
  for (double l : opt.levels) {
    const bool ok = opt.noise == NoiseKind::Poisson ? (l >= 1 && l <= 1e7) : (l > 0 && l <= 1);
    if (!ok)
      throw InvalidInput("--levels: " + param_text(l) +
                         (opt.noise == NoiseKind::Poisson ? " is not a Poisson peak in [1, 1e7]" : " is not a sigma in (0, 1]"));
  }
  // Read, window and dedupe by pixels.
  std::vector<EvalImage> images;
  std::vector<Volume> kept;
  for (const std::string& path : opt.images) {
    Volume v = read_image(path);
    bool dup = false;
    for (size_t i = 0; i < kept.size() && !dup; ++i)
      if (kept[i].dims == v.dims && kept[i].voxels == v.voxels) {
        images[i].duplicates.push_back(path);
        dup = true;
      }
    if (dup) continue;
    const Window w = model_window(v, "full");
    const auto keep = foreground_slices(v, Axis::Axial, w, 0.05);
    if (keep.empty()) throw InvalidInput(located(path, 0, 0, "no slice with signal to evaluate on"));
    EvalImage e;
    e.path = path;
    e.modality = v.modality;
    e.clean = slices_from_volume(v, Axis::Axial, w, keep, 0);
    if (e.clean.h < 11 || e.clean.w < 11) throw InvalidInput(located(path, 0, 0, "slices smaller than 11 x 11 (SSIM's window)"));
    images.push_back(std::move(e));
    kept.push_back(std::move(v));
  }
  nlohmann::json out = {{"model", image_model_kind_name(m.kind())}, {"noise", noise_kind_name(opt.noise)}, {"seed", opt.seed}};
  nlohmann::json imgs = nlohmann::json::array();
  for (const EvalImage& e : images)
    imgs.push_back({{"path", e.path}, {"duplicates", e.duplicates}, {"modality", modality_name(e.modality)},
                    {"slices", e.clean.n}, {"width", e.clean.w}, {"height", e.clean.h}});
  out["images"] = imgs;
  nlohmann::json levels = nlohmann::json::array();
  for (size_t li = 0; li < opt.levels.size(); ++li) {
    const double level = opt.levels[li];
    nlohmann::json rows = nlohmann::json::array();
    Score mean_noisy, mean_nlm, mean_model, mean_classical;
    double mean_sigma_est = 0;
    const double n_img = double(images.size());
    for (size_t ii = 0; ii < images.size(); ++ii) {
      const EvalImage& e = images[ii];
      SliceStack noisy = e.clean;
      // One stream per (level, image): adding an image does not change the others' noise.
      Rng rng(opt.seed * 1000003ULL + li * 7919ULL + ii);
      add_noise(noisy.data.data(), noisy.data.size(), opt.noise, level, rng);
      const Score s_noisy = score_stack(noisy, e.clean);
      std::vector<double> sig(noisy.n);
      const SliceStack nlm = per_slice(noisy, [&](const float* x, size_t i) {
        return nlm_estimated_sigma(x, noisy.h, noisy.w, &sig[i]);
      });
      const double sigma_est = std::accumulate(sig.begin(), sig.end(), 0.0) / double(sig.size());
      const Score s_nlm = score_stack(nlm, e.clean);
      const Score s_model = score_stack(m.enhance(noisy), e.clean);
      nlohmann::json row = {{"image", e.path},
                            {"noisy", score_json(s_noisy)},
                            {"nlm_estimated_sigma", {{"psnr_db", s_nlm.psnr_db}, {"ssim", s_nlm.ssim}, {"sigma_est", sigma_est}}},
                            {"model", score_json(s_model)}};
      mean_noisy.psnr_db += s_noisy.psnr_db / n_img, mean_noisy.ssim += s_noisy.ssim / n_img;
      mean_nlm.psnr_db += s_nlm.psnr_db / n_img, mean_nlm.ssim += s_nlm.ssim / n_img;
      mean_model.psnr_db += s_model.psnr_db / n_img, mean_model.ssim += s_model.ssim / n_img;
      mean_sigma_est += sigma_est / n_img;
      if (opt.classical) {
        // The filters' sigma: the noise's true standard deviation (Poisson: at the mean signal).
        double sigma = level;
        if (opt.noise == NoiseKind::Poisson) {
          const double mean = std::accumulate(e.clean.data.begin(), e.clean.data.end(), 0.0) / double(e.clean.data.size());
          sigma = std::sqrt(std::max(1e-12, mean) / level);
        }
        const size_t H = noisy.h, W = noisy.w;
        std::string best_method = "non-local means, estimated sigma", best_param = "h 0.8 sigma_est";
        Score best = s_nlm;
        auto consider = [&](const std::string& method, double prm, auto filter) {
          const Score s = score_stack(per_slice(noisy, [&](const float* x, size_t) { return filter(x, prm); }), e.clean);
          if (s.psnr_db > best.psnr_db) best = s, best_method = method, best_param = param_text(prm);
        };
        for (double g : {0.5, 0.75, 1.0, 1.5, 2.0})
          consider("gaussian filter (sigma px)", g, [&](const float* x, double p) { return gaussian_filter(x, H, W, p); });
        for (double r : {1.0, 2.0})
          consider("median filter (radius px)", r, [&](const float* x, double p) { return median_filter(x, H, W, int(p)); });
        for (double hr : {0.6, 0.8, 1.0, 1.2})
          consider("non-local means, true sigma (h / sigma)", hr,
                   [&](const float* x, double p) { return nlm_fast_filter(x, H, W, sigma, p * sigma, 2, 6); });
        row["best_classical"] = {{"method", best_method}, {"param", best_param}, {"psnr_db", best.psnr_db}, {"ssim", best.ssim}};
        mean_classical.psnr_db += best.psnr_db / n_img, mean_classical.ssim += best.ssim / n_img;
      }
      rows.push_back(row);
    }
    nlohmann::json mean = {{"noisy", score_json(mean_noisy)},
                           {"nlm_estimated_sigma", {{"psnr_db", mean_nlm.psnr_db}, {"ssim", mean_nlm.ssim}, {"sigma_est", mean_sigma_est}}},
                           {"model", score_json(mean_model)}};
    nlohmann::json lv = {{"level", level}, {"results", rows}};
    lv["gain_over_nlm_estimated_sigma_db"] = mean_model.psnr_db - mean_nlm.psnr_db;
    if (opt.classical) {
      mean["best_classical"] = score_json(mean_classical);
      lv["gain_over_best_classical_db"] = mean_model.psnr_db - mean_classical.psnr_db;
    }
    lv["mean"] = mean;
    levels.push_back(lv);
  }
  out["levels"] = levels;
  return out;
}

Volume nlm_estimated_volume(const Volume& v, Axis axis, std::vector<double>* sigma_est) {
  const Window w = model_window(v, "full");
  const size_t n = axis_length(v, axis);
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), size_t{0});
  const SliceStack in = slices_from_volume(v, axis, w, all, 0);
  if (sigma_est) sigma_est->assign(n, 0.0);
  const SliceStack out = per_slice(in, [&](const float* x, size_t i) {
    return nlm_estimated_sigma(x, in.h, in.w, sigma_est ? &(*sigma_est)[i] : nullptr);
  });
  return volume_from_slices(v, axis, w, out);
}

}  // namespace medgen::imaging
