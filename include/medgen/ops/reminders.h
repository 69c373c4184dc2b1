// Reminders and follow-ups.
// Reminders: for each booked Appointment (e.g. `medgen ops schedule`'s output), who is reminded,
// when and how, targeted by the appointment's no-show probability (extension
// noshow-probability): low risk one message by the patient's preferred channel 2 days before;
// medium risk an extra SMS the day before; high risk a phone call 2 days before plus an SMS the
// day before. The channel follows the Patient's telecom (lowest rank first; a phone without
// SMS use "home"/"work" landline gets calls only). Texts come from templates (data files
// data/ops/reminders/<language>.json) in the patient's language (Patient.communication,
// preferred first), falling back to English. Output: FHIR CommunicationRequest resources.
// Follow-ups: CarePlan activities with timing (scheduledPeriod, or scheduledTiming with
// boundsPeriod.start and repeat.period/periodUnit, count or boundsPeriod.end) become
// ServiceRequests with an occurrence window, ready for `medgen ops schedule`.
// Thread safety: pure functions.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace medgen::ops {

struct ReminderTemplates {
  std::map<std::string, nlohmann::json> by_language;  // "en" -> {"sms": ..., "email": ..., "call": ...}
  // Reads every *.json in `dir`; each needs language, sms, email, call, followup strings.
  static ReminderTemplates load(const std::string& dir);
  static std::string default_dir();  // data/ops/reminders of the source or install tree
};

struct ReminderParams {
  double medium_risk = 0.15;  // at or above: an extra SMS the day before
  double high_risk = 0.30;    // at or above: a call 2 days before
  void validate() const;
};

// `bundle`: Appointments and the Patients they name (one Bundle, or the schedule's output plus
// the input bundle's Patients merged by the caller). Returns a Bundle of CommunicationRequests
// and a summary in *summary.
nlohmann::ordered_json plan_reminders(const nlohmann::json& bundle, const std::string& source,
                                      const ReminderTemplates& t, const ReminderParams& p,
                                      nlohmann::ordered_json* summary);

// CarePlans in `bundle` -> a Bundle of ServiceRequests (one per due follow-up, at most 100 per
// activity).
nlohmann::ordered_json plan_followups(const nlohmann::json& bundle, const std::string& source, nlohmann::ordered_json* summary);

}  // namespace medgen::ops
