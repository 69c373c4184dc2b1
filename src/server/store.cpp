#include "medgen/server/store.h"

#include <sodium.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string_view>
#include <type_traits>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "db.h"

namespace medgen::server {

namespace {

// ---- schema --------------------------------------------------------------------------------
// Migration k (1-based) is kSqliteMigrations[k - 1], and kPostgresMigrations[k - 1] the same
// schema in PostgreSQL's words. Never edit one that has shipped: append another, to both.
//
// Ids that may be absent (created_by, source_model_id, ...) are NULL in the database and 0 in
// the structs, so that the foreign keys can hold. Users and projects are never deleted (users
// are disabled); a deleted dataset takes its release requests with it, while models fitted on
// it keep existing without it (deleting the real data after fitting is the point).
// The audit table has no foreign keys: an entry must be recordable whatever it names.
const char* const kSqliteMigrations[] = {
    R"sql(
CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  created_at TEXT NOT NULL
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  password_hash TEXT NOT NULL DEFAULT '',
  admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL
);
CREATE TABLE memberships (
  user_id INTEGER NOT NULL REFERENCES users(id),
  project_id INTEGER NOT NULL REFERENCES projects(id),
  role TEXT NOT NULL CHECK (role IN ('steward', 'analyst', 'educator', 'trainee')),
  PRIMARY KEY (user_id, project_id)
) WITHOUT ROWID;
CREATE INDEX memberships_project ON memberships(project_id);
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  digest TEXT NOT NULL CHECK (length(digest) > 0),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX tokens_digest ON tokens(digest);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  kind TEXT NOT NULL CHECK (length(kind) > 0),
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  params_json TEXT NOT NULL,
  progress REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  message TEXT NOT NULL DEFAULT '',
  result_json TEXT NOT NULL DEFAULT '',
  checkpoint TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX jobs_state ON jobs(state);
CREATE INDEX jobs_project ON jobs(project_id);
CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  synthesizer TEXT NOT NULL,
  file TEXT NOT NULL,
  encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  job_id INTEGER REFERENCES jobs(id),
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL
);
CREATE INDEX models_project ON models(project_id);
CREATE INDEX models_dataset ON models(dataset_id);
CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('real', 'synthetic')),
  file TEXT NOT NULL,
  encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  row_count INTEGER NOT NULL CHECK (row_count >= 0),
  column_count INTEGER NOT NULL CHECK (column_count >= 0),
  schema_json TEXT NOT NULL,
  source_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL
);
CREATE INDEX datasets_project ON datasets(project_id);
CREATE INDEX datasets_source_model ON datasets(source_model_id);
CREATE TABLE releases (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'rejected')),
  gate_passed INTEGER NOT NULL CHECK (gate_passed IN (0, 1)),
  gate_json TEXT NOT NULL,
  requested_by INTEGER REFERENCES users(id),
  decided_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  decided_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX releases_project ON releases(project_id);
CREATE INDEX releases_dataset ON releases(dataset_id);
CREATE TABLE sim_sessions (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  case_json TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('live', 'ended')),
  result_json TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  ended_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sim_sessions_project ON sim_sessions(project_id);
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY CHECK (seq > 0),
  time TEXT NOT NULL,
  actor TEXT NOT NULL CHECK (length(actor) > 0),
  action TEXT NOT NULL CHECK (length(action) > 0),
  project_id INTEGER NOT NULL,
  object TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
-- The hash chain is what proves the trail intact; these only stop medgen's own code (or a
-- careless hand) from changing it.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit entries cannot be removed'); END;
)sql",
    // 2: images (volumes, image models and what image jobs made of them).
    R"sql(
CREATE TABLE images (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('volume', 'model', 'result')),
  file TEXT NOT NULL,
  encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL,
  source_job INTEGER REFERENCES jobs(id),
  CHECK (kind <> 'result' OR source_job IS NOT NULL)
);
CREATE INDEX images_project ON images(project_id);
)sql",
    // 3: cases educators assign to trainees (the score is the session's result).
    R"sql(
CREATE TABLE assignments (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  trainee_id INTEGER NOT NULL REFERENCES users(id),
  assigned_by INTEGER REFERENCES users(id),
  case_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  session_id INTEGER UNIQUE REFERENCES sim_sessions(id)
);
CREATE INDEX assignments_project ON assignments(project_id);
)sql",
    R"sql(
ALTER TABLE jobs ADD COLUMN runner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT NOT NULL DEFAULT '';
)sql",
};
// Ids are BIGINT identities, flags INTEGER 0 or 1 (as in SQLite, so the Store's SQL is one),
// REAL is DOUBLE PRECISION. Tables come in the order their foreign keys need (datasets and
// models refer to each other: the one from datasets is added after models exist), and the
// audit guards are PL/pgSQL, TRUNCATE included.
const char* const kPostgresMigrations[] = {
    R"sql(
CREATE TABLE projects (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  created_at TEXT NOT NULL
);
CREATE TABLE users (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
  password_hash TEXT NOT NULL DEFAULT '',
  admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL
);
CREATE TABLE memberships (
  user_id BIGINT NOT NULL REFERENCES users(id),
  project_id BIGINT NOT NULL REFERENCES projects(id),
  role TEXT NOT NULL CHECK (role IN ('steward', 'analyst', 'educator', 'trainee')),
  PRIMARY KEY (user_id, project_id)
);
CREATE INDEX memberships_project ON memberships(project_id);
CREATE TABLE tokens (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  digest TEXT NOT NULL CHECK (length(digest) > 0),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX tokens_digest ON tokens(digest);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE TABLE jobs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  kind TEXT NOT NULL CHECK (length(kind) > 0),
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  params_json TEXT NOT NULL,
  progress DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  message TEXT NOT NULL DEFAULT '',
  result_json TEXT NOT NULL DEFAULT '',
  checkpoint TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_by BIGINT REFERENCES users(id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX jobs_state ON jobs(state);
CREATE INDEX jobs_project ON jobs(project_id);
CREATE TABLE datasets (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('real', 'synthetic')),
  file TEXT NOT NULL,
  encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  row_count BIGINT NOT NULL CHECK (row_count >= 0),
  column_count BIGINT NOT NULL CHECK (column_count >= 0),
  schema_json TEXT NOT NULL,
  source_model_id BIGINT,
  created_by BIGINT REFERENCES users(id),
  created_at TEXT NOT NULL
);
CREATE INDEX datasets_project ON datasets(project_id);
CREATE INDEX datasets_source_model ON datasets(source_model_id);
CREATE TABLE models (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  dataset_id BIGINT REFERENCES datasets(id) ON DELETE SET NULL,
  synthesizer TEXT NOT NULL,
  file TEXT NOT NULL,
  encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  job_id BIGINT REFERENCES jobs(id),
  created_by BIGINT REFERENCES users(id),
  created_at TEXT NOT NULL
);
CREATE INDEX models_project ON models(project_id);
CREATE INDEX models_dataset ON models(dataset_id);
ALTER TABLE datasets ADD FOREIGN KEY (source_model_id) REFERENCES models(id) ON DELETE SET NULL;
CREATE TABLE releases (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  dataset_id BIGINT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'rejected')),
  gate_passed INTEGER NOT NULL CHECK (gate_passed IN (0, 1)),
  gate_json TEXT NOT NULL,
  requested_by BIGINT REFERENCES users(id),
  decided_by BIGINT REFERENCES users(id),
  created_at TEXT NOT NULL,
  decided_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX releases_project ON releases(project_id);
CREATE INDEX releases_dataset ON releases(dataset_id);
CREATE TABLE sim_sessions (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  case_json TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('live', 'ended')),
  result_json TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  ended_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sim_sessions_project ON sim_sessions(project_id);
CREATE TABLE audit (
  seq BIGINT PRIMARY KEY CHECK (seq > 0),
  time TEXT NOT NULL,
  actor TEXT NOT NULL CHECK (length(actor) > 0),
  action TEXT NOT NULL CHECK (length(action) > 0),
  project_id BIGINT NOT NULL,
  object TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries cannot be %', CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'removed' END
    USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
)sql",
    R"sql(
CREATE TABLE images (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('volume', 'model', 'result')),
  file TEXT NOT NULL,
  encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  created_by BIGINT REFERENCES users(id),
  created_at TEXT NOT NULL,
  source_job BIGINT REFERENCES jobs(id),
  CHECK (kind <> 'result' OR source_job IS NOT NULL)
);
CREATE INDEX images_project ON images(project_id);
)sql",
    R"sql(
CREATE TABLE assignments (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects(id),
  trainee_id BIGINT NOT NULL REFERENCES users(id),
  assigned_by BIGINT REFERENCES users(id),
  case_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  session_id BIGINT UNIQUE REFERENCES sim_sessions(id)
);
CREATE INDEX assignments_project ON assignments(project_id);
)sql",
    R"sql(
ALTER TABLE jobs ADD COLUMN runner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT NOT NULL DEFAULT '';
)sql",
};
constexpr int kLatestSchema = static_cast<int>(std::size(kSqliteMigrations));
static_assert(std::size(kPostgresMigrations) == std::size(kSqliteMigrations), "every migration in both dialects");

const std::string kZeroHash(64, '0');

// ---- statements and transactions ----------------------------------------------------------

// A statement whose parameters are bound in order (bind_*) and whose columns are read in order
// (get_*) after each step() that returned a row.
class Stmt {
 public:
  Stmt(db::Connection& db, const std::string& sql) : s_(db.prepare(sql)) {}

  Stmt& bind_text(std::string_view v) {
    s_->bind_text(v);
    return *this;
  }
  Stmt& bind_int(int64_t v) {
    s_->bind_int(v);
    return *this;
  }
  Stmt& bind_real(double v) {
    s_->bind_real(v);
    return *this;
  }
  // An optional reference to another row: 0 is NULL.
  Stmt& bind_ref(int64_t id) {
    if (id == 0)
      s_->bind_null();
    else
      s_->bind_int(id);
    return *this;
  }

  bool step() {
    col_ = 0;
    return s_->step();
  }
  void run() {
    while (step()) {
    }
  }
  // For "INSERT ... RETURNING id": the new row's id.
  int64_t insert() {
    if (!step()) throw Error("INSERT ... RETURNING returned no row");
    const int64_t id = get_int();
    run();
    return id;
  }

  int64_t get_int() { return s_->get_int(col_++); }
  double get_real() { return s_->get_real(col_++); }
  bool get_flag() { return get_int() != 0; }
  std::string get_text() { return s_->get_text(col_++); }

 private:
  std::unique_ptr<db::Statement> s_;
  int col_ = 0;
};

// Begins at construction; rolls back at destruction unless commit() ended the transaction.
class Tx {
 public:
  Tx(db::Connection& db, db::TxMode mode) : db_(db) { db.begin(mode); }
  ~Tx() { db_.rollback(); }
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  void commit() { db_.commit(); }

 private:
  db::Connection& db_;
};

constexpr db::TxMode kRead = db::TxMode::kRead;
constexpr db::TxMode kWrite = db::TxMode::kWrite;

template <class F>
auto in_tx(std::mutex& mu, db::Connection& db, db::TxMode mode, F&& f) {
  std::lock_guard<std::mutex> lock(mu);
  Tx tx(db, mode);
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    tx.commit();
  } else {
    auto result = f();
    tx.commit();
    return result;
  }
}

// S is Stmt& or a temporary Stmt.
template <class S, class T>
std::optional<T> fetch_one(S&& s, T (*read)(Stmt&)) {
  if (!s.step()) return std::nullopt;
  return read(s);
}

template <class S, class T>
std::vector<T> fetch_all(S&& s, T (*read)(Stmt&)) {
  std::vector<T> out;
  while (s.step()) out.push_back(read(s));
  return out;
}

const char* const* migrations(const db::Connection& db) {
  return db.dialect() == db::Dialect::kSqlite ? kSqliteMigrations : kPostgresMigrations;
}

void refuse_newer(const db::Connection& db, int version) {
  if (version > kLatestSchema)
    throw IoError(db.name() + ": written by a newer medgen (schema " + std::to_string(version) +
                  ", this one knows " + std::to_string(kLatestSchema) + ")");
}

// Each migration commits with its version, so a crash part-way leaves a database that the
// next start continues from. The version is read inside the write transaction (and, on
// PostgreSQL, under a lock), so two processes opening a fresh database at once do not both
// apply a migration.
int migrate(db::Connection& db) {
  for (;;) {
    Tx tx(db, kWrite);
    db.lock_exclusive("schema");
    const int version = db.schema_version();
    refuse_newer(db, version);
    if (version == kLatestSchema) return version;
    db.exec(migrations(db)[version]);
    db.set_schema_version(version + 1);
    tx.commit();
  }
}

// ---- checks on what the caller passed -------------------------------------------------------

// A row another one may refer to; `sql` selects its project id (0 where it has none).
struct Ref {
  const char* noun;
  const char* sql;
};
constexpr Ref kUserRef{"user", "SELECT 0 FROM users WHERE id = ?"};
constexpr Ref kProjectRef{"project", "SELECT id FROM projects WHERE id = ?"};
constexpr Ref kTokenRef{"token", "SELECT 0 FROM tokens WHERE id = ?"};
constexpr Ref kDatasetRef{"dataset", "SELECT project_id FROM datasets WHERE id = ?"};
constexpr Ref kModelRef{"model", "SELECT project_id FROM models WHERE id = ?"};
constexpr Ref kJobRef{"job", "SELECT project_id FROM jobs WHERE id = ?"};
constexpr Ref kReleaseRef{"release", "SELECT project_id FROM releases WHERE id = ?"};
constexpr Ref kSimRef{"simulator session", "SELECT project_id FROM sim_sessions WHERE id = ?"};
constexpr Ref kAssignmentRef{"assignment", "SELECT project_id FROM assignments WHERE id = ?"};

std::string name_of(const Ref& ref, int64_t id) { return std::string(ref.noun) + " " + std::to_string(id); }

// InvalidInput unless row `id` exists and, when project_id is not 0, belongs to that project
// (a model in one project fitted on another's data would leak it across the permission line).
void require(db::Connection& db, const Ref& ref, int64_t id, int64_t project_id = 0) {
  Stmt s(db, ref.sql);
  s.bind_int(id);
  if (!s.step()) throw InvalidInput("no " + name_of(ref, id));
  if (project_id != 0 && s.get_int() != project_id)
    throw InvalidInput(name_of(ref, id) + " is not in project " + std::to_string(project_id));
}

void require_optional(db::Connection& db, const Ref& ref, int64_t id, int64_t project_id = 0) {
  if (id != 0) require(db, ref, id, project_id);
}

// After an UPDATE or DELETE of one row by id: InvalidInput when there was no such row.
void require_changed(db::Connection& db, const Ref& ref, int64_t id) {
  if (db.changes() == 0) throw InvalidInput("no " + name_of(ref, id));
}

void require_one_of(const std::string& value, std::initializer_list<const char*> allowed, const char* what) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += std::string(list.empty() ? "" : ", ") + a;
  }
  throw InvalidInput(std::string(what) + " '" + value + "' is not one of: " + list);
}

void require_unique_name(db::Connection& db, const char* table_sql, const std::string& name, const char* what) {
  if (name.empty()) throw InvalidInput(std::string(what) + " name is empty");
  Stmt s(db, table_sql);
  s.bind_text(name);
  if (s.step()) throw InvalidInput(std::string(what) + " '" + name + "' already exists");
}

constexpr std::initializer_list<const char*> kJobStates = {"queued", "running", "succeeded", "failed",
                                                            "cancelled"};

// ---- rows -----------------------------------------------------------------------------------
// Each column list is in the order of its struct's fields, which the readers fill by aggregate
// initialisation (a braced list is evaluated left to right).

const char kProjectCols[] = "id, name, created_at";
Project read_project(Stmt& s) { return {s.get_int(), s.get_text(), s.get_text()}; }

const char kUserCols[] = "id, name, password_hash, admin, disabled, created_at";
User read_user(Stmt& s) { return {s.get_int(), s.get_text(), s.get_text(), s.get_flag(), s.get_flag(), s.get_text()}; }

Role role_from_db(Stmt& s) {
  const std::string name = s.get_text();
  const std::optional<Role> r = parse_role(name);
  if (!r) throw IoError("unknown role '" + name + "' in the database");  // the CHECK was bypassed
  return *r;
}

const char kMembershipCols[] = "user_id, project_id, role";
Membership read_membership(Stmt& s) { return {s.get_int(), s.get_int(), role_from_db(s)}; }

const char kTokenCols[] = "id, user_id, digest, name, created_at, expires_at, revoked_at";
Token read_token(Stmt& s) {
  return {s.get_int(), s.get_int(), s.get_text(), s.get_text(), s.get_text(), s.get_text(), s.get_text()};
}

const char kDatasetCols[] =
    "id, project_id, name, kind, file, encrypted, row_count, column_count, schema_json, source_model_id, "
    "created_by, created_at";
Dataset read_dataset(Stmt& s) {
  return {s.get_int(),  s.get_int(), s.get_text(), s.get_text(), s.get_text(), s.get_flag(),
          s.get_int(),  s.get_int(), s.get_text(), s.get_int(),  s.get_int(),  s.get_text()};
}

const char kModelCols[] = "id, project_id, dataset_id, synthesizer, file, encrypted, job_id, created_by, created_at";
Model read_model(Stmt& s) {
  return {s.get_int(),  s.get_int(), s.get_int(), s.get_text(), s.get_text(),
          s.get_flag(), s.get_int(), s.get_int(), s.get_text()};
}

const char kJobCols[] =
    "id, project_id, kind, state, params_json, progress, message, result_json, checkpoint, attempts, created_by, "
    "created_at, updated_at";
Job read_job(Stmt& s) {
  return {s.get_int(),  s.get_int(),  s.get_text(), s.get_text(), s.get_text(),
          s.get_real(), s.get_text(), s.get_text(), s.get_text(), static_cast<int>(s.get_int()),
          s.get_int(),  s.get_text(), s.get_text()};
}

const char kReleaseCols[] =
    "id, project_id, dataset_id, state, gate_passed, gate_json, requested_by, decided_by, created_at, decided_at";
Release read_release(Stmt& s) {
  return {s.get_int(), s.get_int(), s.get_int(), s.get_text(), s.get_flag(),
          s.get_text(), s.get_int(), s.get_int(), s.get_text(), s.get_text()};
}

const char kImageCols[] = "id, project_id, name, kind, file, encrypted, created_by, created_at, source_job";
Image read_image(Stmt& s) {
  return {s.get_int(),  s.get_int(), s.get_text(), s.get_text(), s.get_text(),
          s.get_flag(), s.get_int(), s.get_text(), s.get_int()};
}

const char kSimCols[] = "id, project_id, user_id, case_json, state, result_json, created_at, ended_at";
SimSessionRow read_sim(Stmt& s) {
  return {s.get_int(), s.get_int(), s.get_int(), s.get_text(), s.get_text(), s.get_text(), s.get_text(), s.get_text()};
}

const char kAssignmentCols[] = "id, project_id, trainee_id, assigned_by, case_json, created_at, session_id";
Assignment read_assignment(Stmt& s) {
  return {s.get_int(), s.get_int(), s.get_int(), s.get_int(), s.get_text(), s.get_text(), s.get_int()};
}

const char kAuditCols[] = "seq, time, actor, action, project_id, object, outcome, detail, prev_hash, hash";
AuditEntry read_audit(Stmt& s) {
  return {s.get_int(),  s.get_text(), s.get_text(), s.get_text(), s.get_int(),
          s.get_text(), s.get_text(), s.get_text(), s.get_text(), s.get_text()};
}

std::string select(const char* cols, const char* table, const char* rest) {
  return std::string("SELECT ") + cols + " FROM " + table + " " + rest;
}

// ---- audit chain ----------------------------------------------------------------------------

std::string sha256_hex(const std::string& bytes) {
  static const int ready = sodium_init();
  if (ready < 0) throw Error("libsodium could not be initialised");
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string head_path(const std::string& data_dir) { return data_dir + "/audit.head"; }


struct Head {
  enum State { kMissing, kMalformed, kPresent } state = kMissing;
  int64_t seq = 0;
  std::string hash;
};

Head read_head(const std::string& data_dir) {
  const std::string path = head_path(data_dir);
  Head h;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return h;
  h.state = Head::kMalformed;
  try {
    const nlohmann::json j = nlohmann::json::parse(read_file(path, 4096));
    h.seq = j.at("seq").get<int64_t>();
    h.hash = j.at("hash").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return h;
  }
  if (h.seq >= 1 && h.hash.size() == kZeroHash.size()) h.state = Head::kPresent;
  return h;
}

// Server processes sharing the data folder (and one database) commit entries in seq order but
// may reach this point in another: under the lock file, a head already at or past `e` stays.
void write_head(const std::string& data_dir, const AuditEntry& e) {
  const std::string lock_path = data_dir + "/audit.head.lock";
  struct Fd {
    int fd;
    ~Fd() {
      if (fd >= 0) ::close(fd);  // releases the lock
    }
  } lock{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
  if (lock.fd < 0) throw IoError(lock_path + ": " + std::strerror(errno));
  while (::flock(lock.fd, LOCK_EX) != 0)
    if (errno != EINTR) throw IoError(lock_path + ": " + std::strerror(errno));
  const Head current = read_head(data_dir);
  if (current.state == Head::kPresent && current.seq >= e.seq) return;
  nlohmann::ordered_json head;
  head["seq"] = e.seq;
  head["hash"] = e.hash;
  write_file_atomic(head_path(data_dir), head.dump() + "\n");
}

// Reads the head file before the entries: the server commits an entry before it rewrites the
// head, so a snapshot taken after the head can only be ahead of it (accepted), never behind
// (which would look like removed entries).
AuditVerdict verify_chain(db::Connection& db, const std::string& data_dir) {
  const Head head = read_head(data_dir);
  AuditVerdict v;
  auto bad = [&v](int64_t seq, const std::string& message) {
    v.ok = false;
    v.first_bad = seq;
    v.message = message;
    return v;
  };
  auto entry = [](int64_t seq) { return "entry " + std::to_string(seq); };

  Tx tx(db, kRead);
  Stmt s(db, select(kAuditCols, "audit", "ORDER BY seq"));
  std::string prev = kZeroHash;
  std::string hash_at_head;
  int64_t last = 0;
  while (s.step()) {
    const AuditEntry e = read_audit(s);
    ++v.entries;
    const int64_t expected = last + 1;
    // A gap, or (in a table rebuilt without its CHECK) a seq below 1.
    if (e.seq != expected) return bad(expected, entry(expected) + " is missing");
    std::string canonical;
    try {
      canonical = audit_canonical(e);
    } catch (const InvalidInput&) {
      return bad(e.seq, entry(e.seq) + ": text is not valid UTF-8");
    }
    if (sha256_hex(canonical) != e.hash) return bad(e.seq, entry(e.seq) + ": hash does not match its contents");
    if (e.prev_hash != prev)
      return bad(e.seq, entry(e.seq) + ": does not follow " + (e.seq == 1 ? "the start" : entry(e.seq - 1)) +
                            " (an entry was removed, replaced or reordered)");
    if (e.seq == head.seq) hash_at_head = e.hash;
    prev = e.hash;
    last = e.seq;
  }

  switch (head.state) {
    case Head::kMissing:
      return last == 0 ? v : bad(0, "audit.head is missing");
    case Head::kMalformed:
      return bad(0, "audit.head is malformed");
    case Head::kPresent:
      break;
  }
  if (last < head.seq) {
    const int64_t removed = head.seq - last;
    return bad(last + 1, (removed == 1 ? std::string("the last entry was removed")
                                       : "the last " + std::to_string(removed) + " entries were removed") +
                             " (audit.head records " + entry(head.seq) + ")");
  }
  if (hash_at_head != head.hash) return bad(head.seq, entry(head.seq) + ": hash differs from audit.head");
  return v;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const int64_t millis = ((ms % 1000) + 1000) % 1000;
  const time_t secs = static_cast<time_t>((ms - millis) / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buf;
}

// Opens the database a Store or verify_audit_dir names: SQLite in data_dir, or PostgreSQL.
std::unique_ptr<db::Connection> open_database(const std::string& data_dir, const std::string& database,
                                              bool read_only) {
  if (!database.empty()) return db::open_postgres(database);
  return db::open_sqlite(data_dir + "/medgen.db", read_only);
}

}  // namespace

// ---- free functions -------------------------------------------------------------------------

const char* role_name(Role r) {
  switch (r) {
    case Role::kSteward: return "steward";
    case Role::kAnalyst: return "analyst";
    case Role::kEducator: return "educator";
    case Role::kTrainee: return "trainee";
  }
  return "?";
}

std::optional<Role> parse_role(const std::string& s) {
  for (Role r : {Role::kSteward, Role::kAnalyst, Role::kEducator, Role::kTrainee})
    if (s == role_name(r)) return r;
  return std::nullopt;
}

std::string utc_now() { return format_utc(std::chrono::system_clock::now()); }

std::string utc_after(int64_t seconds) {
  // The clock counts nanoseconds (it overflows ~292 years out) and past year 9999 the text
  // would no longer sort as time does; no expiry needs more than this.
  constexpr int64_t kMax = int64_t{200} * 365 * 24 * 3600;
  if (seconds > kMax || seconds < -kMax) throw InvalidInput("time out of range: " + std::to_string(seconds) + " s");
  return format_utc(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

std::string audit_canonical(const AuditEntry& e) {
  const nlohmann::json a = nlohmann::json::array(
      {e.seq, e.time, e.actor, e.action, e.project_id, e.object, e.outcome, e.detail, e.prev_hash});
  try {
    return a.dump();
  } catch (const nlohmann::json::type_error&) {
    throw InvalidInput("audit entry " + std::to_string(e.seq) + ": text is not valid UTF-8");
  }
}

AuditVerdict verify_audit_dir(const std::string& data_dir, const std::string& database) {
  const std::unique_ptr<db::Connection> db = open_database(data_dir, database, true);
  const int version = [&] {
    Tx tx(*db, kRead);
    return db->schema_version();
  }();
  refuse_newer(*db, version);
  if (version == 0) throw IoError(db->name() + ": not a medgen database (no schema)");
  return verify_chain(*db, data_dir);
}

// ---- Store ----------------------------------------------------------------------------------

Store::Store(const std::string& data_dir, const std::string& database) : data_dir_(data_dir) {
  struct stat st;
  if (::stat(data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw IoError("data directory '" + data_dir + "' does not exist or is not a directory");
  db_ = open_database(data_dir, database, false);
  schema_version_ = migrate(*db_);
}

Store::~Store() = default;

int Store::schema_version() const { return schema_version_; }

bool Store::single_process() const { return db_->dialect() == db::Dialect::kSqlite; }

int Store::latest_schema_version() { return kLatestSchema; }

// ---- projects

int64_t Store::create_project(const std::string& name) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require_unique_name(*db_, "SELECT 1 FROM projects WHERE name = ?", name, "project");
    return Stmt(*db_, "INSERT INTO projects (name, created_at) VALUES (?, ?) RETURNING id")
        .bind_text(name).bind_text(utc_now()).insert();
  });
}

std::optional<Project> Store::project(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kProjectCols, "projects", "WHERE id = ?")).bind_int(id), read_project);
  });
}

std::optional<Project> Store::project_by_name(const std::string& name) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kProjectCols, "projects", "WHERE name = ?")).bind_text(name), read_project);
  });
}

std::vector<Project> Store::projects() {
  return in_tx(mu_, *db_, kRead,
               [&] { return fetch_all(Stmt(*db_, select(kProjectCols, "projects", "ORDER BY id")), read_project); });
}

// ---- users

int64_t Store::create_user(const std::string& name, const std::string& password_hash, bool admin) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require_unique_name(*db_, "SELECT 1 FROM users WHERE name = ?", name, "user");
    return Stmt(*db_, "INSERT INTO users (name, password_hash, admin, created_at) VALUES (?, ?, ?, ?) RETURNING id")
        .bind_text(name).bind_text(password_hash).bind_int(admin).bind_text(utc_now()).insert();
  });
}

std::optional<User> Store::user(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kUserCols, "users", "WHERE id = ?")).bind_int(id), read_user);
  });
}

std::optional<User> Store::user_by_name(const std::string& name) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kUserCols, "users", "WHERE name = ?")).bind_text(name), read_user);
  });
}

std::vector<User> Store::users() {
  return in_tx(mu_, *db_, kRead,
               [&] { return fetch_all(Stmt(*db_, select(kUserCols, "users", "ORDER BY id")), read_user); });
}

void Store::set_password_hash(int64_t user_id, const std::string& password_hash) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE users SET password_hash = ? WHERE id = ?").bind_text(password_hash).bind_int(user_id).run();
    require_changed(*db_, kUserRef, user_id);
  });
}

void Store::set_disabled(int64_t user_id, bool disabled) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE users SET disabled = ? WHERE id = ?").bind_int(disabled).bind_int(user_id).run();
    require_changed(*db_, kUserRef, user_id);
  });
}

int64_t Store::count_users() {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, "SELECT count(*) FROM users");
    s.step();
    return s.get_int();
  });
}

// ---- roles

void Store::set_role(int64_t user_id, int64_t project_id, Role role) {
  in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kUserRef, user_id);
    require(*db_, kProjectRef, project_id);
    Stmt(*db_,
         "INSERT INTO memberships (user_id, project_id, role) VALUES (?, ?, ?) "
         "ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role")
        .bind_int(user_id).bind_int(project_id).bind_text(role_name(role)).run();
  });
}

void Store::remove_role(int64_t user_id, int64_t project_id) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "DELETE FROM memberships WHERE user_id = ? AND project_id = ?")
        .bind_int(user_id).bind_int(project_id).run();
  });
}

std::optional<Role> Store::role(int64_t user_id, int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, "SELECT role FROM memberships WHERE user_id = ? AND project_id = ?");
    return fetch_one(s.bind_int(user_id).bind_int(project_id), role_from_db);
  });
}

std::vector<Membership> Store::memberships(int64_t user_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kMembershipCols, "memberships", "WHERE user_id = ? ORDER BY project_id"));
    return fetch_all(s.bind_int(user_id), read_membership);
  });
}

std::vector<Membership> Store::project_members(int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kMembershipCols, "memberships", "WHERE project_id = ? ORDER BY user_id"));
    return fetch_all(s.bind_int(project_id), read_membership);
  });
}

// ---- tokens

int64_t Store::create_token(int64_t user_id, const std::string& digest, const std::string& name,
                            const std::string& expires_at) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kUserRef, user_id);
    return Stmt(*db_,
                "INSERT INTO tokens (user_id, digest, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?) "
                "RETURNING id")
        .bind_int(user_id).bind_text(digest).bind_text(name).bind_text(utc_now()).bind_text(expires_at).insert();
  });
}

std::optional<Token> Store::token_by_digest(const std::string& digest) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kTokenCols, "tokens", "WHERE digest = ?")).bind_text(digest), read_token);
  });
}

std::vector<Token> Store::tokens(int64_t user_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_all(Stmt(*db_, select(kTokenCols, "tokens", "WHERE user_id = ? ORDER BY id")).bind_int(user_id),
                     read_token);
  });
}

void Store::revoke_token(int64_t token_id, const std::string& at) {
  in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kTokenRef, token_id);
    // A second revocation keeps the first time: that is when the token stopped working.
    Stmt(*db_, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = ''")
        .bind_text(at).bind_int(token_id).run();
  });
}

// ---- datasets and models

int64_t Store::create_dataset(const Dataset& d) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kProjectRef, d.project_id);
    require_one_of(d.kind, {"real", "synthetic"}, "dataset kind");
    require_optional(*db_, kModelRef, d.source_model_id, d.project_id);
    require_optional(*db_, kUserRef, d.created_by);
    return Stmt(*db_,
         "INSERT INTO datasets (project_id, name, kind, file, encrypted, row_count, column_count, schema_json, "
         "source_model_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
        .bind_int(d.project_id).bind_text(d.name).bind_text(d.kind).bind_text(d.file).bind_int(d.encrypted)
        .bind_int(d.rows).bind_int(d.columns).bind_text(d.schema_json).bind_ref(d.source_model_id)
        .bind_ref(d.created_by).bind_text(utc_now()).insert();
  });
}

void Store::set_dataset_file(int64_t id, const std::string& file, bool encrypted) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE datasets SET file = ?, encrypted = ? WHERE id = ?")
        .bind_text(file).bind_int(encrypted).bind_int(id).run();
    require_changed(*db_, kDatasetRef, id);
  });
}

void Store::set_dataset_schema(int64_t id, const std::string& schema_json) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE datasets SET schema_json = ? WHERE id = ?").bind_text(schema_json).bind_int(id).run();
    require_changed(*db_, kDatasetRef, id);
  });
}

std::optional<Dataset> Store::dataset(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kDatasetCols, "datasets", "WHERE id = ?")).bind_int(id), read_dataset);
  });
}

std::vector<Dataset> Store::datasets(int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kDatasetCols, "datasets", "WHERE project_id = ? ORDER BY id"));
    return fetch_all(s.bind_int(project_id), read_dataset);
  });
}

std::vector<Dataset> Store::all_datasets() {
  return in_tx(mu_, *db_, kRead,
               [&] { return fetch_all(Stmt(*db_, select(kDatasetCols, "datasets", "ORDER BY id")), read_dataset); });
}

// Its release requests go with it (ON DELETE CASCADE); models fitted on it stay, without it.
void Store::delete_dataset(int64_t id) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "DELETE FROM datasets WHERE id = ?").bind_int(id).run();
    require_changed(*db_, kDatasetRef, id);
  });
}

int64_t Store::create_model(const Model& m) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kProjectRef, m.project_id);
    require_optional(*db_, kDatasetRef, m.dataset_id, m.project_id);
    require_optional(*db_, kJobRef, m.job_id, m.project_id);
    require_optional(*db_, kUserRef, m.created_by);
    return Stmt(*db_,
         "INSERT INTO models (project_id, dataset_id, synthesizer, file, encrypted, job_id, created_by, created_at) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
        .bind_int(m.project_id).bind_ref(m.dataset_id).bind_text(m.synthesizer).bind_text(m.file)
        .bind_int(m.encrypted).bind_ref(m.job_id).bind_ref(m.created_by).bind_text(utc_now()).insert();
  });
}

std::optional<Model> Store::model(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kModelCols, "models", "WHERE id = ?")).bind_int(id), read_model);
  });
}

std::vector<Model> Store::models(int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kModelCols, "models", "WHERE project_id = ? ORDER BY id"));
    return fetch_all(s.bind_int(project_id), read_model);
  });
}

std::vector<Model> Store::all_models() {
  return in_tx(mu_, *db_, kRead,
               [&] { return fetch_all(Stmt(*db_, select(kModelCols, "models", "ORDER BY id")), read_model); });
}

// ---- jobs

int64_t Store::create_job(const Job& j) {
  if (j.kind.empty()) throw InvalidInput("job kind is empty");
  return in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kProjectRef, j.project_id);
    require_optional(*db_, kUserRef, j.created_by);
    const std::string now = utc_now();
    return Stmt(*db_,
         "INSERT INTO jobs (project_id, kind, state, params_json, created_by, created_at, updated_at) "
         "VALUES (?, ?, 'queued', ?, ?, ?, ?) RETURNING id")
        .bind_int(j.project_id).bind_text(j.kind).bind_text(j.params_json).bind_ref(j.created_by)
        .bind_text(now).bind_text(now).insert();
  });
}

std::optional<Job> Store::job(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kJobCols, "jobs", "WHERE id = ?")).bind_int(id), read_job);
  });
}

std::vector<Job> Store::jobs(int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_all(Stmt(*db_, select(kJobCols, "jobs", "WHERE project_id = ? ORDER BY id")).bind_int(project_id),
                     read_job);
  });
}

std::vector<Job> Store::jobs_in_state(const std::string& state) {
  require_one_of(state, kJobStates, "job state");
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_all(Stmt(*db_, select(kJobCols, "jobs", "WHERE state = ? ORDER BY id")).bind_text(state), read_job);
  });
}

void Store::set_job_state(int64_t id, const std::string& state, const std::string& message) {
  require_one_of(state, kJobStates, "job state");
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE jobs SET state = ?, message = ?, updated_at = ? WHERE id = ?")
        .bind_text(state).bind_text(message).bind_text(utc_now()).bind_int(id).run();
    require_changed(*db_, kJobRef, id);
  });
}

// Only a queued job starts: two runners cannot both take it, and a job cancelled while it
// waited stays cancelled.
void Store::start_job(int64_t id, const std::string& runner) {
  in_tx(mu_, *db_, kWrite, [&] {
    const std::string now = utc_now();
    Stmt(*db_,
         "UPDATE jobs SET state = 'running', attempts = attempts + 1, runner = ?, heartbeat_at = ?, updated_at = ? "
         "WHERE id = ? AND state = 'queued'")
        .bind_text(runner).bind_text(now).bind_text(now).bind_int(id).run();
    if (db_->changes() == 1) return;
    Stmt s(*db_, "SELECT state FROM jobs WHERE id = ?");
    if (!s.bind_int(id).step()) throw InvalidInput("no job " + std::to_string(id));
    throw InvalidInput("job " + std::to_string(id) + " is " + s.get_text() + ", not queued");
  });
}

void Store::heartbeat_jobs(const std::string& runner) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE jobs SET heartbeat_at = ? WHERE state = 'running' AND runner = ?").bind_text(utc_now()).bind_text(runner).run();
  });
}

std::vector<int64_t> Store::requeue_abandoned_jobs(const std::string& runner, int64_t lease_s, bool all_running,
                                                   bool include_runner) {
  return in_tx(mu_, *db_, kWrite, [&] {
    // heartbeat_at is UTC text in one fixed format, so it sorts as time does ('' before all).
    const std::string cutoff = utc_after(-lease_s);
    Stmt s(*db_, "SELECT id, runner, heartbeat_at FROM jobs WHERE state = 'running' ORDER BY id");
    std::vector<int64_t> ids;
    while (s.step()) {
      const int64_t id = s.get_int();
      const std::string owner = s.get_text(), beat = s.get_text();
      if (all_running || (owner == runner ? include_runner : beat < cutoff)) ids.push_back(id);
    }
    const std::string now = utc_now();
    for (int64_t id : ids)
      Stmt(*db_,
           "UPDATE jobs SET state = 'queued', runner = '', message = 'requeued: the server running it stopped', "
           "updated_at = ? WHERE id = ? AND state = 'running'")
          .bind_text(now).bind_int(id).run();
    return ids;
  });
}

bool Store::finish_job(int64_t id, const std::string& runner, int attempt, const std::string& state,
                       const std::string& message, const std::string* result_json) {
  require_one_of(state, kJobStates, "job state");
  return in_tx(mu_, *db_, kWrite, [&] {
    const std::string now = utc_now();
    Stmt s(*db_,
           "UPDATE jobs SET state = ?, message = ?, result_json = CASE WHEN ? = 1 THEN ? ELSE result_json END, "
           "progress = CASE WHEN ? = 'succeeded' THEN 1.0 ELSE progress END, updated_at = ? "
           "WHERE id = ? AND state = 'running' AND runner = ? AND attempts = ?");
    s.bind_text(state).bind_text(message).bind_int(result_json ? 1 : 0).bind_text(result_json ? *result_json : "")
        .bind_text(state).bind_text(now).bind_int(id).bind_text(runner).bind_int(attempt).run();
    return db_->changes() == 1;
  });
}

void Store::set_job_progress(int64_t id, double progress, const std::string& message) {
  // A progress report never fails a job: rounding past 1 or a NaN from a callback is clamped.
  const double p = std::isnan(progress) ? 0.0 : std::clamp(progress, 0.0, 1.0);
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE jobs SET progress = ?, message = ?, updated_at = ? WHERE id = ?")
        .bind_real(p).bind_text(message).bind_text(utc_now()).bind_int(id).run();
    require_changed(*db_, kJobRef, id);
  });
}

void Store::set_job_result(int64_t id, const std::string& result_json) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE jobs SET result_json = ?, updated_at = ? WHERE id = ?")
        .bind_text(result_json).bind_text(utc_now()).bind_int(id).run();
    require_changed(*db_, kJobRef, id);
  });
}

void Store::set_job_checkpoint(int64_t id, const std::string& checkpoint) {
  in_tx(mu_, *db_, kWrite, [&] {
    Stmt(*db_, "UPDATE jobs SET checkpoint = ?, updated_at = ? WHERE id = ?")
        .bind_text(checkpoint).bind_text(utc_now()).bind_int(id).run();
    require_changed(*db_, kJobRef, id);
  });
}

// ---- releases

int64_t Store::create_release(const Release& r) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kProjectRef, r.project_id);
    require(*db_, kDatasetRef, r.dataset_id, r.project_id);
    require_optional(*db_, kUserRef, r.requested_by);
    // Real patient data never leaves through a release, whatever the caller checked.
    Stmt kind(*db_, "SELECT kind FROM datasets WHERE id = ?");
    kind.bind_int(r.dataset_id).step();
    if (kind.get_text() != "synthetic")
      throw InvalidInput("dataset " + std::to_string(r.dataset_id) + " is not synthetic and cannot be released");
    return Stmt(*db_,
         "INSERT INTO releases (project_id, dataset_id, state, gate_passed, gate_json, requested_by, created_at) "
         "VALUES (?, ?, 'requested', ?, ?, ?, ?) RETURNING id")
        .bind_int(r.project_id).bind_int(r.dataset_id).bind_int(r.gate_passed).bind_text(r.gate_json)
        .bind_ref(r.requested_by).bind_text(utc_now()).insert();
  });
}

std::optional<Release> Store::release(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kReleaseCols, "releases", "WHERE id = ?")).bind_int(id), read_release);
  });
}

std::vector<Release> Store::releases(int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kReleaseCols, "releases", "WHERE project_id = ? ORDER BY id"));
    return fetch_all(s.bind_int(project_id), read_release);
  });
}

void Store::decide_release(int64_t id, bool approve, int64_t by) {
  in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kReleaseRef, id);
    require(*db_, kUserRef, by);
    Stmt(*db_, "UPDATE releases SET state = ?, decided_by = ?, decided_at = ? WHERE id = ? AND state = 'requested'")
        .bind_text(approve ? "approved" : "rejected").bind_int(by).bind_text(utc_now()).bind_int(id).run();
    if (db_->changes() == 0) throw InvalidInput("release " + std::to_string(id) + " was already decided");
  });
}

// ---- images

int64_t Store::create_image(const Image& im) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kProjectRef, im.project_id);
    require_one_of(im.kind, {"volume", "model", "result"}, "image kind");
    if (im.kind == "result" && im.source_job == 0) throw InvalidInput("a result image needs its source job");
    require_optional(*db_, kJobRef, im.source_job, im.project_id);
    require_optional(*db_, kUserRef, im.created_by);
    return Stmt(*db_,
         "INSERT INTO images (project_id, name, kind, file, encrypted, created_by, created_at, source_job) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
        .bind_int(im.project_id).bind_text(im.name).bind_text(im.kind).bind_text(im.file).bind_int(im.encrypted)
        .bind_ref(im.created_by).bind_text(utc_now()).bind_ref(im.source_job).insert();
  });
}

std::optional<Image> Store::image(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kImageCols, "images", "WHERE id = ?")).bind_int(id), read_image);
  });
}

std::vector<Image> Store::images(int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kImageCols, "images", "WHERE project_id = ? ORDER BY id"));
    return fetch_all(s.bind_int(project_id), read_image);
  });
}

// ---- simulator sessions

int64_t Store::create_sim_session(const SimSessionRow& s) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kProjectRef, s.project_id);
    require(*db_, kUserRef, s.user_id);
    return Stmt(*db_,
         "INSERT INTO sim_sessions (project_id, user_id, case_json, state, created_at) "
         "VALUES (?, ?, ?, 'live', ?) RETURNING id")
        .bind_int(s.project_id).bind_int(s.user_id).bind_text(s.case_json).bind_text(utc_now()).insert();
  });
}

std::optional<SimSessionRow> Store::sim_session(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kSimCols, "sim_sessions", "WHERE id = ?")).bind_int(id), read_sim);
  });
}

std::vector<SimSessionRow> Store::sim_sessions(int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kSimCols, "sim_sessions", "WHERE project_id = ? ORDER BY id"));
    return fetch_all(s.bind_int(project_id), read_sim);
  });
}

void Store::end_sim_session(int64_t id, const std::string& result_json) {
  in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kSimRef, id);
    Stmt(*db_, "UPDATE sim_sessions SET state = 'ended', result_json = ?, ended_at = ? WHERE id = ? AND state = 'live'")
        .bind_text(result_json).bind_text(utc_now()).bind_int(id).run();
    if (db_->changes() == 0) throw InvalidInput("simulator session " + std::to_string(id) + " has already ended");
  });
}

// ---- assignments

int64_t Store::create_assignment(const Assignment& a) {
  return in_tx(mu_, *db_, kWrite, [&] {
    require(*db_, kProjectRef, a.project_id);
    require(*db_, kUserRef, a.trainee_id);
    require_optional(*db_, kUserRef, a.assigned_by);
    return Stmt(*db_,
         "INSERT INTO assignments (project_id, trainee_id, assigned_by, case_json, created_at) "
         "VALUES (?, ?, ?, ?, ?) RETURNING id")
        .bind_int(a.project_id).bind_int(a.trainee_id).bind_ref(a.assigned_by).bind_text(a.case_json)
        .bind_text(utc_now()).insert();
  });
}

std::optional<Assignment> Store::assignment(int64_t id) {
  return in_tx(mu_, *db_, kRead, [&] {
    return fetch_one(Stmt(*db_, select(kAssignmentCols, "assignments", "WHERE id = ?")).bind_int(id), read_assignment);
  });
}

std::vector<Assignment> Store::assignments(int64_t project_id) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kAssignmentCols, "assignments", "WHERE project_id = ? ORDER BY id"));
    return fetch_all(s.bind_int(project_id), read_assignment);
  });
}

void Store::start_assignment(int64_t id, int64_t session_id) {
  in_tx(mu_, *db_, kWrite, [&] {
    const std::optional<Assignment> a =
        fetch_one(Stmt(*db_, select(kAssignmentCols, "assignments", "WHERE id = ?")).bind_int(id), read_assignment);
    if (!a) throw InvalidInput("no " + name_of(kAssignmentRef, id));
    require(*db_, kSimRef, session_id, a->project_id);
    Stmt owner(*db_, "SELECT user_id FROM sim_sessions WHERE id = ?");
    owner.bind_int(session_id);
    if (!owner.step() || owner.get_int() != a->trainee_id)
      throw InvalidInput(name_of(kSimRef, session_id) + " is not the assigned trainee's");
    Stmt(*db_, "UPDATE assignments SET session_id = ? WHERE id = ? AND session_id IS NULL")
        .bind_int(session_id).bind_int(id).run();
    if (db_->changes() == 0) throw InvalidInput(name_of(kAssignmentRef, id) + " has already been started");
  });
}

// ---- audit

AuditEntry Store::append_audit(AuditEntry e) {
  if (e.actor.empty() || e.action.empty()) throw InvalidInput("audit entry without an actor or an action");
  require_one_of(e.outcome, {"ok", "denied", "failed"}, "audit outcome");
  // The head is written under the lock too, so that heads are written in seq order.
  std::lock_guard<std::mutex> lock(mu_);
  Tx tx(*db_, kWrite);
  // Other server processes append to the same chain (PostgreSQL): one at a time.
  db_->lock_exclusive("audit");
  Stmt last(*db_, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  e.seq = 1;
  e.prev_hash = kZeroHash;
  if (last.step()) {
    e.seq = last.get_int() + 1;
    e.prev_hash = last.get_text();
  }
  e.time = utc_now();
  e.hash = sha256_hex(audit_canonical(e));
  Stmt(*db_, "INSERT INTO audit (" + std::string(kAuditCols) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_int(e.seq).bind_text(e.time).bind_text(e.actor).bind_text(e.action).bind_int(e.project_id)
      .bind_text(e.object).bind_text(e.outcome).bind_text(e.detail).bind_text(e.prev_hash).bind_text(e.hash).run();
  tx.commit();
  // If this write fails the entry is stored and the head lags behind it, which verify_audit
  // accepts as long as the newer entries chain on; the caller still hears of the failure.
  write_head(data_dir_, e);
  return e;
}

std::vector<AuditEntry> Store::audit(int64_t after_seq, int64_t limit) {
  return in_tx(mu_, *db_, kRead, [&] {
    Stmt s(*db_, select(kAuditCols, "audit", "WHERE seq > ? ORDER BY seq LIMIT ?"));
    return fetch_all(s.bind_int(after_seq).bind_int(limit), read_audit);
  });
}

AuditVerdict Store::verify_audit() {
  std::lock_guard<std::mutex> lock(mu_);
  return verify_chain(*db_, data_dir_);
}

}  // namespace medgen::server
