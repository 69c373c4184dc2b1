#include "medgen/trial/learn.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "medgen/core/error.h"

namespace medgen::trial {

namespace {

bool parse_number(const std::string& s, double* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(*v);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

Filter Filter::parse(const std::string& text, const std::string& option) {
  const size_t p = text.find_first_of("!<>=");
  Filter f;
  if (p == std::string::npos || p == 0)
    throw InvalidInput(option + ": expected COLUMN OP VALUE with OP one of = != < <= > >=, got '" + text + "'");
  f.column = text.substr(0, p);
  size_t q = p + 1;
  if (q < text.size() && text[q] == '=' && text[p] != '=') ++q;
  f.op = text.substr(p, q - p);
  if (f.op == "!") throw InvalidInput(option + ": '!' must be followed by '=' in '" + text + "'");
  f.value = text.substr(q);
  auto trim = [](std::string& s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
  };
  trim(f.column);
  trim(f.value);
  if (f.column.empty() || f.value.empty())
    throw InvalidInput(option + ": expected COLUMN OP VALUE, got '" + text + "'");
  return f;
}

void Filter::check(const Table& table, const std::string& where) const {
  const int c = table.find(column);
  if (c < 0) throw InvalidInput(where + ": no column '" + column + "' (filter '" + text() + "')");
  const Column& col = table.columns[c];
  if (col.storage == Storage::kNumber) {
    double v;
    if (!parse_number(value, &v))
      throw InvalidInput(where + ": column '" + column + "' holds numbers, '" + value + "' is not one (filter '" + text() + "')");
  } else if (op != "=" && op != "!=") {
    throw InvalidInput(where + ": column '" + column + "' holds labels: only = and != compare them (filter '" + text() + "')");
  }
}

bool Filter::matches(const Table& table, size_t row) const {
  const Column& col = table.column(column);
  if (col.is_missing(row)) return false;
  if (col.storage == Storage::kString) {
    const bool eq = col.dictionary[col.codes[row]] == value;
    return op == "=" ? eq : !eq;
  }
  double v = 0;
  parse_number(value, &v);
  const double x = col.values[row];
  if (op == "=") return x == v;
  if (op == "!=") return x != v;
  if (op == "<") return x < v;
  if (op == "<=") return x <= v;
  if (op == ">") return x > v;
  return x >= v;
}

Table arm_as_labels(const Table& table, const std::string& arm) {
  Table t = table;
  const int c = t.find(arm);
  if (c < 0 || t.columns[c].storage == Storage::kString) return t;
  const Column& num = table.columns[c];
  Column lab = Column::strings(num.name, num.size(), {});
  for (size_t i = 0; i < num.size(); ++i) {
    if (!num.valid[i]) continue;
    char b[64];
    std::snprintf(b, sizeof b, "%g", num.values[i]);
    auto it = std::find(lab.dictionary.begin(), lab.dictionary.end(), std::string(b));
    if (it == lab.dictionary.end()) it = lab.dictionary.insert(lab.dictionary.end(), b);
    lab.codes[i] = static_cast<int32_t>(it - lab.dictionary.begin());
  }
  t.columns[c] = std::move(lab);
  return t;
}

std::vector<size_t> used_rows(const Table& table, const TrialColumns& columns) {
  const Column& arm = table.column(columns.arm);
  const Column& time = table.column(columns.time);
  const Column& event = table.column(columns.event);
  std::vector<size_t> rows;
  for (size_t i = 0; i < table.num_rows(); ++i) {
    if (arm.is_missing(i) || time.is_missing(i) || event.is_missing(i)) continue;
    bool ok = true;
    for (const auto& f : columns.where) ok = ok && f.matches(table, i);
    if (ok) rows.push_back(i);
  }
  return rows;
}

double ArmOutcome::cumhaz(double t) const {
  const auto& ts = baseline.times;
  const auto& hs = baseline.cumhaz;
  if (t <= 0 || ts.empty()) return 0;
  if (t >= ts.back()) return hs.back() + tail_rate * (t - ts.back());
  const size_t k = std::upper_bound(ts.begin(), ts.end(), t) - ts.begin();  // ts[k-1] <= t < ts[k]
  const double t0 = k == 0 ? 0 : ts[k - 1], h0 = k == 0 ? 0 : hs[k - 1];
  return h0 + (hs[k] - h0) * (t - t0) / (ts[k] - t0);
}

double ArmOutcome::draw_time(double eta, double hr, Rng& rng) const {
  const double target = -std::log(rng.uniform_open()) / (std::exp(eta) * hr);
  const auto& ts = baseline.times;
  const auto& hs = baseline.cumhaz;
  if (ts.empty()) return INFINITY;
  if (target > hs.back()) return tail_rate > 0 ? ts.back() + (target - hs.back()) / tail_rate : INFINITY;
  const size_t k = std::lower_bound(hs.begin(), hs.end(), target) - hs.begin();  // hs[k] >= target
  const double t0 = k == 0 ? 0 : ts[k - 1], h0 = k == 0 ? 0 : hs[k - 1];
  if (hs[k] <= h0) return ts[k];
  return t0 + (ts[k] - t0) * (target - h0) / (hs[k] - h0);
}

nlohmann::json ArmOutcome::to_json(const std::vector<std::string>& terms) const {
  nlohmann::json coef = nlohmann::json::object();
  for (size_t j = 0; j < beta.size() && j < terms.size(); ++j) coef[terms[j]] = beta[j];
  return {{"arm", label},
          {"patients", patients},
          {"events", events},
          {"log_hazard_ratios", coef},
          {"baseline_cumhaz_at_last_event", baseline.cumhaz.empty() ? 0.0 : baseline.cumhaz.back()},
          {"last_event_time", baseline.times.empty() ? 0.0 : baseline.times.back()},
          {"tail_rate", tail_rate}};
}

Table LearnedTrial::sample_patients(size_t n, const Context& ctx) const { return patients->sample(n, {}, ctx); }

std::vector<double> LearnedTrial::linear_predictors(const Table& pts, size_t a) const {
  const std::vector<double> x = design.matrix(pts);
  const size_t p = design.terms.size(), n = pts.num_rows();
  std::vector<double> eta(n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < p; ++j) eta[i] += (x[i * p + j] - design.means[j]) * arms[a].beta[j];
  return eta;
}

double LearnedTrial::draw_censoring(Rng& rng) const {
  const double u = rng.uniform();
  for (size_t i = 0; i < censoring.times.size(); ++i)
    if (1 - censoring.surv[i] >= u) return censoring.times[i];
  return max_followup;
}

nlohmann::json LearnedTrial::summary() const {
  nlohmann::json a = nlohmann::json::array();
  const std::vector<std::string> terms = design.names();
  for (const auto& arm : arms) a.push_back(arm.to_json(terms));
  std::vector<std::string> cov;
  for (const auto& c : covariate_schema.columns) cov.push_back(c.name);
  return {{"source", source},
          {"patients_synthesizer", patients->name()},
          {"patients_learned_from", columns.control},
          {"covariates", cov},
          {"terms", terms},
          {"arms", a},
          {"max_followup", max_followup},
          {"warnings", warnings}};
}

LearnedTrial learn_trial(const Table& input, const Schema& schema, const std::string& source, const TrialColumns& cols,
                         const LearnOptions& options, const Context& ctx) {
  for (const std::string* c : {&cols.arm, &cols.time, &cols.event})
    if (c->empty() || input.find(*c) < 0) throw InvalidInput(source + ": no column '" + *c + "'");
  const Table table = arm_as_labels(input, cols.arm);
  for (const auto& f : cols.where) f.check(table, source);
  LearnedTrial L;
  L.source = source;
  L.columns = cols;
  const std::vector<size_t> rows = used_rows(table, cols);
  if (rows.empty()) throw InvalidInput(source + ": no rows left after the filters");
  const Table T = table.take(rows);

  predict::OutcomeSpec spec;
  spec.time = cols.time;
  spec.event = cols.event;
  spec.event_value = cols.event_value;
  std::vector<double> y, time;
  std::vector<int> event;
  std::vector<uint8_t> ok;
  predict::read_outcome(T, spec, source, &y, &time, &event, &ok);

  // Arms: the control, then the treatments (default: every other label present).
  const Column& A = T.column(cols.arm);
  std::vector<std::string> present;
  for (size_t i = 0; i < T.num_rows(); ++i) {
    const std::string& l = A.dictionary[A.codes[i]];
    if (std::find(present.begin(), present.end(), l) == present.end()) present.push_back(l);
  }
  auto known = [&](const std::string& l, const char* what) {
    if (std::find(present.begin(), present.end(), l) == present.end())
      throw InvalidInput(source + ": " + what + " '" + l + "' is not a label of '" + cols.arm + "' in the rows used (labels: " +
                         join(present) + ")");
  };
  known(cols.control, "control");
  if (L.columns.treatments.empty())
    for (const auto& l : present)
      if (l != cols.control) L.columns.treatments.push_back(l);
  for (const auto& t : L.columns.treatments) {
    known(t, "treatment");
    if (t == cols.control) throw InvalidInput(source + ": treatment '" + t + "' is the control arm");
  }
  if (L.columns.treatments.empty()) throw InvalidInput(source + ": no treated arm besides the control");

  // Covariates.
  std::set<std::string> exclude{cols.arm, cols.time, cols.event};
  for (const auto& f : cols.where) exclude.insert(f.column);
  std::vector<std::string> cov = cols.covariates;
  if (cov.empty()) {
    for (const auto& c : schema.columns) {
      if (exclude.count(c.name) || T.find(c.name) < 0) continue;
      if (c.type != ColumnType::kNumerical && c.type != ColumnType::kBoolean && c.type != ColumnType::kCategorical) continue;
      const Column& col = T.column(c.name);
      std::set<std::string> distinct;
      bool integer = true;
      size_t present_n = 0;
      for (size_t i = 0; i < T.num_rows(); ++i) {
        if (col.is_missing(i)) continue;
        ++present_n;
        if (col.storage == Storage::kNumber) {
          integer = integer && col.values[i] == std::floor(col.values[i]);
          distinct.insert(std::to_string(col.values[i]));
        } else {
          integer = false;
          distinct.insert(col.dictionary[col.codes[i]]);
        }
      }
      if (distinct.size() < 2) {
        L.warnings.push_back("covariate '" + c.name + "' left out: constant in the rows used");
        continue;
      }
      if (integer && col.storage == Storage::kNumber && distinct.size() == present_n && present_n == T.num_rows()) {
        L.warnings.push_back("covariate '" + c.name + "' left out: a whole number unique per row (an identifier)");
        continue;
      }
      cov.push_back(c.name);
    }
  }
  if (cov.empty()) throw InvalidInput(source + ": no covariate to learn the patients from");
  for (const auto& c : cov) {
    if (T.find(c) < 0 || schema.find(c) < 0) throw InvalidInput(source + ": no covariate column '" + c + "'");
    if (exclude.count(c)) throw InvalidInput(source + ": covariate '" + c + "' is the arm, time, event or a filter column");
  }
  std::string spec_text;
  for (const auto& c : cov) spec_text += (spec_text.empty() ? "" : ",") + c;
  L.design = predict::Design::parse(spec_text, T, schema, {});
  L.design.missing = "impute";
  L.design.fit_imputation(T);

  // The patients: covariates of the learned rows, through the registry.
  std::vector<size_t> patient_rows;
  for (size_t i = 0; i < T.num_rows(); ++i)
    if (options.patients_from_all_arms || A.dictionary[A.codes[i]] == cols.control) patient_rows.push_back(i);
  const Table P0 = T.take(patient_rows);
  Table P;
  for (const auto& c : cov) {
    P.columns.push_back(P0.column(c));
    L.covariate_schema.columns.push_back(schema.column(c));
  }
  L.patients = tabular::create_synthesizer(options.synthesizer, options.synthesizer_params);
  L.patients->fit(P, L.covariate_schema, ctx);
  for (const auto& w : L.patients->warnings()) L.warnings.push_back(options.synthesizer + ": " + w);
  if (options.patients_from_all_arms) L.columns.control = cols.control;

  // Each arm's outcome model.
  const std::vector<double> X = L.design.matrix(T);
  const size_t p = L.design.terms.size();
  std::vector<std::string> labels{cols.control};
  for (const auto& t : L.columns.treatments) labels.push_back(t);
  for (const auto& label : labels) {
    ArmOutcome o;
    o.label = label;
    std::vector<double> xa, ta;
    std::vector<int> ea;
    for (size_t i = 0; i < T.num_rows(); ++i) {
      if (A.dictionary[A.codes[i]] != label) continue;
      for (size_t j = 0; j < p; ++j) xa.push_back(X[i * p + j] - L.design.means[j]);
      ta.push_back(time[i]);
      ea.push_back(event[i]);
      o.events += event[i];
    }
    o.patients = ta.size();
    if (o.events == 0) throw InvalidInput(source + ": arm '" + label + "' has no events to learn its outcome from");
    predict::NewtonParams np;
    np.l2 = 1e-3;  // a touch of ridge: a covariate constant within one arm would make the information singular
    const predict::LinearFit fit = predict::fit_cox(xa, o.patients, p, ta, ea, np);
    if (!fit.converged) L.warnings.push_back("arm '" + label + "': the Cox fit did not converge");
    o.beta = fit.beta;
    std::vector<double> eta(o.patients, 0.0);
    for (size_t i = 0; i < o.patients; ++i)
      for (size_t j = 0; j < p; ++j) eta[i] += xa[i * p + j] * o.beta[j];
    o.baseline = predict::baseline_hazard(eta, ta, ea);
    const double tk = o.baseline.times.back();
    o.tail_rate = std::max(0.0, (o.baseline.cumhaz.back() - o.cumhaz(0.75 * tk)) / (0.25 * tk));
    L.arms.push_back(std::move(o));
  }
  L.censoring = predict::censoring_km(time, event);
  L.max_followup = *std::max_element(time.begin(), time.end());
  return L;
}

}  // namespace medgen::trial
