// The API against a real server on loopback: accounts, roles and projects, datasets, jobs that
// run the medgen program, releases, virtual patients over HTTP and WebSocket, the audit trail,
// and the refusals a health-data API owes (no token, revoked tokens, other projects' ids,
// other trainees' sessions, path tricks, oversized and malformed bodies).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <sqlite3.h>

#include "medgen/core/file.h"
#include "medgen/server/api.h"
#include "medgen/server/store.h"
#include "server/server_client.h"

namespace fs = std::filesystem;
using medgen::server::testing::http_call;
using medgen::server::testing::Resp;
using medgen::server::testing::TestServer;
using medgen::server::testing::WsClient;

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/medgen-api-XXXXXX";
  return ::mkdtemp(tmpl);
}

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(temp_dir());
    medgen::server::ServerConfig cfg;
    cfg.data_dir = *dir_ + "/data";
    cfg.work_dir = *dir_ + "/work";
    cfg.medgen_exe = MEDGEN_CLI;
    cfg.sim_data = std::string(MEDGEN_SOURCE_DIR) + "/data/sim";
    cfg.password_cost = {1, size_t{8} << 20};
    cfg.http.max_body_bytes = 4 << 20;
    cfg.http.max_small_body_bytes = 64 << 10;
    // The release gate of this server: quality only (the test's pbc samples are small).
    cfg.gate = {{"min_quality", 0.5},           {"max_membership_auc", nullptr},
                {"max_exact_copy_rate", nullptr}, {"max_share_closer_to_train", nullptr},
                {"min_utility_ratio", nullptr}};
    cfg.workers = 1;
    cfg.queue = 2;
    server_ = new TestServer(cfg);
    admin_ = login("admin", server_->admin_password());
    // Two projects; a steward, an analyst, an educator and two trainees in the first; another
    // steward in the second.
    p1_ = post("/api/v1/projects", {{"name", "cardiology"}}, admin_).json()["id"];
    p2_ = post("/api/v1/projects", {{"name", "oncology"}}, admin_).json()["id"];
    for (const char* u : {"steward", "analyst", "educator", "trainee1", "trainee2", "steward2"}) {
      const Resp r = post("/api/v1/users", {{"name", u}, {"password", std::string(u) + "-password-1"}}, admin_);
      ASSERT_EQ(r.status, 201) << r.body;
      const int64_t id = r.json()["id"];
      const std::string role = std::string(u).rfind("trainee", 0) == 0 ? "trainee" : std::string(u).substr(0, 7) == "steward" ? "steward" : u;
      const int64_t project = std::string(u) == "steward2" ? p2_ : p1_;
      const Resp m = call("PUT", "/api/v1/projects/" + std::to_string(project) + "/members/" + std::to_string(id),
                          nlohmann::json{{"role", role}}.dump(), admin_);
      ASSERT_EQ(m.status, 200) << m.body;
    }
    for (const char* u : {"steward", "analyst", "educator", "trainee1", "trainee2", "steward2"})
      (*tokens_)[u] = login(u, std::string(u) + "-password-1");
  }
  static void TearDownTestSuite() {
    delete server_;
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
  }

  static Resp call(const std::string& method, const std::string& target, const std::string& body,
                   const std::string& token, const std::string& type = "application/json") {
    return http_call(server_->port(), method, target, body, token, type);
  }
  static Resp post(const std::string& target, const nlohmann::json& body, const std::string& token) {
    return call("POST", target, body.dump(), token);
  }
  static Resp get(const std::string& target, const std::string& token) { return call("GET", target, "", token); }
  static std::string login(const std::string& user, const std::string& password) {
    const Resp r = post("/api/v1/login", {{"user", user}, {"password", password}}, "");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().value("token", "");
  }
  static std::string tok(const std::string& user) { return tokens_->at(user); }
  static std::string proj(int64_t p) { return "/api/v1/projects/" + std::to_string(p); }
  static std::string pbc() { return medgen::read_file(std::string(MEDGEN_SOURCE_DIR) + "/data/pbc.csv"); }

  // Waits for a job to leave "queued"/"running" (at most `seconds`).
  static nlohmann::json wait_job(int64_t project, int64_t job, const std::string& token, int seconds = 120) {
    return medgen::server::testing::wait_job(server_->port(), project, job, token, seconds);
  }
  static int64_t upload(int64_t project, const std::string& token, const std::string& name = "pbc") {
    const Resp r = call("POST", proj(project) + "/datasets?name=" + name, pbc(), token, "text/csv");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("id", int64_t{0});
  }

  static std::string* dir_;
  static TestServer* server_;
  static std::string admin_;
  static int64_t p1_, p2_;
  static std::map<std::string, std::string>* tokens_;
};

std::string* ApiTest::dir_ = nullptr;
TestServer* ApiTest::server_ = nullptr;
std::string ApiTest::admin_;
int64_t ApiTest::p1_ = 0, ApiTest::p2_ = 0;
std::map<std::string, std::string>* ApiTest::tokens_ = new std::map<std::string, std::string>();

TEST_F(ApiTest, HealthMetricsAndSecurityHeaders) {
  const Resp h = get("/health", "");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.json()["status"], "ok");
  EXPECT_EQ(h.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(h.headers.at("x-frame-options"), "DENY");
  EXPECT_EQ(h.headers.at("cache-control"), "no-store");
  EXPECT_EQ(h.headers.count("access-control-allow-origin"), 0u);  // CORS off
  const Resp m = get("/metrics", "");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("# TYPE medgen_http_requests_total counter"), std::string::npos);
  EXPECT_NE(m.body.find("medgen_jobs_queue_capacity 2"), std::string::npos);
  EXPECT_EQ(get("/no/such/route", "").status, 404);
}

// Every operation the OpenAPI document lists is routed (answers neither 404 nor 405 with no
// token), and the document's paths are exactly the router's (a probe of each sibling verb).
TEST_F(ApiTest, OpenApiDocumentMatchesTheRoutes) {
  const nlohmann::json doc = get("/openapi.json", "").json();
  ASSERT_EQ(doc["openapi"], "3.0.3");
  // Whether a documented template with `verb` matches `target` (e.g. GET .../jobs/{job} serves
  // GET .../jobs/fit too).
  auto served = [&](const std::string& verb, const std::string& target) {
    for (const auto& [p, it] : doc["paths"].items()) {
      if (!it.contains(verb)) continue;
      std::string a = p + "/", b = target + "/";
      bool same = true;
      while (same && !a.empty() && !b.empty()) {
        const std::string sa = a.substr(0, a.find('/') + 1), sb = b.substr(0, b.find('/') + 1);
        same = sa == sb || sa.front() == '{';
        a.erase(0, sa.size());
        b.erase(0, sb.size());
      }
      if (same && a.empty() && b.empty()) return true;
    }
    return false;
  };
  size_t ops = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    std::string target = path;
    for (size_t at; (at = target.find('{')) != std::string::npos;) target.replace(at, target.find('}', at) - at + 1, "1");
    for (const char* verb : {"get", "post", "put", "patch", "delete"}) {
      std::string upper = verb;
      for (char& c : upper) c = static_cast<char>(std::toupper(c));
      const Resp r = call(upper, target, "", "");
      if (item.contains(verb)) {
        ++ops;
        EXPECT_NE(r.status, 404) << upper << " " << path;
        EXPECT_NE(r.status, 405) << upper << " " << path;
      } else if (!served(verb, target)) {
        EXPECT_EQ(r.status, 405) << upper << " " << path << " answers but is not documented";
      }
    }
  }
  EXPECT_GE(ops, 40u);
}

TEST_F(ApiTest, TokensAreRequiredAndRevocable) {
  EXPECT_EQ(get("/api/v1/me", "").status, 401);
  EXPECT_EQ(get("/api/v1/me", "mgt_notatoken").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/me", "", "").headers.at("www-authenticate"), "Bearer");
  const Resp me = get("/api/v1/me", tok("analyst"));
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.json()["user"], "analyst");
  // An API token, then revoked.
  const Resp t = post("/api/v1/tokens", {{"name", "ci"}, {"hours", 1}}, tok("analyst"));
  ASSERT_EQ(t.status, 201);
  const std::string api_token = t.json()["token"];
  EXPECT_EQ(get("/api/v1/me", api_token).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + std::to_string(t.json()["id"].get<int64_t>()), "", tok("analyst")).status, 200);
  EXPECT_EQ(get("/api/v1/me", api_token).status, 401);
  // Another user's token id cannot be revoked by a non-owner.
  const Resp t2 = post("/api/v1/tokens", {{"name", "x"}}, tok("steward"));
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + std::to_string(t2.json()["id"].get<int64_t>()), "", tok("analyst")).status, 403);
  // An expired token: its expiry moved into the past behind the server's back.
  const Resp t3 = post("/api/v1/tokens", {{"name", "old"}}, tok("analyst"));
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((*dir_ + "/data/medgen.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    const std::string sql =
        "UPDATE tokens SET expires_at='2000-01-01T00:00:00.000Z' WHERE id=" + std::to_string(t3.json()["id"].get<int64_t>());
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ(get("/api/v1/me", t3.json()["token"].get<std::string>()).status, 401);
  // Logout revokes the login token.
  const std::string once = login("trainee2", "trainee2-password-1");
  EXPECT_EQ(call("POST", "/api/v1/logout", "", once).status, 200);
  EXPECT_EQ(get("/api/v1/me", once).status, 401);
}

TEST_F(ApiTest, LoginRefusesBadPasswordsAndSqlLookingNames) {
  EXPECT_EQ(post("/api/v1/login", {{"user", "analyst"}, {"password", "wrong"}}, "").status, 401);
  const Resp sql = post("/api/v1/login", {{"user", "x' OR '1'='1'; DROP TABLE users; --"}, {"password", "x"}}, "");
  EXPECT_EQ(sql.status, 401);
  EXPECT_EQ(sql.body.find("sqlite"), std::string::npos);
  EXPECT_EQ(get("/api/v1/users", admin_).json().size(), 7u);  // the table is intact
  EXPECT_EQ(post("/api/v1/login", nlohmann::json::array(), "").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/login", "{not json", "").status, 400);
  // Five failures for one name lock it for a while (429), even with the right password.
  for (int i = 0; i < 5; ++i) post("/api/v1/login", {{"user", "educator"}, {"password", "nope"}}, "");
  const Resp locked = post("/api/v1/login", {{"user", "educator"}, {"password", "educator-password-1"}}, "");
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(locked.headers.count("retry-after"), 1u);
}

TEST_F(ApiTest, RolesAndProjectsSeparateData) {
  const int64_t d1 = upload(p1_, tok("steward"));
  const int64_t d2 = upload(p2_, tok("steward2"), "other");
  // An analyst cannot upload or read real rows; a steward can.
  EXPECT_EQ(call("POST", proj(p1_) + "/datasets?name=x", pbc(), tok("analyst"), "text/csv").status, 403);
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(d1) + "/rows", tok("analyst")).status, 403);
  const Resp rows = get(proj(p1_) + "/datasets/" + std::to_string(d1) + "/rows", tok("steward"));
  EXPECT_EQ(rows.status, 200);
  EXPECT_EQ(rows.body, pbc());
  // Metadata: the analyst sees a real table's column names and types, not its values.
  const nlohmann::json meta = get(proj(p1_) + "/datasets/" + std::to_string(d1), tok("analyst")).json();
  ASSERT_TRUE(meta["schema"]["columns"].is_array());
  for (const auto& c : meta["schema"]["columns"]) EXPECT_EQ(c.size(), 2u) << c.dump();
  const nlohmann::json full = get(proj(p1_) + "/datasets/" + std::to_string(d1), tok("steward")).json();
  EXPECT_NE(full.dump().find("\"values\""), std::string::npos);
  // Another project's object and an absent one are refused alike.
  const Resp foreign = get(proj(p1_) + "/datasets/" + std::to_string(d2), tok("steward"));
  const Resp absent = get(proj(p1_) + "/datasets/999999", tok("steward"));
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(absent.status, 403);
  EXPECT_EQ(foreign.body, absent.body);
  EXPECT_EQ(get(proj(p2_) + "/datasets", tok("steward")).status, 403);  // no role there
  EXPECT_EQ(get(proj(p1_) + "/datasets", tok("trainee1")).status, 403);
  // Admin-only routes.
  EXPECT_EQ(get("/api/v1/users", tok("steward")).status, 403);
  EXPECT_EQ(post("/api/v1/projects", {{"name", "x"}}, tok("steward")).status, 403);
  EXPECT_EQ(get("/api/v1/audit", tok("steward")).status, 403);
}

TEST_F(ApiTest, PathsAndBodiesFromRequestsNeverReachTheFileSystem) {
  const std::string names[] = {"../../etc/passwd", "..%2F..%2Fx", "%00", "a/b"};
  for (const std::string& n : names) {
    const Resp r = call("POST", proj(p1_) + "/datasets?name=" + n, pbc(), tok("steward"), "text/csv");
    EXPECT_TRUE(r.status == 201 || r.status == 400) << n << ": " << r.status;
  }
  // Ids are numbers: anything else is a 400 (or, where a decoded slash adds segments, no route:
  // 404), never a file name.
  for (const char* t : {"/datasets/..%2F..%2Fmedgen.db/rows", "/datasets/1%2F..%2F2/rows", "/datasets/-1", "/datasets/1e3",
                        "/datasets/..", "/datasets/%2e%2e/rows"}) {
    const int st = get(proj(p1_) + t, tok("steward")).status;
    EXPECT_TRUE(st == 400 || st == 404) << t << ": " << st;
  }
  EXPECT_EQ(get("/api/v1/projects/..%2F1/datasets", tok("steward")).status, 404);
  EXPECT_EQ(get("/api/v1/projects/../datasets", tok("steward")).status, 400);
  // The data folder holds only what the server names from ids.
  for (const auto& e : fs::recursive_directory_iterator(*dir_ + "/data")) {
    const std::string rel = fs::relative(e.path(), *dir_ + "/data").string();
    EXPECT_EQ(rel.find(".."), std::string::npos);
    EXPECT_EQ(rel.find("passwd"), std::string::npos) << rel;
  }
  // Oversized and malformed bodies.
  const Resp big = call("POST", proj(p1_) + "/datasets?name=big", std::string(5 << 20, 'a'), tok("steward"), "text/csv");
  EXPECT_EQ(big.status, 413);
  // Only uploads may be large: elsewhere (and without a token) the small limit holds.
  EXPECT_EQ(call("POST", "/api/v1/login", std::string(100 << 10, ' '), "").status, 413);
  EXPECT_EQ(call("POST", proj(p1_) + "/datasets?name=x", std::string(100 << 10, 'a'), "", "text/csv").status, 413);
  const Resp bad_csv = call("POST", proj(p1_) + "/datasets?name=bad", "a,b\n1,2,3\n\"x", tok("steward"), "text/csv");
  EXPECT_EQ(bad_csv.status, 400);
  EXPECT_NE(bad_csv.body.find("bad"), std::string::npos);  // names the upload, not a path
  EXPECT_EQ(bad_csv.body.find("/tmp"), std::string::npos);
  EXPECT_EQ(post(proj(p1_) + "/jobs/fit", {{"dataset", "1; DROP TABLE jobs"}}, tok("analyst")).status, 400);
  // Real data is encrypted on disk.
  for (const auto& e : fs::directory_iterator(*dir_ + "/data/datasets"))
    EXPECT_EQ(medgen::read_file(e.path().string()).find("status"), std::string::npos) << e.path();
}

TEST_F(ApiTest, FitSampleEvaluateAndRelease) {
  const int64_t d = upload(p1_, tok("steward"), "pbc-release");
  const Resp fit = post(proj(p1_) + "/jobs/fit", {{"dataset", d}, {"synthesizer", "copula"}, {"seed", 3}}, tok("analyst"));
  ASSERT_EQ(fit.status, 202) << fit.body;
  const nlohmann::json fj = wait_job(p1_, fit.json()["id"], tok("analyst"));
  ASSERT_EQ(fj["state"], "succeeded") << fj.dump();
  const int64_t model = fj["result"]["model"], holdout = fj["result"]["holdout"];
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(holdout), tok("analyst")).json()["rows"], 84);  // 20% of 418
  const Resp smp = post(proj(p1_) + "/jobs/sample", {{"model", model}, {"rows", 300}}, tok("analyst"));
  ASSERT_EQ(smp.status, 202) << smp.body;
  const nlohmann::json sj = wait_job(p1_, smp.json()["id"], tok("analyst"));
  ASSERT_EQ(sj["state"], "succeeded") << sj.dump();
  const int64_t syn = sj["result"]["dataset"];
  EXPECT_EQ(sj["result"]["rows"], 300);
  // Not released yet: the analyst may not download it.
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(syn) + "/rows", tok("analyst")).status, 403);
  // The gate is the server's, and the comparison is the model's own data.
  EXPECT_EQ(post(proj(p1_) + "/jobs/evaluate", {{"synthetic", syn}, {"gate", {{"min_quality", nullptr}}}}, tok("analyst")).status, 400);
  EXPECT_EQ(post(proj(p1_) + "/jobs/evaluate", {{"synthetic", syn}, {"holdout", d}}, tok("analyst")).status, 400);
  const int64_t other = upload(p1_, tok("steward"), "unrelated");
  EXPECT_EQ(post(proj(p1_) + "/jobs/evaluate", {{"synthetic", syn}, {"real", other}}, tok("analyst")).status, 400);
  const Resp ev = post(proj(p1_) + "/jobs/evaluate", {{"synthetic", syn}}, tok("analyst"));
  ASSERT_EQ(ev.status, 202) << ev.body;
  const nlohmann::json ej = wait_job(p1_, ev.json()["id"], tok("analyst"), 300);
  ASSERT_EQ(ej["state"], "succeeded") << ej.dump();
  EXPECT_TRUE(ej["result"]["gate_passed"].get<bool>()) << ej.dump();
  EXPECT_GT(ej["result"]["summary"]["quality"].get<double>(), 0.5);
  // The real side is the fit's training rows: the holdout's rows are not their own closest
  // training rows (with them inside, every holdout distance was 0 and the ceilings meaningless).
  EXPECT_GT(ej["result"]["summary"]["dcr_median_holdout"].get<double>(), 0.0) << ej.dump();
  const Resp report = get(proj(p1_) + "/jobs/" + std::to_string(ev.json()["id"].get<int64_t>()) + "/report", tok("analyst"));
  EXPECT_EQ(report.status, 200);
  EXPECT_NE(report.body.find("<html"), std::string::npos);
  // Release: requested by the analyst, refused to the analyst's approval, approved by the steward.
  const Resp rel = post(proj(p1_) + "/releases", {{"dataset", syn}, {"evaluation", ev.json()["id"]}}, tok("analyst"));
  ASSERT_EQ(rel.status, 201) << rel.body;
  const std::string rid = std::to_string(rel.json()["id"].get<int64_t>());
  EXPECT_EQ(call("POST", proj(p1_) + "/releases/" + rid + "/approve", "", tok("analyst")).status, 403);
  EXPECT_EQ(call("POST", proj(p1_) + "/releases/" + rid + "/approve", "", tok("steward")).status, 200);
  const Resp rows = get(proj(p1_) + "/datasets/" + std::to_string(syn) + "/rows", tok("analyst"));
  EXPECT_EQ(rows.status, 200);
  EXPECT_EQ(std::count(rows.body.begin(), rows.body.end(), '\n'), 301);
  // Still no real rows for the analyst.
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(d) + "/rows", tok("analyst")).status, 403);
}

TEST_F(ApiTest, BadJobsFailWithTheChildsMessage) {
  const int64_t d = upload(p1_, tok("steward"), "pbc-bad");
  EXPECT_EQ(post(proj(p1_) + "/jobs/fit", {{"dataset", d}, {"synthesizer", "nope"}}, tok("analyst")).status, 400);
  EXPECT_EQ(post(proj(p1_) + "/jobs/fit", {{"dataset", d}, {"synthesizer", "ctgan"}, {"params", {{"epochs", -3}}}},
                 tok("analyst")).status, 400);
  const Resp fit = post(proj(p1_) + "/jobs/fit", {{"dataset", d}, {"synthesizer", "copula"}}, tok("analyst"));
  const nlohmann::json fj = wait_job(p1_, fit.json()["id"], tok("analyst"));
  ASSERT_EQ(fj["state"], "succeeded");
  // A condition on a value the model never saw: the job fails with the sampler's words.
  const Resp smp = post(proj(p1_) + "/jobs/sample",
                        {{"model", fj["result"]["model"]}, {"rows", 10}, {"conditions", {"sex=unknown-value"}}}, tok("analyst"));
  ASSERT_EQ(smp.status, 202);
  const nlohmann::json sj = wait_job(p1_, smp.json()["id"], tok("analyst"));
  EXPECT_EQ(sj["state"], "failed");
  // The analyst learns that it failed; the steward (who may see the data) reads why.
  EXPECT_EQ(sj["message"].get<std::string>().find("unknown-value"), std::string::npos) << sj.dump();
  const nlohmann::json steward_view = get(proj(p1_) + "/jobs/" + std::to_string(smp.json()["id"].get<int64_t>()), tok("steward")).json();
  EXPECT_NE(steward_view["message"].get<std::string>().find("unknown-value"), std::string::npos) << steward_view.dump();
  EXPECT_EQ(steward_view["message"].get<std::string>().find("job-"), std::string::npos) << steward_view.dump();  // no scratch paths
}

TEST_F(ApiTest, CancelAndAFullQueue) {
  const int64_t d = upload(p1_, tok("steward"), "pbc-cancel");
  const nlohmann::json slow = {{"dataset", d}, {"synthesizer", "tvae"}, {"params", {{"epochs", 5000}}}};
  std::vector<int64_t> ids;
  int refused = 0;
  for (int i = 0; i < 5; ++i) {
    const Resp r = post(proj(p1_) + "/jobs/fit", slow, tok("analyst"));
    if (r.status == 202) ids.push_back(r.json()["id"]);
    if (r.status == 429) {
      ++refused;
      EXPECT_EQ(r.headers.count("retry-after"), 1u);
    }
  }
  EXPECT_GE(refused, 1);  // one worker, a queue of two
  // Wait until the first runs, then cancel everything.
  for (int i = 0; i < 100; ++i) {
    if (get(proj(p1_) + "/jobs/" + std::to_string(ids[0]), tok("analyst")).json()["state"] == "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (int64_t id : ids) EXPECT_EQ(call("POST", proj(p1_) + "/jobs/" + std::to_string(id) + "/cancel", "", tok("analyst")).status, 202);
  for (int64_t id : ids) EXPECT_EQ(wait_job(p1_, id, tok("analyst"), 60)["state"], "cancelled");
  EXPECT_EQ(call("POST", proj(p1_) + "/jobs/" + std::to_string(ids[0]) + "/cancel", "", tok("analyst")).status, 409);
}

TEST_F(ApiTest, VirtualPatientsBelongToTheirTrainee) {
  const Resp start = post(proj(p1_) + "/sim/sessions", {{"condition", "septic_shock"}, {"seed", 7}, {"speed", 60}}, tok("trainee1"));
  ASSERT_EQ(start.status, 201) << start.body;
  const std::string sid = std::to_string(start.json()["id"].get<int64_t>());
  EXPECT_FALSE(start.json()["vignette"].get<std::string>().empty());
  EXPECT_EQ(get(proj(p1_) + "/sim/sessions/" + sid, tok("trainee2")).status, 403);
  EXPECT_EQ(get(proj(p1_) + "/sim/sessions/" + sid, tok("educator")).status, 200);
  EXPECT_EQ(get(proj(p1_) + "/sim/sessions/" + sid, tok("analyst")).status, 403);
  EXPECT_EQ(post(proj(p1_) + "/sim/sessions/" + sid + "/actions", {{"text", "fluids 500 ml"}}, tok("trainee2")).status, 403);
  const Resp act = post(proj(p1_) + "/sim/sessions/" + sid + "/actions", {{"text", "give 30 ml/kg crystalloid"}}, tok("trainee1"));
  ASSERT_EQ(act.status, 200) << act.body;
  EXPECT_FALSE(act.json()["events"].empty());
  EXPECT_GT(act.json()["monitor"]["hr_bpm"].get<double>(), 0);
  // Pause: the clock stands still; resumed faster, it runs on from where it stood.
  const std::string clock = proj(p1_) + "/sim/sessions/" + sid + "/clock";
  const Resp paused = call("POST", clock, R"({"paused": true})", tok("trainee1"));
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_TRUE(paused.json()["monitor"]["paused"].get<bool>());
  const double t_pause = paused.json()["monitor"]["t_s"];
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(get(proj(p1_) + "/sim/sessions/" + sid, tok("trainee1")).json()["monitor"]["t_s"].get<double>(), t_pause);
  EXPECT_EQ(call("POST", clock, R"({"speed": 61})", tok("trainee1")).status, 400);
  EXPECT_EQ(call("POST", clock, R"({"paused": false})", tok("trainee2")).status, 403);
  const Resp resumed = call("POST", clock, R"({"paused": false, "speed": 30})", tok("trainee1"));
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.json()["monitor"]["speed"], 30);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double t_run = get(proj(p1_) + "/sim/sessions/" + sid, tok("trainee1")).json()["monitor"]["t_s"];
  EXPECT_GT(t_run, t_pause + 3);   // 30x over 0.2 s
  EXPECT_LT(t_run, t_pause + 60);  // not the paused time made up
  EXPECT_EQ(call("POST", clock, R"({"speed": 60})", tok("trainee1")).status, 200);
  // Live: the monitor arrives by itself, and an action gets its reply.
  {
    WsClient ws(server_->port(), proj(p1_) + "/sim/sessions/" + sid + "/live?token=" + tok("trainee1"));
    const nlohmann::json first = nlohmann::json::parse(ws.read());
    const double t0 = first["monitor"]["t_s"];
    const nlohmann::json second = nlohmann::json::parse(ws.read());
    EXPECT_GT(second["monitor"]["t_s"].get<double>(), t0);  // the clock runs (60x)
    ws.send(R"({"action":"order lactate"})");
    const nlohmann::json reply = nlohmann::json::parse(ws.read());
    EXPECT_TRUE(reply.contains("events"));
  }
  EXPECT_ANY_THROW(WsClient(server_->port(), proj(p1_) + "/sim/sessions/" + sid + "/live?token=" + tok("trainee2")));
  const Resp end = call("POST", proj(p1_) + "/sim/sessions/" + sid + "/end", "", tok("trainee1"));
  ASSERT_EQ(end.status, 200) << end.body;
  EXPECT_TRUE(end.json().contains("score"));
  EXPECT_EQ(call("POST", proj(p1_) + "/sim/sessions/" + sid + "/end", "", tok("trainee1")).status, 409);
  const nlohmann::json list = get(proj(p1_) + "/sim/sessions", tok("trainee2")).json();
  EXPECT_TRUE(list.empty());  // trainee2 sees only their own
  // At most 5 live sessions per user.
  std::vector<std::string> mine;
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    const Resp r = post(proj(p1_) + "/sim/sessions", {{"condition", "anaphylaxis"}, {"seed", i}}, tok("trainee2"));
    if (r.status == 201) mine.push_back(std::to_string(r.json()["id"].get<int64_t>()));
    refused += r.status == 429;
  }
  EXPECT_EQ(mine.size(), 5u);
  EXPECT_EQ(refused, 1);
  for (const std::string& id : mine)
    EXPECT_EQ(call("POST", proj(p1_) + "/sim/sessions/" + id + "/end", "", tok("trainee2")).status, 200);
}

TEST_F(ApiTest, JobProgressOverWebSocket) {
  const int64_t d = upload(p1_, tok("steward"), "pbc-ws");
  const Resp fit = post(proj(p1_) + "/jobs/fit", {{"dataset", d}, {"synthesizer", "tvae"}, {"params", {{"epochs", 30}}}},
                        tok("analyst"));
  ASSERT_EQ(fit.status, 202) << fit.body;
  const std::string jid = std::to_string(fit.json()["id"].get<int64_t>());
  WsClient ws(server_->port(), proj(p1_) + "/jobs/" + jid + "/events?token=" + tok("analyst"));
  std::string last_state, losses;
  double max_progress = 0;
  for (std::string m; !(m = ws.read()).empty();) {
    const nlohmann::json e = nlohmann::json::parse(m);
    last_state = e["state"];
    if (e["progress"].is_number()) max_progress = std::max(max_progress, e["progress"].get<double>());
    // The training loop's losses come with the step: what the web app's loss curves plot.
    if (e.contains("message") && e["message"].is_string() && e["message"].get<std::string>().find("recon ") != std::string::npos)
      losses = e["message"];
  }
  EXPECT_EQ(last_state, "succeeded");
  EXPECT_EQ(max_progress, 1.0);
  EXPECT_NE(losses.find("training tvae "), std::string::npos) << losses;
  EXPECT_NE(losses.find("/30"), std::string::npos) << losses;
  EXPECT_NE(losses.find(" kl "), std::string::npos) << losses;
}

TEST_F(ApiTest, PasswordChangesNeedTheCurrentOneAndEndSessions) {
  const Resp u = post("/api/v1/users", {{"name", "rotating"}, {"password", "first-password-1"}}, admin_);
  ASSERT_EQ(u.status, 201);
  const std::string uid = std::to_string(u.json()["id"].get<int64_t>());
  const std::string t = login("rotating", "first-password-1");
  EXPECT_EQ(call("PATCH", "/api/v1/users/" + uid, nlohmann::json{{"password", "second-password-2"}}.dump(), t).status, 403);
  EXPECT_EQ(call("PATCH", "/api/v1/users/" + uid,
                 nlohmann::json{{"password", "second-password-2"}, {"current_password", "wrong-password"}}.dump(), t).status, 403);
  EXPECT_EQ(call("PATCH", "/api/v1/users/" + uid,
                 nlohmann::json{{"password", "second-password-2"}, {"current_password", "first-password-1"}}.dump(), t).status, 200);
  EXPECT_EQ(get("/api/v1/me", t).status, 401);  // the change ended the old token
  const std::string t2 = login("rotating", "second-password-2");
  EXPECT_EQ(call("PATCH", "/api/v1/users/" + uid, nlohmann::json{{"disabled", true}}.dump(), admin_).status, 200);
  EXPECT_EQ(get("/api/v1/me", t2).status, 401);
  EXPECT_EQ(post("/api/v1/users", {{"name", "x"}, {"password", "long-enough-pw"}, {"admin", "yes"}}, admin_).status, 400);
}

TEST_F(ApiTest, AuditTrailRecordsRefusalsAndVerifies) {
  get(proj(p2_) + "/datasets", tok("analyst"));  // refused: no role in p2
  const nlohmann::json entries = get("/api/v1/audit?limit=1000", admin_).json();
  ASSERT_TRUE(entries.is_array());
  bool denied = false, login = false;
  for (const auto& e : entries) {
    denied = denied || (e["outcome"] == "denied" && e["actor"] == "analyst");
    login = login || (e["action"] == "login" && e["outcome"] == "ok");
  }
  EXPECT_TRUE(denied);
  EXPECT_TRUE(login);
  const nlohmann::json v = get("/api/v1/audit/verify", admin_).json();
  EXPECT_TRUE(v["ok"].get<bool>()) << v.dump();
  EXPECT_GT(v["entries"].get<int64_t>(), 10);
}

}  // namespace

// The fit forms' source: the CLI's own parameter tables, for any signed-in user (and no one else).
TEST_F(ApiTest, SynthesizersListTheCliParameterTables) {
  EXPECT_EQ(get("/api/v1/synthesizers", "").status, 401);
  const Resp r = get("/api/v1/synthesizers", tok("trainee1"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& s : r.json()) by_name[s["name"]] = s;
  for (const char* n : {"copula", "cart", "independent", "ctgan", "tvae"}) ASSERT_TRUE(by_name.count(n)) << n;
  EXPECT_TRUE(by_name["ctgan"]["neural"].get<bool>());
  EXPECT_FALSE(by_name["copula"]["neural"].get<bool>());
  bool epochs = false;
  for (const auto& p : by_name["ctgan"]["params"]) {
    EXPECT_TRUE(p["kind"] == "int" || p["kind"] == "double" || p["kind"] == "string" || p["kind"] == "bool" ||
                p["kind"] == "int_list") << p;
    EXPECT_FALSE(p["help"].get<std::string>().empty());
    if (p["name"] == "epochs") {
      epochs = true;
      EXPECT_EQ(p["kind"], "int");
      EXPECT_GE(p["default"].get<int64_t>(), p["min"].get<int64_t>());
      EXPECT_LE(p["default"].get<int64_t>(), p["max"].get<int64_t>());
    }
  }
  EXPECT_TRUE(epochs);
}

// The schema as a steward edits it: warnings for free text, identifiers, personal columns and
// dates that read both ways; an edit is checked against the rows and used by the next fit.
TEST_F(ApiTest, SchemaEditsCarryWarningsAndReachTheFit) {
  const std::string csv =
      "patient_name,visit,age,note,sex\n"
      "Ann Lee,01/02/2020,34,felt dizzy after the morning dose,f\n"
      "Bo Ray,03/04/2020,51,no complaints at all today,m\n"
      "Cy Dale,05/06/2021,47,asked about the new diet plan,f\n"
      "Di Holt,07/08/2021,62,\"short of breath, climbing stairs\",m\n"
      "Ed Moss,09/10/2022,29,slept badly during the week,m\n"
      "Flo Yu,11/12/2022,55,reports mild ankle swelling today,f\n";
  const Resp up = call("POST", proj(p1_) + "/datasets?name=visits", csv, tok("steward"), "text/csv");
  ASSERT_EQ(up.status, 201) << up.body;
  const int64_t d = up.json()["id"];
  auto kinds = [](const nlohmann::json& warnings) {
    std::map<std::string, std::string> out;
    for (const auto& w : warnings) out[w["column"]] += w["kind"].get<std::string>() + " ";
    return out;
  };
  std::map<std::string, std::string> k = kinds(up.json()["warnings"]);
  EXPECT_NE(k["note"].find("free_text"), std::string::npos) << up.json()["warnings"];
  EXPECT_NE(k["visit"].find("ambiguous_date"), std::string::npos) << up.json()["warnings"];
  EXPECT_FALSE(k["patient_name"].empty()) << up.json()["warnings"];

  const std::string schema_url = proj(p1_) + "/datasets/" + std::to_string(d) + "/schema";
  const Resp got = get(schema_url, tok("steward"));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(get(schema_url, tok("analyst")).status, 403);  // the values are real data
  EXPECT_EQ(get(proj(p2_) + "/datasets/" + std::to_string(d) + "/schema", tok("steward2")).status, 403);

  // The steward makes the name an identifier and age categorical.
  nlohmann::json schema = got.json()["schema"];
  for (auto& c : schema["columns"]) {
    if (c["name"] == "patient_name") c = {{"name", "patient_name"}, {"type", "identifier"}, {"prefix", "P"}, {"width", 4}};
    if (c["name"] == "age") c = {{"name", "age"}, {"type", "categorical"}, {"values", {"29", "34", "47", "51", "55", "62"}}};
  }
  const Resp put = call("PUT", schema_url, schema.dump(), tok("steward"));
  ASSERT_EQ(put.status, 200) << put.body;
  k = kinds(put.json()["warnings"]);
  EXPECT_NE(k["patient_name"].find("identifier"), std::string::npos) << put.json()["warnings"];
  // A schema the rows contradict, an unknown type, and junk are refused; the stored one stays.
  nlohmann::json bad = schema;
  for (auto& c : bad["columns"])
    if (c["name"] == "age") c = {{"name", "age"}, {"type", "categorical"}, {"values", {"29"}}};
  EXPECT_EQ(call("PUT", schema_url, bad.dump(), tok("steward")).status, 400);
  bad["columns"][0]["type"] = "colour";
  EXPECT_EQ(call("PUT", schema_url, bad.dump(), tok("steward")).status, 400);
  EXPECT_EQ(call("PUT", schema_url, R"({"columns":[]})", tok("steward")).status, 400);
  EXPECT_EQ(call("PUT", schema_url, "[1,2", tok("steward")).status, 400);
  EXPECT_EQ(call("PUT", schema_url, schema.dump(), tok("analyst")).status, 403);

  // The fit uses the edited schema: synthetic names are new identifiers, ages the six labels.
  const Resp fit = post(proj(p1_) + "/jobs/fit", {{"dataset", d}, {"synthesizer", "independent"}, {"holdout", 0}},
                        tok("analyst"));
  ASSERT_EQ(fit.status, 202) << fit.body;
  const nlohmann::json fj = wait_job(p1_, fit.json()["id"], tok("analyst"));
  ASSERT_EQ(fj["state"], "succeeded") << fj;
  const Resp sample = post(proj(p1_) + "/jobs/sample", {{"model", fj["result"]["model"]}, {"rows", 20}}, tok("analyst"));
  ASSERT_EQ(sample.status, 202) << sample.body;
  const nlohmann::json sj = wait_job(p1_, sample.json()["id"], tok("analyst"));
  ASSERT_EQ(sj["state"], "succeeded") << sj;
  const Resp rows = get(proj(p1_) + "/datasets/" + std::to_string(sj["result"]["dataset"].get<int64_t>()) + "/rows",
                        tok("steward"));
  ASSERT_EQ(rows.status, 200);
  std::istringstream in(rows.body);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.find("note"), std::string::npos) << line;  // free text left out
  while (std::getline(in, line)) {
    EXPECT_EQ(line.rfind("P", 0), 0u) << line;
    EXPECT_EQ(line.find("Ann"), std::string::npos) << line;
  }
}

// Educators assign generated cases; only the trainee starts theirs; educators see the scores.
TEST_F(ApiTest, EducatorsAssignCasesAndSeeScores) {
  const Resp trainees = get(proj(p1_) + "/sim/trainees", tok("educator"));
  ASSERT_EQ(trainees.status, 200) << trainees.body;
  int64_t t1 = 0;
  for (const auto& t : trainees.json())
    if (t["name"] == "trainee1") t1 = t["id"];
  ASSERT_GT(t1, 0) << trainees.body;
  EXPECT_EQ(get(proj(p1_) + "/sim/trainees", tok("trainee1")).status, 403);

  const std::string url = proj(p1_) + "/sim/assignments";
  const Resp a = post(url, {{"trainee", t1}, {"condition", "septic_shock"}, {"severity", "severe"}}, tok("educator"));
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_FALSE(a.json()["vignette"].get<std::string>().empty());
  const int64_t aid = a.json()["id"];
  // Refused: trainees assigning, an analyst, unknown conditions or severities, a non-trainee.
  EXPECT_EQ(post(url, {{"trainee", t1}, {"condition", "septic_shock"}}, tok("trainee1")).status, 403);
  EXPECT_EQ(post(url, {{"trainee", t1}, {"condition", "septic_shock"}}, tok("analyst")).status, 403);
  EXPECT_EQ(post(url, {{"trainee", t1}, {"condition", "scurvy'; DROP TABLE users;--"}}, tok("educator")).status, 400);
  EXPECT_EQ(post(url, {{"trainee", t1}, {"condition", "septic_shock"}, {"severity", "apocalyptic"}}, tok("educator")).status, 400);
  EXPECT_EQ(post(url, {{"trainee", 1}, {"condition", "septic_shock"}}, tok("educator")).status, 400);
  EXPECT_EQ(post(url, {{"trainee", "x"}, {"condition", "septic_shock"}}, tok("educator")).status, 400);

  // trainee2 neither sees it nor starts it; trainee1 does.
  EXPECT_TRUE(get(url, tok("trainee2")).json().empty());
  EXPECT_EQ(post(proj(p1_) + "/sim/sessions", {{"assignment", aid}}, tok("trainee2")).status, 403);
  EXPECT_EQ(post(proj(p2_) + "/sim/sessions", {{"assignment", aid}}, tok("steward2")).status, 403);
  const nlohmann::json mine = get(url, tok("trainee1")).json();
  ASSERT_EQ(mine.size(), 1u) << mine;
  EXPECT_EQ(mine[0]["state"], "assigned");
  EXPECT_EQ(mine[0]["condition"], "septic_shock");
  EXPECT_FALSE(mine[0].contains("seed"));  // the case stays a surprise
  const Resp start = post(proj(p1_) + "/sim/sessions", {{"assignment", aid}, {"speed", 60}}, tok("trainee1"));
  ASSERT_EQ(start.status, 201) << start.body;
  EXPECT_EQ(post(proj(p1_) + "/sim/sessions", {{"assignment", aid}}, tok("trainee1")).status, 409);
  const std::string sid = std::to_string(start.json()["id"].get<int64_t>());
  ASSERT_EQ(post(proj(p1_) + "/sim/sessions/" + sid + "/actions", {{"text", "give 30 ml/kg crystalloid"}}, tok("trainee1")).status, 200);
  const Resp end = call("POST", proj(p1_) + "/sim/sessions/" + sid + "/end", "", tok("trainee1"));
  ASSERT_EQ(end.status, 200) << end.body;

  // The educator sees the score, in the assignments and in the sessions.
  nlohmann::json seen;
  for (const auto& x : get(url, tok("educator")).json())
    if (x["id"] == aid) seen = x;
  EXPECT_EQ(seen["state"], "ended") << seen;
  EXPECT_EQ(seen["trainee_name"], "trainee1");
  EXPECT_EQ(seen["score"], end.json()["score"]["percent"]) << seen;
  bool listed = false;
  for (const auto& x : get(proj(p1_) + "/sim/sessions", tok("educator")).json())
    listed = listed || (std::to_string(x["id"].get<int64_t>()) == sid && x["user_name"] == "trainee1" &&
                        x["score"] == end.json()["score"]["percent"]);
  EXPECT_TRUE(listed);
}

namespace {

// `tar` run as a user would pack a folder (symbolic links followed).
std::string tar_of(const std::string& parent, const std::string& folder, const std::string& flags = "-chzf") {
  const std::string out = temp_dir() + "/upload.tar";
  const std::string cmd = "tar " + flags + " '" + out + "' -C '" + parent + "' '" + folder + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::string bytes = medgen::read_file(out);
  fs::remove_all(fs::path(out).parent_path());
  return bytes;
}

}  // namespace

// A dataset of several tables (patients and their visits) through the whole release flow: an
// archive of the folder in, fit (keeping patients out), sample, evaluate with the server's gate,
// release, and the analyst's download of the synthetic folder as a tar.
TEST_F(ApiTest, RecordsDatasetsFromArchiveToRelease) {
  const std::string src = std::string(MEDGEN_SOURCE_DIR) + "/data/records";
  const Resp up = call("POST", proj(p1_) + "/datasets?name=pbc-records&format=records", tar_of(src, "pbc"), tok("steward"),
                       "application/gzip");
  ASSERT_EQ(up.status, 201) << up.body;
  const nlohmann::json dj = up.json();
  EXPECT_EQ(dj["format"], "records");
  EXPECT_EQ(dj["rows"], 418);  // patients
  EXPECT_EQ(dj["columns"], 2);  // tables
  EXPECT_FALSE(dj["notes"].empty());  // the inferred keys and times are said
  const int64_t d = dj["id"];
  // The analyst sees the tables' column names and types, not their values.
  const nlohmann::json seen = get(proj(p1_) + "/datasets/" + std::to_string(d), tok("analyst")).json();
  for (const auto& t : seen["schema"]["tables"])
    for (const auto& c : t["columns"]) EXPECT_EQ(c.size(), 2u) << c.dump();
  // The dataset schema is edited as a whole and checked against the tables.
  const Resp sch = get(proj(p1_) + "/datasets/" + std::to_string(d) + "/schema", tok("steward"));
  ASSERT_EQ(sch.status, 200) << sch.body;
  nlohmann::json edited = sch.json()["schema"];
  const std::string before = edited.dump();
  edited["tables"][1]["time"]["column"] = "dya";
  const Resp typo = call("PUT", proj(p1_) + "/datasets/" + std::to_string(d) + "/schema", edited.dump(), tok("steward"));
  EXPECT_EQ(typo.status, 400);
  EXPECT_NE(typo.body.find("dya"), std::string::npos) << typo.body;
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(d) + "/schema", tok("steward")).json()["schema"].dump(), before);
  EXPECT_EQ(call("PUT", proj(p1_) + "/datasets/" + std::to_string(d) + "/schema", before, tok("steward")).status, 200);
  // Tables and sequence options reach the children; conditions do not apply to records.
  EXPECT_EQ(post(proj(p1_) + "/jobs/fit", {{"dataset", d}, {"sequence_params", 3}}, tok("analyst")).status, 400);
  const Resp fit = post(proj(p1_) + "/jobs/fit", {{"dataset", d}, {"sequence_model", "independent"}, {"seed", 3}}, tok("analyst"));
  ASSERT_EQ(fit.status, 202) << fit.body;
  const nlohmann::json fj = wait_job(p1_, fit.json()["id"], tok("analyst"), 300);
  ASSERT_EQ(fj["state"], "succeeded") << fj.dump();
  const int64_t model = fj["result"]["model"];
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(fj["result"]["holdout"].get<int64_t>()), tok("analyst")).json()["rows"], 84);
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(fj["result"]["training"].get<int64_t>()), tok("analyst")).json()["rows"], 334);
  EXPECT_EQ(post(proj(p1_) + "/jobs/sample", {{"model", model}, {"rows", 50}, {"conditions", {"sex=f"}}}, tok("analyst")).status, 400);
  const Resp smp = post(proj(p1_) + "/jobs/sample", {{"model", model}, {"rows", 150}, {"seed", 4}}, tok("analyst"));
  ASSERT_EQ(smp.status, 202) << smp.body;
  const nlohmann::json sj = wait_job(p1_, smp.json()["id"], tok("analyst"), 300);
  ASSERT_EQ(sj["state"], "succeeded") << sj.dump();
  const int64_t syn = sj["result"]["dataset"];
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(syn), tok("analyst")).json()["format"], "records");
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(syn) + "/rows", tok("analyst")).status, 403);
  const Resp ev = post(proj(p1_) + "/jobs/evaluate", {{"synthetic", syn}}, tok("analyst"));
  ASSERT_EQ(ev.status, 202) << ev.body;
  const nlohmann::json ej = wait_job(p1_, ev.json()["id"], tok("analyst"), 300);
  ASSERT_EQ(ej["state"], "succeeded") << ej.dump();
  EXPECT_TRUE(ej["result"]["gate_passed"].get<bool>()) << ej.dump();
  EXPECT_EQ(ej["result"]["summary"]["entities"]["real"], 334);  // the training part, not the whole upload
  EXPECT_EQ(ej["result"]["summary"]["entities"]["holdout"], 84);
  EXPECT_TRUE(ej["result"]["summary"]["child_count_tvd"]["synthetic"].is_number());
  const Resp rel = post(proj(p1_) + "/releases", {{"dataset", syn}, {"evaluation", ev.json()["id"]}}, tok("analyst"));
  ASSERT_EQ(rel.status, 201) << rel.body;
  const std::string rid = std::to_string(rel.json()["id"].get<int64_t>());
  EXPECT_EQ(call("POST", proj(p1_) + "/releases/" + rid + "/approve", "", tok("steward")).status, 200);
  const Resp rows = get(proj(p1_) + "/datasets/" + std::to_string(syn) + "/rows", tok("analyst"));
  ASSERT_EQ(rows.status, 200);
  EXPECT_NE(rows.body.find("pbcseq.csv"), std::string::npos);
  EXPECT_NE(rows.body.find("dataset.json"), std::string::npos);
  EXPECT_EQ(get(proj(p1_) + "/datasets/" + std::to_string(d) + "/rows", tok("analyst")).status, 403);
}

// FHIR R4 in as a dataset; bad archives and bad datasets refused with the child's line, nothing stored.
TEST_F(ApiTest, RecordsUploadsFromFhirAndBadArchives) {
  const std::string src = std::string(MEDGEN_SOURCE_DIR) + "/data/records";
  // Bulk NDJSON (Patient, Encounter, Observation lines in one body), as `medgen sample` writes it.
  const std::string fdir = temp_dir();
  const std::string cli = MEDGEN_CLI;
  const std::string make = cli + " fit " + src + "/pbc --sequence-model independent -o " + fdir + "/m.medgen -q && " + cli +
                           " sample " + fdir + "/m.medgen -n 20 --format fhir-ndjson -o " + fdir + "/fhir -q && cat " + fdir +
                           "/fhir/*.ndjson > " + fdir + "/all.ndjson";
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  const Resp fhir = call("POST", proj(p1_) + "/datasets?name=bulk&format=fhir", medgen::read_file(fdir + "/all.ndjson"),
                         tok("steward"), "application/fhir+ndjson");
  fs::remove_all(fdir);
  ASSERT_EQ(fhir.status, 201) << fhir.body;
  EXPECT_EQ(fhir.json()["format"], "records");
  EXPECT_EQ(fhir.json()["rows"], 20);
  EXPECT_GE(fhir.json()["columns"].get<int64_t>(), 3);
  const size_t before = get(proj(p1_) + "/datasets", tok("steward")).json().size();
  auto refused = [&](const std::string& body, const std::string& format, const std::string& words) {
    const Resp r = call("POST", proj(p1_) + "/datasets?name=bad&format=" + format, body, tok("steward"), "application/octet-stream");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(*dir_), std::string::npos) << r.body;  // no server path
  };
  refused("not an archive at all", "records", "not an archive");
  refused("{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [{\"resource\": {\"resourceType\": \"Patient\", \"birthDate\": 12}}]}",
          "fhir", "Bundle.entry[0].resource");
  const std::string work = temp_dir();
  fs::create_directories(work + "/bad/deeper");
  medgen::write_file_atomic(work + "/bad/p.csv", "pid,age\nP1,40\nP2,50\n");
  medgen::write_file_atomic(work + "/bad/v.csv", "pid,day,hb\nP1,0,12.1\nP9,10,12.5\nP1,20,11\n");
  refused(tar_of(work, "bad", "-czf"), "records", "dangling");
  medgen::write_file_atomic(work + "/bad/deeper/x.csv", "a\n1\n");
  refused(tar_of(work, "bad", "-czf"), "records", "sub-folders");
  fs::remove_all(work + "/bad/deeper");
  medgen::write_file_atomic(work + "/bad/notes.txt", "hello");
  refused(tar_of(work, "bad", "-czf"), "records", "notes.txt");
  fs::remove_all(work);
  EXPECT_EQ(get(proj(p1_) + "/datasets", tok("steward")).json().size(), before);
  EXPECT_EQ(call("POST", proj(p1_) + "/datasets?name=x&format=xlsx", "a\n1\n", tok("steward"), "text/csv").status, 400);
}

// Abandoned virtual patients (no request, no open monitor) end when someone next starts one, so
// they do not hold a trainee's cap; scored as they stood, marked idle.
TEST(ApiSim, IdleSessionsAreEndedAndFreeTheCap) {
  const std::string dir = temp_dir();
  medgen::server::ServerConfig cfg;
  cfg.data_dir = dir + "/data";
  cfg.work_dir = dir + "/work";
  cfg.medgen_exe = MEDGEN_CLI;
  cfg.sim_data = std::string(MEDGEN_SOURCE_DIR) + "/data/sim";
  cfg.password_cost = {1, size_t{8} << 20};
  cfg.max_sim_sessions_per_user = 1;
  cfg.sim_idle_minutes = 0.02;  // 1.2 s
  {
    TestServer server(cfg);
    auto call = [&](const std::string& method, const std::string& target, const nlohmann::json& body, const std::string& token) {
      return http_call(server.port(), method, target, body.is_null() ? "" : body.dump(), token, "application/json");
    };
    const std::string admin =
        call("POST", "/api/v1/login", {{"user", "admin"}, {"password", server.admin_password()}}, "").json()["token"];
    const int64_t p = call("POST", "/api/v1/projects", {{"name", "ward"}}, admin).json()["id"];
    const int64_t u = call("POST", "/api/v1/users", {{"name", "t"}, {"password", "trainee-password-1"}}, admin).json()["id"];
    ASSERT_EQ(call("PUT", "/api/v1/projects/" + std::to_string(p) + "/members/" + std::to_string(u), {{"role", "trainee"}}, admin).status, 200);
    const std::string t = call("POST", "/api/v1/login", {{"user", "t"}, {"password", "trainee-password-1"}}, "").json()["token"];
    const std::string base = "/api/v1/projects/" + std::to_string(p) + "/sim/sessions";
    const Resp a = call("POST", base, {{"condition", "anaphylaxis"}, {"seed", 1}}, t);
    ASSERT_EQ(a.status, 201) << a.body;
    EXPECT_EQ(call("POST", base, {{"condition", "anaphylaxis"}, {"seed", 2}}, t).status, 429);  // the cap, while a is in use
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const Resp b = call("POST", base, {{"condition", "anaphylaxis"}, {"seed", 3}}, t);
    ASSERT_EQ(b.status, 201) << b.body;
    const std::string aid = std::to_string(a.json()["id"].get<int64_t>());
    EXPECT_EQ(call("POST", base + "/" + aid + "/end", nullptr, t).status, 409);  // already ended
    const Resp ra = call("GET", base + "/" + aid, nullptr, t);
    ASSERT_EQ(ra.status, 200) << ra.body;
    EXPECT_NE(ra.body.find("\"idle\""), std::string::npos) << ra.body;
  }
  fs::remove_all(dir);
}
