// The server's database: projects, users and their roles, API tokens, datasets, models, jobs,
// release requests, simulator sessions, images, case assignments and the audit trail. By default an embedded
// SQLite database (WAL journal) under the server's data directory; for several server
// processes sharing one database, PostgreSQL. Schema changes are numbered migrations applied in
// order at open (SQLite: PRAGMA user_version records the last one applied; PostgreSQL: the
// table medgen_schema); a database written by a newer medgen is refused.
//
// Errors: IoError when the database cannot be opened, reached, read or written (a full disk
// included; a message never shows a password of the connection string); InvalidInput for a
// constraint the caller broke (a duplicate user or project name, an unknown id where one is
// required). Every method runs in its own transaction, so a crash leaves either all of a change
// or none of it.
//
// Thread safety: a Store is shared by the server's threads; every method locks one mutex
// around its transaction, so its one connection is used by one thread at a time. Several
// Stores (processes) may share one PostgreSQL database and one data directory: their audit
// entries still form one chain.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace medgen::server {

namespace db {
class Connection;
}

// Roles inside one project (docs/server.md has the permission table). An admin is a user flag
// (User::admin), not a project role.
enum class Role { kSteward, kAnalyst, kEducator, kTrainee };
const char* role_name(Role r);                      // "steward", "analyst", "educator", "trainee"
std::optional<Role> parse_role(const std::string& s);  // nullopt for anything else

struct Project {
  int64_t id = 0;
  std::string name;
  std::string created_at;  // UTC, ISO 8601 with milliseconds ("2026-11-30T21:50:08.123Z")
};

struct User {
  int64_t id = 0;
  std::string name;
  std::string password_hash;  // Argon2id string (secrets.h), "" for none
  bool admin = false;
  bool disabled = false;
  std::string created_at;
};

struct Membership {
  int64_t user_id = 0;
  int64_t project_id = 0;
  Role role = Role::kTrainee;
};

struct Token {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string digest;      // secrets.h token_digest() of the token; the token itself is never stored
  std::string name;        // what the user called it ("login", "ci")
  std::string created_at;
  std::string expires_at;  // UTC ISO 8601
  std::string revoked_at;  // "" while valid
};

struct Dataset {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;        // as uploaded (a display name, never a path)
  std::string kind;        // "real" or "synthetic"
  std::string file;        // path relative to the data directory ("datasets/7.csv.enc")
  bool encrypted = false;
  int64_t rows = 0;
  int64_t columns = 0;
  std::string schema_json; // the schema in medgen's JSON form
  int64_t source_model_id = 0;  // synthetic: the model that produced it (0: none)
  int64_t created_by = 0;
  std::string created_at;
};

struct Model {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t dataset_id = 0;  // what it was fitted on
  std::string synthesizer;
  std::string file;        // relative to the data directory
  bool encrypted = false;
  int64_t job_id = 0;
  int64_t created_by = 0;
  std::string created_at;
};

// Job states: "queued" -> "running" -> "succeeded" | "failed" | "cancelled". A job that was
// running when the server stopped is put back to "queued" (with resume = true when it has a
// checkpoint) by the job runner at the next start.
struct Job {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string kind;         // "fit", "sample", "evaluate"
  std::string state;
  std::string params_json;  // the request, as accepted
  double progress = 0;      // 0..1
  std::string message;      // last progress detail or the error
  std::string result_json;  // on success: ids of what was made, figures
  std::string checkpoint;   // relative path of the checkpoint file, "" when none
  int attempts = 0;         // times the job has been started
  int64_t created_by = 0;
  std::string created_at;
  std::string updated_at;
};

// A request to download a synthetic dataset. "requested" -> "approved" | "rejected" by a
// steward; the gate's verdict is stored with it (the analyst downloads only when the release
// is approved and gate_passed).
struct Release {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t dataset_id = 0;
  std::string state;
  bool gate_passed = false;
  std::string gate_json;
  int64_t requested_by = 0;
  int64_t decided_by = 0;
  std::string created_at;
  std::string decided_at;
};

// A medical image or image model of a project: an uploaded volume (real patient data), an
// uploaded image model (`medgen image train`), or a volume an image job made from them.
struct Image {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;        // as uploaded, or made by the job (a display name, never a path)
  std::string kind;        // "volume", "model" or "result"
  std::string file;        // path relative to the data directory ("images/job-7.nii.gz.enc")
  bool encrypted = false;
  int64_t created_by = 0;
  std::string created_at;
  int64_t source_job = 0;  // result: the job that made it (0: none)
};

struct SimSessionRow {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t user_id = 0;      // the trainee who owns it
  std::string case_json;    // the case as started
  std::string state;        // "live", "ended"
  std::string result_json;  // the debrief's score at the end
  std::string created_at;
  std::string ended_at;
};

// A case an educator gave a trainee: the case's options (condition, severity, seed) as JSON;
// session_id is the session the trainee ran it in (0 until they start it). Its score is that
// session's result.
struct Assignment {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t trainee_id = 0;
  int64_t assigned_by = 0;  // the educator (0: none)
  std::string case_json;    // {"condition", "severity"?, "seed"}
  std::string created_at;
  int64_t session_id = 0;
};

// One audit entry. hash = hex SHA-256 of the entry's canonical bytes (audit_canonical) and
// prev_hash is the previous entry's hash (64 zeros for the first): editing, removing or
// reordering any entry breaks the chain (verify_audit).
struct AuditEntry {
  int64_t seq = 0;          // 1, 2, 3, ... without gaps
  std::string time;         // UTC ISO 8601 with milliseconds
  std::string actor;        // user name, or "-" for an unauthenticated request
  std::string action;       // "login", "dataset.upload", "release.approve", "permission.grant", ...
  int64_t project_id = 0;   // 0: none
  std::string object;       // "dataset:7", "user:3", or ""
  std::string outcome;      // "ok", "denied", "failed"
  std::string detail;       // a JSON object with what else matters (remote address, reason)
  std::string prev_hash;
  std::string hash;
};

// The bytes an entry's hash covers: every field but `hash`, as a JSON array in field order.
std::string audit_canonical(const AuditEntry& e);

struct AuditVerdict {
  bool ok = true;
  int64_t entries = 0;      // entries checked
  int64_t first_bad = 0;    // seq of the first entry that fails (the first removed one when the
                            // last entries are gone), 0 when ok or when audit.head is missing
  std::string message;      // what is wrong, one line ("entry 12: hash does not match its contents")
};

class Store {
 public:
  // Opens the database and applies pending migrations. `database` "" is SQLite at
  // `<data_dir>/medgen.db` (created when absent); anything else is a libpq connection string
  // or URI ("host=/run/postgresql dbname=medgen", "postgresql://medgen@db.example/medgen") of
  // an existing PostgreSQL database. `data_dir` must exist: the audit head is kept there.
  explicit Store(const std::string& data_dir, const std::string& database = "");
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version() const;           // migrations applied
  static int latest_schema_version();   // migrations this medgen knows

  // Projects.
  int64_t create_project(const std::string& name);
  std::optional<Project> project(int64_t id);
  std::optional<Project> project_by_name(const std::string& name);
  std::vector<Project> projects();

  // Users. create_user: InvalidInput when the name is taken.
  int64_t create_user(const std::string& name, const std::string& password_hash, bool admin);
  std::optional<User> user(int64_t id);
  std::optional<User> user_by_name(const std::string& name);
  std::vector<User> users();
  void set_password_hash(int64_t user_id, const std::string& password_hash);
  void set_disabled(int64_t user_id, bool disabled);
  int64_t count_users();

  // Roles in projects. set_role replaces the user's role in that project; remove_role does
  // nothing when there is none.
  void set_role(int64_t user_id, int64_t project_id, Role role);
  void remove_role(int64_t user_id, int64_t project_id);
  std::optional<Role> role(int64_t user_id, int64_t project_id);
  std::vector<Membership> memberships(int64_t user_id);
  std::vector<Membership> project_members(int64_t project_id);

  // Tokens. token_by_digest returns revoked and expired tokens too (the caller checks);
  // revoking twice keeps the first time.
  int64_t create_token(int64_t user_id, const std::string& digest, const std::string& name,
                       const std::string& expires_at);
  std::optional<Token> token_by_digest(const std::string& digest);
  std::vector<Token> tokens(int64_t user_id);
  void revoke_token(int64_t token_id, const std::string& at);

  // Datasets. file may be set after insertion (the id names the file). A reference to another
  // row (source model, the model's dataset and job, a release's dataset) must name a row of the
  // same project (InvalidInput). Deleting a dataset deletes its release requests; models fitted
  // on it stay, with dataset_id 0.
  int64_t create_dataset(const Dataset& d);
  void set_dataset_file(int64_t id, const std::string& file, bool encrypted);
  void set_dataset_schema(int64_t id, const std::string& schema_json);
  std::optional<Dataset> dataset(int64_t id);
  std::vector<Dataset> datasets(int64_t project_id);
  void delete_dataset(int64_t id);

  // Models.
  int64_t create_model(const Model& m);
  std::optional<Model> model(int64_t id);
  std::vector<Model> models(int64_t project_id);
  std::vector<Model> all_models();
  std::vector<Dataset> all_datasets();

  // Jobs.
  int64_t create_job(const Job& j);  // state "queued"
  std::optional<Job> job(int64_t id);
  std::vector<Job> jobs(int64_t project_id);
  std::vector<Job> jobs_in_state(const std::string& state);
  // Sets state (and message); updated_at is set to now. start_job also counts an attempt, and
  // starts only a queued job (InvalidInput otherwise: a job is never taken twice, nor one
  // cancelled while it waited). set_job_progress clamps progress to 0..1.
  void set_job_state(int64_t id, const std::string& state, const std::string& message);
  // runner: the process that runs it (JobRunner's id), kept with a heartbeat time.
  void start_job(int64_t id, const std::string& runner = "");
  // Refreshes the heartbeat of the running jobs of `runner`.
  void heartbeat_jobs(const std::string& runner);
  // Puts back in the queue the running jobs whose runner stopped: other runners' jobs without a
  // heartbeat for lease_s seconds; `runner`'s own when include_runner (a previous life of the
  // same id; otherwise never, however old their heartbeat); with all_running, every running job
  // (one process per database, as with SQLite). Returns their ids.
  std::vector<int64_t> requeue_abandoned_jobs(const std::string& runner, int64_t lease_s, bool all_running,
                                              bool include_runner = true);
  // The end of one attempt: state, message (and the result) written only while the job is still
  // this runner's `attempt`; false when another runner has taken it since (nothing written).
  bool finish_job(int64_t id, const std::string& runner, int attempt, const std::string& state, const std::string& message,
                  const std::string* result_json);
  // One process per database (SQLite); false for PostgreSQL, shared by several processes.
  bool single_process() const;
  void set_job_progress(int64_t id, double progress, const std::string& message);
  void set_job_result(int64_t id, const std::string& result_json);
  void set_job_checkpoint(int64_t id, const std::string& checkpoint);

  // Releases. create_release: InvalidInput unless the dataset is synthetic; decide_release:
  // InvalidInput unless the release is still "requested".
  int64_t create_release(const Release& r);  // state "requested"
  std::optional<Release> release(int64_t id);
  std::vector<Release> releases(int64_t project_id);
  void decide_release(int64_t id, bool approve, int64_t by);

  // Images. A result's source job must be in the image's project (InvalidInput).
  int64_t create_image(const Image& im);
  std::optional<Image> image(int64_t id);
  std::vector<Image> images(int64_t project_id);

  // Simulator sessions. end_sim_session: InvalidInput when the session has already ended.
  int64_t create_sim_session(const SimSessionRow& s);  // state "live"
  std::optional<SimSessionRow> sim_session(int64_t id);
  std::vector<SimSessionRow> sim_sessions(int64_t project_id);
  void end_sim_session(int64_t id, const std::string& result_json);

  // Assignments. create_assignment: the trainee (and assigned_by, when not 0) must be users;
  // start_assignment: InvalidInput unless the assignment exists, has no session yet and the
  // session is in the assignment's project and belongs to its trainee.
  int64_t create_assignment(const Assignment& a);
  std::optional<Assignment> assignment(int64_t id);
  std::vector<Assignment> assignments(int64_t project_id);
  void start_assignment(int64_t id, int64_t session_id);

  // Audit trail. append_audit fills seq, time, prev_hash and hash and returns the entry as
  // stored. The chain's head (last seq and hash) is also written to `<data_dir>/audit.head`
  // (atomically, after the database commit, never moving back when processes sharing the
  // folder race; `audit.head.lock` orders them), so that removing the last entries is detected.
  AuditEntry append_audit(AuditEntry e);
  std::vector<AuditEntry> audit(int64_t after_seq, int64_t limit);  // seq > after_seq, in order
  // Recomputes every hash and link from the first entry, and compares the last with the head
  // file (a database ahead of the head file by entries that chain correctly is accepted: a
  // crash between the commit and the head write). Reads only.
  AuditVerdict verify_audit();

  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string data_dir_;
  std::unique_ptr<db::Connection> db_;
  int schema_version_ = 0;
  std::mutex mu_;
};

// UTC now as ISO 8601 with milliseconds; and `seconds` from now.
std::string utc_now();
std::string utc_after(int64_t seconds);

// verify_audit on the database a Store(data_dir, database) would open, without migrating or
// writing it (`medgen audit verify`).
AuditVerdict verify_audit_dir(const std::string& data_dir, const std::string& database = "");

}  // namespace medgen::server
