#include "medgen/server/store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "store_backend.h"

using medgen::InvalidInput;
using medgen::IoError;
using namespace medgen::server;
using medgen::test::Backend;
using medgen::test::TempDir;
using medgen::test::TestDatabase;

namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Every test runs on SQLite and on PostgreSQL.
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    db_ = TestDatabase::make(GetParam(), dir_.path(), true);
    store_ = std::make_unique<Store>(dir_.path(), db_.database);
  }
  Store& store() { return *store_; }
  void reopen() {
    store_.reset();
    store_ = std::make_unique<Store>(dir_.path(), db_.database);
  }
  bool sqlite() const { return GetParam() == Backend::kSqlite; }

  // A project with a user who made things in it.
  struct Fixture {
    int64_t project, user;
  };
  Fixture fixture() { return {store().create_project("ward"), store().create_user("ann", "", false)}; }

  int64_t dataset(int64_t project, const std::string& kind, int64_t source_model = 0) {
    Dataset d;
    d.project_id = project;
    d.name = kind + ".csv";
    d.kind = kind;
    d.source_model_id = source_model;
    return store().create_dataset(d);
  }

  TempDir dir_;
  TestDatabase db_;
  std::unique_ptr<Store> store_;
};
INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         medgen::test::backend_name);

TEST_P(StoreTest, MigrationsCreateTheLatestSchema) {
  // From an empty database (the fixture's PostgreSQL one starts migrated).
  store_.reset();
  db_ = TestDatabase::make(GetParam(), dir_.path());
  reopen();
  EXPECT_GE(Store::latest_schema_version(), 1);
  EXPECT_EQ(store().schema_version(), Store::latest_schema_version());
  EXPECT_EQ(db_.schema_version(), std::to_string(Store::latest_schema_version()));
  if (sqlite()) {
    EXPECT_EQ(db_.value("PRAGMA journal_mode"), "wal");
  }
  for (const char* table : {"projects", "users", "memberships", "tokens", "datasets", "models", "jobs", "releases",
                            "sim_sessions", "audit", "images", "assignments"}) {
    const std::string t = table;
    EXPECT_EQ(db_.value(sqlite() ? "SELECT count(*) FROM sqlite_master WHERE name = '" + t + "'"
                                 : "SELECT count(*) FROM information_schema.tables WHERE table_name = '" + t + "'"),
              "1")
        << table;
  }
  // The CHECK constraints hold against writers other than the Store.
  const int64_t p = store().create_project("p");
  EXPECT_FALSE(db_.sql("INSERT INTO jobs (project_id, kind, state, params_json, created_at, updated_at) "
                       "VALUES (" + std::to_string(p) + ", 'fit', 'bogus', '{}', '', '')"));
  const std::string member = std::to_string(store().create_user("u", "", false)) + ", " + std::to_string(p);
  EXPECT_FALSE(db_.sql("INSERT INTO memberships VALUES (" + member + ", 'king')"));
  EXPECT_TRUE(db_.sql("INSERT INTO memberships VALUES (" + member + ", 'trainee')"));
}

TEST_P(StoreTest, ReopeningKeepsDataAndDoesNotMigrateAgain) {
  const auto f = fixture();
  store().set_role(f.user, f.project, Role::kAnalyst);
  reopen();
  EXPECT_EQ(store().schema_version(), Store::latest_schema_version());
  ASSERT_TRUE(store().project_by_name("ward"));
  EXPECT_EQ(store().project_by_name("ward")->id, f.project);
  EXPECT_EQ(store().user(f.user)->name, "ann");
  EXPECT_EQ(store().role(f.user, f.project), Role::kAnalyst);
}

TEST_P(StoreTest, NewerSchemaIsRefused) {
  store_.reset();
  const int newer = Store::latest_schema_version() + 1;
  ASSERT_TRUE(db_.set_schema_version(newer));
  const std::string msg = error_of([&] { Store s(dir_.path(), db_.database); });
  EXPECT_NE(msg.find("written by a newer medgen (schema " + std::to_string(newer)), std::string::npos) << msg;
  EXPECT_NE(msg.find(sqlite() ? "medgen.db" : "PostgreSQL medgen@"), std::string::npos) << msg;
  EXPECT_THROW(Store s(dir_.path(), db_.database), IoError);
  EXPECT_THROW(verify_audit_dir(dir_.path(), db_.database), IoError);
}

TEST_P(StoreTest, ProcessesOpeningAFreshDatabaseAtOnceMigrateItOnce) {
  store_.reset();
  TempDir other;
  const TestDatabase fresh = TestDatabase::make(GetParam(), other.path());
  std::vector<std::thread> threads;
  std::vector<std::string> errors(4);
  for (size_t t = 0; t < errors.size(); ++t)
    threads.emplace_back([&, t] { errors[t] = error_of([&] { Store s(other.path(), fresh.database); }); });
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(fresh.schema_version(), std::to_string(Store::latest_schema_version()));
}

TEST(StoreOpen, BadDataDirectoryIsIoError) {
  EXPECT_THROW(Store s("/nonexistent/medgen-data"), IoError);
  TempDir dir;
  medgen::write_file_atomic(dir.path() + "/medgen.db", "this is not a database, it only has the name of one\n");
  EXPECT_THROW(Store s(dir.path()), IoError);
}

TEST_P(StoreTest, Projects) {
  const int64_t a = store().create_project("cardiology");
  const int64_t b = store().create_project("oncology");
  EXPECT_NE(a, b);
  const auto p = store().project(a);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "cardiology");
  EXPECT_EQ(p->created_at.size(), 24u);
  EXPECT_EQ(store().project_by_name("oncology")->id, b);
  EXPECT_FALSE(store().project(999));
  EXPECT_FALSE(store().project_by_name("nope"));
  ASSERT_EQ(store().projects().size(), 2u);
  EXPECT_EQ(store().projects()[1].name, "oncology");
  EXPECT_EQ(error_of([&] { store().create_project("oncology"); }), "project 'oncology' already exists");
  EXPECT_THROW(store().create_project(""), InvalidInput);
  // A name with SQL in it is only a name.
  const int64_t c = store().create_project("x'); DROP TABLE projects; --");
  EXPECT_EQ(store().project(c)->name, "x'); DROP TABLE projects; --");
  EXPECT_EQ(store().projects().size(), 3u);
}

TEST_P(StoreTest, Users) {
  EXPECT_EQ(store().count_users(), 0);
  const int64_t bob = store().create_user("bob", "$argon2id$x", true);
  const int64_t eve = store().create_user("eve", "", false);
  EXPECT_EQ(store().count_users(), 2);
  auto u = store().user(bob);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->name, "bob");
  EXPECT_EQ(u->password_hash, "$argon2id$x");
  EXPECT_TRUE(u->admin);
  EXPECT_FALSE(u->disabled);
  EXPECT_FALSE(store().user_by_name("eve")->admin);
  EXPECT_EQ(store().user_by_name("eve")->id, eve);
  EXPECT_FALSE(store().user_by_name("mallory"));

  EXPECT_EQ(error_of([&] { store().create_user("bob", "", false); }), "user 'bob' already exists");
  EXPECT_THROW(store().create_user("bob", "", false), InvalidInput);
  EXPECT_THROW(store().create_user("", "", false), InvalidInput);
  EXPECT_EQ(store().count_users(), 2);

  store().set_password_hash(eve, "$argon2id$y");
  store().set_disabled(eve, true);
  u = store().user(eve);
  EXPECT_EQ(u->password_hash, "$argon2id$y");
  EXPECT_TRUE(u->disabled);
  store().set_disabled(eve, false);
  EXPECT_FALSE(store().user(eve)->disabled);
  EXPECT_THROW(store().set_disabled(999, true), InvalidInput);
  EXPECT_THROW(store().set_password_hash(999, "h"), InvalidInput);
  ASSERT_EQ(store().users().size(), 2u);
  EXPECT_EQ(store().users()[0].name, "bob");
}

TEST_P(StoreTest, Roles) {
  for (Role r : {Role::kSteward, Role::kAnalyst, Role::kEducator, Role::kTrainee})
    EXPECT_EQ(parse_role(role_name(r)), r);
  EXPECT_FALSE(parse_role("admin"));
  EXPECT_FALSE(parse_role("Steward"));

  const auto f = fixture();
  const int64_t other = store().create_project("icu");
  EXPECT_FALSE(store().role(f.user, f.project));
  store().set_role(f.user, f.project, Role::kTrainee);
  store().set_role(f.user, f.project, Role::kSteward);  // replaces
  store().set_role(f.user, other, Role::kEducator);
  EXPECT_EQ(store().role(f.user, f.project), Role::kSteward);
  const auto ms = store().memberships(f.user);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].project_id, f.project);
  EXPECT_EQ(ms[0].role, Role::kSteward);
  EXPECT_EQ(ms[1].role, Role::kEducator);
  ASSERT_EQ(store().project_members(other).size(), 1u);
  EXPECT_EQ(store().project_members(other)[0].user_id, f.user);

  store().remove_role(f.user, other);
  EXPECT_FALSE(store().role(f.user, other));
  EXPECT_TRUE(store().project_members(other).empty());
  store().remove_role(f.user, other);  // nothing to remove

  EXPECT_EQ(error_of([&] { store().set_role(f.user, 999, Role::kAnalyst); }), "no project 999");
  EXPECT_THROW(store().set_role(999, f.project, Role::kAnalyst), InvalidInput);
  EXPECT_EQ(store().memberships(f.user).size(), 1u);
}

TEST_P(StoreTest, Tokens) {
  const auto f = fixture();
  const std::string expires = utc_after(3600);
  const int64_t t = store().create_token(f.user, "digest-1", "login", expires);
  store().create_token(f.user, "digest-2", "ci", expires);
  auto tok = store().token_by_digest("digest-1");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->id, t);
  EXPECT_EQ(tok->user_id, f.user);
  EXPECT_EQ(tok->name, "login");
  EXPECT_EQ(tok->expires_at, expires);
  EXPECT_EQ(tok->revoked_at, "");
  EXPECT_FALSE(store().token_by_digest("digest-3"));
  EXPECT_EQ(store().tokens(f.user).size(), 2u);

  store().revoke_token(t, "2030-01-01T00:00:00.000Z");
  store().revoke_token(t, "2031-01-01T00:00:00.000Z");  // the first revocation stands
  EXPECT_EQ(store().token_by_digest("digest-1")->revoked_at, "2030-01-01T00:00:00.000Z");
  EXPECT_EQ(store().token_by_digest("digest-2")->revoked_at, "");

  EXPECT_THROW(store().create_token(f.user, "digest-1", "again", expires), InvalidInput);
  EXPECT_THROW(store().create_token(999, "digest-9", "x", expires), InvalidInput);
  EXPECT_THROW(store().revoke_token(999, utc_now()), InvalidInput);
}

TEST_P(StoreTest, DatasetsAndModels) {
  const auto f = fixture();
  Dataset d;
  d.project_id = f.project;
  d.name = "heart.csv";
  d.kind = "real";
  d.rows = 303;
  d.columns = 14;
  d.schema_json = R"({"columns":[]})";
  d.created_by = f.user;
  const int64_t real = store().create_dataset(d);
  store().set_dataset_file(real, "datasets/" + std::to_string(real) + ".csv.enc", true);
  store().set_dataset_schema(real, R"({"columns":[1]})");
  auto got = store().dataset(real);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->project_id, f.project);
  EXPECT_EQ(got->name, "heart.csv");
  EXPECT_EQ(got->kind, "real");
  EXPECT_EQ(got->file, "datasets/" + std::to_string(real) + ".csv.enc");
  EXPECT_TRUE(got->encrypted);
  EXPECT_EQ(got->rows, 303);
  EXPECT_EQ(got->columns, 14);
  EXPECT_EQ(got->schema_json, R"({"columns":[1]})");
  EXPECT_EQ(got->source_model_id, 0);
  EXPECT_EQ(got->created_by, f.user);
  EXPECT_FALSE(got->created_at.empty());

  Model m;
  m.project_id = f.project;
  m.dataset_id = real;
  m.synthesizer = "ctgan";
  m.file = "models/1.medgen.enc";
  m.encrypted = true;
  m.created_by = f.user;
  const int64_t model = store().create_model(m);
  auto gm = store().model(model);
  ASSERT_TRUE(gm);
  EXPECT_EQ(gm->dataset_id, real);
  EXPECT_EQ(gm->synthesizer, "ctgan");
  EXPECT_EQ(gm->file, "models/1.medgen.enc");
  EXPECT_TRUE(gm->encrypted);
  EXPECT_EQ(gm->job_id, 0);
  EXPECT_EQ(gm->created_by, f.user);

  const int64_t synthetic = dataset(f.project, "synthetic", model);
  EXPECT_EQ(store().dataset(synthetic)->source_model_id, model);
  EXPECT_EQ(store().datasets(f.project).size(), 2u);
  EXPECT_EQ(store().all_datasets().size(), 2u);
  EXPECT_EQ(store().models(f.project).size(), 1u);
  EXPECT_EQ(store().all_models().size(), 1u);

  // What is refused: a bad kind, unknown ids, another project's data.
  EXPECT_THROW(dataset(f.project, "fake"), InvalidInput);
  EXPECT_THROW(dataset(999, "real"), InvalidInput);
  EXPECT_THROW(dataset(f.project, "synthetic", 999), InvalidInput);
  const int64_t other = store().create_project("other");
  EXPECT_EQ(error_of([&] { dataset(other, "synthetic", model); }),
            "model " + std::to_string(model) + " is not in project " + std::to_string(other));
  m.project_id = other;
  EXPECT_THROW(store().create_model(m), InvalidInput);
  EXPECT_THROW(store().set_dataset_file(999, "x", false), InvalidInput);

  // Deleting the real data keeps the model fitted on it.
  store().delete_dataset(real);
  EXPECT_FALSE(store().dataset(real));
  EXPECT_EQ(store().model(model)->dataset_id, 0);
  EXPECT_THROW(store().delete_dataset(real), InvalidInput);
}

TEST_P(StoreTest, JobStatesAndAttempts) {
  const auto f = fixture();
  Job j;
  j.project_id = f.project;
  j.kind = "fit";
  j.state = "succeeded";  // ignored: a new job is queued
  j.params_json = R"({"model":"ctgan"})";
  j.created_by = f.user;
  const int64_t id = store().create_job(j);
  auto got = store().job(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, "queued");
  EXPECT_EQ(got->attempts, 0);
  EXPECT_EQ(got->params_json, R"({"model":"ctgan"})");
  EXPECT_EQ(got->created_at, got->updated_at);
  EXPECT_EQ(store().jobs_in_state("queued").size(), 1u);

  store().start_job(id);
  got = store().job(id);
  EXPECT_EQ(got->state, "running");
  EXPECT_EQ(got->attempts, 1);
  EXPECT_GE(got->updated_at, got->created_at);
  EXPECT_EQ(error_of([&] { store().start_job(id); }), "job " + std::to_string(id) + " is running, not queued");

  store().set_job_progress(id, 0.5, "epoch 5/10");
  store().set_job_checkpoint(id, "checkpoints/1.ckpt");
  EXPECT_DOUBLE_EQ(store().job(id)->progress, 0.5);
  EXPECT_EQ(store().job(id)->message, "epoch 5/10");
  EXPECT_EQ(store().job(id)->checkpoint, "checkpoints/1.ckpt");
  store().set_job_progress(id, 1.0000001, "");
  EXPECT_DOUBLE_EQ(store().job(id)->progress, 1.0);

  // A restart puts it back in the queue; the next start is the second attempt.
  store().set_job_state(id, "queued", "resumed after restart");
  EXPECT_TRUE(store().jobs_in_state("running").empty());
  store().start_job(id);
  EXPECT_EQ(store().job(id)->attempts, 2);
  store().set_job_result(id, R"({"model_id":1})");
  store().set_job_state(id, "succeeded", "");
  got = store().job(id);
  EXPECT_EQ(got->state, "succeeded");
  EXPECT_EQ(got->result_json, R"({"model_id":1})");
  EXPECT_EQ(got->message, "");

  // A job cancelled while queued is not started.
  const int64_t other = store().create_job(j);
  store().set_job_state(other, "cancelled", "by ann");
  EXPECT_THROW(store().start_job(other), InvalidInput);
  EXPECT_EQ(store().job(other)->attempts, 0);

  EXPECT_EQ(store().jobs(f.project).size(), 2u);
  EXPECT_THROW(store().set_job_state(id, "done", ""), InvalidInput);
  EXPECT_THROW(store().jobs_in_state("done"), InvalidInput);
  EXPECT_THROW(store().start_job(999), InvalidInput);
  EXPECT_THROW(store().set_job_progress(999, 0.1, ""), InvalidInput);
  j.project_id = 999;
  EXPECT_THROW(store().create_job(j), InvalidInput);
  j.project_id = f.project;
  j.kind = "";
  EXPECT_THROW(store().create_job(j), InvalidInput);
}

// Several processes on one database: each running job names its runner and carries a
// heartbeat; a runner's own leftovers (a previous life) and other runners' jobs without a recent
// heartbeat are requeued, fresh ones are not; a late outcome from a runner that lost the job is
// not written over the new attempt's.
TEST_P(StoreTest, AbandonedJobsAreRequeuedAndLateOutcomesFenced) {
  const auto f = fixture();
  Job j;
  j.project_id = f.project;
  j.kind = "fit";
  j.params_json = "{}";
  j.created_by = f.user;
  const int64_t a = store().create_job(j), b = store().create_job(j), c = store().create_job(j);
  store().start_job(a, "r1");
  store().start_job(b, "r2");
  // r1 restarts: its own running job goes back, r2's (fresh heartbeat) stays.
  EXPECT_EQ(store().requeue_abandoned_jobs("r1", 3600, false), std::vector<int64_t>{a});
  EXPECT_EQ(store().job(a)->state, "queued");
  EXPECT_EQ(store().job(b)->state, "running");
  store().start_job(a, "r1");
  EXPECT_EQ(store().job(a)->attempts, 2);
  // r2 stops beating; r1 keeps beating: wait past a 1 s lease.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  store().heartbeat_jobs("r1");
  EXPECT_EQ(store().requeue_abandoned_jobs("r1", 1, false, false), std::vector<int64_t>{b});
  EXPECT_EQ(store().job(a)->state, "running");
  EXPECT_EQ(store().job(b)->state, "queued");
  // r3 takes b over; r2's late outcome is refused, r3's is written.
  store().start_job(b, "r3");
  const std::string late = R"({"model_id":7})", result = R"({"model_id":8})";
  EXPECT_FALSE(store().finish_job(b, "r2", 1, "succeeded", "done", &late));
  EXPECT_EQ(store().job(b)->state, "running");
  EXPECT_TRUE(store().finish_job(b, "r3", 2, "succeeded", "done", &result));
  auto got = store().job(b);
  EXPECT_EQ(got->state, "succeeded");
  EXPECT_EQ(got->result_json, result);
  EXPECT_DOUBLE_EQ(got->progress, 1.0);
  EXPECT_FALSE(store().finish_job(b, "r3", 2, "failed", "again", nullptr));  // no longer running
  EXPECT_TRUE(store().finish_job(a, "r1", 2, "failed", "boom", nullptr));
  EXPECT_EQ(store().job(a)->message, "boom");
  EXPECT_EQ(store().job(a)->result_json, "");
  // One process per database: every running job goes back.
  store().start_job(c, "r2");
  EXPECT_EQ(store().requeue_abandoned_jobs("other", 3600, true), std::vector<int64_t>{c});
  EXPECT_THROW(store().finish_job(c, "r2", 1, "done", "", nullptr), InvalidInput);
}

TEST_P(StoreTest, Releases) {
  const auto f = fixture();
  const int64_t steward = store().create_user("sam", "", false);
  const int64_t synthetic = dataset(f.project, "synthetic");
  const int64_t real = dataset(f.project, "real");
  Release r;
  r.project_id = f.project;
  r.dataset_id = synthetic;
  r.state = "approved";  // ignored
  r.gate_passed = true;
  r.gate_json = R"({"dcr":0.9})";
  r.requested_by = f.user;
  const int64_t id = store().create_release(r);
  auto got = store().release(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, "requested");
  EXPECT_TRUE(got->gate_passed);
  EXPECT_EQ(got->gate_json, R"({"dcr":0.9})");
  EXPECT_EQ(got->decided_by, 0);
  EXPECT_EQ(got->decided_at, "");

  store().decide_release(id, true, steward);
  got = store().release(id);
  EXPECT_EQ(got->state, "approved");
  EXPECT_EQ(got->decided_by, steward);
  EXPECT_FALSE(got->decided_at.empty());
  EXPECT_THROW(store().decide_release(id, false, steward), InvalidInput);

  const int64_t second = store().create_release(r);
  store().decide_release(second, false, steward);
  EXPECT_EQ(store().release(second)->state, "rejected");
  EXPECT_EQ(store().releases(f.project).size(), 2u);

  r.dataset_id = real;
  EXPECT_THROW(store().create_release(r), InvalidInput);
  r.dataset_id = synthetic;
  r.project_id = store().create_project("other");
  EXPECT_THROW(store().create_release(r), InvalidInput);
  EXPECT_THROW(store().decide_release(999, true, steward), InvalidInput);

  // Requests go with their dataset.
  store().delete_dataset(synthetic);
  EXPECT_FALSE(store().release(id));
  EXPECT_TRUE(store().releases(f.project).empty());
}

TEST_P(StoreTest, SimSessions) {
  const auto f = fixture();
  SimSessionRow s;
  s.project_id = f.project;
  s.user_id = f.user;
  s.case_json = R"({"case":"sepsis"})";
  const int64_t id = store().create_sim_session(s);
  auto got = store().sim_session(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, "live");
  EXPECT_EQ(got->case_json, R"({"case":"sepsis"})");
  EXPECT_EQ(got->ended_at, "");
  store().end_sim_session(id, R"({"score":7})");
  got = store().sim_session(id);
  EXPECT_EQ(got->state, "ended");
  EXPECT_EQ(got->result_json, R"({"score":7})");
  EXPECT_FALSE(got->ended_at.empty());
  EXPECT_THROW(store().end_sim_session(id, "{}"), InvalidInput);
  EXPECT_THROW(store().end_sim_session(999, "{}"), InvalidInput);
  EXPECT_EQ(store().sim_sessions(f.project).size(), 1u);
  s.user_id = 999;
  EXPECT_THROW(store().create_sim_session(s), InvalidInput);
}

TEST_P(StoreTest, Assignments) {
  const auto f = fixture();
  const int64_t trainee = store().create_user("tim", "", false);
  Assignment a;
  a.project_id = f.project;
  a.trainee_id = trainee;
  a.assigned_by = f.user;
  a.case_json = R"({"condition":"septic_shock","severity":"severe","seed":3})";
  const int64_t id = store().create_assignment(a);
  auto got = store().assignment(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->project_id, f.project);
  EXPECT_EQ(got->trainee_id, trainee);
  EXPECT_EQ(got->assigned_by, f.user);
  EXPECT_EQ(got->case_json, a.case_json);
  EXPECT_EQ(got->session_id, 0);
  EXPECT_EQ(got->created_at.size(), 24u);
  EXPECT_FALSE(store().assignment(999));

  // Started once, by a session of its trainee in its project.
  SimSessionRow s;
  s.project_id = f.project;
  s.user_id = f.user;  // not the trainee
  s.case_json = "{}";
  const int64_t someone_elses = store().create_sim_session(s);
  EXPECT_THROW(store().start_assignment(id, someone_elses), InvalidInput);
  const int64_t other = store().create_project("other");
  s.project_id = other;
  s.user_id = trainee;
  const int64_t elsewhere = store().create_sim_session(s);
  EXPECT_EQ(error_of([&] { store().start_assignment(id, elsewhere); }),
            "simulator session " + std::to_string(elsewhere) + " is not in project " + std::to_string(f.project));
  s.project_id = f.project;
  const int64_t session = store().create_sim_session(s);
  store().start_assignment(id, session);
  EXPECT_EQ(store().assignment(id)->session_id, session);
  EXPECT_EQ(error_of([&] { store().start_assignment(id, session); }),
            "assignment " + std::to_string(id) + " has already been started");
  EXPECT_THROW(store().start_assignment(999, session), InvalidInput);

  a.assigned_by = 0;
  store().create_assignment(a);
  const auto all = store().assignments(f.project);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, id);
  EXPECT_EQ(all[1].assigned_by, 0);
  EXPECT_TRUE(store().assignments(other).empty());
  a.trainee_id = 999;
  EXPECT_THROW(store().create_assignment(a), InvalidInput);
  a.trainee_id = trainee;
  a.project_id = 999;
  EXPECT_THROW(store().create_assignment(a), InvalidInput);
  // One session serves one assignment, whoever writes.
  EXPECT_FALSE(db_.sql("UPDATE assignments SET session_id = " + std::to_string(session) + " WHERE id = " +
                       std::to_string(all[1].id)));
}

TEST_P(StoreTest, Images) {
  const auto f = fixture();
  Image v;
  v.project_id = f.project;
  v.name = "head.nii.gz";
  v.kind = "volume";
  v.file = "images/upload-1.nii.gz.enc";
  v.encrypted = true;
  v.created_by = f.user;
  const int64_t volume = store().create_image(v);
  auto got = store().image(volume);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->project_id, f.project);
  EXPECT_EQ(got->name, "head.nii.gz");
  EXPECT_EQ(got->kind, "volume");
  EXPECT_EQ(got->file, "images/upload-1.nii.gz.enc");
  EXPECT_TRUE(got->encrypted);
  EXPECT_EQ(got->created_by, f.user);
  EXPECT_EQ(got->created_at.size(), 24u);
  EXPECT_EQ(got->source_job, 0);
  EXPECT_FALSE(store().image(999));

  Job j;
  j.project_id = f.project;
  j.kind = "image.enhance";
  j.params_json = "{}";
  const int64_t job = store().create_job(j);
  Image r = v;
  r.name = "enhanced";
  r.kind = "result";
  r.file = "images/job-" + std::to_string(job) + ".nii.gz.enc";
  r.source_job = job;
  const int64_t result = store().create_image(r);
  EXPECT_EQ(store().image(result)->source_job, job);
  v.kind = "model";
  store().create_image(v);
  const auto all = store().images(f.project);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, volume);
  EXPECT_EQ(all[1].kind, "result");
  EXPECT_EQ(all[2].kind, "model");

  // What is refused: a bad kind, a result without its job, another project's job, unknown ids.
  const int64_t other = store().create_project("other");
  EXPECT_TRUE(store().images(other).empty());
  v.kind = "dicom";
  EXPECT_EQ(error_of([&] { store().create_image(v); }), "image kind 'dicom' is not one of: volume, model, result");
  r.source_job = 0;
  EXPECT_THROW(store().create_image(r), InvalidInput);
  r.source_job = job;
  r.project_id = other;
  EXPECT_EQ(error_of([&] { store().create_image(r); }),
            "job " + std::to_string(job) + " is not in project " + std::to_string(other));
  r.project_id = 999;
  EXPECT_THROW(store().create_image(r), InvalidInput);
  r.project_id = f.project;
  r.created_by = 999;
  EXPECT_THROW(store().create_image(r), InvalidInput);
  EXPECT_EQ(store().images(f.project).size(), 3u);
  // The CHECKs hold against writers other than the Store.
  EXPECT_FALSE(db_.sql("INSERT INTO images (project_id, name, kind, file, encrypted, created_at) VALUES (" +
                       std::to_string(f.project) + ", 'x', 'result', 'f', 1, '')"));
}

// A database of the first schema (before images) is brought up to date and keeps its rows.
TEST_P(StoreTest, MigrationAddsImagesToAnOlderDatabase) {
  const auto f = fixture();
  store_.reset();
  ASSERT_TRUE(db_.sql("DROP TABLE assignments"));
  ASSERT_TRUE(db_.sql("DROP TABLE images"));
  ASSERT_TRUE(db_.sql("ALTER TABLE jobs DROP COLUMN runner"));  // migration 4
  ASSERT_TRUE(db_.sql("ALTER TABLE jobs DROP COLUMN heartbeat_at"));
  ASSERT_TRUE(db_.set_schema_version(1));
  reopen();
  EXPECT_EQ(store().schema_version(), Store::latest_schema_version());
  EXPECT_EQ(store().project(f.project)->name, "ward");
  Image im;
  im.project_id = f.project;
  im.name = "m";
  im.kind = "model";
  im.file = "images/upload-2.medgen.enc";
  EXPECT_EQ(store().image(store().create_image(im))->name, "m");
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ"
bool iso8601_ms(const std::string& t) {
  const std::string form = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (t.size() != form.size()) return false;
  for (size_t i = 0; i < t.size(); ++i)
    if (form[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(t[i])) : t[i] != form[i]) return false;
  return true;
}

TEST(Times, Iso8601UtcWithMillisecondsThatSortsAsTime) {
  const std::string now = utc_now();
  EXPECT_TRUE(iso8601_ms(now)) << now;
  EXPECT_TRUE(iso8601_ms(utc_after(86400 * 30)));
  EXPECT_LT(utc_after(-1), now);
  EXPECT_GT(utc_after(60), now);
  EXPECT_GT(utc_after(86400 * 365), utc_after(86400 * 364));
  EXPECT_THROW(utc_after(INT64_MAX), InvalidInput);
}

TEST_P(StoreTest, ManyThreadsShareOneStore) {
  const auto f = fixture();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        Job j;
        j.project_id = f.project;
        j.kind = "sample";
        j.params_json = std::to_string(t * 100 + i);
        const int64_t id = store().create_job(j);
        store().start_job(id);
        store().create_user("u" + std::to_string(t) + "-" + std::to_string(i), "", false);
      }
    });
  for (auto& th : threads) th.join();
  const auto jobs = store().jobs(f.project);
  ASSERT_EQ(jobs.size(), 40u);
  std::set<std::string> params;
  for (const auto& j : jobs) {
    EXPECT_EQ(j.attempts, 1);
    params.insert(j.params_json);
  }
  EXPECT_EQ(params.size(), 40u);
  EXPECT_EQ(store().count_users(), 41);
}

// Constraint errors the Store leaves to the database read the same on both backends.
TEST_P(StoreTest, ConstraintErrorsAreInvalidInput) {
  const auto f = fixture();
  store().create_token(f.user, "digest-1", "login", utc_after(60));
  const std::string msg = error_of([&] { store().create_token(f.user, "digest-1", "again", utc_after(60)); });
  EXPECT_NE(msg.find("UNIQUE constraint failed"), std::string::npos) << msg;
  EXPECT_THROW(store().create_token(f.user, "", "empty", utc_after(60)), InvalidInput);
  // PostgreSQL's text cannot hold a NUL byte (SQLite stores it).
  if (!sqlite()) {
    EXPECT_THROW(store().create_project(std::string("nul\0byte", 8)), InvalidInput);
  }
}

TEST(StorePostgres, ConnectionErrorsAreIoErrorsWithoutThePassword) {
  TempDir dir;
  for (const std::string database :
       {"postgresql://medgen:s3cr3t-pw@/medgen?host=/nonexistent-medgen-socket-dir",
        "host=/nonexistent-medgen-socket-dir dbname=medgen user=medgen password=s3cr3t-pw",
        "postgresql://medgen:s3cr3t-pw@[::1/medgen", "host=x password='s3cr3t-pw"}) {
    const std::string msg = error_of([&] { Store s(dir.path(), database); });
    EXPECT_FALSE(msg.empty()) << database;
    EXPECT_EQ(msg.find("s3cr3t-pw"), std::string::npos) << msg;
    EXPECT_THROW(Store s(dir.path(), database), IoError);
    EXPECT_THROW(verify_audit_dir(dir.path(), database), IoError);
  }
}

TEST(StorePostgres, AnEmptyDatabaseIsNotVerified) {
  TempDir dir;
  const TestDatabase empty = TestDatabase::make(Backend::kPostgres, dir.path());
  EXPECT_NE(error_of([&] { verify_audit_dir(dir.path(), empty.database); }).find("not a medgen database"),
            std::string::npos);
  EXPECT_THROW(verify_audit_dir(dir.path(), empty.database), IoError);
}

}  // namespace
