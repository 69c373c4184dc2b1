// A real PostgreSQL server for the store and audit tests (tests/server/pg_server.sh makes it).
// Under ctest, the medgen_postgres fixture starts one for the whole run and names its folder in
// $MEDGEN_TEST_PG_DIR; otherwise the test program starts its own on first use, in a temporary
// folder, and stops and removes it when the program ends. Each test takes databases of its own.
//
// When the server cannot be started (PostgreSQL is not installed, say) get() throws with the
// reason, so every PostgreSQL test fails saying so; none is skipped.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

namespace medgen::test {

class PgTestServer {
 public:
  static PgTestServer& get() {
    static PgTestServer server;
    return server;
  }

  // The connection string of database `dbname` (it ends with the name).
  std::string conninfo(const std::string& dbname) const {
    return "host=" + dir_ + " port=5432 user=medgen dbname=" + dbname;
  }
  // A new empty database: its libpq connection string.
  std::string create_database() { return copy_database(conninfo("template1")); }
  // A new database copied from the one `from_conninfo` names (nobody may be connected to it).
  std::string copy_database(const std::string& from_conninfo) {
    const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
    exec("CREATE DATABASE " + name + " TEMPLATE " + dbname(from_conninfo) + strategy_);
    return conninfo(name);
  }
  // Drops it, quietly: it is only disk space.
  void drop_database(const std::string& conninfo) noexcept {
    try {
      exec("DROP DATABASE IF EXISTS " + dbname(conninfo));
    } catch (const std::exception&) {
    }
  }
  // The database `name`, made once per server by `make` from an empty one (which `make` must
  // leave without connections); the processes sharing the server take turns.
  template <class F>
  std::string shared_database(const std::string& name, F&& make) {
    exec("SELECT pg_advisory_lock(7311)");
    try {
      if (pqxx::nontransaction(*admin_).exec("SELECT 1 FROM pg_database WHERE datname = '" + name + "'").empty()) {
        const std::string made = create_database();
        make(made);
        exec("ALTER DATABASE " + dbname(made) + " RENAME TO " + name);
      }
    } catch (...) {
      exec("SELECT pg_advisory_unlock(7311)");
      throw;
    }
    exec("SELECT pg_advisory_unlock(7311)");
    return conninfo(name);
  }

  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;
  ~PgTestServer() {
    admin_.reset();
    if (own_) script("stop");
  }

 private:
  PgTestServer() {
    if (const char* shared = std::getenv("MEDGEN_TEST_PG_DIR"); shared && *shared) {
      dir_ = shared;
    } else {
      std::string t = "/tmp/medgen-pg-XXXXXX";
      if (!::mkdtemp(&t[0])) throw std::runtime_error("PostgreSQL tests: cannot make a temporary folder");
      dir_ = t;
      own_ = true;
      if (!script("start")) {
        script("stop");
        throw std::runtime_error("PostgreSQL tests: the server did not start (stderr says why)");
      }
    }
    try {
      admin_ = std::make_unique<pqxx::connection>(conninfo("postgres"));
    } catch (const std::exception& e) {
      throw std::runtime_error("PostgreSQL tests: no server in " + dir_ + " (" + e.what() + ")");
    }
    // Copying the files is ~10 times faster than the WAL-logged copy PostgreSQL 15 made default.
    if (admin_->server_version() >= 150000) strategy_ = " STRATEGY FILE_COPY";
  }

  static std::string dbname(const std::string& conninfo) { return conninfo.substr(conninfo.rfind('=') + 1); }

  void exec(const std::string& sql) { pqxx::nontransaction(*admin_).exec(sql); }

  bool script(const char* command) const {
    const std::string line = std::string(MEDGEN_SOURCE_DIR) + "/tests/server/pg_server.sh " + command + " " + dir_;
    return std::system(line.c_str()) == 0;
  }

  std::string dir_;
  bool own_ = false;
  std::unique_ptr<pqxx::connection> admin_;  // to database "postgres", for creating and dropping
  std::string strategy_;
  std::atomic<int> databases_{0};
};

}  // namespace medgen::test
