// Scheduling as an integer programme solved by CBC (see schedule.h).
#include "medgen/ops/schedule.h"

#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <set>
#include <unordered_map>

#include "medgen/core/error.h"

namespace medgen::ops {

using json = nlohmann::json;

const char* const kExtensionBase = "http://medgen.example/fhir/StructureDefinition/";

namespace {

std::string str_field(const json& r, const char* key) {
  auto it = r.find(key);
  return it != r.end() && it->is_string() ? it->get<std::string>() : "";
}

std::vector<std::string> codes_of(const json& r, const char* key) {
  std::vector<std::string> out;
  auto it = r.find(key);
  if (it == r.end()) return out;
  auto add_cc = [&](const json& cc) {
    if (!cc.is_object()) return;
    if (auto c = cc.find("coding"); c != cc.end() && c->is_array())
      for (const auto& cd : *c)
        if (cd.is_object() && cd.contains("code") && cd["code"].is_string()) out.push_back(cd["code"].get<std::string>());
  };
  if (it->is_array())
    for (const auto& cc : *it) add_cc(cc);
  else
    add_cc(*it);
  return out;
}

std::string ref_of(const json& v) { return v.is_object() ? str_field(v, "reference") : ""; }

std::vector<const json*> extensions(const json& r, const std::string& name) {
  std::vector<const json*> out;
  auto it = r.find("extension");
  if (it == r.end() || !it->is_array()) return out;
  for (const auto& e : *it)
    if (e.is_object() && str_field(e, "url") == kExtensionBase + name) out.push_back(&e);
  return out;
}

int priority_weight(const std::string& p) {
  if (p == "routine") return 1;
  if (p == "urgent") return 2;
  if (p == "asap") return 3;
  if (p == "stat") return 4;
  return 0;
}

bool overlaps(int64_t a0, int64_t a1, int64_t b0, int64_t b1) { return a0 < b1 && b0 < a1; }

}  // namespace

Problem load_problem(const std::string& text, const std::string& source) {
  const json b = parse_json_located(text, source);
  if (!b.is_object() || str_field(b, "resourceType") != "Bundle")
    throw InvalidInput(source + ": not a FHIR Bundle (resourceType must be \"Bundle\")");
  Problem p;
  p.source = source;
  auto it = b.find("entry");
  if (it == b.end() || !it->is_array()) throw InvalidInput(source + ": Bundle has no entry array");
  struct Sched { std::string provider, room; std::vector<std::string> skills; };
  std::map<std::string, Sched> schedules;
  std::vector<const json*> slot_res, req_res, appt_res;
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    const json* r = e.is_object() && e.contains("resource") ? &e["resource"] : nullptr;
    const std::string where = source + ": entry " + std::to_string(i);
    if (!r || !r->is_object()) throw InvalidInput(where + ": no resource");
    const std::string type = str_field(*r, "resourceType"), id = str_field(*r, "id");
    if (type.empty()) throw InvalidInput(where + ": resource without resourceType");
    if (id.empty() && (type == "Schedule" || type == "Slot" || type == "ServiceRequest" || type == "Location"))
      throw InvalidInput(where + ": " + type + " without id");
    if (!id.empty() && !seen.insert(type + "/" + id).second) throw InvalidInput(source + ": " + type + "/" + id + " appears twice");
    const std::string name = type + "/" + id;
    if (type == "Schedule") {
      Sched s;
      if (auto a = r->find("actor"); a != r->end() && a->is_array())
        for (const auto& act : *a) {
          const std::string ref = ref_of(act);
          if (ref.rfind("Location/", 0) == 0) s.room = ref;
          else if (!ref.empty() && s.provider.empty()) s.provider = ref;
        }
      if (s.provider.empty()) s.provider = name;
      s.skills = codes_of(*r, "serviceType");
      for (auto& c : codes_of(*r, "specialty")) s.skills.push_back(c);
      schedules[name] = s;
    } else if (type == "Location") {
      int cap = 1;
      for (const json* e2 : extensions(*r, "room-capacity")) {
        if (!e2->contains("valueInteger") || !(*e2)["valueInteger"].is_number_integer() || (*e2)["valueInteger"].get<int64_t>() < 1 ||
            (*e2)["valueInteger"].get<int64_t>() > 1000)
          throw InvalidInput(source + ": " + name + ": room-capacity must be an integer in 1..1000");
        cap = (*e2)["valueInteger"].get<int>();
      }
      p.room_capacity[name] = cap;
    } else if (type == "Slot") {
      slot_res.push_back(r);
    } else if (type == "ServiceRequest") {
      req_res.push_back(r);
    } else if (type == "Appointment") {
      appt_res.push_back(r);
    }
  }
  std::map<std::string, int> slot_index;
  for (const json* r : slot_res) {
    Slot s;
    s.id = "Slot/" + str_field(*r, "id");
    const std::string sched = ref_of(r->value("schedule", json()));
    auto si = schedules.find(sched);
    if (si == schedules.end())
      throw InvalidInput(source + ": " + s.id + ": schedule '" + shorten(sched) + "' is not a Schedule in the bundle");
    s.schedule = sched;
    s.provider = si->second.provider;
    s.room = si->second.room;
    s.skills = si->second.skills;
    for (auto& c : codes_of(*r, "serviceType")) s.skills.push_back(c);
    s.start_text = str_field(*r, "start");
    s.end_text = str_field(*r, "end");
    if (s.start_text.empty() || s.end_text.empty()) throw InvalidInput(source + ": " + s.id + ": start and end are required");
    s.start = parse_datetime(s.start_text, source + ": " + s.id + ": start");
    s.end = parse_datetime(s.end_text, source + ": " + s.id + ": end");
    if (s.end.utc_min <= s.start.utc_min) throw InvalidInput(source + ": " + s.id + ": end is not after start");
    if (s.end.utc_min - s.start.utc_min > 24 * 60) throw InvalidInput(source + ": " + s.id + ": longer than a day");
    const std::string status = str_field(*r, "status");
    static const std::set<std::string> ok = {"free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error"};
    if (!ok.count(status)) throw InvalidInput(source + ": " + s.id + ": status '" + shorten(status) + "' is not a Slot status");
    if (status == "entered-in-error") continue;
    s.busy = status != "free";
    slot_index[s.id] = int(p.slots.size());
    p.slots.push_back(std::move(s));
  }
  for (const json* r : appt_res) {
    const std::string status = str_field(*r, "status");
    if (status == "cancelled" || status == "noshow" || status == "entered-in-error") continue;
    if (auto sl = r->find("slot"); sl != r->end() && sl->is_array())
      for (const auto& ref : *sl) {
        auto k = slot_index.find(ref_of(ref));
        if (k != slot_index.end()) p.slots[size_t(k->second)].busy = true;
      }
  }
  // Overlaps within a calendar, and sessions (contiguous slots of one schedule on one day).
  std::map<std::string, std::vector<int>> by_sched;
  for (size_t i = 0; i < p.slots.size(); ++i) by_sched[p.slots[i].schedule].push_back(int(i));
  int session = -1;
  for (auto& [name, idx] : by_sched) {
    std::sort(idx.begin(), idx.end(), [&](int a, int c) {
      return p.slots[size_t(a)].start.utc_min < p.slots[size_t(c)].start.utc_min;
    });
    for (size_t k = 0; k < idx.size(); ++k) {
      Slot& s = p.slots[size_t(idx[k])];
      if (k > 0) {
        const Slot& prev = p.slots[size_t(idx[k - 1])];
        if (s.start.utc_min < prev.end.utc_min)
          throw InvalidInput(source + ": " + name + " (" + s.provider + "): " + prev.id + " (" + prev.start_text + " to " +
                             prev.end_text + ") overlaps " + s.id + " (" + s.start_text + " to " + s.end_text + ")");
        if (s.start.utc_min != prev.end.utc_min || s.start.local_day != prev.start.local_day) ++session;
      } else {
        ++session;
      }
      s.session = session;
    }
    for (size_t k = idx.size(); k-- > 0;) {
      Slot& s = p.slots[size_t(idx[k])];
      s.from_end = k + 1 < idx.size() && p.slots[size_t(idx[k + 1])].session == s.session ? p.slots[size_t(idx[k + 1])].from_end + 1 : 0;
    }
  }
  for (const json* r : req_res) {
    Request q;
    q.id = "ServiceRequest/" + str_field(*r, "id");
    const std::string where = source + ": " + q.id;
    const std::string status = str_field(*r, "status");
    if (!status.empty() && status != "active" && status != "draft") continue;  // completed, revoked...
    q.patient = ref_of(r->value("subject", json()));
    if (q.patient.empty()) throw InvalidInput(where + ": subject (the patient) is required");
    auto pt = codes_of(*r, "performerType");
    auto code = codes_of(*r, "code");
    q.skill = !pt.empty() ? pt[0] : !code.empty() ? code[0] : "";
    if (r->contains("priority")) {
      q.priority = str_field(*r, "priority");
      q.weight = priority_weight(q.priority);
      if (q.weight == 0) throw InvalidInput(where + ": priority '" + shorten(q.priority) + "' is not routine, urgent, asap or stat");
    }
    if (auto op = r->find("occurrencePeriod"); op != r->end()) {
      if (!op->is_object()) throw InvalidInput(where + ": occurrencePeriod is not a Period");
      if (op->contains("start")) q.earliest_utc = parse_datetime(str_field(*op, "start"), where + ": occurrencePeriod.start").utc_min;
      if (op->contains("end")) q.deadline_utc = parse_datetime(str_field(*op, "end"), where + ": occurrencePeriod.end").utc_min;
      if (q.deadline_utc < q.earliest_utc) throw InvalidInput(where + ": occurrencePeriod ends before it starts");
    }
    for (const json* e : extensions(*r, "noshow-probability")) {
      if (!e->contains("valueDecimal") || !(*e)["valueDecimal"].is_number() || !((*e)["valueDecimal"].get<double>() >= 0) ||
          !((*e)["valueDecimal"].get<double>() <= 1))
        throw InvalidInput(where + ": noshow-probability must be a valueDecimal in [0, 1]");
      q.noshow = (*e)["valueDecimal"].get<double>();
    }
    for (const json* e : extensions(*r, "preferred-weekday")) {
      const int wd = weekday_from_text(str_field(*e, "valueCode"));
      if (wd < 0) throw InvalidInput(where + ": preferred-weekday needs a valueCode mon..sun");
      q.preferred_weekdays.push_back(wd);
    }
    for (const json* e : extensions(*r, "preferred-time")) {
      const std::string v = str_field(*e, "valueCode");
      if (v == "morning") q.preferred_time = 1;
      else if (v == "afternoon") q.preferred_time = 2;
      else throw InvalidInput(where + ": preferred-time needs a valueCode morning or afternoon");
    }
    for (const json* e : extensions(*r, "unavailable")) {
      const json per = e->value("valuePeriod", json());
      if (!per.is_object() || !per.contains("start") || !per.contains("end"))
        throw InvalidInput(where + ": unavailable needs a valuePeriod with start and end");
      const auto a = parse_datetime(str_field(per, "start"), where + ": unavailable.start").utc_min;
      const auto z = parse_datetime(str_field(per, "end"), where + ": unavailable.end").utc_min;
      if (z <= a) throw InvalidInput(where + ": unavailable period ends before it starts");
      q.unavailable.push_back({a, z});
    }
    p.requests.push_back(std::move(q));
  }
  for (const auto& s : p.slots)
    if (!s.room.empty() && !p.room_capacity.count(s.room)) p.room_capacity[s.room] = 1;
  return p;
}

void ScheduleParams::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidInput(what);
  };
  need(overbook_tolerance >= 0 && overbook_tolerance <= 1, "overbook tolerance must be in [0, 1]");
  need(guard_slots >= 0 && guard_slots <= 100, "guard slots must be in 0..100");
  need(time_limit_s > 0 && time_limit_s <= 86400, "time limit must be in (0, 86400] s");
  need(gap >= 0 && gap < 1, "gap must be in [0, 1)");
  need(std::isfinite(end_weight) && std::isfinite(lateness_weight) && std::isfinite(preference_weight) &&
           std::isfinite(overbook_cost) && unscheduled_cost > 0 && std::isfinite(unscheduled_cost),
       "weights must be finite");
}

namespace {

bool skill_ok(const Slot& s, const Request& r) {
  return r.skill.empty() || std::find(s.skills.begin(), s.skills.end(), r.skill) != s.skills.end();
}
bool window_ok(const Slot& s, const Request& r) { return s.start.utc_min >= r.earliest_utc && s.start.utc_min <= r.deadline_utc; }
bool available(const Slot& s, const Request& r) {
  for (const auto& [a, z] : r.unavailable)
    if (overlaps(s.start.utc_min, s.end.utc_min, a, z)) return false;
  return true;
}

}  // namespace

std::vector<int> candidate_slots(const Problem& p, const Request& r) {
  std::vector<int> out;
  for (size_t i = 0; i < p.slots.size(); ++i) {
    const Slot& s = p.slots[i];
    if (!s.busy && skill_ok(s, r) && window_ok(s, r) && available(s, r)) out.push_back(int(i));
  }
  return out;
}

namespace {

// Why a request has no slot: counts after each hard constraint.
std::string no_slot_reason(const Problem& p, const Request& r) {
  size_t free = 0, skill = 0, window = 0;
  for (const auto& s : p.slots) {
    if (s.busy) continue;
    ++free;
    if (!skill_ok(s, r)) continue;
    ++skill;
    if (!window_ok(s, r)) continue;
    ++window;
  }
  std::string msg = r.id + " (" + r.patient + ") has no possible slot: ";
  const std::string sk = r.skill.empty() ? "any skill" : "skill '" + r.skill + "'";
  if (free == 0) return msg + "no free slot in any calendar";
  if (skill == 0) return msg + "none of the " + std::to_string(free) + " free slots offers " + sk;
  std::string win = "its window";
  if (r.deadline_utc != INT64_MAX) win = "its deadline " + format_datetime(r.deadline_utc, 0);
  if (window == 0) return msg + std::to_string(skill) + " free slots offer " + sk + ", none of them within " + win;
  return msg + std::to_string(skill) + " free slots offer " + sk + ", " + std::to_string(window) + " of them within " + win +
         ", none when the patient is available";
}

// The objective's cost of booking request r into slot sl; first_day: the request's earliest
// candidate day.
double slot_cost(const ScheduleParams& params, const Request& r, const Slot& sl, int64_t first_day) {
  double c = params.lateness_weight * r.weight * double(sl.start.local_day - first_day);
  c += 1e-3 * r.weight * double(sl.start.minute_of_day) / 60;  // earlier in the day breaks ties
  // Preferences as a bonus, shifted so that costs stay >= 0 (a meaningful relative gap).
  c += params.preference_weight * ((r.preferred_weekdays.empty() ? 0 : 1) + (r.preferred_time ? 1 : 0));
  if (!r.preferred_weekdays.empty() &&
      std::find(r.preferred_weekdays.begin(), r.preferred_weekdays.end(), sl.start.weekday) != r.preferred_weekdays.end())
    c -= params.preference_weight;
  if (r.preferred_time == 1 && sl.start.minute_of_day < 720) c -= params.preference_weight;
  if (r.preferred_time == 2 && sl.start.minute_of_day >= 720) c -= params.preference_weight;
  // Expected patients late in a session cost overtime: end_weight for the last slot, halving
  // with each slot before it.
  c += params.end_weight * (1 - r.noshow) * std::ldexp(1.0, -std::min(sl.from_end, 60));
  return c;
}

// A set of requests matched to distinct slots (one patient per slot) of maximum total weight:
// requests taken by decreasing weight, each added when an augmenting path (Kuhn) makes room for
// it; that greedy order is optimal for weights on a transversal matroid. Returns per matched
// request (request, index into its candidate list).
std::vector<std::pair<size_t, size_t>> max_weight_matching(const Problem& p, const std::vector<std::vector<std::pair<double, int>>>& cand) {
  std::vector<size_t> order(p.requests.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (p.requests[a].weight != p.requests[b].weight) return p.requests[a].weight > p.requests[b].weight;
    return cand[a].size() < cand[b].size();
  });
  std::vector<int> owner(p.slots.size(), -1);   // slot -> request
  std::vector<int> via(p.requests.size(), -1);  // request -> index into its candidates
  std::vector<int> seen(p.slots.size(), -1);
  int stamp = 0;
  // Iterative depth-first search for an augmenting path from request r0.
  auto augment = [&](size_t r0) {
    struct Frame { size_t r; size_t k; };
    std::vector<Frame> stack{{r0, 0}};
    std::vector<std::pair<size_t, size_t>> path;  // (request, candidate index) along the stack
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.k == cand[f.r].size()) {
        stack.pop_back();
        if (!path.empty()) path.pop_back();
        continue;
      }
      const size_t k = f.k++;
      const int s = cand[f.r][k].second;
      if (seen[size_t(s)] == stamp) continue;
      seen[size_t(s)] = stamp;
      path.push_back({f.r, k});
      if (owner[size_t(s)] < 0) {  // free slot: flip the path
        for (auto [r, kk] : path) {
          const int sl = cand[r][kk].second;
          owner[size_t(sl)] = int(r);
          via[r] = int(kk);
        }
        return true;
      }
      stack.push_back({size_t(owner[size_t(s)]), 0});
    }
    return false;
  };
  for (size_t r : order) {
    ++stamp;
    augment(r);
  }
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t r = 0; r < p.requests.size(); ++r)
    if (via[r] >= 0) out.push_back({r, size_t(via[r])});
  return out;
}

struct Lp {
  std::vector<double> obj, lb, ub;
  std::vector<char> integer;
  std::vector<std::vector<std::pair<int, double>>> cols;  // per column: (row, value)
  std::vector<double> rlo, rhi;
  int add_col(double c, double lo, double hi, bool is_int) {
    obj.push_back(c);
    lb.push_back(lo);
    ub.push_back(hi);
    integer.push_back(is_int);
    cols.emplace_back();
    return int(obj.size()) - 1;
  }
  int add_row(double lo, double hi) {
    rlo.push_back(lo);
    rhi.push_back(hi);
    return int(rlo.size()) - 1;
  }
  void set(int row, int col, double v) { cols[size_t(col)].push_back({row, v}); }
};

struct CbcSolution {
  std::vector<double> x;
  double objective = 0, bound = 0, gap = 0;
  std::string status;  // optimal | gap | time_limit
};

// Solves the integer programme with CBC (one thread, the time limit and gap of params), from
// `start` when it is not empty.
CbcSolution run_cbc(const Lp& lp, const std::vector<double>& start, const ScheduleParams& params, const std::string& source) {
  std::vector<CoinBigIndex> begin{0};  // CSC arrays
  std::vector<int> index;
  std::vector<double> value;
  for (const auto& col : lp.cols) {
    for (auto [r, v] : col) {
      index.push_back(r);
      value.push_back(v);
    }
    begin.push_back(CoinBigIndex(index.size()));
  }
  std::unique_ptr<Cbc_Model, void (*)(Cbc_Model*)> m(Cbc_newModel(), Cbc_deleteModel);
  Cbc_loadProblem(m.get(), int(lp.obj.size()), int(lp.rlo.size()), begin.data(), index.data(), value.data(), lp.lb.data(),
                  lp.ub.data(), lp.obj.data(), lp.rlo.data(), lp.rhi.data());
  for (size_t c = 0; c < lp.obj.size(); ++c)
    if (lp.integer[c]) Cbc_setInteger(m.get(), int(c));
  if (!start.empty()) {
    std::vector<int> idx(lp.obj.size());
    for (size_t c = 0; c < idx.size(); ++c) idx[c] = int(c);
    Cbc_setMIPStartI(m.get(), int(idx.size()), idx.data(), start.data());
  }
  Cbc_setLogLevel(m.get(), 0);
  Cbc_setMaximumSeconds(m.get(), params.time_limit_s);
  Cbc_setAllowableFractionGap(m.get(), params.gap);
  Cbc_setParameter(m.get(), "threads", "1");
  Cbc_solve(m.get());
  const double* x = Cbc_getColSolution(m.get());
  if (!x || Cbc_isProvenInfeasible(m.get()) || Cbc_numberSavedSolutions(m.get()) + (Cbc_bestSolution(m.get()) ? 1 : 0) == 0)
    throw InvalidInput(source + ": CBC found no schedule within " + fmt_num(params.time_limit_s) + " s");
  CbcSolution out;
  out.x.assign(x, x + lp.obj.size());
  out.objective = Cbc_getObjValue(m.get());
  out.bound = Cbc_getBestPossibleObjValue(m.get());
  out.gap = std::max(0.0, (out.objective - out.bound) / std::max(1e-9, std::fabs(out.objective)));
  if (std::fabs(out.objective - out.bound) < 1e-6) out.gap = 0;
  out.status = Cbc_isProvenOptimal(m.get()) ? "optimal" : out.gap <= params.gap + 1e-12 ? "gap" : "time_limit";
  return out;
}

// The second stage of overbooking: the requests a schedule without overbooking left over, each
// as a second patient into a slot booked once, where the two patients' expected attendance
// sum(1 - p) stays within 1 + tolerance, outside the session's guard slots, and the patient is
// free then. An assignment problem (one extra patient per slot, each request at most once).
ScheduleResult overbook_leftovers(const Problem& p, const ScheduleParams& params, ScheduleResult r) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int> count(p.slots.size(), 0), first(p.slots.size(), -1);
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> patient_use;
  for (size_t i = 0; i < p.requests.size(); ++i) {
    if (r.slot_of[i] < 0) continue;
    const Slot& sl = p.slots[size_t(r.slot_of[i])];
    if (count[size_t(r.slot_of[i])]++ == 0) first[size_t(r.slot_of[i])] = int(i);
    patient_use[p.requests[i].patient].push_back({sl.start.utc_min, sl.end.utc_min});
  }
  Lp lp;
  std::vector<std::pair<size_t, int>> col_of;                 // column -> (request, slot)
  std::map<int, std::vector<int>> slot_cols;                  // slot -> columns
  std::map<std::string, std::vector<int>> patient_cols;       // patient -> columns
  for (int ri : r.unscheduled) {
    const size_t i = size_t(ri);
    const Request& q = p.requests[i];
    const std::vector<int> cand = candidate_slots(p, q);
    int64_t first_day = INT64_MAX;
    for (int s : cand) first_day = std::min(first_day, p.slots[size_t(s)].start.local_day);
    const int row = lp.add_row(-1e30, 1);
    for (int s : cand) {
      const Slot& sl = p.slots[size_t(s)];
      if (count[size_t(s)] != 1 || sl.from_end < params.guard_slots) continue;
      const Request& other = p.requests[size_t(first[size_t(s)])];
      if ((1 - q.noshow) + (1 - other.noshow) > 1 + params.overbook_tolerance + 1e-12) continue;
      bool clash = false;
      for (auto [a, z] : patient_use[q.patient]) clash |= overlaps(a, z, sl.start.utc_min, sl.end.utc_min);
      if (clash) continue;
      const double c = slot_cost(params, q, sl, first_day) + params.overbook_cost - params.unscheduled_cost * q.weight -
                       (params.book_all ? 1e6 : 0);
      const int col = lp.add_col(c, 0, 1, true);
      lp.set(row, col, 1);
      col_of.push_back({i, s});
      slot_cols[s].push_back(col);
      patient_cols[q.patient].push_back(col);
    }
  }
  for (const auto& [s, cols] : slot_cols) {
    if (cols.size() < 2) continue;
    const int row = lp.add_row(-1e30, 1);
    for (int c : cols) lp.set(row, c, 1);
  }
  for (const auto& [pat, cols] : patient_cols) {  // one appointment at a time per patient
    for (size_t a = 0; a < cols.size(); ++a) {
      const Slot& sa = p.slots[size_t(col_of[size_t(cols[a])].second)];
      std::vector<int> row_cols;
      std::set<size_t> reqs;
      for (int c : cols) {
        const Slot& sc = p.slots[size_t(col_of[size_t(c)].second)];
        if (sc.start.utc_min <= sa.start.utc_min && sa.start.utc_min < sc.end.utc_min) {
          row_cols.push_back(c);
          reqs.insert(col_of[size_t(c)].first);
        }
      }
      if (reqs.size() < 2) continue;
      const int row = lp.add_row(-1e30, 1);
      for (int c : row_cols) lp.set(row, c, 1);
    }
  }
  r.variables += lp.obj.size();
  r.constraints += lp.rlo.size();
  if (!col_of.empty()) {
    const CbcSolution sol = run_cbc(lp, {}, params, p.source);
    for (size_t c = 0; c < col_of.size(); ++c)
      if (sol.x[c] > 0.5) r.slot_of[col_of[c].first] = col_of[c].second;
    if (sol.status != "optimal" && r.status == "optimal") r.status = sol.status;
    r.gap = std::max(r.gap, sol.gap);
  }
  r.unscheduled.clear();
  for (size_t i = 0; i < p.requests.size(); ++i)
    if (r.slot_of[i] < 0) r.unscheduled.push_back(int(i));
  std::fill(count.begin(), count.end(), 0);
  for (int s : r.slot_of)
    if (s >= 0) ++count[size_t(s)];
  r.overbooked_slots = int(std::count_if(count.begin(), count.end(), [](int n) { return n > 1; }));
  r.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

ScheduleResult solve_schedule_once(const Problem& p, const ScheduleParams& params, const std::vector<int>* start = nullptr);

}  // namespace

ScheduleResult solve_schedule(const Problem& p, const ScheduleParams& params) {
  params.validate();
  if (!params.allow_unscheduled && !params.book_all) {
    // Every request must get a slot: leaving one out may never be cheaper than any slot
    // (end-of-session buffers included), in every stage.
    ScheduleParams all = params;
    all.book_all = true;
    return solve_schedule(p, all);
  }
  if (params.overbooking) {
    // Overbooking only where the calendar cannot take every request otherwise: a model without
    // it first (much faster for CBC), then the requests left over as second patients in slots
    // where the pair's expected attendance allows it (overbook_leftovers).
    ScheduleParams plain = params;
    plain.overbooking = false;
    plain.allow_unscheduled = true;
    ScheduleResult r = solve_schedule(p, plain);
    if (r.unscheduled.empty()) return r;
    r = overbook_leftovers(p, params, r);
    if (!params.joint_overbooking && (r.unscheduled.empty() || params.allow_unscheduled)) return r;
    // One model for both (rearranging first patients to make pairs possible), started from the
    // two stages' schedule so that CBC's answer is never worse.
    ScheduleParams joint = params;
    joint.per_session_candidates = 0;
    return solve_schedule_once(p, joint, &r.slot_of);
  }
  if (params.per_session_candidates > 0) {
    ScheduleParams first = params;
    first.allow_unscheduled = true;
    ScheduleResult r = solve_schedule_once(p, first);
    if (r.unscheduled.empty() || params.allow_unscheduled) return r;
    ScheduleParams full = params;
    full.per_session_candidates = 0;  // the restriction may have cut the only way to fit everyone
    return solve_schedule_once(p, full);
  }
  return solve_schedule_once(p, params);
}

namespace {

ScheduleResult solve_schedule_once(const Problem& p, const ScheduleParams& params, const std::vector<int>* start) {
  const auto t0 = std::chrono::steady_clock::now();
  ScheduleResult res;
  res.slot_of.assign(p.requests.size(), -1);
  std::vector<std::vector<int>> cand(p.requests.size());
  size_t pairs = 0;
  std::vector<std::string> none;
  for (size_t i = 0; i < p.requests.size(); ++i) {
    cand[i] = candidate_slots(p, p.requests[i]);
    pairs += cand[i].size();
    if (cand[i].empty() && !params.allow_unscheduled) none.push_back(no_slot_reason(p, p.requests[i]));
  }
  if (!none.empty())
    throw InvalidInput(p.source + ": infeasible: " + none[0] +
                       (none.size() > 1 ? " (and " + std::to_string(none.size() - 1) + " more requests without a slot)" : ""));
  if (pairs > 5'000'000) throw InvalidInput(p.source + ": too large: " + std::to_string(pairs) + " request-slot pairs (limit 5,000,000)");

  // Column restriction (per_session_candidates > 0): per request its cheapest candidates per
  // session, and every slot kept by a few requests (below). Costs: see slot_cost.
  std::vector<std::vector<double>> cost(p.requests.size());
  std::vector<std::vector<std::pair<double, int>>> all(p.requests.size());  // per request: (cost, slot)
  for (size_t i = 0; i < p.requests.size(); ++i) {
    const Request& r = p.requests[i];
    int64_t first_day = INT64_MAX;
    for (int s : cand[i]) first_day = std::min(first_day, p.slots[size_t(s)].start.local_day);
    for (int s : cand[i]) all[i].push_back({slot_cost(params, r, p.slots[size_t(s)], first_day), s});
  }
  std::vector<std::vector<char>> keep(p.requests.size());
  for (size_t i = 0; i < p.requests.size(); ++i) keep[i].assign(all[i].size(), params.per_session_candidates == 0);
  if (params.per_session_candidates > 0) {
    // Per request its cheapest candidates, per_session_candidates per session. Near-equal costs
    // (same session and kind) are ordered by a rotation that differs per request, so that
    // requests of one session do not all keep the same few slots.
    std::vector<int> cover(p.slots.size(), 0);
    for (size_t i = 0; i < p.requests.size(); ++i) {
      auto key = [&](size_t k) {
        const Slot& sl = p.slots[size_t(all[i][k].second)];
        const uint64_t rot = ((uint64_t(sl.from_end) + 1) * 0x9E3779B97F4A7C15ULL ^ (i + 1) * 0xBF58476D1CE4E5B9ULL) >> 40;
        return std::make_pair(std::round(all[i][k].first * 10) / 10, rot);
      };
      std::vector<size_t> order(all[i].size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
      std::map<int, int> per_session;
      for (size_t k : order)
        if (per_session[p.slots[size_t(all[i][k].second)].session]++ < params.per_session_candidates) {
          keep[i][k] = 1;
          ++cover[size_t(all[i][k].second)];
        }
    }
    // Every slot stays reachable: a slot that few requests kept (those at the end of a session
    // cost more for everyone, so no request keeps them) gets the requests for which it is the
    // smallest step up from their cheapest candidate.
    const int min_cover = 2 * params.per_session_candidates + 2;
    std::vector<std::vector<std::pair<double, std::pair<size_t, size_t>>>> offers(p.slots.size());
    for (size_t i = 0; i < p.requests.size(); ++i) {
      double best = INFINITY;
      for (const auto& c : all[i]) best = std::min(best, c.first);
      for (size_t k = 0; k < all[i].size(); ++k)
        if (!keep[i][k] && cover[size_t(all[i][k].second)] < min_cover)
          offers[size_t(all[i][k].second)].push_back({all[i][k].first - best, {i, k}});
    }
    for (size_t s = 0; s < p.slots.size(); ++s) {
      auto& o = offers[s];
      std::sort(o.begin(), o.end());
      for (size_t j = 0; j < o.size() && cover[s] < min_cover; ++j, ++cover[s]) keep[o[j].second.first][o[j].second.second] = 1;
    }
    // And the edges of a maximum-weight set of requests that can be matched to distinct slots:
    // so the restricted model can still book as many (and as urgent) requests as the full one,
    // but for room and patient clashes.
    for (auto [i, k] : max_weight_matching(p, all)) keep[i][k] = 1;
  }
  for (size_t i = 0; i < p.requests.size(); ++i) {
    cand[i].clear();
    for (size_t k = 0; k < all[i].size(); ++k)  // all[i] is in slot order, as candidate_slots gives it
      if (keep[i][k]) {
        cand[i].push_back(all[i][k].second);
        cost[i].push_back(all[i][k].first);
      }
  }

  Lp lp;
  // Columns x_{r,s}.
  std::vector<std::vector<int>> xcol(p.requests.size());
  std::vector<std::vector<std::pair<size_t, int>>> in_slot(p.slots.size());  // (request, column)
  for (size_t i = 0; i < p.requests.size(); ++i) {
    for (size_t k = 0; k < cand[i].size(); ++k) {
      const int col = lp.add_col(cost[i][k], 0, 1, true);
      xcol[i].push_back(col);
      in_slot[size_t(cand[i][k])].push_back({i, col});
    }
  }
  // Each request once (or unscheduled at a cost).
  std::vector<int> ucol(p.requests.size(), -1);
  // With book_all, leaving a request out costs more than any other choice of slots can save.
  double forced = 0;
  if (params.book_all)
    for (const auto& c : cost) forced += c.empty() ? 0 : *std::max_element(c.begin(), c.end()) + 1;
  for (size_t i = 0; i < p.requests.size(); ++i) {
    const int row = lp.add_row(1, 1);
    for (int c : xcol[i]) lp.set(row, c, 1);
    ucol[i] = lp.add_col(params.unscheduled_cost * p.requests[i].weight + forced, 0, 1, true);
    lp.set(row, ucol[i], 1);
  }
  // Slots: sum x <= 1 + o_s; expected attendance <= 1 + tolerance when overbooked.
  std::vector<int> ocol(p.slots.size(), -1), ycol(p.slots.size(), -1);
  for (size_t s = 0; s < p.slots.size(); ++s) {
    if (in_slot[s].empty()) continue;
    const Slot& sl = p.slots[s];
    const bool can_over = params.overbooking && sl.from_end >= params.guard_slots && in_slot[s].size() > 1;
    const bool roomed = !sl.room.empty();
    const int row = lp.add_row(-1e30, roomed ? 0 : 1);
    for (auto [i, c] : in_slot[s]) lp.set(row, c, 1);
    if (roomed) {  // y_s: the slot is in use; (1 + extra) y_s bounds its patients
      ycol[s] = lp.add_col(0, 0, 1, true);
      lp.set(row, ycol[s], -1);
    }
    if (can_over) {
      ocol[s] = lp.add_col(params.overbook_cost, 0, 1, true);
      lp.set(row, ocol[s], -1);
      const int er = lp.add_row(-1e30, 1 + params.overbook_tolerance);
      for (auto [i, c] : in_slot[s]) lp.set(er, c, 1 - p.requests[i].noshow);
      if (roomed) {  // o_s <= y_s
        const int oy = lp.add_row(-1e30, 0);
        lp.set(oy, ocol[s], 1);
        lp.set(oy, ycol[s], -1);
      }
    }
  }
  // Rooms: slots in use at any instant <= capacity (busy slots count as in use).
  std::map<std::string, std::vector<size_t>> by_room;
  for (size_t s = 0; s < p.slots.size(); ++s)
    if (!p.slots[s].room.empty()) by_room[p.slots[s].room].push_back(s);
  for (const auto& [room, ss] : by_room) {
    const int cap = p.room_capacity.at(room);
    std::set<int64_t> starts;
    for (size_t s : ss) starts.insert(p.slots[s].start.utc_min);
    std::set<std::vector<size_t>> done;
    for (int64_t t : starts) {
      std::vector<size_t> active;
      int busy = 0;
      for (size_t s : ss) {
        const Slot& sl = p.slots[s];
        if (sl.start.utc_min <= t && t < sl.end.utc_min) {
          if (sl.busy) ++busy;
          else if (ycol[s] >= 0) active.push_back(s);
        }
      }
      if (int(active.size()) + busy <= cap || !done.insert(active).second) continue;
      const int row = lp.add_row(-1e30, std::max(0, cap - busy));
      for (size_t s : active) lp.set(row, ycol[s], 1);
    }
  }
  // One appointment at a time per patient.
  std::map<std::string, std::vector<size_t>> by_patient;
  for (size_t i = 0; i < p.requests.size(); ++i) by_patient[p.requests[i].patient].push_back(i);
  for (const auto& [pat, rs] : by_patient) {
    if (rs.size() < 2) continue;
    std::set<int64_t> starts;
    for (size_t i : rs)
      for (int s : cand[i]) starts.insert(p.slots[size_t(s)].start.utc_min);
    for (int64_t t : starts) {
      std::vector<int> cols;
      std::set<size_t> reqs;
      for (size_t i : rs)
        for (size_t k = 0; k < cand[i].size(); ++k) {
          const Slot& sl = p.slots[size_t(cand[i][k])];
          if (sl.start.utc_min <= t && t < sl.end.utc_min) {
            cols.push_back(xcol[i][k]);
            reqs.insert(i);
          }
        }
      if (reqs.size() < 2) continue;
      const int row = lp.add_row(-1e30, 1);
      for (int c : cols) lp.set(row, c, 1);
    }
  }
  res.variables = lp.obj.size();
  res.constraints = lp.rlo.size();

  // A first solution for CBC: requests by deadline then urgency, each into its cheapest free
  // candidate slot that keeps rooms and the patient's other bookings free (no overbooking).
  std::vector<double> mip_start;
  if (start) {  // a given schedule (requests outside their kept candidates start unscheduled)
    mip_start.assign(lp.obj.size(), 0.0);
    std::vector<int> n(p.slots.size(), 0);
    for (size_t i = 0; i < p.requests.size(); ++i) {
      const int s = (*start)[i];
      const auto it = std::find(cand[i].begin(), cand[i].end(), s);
      if (s < 0 || it == cand[i].end()) {
        mip_start[size_t(ucol[i])] = 1;
        continue;
      }
      mip_start[size_t(xcol[i][size_t(it - cand[i].begin())])] = 1;
      ++n[size_t(s)];
    }
    for (size_t s = 0; s < p.slots.size(); ++s) {
      if (n[s] > 0 && ycol[s] >= 0) mip_start[size_t(ycol[s])] = 1;
      if (n[s] > 1 && ocol[s] >= 0) mip_start[size_t(ocol[s])] = 1;
    }
  } else {
    std::vector<double> start_x(lp.obj.size(), 0.0);
    std::vector<size_t> order(p.requests.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t c) {
      const Request &ra = p.requests[a], &rc = p.requests[c];
      if (cand[a].size() != cand[c].size() && (cand[a].size() < 8 || cand[c].size() < 8)) return cand[a].size() < cand[c].size();
      return ra.deadline_utc != rc.deadline_utc ? ra.deadline_utc < rc.deadline_utc : ra.weight > rc.weight;
    });
    std::vector<char> used(p.slots.size(), 0);
    std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> room_use, patient_use;
    for (const auto& sl : p.slots)
      if (sl.busy && !sl.room.empty()) room_use[sl.room].push_back({sl.start.utc_min, sl.end.utc_min});
    auto count_overlap = [](const std::vector<std::pair<int64_t, int64_t>>& v, int64_t a, int64_t z) {
      int n = 0;
      for (auto [b, e] : v) n += overlaps(a, z, b, e);
      return n;
    };
    for (size_t i : order) {
      int best = -1;
      for (size_t k = 0; k < cand[i].size(); ++k) {
        const size_t sidx = size_t(cand[i][k]);
        const Slot& sl = p.slots[sidx];
        if (used[sidx]) continue;
        if (!sl.room.empty() && count_overlap(room_use[sl.room], sl.start.utc_min, sl.end.utc_min) >= p.room_capacity.at(sl.room)) continue;
        if (count_overlap(patient_use[p.requests[i].patient], sl.start.utc_min, sl.end.utc_min) > 0) continue;
        if (best < 0 || lp.obj[size_t(xcol[i][k])] < lp.obj[size_t(xcol[i][size_t(best)])]) best = int(k);
      }
      if (best < 0) {
        start_x[size_t(ucol[i])] = 1;
        continue;
      }
      const size_t sidx = size_t(cand[i][size_t(best)]);
      const Slot& sl = p.slots[sidx];
      used[sidx] = 1;
      start_x[size_t(xcol[i][size_t(best)])] = 1;
      if (ycol[sidx] >= 0) start_x[size_t(ycol[sidx])] = 1;
      if (!sl.room.empty()) room_use[sl.room].push_back({sl.start.utc_min, sl.end.utc_min});
      patient_use[p.requests[i].patient].push_back({sl.start.utc_min, sl.end.utc_min});
    }
    mip_start = std::move(start_x);
  }
  const CbcSolution sol = run_cbc(lp, mip_start, params, p.source);
  const std::vector<double>& x = sol.x;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.objective = sol.objective;
  res.bound = sol.bound;
  res.gap = sol.gap;
  res.status = sol.status;
  for (size_t i = 0; i < p.requests.size(); ++i) {
    for (size_t k = 0; k < xcol[i].size(); ++k)
      if (x[size_t(xcol[i][k])] > 0.5) res.slot_of[i] = cand[i][k];
    if (res.slot_of[i] < 0) res.unscheduled.push_back(int(i));
  }
  for (size_t s = 0; s < p.slots.size(); ++s) {
    int n = 0;
    for (size_t i = 0; i < p.requests.size(); ++i) n += res.slot_of[i] == int(s);
    res.overbooked_slots += n > 1;
  }
  if (!res.unscheduled.empty() && !params.allow_unscheduled && res.status != "optimal")
    throw InvalidInput(p.source + ": no complete schedule found within " + fmt_num(params.time_limit_s) + " s (" +
                       std::to_string(res.unscheduled.size()) + " request(s) without a slot, gap " + fmt_num(res.gap) +
                       "); raise the time limit");
  if (!res.unscheduled.empty() && !params.allow_unscheduled) {
    // A set of requests that compete for too few slots: grow from an unscheduled request
    // through the requests booked into its candidate slots (an alternating-path closure).
    const size_t r0 = size_t(res.unscheduled[0]);
    std::set<size_t> reqs{r0};
    std::set<int> slots(cand[r0].begin(), cand[r0].end());
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t i = 0; i < p.requests.size(); ++i)
        if (!reqs.count(i) && res.slot_of[i] >= 0 && slots.count(res.slot_of[i])) {
          reqs.insert(i);
          slots.insert(cand[i].begin(), cand[i].end());
          grew = true;
        }
    }
    std::string names;
    int k = 0;
    for (size_t i : reqs) {
      if (k++ == 4) {
        names += ", ...";
        break;
      }
      names += (names.empty() ? "" : ", ") + p.requests[i].id;
    }
    std::set<std::string> rooms;
    for (int s : slots)
      if (!p.slots[size_t(s)].room.empty()) rooms.insert(p.slots[size_t(s)].room);
    throw InvalidInput(p.source + ": infeasible: capacity conflict: " + std::to_string(reqs.size()) + " requests (" + names +
                       ") can only use the same " + std::to_string(slots.size()) +
                       " slots (after skills, deadlines and availability" + (rooms.empty() ? "" : ", room limits") +
                       ", one appointment at a time per patient); " + std::to_string(res.unscheduled.size()) +
                       " request(s) left without a slot, first " + p.requests[r0].id);
  }
  return res;
}

}  // namespace

ScheduleResult schedule_fcfs(const Problem& p, int every) {
  ScheduleResult res;
  res.status = "heuristic";
  res.slot_of.assign(p.requests.size(), -1);
  std::vector<int> load(p.slots.size(), 0);
  std::vector<size_t> order(p.slots.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return p.slots[a].start.utc_min != p.slots[b].start.utc_min ? p.slots[a].start.utc_min < p.slots[b].start.utc_min : a < b;
  });
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> patient_busy;
  std::vector<int> from_start(p.slots.size(), 0);
  {
    std::map<int, int> seen;
    for (size_t s : order) from_start[s] = seen[p.slots[s].session]++;
  }
  auto room_free = [&](size_t s) {
    const Slot& sl = p.slots[s];
    if (sl.room.empty()) return true;
    int used = 0;
    for (size_t t = 0; t < p.slots.size(); ++t)
      if ((load[t] > 0 || p.slots[t].busy) && t != s && p.slots[t].room == sl.room &&
          overlaps(sl.start.utc_min, sl.end.utc_min, p.slots[t].start.utc_min, p.slots[t].end.utc_min))
        ++used;
    return used < p.room_capacity.at(sl.room);
  };
  for (size_t i = 0; i < p.requests.size(); ++i) {
    const Request& r = p.requests[i];
    for (size_t s : order) {
      const Slot& sl = p.slots[s];
      if (sl.busy || !skill_ok(sl, r) || !window_ok(sl, r) || !available(sl, r)) continue;
      const int allowed = every > 0 && sl.from_end >= 1 && from_start[s] % every == 0 ? 2 : 1;
      if (load[s] >= allowed) continue;
      if (load[s] == 0 && !room_free(s)) continue;
      bool clash = false;
      for (auto [a, z] : patient_busy[r.patient]) clash |= overlaps(a, z, sl.start.utc_min, sl.end.utc_min);
      if (clash) continue;
      ++load[s];
      res.slot_of[i] = int(s);
      patient_busy[r.patient].push_back({sl.start.utc_min, sl.end.utc_min});
      break;
    }
    if (res.slot_of[i] < 0) res.unscheduled.push_back(int(i));
  }
  for (int l : load) res.overbooked_slots += l > 1;
  return res;
}

std::string appointments_bundle(const Problem& p, const ScheduleResult& r) {
  nlohmann::ordered_json b;
  b["resourceType"] = "Bundle";
  b["type"] = "collection";
  b["entry"] = json::array();
  std::vector<int> count(p.slots.size(), 0);
  for (size_t i = 0; i < p.requests.size(); ++i) {
    if (r.slot_of[i] < 0) continue;
    const Request& q = p.requests[i];
    const Slot& s = p.slots[size_t(r.slot_of[i])];
    ++count[size_t(r.slot_of[i])];
    nlohmann::ordered_json a;
    a["resourceType"] = "Appointment";
    a["id"] = "appt-" + std::to_string(i + 1);
    a["status"] = "booked";
    if (!q.skill.empty()) a["serviceType"] = {{{"coding", {{{"code", q.skill}}}}}};
    a["priority"] = q.weight == 4 ? 1 : q.weight == 3 ? 2 : q.weight == 2 ? 3 : 5;  // FHIR: lower is more urgent
    a["start"] = s.start_text;
    a["end"] = s.end_text;
    a["slot"] = {{{"reference", s.id}}};
    a["basedOn"] = {{{"reference", q.id}}};
    nlohmann::ordered_json parts = json::array();
    parts.push_back({{"actor", {{"reference", q.patient}}}, {"status", "accepted"}});
    parts.push_back({{"actor", {{"reference", s.provider}}}, {"status", "accepted"}});
    if (!s.room.empty()) parts.push_back({{"actor", {{"reference", s.room}}}, {"status", "accepted"}});
    a["participant"] = parts;
    a["extension"] = {{{"url", std::string(kExtensionBase) + "noshow-probability"}, {"valueDecimal", q.noshow}}};
    if (count[size_t(r.slot_of[i])] > 1 || std::count(r.slot_of.begin(), r.slot_of.end(), r.slot_of[i]) > 1)
      a["comment"] = "overbooked slot (" + std::to_string(std::count(r.slot_of.begin(), r.slot_of.end(), r.slot_of[i])) +
                     " patients, expected no-shows)";
    b["entry"].push_back({{"fullUrl", "urn:uuid:appt-" + std::to_string(i + 1)}, {"resource", a}});
  }
  return b.dump(1) + "\n";
}

}  // namespace medgen::ops
