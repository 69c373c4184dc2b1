// Shared state of the API's handler files (api.cpp: routing, auth, accounts, projects, datasets,
// releases, audit; api_jobs.cpp: jobs; api_sim.cpp: virtual patients). Not a public header.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/server/api.h"
#include "medgen/server/jobs.h"
#include "medgen/server/store.h"

namespace medgen::sim {
struct Catalog;
}

namespace medgen::server {

// The data folder's subfolders of encrypted files (created at start, cleaned of temporaries,
// re-encrypted by a key rotation).
constexpr const char* kDataFolders[] = {"datasets", "models", "evaluations", "checkpoints", "images"};

// A refusal or failure a handler answers with (status, machine code, one line for people).
struct ApiError {
  int status;
  std::string code;
  std::string message;
};

// What one project role may do (docs/server.md's table).
enum class Perm {
  kView,            // list the project's datasets, models, jobs and releases (metadata only)
  kUploadReal,      // upload real data, edit its schema
  kReadReal,        // download real rows
  kWork,            // fit, sample, evaluate; request a release
  kApproveRelease,  // approve or reject a release
  kReadSynthetic,   // download synthetic rows without a release
  kSimulate,        // start and run one's own virtual-patient sessions
  kSimulateAll,     // see every session of the project (educators)
};
bool role_allows(Role role, Perm perm);

struct Caller {
  User user;
  int64_t token_id = 0;
};

struct Ctx {
  HttpRequest& req;
  std::optional<Caller> caller;
  int64_t project = 0;  // the {project} of the route, once checked
  std::optional<Role> role;
  const std::string& user_name() const;
};

inline bool is_steward(const Ctx& ctx) { return ctx.role && *ctx.role == Role::kSteward; }

struct Route {
  std::string method;
  std::string pattern;                // "/api/v1/projects/{project}/datasets/{dataset}"
  std::vector<std::string> segments;  // split pattern
  bool auth = true;                   // needs a valid token
  bool websocket = false;             // an upgrade route
  std::string tag, summary, who;      // for the OpenAPI document: group, what, who may
  std::string body;                   // request body: "" none, "json", "csv", "binary"
  std::function<Reply(Ctx&)> fn;
};

class LiveSim;  // api_sim.cpp
class Scratch;  // scratch.h

struct Api::Impl {
  ServerConfig cfg;
  std::unique_ptr<Store> store;
  Key key;
  std::string admin_password;
  std::string exe;
  std::string work_root;
  std::unique_ptr<JobRunner> jobs;
  std::vector<Route> routes;
  const HttpCounters* http = nullptr;
  std::shared_ptr<const sim::Catalog> catalog;
  std::mutex catalog_mu;
  std::mutex sims_mu;
  std::map<int64_t, std::shared_ptr<LiveSim>> sims;
  std::mutex login_mu;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> login_failures;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, int64_t>> unauth_audit;
  static constexpr int kHashSlots = 2;
  std::atomic<int> hashing{0};

  explicit Impl(const ServerConfig& config);
  void clean_data_dir();
  void add(std::string method, std::string pattern, std::string tag, std::string summary, std::string who,
           std::string body, std::function<Reply(Ctx&)> fn, bool auth = true, bool websocket = false);
  void add_core_routes();  // api.cpp
  void add_job_routes();   // api_jobs.cpp
  void add_sim_routes();   // api_sim.cpp
  void add_image_routes();  // api_images.cpp
  void add_web_routes();    // web.cpp
  Reply dispatch(HttpRequest& req);
  nlohmann::json openapi() const;

  // Authentication and authorisation. authenticate: 401 ApiError unless a valid token.
  Caller authenticate(HttpRequest& req);
  // The caller's role in ctx.project; 403 (audited) when none or when `perm` is not allowed.
  void require(Ctx& ctx, Perm perm, const std::string& action);
  void require_admin(Ctx& ctx, const std::string& action);
  [[noreturn]] void deny(Ctx& ctx, const std::string& action, const std::string& object);
  void audit(const Ctx& ctx, const std::string& action, const std::string& object, const std::string& outcome,
             nlohmann::json detail = nlohmann::json::object());

  // Objects of ctx.project, or 403 alike for absent and foreign ones.
  Dataset dataset_in(Ctx& ctx, int64_t id, const std::string& action);
  Model model_in(Ctx& ctx, int64_t id, const std::string& action);
  Job job_in(Ctx& ctx, int64_t id, const std::string& action);

  // Files of the data directory (relative names built from ids only, never from requests).
  std::string path(const std::string& relative) const { return cfg.data_dir + "/" + relative; }
  std::string read_encrypted(const std::string& relative) const;
  void write_encrypted(const std::string& relative, const std::string& bytes) const;
  // Stores a table as a new dataset: the row, then its encrypted file datasets/<id>.csv.enc;
  // when the file cannot be written the row is removed again. Returns the id.
  // `ext` names the plaintext's form: ".csv" for a table, ".tar" for a dataset of several tables.
  int64_t add_dataset(const Dataset& d, const std::string& bytes, const std::string& ext = ".csv");

  // Datasets of several tables (api_records.cpp): stored as a tar of the folder (its CSV files
  // and dataset.json); read by the medgen program's records commands in the jobs' children.
  // upload_records: an archive of the folder (format "records") or FHIR R4 (format "fhir":
  // a Bundle or bulk NDJSON), checked by children (`fhir import`, `schema`, `split`).
  Reply upload_records(Ctx& ctx, const std::string& name, const std::string& format);
  nlohmann::json run_records_job(const Job& job, JobControl& control);
  // PUT .../schema on a dataset of several tables: the body is a dataset schema, checked against
  // the tables by a child (`split --schema`).
  Reply edit_records_schema(Ctx& ctx, const Dataset& d);
  // Writes a records dataset's tables and its dataset.json into `folder`.
  void unpack_records(const Dataset& d, const std::string& folder) const;
  // A records dataset as a tar of its folder, with its current dataset.json (downloads).
  std::string records_archive(const Dataset& d) const;

  // Jobs (api_jobs.cpp). submit_job: creates a job of ctx.project, queues it and audits it
  // (`object` is what it works on); 202 with the job, or 429 when the queue is full.
  Reply submit_job(Ctx& ctx, const std::string& kind, const nlohmann::json& params, const std::string& object);
  nlohmann::json run_job(const Job& job, JobControl& control);
  // An evaluate job's child wrote report.json and report.html into `s`: the HTML is stored
  // encrypted, and the job's result is the summary and the gate's verdict.
  nlohmann::json evaluation_result(const Job& job, const Scratch& s);
  nlohmann::json run_image_job(const Job& job, JobControl& control);  // api_images.cpp: "image.*" kinds
  std::shared_ptr<const sim::Catalog> sim_catalog();
  void end_all_sims();
  // Ends live sessions idle longer than cfg.sim_idle_minutes (api_sim.cpp).
  void reap_idle_sims();
};

// Request helpers.
int64_t id_param(const HttpRequest& req, const std::string& name);  // 400 unless a positive integer
nlohmann::json json_body(const HttpRequest& req);                    // 400 unless a JSON object
std::string display_name(const nlohmann::json& v, const std::string& field);  // 1..200 printable characters
Reply ok(const nlohmann::json& body, int status = 200);

// A dataset of several tables (its schema is a dataset schema, with "tables").
bool is_records(const Dataset& d);

// full: as a steward sees it (a real table's schema with its values, a failed job's message).
nlohmann::json to_json(const Dataset& d, bool full);
nlohmann::json to_json(const Model& m);
nlohmann::json to_json(const Job& j, bool full);
nlohmann::json to_json(const Release& r);

}  // namespace medgen::server
