// Monitor alarms like a bedside monitor's: a limit per variable with a priority (high, medium, low as
// in IEC 60601-1-8), hysteresis, silencing (audio paused for a time) and acknowledgement. The limits
// are the defaults below unless a case (curriculum entry) or a script adjusts them.
#pragma once

#include <string>
#include <vector>

namespace medgen::sim {

class JsonSource;

enum class AlarmPriority { kLow = 0, kMedium = 1, kHigh = 2 };
const char* alarm_priority_name(AlarmPriority p);  // "low", "medium", "high"

struct AlarmLimit {
  std::string id;        // "map_low"
  std::string variable;  // as in rubrics ("map", "hr", "spo2", "rr", "temp", "gcs")
  bool low = true;       // fires below `on` (else above)
  double on = 0;         // threshold
  double off = 0;        // released when back past this (hysteresis)
  AlarmPriority priority = AlarmPriority::kMedium;
  std::string label;     // "hypotension"
  std::string display;   // "MAP below 65 mmHg" is built from `display`, `on` and `unit`
  std::string unit;
  bool enabled = true;
  bool event = false;  // an event rather than an alarm (unresponsiveness): shown whatever the monitor

  // "ALARM [medium] hypotension: MAP below 65 mmHg" (events: "EVENT the patient is unresponsive ...").
  std::string text() const;
};

// map_low (< 65, medium), map_critical (< 50, high), hr_high (> 130, medium), hr_low (< 45, high),
// spo2_low (< 90, medium), spo2_critical (< 80, high), rr_low (< 8, high), rr_high (> 30, medium),
// temp_high (> 38.5 C, low), gcs_low (unresponsive, an event).
const std::vector<AlarmLimit>& default_alarm_limits();

// Adjusts `limits` from the object at `ptr` in `src`: {"map_low": {"below": 60, "priority": "high"},
// "hr_high": {"above": 140}, "temp_high": {"enabled": false}}. The release point moves with the
// threshold. Unknown ids, keys or priorities, or "above" for a low limit, are located errors.
std::vector<AlarmLimit> adjust_alarm_limits(const std::vector<AlarmLimit>& limits, const JsonSource& src,
                                            const std::string& ptr);

// One alarm from onset to its end, for the debrief and the session record.
struct AlarmRecord {
  std::string id, text;
  AlarmPriority priority = AlarmPriority::kMedium;
  double value = 0;              // the variable at onset
  double on_s = 0;               // onset
  double acknowledged_s = -1;    // when acknowledged (-1: never)
  double cleared_s = -1;         // when the variable came back (-1: still active at the end)
  bool while_silenced = false;   // began while the audio was paused
  bool unseen = false;           // examiner mode: no monitor attached at onset
};

}  // namespace medgen::sim
