// Clinic-day simulation and policy comparison (see clinic_sim.h).
#include "medgen/ops/clinic_sim.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"

namespace medgen::ops {

void ClinicParams::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidInput(what);
  };
  need(providers >= 1 && providers <= 200, "providers must be in 1..200");
  need(days >= 1 && days <= 7, "days must be in 1..7");
  need(slots_per_session >= 1 && slots_per_session <= 16, "slots per session must be in 1..16");
  need(slot_min >= 5 && slot_min <= 120, "slot length must be in 5..120 minutes");
  need(skills >= 1 && skills <= 20, "skills must be in 1..20");
  need(demand > 0 && demand <= 5, "demand must be in (0, 5]");
  need(service_share > 0 && service_share <= 2, "service share must be in (0, 2]");
  need(service_cv >= 0 && service_cv <= 3, "service CV must be in [0, 3]");
}

double t_quantile_975(int df) {
  if (df < 1) return NAN;
  static const double small[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228};
  if (df <= 10) return small[df - 1];
  const double z = 1.959964, n = df;
  return z + (z * z * z + z) / (4 * n) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

Problem generate_week(const ClinicParams& c, const NoShowModel& model, uint64_t seed, std::vector<double>* true_risk) {
  c.validate();
  Problem p;
  p.source = "week-" + std::to_string(seed);
  const int64_t monday = 20514;  // 2026-03-02
  for (int v = 0; v < c.providers; ++v) {
    const std::string sched = "Schedule/prov" + std::to_string(v + 1);
    std::vector<std::string> skills = {"skill" + std::to_string(v % c.skills + 1)};
    if (c.skills > 1) skills.push_back("skill" + std::to_string((v + 1) % c.skills + 1));
    for (int d = 0; d < c.days; ++d)
      for (int sess = 0; sess < 2; ++sess)
        for (int k = 0; k < c.slots_per_session; ++k) {
          Slot s;
          s.id = "Slot/p" + std::to_string(v + 1) + "d" + std::to_string(d + 1) + "s" + std::to_string(sess) + "k" + std::to_string(k);
          s.schedule = sched;
          s.provider = "Practitioner/prov" + std::to_string(v + 1);
          s.skills = skills;
          const int64_t start = (monday + d) * 1440 + (sess == 0 ? 8 * 60 : 13 * 60) + int64_t(k) * c.slot_min;
          s.start_text = format_datetime(start, 0);
          s.end_text = format_datetime(start + c.slot_min, 0);
          s.start = parse_datetime(s.start_text, "slot");
          s.end = parse_datetime(s.end_text, "slot");
          s.session = (v * c.days + d) * 2 + sess;
          s.from_end = c.slots_per_session - 1 - k;
          p.slots.push_back(std::move(s));
        }
  }
  const size_t n = size_t(std::llround(c.demand * double(p.slots.size())));
  GeneratorParams gp;
  gp.appointments = std::max<size_t>(n, 1);
  std::vector<AppointmentRecord> recs = generate_appointments(gp, seed ^ 0xC0FFEEULL);
  std::vector<double> pred = model.probabilities(recs);
  Rng rng(seed);
  true_risk->clear();
  for (size_t i = 0; i < n; ++i) {
    Request q;
    q.id = "ServiceRequest/w" + std::to_string(i + 1);
    q.patient = "Patient/" + recs[i].patient;
    q.skill = "skill" + std::to_string(rng.below(uint64_t(c.skills)) + 1);
    const double u = rng.uniform();
    q.priority = u < 0.7 ? "routine" : u < 0.9 ? "urgent" : "asap";
    q.weight = u < 0.7 ? 1 : u < 0.9 ? 2 : 3;
    if (q.weight == 2) q.deadline_utc = (monday + std::min(c.days, 2)) * 1440 - 1;
    if (q.weight == 3) q.deadline_utc = (monday + 1) * 1440 - 1;
    if (recs[i].weekday < c.days && rng.uniform() < 0.5) q.preferred_weekdays.push_back(recs[i].weekday);
    if (rng.uniform() < 0.5) q.preferred_time = recs[i].hour < 12 ? 1 : 2;
    if (rng.uniform() < 0.3 && q.weight == 1) {  // urgent patients make themselves available
      const int64_t d = monday + int64_t(rng.below(uint64_t(c.days)));
      q.unavailable.push_back({d * 1440, (d + 1) * 1440});
    }
    q.noshow = pred[i];
    true_risk->push_back(recs[i].true_risk);
    p.requests.push_back(std::move(q));
  }
  return p;
}

WeekMetrics simulate_week(const ClinicParams& c, const Problem& p, const ScheduleResult& s,
                          const std::vector<double>& true_risk, uint64_t seed) {
  WeekMetrics m;
  // Per request: its show draw and service time (common random numbers across policies).
  const double mean = c.service_share * c.slot_min, cv = c.service_cv;
  const double sigma2 = std::log1p(cv * cv), mu = std::log(mean) - sigma2 / 2;
  std::map<int, std::vector<std::pair<int64_t, size_t>>> sessions;  // session -> (slot start, request)
  for (size_t i = 0; i < p.requests.size(); ++i) {
    if (s.slot_of[i] < 0) continue;
    const Slot& sl = p.slots[size_t(s.slot_of[i])];
    sessions[sl.session].push_back({sl.start.utc_min, i});
    m.booked += 1;
  }
  std::map<int, std::pair<int64_t, int64_t>> bounds;  // session -> (start, end)
  for (const auto& sl : p.slots) {
    auto it = bounds.find(sl.session);
    if (it == bounds.end()) bounds[sl.session] = {sl.start.utc_min, sl.end.utc_min};
    else {
      it->second.first = std::min(it->second.first, sl.start.utc_min);
      it->second.second = std::max(it->second.second, sl.end.utc_min);
    }
  }
  for (const auto& [sess, be] : bounds) {
    auto& pts = sessions[sess];
    std::sort(pts.begin(), pts.end());
    double t = double(be.first);
    const double end = double(be.second);
    for (const auto& [start, i] : pts) {
      Rng r(seed ^ (uint64_t(i + 1) * 0x9E3779B97F4A7C15ULL));
      const bool shows = r.uniform() >= true_risk[i];
      const double service = std::exp(mu + std::sqrt(sigma2) * r.normal());
      if (!shows) continue;
      const double arrive = double(start);
      if (arrive > t) {
        m.idle_min += std::min(arrive, end) - std::min(t, end);
        t = arrive;
      }
      m.wait_min += t - arrive;
      t += service;
      m.served += 1;
    }
    if (t < end) m.idle_min += end - t;
    m.overtime_min += std::max(0.0, t - end);
  }
  return m;
}

namespace {

struct Stat {
  std::vector<double> v;
  nlohmann::ordered_json json() const {
    const size_t n = v.size();
    double mean = 0, var = 0;
    for (double x : v) mean += x;
    mean /= double(n);
    for (double x : v) var += (x - mean) * (x - mean);
    var = n > 1 ? var / double(n - 1) : 0;
    const double half = n > 1 ? t_quantile_975(int(n) - 1) * std::sqrt(var / double(n)) : NAN;
    return {{"mean", mean}, {"ci95", {mean - half, mean + half}}};
  }
};

}  // namespace

nlohmann::ordered_json run_simulation(const SimulationParams& sp, const NoShowModel& model, uint64_t seed) {
  sp.clinic.validate();
  if (sp.weeks < 2 || sp.weeks > 10000) throw InvalidInput("weeks must be in 2..10000");
  if (sp.fixed_every < 1 || sp.fixed_every > 16) throw InvalidInput("fixed overbooking interval must be in 1..16");
  ScheduleParams sched = sp.schedule;
  sched.allow_unscheduled = true;
  const char* names[] = {"noshow_aware", "fcfs", "fixed_overbooking"};
  const char* metrics[] = {"served", "overtime_min", "idle_min", "wait_min", "booked"};
  std::map<std::string, std::map<std::string, Stat>> per;
  std::map<std::string, Stat> d_fcfs, d_fixed;
  Stat gaps;
  Rng rng(seed);
  for (int w = 0; w < sp.weeks; ++w) {
    const uint64_t wseed = rng.next();
    std::vector<double> truth;
    Problem p = generate_week(sp.clinic, model, wseed, &truth);
    ScheduleResult res[3] = {solve_schedule(p, sched), schedule_fcfs(p, 0), schedule_fcfs(p, sp.fixed_every)};
    gaps.v.push_back(res[0].gap);
    WeekMetrics wm[3];
    for (int k = 0; k < 3; ++k) wm[k] = simulate_week(sp.clinic, p, res[k], truth, wseed * 31 + 7);
    auto get = [](const WeekMetrics& m, const std::string& k) {
      return k == "served" ? m.served : k == "overtime_min" ? m.overtime_min : k == "idle_min" ? m.idle_min
                                      : k == "wait_min" ? m.wait_min : m.booked;
    };
    for (int k = 0; k < 3; ++k)
      for (const char* mt : metrics) per[names[k]][mt].v.push_back(get(wm[k], mt));
    for (const char* mt : metrics) {
      d_fcfs[mt].v.push_back(get(wm[0], mt) - get(wm[1], mt));
      d_fixed[mt].v.push_back(get(wm[0], mt) - get(wm[2], mt));
    }
  }
  nlohmann::ordered_json j;
  j["weeks"] = sp.weeks;
  j["clinic"] = {{"providers", sp.clinic.providers}, {"days", sp.clinic.days},
                 {"slots_per_session", sp.clinic.slots_per_session}, {"slot_min", sp.clinic.slot_min},
                 {"demand", sp.clinic.demand}, {"service_share", sp.clinic.service_share}, {"service_cv", sp.clinic.service_cv}};
  j["per_week"] = nlohmann::ordered_json::object();
  for (const char* n : names)
    for (const char* mt : metrics) j["per_week"][n][mt] = per[n][mt].json();
  for (const char* mt : metrics) {
    j["paired_vs_fcfs"][mt] = d_fcfs[mt].json();
    j["paired_vs_fixed"][mt] = d_fixed[mt].json();
  }
  auto better = [&](const char* mt, bool higher) {
    const auto ci = j["paired_vs_fcfs"][mt]["ci95"];
    return higher ? ci[0].get<double>() > 0 : ci[1].get<double>() < 0;
  };
  j["beats_fcfs_95"] = {{"served", better("served", true)}, {"overtime", better("overtime_min", false)}};
  j["max_gap"] = *std::max_element(gaps.v.begin(), gaps.v.end());
  return j;
}

}  // namespace medgen::ops
