// Reminder plans and care-plan follow-ups (see reminders.h).
#include "medgen/ops/reminders.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/version.h"
#include "medgen/ops/schedule.h"
#include "medgen/ops/util.h"

namespace fs = std::filesystem;

namespace medgen::ops {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

std::string ReminderTemplates::default_dir() {
  if (const char* e = std::getenv("MEDGEN_OPS_DATA"); e && *e) return std::string(e) + "/reminders";
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/ops/reminders";
  if (fs::is_directory(built)) return built;
  return "data/ops/reminders";
}

ReminderTemplates ReminderTemplates::load(const std::string& dir) {
  if (!fs::is_directory(dir)) throw InvalidInput(dir + ": reminder template folder not found");
  ReminderTemplates t;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string src = f.string();
    json j = parse_json_located(read_file(src, 1 << 20), src);
    if (!j.is_object()) throw InvalidInput(src + ": a template file is a JSON object");
    for (const char* k : {"language", "sms", "email", "call", "followup"})
      if (!j.contains(k) || !j[k].is_string() || j[k].get<std::string>().empty())
        throw InvalidInput(src + ": '" + k + "' must be a non-empty string");
    const std::string lang = j["language"].get<std::string>();
    if (t.by_language.count(lang)) throw InvalidInput(src + ": language '" + lang + "' defined twice");
    t.by_language[lang] = j;
  }
  if (!t.by_language.count("en")) throw InvalidInput(dir + ": no English templates (language \"en\")");
  return t;
}

void ReminderParams::validate() const {
  if (!(medium_risk >= 0 && medium_risk <= high_risk && high_risk <= 1))
    throw InvalidInput("risk thresholds need 0 <= medium <= high <= 1");
}

namespace {

std::string s_of(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string fill(std::string t, const std::map<std::string, std::string>& v) {
  for (const auto& [k, val] : v) {
    const std::string key = "{" + k + "}";
    for (size_t pos = 0; (pos = t.find(key, pos)) != std::string::npos; pos += val.size()) t.replace(pos, key.size(), val);
  }
  return t;
}

struct Contact {
  std::string name = "patient", language = "en", sms, email, phone;
  std::string preferred;  // sms | email | call
};

Contact contact_of(const json& patient) {
  Contact c;
  if (auto n = patient.find("name"); n != patient.end() && n->is_array() && !n->empty() && (*n)[0].is_object()) {
    const json& nm = (*n)[0];
    std::string given;
    if (nm.contains("given") && nm["given"].is_array() && !nm["given"].empty() && nm["given"][0].is_string())
      given = nm["given"][0].get<std::string>();
    const std::string fam = s_of(nm, "family");
    c.name = given.empty() ? (fam.empty() ? "patient" : fam) : (fam.empty() ? given : given + " " + fam);
  }
  if (auto cm = patient.find("communication"); cm != patient.end() && cm->is_array()) {
    for (int pass = 0; pass < 2 && c.language == "en"; ++pass)
      for (const auto& e : *cm) {
        if (!e.is_object() || (pass == 0 && !(e.contains("preferred") && e["preferred"] == true))) continue;
        const json& lang = e.value("language", json());
        if (lang.is_object() && lang.contains("coding") && lang["coding"].is_array() && !lang["coding"].empty()) {
          std::string code = s_of(lang["coding"][0], "code");
          code = code.substr(0, code.find('-'));
          if (!code.empty()) {
            c.language = code;
            break;
          }
        }
      }
  }
  std::vector<std::pair<int, std::string>> ranked;  // (rank, channel)
  if (auto tel = patient.find("telecom"); tel != patient.end() && tel->is_array())
    for (const auto& t : *tel) {
      if (!t.is_object()) continue;
      const std::string sys = s_of(t, "system"), use = s_of(t, "use"), val = s_of(t, "value");
      if (val.empty() || use == "old") continue;
      const int rank = t.contains("rank") && t["rank"].is_number_integer() ? t["rank"].get<int>() : 100;
      if (sys == "email") {
        if (c.email.empty()) c.email = val;
        ranked.push_back({rank, "email"});
      } else if (sys == "sms" || (sys == "phone" && use == "mobile")) {
        if (c.sms.empty()) c.sms = val;
        if (c.phone.empty()) c.phone = val;
        ranked.push_back({rank, "sms"});
      } else if (sys == "phone") {
        if (c.phone.empty()) c.phone = val;
        ranked.push_back({rank, "call"});
      }
    }
  std::stable_sort(ranked.begin(), ranked.end());
  if (!ranked.empty()) c.preferred = ranked[0].second;
  return c;
}

ojson communication(const std::string& id, const std::string& patient, const std::string& appt, const std::string& channel,
                    const std::string& address, const std::string& when, const std::string& text, double risk,
                    const std::string& lang) {
  static const std::map<std::string, std::pair<std::string, std::string>> medium = {
      {"sms", {"SMSWRIT", "SMS"}}, {"email", {"EMAILWRIT", "e-mail"}}, {"call", {"PHONE", "telephone"}}};
  ojson c;
  c["resourceType"] = "CommunicationRequest";
  c["id"] = id;
  c["status"] = "active";
  c["category"] = {{{"text", "appointment reminder"}}};
  c["medium"] = {{{"coding", {{{"system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"},
                               {"code", medium.at(channel).first}}}},
                  {"text", medium.at(channel).second}}};
  c["subject"] = {{"reference", patient}};
  c["recipient"] = {{{"reference", patient}, {"display", address}}};
  c["about"] = {{{"reference", appt}}};
  c["occurrenceDateTime"] = when;
  c["reasonCode"] = {{{"text", "no-show risk " + fmt_num(std::round(risk * 1000) / 1000)}}};
  c["payload"] = {{{"contentString", text}}};
  c["extension"] = {{{"url", std::string(kExtensionBase) + "language"}, {"valueCode", lang}}};
  return c;
}

}  // namespace

ojson plan_reminders(const json& bundle, const std::string& source, const ReminderTemplates& t, const ReminderParams& p,
                     ojson* summary) {
  p.validate();
  if (!bundle.is_object() || s_of(bundle, "resourceType") != "Bundle" || !bundle.contains("entry") || !bundle["entry"].is_array())
    throw InvalidInput(source + ": not a FHIR Bundle with entries");
  std::map<std::string, json> patients;
  std::vector<json> appts;
  for (const auto& e : bundle["entry"]) {
    if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object()) continue;
    const json& r = e["resource"];
    const std::string type = s_of(r, "resourceType");
    if (type == "Patient") patients["Patient/" + s_of(r, "id")] = r;
    if (type == "Appointment" && (s_of(r, "status") == "booked" || s_of(r, "status") == "pending")) appts.push_back(r);
  }
  ojson out = {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", ojson::array()}};
  int n = 0, calls = 0, sms = 0, emails = 0, skipped = 0;
  std::map<std::string, int> langs;
  for (const json& a : appts) {
    const std::string aid = "Appointment/" + s_of(a, "id");
    const std::string where = source + ": " + aid;
    std::string patient;
    if (a.contains("participant") && a["participant"].is_array())
      for (const auto& part : a["participant"])
        if (part.is_object() && part.contains("actor") && s_of(part["actor"], "reference").rfind("Patient/", 0) == 0)
          patient = s_of(part["actor"], "reference");
    if (patient.empty()) throw InvalidInput(where + ": no Patient participant");
    const DateTime start = parse_datetime(s_of(a, "start"), where + ": start");
    double risk = 0;
    if (a.contains("extension") && a["extension"].is_array())
      for (const auto& e : a["extension"])
        if (e.is_object() && s_of(e, "url") == std::string(kExtensionBase) + "noshow-probability") {
          if (!e.contains("valueDecimal") || !e["valueDecimal"].is_number() || !(e["valueDecimal"].get<double>() >= 0) ||
              !(e["valueDecimal"].get<double>() <= 1))
            throw InvalidInput(where + ": noshow-probability must be a valueDecimal in [0, 1]");
          risk = e["valueDecimal"].get<double>();
        }
    auto pit = patients.find(patient);
    const Contact c = pit == patients.end() ? Contact{} : contact_of(pit->second);
    if (c.preferred.empty()) {
      ++skipped;
      continue;
    }
    const std::string lang = t.by_language.count(c.language) ? c.language : "en";
    ++langs[lang];
    const json& tpl = t.by_language.at(lang);
    std::string service = "clinic";
    if (a.contains("serviceType") && a["serviceType"].is_array() && !a["serviceType"].empty() && a["serviceType"][0].is_object()) {
      const json& st = a["serviceType"][0];
      service = s_of(st, "text");
      if (service.empty() && st.contains("coding") && st["coding"].is_array() && !st["coding"].empty())
        service = s_of(st["coding"][0], "display").empty() ? s_of(st["coding"][0], "code") : s_of(st["coding"][0], "display");
      if (service.empty()) service = "clinic";
    }
    char hhmm[8];
    std::snprintf(hhmm, sizeof hhmm, "%02d:%02d", start.minute_of_day / 60, start.minute_of_day % 60);
    const std::map<std::string, std::string> vars = {
        {"name", c.name}, {"date", format_date(start.local_day)}, {"time", hhmm}, {"service", service}};
    auto add = [&](const std::string& channel, int days_before) {
      const std::string ch = channel == "sms" && c.sms.empty() ? (c.email.empty() ? "call" : "email")
                             : channel == "call" && c.phone.empty() ? (c.sms.empty() ? "email" : "sms")
                                                                    : channel;
      const std::string addr = ch == "email" ? c.email : ch == "sms" ? c.sms : c.phone;
      if (addr.empty()) return;
      // Reminders go out at 10:00 local time, days_before days ahead.
      const int64_t when = (start.local_day - days_before) * 1440 + 600 - start.offset_min;
      const std::string id = "reminder-" + std::to_string(++n);
      out["entry"].push_back({{"fullUrl", "urn:uuid:" + id},
                              {"resource", communication(id, patient, aid, ch, addr, format_datetime(when, start.offset_min),
                                                         fill(tpl[ch].get<std::string>(), vars), risk, lang)}});
      (ch == "call" ? calls : ch == "sms" ? sms : emails)++;
    };
    if (risk >= p.high_risk) {
      add("call", 2);
      add("sms", 1);
    } else if (risk >= p.medium_risk) {
      add(c.preferred, 3);
      add("sms", 1);
    } else {
      add(c.preferred, 2);
    }
  }
  if (summary)
    *summary = {{"appointments", appts.size()}, {"reminders", n}, {"sms", sms}, {"email", emails}, {"call", calls},
                {"patients_without_contact", skipped}, {"languages", langs}};
  return out;
}

ojson plan_followups(const json& bundle, const std::string& source, ojson* summary) {
  if (!bundle.is_object() || s_of(bundle, "resourceType") != "Bundle" || !bundle.contains("entry") || !bundle["entry"].is_array())
    throw InvalidInput(source + ": not a FHIR Bundle with entries");
  ojson out = {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", ojson::array()}};
  int n = 0, plans = 0;
  for (const auto& e : bundle["entry"]) {
    if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object()) continue;
    const json& cp = e["resource"];
    if (s_of(cp, "resourceType") != "CarePlan" || s_of(cp, "status") != "active") continue;
    ++plans;
    const std::string cpid = "CarePlan/" + s_of(cp, "id");
    const std::string patient = cp.contains("subject") ? s_of(cp["subject"], "reference") : "";
    if (patient.empty()) throw InvalidInput(source + ": " + cpid + ": subject is required");
    if (!cp.contains("activity") || !cp["activity"].is_array()) continue;
    for (size_t ai = 0; ai < cp["activity"].size(); ++ai) {
      const json& act = cp["activity"][ai];
      const std::string where = source + ": " + cpid + ": activity " + std::to_string(ai);
      if (!act.is_object() || !act.contains("detail") || !act["detail"].is_object()) continue;
      const json& d = act["detail"];
      const std::string status = s_of(d, "status");
      if (status != "not-started" && status != "scheduled" && status != "in-progress") continue;
      std::string code, display;
      if (d.contains("code") && d["code"].is_object()) {
        display = s_of(d["code"], "text");
        if (d["code"].contains("coding") && d["code"]["coding"].is_array() && !d["code"]["coding"].empty()) {
          code = s_of(d["code"]["coding"][0], "code");
          if (display.empty()) display = s_of(d["code"]["coding"][0], "display");
        }
      }
      std::vector<std::pair<int64_t, int64_t>> windows;  // utc minutes
      int offset = 0;
      if (d.contains("scheduledPeriod")) {
        const json& per = d["scheduledPeriod"];
        if (!per.is_object() || !per.contains("start") || !per.contains("end"))
          throw InvalidInput(where + ": scheduledPeriod needs start and end");
        const DateTime a = parse_datetime(s_of(per, "start"), where + ": scheduledPeriod.start");
        const DateTime z = parse_datetime(s_of(per, "end"), where + ": scheduledPeriod.end");
        if (z.utc_min < a.utc_min) throw InvalidInput(where + ": scheduledPeriod ends before it starts");
        windows.push_back({a.utc_min, z.utc_min});
        offset = a.offset_min;
      } else if (d.contains("scheduledTiming")) {
        const json& rep = d["scheduledTiming"].value("repeat", json());
        if (!rep.is_object() || !rep.contains("boundsPeriod") || !rep["boundsPeriod"].is_object() ||
            !rep["boundsPeriod"].contains("start"))
          throw InvalidInput(where + ": scheduledTiming.repeat needs boundsPeriod.start");
        const DateTime a = parse_datetime(s_of(rep["boundsPeriod"], "start"), where + ": boundsPeriod.start");
        offset = a.offset_min;
        int64_t end = INT64_MAX;
        if (rep["boundsPeriod"].contains("end"))
          end = parse_datetime(s_of(rep["boundsPeriod"], "end"), where + ": boundsPeriod.end").utc_min;
        const double period = rep.value("period", 0.0);
        const std::string unit = s_of(rep, "periodUnit");
        static const std::map<std::string, double> unit_min = {{"h", 60}, {"d", 1440}, {"wk", 10080}, {"mo", 43830}, {"a", 525960}};
        if (!(period > 0) || !unit_min.count(unit))
          throw InvalidInput(where + ": scheduledTiming.repeat needs period > 0 and periodUnit h, d, wk, mo or a");
        const int64_t step = int64_t(period * unit_min.at(unit));
        if (step < 60) throw InvalidInput(where + ": repeat period under an hour");
        int count = rep.contains("count") && rep["count"].is_number_integer() ? rep["count"].get<int>() : 100;
        if (count < 1) throw InvalidInput(where + ": repeat.count must be at least 1");
        if (end == INT64_MAX && !rep.contains("count")) count = 12;  // open-ended: the next 12
        count = std::min(count, 100);
        const int64_t slack = std::max<int64_t>(1440, step / 5);  // due date +/- 20% of the period
        for (int k = 1; k <= count; ++k) {
          const int64_t due = a.utc_min + int64_t(k) * step;
          if (due > end) break;
          windows.push_back({due - slack, due + slack});
        }
      } else {
        continue;
      }
      for (const auto& [w0, w1] : windows) {
        const std::string id = "followup-" + std::to_string(++n);
        ojson sr;
        sr["resourceType"] = "ServiceRequest";
        sr["id"] = id;
        sr["status"] = "active";
        sr["intent"] = "plan";
        sr["priority"] = "routine";
        if (!code.empty() || !display.empty()) {
          ojson cc;
          if (!code.empty()) cc["coding"] = {{{"code", code}}};
          if (!display.empty()) cc["text"] = display;
          sr["code"] = cc;
        }
        sr["subject"] = {{"reference", patient}};
        sr["basedOn"] = {{{"reference", cpid}}};
        sr["occurrencePeriod"] = {{"start", format_datetime(w0, offset)}, {"end", format_datetime(w1, offset)}};
        out["entry"].push_back({{"fullUrl", "urn:uuid:" + id}, {"resource", sr}});
      }
    }
  }
  if (summary) *summary = {{"care_plans", plans}, {"follow_ups", n}};
  return out;
}

}  // namespace medgen::ops
