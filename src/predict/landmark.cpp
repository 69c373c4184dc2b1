#include "medgen/predict/landmark.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "medgen/core/error.h"

namespace medgen::predict {

using json = nlohmann::json;

namespace {

const std::vector<std::string> kSummaries = {"last", "mean", "slope", "min", "max", "count"};

// A patient key that compares equal across the two files whether the id was read as a number or
// as a label ("7" and 7.0 are the same patient).
std::string key(const Column& c, size_t i) {
  if (c.is_missing(i)) return {};
  if (c.storage == Storage::kString) {
    const std::string& s = c.dictionary[c.codes[i]];
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0' && std::isfinite(v)) {
      char b[40];
      std::snprintf(b, sizeof b, "%.17g", v);
      return b;
    }
    return s;
  }
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", c.values[i]);
  return b;
}

const Column& need(const Table& t, const std::string& name, const std::string& source, const char* what) {
  const int ci = t.find(name);
  if (ci < 0) throw InvalidInput(source + ": no column '" + name + "' (" + what + ")");
  return t.columns[ci];
}

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

}  // namespace

void LandmarkOptions::validate() const {
  if (id.empty()) throw InvalidInput("--visits needs --id (the patient column in both tables)");
  if (time.empty()) throw InvalidInput("--visits needs --visit-time (the visit time column)");
  if (!(window > 0) || !std::isfinite(window)) throw InvalidInput("--window must be > 0 (the landmark, in the outcome's time units)");
  if (columns.empty()) throw InvalidInput("--visits needs --visit-columns (the lab columns to summarise)");
  if (summaries.empty()) throw InvalidInput("--summaries: give at least one of last, mean, slope, min, max, count");
  for (const auto& s : summaries)
    if (std::find(kSummaries.begin(), kSummaries.end(), s) == kSummaries.end())
      throw InvalidInput("--summaries: unknown summary '" + s + "' (last, mean, slope, min, max, count)");
  if (!(slope_per > 0) || !std::isfinite(slope_per)) throw InvalidInput("--slope-per must be > 0");
}

LandmarkTable landmark_table(const Table& base, const Schema& base_schema, const std::string& base_source,
                             const Table& visits, const Schema& visits_schema, const std::string& visits_source,
                             const OutcomeSpec& outcome, const LandmarkOptions& o) {
  o.validate();
  if (outcome.task() != Task::kSurvival)
    throw InvalidInput("--visits (landmark features) needs a time to event (--time, --event)");
  const double w = o.window;
  const Column& bid = need(base, o.id, base_source, "--id");
  const Column& vid = need(visits, o.id, visits_source, "--id");
  const Column& vt = need(visits, o.time, visits_source, "--visit-time");
  if (vt.storage != Storage::kNumber)
    throw InvalidInput(visits_source + ": visit time column '" + o.time + "' is not numerical");
  std::vector<const Column*> labs;
  for (const auto& c : o.columns) {
    const Column& col = need(visits, c, visits_source, "--visit-columns");
    const int si = visits_schema.find(c);
    if (col.storage != Storage::kNumber || (si >= 0 && visits_schema.columns[si].type != ColumnType::kNumerical))
      throw InvalidInput(visits_source + ": visit column '" + c + "' is not numerical");
    if (c == o.id || c == o.time) throw InvalidInput(visits_source + ": --visit-columns cannot hold the id or the visit time");
    labs.push_back(&col);
  }
  OutcomeSpec clock = outcome;
  clock.horizon = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> y, time;
  std::vector<int> event;
  std::vector<uint8_t> ok;
  read_outcome(base, clock, base_source, &y, &time, &event, &ok);

  // Visits in the window, per patient, in time order.
  std::unordered_map<std::string, std::vector<size_t>> by_patient;
  for (size_t r = 0; r < visits.num_rows(); ++r) {
    if (vid.is_missing(r) || !vt.valid[r] || !std::isfinite(vt.values[r]) || vt.values[r] > w) continue;
    by_patient[key(vid, r)].push_back(r);
  }
  for (auto& [k, rows] : by_patient)
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return vt.values[a] < vt.values[b]; });

  std::map<std::string, size_t> seen;
  std::vector<size_t> keep;
  size_t before = 0, no_visit = 0, no_outcome = 0;
  double max_time = 0;
  for (size_t i = 0; i < base.num_rows(); ++i) {
    const std::string k = key(bid, i);
    if (k.empty()) throw InvalidInput(base_source + ":" + std::to_string(i + 2) + ": patient id '" + o.id + "' is missing");
    if (seen.count(k))
      throw InvalidInput(base_source + ":" + std::to_string(i + 2) + ": patient '" + k + "' appears twice in column '" + o.id +
                         "' (the baseline table has one row per patient)");
    seen[k] = i;
    if (!ok[i]) {
      ++no_outcome;
      continue;
    }
    max_time = std::max(max_time, time[i]);
    if (time[i] <= w) ++before;
    else if (!by_patient.count(k)) ++no_visit;
    else keep.push_back(i);
  }
  if (keep.empty()) {
    if (max_time <= w)
      throw InvalidInput(base_source + ": --window " + num(w) + " is beyond every patient's follow-up (longest " + num(max_time) +
                         ") in column '" + outcome.time + "'");
    throw InvalidInput(visits_source + ": no patient of " + base_source + " has a visit by --window " + num(w) +
                       " (are the ids in column '" + o.id + "' the same in both files?)");
  }

  LandmarkTable out;
  out.table = base.take(keep);
  out.schema = base_schema;
  Column& tcol = out.table.columns[out.table.find(outcome.time)];
  for (size_t r = 0; r < keep.size(); ++r) tcol.values[r] = time[keep[r]] - w;
  const int ts = out.schema.find(outcome.time);
  if (ts >= 0) {
    out.schema.columns[ts].min = std::numeric_limits<double>::quiet_NaN();
    out.schema.columns[ts].max = std::numeric_limits<double>::quiet_NaN();
    out.schema.columns[ts].integer = false;
  }
  auto add = [&](const std::string& name) -> Column& {
    if (out.table.find(name) >= 0) throw InvalidInput(base_source + ": already has a column '" + name + "' (a summary's name)");
    out.table.columns.push_back(Column::numbers(name, keep.size()));
    ColumnSchema cs;
    cs.name = name;
    cs.type = ColumnType::kNumerical;
    cs.decimals = 6;
    out.schema.columns.push_back(cs);
    out.added.push_back(name);
    return out.table.columns.back();
  };
  auto wants = [&](const char* s) { return std::find(o.summaries.begin(), o.summaries.end(), s) != o.summaries.end(); };
  for (size_t c = 0; c < labs.size(); ++c) {
    for (const char* s : {"last", "mean", "slope", "min", "max"}) {
      if (!wants(s)) continue;
      add(o.columns[c] + "_" + s);
      const size_t dst_index = out.table.columns.size() - 1;  // an index: later columns move the vector
      for (size_t r = 0; r < keep.size(); ++r) {
        const std::vector<size_t>& rows = by_patient.at(key(bid, keep[r]));
        std::vector<double> t, v;
        for (size_t vr : rows)
          if (labs[c]->valid[vr] && std::isfinite(labs[c]->values[vr])) t.push_back(vt.values[vr]), v.push_back(labs[c]->values[vr]);
        if (v.empty()) continue;
        double value = std::numeric_limits<double>::quiet_NaN();
        const std::string sum = s;
        if (sum == "last") value = v.back();
        else if (sum == "min") value = *std::min_element(v.begin(), v.end());
        else if (sum == "max") value = *std::max_element(v.begin(), v.end());
        else if (sum == "mean") {
          value = 0;
          for (double a : v) value += a / v.size();
        } else {
          double mt = 0, mv = 0;
          for (size_t k = 0; k < v.size(); ++k) mt += t[k] / v.size(), mv += v[k] / v.size();
          double sxy = 0, sxx = 0;
          for (size_t k = 0; k < v.size(); ++k) sxy += (t[k] - mt) * (v[k] - mv), sxx += (t[k] - mt) * (t[k] - mt);
          if (sxx > 0) value = sxy / sxx * o.slope_per;
        }
        if (std::isfinite(value)) {
          Column& col = out.table.columns[dst_index];
          col.values[r] = value;
          col.valid[r] = 1;
        }
      }
    }
  }
  if (wants("count")) {
    add("visit_count");
    Column& col = out.table.columns.back();
    for (size_t r = 0; r < keep.size(); ++r) {
      col.values[r] = static_cast<double>(by_patient.at(key(bid, keep[r])).size());
      col.valid[r] = 1;
    }
  }
  out.report = json{{"visits", visits_source},
                    {"landmark", w},
                    {"rows", base.num_rows()},
                    {"left_out_event_or_censored_by_landmark", before},
                    {"left_out_no_visit_in_window", no_visit},
                    {"left_out_missing_outcome", no_outcome},
                    {"kept", keep.size()},
                    {"summaries", out.added},
                    {"clock", "outcome time restarts at the landmark: time - " + num(w)}};
  return out;
}

}  // namespace medgen::predict
