// The Store's two backends for parameterised tests (TEST_P over Backend), and SQL run beside
// the Store with a connection of its own: what another process, or someone holding the
// database file or a database login, could do.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <stdlib.h>

#include <ostream>
#include <pqxx/pqxx>
#include <string>

#include "medgen/core/file.h"
#include "medgen/server/store.h"
#include "pg_test_server.h"

namespace medgen::test {

enum class Backend { kSqlite, kPostgres };

inline void PrintTo(Backend backend, std::ostream* os) { *os << (backend == Backend::kSqlite ? "sqlite" : "postgres"); }
inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return ::testing::PrintToString(info.param);
}

// A Store's database: SQLite in the data folder, or a PostgreSQL database of its own, dropped
// with this object (the Store using it must be closed first).
// A fresh folder under /tmp, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::string t = "/tmp/medgen-store-XXXXXX";
    if (::mkdtemp(&t[0])) path_ = t;
  }
  ~TempDir() { medgen::remove_path_recursively(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct TestDatabase {
  Backend backend = Backend::kSqlite;
  std::string dir;       // the data folder
  std::string database;  // Store's second argument: "" for SQLite

  // A fresh one for `dir` (PostgreSQL: a new database on the test server), empty or, with
  // `migrated`, as a Store leaves it when it first opens it.
  static TestDatabase make(Backend backend, const std::string& dir, bool migrated = false) {
    if (backend == Backend::kSqlite) return {backend, dir, ""};
    PgTestServer& pg = PgTestServer::get();
    return {backend, dir, migrated ? pg.copy_database(migrated_template()) : pg.create_database()};
  }
  // A copy of `from`'s database for `dir`; SQLite's is the file in the data folder, copied with it.
  static TestDatabase copy(const TestDatabase& from, const std::string& dir) {
    return {from.backend, dir,
            from.backend == Backend::kPostgres ? PgTestServer::get().copy_database(from.database) : ""};
  }

  TestDatabase() = default;
  TestDatabase(Backend b, std::string d, std::string db) : backend(b), dir(std::move(d)), database(std::move(db)) {}
  TestDatabase(TestDatabase&& o) noexcept { *this = std::move(o); }
  TestDatabase& operator=(TestDatabase&& o) noexcept {
    if (this != &o) {
      drop();
      backend = o.backend;
      dir = std::move(o.dir);
      database = std::move(o.database);
      o.database.clear();
    }
    return *this;
  }
  ~TestDatabase() { drop(); }

  // Runs `sql` (one or more statements); false when the database refused it.
  bool sql(const std::string& sql) const {
    if (backend == Backend::kPostgres) {
      try {
        pqxx::connection c(database);
        pqxx::nontransaction(c).exec(sql);
        return true;
      } catch (const pqxx::sql_error&) {
        return false;
      }
    }
    sqlite3* db = nullptr;
    int rc = sqlite3_open((dir + "/medgen.db").c_str(), &db);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc == SQLITE_OK;
  }

  // The first column of the first row, as text ("" when there is none).
  std::string value(const std::string& sql) const {
    if (backend == Backend::kPostgres) {
      pqxx::connection c(database);
      const pqxx::result r = pqxx::nontransaction(c).exec(sql);
      return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
    }
    sqlite3* db = nullptr;
    sqlite3_open((dir + "/medgen.db").c_str(), &db);
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_text(s, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }

  // Sets the schema version the way each dialect records it.
  bool set_schema_version(int version) const {
    return sql(backend == Backend::kSqlite ? "PRAGMA user_version = " + std::to_string(version)
                                           : "UPDATE medgen_schema SET version = " + std::to_string(version));
  }
  std::string schema_version() const {
    return value(backend == Backend::kSqlite ? "PRAGMA user_version" : "SELECT version FROM medgen_schema");
  }

 private:
  // Migrating takes PostgreSQL ~0.1 s; tests that need not see it start from a copy of a
  // database migrated once per server.
  static std::string migrated_template() {
    static const std::string conninfo = PgTestServer::get().shared_database(
        "migrated_v" + std::to_string(server::Store::latest_schema_version()),
        [](const std::string& empty) { server::Store migrating("/tmp", empty); });  // writes nothing in /tmp
    return conninfo;
  }
  void drop() noexcept {
    if (!database.empty()) PgTestServer::get().drop_database(database);
  }
};

}  // namespace medgen::test
