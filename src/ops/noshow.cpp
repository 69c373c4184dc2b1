// No-show model: synthetic history, XGBoost training, isotonic calibration, SHAP reasons.
#include "medgen/ops/noshow.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/ops/util.h"

namespace medgen::ops {

using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "medgen-ops-noshow";
constexpr int kVersion = 1;

void xgb(int rc, const std::string& what) {
  if (rc != 0) throw InvalidInput(what + ": XGBoost: " + XGBGetLastError());
}

using Handle = std::unique_ptr<void, std::function<void(void*)>>;

Handle make_dmatrix(const std::vector<AppointmentRecord>& rows, const std::string& what) {
  const size_t f = noshow_feature_names().size();
  std::vector<float> m;
  m.reserve(rows.size() * f);
  for (const auto& r : rows) {
    auto v = noshow_features(r);
    m.insert(m.end(), v.begin(), v.end());
  }
  DMatrixHandle d = nullptr;
  xgb(XGDMatrixCreateFromMat(m.data(), rows.size(), f, NAN, &d), what);
  return Handle(d, [](void* h) { XGDMatrixFree(h); });
}

Handle make_booster(void* dm, const std::string& what) {
  BoosterHandle b = nullptr;
  DMatrixHandle dms[1] = {dm};
  xgb(XGBoosterCreate(dms, dm ? 1 : 0, &b), what);
  return Handle(b, [](void* h) { XGBoosterFree(h); });
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double logit(double p) {
  p = std::clamp(p, 1e-6, 1 - 1e-6);
  return std::log(p / (1 - p));
}

}  // namespace

const std::vector<std::string>& noshow_feature_names() {
  static const std::vector<std::string> names = {"lead_days",  "weekday",         "hour",       "prior_appointments",
                                                  "prior_noshows", "prior_noshow_rate", "age",   "distance_km",
                                                  "deprivation",   "reminders"};
  return names;
}

std::vector<float> noshow_features(const AppointmentRecord& a) {
  const double rate = a.prior_appointments > 0 ? double(a.prior_noshows) / a.prior_appointments : NAN;
  return {float(a.lead_days),     float(a.weekday), float(a.hour),        float(a.prior_appointments),
          float(a.prior_noshows), float(rate),      float(a.age),         float(a.distance_km),
          float(a.deprivation),   float(a.reminders)};
}

// ---- CSV ---------------------------------------------------------------------------------

std::vector<AppointmentRecord> read_appointments_csv(const std::string& path, bool require_label) {
  RawTable t = read_csv(path);
  auto col = [&](const std::string& name, bool required) -> int {
    for (size_t i = 0; i < t.names.size(); ++i)
      if (t.names[i] == name) return int(i);
    if (required)
      throw InvalidInput(located(path, 1, 1, "missing column '" + name +
                                                 "' (need lead_days, weekday, hour, prior_appointments, prior_noshows, "
                                                 "age, reminders" + std::string(require_label ? ", no_show" : "") + ")"));
    return -1;
  };
  const int c_id = col("id", false), c_pat = col("patient", false), c_lead = col("lead_days", true),
            c_wd = col("weekday", true), c_hour = col("hour", true), c_pa = col("prior_appointments", true),
            c_pn = col("prior_noshows", true), c_age = col("age", true), c_dist = col("distance_km", false),
            c_dep = col("deprivation", false), c_rem = col("reminders", true), c_y = col("no_show", require_label);
  std::vector<AppointmentRecord> out;
  out.reserve(t.num_rows());
  for (size_t r = 0; r < t.num_rows(); ++r) {
    auto where = [&](int c) { return located(path, t.line(r), size_t(c) + 1, ""); };
    auto bad = [&](int c, const std::string& what) {
      return InvalidInput(located(path, t.line(r), size_t(c) + 1, t.names[c] + ": " + what));
    };
    auto num = [&](int c, double lo, double hi, bool optional) -> double {
      std::string_view s = t.field(r, size_t(c));
      if (s.empty() || s == "NA" || s == "NaN" || s == "?") {
        if (optional) return NAN;
        throw bad(c, "missing value");
      }
      double v = 0;
      if (!parse_double(s, &v)) throw bad(c, "'" + shorten(s) + "' is not a number");
      if (!(v >= lo && v <= hi)) throw bad(c, "'" + shorten(s) + "' is outside [" + fmt_num(lo) + ", " + fmt_num(hi) + "]");
      return v;
    };
    auto integer = [&](int c, double lo, double hi) -> int {
      double v = num(c, lo, hi, false);
      if (v != std::floor(v)) throw bad(c, "'" + std::string(t.field(r, size_t(c))) + "' is not a whole number");
      return int(v);
    };
    (void)where;
    AppointmentRecord a;
    a.id = c_id >= 0 ? std::string(t.field(r, size_t(c_id))) : std::to_string(r + 1);
    a.patient = c_pat >= 0 ? std::string(t.field(r, size_t(c_pat))) : "";
    a.lead_days = num(c_lead, 0, 3650, false);
    {
      std::string_view s = t.field(r, size_t(c_wd));
      int wd = weekday_from_text(s);
      if (wd < 0) throw bad(c_wd, "'" + shorten(s) + "' is not a weekday (0..6 = Mon..Sun, or Mon..Sun)");
      a.weekday = wd;
    }
    a.hour = num(c_hour, 0, 24, false);
    a.prior_appointments = integer(c_pa, 0, 100000);
    a.prior_noshows = integer(c_pn, 0, 100000);
    if (a.prior_noshows > a.prior_appointments)
      throw bad(c_pn, std::to_string(a.prior_noshows) + " exceeds prior_appointments " + std::to_string(a.prior_appointments));
    a.age = num(c_age, 0, 120, false);
    if (c_dist >= 0) a.distance_km = num(c_dist, 0, 20000, true);
    if (c_dep >= 0) a.deprivation = num(c_dep, 1, 10, true);
    a.reminders = integer(c_rem, 0, 100);
    if (c_y >= 0) {
      std::string_view s = t.field(r, size_t(c_y));
      if (s == "1" || s == "yes" || s == "Yes" || s == "true")
        a.no_show = 1;
      else if (s == "0" || s == "no" || s == "No" || s == "false")
        a.no_show = 0;
      else if (!require_label && (s.empty() || s == "NA"))
        a.no_show = -1;
      else
        throw bad(c_y, "'" + shorten(s) + "' is not 0/1 (or yes/no)");
    }
    out.push_back(std::move(a));
  }
  if (out.empty()) throw InvalidInput(located(path, 1, 0, "no appointments"));
  return out;
}

std::string appointments_to_csv(const std::vector<AppointmentRecord>& rows) {
  std::string s =
      "id,patient,lead_days,weekday,hour,prior_appointments,prior_noshows,age,distance_km,deprivation,reminders,no_show\n";
  for (const auto& a : rows) {
    append_csv_field(s, a.id);
    s += ',';
    append_csv_field(s, a.patient);
    s += ',' + fmt_num(a.lead_days) + ',' + std::to_string(a.weekday) + ',' + fmt_num(a.hour) + ',' +
         std::to_string(a.prior_appointments) + ',' + std::to_string(a.prior_noshows) + ',' + fmt_num(a.age) + ',' +
         (std::isnan(a.distance_km) ? "" : fmt_num(a.distance_km)) + ',' +
         (std::isnan(a.deprivation) ? "" : fmt_num(a.deprivation)) + ',' + std::to_string(a.reminders) + ',' +
         (a.no_show < 0 ? "" : std::to_string(a.no_show)) + '\n';
  }
  return s;
}

// ---- synthetic history --------------------------------------------------------------------
// Effects on the log-odds of a no-show (docs/ops.md lists the sources and the values).

double generator_risk(const AppointmentRecord& a, double latent, double base_logit) {
  double z = base_logit + 0.9 * latent;
  z += 0.30 * std::log1p(a.lead_days / 7.0);                            // longer lead, more no-shows
  if (a.age >= 16 && a.age < 30) z += 0.35;                            // young adults
  else if (a.age >= 65) z -= 0.40;                                     // older patients attend more
  if (a.weekday == 0) z += 0.10;                                       // Monday
  if (a.weekday == 4) z += 0.15;                                       // Friday
  if (a.hour < 9) z += 0.15;                                           // early morning
  if (a.hour >= 16) z += 0.20;                                         // late afternoon
  if (a.reminders > 0) z += std::log(1 / 1.48);                        // SMS reminder, OR of attending 1.48
  if (!std::isnan(a.deprivation)) z += 0.06 * (a.deprivation - 5.5);  // deprivation gradient
  if (!std::isnan(a.distance_km)) z += 0.10 * std::log1p(a.distance_km / 10);
  return sigmoid(z);
}

namespace {

struct Drawn {
  AppointmentRecord a;
  double latent;
};

Drawn draw_features(Rng& rng, double reminder_share) {
  Drawn d;
  AppointmentRecord& a = d.a;
  d.latent = rng.normal();
  const double u = rng.uniform();
  a.age = u < 0.15 ? rng.uniform() * 16 : u < 0.45 ? 16 + rng.uniform() * 24 : u < 0.75 ? 40 + rng.uniform() * 25
                                                                                     : 65 + rng.uniform() * 30;
  a.age = std::floor(a.age);
  a.lead_days = rng.uniform() < 0.3 ? double(rng.below(4)) : std::min(180.0, std::floor(-21 * std::log(rng.uniform_open())));
  a.weekday = rng.uniform() < 0.02 ? 5 : int(rng.below(5));
  a.hour = 8 + 0.5 * double(rng.below(18));
  const double mean_prior = 4 + a.age / 8;
  // Poisson by inversion (small means).
  int k = 0;
  for (double p = std::exp(-mean_prior), c = p, v = rng.uniform(); v > c && k < 200; c += p) p *= mean_prior / ++k;
  a.prior_appointments = k;
  a.distance_km = rng.uniform() < 0.2 ? NAN : std::round(10 * std::exp(std::log(8.0) + 0.8 * rng.normal())) / 10;
  a.deprivation = rng.uniform() < 0.2 ? NAN : double(1 + rng.below(10));
  a.reminders = rng.uniform() < reminder_share ? 1 + int(rng.below(2)) : 0;
  return d;
}

double solve_base_logit(const std::vector<Drawn>& rows, double rate) {
  double lo = -8, hi = 4;
  for (int it = 0; it < 60; ++it) {
    const double mid = (lo + hi) / 2;
    double s = 0;
    for (const auto& d : rows) s += generator_risk(d.a, d.latent, mid);
    (s / rows.size() < rate ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

double generator_base_logit(double base_rate) {
  Rng rng(0x5eed);
  std::vector<Drawn> ref;
  for (int i = 0; i < 4000; ++i) ref.push_back(draw_features(rng, 0.6));
  return solve_base_logit(ref, base_rate);
}

std::vector<AppointmentRecord> generate_appointments(const GeneratorParams& p, uint64_t seed) {
  if (p.appointments == 0) throw InvalidInput("appointments must be at least 1");
  if (!(p.base_rate > 0.001 && p.base_rate < 0.9)) throw InvalidInput("base_rate must be in (0.001, 0.9)");
  Rng rng(seed);
  std::vector<Drawn> rows;
  rows.reserve(p.appointments);
  for (size_t i = 0; i < p.appointments; ++i) rows.push_back(draw_features(rng, p.reminder_share));
  const double b = solve_base_logit(rows, p.base_rate);
  std::vector<AppointmentRecord> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    Drawn& d = rows[i];
    // History: earlier appointments missed with the patient's own habitual risk.
    const double habitual = sigmoid(b + 0.9 * d.latent + 0.2);
    int miss = 0;
    for (int k = 0; k < d.a.prior_appointments; ++k) miss += rng.uniform() < habitual;
    d.a.prior_noshows = miss;
    d.a.id = "A" + std::to_string(i + 1);
    d.a.patient = "P" + std::to_string(i + 1);
    d.a.true_risk = generator_risk(d.a, d.latent, b);
    d.a.no_show = rng.uniform() < d.a.true_risk;
    out.push_back(std::move(d.a));
  }
  return out;
}

// ---- metrics ------------------------------------------------------------------------------

NoShowMetrics evaluate_probabilities(const std::vector<double>& p, const std::vector<int>& y) {
  NoShowMetrics m;
  m.rows = p.size();
  if (p.size() != y.size() || p.empty()) throw InvalidInput("evaluate: probabilities and labels differ in length");
  size_t pos = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    pos += y[i] == 1;
    m.brier += (p[i] - y[i]) * (p[i] - y[i]);
  }
  m.brier /= p.size();
  m.no_show_rate = double(pos) / p.size();
  // AUC by average ranks (ties share their mean rank).
  std::vector<size_t> idx(p.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  double rank_sum = 0;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j < idx.size() && p[idx[j]] == p[idx[i]]) ++j;
    const double r = (i + 1 + j) / 2.0;
    for (size_t k = i; k < j; ++k)
      if (y[idx[k]] == 1) rank_sum += r;
    i = j;
  }
  const size_t neg = p.size() - pos;
  m.auc = pos && neg ? (rank_sum - pos * (pos + 1) / 2.0) / (double(pos) * neg) : NAN;
  // Logistic recalibration y ~ a + b logit(p), Newton-Raphson on two parameters.
  double a = 0, b = 1;
  for (int it = 0; it < 50; ++it) {
    double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
    for (size_t i = 0; i < p.size(); ++i) {
      const double x = logit(p[i]), q = sigmoid(a + b * x), w = q * (1 - q);
      g0 += y[i] - q;
      g1 += (y[i] - q) * x;
      h00 += w;
      h01 += w * x;
      h11 += w * x * x;
    }
    const double det = h00 * h11 - h01 * h01;
    if (!(std::fabs(det) > 1e-12)) break;
    const double da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det;
    a += da;
    b += db;
    if (std::fabs(da) + std::fabs(db) < 1e-9) break;
  }
  m.calibration_intercept = a;
  m.calibration_slope = b;
  return m;
}

nlohmann::ordered_json NoShowMetrics::to_json() const {
  return {{"rows", rows},   {"no_show_rate", no_show_rate}, {"auc", auc}, {"brier", brier},
          {"calibration_intercept", calibration_intercept}, {"calibration_slope", calibration_slope}};
}

// ---- model --------------------------------------------------------------------------------

void NoShowParams::validate() const {
  if (rounds < 1 || rounds > 5000) throw InvalidInput("rounds must be in 1..5000, got " + std::to_string(rounds));
  if (max_depth < 1 || max_depth > 12) throw InvalidInput("max_depth must be in 1..12, got " + std::to_string(max_depth));
  if (!(eta > 0 && eta <= 1)) throw InvalidInput("eta must be in (0, 1], got " + fmt_num(eta));
  if (!(subsample > 0 && subsample <= 1)) throw InvalidInput("subsample must be in (0, 1], got " + fmt_num(subsample));
  if (!(calib_share >= 0.05 && calib_share <= 0.5))
    throw InvalidInput("calib_share must be in [0.05, 0.5], got " + fmt_num(calib_share));
}

double NoShowModel::calibrate(double raw) const {
  if (iso_x_.empty()) return raw;
  if (raw <= iso_x_.front()) return iso_y_.front();
  if (raw >= iso_x_.back()) return iso_y_.back();
  const size_t j = size_t(std::upper_bound(iso_x_.begin(), iso_x_.end(), raw) - iso_x_.begin());
  const double t = (raw - iso_x_[j - 1]) / (iso_x_[j] - iso_x_[j - 1]);
  return iso_y_[j - 1] + t * (iso_y_[j] - iso_y_[j - 1]);
}

NoShowModel NoShowModel::train(const std::vector<AppointmentRecord>& rows, const NoShowParams& params, uint64_t seed) {
  params.validate();
  if (rows.size() < 50) throw InvalidInput("training needs at least 50 labelled appointments, got " + std::to_string(rows.size()));
  size_t pos = 0;
  for (const auto& r : rows) {
    if (r.no_show != 0 && r.no_show != 1) throw InvalidInput("appointment " + r.id + " has no no_show label");
    pos += r.no_show;
  }
  if (pos < 5 || rows.size() - pos < 5) throw InvalidInput("training needs at least 5 no-shows and 5 attendances");
  // Split by patient so that one patient's appointments stay on one side.
  std::vector<AppointmentRecord> fit, cal;
  for (const auto& r : rows) {
    const uint64_t h = std::hash<std::string>{}(r.patient.empty() ? r.id : r.patient) ^ (seed * 0x9E3779B97F4A7C15ULL);
    Rng hr(h);
    (hr.uniform() < params.calib_share ? cal : fit).push_back(r);
  }
  if (cal.size() < 10 || fit.size() < 10) throw InvalidInput("too few appointments for a calibration fold");
  NoShowModel m;
  m.params_ = params;
  const std::string what = "no-show model";
  Handle dfit = make_dmatrix(fit, what);
  std::vector<float> labels;
  for (const auto& r : fit) labels.push_back(float(r.no_show));
  xgb(XGDMatrixSetFloatInfo(dfit.get(), "label", labels.data(), labels.size()), what);
  Handle b = make_booster(dfit.get(), what);
  auto set = [&](const char* k, const std::string& v) { xgb(XGBoosterSetParam(b.get(), k, v.c_str()), what); };
  set("objective", "binary:logistic");
  set("tree_method", "hist");
  set("max_depth", std::to_string(params.max_depth));
  set("eta", fmt_num(params.eta));
  set("subsample", fmt_num(params.subsample));
  set("min_child_weight", "5");
  set("nthread", "1");
  set("seed", std::to_string(seed % 2147483647));
  for (int i = 0; i < params.rounds; ++i) xgb(XGBoosterUpdateOneIter(b.get(), i, dfit.get()), what);
  bst_ulong len = 0;
  const char* buf = nullptr;
  xgb(XGBoosterSaveModelToBuffer(b.get(), R"({"format": "json"})", &len, &buf), what);
  m.booster_json_.assign(buf, len);
  // Isotonic regression (pool adjacent violators) of the labels on the raw probabilities.
  std::vector<double> raw = m.probabilities(cal);  // uncalibrated while iso_x_ is empty
  std::vector<size_t> idx(cal.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t c) { return raw[a] < raw[c]; });
  struct Block { double sum_x, sum_y, n; };
  std::vector<Block> blocks;
  for (size_t i : idx) {
    blocks.push_back({raw[i], double(cal[i].no_show), 1});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].sum_y / blocks[blocks.size() - 2].n >= blocks.back().sum_y / blocks.back().n) {
      Block top = blocks.back();
      blocks.pop_back();
      blocks.back().sum_x += top.sum_x;
      blocks.back().sum_y += top.sum_y;
      blocks.back().n += top.n;
    }
  }
  const double prior_rate = double(pos) / rows.size();
  for (const auto& bl : blocks) {
    const double x = bl.sum_x / bl.n;
    // Keep probabilities away from 0 and 1: a block with no events would say "never".
    const double y = (bl.sum_y + 0.5 * prior_rate) / (bl.n + 0.5);
    if (!m.iso_x_.empty() && x <= m.iso_x_.back()) continue;
    m.iso_x_.push_back(x);
    m.iso_y_.push_back(std::max(y, m.iso_y_.empty() ? 0.0 : m.iso_y_.back()));
  }
  std::vector<double> p = m.probabilities(cal);
  std::vector<int> y;
  for (const auto& r : cal) y.push_back(r.no_show);
  m.calib_metrics_ = evaluate_probabilities(p, y);
  return m;
}

std::vector<double> NoShowModel::probabilities(const std::vector<AppointmentRecord>& rows) const {
  std::vector<double> out;
  if (rows.empty()) return out;
  const std::string what = "no-show model";
  Handle d = make_dmatrix(rows, what);
  Handle b = make_booster(nullptr, what);
  xgb(XGBoosterLoadModelFromBuffer(b.get(), booster_json_.data(), booster_json_.size()), what);
  xgb(XGBoosterSetParam(b.get(), "nthread", "1"), what);
  bst_ulong len = 0;
  const float* res = nullptr;
  xgb(XGBoosterPredict(b.get(), d.get(), 0, 0, 0, &len, &res), what);
  if (len != rows.size()) throw Error("no-show model: XGBoost returned " + std::to_string(len) + " predictions");
  for (bst_ulong i = 0; i < len; ++i) out.push_back(calibrate(res[i]));
  return out;
}

std::vector<Prediction> NoShowModel::predict(const std::vector<AppointmentRecord>& rows, int top_reasons) const {
  std::vector<Prediction> out;
  if (rows.empty()) return out;
  const std::string what = "no-show model";
  const auto& names = noshow_feature_names();
  const size_t f = names.size();
  Handle d = make_dmatrix(rows, what);
  Handle b = make_booster(nullptr, what);
  xgb(XGBoosterLoadModelFromBuffer(b.get(), booster_json_.data(), booster_json_.size()), what);
  xgb(XGBoosterSetParam(b.get(), "nthread", "1"), what);
  bst_ulong len = 0;
  const float* res = nullptr;
  xgb(XGBoosterPredict(b.get(), d.get(), 0, 0, 0, &len, &res), what);
  std::vector<double> raw(res, res + len);
  xgb(XGBoosterPredict(b.get(), d.get(), 4 /* pred_contribs */, 0, 0, &len, &res), what);
  if (raw.size() != rows.size() || len != rows.size() * (f + 1)) throw Error("no-show model: unexpected XGBoost output size");
  for (size_t i = 0; i < rows.size(); ++i) {
    Prediction p;
    p.raw_probability = raw[i];
    p.probability = calibrate(raw[i]);
    const auto feats = noshow_features(rows[i]);
    std::vector<size_t> order(f);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t c) { return std::fabs(res[i * (f + 1) + a]) > std::fabs(res[i * (f + 1) + c]); });
    for (size_t k = 0; k < order.size() && int(k) < top_reasons; ++k)
      p.reasons.push_back({names[order[k]], feats[order[k]], res[i * (f + 1) + order[k]]});
    out.push_back(std::move(p));
  }
  return out;
}

std::string NoShowModel::serialize() const {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["features"] = noshow_feature_names();
  j["params"] = {{"rounds", params_.rounds}, {"max_depth", params_.max_depth}, {"eta", params_.eta},
                 {"subsample", params_.subsample}, {"calib_share", params_.calib_share}};
  j["calibration"] = {{"method", "isotonic"}, {"raw", iso_x_}, {"calibrated", iso_y_},
                      {"fold_metrics", calib_metrics_.to_json()}};
  j["booster"] = json::parse(booster_json_);
  return j.dump(1) + "\n";
}

NoShowModel NoShowModel::deserialize(const std::string& text, const std::string& source) {
  json j = parse_json_located(text, source);
  auto bad = [&](const std::string& what) { return ModelFormat(source + ": " + what); };
  if (!j.is_object() || j.value("format", "") != kFormat) throw bad("not a medgen no-show model (format != " + std::string(kFormat) + ")");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != kVersion)
    throw bad("unsupported version (this build reads version 1)");
  if (!j.contains("features") || j["features"] != json(noshow_feature_names())) throw bad("features differ from this build's");
  NoShowModel m;
  try {
    const auto& p = j.at("params");
    m.params_.rounds = p.at("rounds").get<int>();
    m.params_.max_depth = p.at("max_depth").get<int>();
    m.params_.eta = p.at("eta").get<double>();
    m.params_.subsample = p.at("subsample").get<double>();
    m.params_.calib_share = p.at("calib_share").get<double>();
    m.iso_x_ = j.at("calibration").at("raw").get<std::vector<double>>();
    m.iso_y_ = j.at("calibration").at("calibrated").get<std::vector<double>>();
  } catch (const json::exception& e) {
    throw bad(std::string("bad field: ") + e.what());
  }
  try {
    m.params_.validate();
  } catch (const InvalidInput& e) {
    throw bad(e.what());
  }
  if (m.iso_x_.size() != m.iso_y_.size() || m.iso_x_.empty()) throw bad("calibration arrays empty or of different lengths");
  for (size_t i = 0; i < m.iso_x_.size(); ++i) {
    if (!(m.iso_x_[i] >= 0 && m.iso_x_[i] <= 1 && m.iso_y_[i] >= 0 && m.iso_y_[i] <= 1)) throw bad("calibration value outside [0, 1]");
    if (i && !(m.iso_x_[i] > m.iso_x_[i - 1] && m.iso_y_[i] >= m.iso_y_[i - 1])) throw bad("calibration map is not increasing");
  }
  if (!j.contains("booster") || !j["booster"].is_object()) throw bad("no booster");
  try {
    const auto& lm = j["booster"].at("learner").at("learner_model_param");
    if (lm.at("num_feature").get<std::string>() != std::to_string(noshow_feature_names().size()))
      throw bad("booster has a different number of features");
  } catch (const json::exception&) {
    throw bad("booster lacks learner.learner_model_param.num_feature");
  }
  m.booster_json_ = j["booster"].dump();
  Handle b = make_booster(nullptr, source);
  if (XGBoosterLoadModelFromBuffer(b.get(), m.booster_json_.data(), m.booster_json_.size()) != 0)
    throw bad(std::string("XGBoost cannot load the booster: ") + XGBGetLastError());
  return m;
}

}  // namespace medgen::ops
