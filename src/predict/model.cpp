#include "medgen/predict/model.h"

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/core/file.h"

namespace medgen::predict {

using json = nlohmann::json;

const char* to_string(ModelKind k) {
  switch (k) {
    case ModelKind::kCox: return "cox";
    case ModelKind::kLogistic: return "logistic";
    case ModelKind::kBoosted: return "xgboost";
    case ModelKind::kNeural: return "deepsurv";
  }
  return "?";
}

ModelKind model_kind_from_string(const std::string& s) {
  if (s == "cox") return ModelKind::kCox;
  if (s == "logistic") return ModelKind::kLogistic;
  if (s == "xgboost") return ModelKind::kBoosted;
  if (s == "deepsurv") return ModelKind::kNeural;
  throw InvalidInput("--model must be cox, logistic, xgboost or deepsurv, got '" + s + "'");
}

void FitOptions::validate() const {
  model_kind_from_string(model);
  if (!missing.empty() && missing != "drop" && missing != "impute" && missing != "keep")
    throw InvalidInput("--missing must be drop, impute or keep, got '" + missing + "'");
  if (missing == "keep" && model != "xgboost")
    throw InvalidInput("--missing keep works with --model xgboost only (cox and logistic need values)");
  if (!(l2 >= 0 && l2 < 1e9)) throw InvalidInput("--l2 must be >= 0");
  if (folds < 2 || folds > 20) throw InvalidInput("--folds must be in [2, 20]");
  if (bootstrap < 0 || bootstrap > 10000) throw InvalidInput("--bootstrap must be in [0, 10000]");
  if (!std::isnan(threshold) && !(threshold > 0 && threshold < 1)) throw InvalidInput("--threshold must be in (0, 1)");
  boost.validate();
  neural.validate();
}

std::vector<double> Model::margin(const std::vector<double>& x, size_t n) const {
  const size_t p = design.terms.size();
  if (kind == ModelKind::kBoosted) return booster.margin(x, n);
  if (kind == ModelKind::kNeural) {
    std::vector<double> m = network->log_risk(x, n);
    const double ref = network->log_risk(design.means, 1)[0];
    for (double& v : m) v -= ref;
    return m;
  }
  std::vector<double> m(n);
  for (size_t i = 0; i < n; ++i) {
    double s = kind == ModelKind::kLogistic ? linear.intercept : 0.0;
    for (size_t j = 0; j < p; ++j)
      s += linear.beta[j] * (kind == ModelKind::kCox ? x[i * p + j] - design.means[j] : x[i * p + j]);
    m[i] = s;
  }
  return m;
}

std::vector<double> Model::risk_from_margin(const std::vector<double>& m) const {
  std::vector<double> r(m.size());
  const bool horizon = std::isfinite(outcome.horizon);
  const double h0 = horizon ? baseline.at(outcome.horizon) : 0;
  for (size_t i = 0; i < m.size(); ++i) {
    if (task() == Task::kBinary) r[i] = 1 / (1 + std::exp(-m[i]));
    else r[i] = horizon ? 1 - std::exp(-h0 * std::exp(std::min(m[i], 50.0))) : m[i];
  }
  return r;
}

std::vector<double> Model::contributions(const std::vector<double>& x, size_t n) const {
  const size_t p = design.terms.size();
  if (kind == ModelKind::kBoosted) return booster.contributions(x, n);
  if (kind == ModelKind::kNeural) {
    const std::vector<double> fx = network->log_risk(x, n);
    const double fr = network->log_risk(design.means, 1)[0];
    auto f = [this](const std::vector<double>& z, size_t m) { return network->log_risk(z, m); };
    return baseline_shapley(f, x, n, p, design.means, fx, fr, 0x5eed);
  }
  std::vector<double> c(n * (p + 1));
  double base = 0;
  if (kind == ModelKind::kLogistic) {
    base = linear.intercept;
    for (size_t j = 0; j < p; ++j) base += linear.beta[j] * design.means[j];
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < p; ++j) c[i * (p + 1) + j] = linear.beta[j] * (x[i * p + j] - design.means[j]);
    c[i * (p + 1) + p] = base;
  }
  return c;
}

Model fit_on(const Dataset& d, const Design& design, const OutcomeSpec& outcome, ModelKind kind, double l2,
             const BoostParams& boost, uint64_t seed, int threads, const NeuralParams& neural) {
  Model m;
  m.kind = kind;
  m.outcome = outcome;
  m.design = design;
  m.l2 = l2;
  m.boost = boost;
  m.neural = neural;
  const bool survival = outcome.task() == Task::kSurvival;
  if (kind == ModelKind::kCox && !survival) throw InvalidInput("--model cox needs a time to event (--time, --event)");
  if (kind == ModelKind::kNeural && !survival) throw InvalidInput("--model deepsurv needs a time to event (--time, --event)");
  if (kind == ModelKind::kLogistic && survival)
    throw InvalidInput("--model logistic needs a binary outcome (--outcome); for time to event use cox or xgboost");
  NewtonParams np;
  np.l2 = l2;
  if (kind == ModelKind::kCox) m.linear = fit_cox(d.x, d.n, d.p, d.time, d.event, np);
  else if (kind == ModelKind::kLogistic) m.linear = fit_logistic(d.x, d.n, d.p, d.y, np);
  else if (kind == ModelKind::kNeural) {
    m.network = create_neural_survival();
    m.network->fit(d.x, d.n, d.p, d.time, d.event, neural, seed);
  } else m.booster.fit(d.x, d.n, d.p, survival, d.y, d.time, d.event, boost, seed, threads);
  if (survival) m.baseline = baseline_hazard(m.margin(d.x, d.n), d.time, d.event);
  return m;
}

json Model::to_json() const {
  json j{{"format", "medgen-predict"}, {"version", 1}, {"model", to_string(kind)}, {"outcome", outcome.to_json()},
         {"design", design.to_json()}};
  if (kind == ModelKind::kBoosted) {
    j["boost"] = boost.to_json();
    j["xgboost_model"] = booster.save();
  } else if (kind == ModelKind::kNeural) {
    j["neural"] = neural.to_json();
    j["network"] = network->state();
  } else {
    j["l2"] = l2;
    j["coefficients"] = linear.beta;
    j["standard_errors"] = linear.se;
    j["intercept"] = linear.intercept;
  }
  if (task() == Task::kSurvival) j["baseline_hazard"] = baseline.to_json();
  j["card"] = card;
  return j;
}

Model Model::from_json(const json& j, const std::string& where) {
  Model m;
  try {
    if (!j.is_object() || j.value("format", "") != "medgen-predict")
      throw InvalidInput(where + ": not a medgen predict model (format is not \"medgen-predict\")");
    if (j.at("version").get<int>() != 1) throw InvalidInput(where + ": unsupported model version");
    m.kind = model_kind_from_string(j.at("model").get<std::string>());
    m.outcome = OutcomeSpec::from_json(j.at("outcome"));
    m.design = Design::from_json(j.at("design"), where);
    const size_t p = m.design.terms.size();
    if (m.kind == ModelKind::kBoosted) {
      m.boost = BoostParams::from_json(j.at("boost"));
      m.booster.load(j.at("xgboost_model").get<std::string>(), p, where);
    } else if (m.kind == ModelKind::kNeural) {
      m.neural = NeuralParams::from_json(j.at("neural"));
      if (m.design.means.size() != p) throw InvalidInput(where + ": design means and terms differ in number");
      m.network = create_neural_survival();
      m.network->load_state(j.at("network"), m.neural, p, where);
    } else {
      m.l2 = j.at("l2").get<double>();
      m.linear.beta = j.at("coefficients").get<std::vector<double>>();
      m.linear.se = j.at("standard_errors").get<std::vector<double>>();
      m.linear.intercept = j.at("intercept").get<double>();
      if (m.linear.beta.size() != p) throw InvalidInput(where + ": coefficients and terms differ in number");
      for (double b : m.linear.beta)
        if (!std::isfinite(b)) throw InvalidInput(where + ": a coefficient is not finite");
      if (!std::isfinite(m.linear.intercept)) throw InvalidInput(where + ": the intercept is not finite");
    }
    if ((m.kind == ModelKind::kCox || m.kind == ModelKind::kNeural) != (m.task() == Task::kSurvival) &&
        m.kind != ModelKind::kBoosted)
      throw InvalidInput(where + ": model kind and outcome disagree");
    if (m.task() == Task::kSurvival) m.baseline = BaselineHazard::from_json(j.at("baseline_hazard"), where);
    m.card = j.value("card", json::object());
  } catch (const json::exception& e) {
    throw InvalidInput(where + ": " + e.what());
  }
  return m;
}

void Model::save(const std::string& path) const { write_file_atomic(path, to_json().dump(1) + "\n"); }

Model load_predict_model(const std::string& path) {
  const std::string bytes = read_file(path, uint64_t{1} << 30);
  json j;
  try {
    j = json::parse(bytes);
  } catch (const json::exception& e) {
    throw InvalidInput(path + ": not JSON: " + e.what());
  }
  return Model::from_json(j, path);
}

}  // namespace medgen::predict
