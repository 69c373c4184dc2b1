// No-show prediction for outpatient appointments: gradient-boosted trees (XGBoost) on the
// appointment's history features, calibrated on a held-out fold (isotonic regression), with
// per-prediction reasons from XGBoost's tree SHAP contributions (pred_contribs).
//
// Data: an appointment-history table (CSV; see docs/ops.md "No-show model" for the columns).
// `generate_appointments` draws synthetic appointments whose no-show behaviour follows published
// rates and effects (base rate, lead time, prior no-shows, age, weekday, hour, reminders,
// deprivation, distance); the effects used are listed in docs/ops.md with their sources.
//
// Thread safety: NoShowModel is a value; predict() is const and may be called from several
// threads (each call makes its own XGBoost handles). Training runs on one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::ops {

// One appointment and its history features. Missing optional values are NaN.
struct AppointmentRecord {
  std::string id;             // appointment id (free text)
  std::string patient;        // patient id
  double lead_days = 0;       // days between booking and the appointment (>= 0)
  int weekday = 0;            // 0 = Monday .. 6 = Sunday
  double hour = 9;            // local start hour, 0..24
  int prior_appointments = 0; // the patient's earlier appointments
  int prior_noshows = 0;      // of which missed (<= prior_appointments)
  double age = 40;            // years, 0..120
  double distance_km = NAN;   // home to clinic (optional)
  double deprivation = NAN;   // area deprivation decile 1 (least) .. 10 (most) (optional)
  int reminders = 0;          // reminders sent before the appointment
  int no_show = -1;           // 1 missed, 0 attended, -1 unknown (prediction input)
  double true_risk = NAN;     // generator's own probability (synthetic data only; never a feature)
};

// The model's features in order (names used in reasons and in docs/ops.md).
const std::vector<std::string>& noshow_feature_names();
std::vector<float> noshow_features(const AppointmentRecord& a);

// Reads an appointment CSV. Required columns: lead_days, weekday, hour, prior_appointments,
// prior_noshows, age, reminders; optional: id, patient, distance_km, deprivation, no_show
// (required when require_label). weekday is 0..6 or Mon..Sun. Throws InvalidInput
// "file:line:column: ..." on a bad field.
std::vector<AppointmentRecord> read_appointments_csv(const std::string& path, bool require_label);
std::string appointments_to_csv(const std::vector<AppointmentRecord>& rows);

// Synthetic appointment history (see header comment). n appointments over patients with
// their own latent propensity; deterministic from seed.
struct GeneratorParams {
  size_t appointments = 20000;
  double base_rate = 0.19;  // target overall no-show rate (Europe ~19%, Dantas et al. 2018)
  double reminder_share = 0.6;  // share of appointments with an SMS reminder
};
std::vector<AppointmentRecord> generate_appointments(const GeneratorParams& p, uint64_t seed);
// The generator's probability for one appointment's features (given the patient's latent
// propensity `latent`, standard normal); used by the clinic simulation for true outcomes.
double generator_risk(const AppointmentRecord& a, double latent, double base_logit);
double generator_base_logit(double base_rate);

struct NoShowParams {
  int rounds = 200;         // boosting rounds
  int max_depth = 4;        // tree depth
  double eta = 0.05;        // learning rate
  double subsample = 0.8;   // row subsampling per tree
  double calib_share = 0.25;  // share of the training rows held out to fit the calibration
  void validate() const;    // throws InvalidInput naming the field
};

struct Reason {
  std::string feature;
  double value;         // the feature's value (NaN when missing)
  double contribution;  // log-odds contribution (SHAP); > 0 raises the risk
};

struct Prediction {
  double probability;      // calibrated
  double raw_probability;  // the booster's own
  std::vector<Reason> reasons;  // largest |contribution| first, top k
};

// Discrimination and calibration on labelled rows.
struct NoShowMetrics {
  size_t rows = 0;
  double no_show_rate = 0;
  double auc = 0;
  double brier = 0;
  double calibration_intercept = 0;  // logistic recalibration: logit P(y) = a + b logit(p)
  double calibration_slope = 0;
  nlohmann::ordered_json to_json() const;
};
NoShowMetrics evaluate_probabilities(const std::vector<double>& p, const std::vector<int>& y);

class NoShowModel {
 public:
  // Trains on labelled rows (no_show 0/1): the booster on (1 - calib_share) of them, the
  // isotonic map on the rest. Throws InvalidInput when labels are missing or of one class.
  static NoShowModel train(const std::vector<AppointmentRecord>& rows, const NoShowParams& params, uint64_t seed);
  std::vector<Prediction> predict(const std::vector<AppointmentRecord>& rows, int top_reasons = 3) const;
  std::vector<double> probabilities(const std::vector<AppointmentRecord>& rows) const;

  // JSON file: {"format": "medgen-ops-noshow", "version": 1, params, calibration, booster}.
  std::string serialize() const;
  static NoShowModel deserialize(const std::string& text, const std::string& source);

  const NoShowMetrics& calibration_metrics() const { return calib_metrics_; }

 private:
  std::string booster_json_;                 // XGBoost's JSON model
  std::vector<double> iso_x_, iso_y_;        // isotonic map: raw probability -> calibrated
  NoShowParams params_;
  NoShowMetrics calib_metrics_;              // on the calibration fold, after calibration
  double calibrate(double raw) const;
};

}  // namespace medgen::ops
