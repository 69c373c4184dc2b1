// Virtual patients over the API: a trainee starts a case, sends actions, watches the monitor
// live over a WebSocket, and ends with a debrief scored against the condition's guideline. The
// patient's clock runs at real time (times `speed`) from the start: every request first advances
// the session to now, so the HTTP and WebSocket views agree.
#include <algorithm>
#include <chrono>

#include "api_impl.h"
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
        start_(std::chrono::steady_clock::now()) {}

  int64_t owner() const { return owner_; }
  int64_t project() const { return project_; }

  // Advances to now; returns what happened on the way. A session runs at most 24 simulated
  // hours: after that its clock stops.
  std::vector<sim::Event> catch_up() {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double target = std::min(wall * speed_, 24.0 * 3600);
    if (ended_ || target <= session_.time_s() + 1e-9) return {};
    return session_.advance(target - session_.time_s());
  }

  nlohmann::json monitor() const {
    const sim::Vitals v = session_.vitals();
    return {{"t_s", session_.time_s()}, {"hr_bpm", v.hr_bpm},     {"sbp_mmhg", v.sbp_mmhg},
            {"dbp_mmhg", v.dbp_mmhg},   {"map_mmhg", v.map_mmhg}, {"rr_per_min", v.rr_per_min},
            {"spo2_pct", v.spo2_pct},   {"fio2", v.fio2},         {"temp_c", v.temp_c},
            {"gcs", v.gcs},             {"line", session_.monitor_line()}, {"dead", session_.dead()}};
  }

  std::mutex mu;
  sim::Session& session() { return session_; }
  const sim::Catalog& catalog() const { return *catalog_; }
  bool ended_ = false;

 private:
  std::shared_ptr<const sim::Catalog> catalog_;
  sim::Session session_;
  double speed_;
  int64_t owner_, project_;
  std::chrono::steady_clock::time_point start_;
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
    return {id, live};
  };

  add("GET", "/api/v1/projects/{project}/sim/conditions", "simulation", "conditions, drugs and orders of the catalog",
      "educator, trainee", "", [this](Ctx& ctx) {
        require(ctx, Perm::kSimulate, "sim.catalog");
        return ok(sim_catalog()->summary_json());
      });

  add("POST", "/api/v1/projects/{project}/sim/sessions", "simulation",
      "start a virtual patient: {condition, severity?, seed?, speed? (1 = real time, up to 60)}", "educator, trainee",
      "json", [this](Ctx& ctx) {
        require(ctx, Perm::kSimulate, "sim.start");
        const nlohmann::json b = json_body(ctx.req);
        sim::CaseOptions o;
        o.condition = display_name(b.value("condition", nlohmann::json()), "condition");
        if (b.contains("severity")) o.severity = display_name(b["severity"], "severity");
        if (b.contains("seed")) {
          if (!b["seed"].is_number_unsigned()) throw ApiError{400, "bad_request", "seed: a non-negative integer"};
          o.seed = b["seed"].get<uint64_t>();
        }
        const double speed = b.value("speed", nlohmann::json(1.0)).is_number() ? b.value("speed", 1.0) : -1;
        if (!(speed >= 1 && speed <= 60)) throw ApiError{400, "bad_request", "speed: from 1 to 60"};
        const std::shared_ptr<const sim::Catalog> cat = sim_catalog();
        if (!cat->find_condition(o.condition)) throw ApiError{400, "bad_request", "condition: unknown (see sim/conditions)"};
        const sim::Case c = sim::generate_case(*cat, o);
        auto live = std::make_shared<LiveSim>(cat, c, speed, ctx.caller->user.id, ctx.project);
        int64_t id = 0;
        {
          // Checked and inserted under one lock: the caps hold under concurrent starts.
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
          sims[id] = live;
        }
        audit(ctx, "sim.start", "sim:" + std::to_string(id), "ok", {{"condition", c.condition}});
        std::lock_guard<std::mutex> lock(live->mu);
        return ok({{"id", id}, {"vignette", c.vignette}, {"monitor", live->monitor()}, {"speed", speed}}, 201);
      });

  add("GET", "/api/v1/projects/{project}/sim/sessions", "simulation",
      "sessions of the project: a trainee's own, all for an educator", "educator, trainee", "", [this](Ctx& ctx) {
        require(ctx, Perm::kSimulate, "sim.list");
        const bool all = role_allows(*ctx.role, Perm::kSimulateAll);
        nlohmann::json out = nlohmann::json::array();
        for (const SimSessionRow& r : store->sim_sessions(ctx.project)) {
          if (!all && r.user_id != ctx.caller->user.id) continue;
          out.push_back({{"id", r.id}, {"user", r.user_id}, {"state", r.state}, {"created_at", r.created_at},
                         {"ended_at", r.ended_at}});
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
