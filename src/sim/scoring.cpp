#include "medgen/sim/scoring.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <set>

#include "medgen/sim/lms.h"
#include "medgen/sim/team.h"

namespace medgen::sim {

using json = nlohmann::json;

namespace {

// `tag` may list alternatives: "order:glucose|order:blood_gas".
bool has_tag(const ActionRecord& a, const std::string& tag) {
  size_t start = 0;
  for (;;) {
    const size_t bar = tag.find('|', start);
    const std::string t = tag.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    if (std::find(a.tags.begin(), a.tags.end(), t) != a.tags.end()) return true;
    if (bar == std::string::npos) return false;
    start = bar + 1;
  }
}

bool any_holds(const std::vector<Criterion>& cs, const Vitals& v) {
  for (const auto& c : cs) {
    double x = 0;
    if (v.get(c.variable, &x) && c.holds(x)) return true;
  }
  return false;
}

std::string mmss(double t) { return Session::clock(t); }

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

}  // namespace

Score score_session(const Session& s, const Rubric& r) {
  Score sc;
  sc.rubric = r.name;
  sc.title = r.title;
  sc.died = s.dead();
  const auto& acts = s.actions();
  const auto& samples = s.samples();
  for (const RubricItem& it : r.items) {
    ItemResult res;
    res.id = it.id;
    res.text = it.text;
    res.kind = it.kind;
    bool applicable = it.when.empty();
    if (!applicable && it.kind != "avoid")
      for (const auto& smp : samples)
        if ((it.within_min < 0 || smp.t_s <= it.within_min * 60 + 1e-9) && smp.t_s >= it.when_after_min * 60 - 1e-9 &&
            any_holds(it.when, smp.v))
          applicable = true;
    if (it.kind == "do") {
      if (!applicable) {
        res.status = "not applicable";
        res.detail = "criteria not met during the session";
        sc.items.push_back(res);
        continue;
      }
      res.max = it.points;
      double total = 0, t_done = -1;
      for (const auto& a : acts) {
        if (!has_tag(a, it.action)) continue;
        total += a.amount_per_kg;
        if (total + 1e-9 >= it.min_total_per_kg) {
          t_done = a.t_s;
          res.actor = a.by.id;
          break;
        }
      }
      double t_before = -1;
      if (!it.before.empty())
        for (const auto& a : acts)
          if (has_tag(a, it.before)) {
            t_before = a.t_s;
            break;
          }
      res.time_s = t_done;
      if (t_done < 0) {
        res.status = "missed";
        if (it.min_total_per_kg > 0)
          res.detail = "total " + fmt("%.1f", total) + "/kg of " + fmt("%.0f", it.min_total_per_kg) + " required";
      } else if (t_before >= 0 && t_before < t_done) {
        res.status = "wrong order";
        res.detail = "'" + it.before + "' came first, at " + mmss(t_before);
      } else if (it.within_min >= 0 && t_done > it.within_min * 60 + 1e-9) {
        res.status = "late";
        res.points = it.late_points;
        res.detail = "at " + mmss(t_done) + ", deadline " + fmt("%.0f", it.within_min) + " min";
      } else {
        res.status = "done";
        res.points = it.points;
        res.detail = "at " + mmss(t_done);
      }
    } else if (it.kind == "avoid") {
      double total = 0;
      const ActionRecord* hit = nullptr;
      for (const auto& a : acts) {
        if (!has_tag(a, it.action)) continue;
        total += a.amount_per_kg;
        const bool cond_ok = it.when.empty() || any_holds(it.when, a.vitals);
        const bool over = it.max_total_per_kg <= 0 || total > it.max_total_per_kg + 1e-9;
        if (cond_ok && over) {
          hit = &a;
          break;
        }
        if (it.first_only) break;
      }
      if (hit) {
        res.status = "penalty";
        res.points = -it.points;
        res.time_s = hit->t_s;
        res.actor = hit->by.id;
        res.detail = hit->summary + " at " + mmss(hit->t_s);
      } else {
        res.status = "avoided";
      }
    } else if (it.kind == "avoid_sustained") {
      // The state (e.g. MAP >= 110) held without a break for `for_min` while a drug with the tag
      // `during` ran as an infusion (from its first infusion action to "stop DRUG").
      std::set<std::string> running;
      size_t ai = 0;
      double since = -1, hit_t = -1, hit_x = 0;
      for (const auto& smp : samples) {
        for (; ai < acts.size() && acts[ai].t_s <= smp.t_s + 1e-9; ++ai) {
          const ActionRecord& a = acts[ai];
          if (a.tags.empty()) continue;
          if (a.tags[0].rfind("stop:", 0) == 0) running.erase(a.tags[0].substr(5));
          else if (has_tag(a, "infusion") && (it.during.empty() || has_tag(a, it.during))) running.insert(a.tags[0]);
        }
        double x = 0;
        const bool on = it.during.empty() || !running.empty();
        if (on && smp.v.get(it.target.variable, &x) && it.target.holds(x)) {
          if (since < 0) since = smp.t_s;
          if (smp.t_s - since + 1e-9 >= it.for_min * 60) {
            hit_t = since;
            hit_x = x;
            break;
          }
        } else {
          since = -1;
        }
      }
      if (hit_t >= 0) {
        res.status = "penalty";
        res.points = -it.points;
        res.time_s = hit_t;
        res.detail = it.target.describe() + " for " + fmt("%.0f", it.for_min) + " min from " + mmss(hit_t) +
                     (it.during.empty() ? "" : " on " + it.during) + " (" + fmt("%.0f", hit_x) + ")";
      } else {
        res.status = "avoided";
      }
    } else {  // target
      if (!applicable) {
        res.status = "not applicable";
        sc.items.push_back(res);
        continue;
      }
      res.max = it.points;
      double first = -1;
      for (const auto& smp : samples) {
        double x = 0;
        if (smp.v.get(it.target.variable, &x) && it.target.holds(x)) {
          first = smp.t_s;
          break;
        }
      }
      double last_x = 0;
      const bool held =
          !samples.empty() && samples.back().v.get(it.target.variable, &last_x) && it.target.holds(last_x);
      res.time_s = first;
      if (first >= 0 && first <= it.within_min * 60 + 1e-9 && held) {
        res.status = "reached";
        res.points = it.points;
        res.detail = it.target.describe() + " from " + mmss(first);
      } else if (first >= 0 && held) {
        res.status = "late";
        res.points = it.late_points;
        res.detail = it.target.describe() + " only from " + mmss(first);
      } else {
        res.status = "not reached";
        res.detail = it.target.describe() + (first >= 0 ? " reached but not held" : " never reached") + " (last " +
                     fmt("%.1f", last_x) + ")";
      }
    }
    sc.items.push_back(res);
  }
  for (const auto& a : acts)
    if (a.harmful) {
      ItemResult res;
      res.id = "harmful_dose";
      res.kind = "avoid";
      res.text = "Dose, rate or drug harmful for this patient";
      res.status = "penalty";
      res.points = -r.harmful_dose_penalty;
      res.time_s = a.t_s;
      res.detail = a.summary;
      res.actor = a.by.id;
      sc.items.push_back(res);
    }
  // Orders refused by the dose checks (above a hard limit, a unit or route that cannot be right) cost
  // points even though nothing was given; confirmed overdoses are penalised above as harmful.
  for (const SafetyRecord& f : s.safety_log())
    if (f.outcome == "refused") {
      ItemResult res;
      res.id = "refused_order";
      res.kind = "avoid";
      res.text = "Unsafe order refused by the dose check";
      res.status = "penalty";
      res.points = -r.refused_order_penalty;
      res.time_s = f.t_s;
      res.detail = f.text + ": " + f.reason;
      sc.items.push_back(res);
    }
  for (const auto& i : sc.items) {
    sc.max += i.max;
    if (i.points >= 0)
      sc.earned += i.points;
    else
      sc.penalties += i.points;
  }
  sc.percent = sc.max > 0 ? 100.0 * std::max(0.0, sc.earned + sc.penalties) / sc.max : 0;
  return sc;
}

std::string debrief_text(const Session& s, const Score& sc) {
  const Case& c = s.case_data();
  std::string o;
  o += "DEBRIEF  " + s.condition().title + " (" + severity_name(c.severity) + "), case seed " + std::to_string(c.seed) +
       "\n";
  o += "session length " + mmss(s.time_s()) + (s.dead() ? "  -- the patient died" : "") + "\n\n";
  o += "Timeline\n";
  for (const auto& e : s.log()) {
    if (e.kind == "info" || e.kind == "error") continue;
    std::string text = e.text;
    std::replace(text.begin(), text.end(), '\n', ' ');
    o += "  " + mmss(e.t_s) + "  " + std::string(e.kind == "action" ? "> " : "  ") +
         (e.actor.empty() ? "" : "[" + e.actor + "] ") + text + "\n";
  }
  if (s.options().examiner) {
    o += "\nExaminer mode (vitals and results hidden until asked for)\n";
    o += "  monitor: " +
         (s.monitor_attached_at_s() >= 0 ? "attached at " + mmss(s.monitor_attached_at_s()) : std::string("never attached")) +
         "\n";
    std::string checks;
    int unseen = 0;
    for (const auto& a : s.actions())
      if (std::find(a.tags.begin(), a.tags.end(), "vitals") != a.tags.end()) checks += " " + mmss(a.t_s);
    for (const auto& e : s.log())
      if (e.kind == "alarm_unseen") ++unseen;
    o += "  vital signs checked at:" + (checks.empty() ? std::string(" never") : checks) + "\n";
    o += "  alarms missed for want of a monitor: " + std::to_string(unseen) + "\n";
  }
  o += "\nVital signs\n      time    HR   BP        MAP  RR  SpO2  T     GCS  lactate glucose pH     PaCO2 HCO3\n";
  for (const auto& smp : s.samples()) {
    if (std::fmod(smp.t_s + 1e-6, 900.0) > 1e-3 && &smp != &s.samples().back()) continue;
    const Vitals& v = smp.v;
    char line[200];
    std::snprintf(line, sizeof line,
                  "  %9s  %4.0f  %3.0f/%-3.0f  %4.0f  %2.0f  %4.0f  %4.1f  %3.0f  %5.1f  %6.1f  %5.2f  %4.0f  %4.1f\n",
                  mmss(smp.t_s).c_str(), v.hr_bpm, v.sbp_mmhg, v.dbp_mmhg, v.map_mmhg, v.rr_per_min, v.spo2_pct,
                  v.temp_c, v.gcs, v.lactate_mmol_l, v.glucose_mmol_l, v.ph, v.paco2_mmhg, v.hco3_mmol_l);
    o += line;
  }
  if (!s.alarm_log().empty()) {
    int acked = 0;
    for (const AlarmRecord& a : s.alarm_log()) acked += a.acknowledged_s >= 0;
    o += "\nAlarms (" + std::to_string(s.alarm_log().size()) + ", " + std::to_string(acked) + " acknowledged)\n";
    for (const AlarmRecord& a : s.alarm_log()) {
      o += "  " + mmss(a.on_s) + "  " + a.text;
      if (a.unseen) o += "; not seen (no monitor)";
      if (a.while_silenced) o += "; began while silenced";
      o += a.acknowledged_s >= 0 ? "; acknowledged after " + mmss(a.acknowledged_s - a.on_s).substr(1)
                                 : std::string("; not acknowledged");
      o += a.cleared_s >= 0 ? "; cleared at " + mmss(a.cleared_s) : std::string("; active at the end");
      o += "\n";
    }
  }
  if (!s.safety_log().empty()) {
    o += "\nOrder safety (dose checks before giving)\n";
    for (const SafetyRecord& f : s.safety_log())
      o += "  " + mmss(f.t_s) + "  " + f.outcome + ": " + f.text + (f.reason.empty() ? "" : " -- " + f.reason) + "\n";
  }
  o += "\nAssessment: " + sc.title + "\n";
  for (const auto& i : sc.items) {
    char line[400];
    std::snprintf(line, sizeof line, "  %-15s %+5.0f / %-3.0f %s%s\n", i.status.c_str(), i.points, i.max,
                  i.text.c_str(), i.detail.empty() ? "" : (" (" + i.detail + ")").c_str());
    o += line;
  }
  std::string well, late, missed;
  for (const auto& i : sc.items) {
    if (i.status == "done" || i.status == "reached")
      well += "  + " + i.text + "\n";
    else if (i.status == "late")
      late += "  ~ " + i.text + " (" + i.detail + ")\n";
    else if (i.status == "missed" || i.status == "not reached" || i.status == "wrong order" || i.status == "penalty")
      missed += "  - " + i.text + (i.detail.empty() ? "" : " (" + i.detail + ")") + "\n";
  }
  if (!well.empty()) o += "\nDone well\n" + well;
  if (!late.empty()) o += "\nDone late\n" + late;
  if (!missed.empty()) o += "\nMissed or harmful\n" + missed;
  if (!s.options().team.empty()) o += team_debrief_text(s, score_team(s, sc, Team{s.options().team}));
  o += "\nScore " + fmt("%.0f", sc.earned + sc.penalties) + " of " + fmt("%.0f", sc.max) + " = " +
       fmt("%.0f", sc.percent) + "%\n";
  return o;
}

std::string debrief_html(const Session& s, const Score& sc) {
  const auto& samples = s.samples();
  const double t_end = std::max(60.0, samples.empty() ? 60.0 : samples.back().t_s);
  struct Series {
    const char* var;
    const char* label;
    const char* color;
  };
  auto chart = [&](const std::string& title, const std::vector<Series>& series, double lo, double hi) {
    const double W = 720, H = 170, L = 40, B = 20;
    std::string g = "<figure><figcaption>" + html_escape(title) + "</figcaption><svg viewBox='0 0 " + fmt("%.0f", W) +
                    " " + fmt("%.0f", H) + "' width='720' height='170' role='img'>";
    auto X = [&](double t) { return L + (W - L - 10) * t / t_end; };
    auto Y = [&](double v) { return (H - B) - (H - B - 10) * (std::clamp(v, lo, hi) - lo) / (hi - lo); };
    for (int k = 0; k <= 4; ++k) {
      const double v = lo + (hi - lo) * k / 4;
      g += "<line x1='" + fmt("%.0f", L) + "' x2='" + fmt("%.0f", W - 10) + "' y1='" + fmt("%.1f", Y(v)) + "' y2='" +
           fmt("%.1f", Y(v)) + "' stroke='#ddd'/><text x='2' y='" + fmt("%.1f", Y(v) + 4) + "' font-size='10'>" +
           fmt("%g", v) + "</text>";
    }
    for (const auto& a : s.actions())
      g += "<line x1='" + fmt("%.1f", X(a.t_s)) + "' x2='" + fmt("%.1f", X(a.t_s)) + "' y1='10' y2='" +
           fmt("%.0f", H - B) + "' stroke='#999' stroke-dasharray='2,3'><title>" +
           html_escape(mmss(a.t_s) + " " + a.summary) + "</title></line>";
    double lx = L + 5;
    for (const auto& se : series) {
      std::string pts;
      for (const auto& smp : samples) {
        double v = 0;
        smp.v.get(se.var, &v);
        pts += fmt("%.1f", X(smp.t_s)) + "," + fmt("%.1f", Y(v)) + " ";
      }
      g += "<polyline fill='none' stroke='" + std::string(se.color) + "' stroke-width='1.8' points='" + pts + "'/>";
      g += "<text x='" + fmt("%.0f", lx) + "' y='12' font-size='11' fill='" + se.color + "'>" + se.label + "</text>";
      lx += 90;
    }
    g += "<text x='" + fmt("%.0f", W - 60) + "' y='" + fmt("%.0f", H - 4) + "' font-size='10'>" + mmss(t_end) +
         "</text>";
    g += "</svg></figure>\n";
    return g;
  };
  const Case& c = s.case_data();
  std::string h = "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>medgen debrief: " +
                  html_escape(s.condition().title) +
                  "</title><style>body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}"
                  "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}"
                  ".done,.reached{color:#1a7f37}.late{color:#9a6700}.missed,.penalty,.wrong{color:#cf222e}"
                  "figure{margin:1em 0}figcaption{font-weight:bold}</style></head><body>\n";
  h += "<h1>Debrief: " + html_escape(s.condition().title) + " (" + severity_name(c.severity) + ")</h1>\n";
  h += "<p>" + html_escape(c.vignette) + "</p>\n";
  h += "<h2>Score " + fmt("%.0f", sc.percent) + "%</h2><p>" + html_escape(sc.title) +
       (s.dead() ? ". The patient died." : "") +
       "</p>\n<table><tr><th>item</th><th>status</th><th>points</th><th>detail</th></tr>\n";
  for (const auto& i : sc.items) {
    const std::string cls = i.status == "wrong order" ? "wrong" : i.status;
    h += "<tr><td>" + html_escape(i.text) + "</td><td class='" + html_escape(cls) + "'>" + html_escape(i.status) +
         "</td><td>" + fmt("%+.0f", i.points) + " / " + fmt("%.0f", i.max) + "</td><td>" + html_escape(i.detail) +
         "</td></tr>\n";
  }
  h += "</table>\n<h2>Vital signs</h2>\n";
  h += chart("Heart rate (/min) and mean arterial pressure (mmHg)",
             {{"hr", "HR", "#d1242f"}, {"map", "MAP", "#0969da"}}, 0, 200);
  h += chart("SpO2 (%)", {{"spo2", "SpO2", "#8250df"}}, 50, 100);
  h += chart("Respiratory rate (/min)", {{"rr", "RR", "#1a7f37"}}, 0, 50);
  h += chart("Lactate, glucose (mmol/L), potassium",
             {{"lactate", "lactate", "#bc4c00"}, {"glucose", "glucose", "#0550ae"}, {"potassium", "K", "#6e7781"}}, 0,
             40);
  h += "<h2>Timeline</h2><table>\n";
  for (const auto& e : s.log()) {
    if (e.kind == "info" || e.kind == "error") continue;
    h += "<tr><td>" + mmss(e.t_s) + "</td><td>" + html_escape(e.kind) + "</td><td>" + html_escape(e.text) +
         "</td></tr>\n";
  }
  h += "</table>\n<p><small>Generated by medgen sim. Guideline sources: ";
  const auto& rub = s.catalog().rubrics.at(s.condition().rubric);
  for (size_t i = 0; i < rub.sources.size(); ++i) h += (i ? "; " : "") + html_escape(rub.sources[i]);
  h += "</small></p></body></html>\n";
  return h;
}

json xapi_statements(const Session& s, const Score& sc, const std::string& actor_name, const std::string& start_iso) {
  LmsContext ctx;
  ctx.trainee = actor_name;
  ctx.start_iso = start_iso;
  return lms_xapi_statements(s, sc, ctx);
}

json session_json(const Session& s, const Score& sc) {
  json j;
  j["case"] = s.case_data().to_json();
  j["duration_s"] = s.time_s();
  j["died"] = s.dead();
  json acts = json::array();
  for (const auto& a : s.actions()) {
    json x = {{"t_s", a.t_s},         {"text", a.text},         {"summary", a.summary},
              {"tags", a.tags},       {"harmful", a.harmful},   {"category", a.category}};
    if (!a.by.id.empty()) {
      x["by"] = {{"id", a.by.id}, {"role", a.by.role}};
      x["out_of_role"] = a.out_of_role;
    }
    acts.push_back(x);
  }
  j["actions"] = acts;
  json safety = json::array();
  for (const SafetyRecord& f : s.safety_log())
    safety.push_back({{"t_s", f.t_s}, {"text", f.text}, {"drug", f.drug}, {"outcome", f.outcome}, {"reason", f.reason}});
  j["order_safety"] = safety;
  json alarms = json::array();
  for (const AlarmRecord& a : s.alarm_log())
    alarms.push_back({{"id", a.id},
                      {"text", a.text},
                      {"priority", alarm_priority_name(a.priority)},
                      {"value", std::round(a.value * 10) / 10},
                      {"on_s", a.on_s},
                      {"acknowledged_s", a.acknowledged_s >= 0 ? json(a.acknowledged_s) : json()},
                      {"cleared_s", a.cleared_s >= 0 ? json(a.cleared_s) : json()},
                      {"while_silenced", a.while_silenced},
                      {"unseen", a.unseen}});
  j["alarms"] = alarms;
  if (!s.options().alarms.empty()) {
    json limits = json::array();
    for (const AlarmLimit& l : s.alarm_limits())
      limits.push_back({{"id", l.id}, {l.low ? "below" : "above", l.on}, {"priority", alarm_priority_name(l.priority)},
                        {"enabled", l.enabled}});
    j["alarm_limits"] = limits;
  }
  json ev = json::array();
  for (const auto& e : s.log()) {
    json x = {{"t_s", e.t_s}, {"kind", e.kind}, {"text", e.text}};
    if (!e.actor.empty()) x["actor"] = e.actor;
    ev.push_back(x);
  }
  j["events"] = ev;
  if (s.options().examiner) {
    json checks = json::array();
    for (const auto& a : s.actions())
      if (std::find(a.tags.begin(), a.tags.end(), "vitals") != a.tags.end()) checks.push_back(a.t_s);
    j["examiner"] = {{"monitor_attached_s", s.monitor_attached_at_s() >= 0 ? json(s.monitor_attached_at_s()) : json()},
                     {"vitals_checked_s", checks}};
  }
  json smp = json::array();
  auto r = [](double x, double step) { return std::round(x / step) * step; };
  for (const auto& x : s.samples()) {
    if (std::fmod(x.t_s + 1e-6, 300.0) > 1e-3 && &x != &s.samples().back()) continue;
    smp.push_back({{"t_s", x.t_s},
                   {"hr", r(x.v.hr_bpm, 0.1)},
                   {"sbp", r(x.v.sbp_mmhg, 0.1)},
                   {"dbp", r(x.v.dbp_mmhg, 0.1)},
                   {"map", r(x.v.map_mmhg, 0.1)},
                   {"rr", r(x.v.rr_per_min, 0.1)},
                   {"spo2", r(x.v.spo2_pct, 0.1)},
                   {"temp", r(x.v.temp_c, 0.01)},
                   {"gcs", r(x.v.gcs, 0.1)},
                   {"lactate", r(x.v.lactate_mmol_l, 0.01)},
                   {"glucose", r(x.v.glucose_mmol_l, 0.01)},
                   {"ph", r(x.v.ph, 0.001)},
                   {"paco2", r(x.v.paco2_mmhg, 0.1)},
                   {"hco3", r(x.v.hco3_mmol_l, 0.1)},
                   {"potassium", r(x.v.potassium_mmol_l, 0.01)}});
  }
  j["samples"] = smp;
  json items = json::array();
  for (const auto& i : sc.items)
    items.push_back({{"id", i.id},
                     {"text", i.text},
                     {"status", i.status},
                     {"points", i.points},
                     {"max", i.max},
                     {"time_s", i.time_s},
                     {"detail", i.detail},
                     {"actor", i.actor}});
  j["score"] = {{"rubric", sc.rubric}, {"percent", r(sc.percent, 0.1)},
                {"earned", sc.earned}, {"penalties", sc.penalties},
                {"max", sc.max},       {"items", items}};
  if (!s.options().team.empty()) j["score"]["team"] = team_json(score_team(s, sc, Team{s.options().team}));
  return j;
}

}  // namespace medgen::sim
