// Synthetic lesions of quality.h.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/imaging/quality.h"

namespace medgen::imaging {

namespace {

// The pixel rows and columns within `reach` of (cy, cx), clipped to the image.
struct Bounds {
  long y0, y1, x0, x1;
};
Bounds bounds(double cy, double cx, double reach, size_t h, size_t w) {
  return {std::max(0L, static_cast<long>(std::floor(cy - reach))),
          std::min(static_cast<long>(h) - 1, static_cast<long>(std::ceil(cy + reach))),
          std::max(0L, static_cast<long>(std::floor(cx - reach))),
          std::min(static_cast<long>(w) - 1, static_cast<long>(std::ceil(cx + reach)))};
}

constexpr double kPi = 3.14159265358979323846;

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// An irregular outline around (cy, cx): an ellipse (axes ra >= rb, rotated) whose radius is
// modulated by harmonics 2..4 of amplitude up to `max_amp` each.
struct Outline {
  double cy = 0, cx = 0, ra = 1, rb = 1, rotation = 0, amp[3] = {0, 0, 0}, phase[3] = {0, 0, 0};
  double radius(double theta) const {
    const double ct = std::cos(theta - rotation), st = std::sin(theta - rotation);
    double r = ra * rb / std::sqrt(rb * ct * rb * ct + ra * st * ra * st), mod = 1;
    for (int k = 0; k < 3; ++k) mod += amp[k] * std::cos((k + 2) * theta + phase[k]);
    return r * mod;
  }
  double max_radius() const { return ra * (1 + amp[0] + amp[1] + amp[2]); }
};

void draw_shape(Outline& o, double ra, double min_radius, double max_amp, Rng& rng) {
  o.ra = ra;
  o.rb = std::max(min_radius, ra * (0.6 + 0.4 * rng.uniform()));
  o.rotation = rng.uniform() * kPi;
  for (int k = 0; k < 3; ++k) {
    o.amp[k] = max_amp * rng.uniform();
    o.phase[k] = 2 * kPi * rng.uniform();
  }
}

// A centre among `candidates` whose four probes at `probe` pixels also pass `ok` (50 tries, then
// the last draw). False when there is no candidate.
template <class Ok>
bool place(Outline& o, const std::vector<size_t>& candidates, size_t h, size_t w, double probe, Ok ok, Rng& rng) {
  if (candidates.empty()) return false;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const size_t c = candidates[rng.below(candidates.size())];
    o.cy = static_cast<double>(c / w) + rng.uniform() - 0.5;
    o.cx = static_cast<double>(c % w) + rng.uniform() - 0.5;
    bool inside = true;
    const double dy[] = {-probe, probe, 0, 0}, dx[] = {0, 0, -probe, probe};
    for (int k = 0; k < 4 && inside; ++k) {
      const long yy = std::lround(o.cy + dy[k]), xx = std::lround(o.cx + dx[k]);
      inside = yy >= 0 && xx >= 0 && yy < static_cast<long>(h) && xx < static_cast<long>(w) &&
               ok(static_cast<size_t>(yy) * w + static_cast<size_t>(xx));
    }
    if (inside) return true;
  }
  return true;
}

float bilinear(const std::vector<float>& img, size_t h, size_t w, double y, double x) {
  y = std::clamp(y, 0.0, static_cast<double>(h - 1));
  x = std::clamp(x, 0.0, static_cast<double>(w - 1));
  const size_t y0 = static_cast<size_t>(y), x0 = static_cast<size_t>(x);
  const size_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
  const double fy = y - static_cast<double>(y0), fx = x - static_cast<double>(x0);
  return static_cast<float>((1 - fy) * ((1 - fx) * img[y0 * w + x0] + fx * img[y0 * w + x1]) +
                            fy * ((1 - fx) * img[y1 * w + x0] + fx * img[y1 * w + x1]));
}

// Mass effect: the tissue around (cy, cx) pushed outward. An output pixel at distance d takes
// the value from distance rho(d) <= d: rho = d (1 - m) inside the core radius r (the core is
// drawn over it afterwards), rho = d - m r exp(-((d - r) / spread)^2) beyond, which is
// continuous at r and increasing (no folding), and negligible past r + 3 spread.
void push_out(float* img, size_t h, size_t w, double cy, double cx, double r, double spread, double m) {
  if (!(m > 0)) return;
  const std::vector<float> orig(img, img + h * w);
  const double reach = r + 3 * spread;
  const Bounds b = bounds(cy, cx, reach, h, w);
  for (long y = b.y0; y <= b.y1; ++y)
    for (long x = b.x0; x <= b.x1; ++x) {
      const double dy = static_cast<double>(y) - cy, dx = static_cast<double>(x) - cx, d = std::hypot(dx, dy);
      if (d >= reach) continue;
      const double rho = d < r ? d * (1 - m) : d - m * r * std::exp(-((d - r) / spread) * ((d - r) / spread));
      const double scale = d > 0 ? rho / d : 0;
      img[static_cast<size_t>(y) * w + static_cast<size_t>(x)] = bilinear(orig, h, w, cy + dy * scale, cx + dx * scale);
    }
}

// The pixels where `ok` holds (lesion centres are drawn among them), and the number of lesions
// of one image.
template <class Ok>
std::vector<size_t> pixels_where(size_t n, Ok ok) {
  std::vector<size_t> out;
  for (size_t i = 0; i < n; ++i)
    if (ok(i)) out.push_back(i);
  return out;
}
size_t lesion_count(const LesionOptions& opt, Rng& rng) {
  return opt.min_lesions + rng.below(opt.max_lesions - opt.min_lesions + 1);
}

void insert_blobs(float* img, uint8_t* mask, size_t h, size_t w, const LesionOptions& opt, Rng& rng) {
  constexpr double kSoftness = 1.0;  // pixels: width of the sigmoid edge
  constexpr int kHarmonics = 3;      // boundary modulation by harmonics 2, 3, 4
  constexpr int kWaves = 3;          // texture: a sum of plane waves
  // Centres are drawn among the foreground of the image as given, so a later lesion is not
  // steered by an earlier one.
  const std::vector<size_t> foreground = pixels_where(h * w, [&](size_t i) { return img[i] > 0.1f; });
  if (foreground.empty()) return;
  const size_t count = lesion_count(opt, rng);
  for (size_t l = 0; l < count; ++l) {
    // The lesion lies inside the tissue: its centre and four points at 0.7 of its radius must
    // be foreground (up to 50 tries, then the last draw is kept).
    const double ra = opt.min_radius + rng.uniform() * (opt.max_radius - opt.min_radius);
    const double rb = std::max(opt.min_radius, ra * (0.6 + 0.4 * rng.uniform()));
    Outline o;
    place(o, foreground, h, w, 0.7 * ra, [&](size_t i) { return img[i] > 0.1f; }, rng);
    const double cy = o.cy, cx = o.cx;
    const double rotation = rng.uniform() * kPi;
    double amp[kHarmonics], phase[kHarmonics], amp_sum = 0;
    for (int k = 0; k < kHarmonics; ++k) {
      amp_sum += amp[k] = 0.1 * rng.uniform();
      phase[k] = 2 * kPi * rng.uniform();
    }
    double sign = rng.uniform() < 0.5 ? -1.0 : 1.0;
    const double contrast = opt.min_contrast + rng.uniform() * (opt.max_contrast - opt.min_contrast);
    // Hypo- or hyperintense as drawn, unless clipping at 0 or 1 would hide it: then the other.
    {
      const long yc = std::clamp(std::lround(cy), 0L, static_cast<long>(h) - 1);
      const long xc = std::clamp(std::lround(cx), 0L, static_cast<long>(w) - 1);
      const double v = img[static_cast<size_t>(yc) * w + static_cast<size_t>(xc)];
      if (sign < 0 && v - contrast < 0.0) sign = 1;
      else if (sign > 0 && v + contrast > 1.0) sign = -1;
    }
    double kx[kWaves], ky[kWaves], psi[kWaves];
    for (int k = 0; k < kWaves; ++k) {
      const double freq = 2 * kPi / (ra * (0.5 + rng.uniform())), dir = 2 * kPi * rng.uniform();
      kx[k] = freq * std::cos(dir), ky[k] = freq * std::sin(dir), psi[k] = 2 * kPi * rng.uniform();
    }
    // Beyond this distance the sigmoid weight is below 0.25 %.
    const Bounds b = bounds(cy, cx, ra * (1 + amp_sum) + 6 * kSoftness, h, w);
    for (long y = b.y0; y <= b.y1; ++y)
      for (long x = b.x0; x <= b.x1; ++x) {
        const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
        const double dist = std::hypot(dx, dy), theta = std::atan2(dy, dx);
        const double ct = std::cos(theta - rotation), st = std::sin(theta - rotation);
        double radius = ra * rb / std::sqrt(rb * ct * rb * ct + ra * st * ra * st);
        double mod = 1;
        for (int k = 0; k < kHarmonics; ++k) mod += amp[k] * std::cos((k + 2) * theta + phase[k]);
        radius *= mod;
        const double weight = 1 / (1 + std::exp((dist - radius) / kSoftness));
        double texture = 0;
        for (int k = 0; k < kWaves; ++k) texture += std::cos(kx[k] * dx + ky[k] * dy + psi[k]);
        texture = 1 + 0.1 * texture / kWaves;
        const size_t i = static_cast<size_t>(y) * w + static_cast<size_t>(x);
        img[i] = static_cast<float>(std::clamp(img[i] + sign * contrast * weight * texture, 0.0, 1.0));
        if (mask && weight >= 0.5) mask[i] = 1;
      }
  }
}

void insert_tumours(float* img, uint8_t* mask, size_t h, size_t w, const LesionOptions& opt, Rng& rng) {
  const std::vector<size_t> foreground = pixels_where(h * w, [&](size_t i) { return img[i] > 0.1f; });
  if (foreground.empty()) return;
  const size_t count = lesion_count(opt, rng);
  for (size_t l = 0; l < count; ++l) {
    Outline core, oedema;
    draw_shape(core, opt.min_radius + rng.uniform() * (opt.max_radius - opt.min_radius), opt.min_radius, 0.1, rng);
    place(core, foreground, h, w, 0.7 * core.ra, [&](size_t i) { return img[i] > 0.1f; }, rng);
    // Oedema spreads along white matter: a wider, more irregular halo around the core.
    const double extent = 1.3 + 0.7 * rng.uniform();
    draw_shape(oedema, core.ra, 0, 0.2, rng);
    oedema.rb = core.rb, oedema.rotation = core.rotation;
    const double m = opt.max_mass_effect * (0.3 + 0.7 * rng.uniform());
    const bool ring = rng.uniform() < 0.5;
    const double contrast = opt.min_contrast + rng.uniform() * (opt.max_contrast - opt.min_contrast);
    const double oedema_contrast = contrast * (0.3 + 0.3 * rng.uniform());
    double sign = rng.uniform() < 0.5 ? -1.0 : 1.0;
    double wave[3][3];
    for (auto& k : wave) {
      const double freq = 2 * kPi / (core.ra * (0.5 + rng.uniform())), dir = 2 * kPi * rng.uniform();
      k[0] = freq * std::cos(dir), k[1] = freq * std::sin(dir), k[2] = 2 * kPi * rng.uniform();
    }
    oedema.cy = core.cy, oedema.cx = core.cx;
    push_out(img, h, w, core.cy, core.cx, core.ra, core.ra * extent, m);
    // Nothing is drawn outside the tissue (the background of a brain-extracted scan).
    const std::vector<float> tissue(img, img + h * w);
    if (!ring) {
      const long yc = std::clamp(std::lround(core.cy), 0L, static_cast<long>(h) - 1);
      const long xc = std::clamp(std::lround(core.cx), 0L, static_cast<long>(w) - 1);
      const double v = img[static_cast<size_t>(yc) * w + static_cast<size_t>(xc)];
      if (sign < 0 && v - contrast < 0.0) sign = 1;
      else if (sign > 0 && v + contrast > 1.0) sign = -1;
    }
    const double reach = oedema.max_radius() * extent + 6;
    const Bounds b = bounds(core.cy, core.cx, reach, h, w);
    for (long y = b.y0; y <= b.y1; ++y)
      for (long x = b.x0; x <= b.x1; ++x) {
        const double dx = static_cast<double>(x) - core.cx, dy = static_cast<double>(y) - core.cy;
        const double d = std::hypot(dx, dy), theta = std::atan2(dy, dx);
        const double rc = core.radius(theta), ro = std::max(rc * 1.1, oedema.radius(theta) * extent);
        const double wc = sigmoid(rc - d), wo = sigmoid((ro - d) / 1.5);
        double texture = 0;
        for (const auto& k : wave) texture += std::cos(k[0] * dx + k[1] * dy + k[2]);
        texture = 1 + 0.1 * texture / 3;
        double delta;
        if (ring) {
          // A bright rim (the outer third of the core) around a dark necrotic centre, in
          // hypointense oedema (T1 after gadolinium).
          const double rim = wc * sigmoid((d - 0.65 * rc) / 1.0);
          delta = contrast * rim * texture - 0.6 * contrast * (wc - rim) - oedema_contrast * std::max(0.0, wo - wc);
        } else {
          delta = sign * (contrast * wc * texture + oedema_contrast * std::max(0.0, wo - wc));
        }
        const size_t i = static_cast<size_t>(y) * w + static_cast<size_t>(x);
        if (!(tissue[i] > 0.02f)) continue;
        img[i] = static_cast<float>(std::clamp(img[i] + delta, 0.0, 1.0));
        if (mask && wo >= 0.5) mask[i] = 1;
      }
  }
}

void insert_haemorrhages(float* img, uint8_t* mask, size_t h, size_t w, const LesionOptions& opt, Rng& rng) {
  const double lo = opt.window_lo_hu, width = opt.hu_per_unit;
  auto parenchyma = [&](size_t i) {
    const double hu = lo + width * img[i];
    return hu >= 15 && hu <= 60;
  };
  const std::vector<size_t> brain = pixels_where(h * w, parenchyma);
  if (brain.empty()) return;
  const size_t count = lesion_count(opt, rng);
  for (size_t l = 0; l < count; ++l) {
    Outline o;
    draw_shape(o, opt.min_radius + rng.uniform() * (opt.max_radius - opt.min_radius), opt.min_radius, 0.15, rng);
    place(o, brain, h, w, 0.7 * o.ra, parenchyma, rng);
    const double blood_hu = 25 + 25 * rng.uniform(), oedema_hu = -(4 + 6 * rng.uniform());
    const double rim = 1.15 + 0.25 * rng.uniform();
    const double m = opt.max_mass_effect * (0.2 + 0.8 * rng.uniform());
    double wave[2][3];
    for (auto& k : wave) {
      const double freq = 2 * kPi / (o.ra * (0.3 + 0.4 * rng.uniform())), dir = 2 * kPi * rng.uniform();
      k[0] = freq * std::cos(dir), k[1] = freq * std::sin(dir), k[2] = 2 * kPi * rng.uniform();
    }
    // The skull does not move and blood does not enter it or the air: bone (>= 70 HU) and air
    // (< -100 HU) keep their values, and the brain is pushed against them.
    const std::vector<float> before(img, img + h * w);
    auto soft_tissue = [&](size_t i) {
      // Not clipped at either end of the window (in a brain window air reads as 0 HU).
      const double hu = lo + width * before[i];
      return before[i] > 0.001f && before[i] < 0.999f && hu > -100 && hu < 70;
    };
    push_out(img, h, w, o.cy, o.cx, o.ra, o.ra * rim * 1.5, m);
    for (size_t i = 0; i < h * w; ++i)
      if (!soft_tissue(i)) img[i] = before[i];
    const double reach = o.max_radius() * rim + 8;
    const Bounds b = bounds(o.cy, o.cx, reach, h, w);
    for (long y = b.y0; y <= b.y1; ++y)
      for (long x = b.x0; x <= b.x1; ++x) {
        const double dx = static_cast<double>(x) - o.cx, dy = static_cast<double>(y) - o.cy;
        const size_t i = static_cast<size_t>(y) * w + static_cast<size_t>(x);
        if (!soft_tissue(i)) continue;
        const double d = std::hypot(dx, dy), r = o.radius(std::atan2(dy, dx));
        // A sharp haematoma margin (as on CT) and a rim at least 3 px wide, so that the rim's
        // density shows at any radius.
        const double wc = sigmoid((r - d) / 0.35), wo = sigmoid((std::max(r * rim, r + 3) - d) / 0.7);
        double texture = 0;
        for (const auto& k : wave) texture += std::cos(k[0] * dx + k[1] * dy + k[2]);
        texture = 1 + 0.05 * texture / 2;
        // Oedema under the whole lesion, blood over it in the core.
        const double delta_hu = oedema_hu * wo + (blood_hu * texture - oedema_hu) * wc;
        img[i] = static_cast<float>(std::clamp(img[i] + delta_hu / width, 0.0, 1.0));
        if (mask && wo >= 0.5) mask[i] = 1;
      }
  }
}

}  // namespace

LesionKind lesion_kind_from_name(const std::string& s) {
  if (s == "blob") return LesionKind::Blob;
  if (s == "tumour" || s == "tumor") return LesionKind::Tumour;
  if (s == "haemorrhage" || s == "hemorrhage") return LesionKind::Haemorrhage;
  throw InvalidInput("unknown lesion kind '" + s + "' (blob, tumour or haemorrhage)");
}

std::string lesion_kind_name(LesionKind k) {
  switch (k) {
    case LesionKind::Blob: return "blob";
    case LesionKind::Tumour: return "tumour";
    case LesionKind::Haemorrhage: return "haemorrhage";
  }
  return "blob";
}

void insert_lesions(float* img, uint8_t* mask, size_t h, size_t w, const LesionOptions& opt, Rng& rng) {
  if (opt.min_lesions > opt.max_lesions) throw InvalidInput("lesions: min_lesions is above max_lesions");
  if (!(opt.min_radius > 0) || !(opt.max_radius >= opt.min_radius) || !std::isfinite(opt.max_radius))
    throw InvalidInput("lesions: radii must satisfy 0 < min_radius <= max_radius");
  if (!(opt.min_contrast >= 0) || !(opt.max_contrast >= opt.min_contrast) || !std::isfinite(opt.max_contrast))
    throw InvalidInput("lesions: contrasts must satisfy 0 <= min_contrast <= max_contrast");
  if (!(opt.max_mass_effect >= 0 && opt.max_mass_effect <= 0.6))
    throw InvalidInput("lesions: the mass effect must be in [0, 0.6] of the radius");
  switch (opt.kind) {
    case LesionKind::Blob: insert_blobs(img, mask, h, w, opt, rng); return;
    case LesionKind::Tumour: insert_tumours(img, mask, h, w, opt, rng); return;
    case LesionKind::Haemorrhage:
      if (!(opt.hu_per_unit > 0) || !std::isfinite(opt.hu_per_unit) || !std::isfinite(opt.window_lo_hu))
        throw InvalidInput("haemorrhage lesions need a CT image and its window in Hounsfield units");
      insert_haemorrhages(img, mask, h, w, opt, rng);
      return;
  }
}

}  // namespace medgen::imaging
