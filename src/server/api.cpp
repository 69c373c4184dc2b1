#include "medgen/server/api.h"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include "api_impl.h"
#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "medgen/core/version.h"
#include "medgen/eval/gate.h"

namespace fs = std::filesystem;

namespace medgen::server {

// ---------------------------------------------------------------------------- small helpers

bool role_allows(Role role, Perm perm) {
  switch (perm) {
    case Perm::kView:
      return role == Role::kSteward || role == Role::kAnalyst;
    case Perm::kUploadReal:
    case Perm::kReadReal:
    case Perm::kApproveRelease:
    case Perm::kReadSynthetic:
      return role == Role::kSteward;
    case Perm::kWork:
      return role == Role::kSteward || role == Role::kAnalyst;
    case Perm::kSimulate:
      return role == Role::kTrainee || role == Role::kEducator;
    case Perm::kSimulateAll:
      return role == Role::kEducator;
  }
  return false;
}

const std::string& Ctx::user_name() const {
  static const std::string kNone = "-";
  return caller ? caller->user.name : kNone;
}

int64_t id_param(const HttpRequest& req, const std::string& name) {
  const std::string s = req.param(name);
  int64_t v = 0;
  if (s.empty() || s.size() > 18) throw ApiError{400, "bad_request", name + ": not an id"};
  for (char c : s) {
    if (c < '0' || c > '9') throw ApiError{400, "bad_request", name + ": not an id"};
    v = v * 10 + (c - '0');
  }
  if (v <= 0) throw ApiError{400, "bad_request", name + ": not an id"};
  return v;
}

nlohmann::json json_body(const HttpRequest& req) {
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ApiError{400, "bad_request", "the body must be a JSON object"};
  return j;
}

std::string display_name(const nlohmann::json& v, const std::string& field) {
  if (!v.is_string()) throw ApiError{400, "bad_request", field + ": a string is required"};
  const std::string s = v.get<std::string>();
  if (s.empty() || s.size() > 200) throw ApiError{400, "bad_request", field + ": 1 to 200 characters"};
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) throw ApiError{400, "bad_request", field + ": control characters are not allowed"};
  return s;
}

Reply ok(const nlohmann::json& body, int status) { return Reply{HttpResponse::json(status, body), nullptr}; }

nlohmann::json to_json(const Dataset& d, bool full) {
  nlohmann::json schema = nlohmann::json::parse(d.schema_json, nullptr, false);
  // A real table's schema carries real values (category levels, minima and maxima): for anyone
  // but a steward only the columns' names and types.
  // A dataset of several tables: the same for each table.
  auto names_only = [](nlohmann::json& columns) {
    if (!columns.is_array()) return;
    for (auto& c : columns)
      if (c.is_object()) c = nlohmann::json{{"name", c.value("name", "")}, {"type", c.value("type", "")}};
  };
  const bool records = is_records(d);
  if (!full && d.kind == "real" && schema.is_object()) {
    if (schema.contains("columns")) names_only(schema["columns"]);
    if (records)
      for (auto& t : schema["tables"])
        if (t.is_object() && t.contains("columns")) names_only(t["columns"]);
  }
  // rows: a table's rows, or a dataset's top-level entities (patients); columns: its tables.
  return {{"id", d.id},           {"project", d.project_id}, {"name", d.name},
          {"kind", d.kind},       {"format", records ? "records" : "table"},
          {"rows", d.rows},       {"columns", d.columns},
          {"schema", schema.is_discarded() ? nlohmann::json() : schema},
          {"source_model", d.source_model_id ? nlohmann::json(d.source_model_id) : nlohmann::json()},
          {"created_by", d.created_by}, {"created_at", d.created_at}};
}

nlohmann::json to_json(const Model& m) {
  return {{"id", m.id},         {"project", m.project_id}, {"dataset", m.dataset_id}, {"synthesizer", m.synthesizer},
          {"job", m.job_id},    {"created_by", m.created_by}, {"created_at", m.created_at}};
}

nlohmann::json to_json(const Job& j, bool full) {
  nlohmann::json params = nlohmann::json::parse(j.params_json, nullptr, false);
  nlohmann::json result = nlohmann::json::parse(j.result_json, nullptr, false);
  // A failed job's message may quote a field of the real data: stewards only.
  std::string message = j.message;
  if (!full && j.state == "failed") message = "the job failed; a steward of the project can read why";
  return {{"id", j.id},
          {"project", j.project_id},
          {"kind", j.kind},
          {"state", j.state},
          {"params", params.is_discarded() ? nlohmann::json() : params},
          {"progress", j.progress},
          {"message", message},
          {"result", result.is_discarded() ? nlohmann::json() : result},
          {"attempts", j.attempts},
          {"created_by", j.created_by},
          {"created_at", j.created_at},
          {"updated_at", j.updated_at}};
}

nlohmann::json to_json(const Release& r) {
  nlohmann::json gate = nlohmann::json::parse(r.gate_json, nullptr, false);
  return {{"id", r.id},
          {"project", r.project_id},
          {"dataset", r.dataset_id},
          {"state", r.state},
          {"gate_passed", r.gate_passed},
          {"gate", gate.is_discarded() ? nlohmann::json() : gate},
          {"requested_by", r.requested_by},
          {"decided_by", r.decided_by ? nlohmann::json(r.decided_by) : nlohmann::json()},
          {"created_at", r.created_at},
          {"decided_at", r.decided_at}};
}

void ServerConfig::validate() const {
  if (data_dir.empty()) throw InvalidInput("--data-dir: a folder is required");
  if (workers < 1 || workers > 64) throw InvalidInput("--workers: between 1 and 64");
  if (queue < 1 || queue > 100000) throw InvalidInput("--queue: between 1 and 100000");
  if (token_ttl_hours < 1 || token_ttl_hours > 24 * 30) throw InvalidInput("--token-hours: between 1 and 720");
  if (max_sim_sessions < 1 || max_sim_sessions > 100000) throw InvalidInput("--max-sim-sessions: between 1 and 100000");
  if (!(sim_idle_minutes >= 0.01 && sim_idle_minutes <= 7 * 24 * 60))
    throw InvalidInput("--sim-idle-minutes: between 0.01 and 10080");
  if (max_sim_sessions_per_user < 1 || max_sim_sessions_per_user > max_sim_sessions)
    throw InvalidInput("max_sim_sessions_per_user: between 1 and --max-sim-sessions");
  if (job_lease_s < 4 || job_lease_s > 86400) throw InvalidInput("--job-lease: between 4 and 86400 seconds");
  if (runner_id.size() > 200 || runner_id.find_first_of("\r\n") != std::string::npos)
    throw InvalidInput("--runner-id: one line of at most 200 characters");
}

// ---------------------------------------------------------------------------- Impl: setup

namespace {

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find this program's path (/proc/self/exe)");
  return p.string();
}

// Creates `dir` if needed, then insists that it is a real folder (no symlink) owned by us with
// mode 700: a folder someone else made first under a predictable name (/dev/shm/...) would
// otherwise receive plaintext patient data.
void make_private_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir + ": cannot create the folder (" + ec.message() + ")");
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    throw IoError(dir + ": not a folder of this user (a symlink, or made by someone else); refusing to use it");
  if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0)
    throw IoError(dir + ": cannot make it private (chmod 700)");
}

}  // namespace

Api::Impl::Impl(const ServerConfig& config) : cfg(config) {
  cfg.validate();
  eval::Gate::from_json(cfg.gate, "--gate");  // InvalidInput for unknown keys or bad values
  init_sodium();
  make_private_dir(cfg.data_dir);
  for (const char* sub : kDataFolders) make_private_dir(cfg.data_dir + "/" + sub);
  if (!cfg.key_file.empty()) {
    key = load_key_file(cfg.key_file);
  } else if (const char* env = std::getenv("MEDGEN_SERVER_KEY")) {
    key = parse_key(env, "MEDGEN_SERVER_KEY");
  } else {
    const std::string default_key = cfg.data_dir + "/server.key";
    key = fs::exists(default_key) ? load_key_file(default_key) : create_key_file(default_key);
  }
  store = std::make_unique<Store>(cfg.data_dir, cfg.database);
  exe = cfg.medgen_exe.empty() ? self_exe() : cfg.medgen_exe;
  if (cfg.work_dir.empty()) {
    // Jobs see plaintext: keep it in memory (tmpfs) where the machine has it, named after the
    // key id so that a restarted server finds its checkpoints.
    work_root = fs::is_directory("/dev/shm") ? "/dev/shm/medgen-" + key.id : cfg.data_dir + "/work";
  } else {
    work_root = cfg.work_dir;
  }
  make_private_dir(work_root);
  clean_data_dir();
  int64_t admin_id = 0;
  if (store->count_users() == 0) {
    const std::string password = new_password();
    try {
      admin_id = store->create_user("admin", hash_password(password, cfg.password_cost), true);
      admin_password = password;
    } catch (const std::exception&) {
      // Several servers starting on one empty database: one of them created "admin" first.
      if (!store->user_by_name("admin")) throw;
    }
  }
  if (admin_id != 0) {
    const int64_t id = admin_id;
    AuditEntry e;
    e.actor = "-";
    e.action = "user.create";
    e.object = "user:" + std::to_string(id);
    e.outcome = "ok";
    e.detail = nlohmann::json{{"name", "admin"}, {"admin", true}, {"first_start", true}}.dump();
    store->append_audit(e);
  }
  add_core_routes();
  add_job_routes();
  add_sim_routes();
  add_image_routes();
  add_web_routes();
  jobs = std::make_unique<JobRunner>(*store, cfg.workers, cfg.queue,
                                     [this](const Job& j, JobControl& c) { return run_job(j, c); }, cfg.runner_id,
                                     cfg.job_lease_s);
  jobs->recover();
}

// What a killed server can leave: temporaries of files being written (core/file.h names them
// "<target>.tmp-<pid>-<n>") and dataset rows whose file was not written yet.
void Api::Impl::clean_data_dir() {
  for (const char* sub : kDataFolders) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cfg.data_dir + "/" + sub, ec))
      if (e.path().filename().string().find(".tmp-") != std::string::npos) fs::remove(e.path(), ec);
  }
  for (const Dataset& d : store->all_datasets())
    if (d.file.empty()) store->delete_dataset(d.id);
}

void Api::Impl::add(std::string method, std::string pattern, std::string tag, std::string summary, std::string who,
                    std::string body, std::function<Reply(Ctx&)> fn, bool auth, bool websocket) {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  size_t start = 1;
  while (start <= r.pattern.size()) {
    size_t slash = r.pattern.find('/', start);
    if (slash == std::string::npos) slash = r.pattern.size();
    r.segments.push_back(r.pattern.substr(start, slash - start));
    start = slash + 1;
  }
  r.tag = std::move(tag);
  r.summary = std::move(summary);
  r.who = std::move(who);
  r.body = std::move(body);
  r.fn = std::move(fn);
  r.auth = auth;
  r.websocket = websocket;
  routes.push_back(std::move(r));
}

// ---------------------------------------------------------------------------- dispatch

Reply Api::Impl::dispatch(HttpRequest& req) {
  std::vector<std::string> segs;
  size_t start = 1;
  while (start <= req.path.size()) {
    size_t slash = req.path.find('/', start);
    if (slash == std::string::npos) slash = req.path.size();
    segs.push_back(req.path.substr(start, slash - start));
    start = slash + 1;
  }
  const Route* match = nullptr;
  bool path_known = false;
  std::map<std::string, std::string> params;
  for (const Route& r : routes) {
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> p;
    bool same = true;
    for (size_t i = 0; i < segs.size() && same; ++i) {
      const std::string& s = r.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}')
        p[s.substr(1, s.size() - 2)] = segs[i];
      else
        same = s == segs[i];
    }
    if (!same) continue;
    path_known = true;
    if (r.method == req.method) {
      match = &r;
      params = std::move(p);
      break;
    }
  }
  Ctx ctx{req, std::nullopt, 0, std::nullopt};
  Reply reply;
  try {
    if (!match) {
      if (path_known) {
        reply = Reply{HttpResponse::error(405, "method_not_allowed", req.method + " is not allowed here"), nullptr};
        return reply;
      }
      return Reply{HttpResponse::error(404, "not_found", "no such route"), nullptr};
    }
    if (match->websocket != req.websocket)
      throw ApiError{400, "bad_request", match->websocket ? "this route is a WebSocket" : "not a WebSocket route"};
    req.params = std::move(params);
    if (match->auth) ctx.caller = authenticate(req);
    if (req.params.count("project")) {
      ctx.project = id_param(req, "project");
    }
    reply = match->fn(ctx);
  } catch (const ApiError& e) {
    reply = Reply{HttpResponse::error(e.status, e.code, e.message), nullptr};
    if (e.status == 429) reply.response.headers.push_back({"Retry-After", "5"});
    if (e.status == 401) reply.response.headers.push_back({"WWW-Authenticate", "Bearer"});
  } catch (const InvalidInput& e) {
    reply = Reply{HttpResponse::error(400, "invalid_input", e.what()), nullptr};
  } catch (const ModelFormat& e) {
    reply = Reply{HttpResponse::error(400, "invalid_input", e.what()), nullptr};
  } catch (const IoError& e) {
    // A full disk, a missing or unreadable file of the data folder: the message names server
    // paths, so it goes to the log (by the HTTP layer's handler) and the client gets one line.
    std::fprintf(stderr, "%s\n", nlohmann::json{{"time", utc_now()}, {"level", "error"}, {"path", req.path},
                                                 {"error", e.what()}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    reply = Reply{HttpResponse::error(507, "storage", "the server could not read or write its storage"), nullptr};
  }
  reply.response.log_user = ctx.user_name();
  return reply;
}

// ---------------------------------------------------------------------------- auth

Caller Api::Impl::authenticate(HttpRequest& req) {
  const std::string h = req.header("authorization");
  Ctx anon{req, std::nullopt, 0, std::nullopt};
  auto refuse = [&](const std::string& reason) -> ApiError {
    // One entry per client address per 10 s, with the count of those folded into it: a flood of
    // bad tokens must not turn into a flood of fsync'd audit writes.
    const std::string client = req.remote.substr(0, req.remote.rfind(':'));
    int64_t folded = -1;
    {
      std::lock_guard<std::mutex> lock(login_mu);
      if (unauth_audit.size() > 10000) unauth_audit.clear();
      auto& [last, count] = unauth_audit[client];
      const auto now = std::chrono::steady_clock::now();
      if (count >= 0 && now - last < std::chrono::seconds(10)) {
        ++count;
      } else {
        folded = std::max<int64_t>(count, 0);
        last = now;
        count = 0;
      }
    }
    if (folded >= 0)
      audit(anon, "auth.token", "", "denied", {{"reason", reason}, {"remote", req.remote}, {"similar_before", folded}});
    return ApiError{401, "unauthorized", "a valid token is required (Authorization: Bearer TOKEN)"};
  };
  if (h.size() < 8 || h.compare(0, 7, "Bearer ") != 0) {
    // Browsers cannot set headers on WebSocket upgrades: there the token may come as ?token=.
    if (!(req.websocket && req.query.count("token"))) throw refuse(h.empty() ? "no token" : "not a bearer token");
  }
  const std::string token = h.size() >= 8 && h.compare(0, 7, "Bearer ") == 0 ? h.substr(7) : req.query["token"];
  const std::optional<Token> t = store->token_by_digest(token_digest(token));
  if (!t) throw refuse("unknown token");
  if (!t->revoked_at.empty()) throw refuse("revoked token");
  if (t->expires_at <= utc_now()) throw refuse("expired token");
  const std::optional<User> u = store->user(t->user_id);
  if (!u || u->disabled) throw refuse("disabled user");
  return Caller{*u, t->id};
}

void Api::Impl::audit(const Ctx& ctx, const std::string& action, const std::string& object, const std::string& outcome,
                      nlohmann::json detail) {
  AuditEntry e;
  e.actor = ctx.user_name();
  e.action = action;
  e.project_id = ctx.project;
  e.object = object;
  e.outcome = outcome;
  if (!detail.contains("remote")) detail["remote"] = ctx.req.remote;
  e.detail = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  store->append_audit(e);
}

void Api::Impl::deny(Ctx& ctx, const std::string& action, const std::string& object) {
  audit(ctx, action, object, "denied", {{"method", ctx.req.method}, {"path", ctx.req.path}});
  throw ApiError{403, "forbidden", "not allowed, or no such object in this project"};
}

void Api::Impl::require(Ctx& ctx, Perm perm, const std::string& action) {
  MEDGEN_ASSERT(ctx.caller && ctx.project > 0);
  ctx.role = store->role(ctx.caller->user.id, ctx.project);
  if (!ctx.role || !role_allows(*ctx.role, perm)) deny(ctx, action, "project:" + std::to_string(ctx.project));
}

void Api::Impl::require_admin(Ctx& ctx, const std::string& action) {
  if (!ctx.caller || !ctx.caller->user.admin) deny(ctx, action, "");
}

Dataset Api::Impl::dataset_in(Ctx& ctx, int64_t id, const std::string& action) {
  std::optional<Dataset> d = store->dataset(id);
  if (!d || d->project_id != ctx.project) deny(ctx, action, "dataset:" + std::to_string(id));
  return *d;
}

Model Api::Impl::model_in(Ctx& ctx, int64_t id, const std::string& action) {
  std::optional<Model> m = store->model(id);
  if (!m || m->project_id != ctx.project) deny(ctx, action, "model:" + std::to_string(id));
  return *m;
}

Job Api::Impl::job_in(Ctx& ctx, int64_t id, const std::string& action) {
  std::optional<Job> j = store->job(id);
  if (!j || j->project_id != ctx.project) deny(ctx, action, "job:" + std::to_string(id));
  return *j;
}

// A file of the data folder that cannot be decrypted is the server's problem, not the
// client's: IoError (507, details in the log) rather than the InvalidInput/ModelFormat that
// decrypt_file uses for files users hand in.
std::string Api::Impl::read_encrypted(const std::string& relative) const {
  try {
    return decrypt_file(key, path(relative), uint64_t{2} << 30, relative);
  } catch (const IoError&) {
    throw;
  } catch (const Error& e) {
    throw IoError(e.what());
  }
}

void Api::Impl::write_encrypted(const std::string& relative, const std::string& bytes) const {
  encrypt_to_file(key, bytes, path(relative), relative);
}

int64_t Api::Impl::add_dataset(const Dataset& d, const std::string& bytes, const std::string& ext) {
  const int64_t id = store->create_dataset(d);
  const std::string file = "datasets/" + std::to_string(id) + ext + ".enc";
  try {
    write_encrypted(file, bytes);
  } catch (...) {
    store->delete_dataset(id);
    throw;
  }
  store->set_dataset_file(id, file, true);
  return id;
}

// ---------------------------------------------------------------------------- core routes

namespace {

// Parses an uploaded CSV and infers its schema; InvalidInput names the upload, line and column.
std::pair<RawTable, Schema> parse_upload(const std::string& bytes, const std::string& name) {
  RawTable raw = parse_csv(bytes, name);
  if (raw.num_rows() == 0) throw InvalidInput(name + ": no data rows");
  Schema schema = infer_schema(raw);
  return {std::move(raw), std::move(schema)};
}

// What a steward should look at in a schema before anyone fits on it: columns left out (free
// text), columns regenerated (identifiers), dates whose day and month can be swapped, and
// columns that look like they name people. [{column, kind, message}], in column order.
nlohmann::json schema_warnings(const Schema& schema, const RawTable& raw) {
  nlohmann::json out = nlohmann::json::array();
  const CsvOptions csv;
  auto missing = [&](std::string_view v) {
    return std::find(csv.missing_tokens.begin(), csv.missing_tokens.end(), v) != csv.missing_tokens.end();
  };
  auto warn = [&](const ColumnSchema& c, const char* kind, const std::string& message) {
    out.push_back({{"column", c.name}, {"kind", kind}, {"message", message}});
  };
  for (const ColumnSchema& c : schema.columns) {
    std::string lower = c.name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    int col = -1;
    for (size_t i = 0; i < raw.names.size(); ++i)
      if (raw.names[i] == c.name) col = static_cast<int>(i);
    if (c.type == ColumnType::kText) {
      warn(c, "free_text", "free text: left out of learning and of the synthetic rows");
    } else if (c.type == ColumnType::kIdentifier) {
      warn(c, "identifier", "an identifier: synthetic rows get new ids, nothing is learned from it");
    } else {
      static const char* const kPersonal[] = {"name", "email", "e-mail", "phone", "address", "street", "ssn",
                                              "mrn", "nhs", "passport", "postcode", "zip"};
      for (const char* w : kPersonal)
        if (lower.find(w) != std::string::npos) {
          warn(c, "personal", std::string("the name suggests it identifies people ('") + w +
                                  "'): consider the identifier or free-text type");
          break;
        }
    }
    if (c.type == ColumnType::kCategorical && raw.num_rows() >= 20 && c.values.size() * 2 > raw.num_rows())
      warn(c, "high_cardinality", std::to_string(c.values.size()) + " labels in " + std::to_string(raw.num_rows()) +
                                      " rows: an identifier or free text rather than a category?");
    if (c.type == ColumnType::kDatetime && col >= 0) {
      // Day and month swapped: when every date also reads the other way, the order is a guess.
      std::string swapped = c.datetime_format;
      const size_t d = swapped.find("%d"), m = swapped.find("%m");
      if (d != std::string::npos && m != std::string::npos) {
        swapped[d + 1] = 'm';
        swapped[m + 1] = 'd';
        size_t seen = 0, both = 0;
        for (size_t r = 0; r < raw.num_rows(); ++r) {
          const std::string_view v = raw.field(r, static_cast<size_t>(col));
          if (missing(v)) continue;
          double t = 0;
          ++seen;
          if (parse_datetime(v, swapped, &t)) ++both;
        }
        if (seen > 0 && both == seen)
          warn(c, "ambiguous_date", "every date also reads as '" + swapped + "' (day and month swapped): check '" +
                                        c.datetime_format + "'");
      }
    }
  }
  return out;
}

}  // namespace

void Api::Impl::add_core_routes() {
  add("GET", "/health", "service", "liveness: 200 while the server runs", "anyone", "",
      [](Ctx&) { return ok({{"status", "ok"}, {"version", MEDGEN_VERSION}}); }, false);

  add("GET", "/metrics", "service", "counters in Prometheus' text format", "anyone", "",
      [this](Ctx&) {
        std::string m;
        auto line = [&](const std::string& name, const std::string& type, const std::string& help, double v,
                        const std::string& labels = "") {
          if (labels.empty() || labels.find("code=\"2xx\"") != std::string::npos ||
              labels.find("state=\"queued\"") != std::string::npos)
            m += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.17g", v);
          m += name + labels + " " + buf + "\n";
        };
        if (http) {
          line("medgen_http_requests_total", "counter", "HTTP requests answered", static_cast<double>(http->status_2xx),
               "{code=\"2xx\"}");
          line("medgen_http_requests_total", "counter", "", static_cast<double>(http->status_3xx), "{code=\"3xx\"}");
          line("medgen_http_requests_total", "counter", "", static_cast<double>(http->status_4xx), "{code=\"4xx\"}");
          line("medgen_http_requests_total", "counter", "", static_cast<double>(http->status_5xx), "{code=\"5xx\"}");
          line("medgen_http_handler_seconds_total", "counter", "time spent in request handlers",
               static_cast<double>(http->micros_total) / 1e6);
          line("medgen_http_connections", "gauge", "open connections", static_cast<double>(http->connections));
          line("medgen_websockets", "gauge", "open WebSockets", static_cast<double>(http->websockets));
        }
        line("medgen_jobs_waiting", "gauge", "jobs in the queue", static_cast<double>(jobs->queued()));
        line("medgen_jobs_running", "gauge", "jobs running", static_cast<double>(jobs->running()));
        line("medgen_jobs_queue_capacity", "gauge", "the queue's capacity", static_cast<double>(jobs->capacity()));
        {
          std::lock_guard<std::mutex> lock(sims_mu);
          line("medgen_sim_sessions_live", "gauge", "live virtual-patient sessions", static_cast<double>(sims.size()));
        }
        Reply r = ok(nlohmann::json::object());
        r.response.content_type = "text/plain; version=0.0.4";
        r.response.body = std::move(m);
        return r;
      },
      false);

  add("GET", "/openapi.json", "service", "this API's OpenAPI 3 document", "anyone", "",
      [this](Ctx&) { return ok(openapi()); }, false);

  // Sessions and tokens.
  add("POST", "/api/v1/login", "auth", "exchange a user name and password for a token", "anyone", "json",
      [this](Ctx& ctx) {
        const nlohmann::json b = json_body(ctx.req);
        const std::string name = display_name(b.value("user", nlohmann::json()), "user");
        if (!b.contains("password") || !b["password"].is_string())
          throw ApiError{400, "bad_request", "password: a string is required"};
        const std::string password = b["password"].get<std::string>();
        const auto now = std::chrono::steady_clock::now();
        // Failures count per (name, client address): guessing is slowed without letting anyone
        // lock a known name (admin) for everybody.
        const std::string client = ctx.req.remote.substr(0, ctx.req.remote.rfind(':'));
        const std::string key = name + "\n" + client;
        {
          // At most 5 failures per name and address in 15 minutes, without telling whether the
          // name exists.
          std::lock_guard<std::mutex> lock(login_mu);
          if (login_failures.size() > 10000) login_failures.clear();  // a flood of names: start afresh
          auto& f = login_failures[key];
          f.erase(std::remove_if(f.begin(), f.end(), [&](auto t) { return now - t > std::chrono::minutes(15); }),
                  f.end());
          if (f.size() >= 5) {
            audit(ctx, "login", "", "denied", {{"user", name}, {"reason", "too many failures"}});
            throw ApiError{429, "too_many_attempts", "too many failed logins; try again later"};
          }
        }
        // Argon2id costs 64 MiB and ~0.1 s: at most kHashSlots at once, so that a flood of logins
        // cannot stall the HTTP threads or exhaust memory.
        struct Slot {
          std::atomic<int>& n;
          ~Slot() { n--; }
        };
        if (++hashing > kHashSlots) {
          hashing--;
          throw ApiError{429, "busy", "too many logins at once; retry in a moment"};
        }
        Slot slot{hashing};
        const std::optional<User> u = store->user_by_name(name);
        // A missing user costs a hash too, so that timing does not reveal which names exist.
        static const std::string dummy = hash_password("medgen-dummy-password", cfg.password_cost);
        const bool good = u ? verify_password(u->password_hash, password) : (verify_password(dummy, password), false);
        if (!good || u->disabled) {
          {
            std::lock_guard<std::mutex> lock(login_mu);
            login_failures[key].push_back(now);
          }
          audit(ctx, "login", "", "denied", {{"user", name}, {"reason", !good ? "bad credentials" : "disabled"}});
          throw ApiError{401, "unauthorized", "wrong user name or password"};
        }
        {
          std::lock_guard<std::mutex> lock(login_mu);
          login_failures.erase(key);
        }
        const std::string token = new_token();
        const std::string expires = utc_after(int64_t{cfg.token_ttl_hours} * 3600);
        store->create_token(u->id, token_digest(token), "login", expires);
        ctx.caller = Caller{*u, 0};
        audit(ctx, "login", "user:" + std::to_string(u->id), "ok");
        return ok({{"token", token}, {"expires_at", expires}, {"user", u->name}, {"admin", u->admin}});
      },
      false);

  add("POST", "/api/v1/logout", "auth", "revoke the token of this request", "any user", "", [this](Ctx& ctx) {
    store->revoke_token(ctx.caller->token_id, utc_now());
    audit(ctx, "logout", "user:" + std::to_string(ctx.caller->user.id), "ok");
    return ok({{"revoked", true}});
  });

  add("GET", "/api/v1/me", "auth", "who the token belongs to, and their roles", "any user", "", [this](Ctx& ctx) {
    nlohmann::json roles = nlohmann::json::array();
    for (const Membership& m : store->memberships(ctx.caller->user.id))
      roles.push_back({{"project", m.project_id}, {"role", role_name(m.role)}});
    return ok({{"id", ctx.caller->user.id}, {"user", ctx.caller->user.name}, {"admin", ctx.caller->user.admin},
               {"roles", roles}});
  });

  add("POST", "/api/v1/tokens", "auth", "create an API token (shown once)", "any user", "json", [this](Ctx& ctx) {
    const nlohmann::json b = json_body(ctx.req);
    const std::string name = display_name(b.value("name", nlohmann::json("api")), "name");
    const nlohmann::json hours = b.value("hours", nlohmann::json(24 * 30));
    if (!hours.is_number_integer() || hours.get<int64_t>() < 1 || hours.get<int64_t>() > cfg.max_token_ttl_hours)
      throw ApiError{400, "bad_request", "hours: an integer from 1 to " + std::to_string(cfg.max_token_ttl_hours)};
    const std::string token = new_token();
    const std::string expires = utc_after(hours.get<int64_t>() * 3600);
    const int64_t id = store->create_token(ctx.caller->user.id, token_digest(token), name, expires);
    audit(ctx, "token.create", "token:" + std::to_string(id), "ok", {{"name", name}, {"expires_at", expires}});
    return ok({{"id", id}, {"token", token}, {"name", name}, {"expires_at", expires}}, 201);
  });

  add("GET", "/api/v1/tokens", "auth", "the caller's tokens (never the secrets)", "any user", "", [this](Ctx& ctx) {
    nlohmann::json out = nlohmann::json::array();
    for (const Token& t : store->tokens(ctx.caller->user.id))
      out.push_back({{"id", t.id}, {"name", t.name}, {"created_at", t.created_at}, {"expires_at", t.expires_at},
                     {"revoked_at", t.revoked_at.empty() ? nlohmann::json() : nlohmann::json(t.revoked_at)}});
    return ok(out);
  });

  add("DELETE", "/api/v1/tokens/{token}", "auth", "revoke one of the caller's tokens", "any user", "",
      [this](Ctx& ctx) {
        const int64_t id = id_param(ctx.req, "token");
        const std::vector<Token> mine = store->tokens(ctx.caller->user.id);
        if (std::none_of(mine.begin(), mine.end(), [&](const Token& t) { return t.id == id; }))
          deny(ctx, "token.revoke", "token:" + std::to_string(id));
        store->revoke_token(id, utc_now());
        audit(ctx, "token.revoke", "token:" + std::to_string(id), "ok");
        return ok({{"revoked", true}});
      });

  // Users (admins).
  add("POST", "/api/v1/users", "admin", "create a user", "admin", "json", [this](Ctx& ctx) {
    require_admin(ctx, "user.create");
    const nlohmann::json b = json_body(ctx.req);
    const std::string name = display_name(b.value("name", nlohmann::json()), "name");
    if (!b.contains("password") || !b["password"].is_string())
      throw ApiError{400, "bad_request", "password: a string is required"};
    check_password_rules(b["password"].get<std::string>());
    if (b.contains("admin") && !b["admin"].is_boolean()) throw ApiError{400, "bad_request", "admin: true or false"};
    const bool admin = b.value("admin", false);
    const int64_t id = store->create_user(name, hash_password(b["password"].get<std::string>(), cfg.password_cost), admin);
    audit(ctx, admin ? "permission.grant" : "user.create", "user:" + std::to_string(id), "ok",
          {{"name", name}, {"admin", admin}});
    return ok({{"id", id}, {"name", name}, {"admin", admin}}, 201);
  });

  add("GET", "/api/v1/users", "admin", "list users", "admin", "", [this](Ctx& ctx) {
    require_admin(ctx, "user.list");
    nlohmann::json out = nlohmann::json::array();
    for (const User& u : store->users())
      out.push_back({{"id", u.id}, {"name", u.name}, {"admin", u.admin}, {"disabled", u.disabled},
                     {"created_at", u.created_at}});
    return ok(out);
  });

  add("PATCH", "/api/v1/users/{user}", "admin", "disable or enable a user, or set a password", "admin (a password: the user too)",
      "json", [this](Ctx& ctx) {
        const int64_t id = id_param(ctx.req, "user");
        const nlohmann::json b = json_body(ctx.req);
        const bool self = ctx.caller->user.id == id;
        // Users change their own password by giving the current one too (a stolen token alone
        // cannot take the account over).
        const bool own_password = self && b.contains("password") && b.contains("current_password") && b.size() == 2;
        if (!ctx.caller->user.admin && !own_password) deny(ctx, "user.update", "user:" + std::to_string(id));
        if (!store->user(id)) throw ApiError{404, "not_found", "no such user"};
        if (own_password && !ctx.caller->user.admin &&
            (!b["current_password"].is_string() ||
             !verify_password(ctx.caller->user.password_hash, b["current_password"].get<std::string>())))
          deny(ctx, "user.password", "user:" + std::to_string(id));
        // A new password or a disabled account ends every session of that user.
        auto revoke_all = [&] {
          const std::string now = utc_now();
          for (const Token& t : store->tokens(id))
            if (t.revoked_at.empty()) store->revoke_token(t.id, now);
        };
        if (b.contains("password")) {
          if (!b["password"].is_string()) throw ApiError{400, "bad_request", "password: a string is required"};
          check_password_rules(b["password"].get<std::string>());
          store->set_password_hash(id, hash_password(b["password"].get<std::string>(), cfg.password_cost));
          revoke_all();
          audit(ctx, "user.password", "user:" + std::to_string(id), "ok");
        }
        if (b.contains("disabled")) {
          if (!b["disabled"].is_boolean()) throw ApiError{400, "bad_request", "disabled: true or false"};
          store->set_disabled(id, b["disabled"].get<bool>());
          if (b["disabled"].get<bool>()) revoke_all();
          audit(ctx, "permission.disable", "user:" + std::to_string(id), "ok", {{"disabled", b["disabled"]}});
        }
        return ok({{"id", id}, {"updated", true}});
      });

  // Projects and roles.
  add("POST", "/api/v1/projects", "projects", "create a project", "admin", "json", [this](Ctx& ctx) {
    require_admin(ctx, "project.create");
    const std::string name = display_name(json_body(ctx.req).value("name", nlohmann::json()), "name");
    const int64_t id = store->create_project(name);
    ctx.project = id;
    audit(ctx, "project.create", "project:" + std::to_string(id), "ok", {{"name", name}});
    return ok({{"id", id}, {"name", name}}, 201);
  });

  add("GET", "/api/v1/projects", "projects", "projects the caller has a role in (admins: all)", "any user", "",
      [this](Ctx& ctx) {
        nlohmann::json out = nlohmann::json::array();
        std::map<int64_t, Role> mine;
        for (const Membership& m : store->memberships(ctx.caller->user.id)) mine[m.project_id] = m.role;
        for (const Project& p : store->projects()) {
          auto it = mine.find(p.id);
          if (it == mine.end() && !ctx.caller->user.admin) continue;
          out.push_back({{"id", p.id}, {"name", p.name}, {"created_at", p.created_at},
                         {"role", it == mine.end() ? nlohmann::json() : nlohmann::json(role_name(it->second))}});
        }
        return ok(out);
      });

  add("GET", "/api/v1/projects/{project}/members", "projects", "members and their roles", "admin", "", [this](Ctx& ctx) {
    require_admin(ctx, "member.list");
    if (!store->project(ctx.project)) throw ApiError{404, "not_found", "no such project"};
    nlohmann::json out = nlohmann::json::array();
    for (const Membership& m : store->project_members(ctx.project)) {
      const std::optional<User> u = store->user(m.user_id);
      out.push_back({{"user", m.user_id}, {"name", u ? u->name : ""}, {"role", role_name(m.role)}});
    }
    return ok(out);
  });

  add("PUT", "/api/v1/projects/{project}/members/{user}", "projects", "give a user a role in the project", "admin",
      "json", [this](Ctx& ctx) {
        require_admin(ctx, "permission.grant");
        const int64_t uid = id_param(ctx.req, "user");
        const nlohmann::json b = json_body(ctx.req);
        const std::optional<Role> role = b.contains("role") && b["role"].is_string()
                                             ? parse_role(b["role"].get<std::string>())
                                             : std::nullopt;
        if (!role) throw ApiError{400, "bad_request", "role: steward, analyst, educator or trainee"};
        if (!store->project(ctx.project) || !store->user(uid)) throw ApiError{404, "not_found", "no such project or user"};
        store->set_role(uid, ctx.project, *role);
        audit(ctx, "permission.grant", "user:" + std::to_string(uid), "ok", {{"role", role_name(*role)}});
        return ok({{"user", uid}, {"project", ctx.project}, {"role", role_name(*role)}});
      });

  add("DELETE", "/api/v1/projects/{project}/members/{user}", "projects", "remove a user's role in the project",
      "admin", "", [this](Ctx& ctx) {
        require_admin(ctx, "permission.revoke");
        const int64_t uid = id_param(ctx.req, "user");
        store->remove_role(uid, ctx.project);
        audit(ctx, "permission.revoke", "user:" + std::to_string(uid), "ok");
        return ok({{"user", uid}, {"project", ctx.project}, {"role", nullptr}});
      });

  // Datasets.
  add("POST", "/api/v1/projects/{project}/datasets", "datasets",
      "upload a real table (CSV body; ?name=), or with ?format=records a dataset of several tables (a tar, "
      "tar.gz or zip of its CSV files and an optional dataset.json), or with ?format=fhir FHIR R4 (a Bundle or "
      "bulk NDJSON); its schema is inferred",
      "steward", "csv", [this](Ctx& ctx) {
        require(ctx, Perm::kUploadReal, "dataset.upload");
        const auto qn = ctx.req.query.find("name");
        const std::string name = display_name(qn == ctx.req.query.end() ? nlohmann::json() : nlohmann::json(qn->second), "name");
        const auto qf = ctx.req.query.find("format");
        const std::string format = qf == ctx.req.query.end() ? "csv" : qf->second;
        if (format != "csv" && format != "records" && format != "fhir")
          throw ApiError{400, "bad_request", "format: csv (the default), records or fhir"};
        if (format != "csv") return upload_records(ctx, name, format);
        auto [raw, schema] = parse_upload(ctx.req.body, name);
        Dataset d;
        d.project_id = ctx.project;
        d.name = name;
        d.kind = "real";
        d.rows = static_cast<int64_t>(raw.num_rows());
        d.columns = static_cast<int64_t>(raw.num_cols());
        d.schema_json = schema.to_json().dump();
        d.created_by = ctx.caller->user.id;
        d.id = add_dataset(d, ctx.req.body);
        audit(ctx, "dataset.upload", "dataset:" + std::to_string(d.id), "ok",
              {{"name", name}, {"rows", d.rows}, {"bytes", ctx.req.body.size()}});
        nlohmann::json out = to_json(*store->dataset(d.id), true);
        out["warnings"] = schema_warnings(schema, raw);
        return ok(out, 201);
      });

  add("GET", "/api/v1/projects/{project}/datasets", "datasets", "the project's datasets (metadata)", "steward, analyst",
      "", [this](Ctx& ctx) {
        require(ctx, Perm::kView, "dataset.list");
        nlohmann::json out = nlohmann::json::array();
        for (const Dataset& d : store->datasets(ctx.project)) out.push_back(to_json(d, is_steward(ctx)));
        return ok(out);
      });

  add("GET", "/api/v1/projects/{project}/datasets/{dataset}", "datasets", "one dataset's metadata and schema",
      "steward, analyst", "", [this](Ctx& ctx) {
        require(ctx, Perm::kView, "dataset.read");
        return ok(to_json(dataset_in(ctx, id_param(ctx.req, "dataset"), "dataset.read"), is_steward(ctx)));
      });

  add("PUT", "/api/v1/projects/{project}/datasets/{dataset}/schema", "datasets",
      "replace a real dataset's schema (checked against its rows)", "steward", "json", [this](Ctx& ctx) {
        require(ctx, Perm::kUploadReal, "dataset.schema");
        const Dataset d = dataset_in(ctx, id_param(ctx.req, "dataset"), "dataset.schema");
        if (d.kind != "real") throw ApiError{400, "bad_request", "only a real dataset's schema can be edited"};
        if (is_records(d)) return edit_records_schema(ctx, d);
        const Schema schema = Schema::from_json(json_body(ctx.req), "schema");
        if (schema.columns.empty()) throw ApiError{400, "bad_request", "schema: at least one column"};
        const RawTable raw = parse_csv(read_encrypted(d.file), d.name);
        to_table(raw, schema);  // InvalidInput when the rows disagree
        store->set_dataset_schema(d.id, schema.to_json().dump());
        audit(ctx, "dataset.schema", "dataset:" + std::to_string(d.id), "ok");
        nlohmann::json out = to_json(*store->dataset(d.id), true);
        out["warnings"] = schema_warnings(schema, raw);
        return ok(out);
      });

  add("GET", "/api/v1/projects/{project}/datasets/{dataset}/schema", "datasets",
      "a real dataset's schema with warnings (free text, identifiers, ambiguous dates, personal columns)", "steward",
      "", [this](Ctx& ctx) {
        require(ctx, Perm::kUploadReal, "dataset.schema.read");
        const Dataset d = dataset_in(ctx, id_param(ctx.req, "dataset"), "dataset.schema.read");
        if (d.kind != "real") throw ApiError{400, "bad_request", "only a real dataset's schema is checked here"};
        if (is_records(d)) {
          audit(ctx, "dataset.schema.read", "dataset:" + std::to_string(d.id), "ok");
          return ok({{"dataset", d.id}, {"schema", nlohmann::json::parse(d.schema_json)}, {"warnings", nlohmann::json::array()}});
        }
        const Schema schema = Schema::from_json(nlohmann::json::parse(d.schema_json), d.name + " (schema)");
        const RawTable raw = parse_csv(read_encrypted(d.file), d.name);
        audit(ctx, "dataset.schema.read", "dataset:" + std::to_string(d.id), "ok");
        return ok({{"dataset", d.id}, {"schema", schema.to_json()}, {"warnings", schema_warnings(schema, raw)}});
      });

  add("GET", "/api/v1/projects/{project}/datasets/{dataset}/rows", "datasets",
      "download the rows as CSV, or a dataset of several tables as a tar of its folder (real: stewards; synthetic: stewards, or analysts after an approved release that "
      "passed its gate)",
      "steward, analyst (released synthetic data)", "", [this](Ctx& ctx) {
        const int64_t id = id_param(ctx.req, "dataset");
        ctx.role = store->role(ctx.caller->user.id, ctx.project);
        if (!ctx.role || !role_allows(*ctx.role, Perm::kView)) deny(ctx, "dataset.download", "dataset:" + std::to_string(id));
        const Dataset d = dataset_in(ctx, id, "dataset.download");
        bool allowed = d.kind == "real" ? role_allows(*ctx.role, Perm::kReadReal) : role_allows(*ctx.role, Perm::kReadSynthetic);
        std::string release;
        if (!allowed && d.kind == "synthetic") {
          for (const Release& r : store->releases(ctx.project))
            if (r.dataset_id == d.id && r.state == "approved" && r.gate_passed) {
              allowed = true;
              release = "release:" + std::to_string(r.id);
            }
        }
        if (!allowed) deny(ctx, "dataset.download", "dataset:" + std::to_string(id));
        std::string bytes = is_records(d) ? records_archive(d) : read_encrypted(d.file);
        audit(ctx, "dataset.download", "dataset:" + std::to_string(id), "ok",
              {{"kind", d.kind}, {"rows", d.rows}, {"release", release}});
        Reply r = ok(nlohmann::json::object());
        const bool records = is_records(d);
        r.response.content_type = records ? "application/x-tar" : "text/csv; charset=utf-8";
        r.response.headers.push_back({"Content-Disposition", "attachment; filename=\"dataset-" + std::to_string(id) +
                                                                 (records ? ".tar" : ".csv") + "\""});
        r.response.body = std::move(bytes);
        return r;
      });

  // Releases.
  add("POST", "/api/v1/projects/{project}/releases", "releases",
      "ask to release a synthetic dataset, with the evaluation job whose gate decides", "steward, analyst", "json",
      [this](Ctx& ctx) {
        require(ctx, Perm::kWork, "release.request");
        const nlohmann::json b = json_body(ctx.req);
        if (!b.contains("dataset") || !b["dataset"].is_number_integer() || !b.contains("evaluation") ||
            !b["evaluation"].is_number_integer())
          throw ApiError{400, "bad_request", "dataset and evaluation: ids are required"};
        const Dataset d = dataset_in(ctx, b["dataset"].get<int64_t>(), "release.request");
        const Job j = job_in(ctx, b["evaluation"].get<int64_t>(), "release.request");
        if (d.kind != "synthetic") throw ApiError{400, "bad_request", "only synthetic datasets are released"};
        const nlohmann::json params = nlohmann::json::parse(j.params_json, nullptr, false);
        if (j.kind != "evaluate" || j.state != "succeeded" || params.is_discarded() ||
            params.value("synthetic", int64_t{0}) != d.id)
          throw ApiError{400, "bad_request", "evaluation: a finished evaluate job of this dataset is required"};
        const nlohmann::json result = nlohmann::json::parse(j.result_json, nullptr, false);
        Release r;
        r.project_id = ctx.project;
        r.dataset_id = d.id;
        r.gate_passed = !result.is_discarded() && result.value("gate_passed", false);
        r.gate_json = result.is_discarded() ? "{}" : result.value("gate", nlohmann::json::object()).dump();
        r.requested_by = ctx.caller->user.id;
        r.id = store->create_release(r);
        audit(ctx, "release.request", "release:" + std::to_string(r.id), "ok",
              {{"dataset", d.id}, {"gate_passed", r.gate_passed}});
        return ok(to_json(*store->release(r.id)), 201);
      });

  add("GET", "/api/v1/projects/{project}/releases", "releases", "the project's releases", "steward, analyst", "",
      [this](Ctx& ctx) {
        require(ctx, Perm::kView, "release.list");
        nlohmann::json out = nlohmann::json::array();
        for (const Release& r : store->releases(ctx.project)) out.push_back(to_json(r));
        return ok(out);
      });

  for (const char* verb : {"approve", "reject"}) {
    const bool approve = std::string(verb) == "approve";
    add("POST", std::string("/api/v1/projects/{project}/releases/{release}/") + verb, "releases",
        std::string(verb) + " a requested release", "steward", "", [this, approve, verb](Ctx& ctx) {
          const std::string action = std::string("release.") + verb;
          require(ctx, Perm::kApproveRelease, action);
          const int64_t id = id_param(ctx.req, "release");
          const std::optional<Release> r = store->release(id);
          if (!r || r->project_id != ctx.project) deny(ctx, action, "release:" + std::to_string(id));
          if (r->state != "requested") throw ApiError{409, "conflict", "the release was already " + r->state};
          store->decide_release(id, approve, ctx.caller->user.id);
          audit(ctx, action, "release:" + std::to_string(id), "ok", {{"gate_passed", r->gate_passed}});
          return ok(to_json(*store->release(id)));
        });
  }

  // Audit trail.
  add("GET", "/api/v1/audit", "admin", "audit entries after ?after= (at most ?limit=, 1000)", "admin", "",
      [this](Ctx& ctx) {
        require_admin(ctx, "audit.read");
        auto num = [&](const char* k, int64_t def, int64_t lo, int64_t hi) {
          auto it = ctx.req.query.find(k);
          if (it == ctx.req.query.end()) return def;
          char* end = nullptr;
          const long long v = std::strtoll(it->second.c_str(), &end, 10);
          if (it->second.empty() || *end || v < lo || v > hi)
            throw ApiError{400, "bad_request", std::string(k) + ": an integer from " + std::to_string(lo) + " to " +
                                                   std::to_string(hi)};
          return static_cast<int64_t>(v);
        };
        nlohmann::json out = nlohmann::json::array();
        for (const AuditEntry& e : store->audit(num("after", 0, 0, INT64_MAX / 2), num("limit", 100, 1, 1000))) {
          nlohmann::json detail = nlohmann::json::parse(e.detail, nullptr, false);
          out.push_back({{"seq", e.seq}, {"time", e.time}, {"actor", e.actor}, {"action", e.action},
                         {"project", e.project_id}, {"object", e.object}, {"outcome", e.outcome},
                         {"detail", detail.is_discarded() ? nlohmann::json(e.detail) : detail}, {"hash", e.hash}});
        }
        return ok(out);
      });

  add("GET", "/api/v1/audit/verify", "admin", "check the audit chain", "admin", "", [this](Ctx& ctx) {
    require_admin(ctx, "audit.verify");
    const AuditVerdict v = store->verify_audit();
    return ok({{"ok", v.ok}, {"entries", v.entries}, {"first_bad", v.first_bad}, {"message", v.message}});
  });
}

// ---------------------------------------------------------------------------- OpenAPI

nlohmann::json Api::Impl::openapi() const {
  nlohmann::json paths = nlohmann::json::object();
  for (const Route& r : routes) {
    nlohmann::json op = {{"summary", r.summary},
                         {"tags", {r.tag}},
                         {"description", "Who may: " + r.who + "." + (r.websocket ? " A WebSocket (upgrade) route." : "")},
                         {"responses",
                          {{r.websocket ? "101" : "200", {{"description", r.websocket ? "switching to WebSocket" : "success"}}},
                           {"400", {{"$ref", "#/components/responses/Error"}}},
                           {"401", {{"$ref", "#/components/responses/Error"}}},
                           {"403", {{"$ref", "#/components/responses/Error"}}}}}};
    if (!r.auth) {
      op["security"] = nlohmann::json::array();
      op["responses"].erase("401");
      op["responses"].erase("403");
    }
    nlohmann::json params = nlohmann::json::array();
    for (const std::string& s : r.segments)
      if (s.size() > 2 && s.front() == '{') {
        // Every path parameter is an object's id, but the web app's file names.
        const std::string name = s.substr(1, s.size() - 2);
        const nlohmann::json schema = name == "file" ? nlohmann::json{{"type", "string"}}
                                                     : nlohmann::json{{"type", "integer"}, {"minimum", 1}};
        params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", schema}});
      }
    if (!params.empty()) op["parameters"] = params;
    if (r.body == "json")
      op["requestBody"] = {{"required", true}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    else if (r.body == "csv")
      op["requestBody"] = {{"required", true}, {"content", {{"text/csv", {{"schema", {{"type", "string"}}}}}}}};
    else if (r.body == "binary")
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/octet-stream", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.pattern][method] = op;
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "medgen server"}, {"version", MEDGEN_VERSION},
                    {"description", "Synthetic data, virtual patients and the audit trail of a medgen server (docs/server.md)."}}},
          {"paths", paths},
          {"security", {{{"bearer", nlohmann::json::array()}}}},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"responses",
             {{"Error",
               {{"description", "a refusal or failure: {\"error\": {\"code\", \"message\"}}"},
                {"content",
                 {{"application/json",
                   {{"schema",
                     {{"type", "object"},
                      {"properties",
                       {{"error",
                         {{"type", "object"},
                          {"properties", {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}}}}}}}}}}}}};
}

// ---------------------------------------------------------------------------- Api

Api::Api(const ServerConfig& config) : impl_(std::make_unique<Impl>(config)) {}
Api::~Api() { shutdown(); }

Reply Api::handle(HttpRequest& request) { return impl_->dispatch(request); }

bool Api::accepts_large_body(const std::string& method, const std::string& target) {
  if (method != "POST") return false;
  const std::string path = target.substr(0, target.find('?'));
  auto ends_with = [&](const std::string& tail) {
    return path.size() >= tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0;
  };
  return ends_with("/datasets") || ends_with("/images") || ends_with("/images/models");
}
void Api::set_http_counters(const HttpCounters* counters) { impl_->http = counters; }
const std::string& Api::first_admin_password() const { return impl_->admin_password; }
nlohmann::json Api::openapi() const { return impl_->openapi(); }

void Api::shutdown() {
  if (!impl_) return;
  impl_->end_all_sims();
  if (impl_->jobs) impl_->jobs->shutdown();
}

namespace {
HttpServer* g_server = nullptr;
}

int serve(const ServerConfig& config) {
  // SIGTERM and SIGINT are taken by a thread that waits for them (signals blocked everywhere
  // else, including in the threads started below).
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  Api api(config);
  HttpOptions http = config.http;
  http.large_body = Api::accepts_large_body;
  HttpServer server(http, [&api](HttpRequest& r) { return api.handle(r); },
                    [](const std::string& line) {
                      std::fprintf(stderr, "%s\n", line.c_str());
                    });
  api.set_http_counters(&server.counters());
  g_server = &server;
  std::printf("medgen serve: listening on %s://%s:%d (data: %s)\n", server.tls() ? "https" : "http",
              config.http.host.c_str(), server.port(), config.data_dir.c_str());
  if (!api.first_admin_password().empty())
    std::printf("medgen serve: created user 'admin' with the one-time password %s (change it: PATCH /api/v1/users/1)\n",
                api.first_admin_password().c_str());
  std::fflush(stdout);
  int signo = 0;
  std::thread waiter([&] {
    sigwait(&stop, &signo);
    std::fprintf(stderr, "{\"level\":\"info\",\"event\":\"shutdown\",\"signal\":%d}\n", signo);
    server.stop_accepting();
    api.shutdown();
    server.stop();
  });
  server.run();
  if (signo == 0) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  g_server = nullptr;
  return 0;
}

size_t rotate_data_key(const std::string& data_dir, const Key& old_key, const Key& new_key) {
  std::vector<std::string> files, labels;
  for (const char* sub : kDataFolders) {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(data_dir + "/" + sub, ec))
      if (e.is_regular_file() && is_encrypted_file(e.path().string())) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      files.push_back(data_dir + "/" + sub + "/" + n);
      labels.push_back(std::string(sub) + "/" + n);  // the name read_encrypted gives
    }
  }
  return rotate_files(old_key, new_key, files, labels);
}

}  // namespace medgen::server
