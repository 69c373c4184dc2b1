#include <sqlite3.h>

#include "db.h"
#include "medgen/core/error.h"

namespace medgen::server::db {

namespace {

// A constraint can only fail on what the caller passed (the Store's checks catch the common
// cases with a better message first); anything else is the database or its disk.
[[noreturn]] void fail(sqlite3* db, const std::string& name, int rc) {
  const std::string where = name + ": ";
  const std::string what = sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: throw InvalidInput(where + what);
    case SQLITE_FULL: throw IoError(where + "disk full (" + what + ")");
    default: throw IoError(where + what);
  }
}

class SqliteStatement : public Statement {
 public:
  SqliteStatement(sqlite3* db, const std::string& name, const std::string& sql) : db_(db), name_(name) {
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size() + 1), &stmt_, nullptr);
    if (rc != SQLITE_OK) fail(db_, name_, rc);
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind_text(std::string_view v) override {
    check(sqlite3_bind_text64(stmt_, ++param_, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind_int(int64_t v) override { check(sqlite3_bind_int64(stmt_, ++param_, v)); }
  void bind_real(double v) override { check(sqlite3_bind_double(stmt_, ++param_, v)); }
  void bind_null() override { check(sqlite3_bind_null(stmt_, ++param_)); }

  bool step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, name_, rc);
  }

  int64_t get_int(int col) override { return sqlite3_column_int64(stmt_, col); }
  double get_real(int col) override { return sqlite3_column_double(stmt_, col); }
  std::string get_text(int col) override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    const int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(p, static_cast<size_t>(n)) : std::string();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(db_, name_, rc);
  }
  sqlite3* db_;
  const std::string& name_;
  sqlite3_stmt* stmt_ = nullptr;
  int param_ = 0;
};

class SqliteConnection : public Connection {
 public:
  SqliteConnection(const std::string& path, bool read_only) : name_(path) {
    const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_FULLMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    try {
      if (rc != SQLITE_OK) throw IoError(path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
      sqlite3_extended_result_codes(db_, 1);
      sqlite3_busy_timeout(db_, 5000);
      if (!read_only) {
        exec("PRAGMA journal_mode = WAL");
        exec("PRAGMA foreign_keys = ON");
        exec("PRAGMA synchronous = FULL");
      }
    } catch (...) {
      sqlite3_close_v2(db_);
      throw;
    }
  }
  ~SqliteConnection() override { sqlite3_close_v2(db_); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& name() const override { return name_; }

  // Writers take the write lock up front (IMMEDIATE): a busy database is waited for at BEGIN,
  // not half-way, and what they read to decide stays true until they commit.
  void begin(TxMode mode) override { exec(mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); }
  void commit() override { exec("COMMIT"); }
  // A failed COMMIT leaves the transaction open; it is rolled back here too.
  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  void exec(const std::string& sql) override {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(db_, name_, rc);
  }
  std::unique_ptr<Statement> prepare(const std::string& sql) override {
    return std::make_unique<SqliteStatement>(db_, name_, sql);
  }
  int64_t changes() override { return sqlite3_changes(db_); }

  void lock_exclusive(const std::string&) override {}

  int schema_version() override {
    SqliteStatement s(db_, name_, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.get_int(0));
  }
  void set_schema_version(int version) override { exec("PRAGMA user_version = " + std::to_string(version)); }

 private:
  std::string name_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path, bool read_only) {
  return std::make_unique<SqliteConnection>(path, read_only);
}

}  // namespace medgen::server::db
