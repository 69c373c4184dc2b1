#include "medgen/sim/alarms.h"

#include <cstdio>

#include "medgen/sim/json_source.h"

namespace medgen::sim {

const char* alarm_priority_name(AlarmPriority p) {
  switch (p) {
    case AlarmPriority::kHigh: return "high";
    case AlarmPriority::kMedium: return "medium";
    default: return "low";
  }
}

std::string AlarmLimit::text() const {
  if (event) return "EVENT the patient is " + label + " (" + display + ")";
  char num[32];
  std::snprintf(num, sizeof num, "%g", on);
  return std::string("ALARM [") + alarm_priority_name(priority) + "] " + label + ": " + display +
         (low ? " below " : " above ") + num + (unit.empty() ? "" : (unit[0] == '%' || unit[0] == '/' ? "" : " ") + unit);
}

const std::vector<AlarmLimit>& default_alarm_limits() {
  using P = AlarmPriority;
  static const std::vector<AlarmLimit> k = {
      {"map_low", "map", true, 65, 68, P::kMedium, "hypotension", "MAP", "mmHg"},
      {"map_critical", "map", true, 50, 53, P::kHigh, "severe hypotension", "MAP", "mmHg"},
      {"hr_high", "hr", false, 130, 125, P::kMedium, "tachycardia", "HR", "/min"},
      {"hr_low", "hr", true, 45, 50, P::kHigh, "bradycardia", "HR", "/min"},
      {"spo2_low", "spo2", true, 90, 92, P::kMedium, "desaturation", "SpO2", "%"},
      {"spo2_critical", "spo2", true, 80, 83, P::kHigh, "severe desaturation", "SpO2", "%"},
      {"rr_low", "rr", true, 8, 10, P::kHigh, "bradypnoea", "RR", "/min"},
      {"rr_high", "rr", false, 30, 27, P::kMedium, "tachypnoea", "RR", "/min"},
      {"temp_high", "temp", false, 38.5, 38.2, P::kLow, "fever", "temperature", "\xc2\xb0" "C"},
      {"gcs_low", "gcs", true, 9, 10, P::kHigh, "unresponsive", "GCS 8 or less", "", true, true},
  };
  return k;
}

std::vector<AlarmLimit> adjust_alarm_limits(const std::vector<AlarmLimit>& limits, const JsonSource& src,
                                            const std::string& ptr) {
  std::vector<AlarmLimit> out = limits;
  std::string ids;
  for (const auto& l : out) ids += (ids.empty() ? "" : ", ") + l.id;
  for (const auto& [id, spec] : src.object(ptr).items()) {
    const std::string p = ptr + "/" + pointer_key(id);
    AlarmLimit* l = nullptr;
    for (auto& x : out)
      if (x.id == id) l = &x;
    if (!l) src.fail(p, "unknown alarm '" + id + "' (alarms: " + ids + ")");
    src.check_keys(p, {"below", "above", "priority", "enabled"});
    if (src.has(p + "/below") || src.has(p + "/above")) {
      const char* key = l->low ? "below" : "above";
      if (!src.has(p + "/" + key))
        src.fail(p, "alarm '" + id + "' fires " + (l->low ? "below" : "above") + " a value: give \"" + key + "\"");
      const double v = src.number(p + "/" + key, -1000, 1000);
      l->off += v - l->on;
      l->on = v;
    }
    if (src.has(p + "/priority")) {
      const std::string pr = src.string(p + "/priority");
      if (pr == "high")
        l->priority = AlarmPriority::kHigh;
      else if (pr == "medium")
        l->priority = AlarmPriority::kMedium;
      else if (pr == "low")
        l->priority = AlarmPriority::kLow;
      else
        src.fail(p + "/priority", "priority must be high, medium or low (IEC 60601-1-8)");
    }
    if (src.has(p + "/enabled")) {
      if (!src.root().at(nlohmann::json::json_pointer(p + "/enabled")).is_boolean())
        src.fail(p + "/enabled", "'enabled' must be true or false");
      l->enabled = src.root().at(nlohmann::json::json_pointer(p + "/enabled")).get<bool>();
    }
  }
  return out;
}

}  // namespace medgen::sim
