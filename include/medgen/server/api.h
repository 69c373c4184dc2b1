// The JSON API of `medgen serve` (docs/server.md): authentication, accounts and roles,
// projects, datasets, fit/sample/evaluate jobs, releases, live virtual patients, the audit
// trail, /health, /metrics and /openapi.json. It holds no modelling logic: jobs run the medgen
// program itself (jobs.h), the simulator runs in process on the sim module.
//
// Every object belongs to a project; a route under /api/v1/projects/{project}/ first checks
// the caller's role in that project, then that the object is in it. An object that does not
// exist and one in another project are refused alike (403, the same words), so ids reveal
// nothing. Real rows never leave the server except to a steward; synthetic rows leave only to
// a steward, or to an analyst once a release of them is approved and passed its gate.
//
// Thread safety: handle() is called from the HTTP layer's threads concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "medgen/server/http.h"
#include "medgen/server/secrets.h"

namespace medgen::server {

struct ServerConfig {
  std::string data_dir = "medgen-data";  // database, encrypted files, audit head
  std::string database;                  // "" -> SQLite in data_dir; else a PostgreSQL connection string
  std::string key_file;                  // encryption key (64 hex); "" -> $MEDGEN_SERVER_KEY, else <data_dir>/server.key
  std::string medgen_exe;                // the program jobs run; "" -> this process's executable
  std::string sim_data;                  // the simulator's catalog folder; "" -> sim::Catalog::default_dir()
  std::string work_dir;                  // jobs' plaintext scratch; "" -> /dev/shm/medgen-<id> (memory), else <data_dir>/work
  int workers = 1;                       // jobs running at once
  size_t queue = 16;                     // jobs waiting at most; more: 429 with Retry-After
  std::string runner_id;                 // this process's name on the jobs it runs; "" -> host:pid:random
  int job_lease_s = 60;                  // a running job without a heartbeat this long is requeued (other processes)
  int token_ttl_hours = 12;              // login tokens
  int max_token_ttl_hours = 24 * 90;     // API tokens
  int max_sim_sessions = 1000;           // live virtual patients at once
  int max_sim_sessions_per_user = 5;     // ... per user
  // A live session without a request or an open monitor for this long ends (scored as it stands,
  // "ended_by": "idle") when someone next starts a session, so abandoned ones do not hold the caps.
  double sim_idle_minutes = 30;
  // The release gate every evaluation applies (eval/gate.h's JSON; {} = the evaluation's
  // defaults). Set by the operator, never by a request.
  nlohmann::json gate = nlohmann::json::object();
  PasswordCost password_cost;            // Argon2id cost for new passwords
  HttpOptions http;
  // Checks ranges; InvalidInput naming the option.
  void validate() const;
};

class Api {
 public:
  // Opens the store, loads or creates the key, recovers jobs and starts the workers. When the
  // database has no user yet, creates "admin" with a one-time password returned by
  // first_admin_password() (empty otherwise).
  explicit Api(const ServerConfig& config);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  Reply handle(HttpRequest& request);
  // The HTTP layer's counters, for /metrics (set once the server exists).
  void set_http_counters(const HttpCounters* counters);
  const std::string& first_admin_password() const;
  // Stops the job workers (running jobs checkpoint and go back to "queued") and ends live
  // simulator sessions. Called on SIGTERM before the HTTP server stops.
  void shutdown();
  // The OpenAPI 3 document of every route.
  nlohmann::json openapi() const;
  // The requests that may carry large bodies (uploads), for HttpOptions::large_body.
  static bool accepts_large_body(const std::string& method, const std::string& target);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `medgen serve`: Api + HttpServer until SIGTERM or SIGINT, then a graceful shutdown. Prints
// where it listens (and a first admin's one-time password) on stdout.
int serve(const ServerConfig& config);

// `medgen server rotate-key`: re-encrypts every encrypted file of the data directory under the
// new key. Returns how many files changed.
size_t rotate_data_key(const std::string& data_dir, const Key& old_key, const Key& new_key);

}  // namespace medgen::server
