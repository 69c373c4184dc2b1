// Virtual patients over the API: a trainee starts a case, sends actions, watches the monitor
// live over a WebSocket, and ends with a debrief scored against the condition's guideline. The
// patient's clock runs at real time (times `speed`) from the start: every request first advances
// the session to now, so the HTTP and WebSocket views agree.
#include <algorithm>
#include <atomic>
#include <chrono>

#include <sodium.h>

#include "api_impl.h"
#include "scratch.h"
#include "medgen/core/error.h"
#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"
#include "medgen/sim/scoring.h"
#include "medgen/sim/session.h"

namespace medgen::server {

class LiveSim {
 public:
  LiveSim(std::shared_ptr<const sim::Catalog> catalog, const sim::Case& c, double speed, int64_t owner, int64_t project)
      : catalog_(std::move(catalog)), session_(*catalog_, c), speed_(speed), owner_(owner), project_(project),
        anchor_(std::chrono::steady_clock::now()) {}

  int64_t owner() const { return owner_; }
  int64_t project() const { return project_; }
  // The last request or monitor push (idle sessions are ended: Api::Impl::reap_idle_sims).
  void touch() { last_seen_ns_ = now_ns(); }
  double idle_s() const { return static_cast<double>(now_ns() - last_seen_ns_.load()) * 1e-9; }

  // Advances to now; returns what happened on the way. A session runs at most 24 simulated
  // hours: after that its clock stops.
  std::vector<sim::Event> catch_up() {
    const double target = clock_target();
    if (ended_ || target <= session_.time_s() + 1e-9) return {};
    return session_.advance(target - session_.time_s());
  }

  // Pauses or resumes the clock and sets its speed (1..60 x real time) from now on; with mu held.
  // Returns what happened up to now.
  std::vector<sim::Event> set_clock(bool paused, double speed) {
    const double now_s = clock_target();
    std::vector<sim::Event> ev;
    if (!ended_ && now_s > session_.time_s() + 1e-9) ev = session_.advance(now_s - session_.time_s());
    anchor_sim_s_ = now_s;
    anchor_ = std::chrono::steady_clock::now();
    paused_ = paused;
    speed_ = speed;
    return ev;
  }
  bool paused() const { return paused_; }
  double speed() const { return speed_; }

  nlohmann::json monitor() const {
    const sim::Vitals v = session_.vitals();
    return {{"t_s", session_.time_s()}, {"hr_bpm", v.hr_bpm},     {"sbp_mmhg", v.sbp_mmhg},
            {"dbp_mmhg", v.dbp_mmhg},   {"map_mmhg", v.map_mmhg}, {"rr_per_min", v.rr_per_min},
            {"spo2_pct", v.spo2_pct},   {"fio2", v.fio2},         {"temp_c", v.temp_c},
            {"gcs", v.gcs},             {"line", session_.monitor_line()}, {"dead", session_.dead()},
            {"paused", paused_},        {"speed", speed_}};
  }

  std::mutex mu;
  sim::Session& session() { return session_; }
  const sim::Catalog& catalog() const { return *catalog_; }
  bool ended_ = false;

 private:
  std::shared_ptr<const sim::Catalog> catalog_;
  sim::Session session_;
  // Simulated seconds at the anchor plus, unless paused, the wall time since times the speed.
  double clock_target() const {
    if (paused_) return std::min(anchor_sim_s_, 24.0 * 3600);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - anchor_).count();
    return std::min(anchor_sim_s_ + wall * speed_, 24.0 * 3600);
  }
  double speed_;
  int64_t owner_, project_;
  std::chrono::steady_clock::time_point anchor_;
  double anchor_sim_s_ = 0;
  bool paused_ = false;
  static int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  std::atomic<int64_t> last_seen_ns_{now_ns()};
};

namespace {

nlohmann::json events_json(const std::vector<sim::Event>& ev) {
  nlohmann::json out = nlohmann::json::array();
  for (const sim::Event& e : ev) out.push_back({{"t_s", e.t_s}, {"kind", e.kind}, {"text", e.text}});
  return out;
}

// The monitor once a second, actions in: {"action": "give 1 L crystalloid"}.
class SimLive : public WsHandler {
 public:
  explicit SimLive(std::shared_ptr<LiveSim> sim) : sim_(std::move(sim)) {}
  void opened(WsPeer& peer) override {
    push(peer, {});
    peer.every(std::chrono::milliseconds(1000), [this, &peer] { return push(peer, {}); });
  }
  void message(WsPeer& peer, const std::string& text) override {
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("action") || !j["action"].is_string() ||
        j["action"].get<std::string>().size() > 1000) {
      peer.send(nlohmann::json{{"error",
                                {{"code", "bad_request"},
                                 {"message", "send {\"action\": \"...\"} (at most 1000 characters)"}}}}
                    .dump());
      return;
    }
    std::vector<sim::Event> replies;
    {
      std::lock_guard<std::mutex> lock(sim_->mu);
      if (sim_->ended_) return peer.close();
      replies = sim_->catch_up();
      const std::vector<sim::Event> r = sim_->session().act(j["action"].get<std::string>());
      replies.insert(replies.end(), r.begin(), r.end());
    }
    push(peer, replies);
  }

 private:
  bool push(WsPeer& peer, std::vector<sim::Event> events) {
    sim_->touch();
    nlohmann::json msg;
    {
      std::lock_guard<std::mutex> lock(sim_->mu);
      if (sim_->ended_) {
        peer.send(R"({"ended":true})");
        peer.close();
        return false;
      }
      const std::vector<sim::Event> more = sim_->catch_up();
      events.insert(events.end(), more.begin(), more.end());
      msg = {{"monitor", sim_->monitor()}, {"events", events_json(events)}};
    }
    peer.send(msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return true;
  }
  std::shared_ptr<LiveSim> sim_;
};

}  // namespace

std::shared_ptr<const sim::Catalog> Api::Impl::sim_catalog() {
  std::lock_guard<std::mutex> lock(catalog_mu);
  if (!catalog)
    catalog = std::make_shared<const sim::Catalog>(
        sim::Catalog::load(cfg.sim_data.empty() ? sim::Catalog::default_dir() : cfg.sim_data));
  return catalog;
}

void Api::Impl::reap_idle_sims() {
  std::vector<std::pair<int64_t, std::shared_ptr<LiveSim>>> idle;
  {
    std::lock_guard<std::mutex> lock(sims_mu);
    for (auto it = sims.begin(); it != sims.end();) {
      if (it->second->idle_s() > 60.0 * cfg.sim_idle_minutes) {
        idle.emplace_back(it->first, it->second);
        it = sims.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Scored as they stand: the clock is not run on over the hours nobody watched.
  for (auto& [id, s] : idle) {
    nlohmann::json result;
    {
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->ended_) continue;
      s->ended_ = true;
      const sim::Session& ss = s->session();
      result = sim::session_json(ss, sim::score_session(ss, s->catalog().rubrics.at(ss.condition().rubric)));
    }
    result["ended_by"] = "idle";
    try {
      store->end_sim_session(id, result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } catch (const std::exception&) {
    }
  }
}

void Api::Impl::end_all_sims() {
  std::map<int64_t, std::shared_ptr<LiveSim>> live;
  {
    std::lock_guard<std::mutex> lock(sims_mu);
    live.swap(sims);
  }
  for (auto& [id, s] : live) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->ended_ = true;
    try {
      store->end_sim_session(id, nlohmann::json{{"ended_by", "server shutdown"}}.dump());
    } catch (const std::exception&) {
    }
  }
}

void Api::Impl::add_sim_routes() {
  // The session `session` of ctx.project when the caller may see it (its owner; an educator of
  // the project), else 403 alike for absent, foreign and ended ones (live_only).
  auto find = [this](Ctx& ctx, const std::string& action, bool live_only) -> std::pair<int64_t, std::shared_ptr<LiveSim>> {
    require(ctx, Perm::kSimulate, action);
    const int64_t id = id_param(ctx.req, "session");
    const std::optional<SimSessionRow> row = store->sim_session(id);
    const bool visible = row && row->project_id == ctx.project &&
                         (row->user_id == ctx.caller->user.id || role_allows(*ctx.role, Perm::kSimulateAll));
    if (!visible) deny(ctx, action, "sim:" + std::to_string(id));
    std::shared_ptr<LiveSim> live;
    {
      std::lock_guard<std::mutex> lock(sims_mu);
      auto it = sims.find(id);
      if (it != sims.end()) live = it->second;
    }
    if (live_only && !live) throw ApiError{409, "conflict", "the session has ended"};
    if (live) live->touch();
    return {id, live};
  };

  add("GET", "/api/v1/projects/{project}/sim/conditions", "simulation", "conditions, drugs and orders of the catalog",
      "educator, trainee", "", [this](Ctx& ctx) {
        require(ctx, Perm::kSimulate, "sim.catalog");
        return ok(sim_catalog()->summary_json());
      });

  // The case options of a request or an assignment: {condition, severity?, seed?} checked against
  // the catalog (400 for what is unknown).
  auto case_options = [this](const nlohmann::json& b) {
    sim::CaseOptions o;
    o.condition = display_name(b.value("condition", nlohmann::json()), "condition");
    if (b.contains("severity") && !(b["severity"].is_string() && b["severity"].get<std::string>().empty())) {
      o.severity = display_name(b["severity"], "severity");
      if (o.severity != "mild" && o.severity != "moderate" && o.severity != "severe")
        throw ApiError{400, "bad_request", "severity: mild, moderate or severe"};
    }
    if (b.contains("seed")) {
      if (!b["seed"].is_number_unsigned()) throw ApiError{400, "bad_request", "seed: a non-negative integer"};
      o.seed = b["seed"].get<uint64_t>();
    }
    if (!sim_catalog()->find_condition(o.condition))
      throw ApiError{400, "bad_request", "condition: unknown (see sim/conditions)"};
    return o;
  };

  add("POST", "/api/v1/projects/{project}/sim/sessions", "simulation",
      "start a virtual patient: {condition, severity?, seed?, speed? (1 = real time, up to 60)}, or {assignment, "
      "speed?} for a case an educator assigned to the caller",
      "educator, trainee", "json", [this, case_options](Ctx& ctx) {
        require(ctx, Perm::kSimulate, "sim.start");
        const nlohmann::json b = json_body(ctx.req);
        std::optional<Assignment> assigned;
        sim::CaseOptions o;
        if (b.contains("assignment")) {
          const int64_t aid = int_field(b, "assignment", 0, 1, INT64_MAX, true);
          assigned = store->assignment(aid);
          // Only its trainee starts it; anyone else's id reads like an absent one.
          if (!assigned || assigned->project_id != ctx.project || assigned->trainee_id != ctx.caller->user.id)
            deny(ctx, "sim.start", "assignment:" + std::to_string(aid));
          if (assigned->session_id) throw ApiError{409, "conflict", "the assignment has already been started"};
          o = case_options(nlohmann::json::parse(assigned->case_json));
        } else {
          o = case_options(b);
        }
        const double speed = b.value("speed", nlohmann::json(1.0)).is_number() ? b.value("speed", 1.0) : -1;
        if (!(speed >= 1 && speed <= 60)) throw ApiError{400, "bad_request", "speed: from 1 to 60"};
        const std::shared_ptr<const sim::Catalog> cat = sim_catalog();
        const sim::Case c = sim::generate_case(*cat, o);
        auto live = std::make_shared<LiveSim>(cat, c, speed, ctx.caller->user.id, ctx.project);
        int64_t id = 0;
        {
          // Checked and inserted under one lock: the caps hold under concurrent starts.
          reap_idle_sims();
          std::lock_guard<std::mutex> lock(sims_mu);
          if (sims.size() >= static_cast<size_t>(cfg.max_sim_sessions))
            throw ApiError{429, "busy", "too many live sessions; end one or retry later"};
          const auto mine = std::count_if(sims.begin(), sims.end(),
                                          [&](const auto& kv) { return kv.second->owner() == ctx.caller->user.id; });
          if (mine >= cfg.max_sim_sessions_per_user)
            throw ApiError{429, "busy", "you have " + std::to_string(mine) + " live sessions; end one first"};
          SimSessionRow row;
          row.project_id = ctx.project;
          row.user_id = ctx.caller->user.id;
          row.case_json = c.to_json().dump();
          id = store->create_sim_session(row);
          if (assigned) {
            try {
              store->start_assignment(assigned->id, id);
            } catch (const InvalidInput&) {
              // Started meanwhile by another request of the same trainee: this session ends unused.
              store->end_sim_session(id, nlohmann::json{{"ended_by", "assignment already started"}}.dump());
              throw ApiError{409, "conflict", "the assignment has already been started"};
            }
          }
          sims[id] = live;
        }
        nlohmann::json detail{{"condition", c.condition}};
        if (assigned) detail["assignment"] = assigned->id;
        audit(ctx, "sim.start", "sim:" + std::to_string(id), "ok", detail);
        std::lock_guard<std::mutex> lock(live->mu);
        return ok({{"id", id}, {"vignette", c.vignette}, {"monitor", live->monitor()}, {"speed", speed}}, 201);
      });

  // What a list shows of a session's end: the score's percent, or null.
  auto score_of = [](const std::string& result_json) -> nlohmann::json {
    const nlohmann::json r = nlohmann::json::parse(result_json, nullptr, false);
    if (!r.is_object() || !r.contains("score") || !r["score"].is_object()) return nullptr;
    return r["score"].value("percent", nlohmann::json());
  };
  auto user_name = [this](int64_t id) {
    const std::optional<User> u = store->user(id);
    return u ? u->name : std::string("#") + std::to_string(id);
  };

  add("GET", "/api/v1/projects/{project}/sim/trainees", "simulation", "the project's trainees (to assign cases to)",
      "educator", "", [this](Ctx& ctx) {
        require(ctx, Perm::kSimulateAll, "sim.trainees");
        nlohmann::json out = nlohmann::json::array();
        for (const Membership& m : store->project_members(ctx.project))
          if (m.role == Role::kTrainee) {
            const std::optional<User> u = store->user(m.user_id);
            if (u && !u->disabled) out.push_back({{"id", u->id}, {"name", u->name}});
          }
        return ok(out);
      });

  add("POST", "/api/v1/projects/{project}/sim/assignments", "simulation",
      "assign a generated case to a trainee of the project: {trainee, condition, severity?, seed? (default: "
      "random)}; answers with the case's vignette",
      "educator", "json", [this, case_options](Ctx& ctx) {
        require(ctx, Perm::kSimulateAll, "sim.assign");
        nlohmann::json b = json_body(ctx.req);
        const int64_t trainee = int_field(b, "trainee", 0, 1, INT64_MAX, true);
        if (store->role(trainee, ctx.project) != Role::kTrainee)
          throw ApiError{400, "bad_request", "trainee: not a trainee of this project"};
        if (!b.contains("seed")) {
          uint64_t seed = 0;
          randombytes_buf(&seed, sizeof seed);
          b["seed"] = seed >> 12;  // exact in a JSON double, for clients that read it as one
        }
        const sim::CaseOptions o = case_options(b);
        const sim::Case c = sim::generate_case(*sim_catalog(), o);
        Assignment a;
        a.project_id = ctx.project;
        a.trainee_id = trainee;
        a.assigned_by = ctx.caller->user.id;
        nlohmann::json spec{{"condition", c.condition}, {"seed", o.seed}};
        if (!o.severity.empty()) spec["severity"] = o.severity;
        a.case_json = spec.dump();
        a.id = store->create_assignment(a);
        audit(ctx, "sim.assign", "assignment:" + std::to_string(a.id), "ok",
              {{"trainee", trainee}, {"condition", c.condition}});
        nlohmann::json out = spec;
        out["id"] = a.id;
        out["trainee"] = trainee;
        out["vignette"] = c.vignette;
        return ok(out, 201);
      });

  add("GET", "/api/v1/projects/{project}/sim/assignments", "simulation",
      "assigned cases with their state and score: a trainee's own, all for an educator", "educator, trainee", "",
      [this, score_of, user_name](Ctx& ctx) {
        require(ctx, Perm::kSimulate, "sim.assignments");
        const bool all = role_allows(*ctx.role, Perm::kSimulateAll);
        nlohmann::json out = nlohmann::json::array();
        for (const Assignment& a : store->assignments(ctx.project)) {
          if (!all && a.trainee_id != ctx.caller->user.id) continue;
          nlohmann::json spec = nlohmann::json::parse(a.case_json, nullptr, false);
          if (!spec.is_object()) spec = nlohmann::json::object();
          nlohmann::json row{{"id", a.id},
                             {"trainee", a.trainee_id},
                             {"trainee_name", user_name(a.trainee_id)},
                             {"condition", spec.value("condition", "")},
                             {"severity", spec.value("severity", "")},
                             {"created_at", a.created_at},
                             {"session", a.session_id ? nlohmann::json(a.session_id) : nlohmann::json()},
                             {"state", "assigned"},
                             {"score", nullptr}};
          if (all) row["seed"] = spec.value("seed", nlohmann::json());
          if (a.session_id) {
            const std::optional<SimSessionRow> s = store->sim_session(a.session_id);
            if (s) {
              row["state"] = s->state;
              row["score"] = score_of(s->result_json);
            }
          }
          out.push_back(row);
        }
        return ok(out);
      });

  add("GET", "/api/v1/projects/{project}/sim/sessions", "simulation",
      "sessions of the project with their scores: a trainee's own, all for an educator", "educator, trainee", "",
      [this, score_of, user_name](Ctx& ctx) {
        require(ctx, Perm::kSimulate, "sim.list");
        const bool all = role_allows(*ctx.role, Perm::kSimulateAll);
        nlohmann::json out = nlohmann::json::array();
        for (const SimSessionRow& r : store->sim_sessions(ctx.project)) {
          if (!all && r.user_id != ctx.caller->user.id) continue;
          const nlohmann::json c = nlohmann::json::parse(r.case_json, nullptr, false);
          out.push_back({{"id", r.id}, {"user", r.user_id}, {"user_name", user_name(r.user_id)}, {"state", r.state},
                         {"condition", c.is_object() ? c.value("condition", nlohmann::json()) : nlohmann::json()},
                         {"score", score_of(r.result_json)}, {"created_at", r.created_at}, {"ended_at", r.ended_at}});
        }
        return ok(out);
      });

  add("GET", "/api/v1/projects/{project}/sim/sessions/{session}", "simulation",
      "a session: the monitor and the log while live, the debrief once ended", "educator, trainee (own)", "",
      [this, find](Ctx& ctx) {
        auto [id, live] = find(ctx, "sim.read", false);
        if (!live) {
          const SimSessionRow r = *store->sim_session(id);
          nlohmann::json result = nlohmann::json::parse(r.result_json, nullptr, false);
          return ok({{"id", id}, {"state", r.state}, {"result", result.is_discarded() ? nlohmann::json() : result}});
        }
        std::lock_guard<std::mutex> lock(live->mu);
        live->catch_up();
        return ok({{"id", id}, {"state", "live"}, {"monitor", live->monitor()}, {"log", events_json(live->session().log())}});
      });

  add("POST", "/api/v1/projects/{project}/sim/sessions/{session}/actions", "simulation",
      "act on the patient: {text: \"give 1 L crystalloid\"}", "trainee (own), educator", "json", [this, find](Ctx& ctx) {
        auto [id, live] = find(ctx, "sim.act", true);
        const nlohmann::json b = json_body(ctx.req);
        if (!b.contains("text") || !b["text"].is_string() || b["text"].get<std::string>().size() > 1000)
          throw ApiError{400, "bad_request", "text: the action, at most 1000 characters"};
        std::lock_guard<std::mutex> lock(live->mu);
        if (live->ended_) throw ApiError{409, "conflict", "the session has ended"};
        std::vector<sim::Event> ev = live->catch_up();
        const std::vector<sim::Event> r = live->session().act(b["text"].get<std::string>());
        ev.insert(ev.end(), r.begin(), r.end());
        return ok({{"events", events_json(ev)}, {"monitor", live->monitor()}});
      });

  add("POST", "/api/v1/projects/{project}/sim/sessions/{session}/clock", "simulation",
      "pause or resume the patient's clock, or change its speed: {paused?: bool, speed?: 1..60}",
      "trainee (own), educator", "json", [this, find](Ctx& ctx) {
        auto [id, live] = find(ctx, "sim.clock", true);
        const nlohmann::json b = json_body(ctx.req);
        if (b.contains("paused") && !b["paused"].is_boolean()) throw ApiError{400, "bad_request", "paused: true or false"};
        if (b.contains("speed") && !(b["speed"].is_number() && b["speed"].get<double>() >= 1 && b["speed"].get<double>() <= 60))
          throw ApiError{400, "bad_request", "speed: from 1 to 60"};
        std::lock_guard<std::mutex> lock(live->mu);
        if (live->ended_) throw ApiError{409, "conflict", "the session has ended"};
        const std::vector<sim::Event> ev = live->set_clock(b.value("paused", live->paused()), b.value("speed", live->speed()));
        return ok({{"events", events_json(ev)}, {"monitor", live->monitor()}});
      });

  add("POST", "/api/v1/projects/{project}/sim/sessions/{session}/end", "simulation",
      "end the session and score it against the condition's guideline", "trainee (own), educator", "",
      [this, find](Ctx& ctx) {
        auto [id, live] = find(ctx, "sim.end", true);
        nlohmann::json result;
        {
          std::lock_guard<std::mutex> lock(live->mu);
          if (live->ended_) throw ApiError{409, "conflict", "the session has ended"};
          live->catch_up();
          const sim::Session& s = live->session();
          const sim::Score score = sim::score_session(s, live->catalog().rubrics.at(s.condition().rubric));
          result = sim::session_json(s, score);
          live->ended_ = true;
        }
        {
          std::lock_guard<std::mutex> lock(sims_mu);
          sims.erase(id);
        }
        store->end_sim_session(id, result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        audit(ctx, "sim.end", "sim:" + std::to_string(id), "ok");
        return ok(result);
      });

  add("GET", "/api/v1/projects/{project}/sim/sessions/{session}/live", "simulation",
      "the monitor once a second and actions in, over a WebSocket ({\"action\": \"...\"}; token as ?token=)",
      "trainee (own), educator", "", [find](Ctx& ctx) {
        auto [id, live] = find(ctx, "sim.live", true);
        return Reply{HttpResponse{}, std::make_shared<SimLive>(live)};
      },
      true, true);
}

}  // namespace medgen::server
