#include "medgen/predict/design.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/ranks.h"

namespace medgen::predict {

using json = nlohmann::json;

namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

bool truthy(const std::string& s) {
  std::string l = s;
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "1" || l == "true" || l == "yes" || l == "y" || l == "t";
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Per row: 1 / 0 for the positive / other label, -1 where missing. Numeric columns: `positive`
// parsed as a number, else "nonzero" (event) or "the larger of two values" (binary).
std::vector<int> labels(const Column& c, const std::string& positive, bool nonzero_default, const std::string& what,
                        const std::string& source) {
  const size_t n = c.size();
  std::vector<int> out(n, -1);
  if (c.count_missing() == n) throw InvalidInput(source + ": " + what + " column '" + c.name + "' has no values (all missing)");
  if (c.storage == Storage::kString) {
    int pos = -1;
    if (!positive.empty()) {
      for (size_t k = 0; k < c.dictionary.size(); ++k)
        if (c.dictionary[k] == positive) pos = static_cast<int>(k);
      if (pos < 0) throw InvalidInput(source + ": " + what + " column '" + c.name + "' has no value '" + positive + "'");
    } else {
      for (size_t k = 0; k < c.dictionary.size(); ++k)
        if (truthy(c.dictionary[k])) pos = static_cast<int>(k);
      if (pos < 0 && c.dictionary.size() == 2) pos = 1;
      if (pos < 0)
        throw InvalidInput(source + ": " + what + " column '" + c.name + "' has " + std::to_string(c.dictionary.size()) +
                           " labels and none means yes; name the positive one (--positive / --event-value)");
    }
    for (size_t i = 0; i < n; ++i)
      if (c.codes[i] >= 0) out[i] = c.codes[i] == pos;
    return out;
  }
  double pos_value = std::numeric_limits<double>::quiet_NaN();
  if (!positive.empty()) {
    try {
      size_t used = 0;
      pos_value = std::stod(positive, &used);
      if (used != positive.size()) throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw InvalidInput(source + ": " + what + " value '" + positive + "' is not a number, and column '" + c.name +
                         "' is numerical");
    }
  }
  std::set<double> seen;
  for (size_t i = 0; i < n; ++i)
    if (c.valid[i]) seen.insert(c.values[i]);
  if (std::isnan(pos_value) && !nonzero_default) {
    if (seen.size() > 2)
      throw InvalidInput(source + ": outcome column '" + c.name + "' has " + std::to_string(seen.size()) +
                         " distinct values; a binary outcome has two (or name the positive one with --positive)");
    pos_value = seen.empty() ? 1 : *seen.rbegin();
  }
  if (!std::isnan(pos_value) && !seen.count(pos_value))
    throw InvalidInput(source + ": " + what + " column '" + c.name + "' never takes the value " + positive);
  for (size_t i = 0; i < n; ++i) {
    if (!c.valid[i]) continue;
    out[i] = std::isnan(pos_value) ? c.values[i] != 0 : c.values[i] == pos_value;
  }
  return out;
}

}  // namespace

json OutcomeSpec::to_json() const {
  json j{{"task", task() == Task::kBinary ? "binary" : "survival"}};
  if (task() == Task::kBinary) {
    j["outcome"] = outcome;
    j["positive"] = positive;
  } else {
    j["time"] = time;
    j["event"] = event;
    j["event_value"] = event_value;
    if (std::isfinite(horizon)) j["horizon"] = horizon;
  }
  return j;
}

OutcomeSpec OutcomeSpec::from_json(const json& j) {
  OutcomeSpec s;
  s.outcome = j.value("outcome", "");
  s.positive = j.value("positive", "");
  s.time = j.value("time", "");
  s.event = j.value("event", "");
  s.event_value = j.value("event_value", "");
  if (j.contains("horizon")) s.horizon = j.at("horizon").get<double>();
  return s;
}

std::string Term::name() const {
  if (transform == "log") return "log(" + column + ")";
  if (transform == "level") return column + "=" + level;
  return column;
}

Design Design::parse(const std::string& spec, const Table& table, const Schema& schema,
                     const std::vector<std::string>& exclude) {
  std::vector<std::pair<std::string, std::string>> wanted;  // column, transform
  if (trim(spec).empty()) {
    for (const auto& c : schema.columns) {
      if (std::find(exclude.begin(), exclude.end(), c.name) != exclude.end()) continue;
      if (c.type == ColumnType::kNumerical || c.type == ColumnType::kBoolean || c.type == ColumnType::kCategorical)
        wanted.emplace_back(c.name, "");
    }
  } else {
    size_t start = 0;
    while (start <= spec.size()) {
      size_t comma = spec.find(',', start);
      if (comma == std::string::npos) comma = spec.size();
      std::string t = trim(spec.substr(start, comma - start));
      start = comma + 1;
      if (t.empty()) continue;
      std::string tr;
      if (t.size() > 5 && t.compare(0, 4, "log(") == 0 && t.back() == ')') {
        tr = "log";
        t = trim(t.substr(4, t.size() - 5));
      }
      if (std::find(exclude.begin(), exclude.end(), t) != exclude.end())
        throw InvalidInput("--features: '" + t + "' is the outcome; a model cannot use it as a feature");
      wanted.emplace_back(t, tr);
    }
  }
  Design d;
  for (const auto& [col, tr] : wanted) {
    const int si = schema.find(col);
    if (si < 0 || table.find(col) < 0) throw InvalidInput("--features: no column '" + col + "' in the data");
    const ColumnSchema& cs = schema.columns[si];
    const Column& c = table.columns[table.find(col)];
    if (cs.type == ColumnType::kDatetime || cs.type == ColumnType::kIdentifier || cs.type == ColumnType::kText)
      throw InvalidInput("--features: column '" + col + "' is " + to_string(cs.type) + "; use numerical or categorical columns");
    if (c.storage == Storage::kNumber) {
      d.terms.push_back(Term{col, tr, "", 0});
      continue;
    }
    if (tr == "log") throw InvalidInput("--features: log(" + col + ") of a categorical column");
    // One indicator per level but the most frequent (the reference).
    std::vector<size_t> count(c.dictionary.size(), 0);
    for (int32_t k : c.codes)
      if (k >= 0) ++count[k];
    const size_t ref = std::max_element(count.begin(), count.end()) - count.begin();
    for (size_t k = 0; k < c.dictionary.size(); ++k)
      if (k != ref && count[k] > 0) d.terms.push_back(Term{col, "level", c.dictionary[k], 0});
  }
  if (d.terms.empty()) throw InvalidInput("--features: no usable feature columns");
  return d;
}

std::vector<double> Design::matrix(const Table& table, std::vector<uint8_t>* complete) const {
  const size_t n = table.num_rows(), p = terms.size();
  std::vector<double> x(n * p, std::nan(""));
  if (complete) complete->assign(n, 1);
  for (size_t j = 0; j < p; ++j) {
    const Term& t = terms[j];
    const int ci = table.find(t.column);
    if (ci < 0) throw InvalidInput("the data has no column '" + t.column + "' (a feature of the model)");
    const Column& c = table.columns[ci];
    if (t.transform == "level") {
      if (c.storage != Storage::kString)
        throw InvalidInput("column '" + t.column + "' is numerical here but categorical in the model");
      int code = -1;
      for (size_t k = 0; k < c.dictionary.size(); ++k)
        if (c.dictionary[k] == t.level) code = static_cast<int>(k);
      for (size_t i = 0; i < n; ++i)
        if (c.codes[i] >= 0) x[i * p + j] = c.codes[i] == code;
    } else {
      if (c.storage != Storage::kNumber)
        throw InvalidInput("column '" + t.column + "' is categorical here but numerical in the model");
      for (size_t i = 0; i < n; ++i) {
        if (!c.valid[i]) continue;
        const double v = c.values[i];
        if (t.transform == "log") {
          if (v > 0) x[i * p + j] = std::log(v);
        } else {
          x[i * p + j] = v;
        }
      }
    }
    for (size_t i = 0; i < n; ++i) {
      double& v = x[i * p + j];
      if (!std::isnan(v)) continue;
      if (complete) (*complete)[i] = 0;
      if (missing == "impute") v = t.impute;
    }
  }
  return x;
}

void Design::fit_imputation(const Table& table) {
  Design keep = *this;
  keep.missing = "keep";
  const std::vector<double> x = keep.matrix(table);
  const size_t n = table.num_rows(), p = terms.size();
  means.assign(p, 0);
  for (size_t j = 0; j < p; ++j) {
    std::vector<double> v;
    for (size_t i = 0; i < n; ++i)
      if (!std::isnan(x[i * p + j])) v.push_back(x[i * p + j]);
    terms[j].impute = median_of(v);
    double s = 0;
    for (double a : v) s += a;
    means[j] = v.empty() ? 0 : s / v.size();
  }
}

std::vector<std::string> Design::names() const {
  std::vector<std::string> out;
  for (const auto& t : terms) out.push_back(t.name());
  return out;
}

std::vector<std::string> Design::columns() const {
  std::vector<std::string> out;
  for (const auto& t : terms)
    if (std::find(out.begin(), out.end(), t.column) == out.end()) out.push_back(t.column);
  return out;
}

json Design::to_json() const {
  json terms_j = json::array();
  for (const auto& t : terms)
    terms_j.push_back({{"column", t.column}, {"transform", t.transform}, {"level", t.level}, {"impute", t.impute}});
  return json{{"terms", terms_j}, {"missing", missing}, {"means", means}};
}

Design Design::from_json(const json& j, const std::string& where) {
  Design d;
  try {
    for (const auto& t : j.at("terms")) {
      Term term{t.at("column").get<std::string>(), t.at("transform").get<std::string>(), t.at("level").get<std::string>(),
                t.at("impute").get<double>()};
      if (term.transform != "" && term.transform != "log" && term.transform != "level")
        throw InvalidInput(where + ": unknown transform '" + term.transform + "'");
      d.terms.push_back(term);
    }
    d.missing = j.at("missing").get<std::string>();
    d.means = j.at("means").get<std::vector<double>>();
  } catch (const json::exception& e) {
    throw InvalidInput(where + ": design: " + e.what());
  }
  if (d.terms.empty() || d.means.size() != d.terms.size()) throw InvalidInput(where + ": design: terms and means differ");
  if (d.missing != "drop" && d.missing != "impute" && d.missing != "keep")
    throw InvalidInput(where + ": design: unknown missing rule '" + d.missing + "'");
  return d;
}

Dataset Dataset::take(const std::vector<size_t>& idx) const {
  Dataset d;
  d.task = task;
  d.p = p;
  d.names = names;
  d.n = idx.size();
  d.x.reserve(idx.size() * p);
  for (size_t i : idx) {
    d.x.insert(d.x.end(), x.begin() + i * p, x.begin() + (i + 1) * p);
    if (task == Task::kBinary) {
      d.y.push_back(y[i]);
    } else {
      d.time.push_back(time[i]);
      d.event.push_back(event[i]);
    }
    d.rows.push_back(rows[i]);
  }
  return d;
}

std::string resolve_labels(const Table& table, OutcomeSpec* spec) {
  const bool binary = spec->task() == Task::kBinary;
  const std::string& name = binary ? spec->outcome : spec->event;
  std::string& label = binary ? spec->positive : spec->event_value;
  const int ci = table.find(name);
  if (!label.empty() || ci < 0) return "";
  const Column& c = table.columns[ci];
  if (c.storage != Storage::kString || c.dictionary.size() != 2) return "";
  for (const auto& d : c.dictionary)
    if (truthy(d)) return "";
  size_t count[2] = {0, 0};
  for (int32_t k : c.codes)
    if (k >= 0) ++count[k];
  label = c.dictionary[count[1] < count[0] ? 1 : 0];
  return "'" + name + "': '" + label + "' (the rarer label) taken as " + (binary ? "the positive outcome" : "the event") +
         "; name it with " + (binary ? "--positive" : "--event-value");
}

void read_outcome(const Table& table, const OutcomeSpec& spec, const std::string& source, std::vector<double>* y,
                  std::vector<double>* time, std::vector<int>* event, std::vector<uint8_t>* ok) {
  const size_t n = table.num_rows();
  ok->assign(n, 1);
  auto col = [&](const std::string& name, const char* what) -> const Column& {
    const int ci = table.find(name);
    if (ci < 0) throw InvalidInput(source + ": no " + std::string(what) + " column '" + name + "'");
    return table.columns[ci];
  };
  if (spec.task() == Task::kBinary) {
    if (spec.outcome.empty()) throw InvalidInput("give the outcome: --outcome COLUMN, or --time and --event");
    const std::vector<int> l = labels(col(spec.outcome, "outcome"), spec.positive, false, "outcome", source);
    y->assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      if (l[i] < 0) (*ok)[i] = 0;
      else (*y)[i] = l[i];
    }
    return;
  }
  if (spec.event.empty()) throw InvalidInput("--time needs --event (the event indicator column)");
  const Column& tc = col(spec.time, "time");
  if (tc.storage != Storage::kNumber) throw InvalidInput(source + ": time column '" + spec.time + "' is not numerical");
  const std::vector<int> l = labels(col(spec.event, "event"), spec.event_value, true, "event", source);
  time->assign(n, 0);
  event->assign(n, 0);
  double max_time = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!tc.valid[i] || l[i] < 0) {
      (*ok)[i] = 0;
      continue;
    }
    const double t = tc.values[i];
    if (!(t > 0) || !std::isfinite(t))
      throw InvalidInput(located(source, i + 2, static_cast<size_t>(table.find(spec.time)) + 1,
                                 "time '" + spec.time + "' must be > 0, got " + num(t)));
    (*time)[i] = t;
    (*event)[i] = l[i];
    max_time = std::max(max_time, t);
  }
  if (!std::isnan(spec.horizon) && (!std::isfinite(spec.horizon) || spec.horizon <= 0 || spec.horizon >= max_time))
    throw InvalidInput(source + ": --horizon " + num(spec.horizon) + " must lie inside the follow-up (0, " + num(max_time) + ")");
}

Dataset make_dataset(const Table& table, const Design& design, const OutcomeSpec& spec, const std::string& source,
                     bool check) {
  Dataset d;
  d.task = spec.task();
  std::vector<double> y, time;
  std::vector<int> event;
  std::vector<uint8_t> ok, complete;
  read_outcome(table, spec, source, &y, &time, &event, &ok);
  const std::vector<double> x = design.matrix(table, &complete);
  d.p = design.terms.size();
  d.names = design.names();
  for (size_t i = 0; i < table.num_rows(); ++i) {
    if (!ok[i] || (design.missing == "drop" && !complete[i])) {
      ++d.dropped_missing;
      continue;
    }
    d.x.insert(d.x.end(), x.begin() + i * d.p, x.begin() + (i + 1) * d.p);
    if (d.task == Task::kBinary) d.y.push_back(y[i]);
    else {
      d.time.push_back(time[i]);
      d.event.push_back(event[i]);
    }
    d.rows.push_back(i);
  }
  d.n = d.rows.size();
  if (!check) return d;
  const std::string what = spec.task() == Task::kBinary ? "outcome '" + spec.outcome + "'" : "event '" + spec.event + "'";
  if (d.n == 0) throw InvalidInput(source + ": no rows with the " + what + " and every feature present");
  size_t pos = 0;
  for (size_t i = 0; i < d.n; ++i) pos += d.task == Task::kBinary ? d.y[i] != 0 : d.event[i] != 0;
  if (pos == 0 || (d.task == Task::kBinary && pos == d.n))
    throw InvalidInput(source + ": " + what + " is constant over the " + std::to_string(d.n) +
                       " usable rows (nothing to predict)");
  if (d.n < 2 * d.p + 2)
    throw InvalidInput(source + ": " + std::to_string(d.n) + " usable rows for " + std::to_string(d.p) +
                       " features: too few to fit");
  return d;
}

std::vector<std::string> leak_warnings(const Dataset& d) {
  std::vector<std::string> out;
  std::vector<int> label(d.n);
  for (size_t i = 0; i < d.n; ++i) label[i] = d.task == Task::kBinary ? d.y[i] != 0 : d.event[i] != 0;
  for (size_t j = 0; j < d.p; ++j) {
    std::vector<double> v;
    std::vector<int> lab;
    std::vector<double> t;
    for (size_t i = 0; i < d.n; ++i) {
      const double x = d.row_value(i, j);
      if (std::isnan(x)) continue;
      v.push_back(x);
      lab.push_back(label[i]);
      if (d.task == Task::kSurvival) t.push_back(d.time[i]);
    }
    if (v.size() < 10) continue;
    const double auc = roc_auc(v, lab);
    if (std::max(auc, 1 - auc) >= 0.99) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3f", std::max(auc, 1 - auc));
      out.push_back("feature '" + d.names[j] + "' separates the " + (d.task == Task::kBinary ? "outcome" : "event") +
                    " on its own (AUROC " + buf + "): it leaks the outcome");
      continue;
    }
    if (d.task == Task::kSurvival) {
      double mx = 0, mt = 0;
      for (size_t i = 0; i < v.size(); ++i) mx += v[i], mt += t[i];
      mx /= v.size();
      mt /= v.size();
      double sxy = 0, sxx = 0, syy = 0;
      for (size_t i = 0; i < v.size(); ++i) {
        sxy += (v[i] - mx) * (t[i] - mt);
        sxx += (v[i] - mx) * (v[i] - mx);
        syy += (t[i] - mt) * (t[i] - mt);
      }
      if (sxx > 0 && syy > 0 && std::abs(sxy / std::sqrt(sxx * syy)) >= 0.99)
        out.push_back("feature '" + d.names[j] + "' is a near-copy of the follow-up time: it leaks the outcome");
    }
  }
  return out;
}

}  // namespace medgen::predict
