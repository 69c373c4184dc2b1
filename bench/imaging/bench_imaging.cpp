// Image-model benchmark: trains each model with its default configuration on the real volumes
// (Colin27 T1 MRI, the InVesalius head CT), evaluates it on the held-out slices and prints one
// JSON line per job: time, the quality figures and their baselines (docs/benchmarks.md).
//
//   bench_imaging [jobs] [device] [threads] [step_scale]
//   jobs: comma list of vae, gan, vae128, gan128, anomaly-vae, anomaly-dae, denoise-mr,
//   denoise-ct (with the whole-volume timing), sr2, sr4 (default all)
//   device: cpu or cuda; threads: intra-op threads; step_scale: multiplies the default steps
//   (e.g. 0.2 for a quick look; the recorded figures use 1).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "medgen/core/error.h"
#include "medgen/imaging/io.h"
#include "medgen/imaging/tasks.h"

using namespace medgen;
using namespace medgen::imaging;
using Clock = std::chrono::steady_clock;

namespace {

// The Debian packages' paths, or MEDGEN_CH2 / MEDGEN_CRANIUM (a machine without them).
std::string path_or(const char* env, const char* fallback) {
  const char* v = std::getenv(env);
  return v && *v ? v : fallback;
}
const std::string kCh2 = path_or("MEDGEN_CH2", "/usr/share/mricron/templates/ch2.nii.gz");
const std::string kCh2bet = path_or("MEDGEN_CH2BET", "/usr/share/mricron/templates/ch2bet.nii.gz");
const std::string kCranium = path_or("MEDGEN_CRANIUM", "/usr/share/doc/invesalius-examples/examples/Cranium.inv3");

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

SliceData data(const std::string& path, const std::string& window) {
  DataSpec s;
  s.paths = {path};
  s.window = window;
  return load_slice_data(s);
}

struct Runner {
  Context ctx;
  double scale = 1;
  std::string device;

  std::unique_ptr<ImageModel> train(ImageTrainOptions o, const SliceData& d, size_t size, nlohmann::json* out) {
    o = o.resolved();
    o.steps = std::max<size_t>(10, static_cast<size_t>(o.steps * scale));
    const auto t = Clock::now();
    auto m = train_on_data(o, d, size, ctx);
    (*out)["train_seconds"] = since(t);
    (*out)["steps"] = o.steps;
    return m;
  }
  void emit(const std::string& job, nlohmann::json j) {
    j["job"] = job;
    j["device"] = device;
    j["threads"] = ctx.threads;
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string jobs = argc > 1 ? argv[1] : "all";
  Runner r;
  r.device = argc > 2 ? argv[2] : "cpu";
  r.ctx.device = r.device == "cuda" ? Device::kCuda : Device::kCpu;
  r.ctx.threads = argc > 3 ? std::atoi(argv[3]) : 1;
  r.scale = argc > 4 ? std::atof(argv[4]) : 1.0;
  r.ctx.seed = 1;
  apply_threads(r.ctx);
  auto want = [&](const std::string& j) { return jobs == "all" || ("," + jobs + ",").find("," + j + ",") != std::string::npos; };
  try {
    const SliceData mr = data(kCh2, "auto");
    for (size_t size : {64, 128}) {
      const std::string sz = size == 64 ? "" : "128";
      for (const char* kind : {"vae", "gan"}) {
        if (!want(kind + sz)) continue;
        nlohmann::json j;
        ImageTrainOptions o;
        o.kind = image_model_kind_from_name(kind);
        auto m = r.train(o, mr, size, &j);
        auto t = Clock::now();
        j["eval"] = evaluate_generative(*m, mr, 256, r.ctx).to_json();
        j["eval_seconds"] = since(t);
        r.emit(kind + sz, j);
      }
    }
    // Anomaly maps on the brain-extracted Colin27 (ch2bet): lesions of radius size/32 to size/10
    // px (7 to 22 mm), four lesion draws per held-out slice; the vae at 64 px, the dae at 128.
    for (const char* kind : {"vae", "dae"}) {
      if (!want(std::string("anomaly-") + kind)) continue;
      const SliceData bet = data(kCh2bet, "auto");
      nlohmann::json j;
      ImageTrainOptions o;
      o.kind = image_model_kind_from_name(kind);
      const size_t S = o.kind == ImageModelKind::Dae ? 128 : 64;  // the CLI's defaults
      o.patch = S / 2;
      auto m = r.train(o, bet, S, &j);
      LesionOptions les;
      les.min_radius = S / 32.0, les.max_radius = S / 10.0;
      j["anomaly"] = evaluate_anomaly(*m, bet, les, 4, 11).to_json();
      r.emit(std::string("anomaly-") + kind, j);
    }
    if (want("denoise-mr")) {
      for (double level : {0.05, 0.1}) {
        nlohmann::json j;
        ImageTrainOptions o;
        o.kind = ImageModelKind::Denoise;
        o.noise = NoiseKind::Rician;
        o.noise_level = level;
        const SliceData full = data(kCh2, "auto");
        auto m = r.train(o, full, 0, &j);
        j["eval"] = evaluate_enhancement(*m, full, 0, 12).to_json();
        r.emit("denoise-mr", j);
      }
    }
    if (want("sr2") || want("sr4")) {
      for (size_t s : {2, 4}) {
        if (!want("sr" + std::to_string(s))) continue;
        nlohmann::json j;
        ImageTrainOptions o;
        o.kind = ImageModelKind::SuperRes;
        o.scale = s;
        auto m = r.train(o, mr, 0, &j);
        j["eval"] = evaluate_enhancement(*m, mr, 0, 13).to_json();
        r.emit("sr" + std::to_string(s), j);
      }
    }
    if (want("denoise-ct")) {
      const SliceData ct = data(kCranium, "full");
      nlohmann::json j;
      ImageTrainOptions o;
      o.kind = ImageModelKind::Denoise;
      o.noise = NoiseKind::Poisson;
      o.noise_level = 2000;
      auto m = r.train(o, ct, 0, &j);
      j["eval"] = evaluate_enhancement(*m, ct, 0, 14).to_json();
      // The whole 256 x 256 x 108 volume, as `medgen image enhance` does it.
      const Volume& v = ct.volumes.front();
      auto t = Clock::now();
      const Volume out = enhance_volume(*m, v, Axis::Axial);
      j["volume_dims"] = out.dims;
      j["volume_enhance_seconds"] = since(t);
      r.emit("denoise-ct", j);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_imaging: %s\n", e.what());
    return 2;
  }
  return 0;
}
