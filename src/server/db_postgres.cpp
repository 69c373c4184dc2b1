#include <libpq-fe.h>

#include <cstdio>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <vector>

#include "db.h"
#include "medgen/core/error.h"

namespace medgen::server::db {

namespace {

// What messages call the server: user, host, port and database of the connection string,
// never its password. libpq echoes a malformed URI whole in its complaint, so that is not
// repeated either.
struct ConnInfo {
  std::string name;
  std::string password;  // scrubbed from every message that might quote it
};

ConnInfo parse_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    PQfreemem(err);
    throw IoError("PostgreSQL: the connection string is malformed (libpq cannot parse it)");
  }
  std::string user, host, port, dbname;
  ConnInfo info;
  for (const PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string key = o->keyword;
    if (key == "user") user = o->val;
    if (key == "host" || (key == "hostaddr" && host.empty())) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") dbname = o->val;
    if (key == "password") info.password = o->val;
  }
  PQconninfoFree(opts);
  info.name = "PostgreSQL " + (user.empty() ? "" : user + "@") + (host.empty() ? "localhost" : host) +
              (port.empty() ? "" : ":" + port) + "/" + (dbname.empty() ? "(default database)" : dbname);
  return info;
}

// The first line of a libpq message without its severity ("ERROR:  ..."), the password
// replaced wherever it appears.
std::string clean_message(std::string what, const std::string& password) {
  what = what.substr(0, what.find('\n'));
  for (const char* severity : {"ERROR:  ", "FATAL:  "})
    if (what.rfind(severity, 0) == 0) what.erase(0, std::string(severity).size());
  if (!password.empty())
    for (size_t at = what.find(password); at != std::string::npos; at = what.find(password, at + 3))
      what.replace(at, password.size(), "***");
  return what;
}

// The last "quoted" name in a message: the constraint in PostgreSQL's constraint errors.
std::string last_quoted(const std::string& message) {
  const size_t close = message.rfind('"');
  if (close == std::string::npos || close == 0) return "";
  const size_t open = message.rfind('"', close - 1);
  return open == std::string::npos ? "" : message.substr(open + 1, close - open - 1);
}

// Called in a catch block: the exception in flight as the Store's errors, worded as SQLite
// words them where the two mean the same.
[[noreturn]] void rethrow(const ConnInfo& info) {
  try {
    throw;
  } catch (const medgen::Error&) {
    throw;
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    const std::string what = clean_message(e.what(), info.password);
    const std::string where = info.name + ": ";
    if (state == "23505") throw InvalidInput(where + "UNIQUE constraint failed: " + last_quoted(what));
    if (state == "23503") throw InvalidInput(where + "FOREIGN KEY constraint failed");
    if (state == "23514") throw InvalidInput(where + "CHECK constraint failed: " + last_quoted(what));
    if (state == "23502") throw InvalidInput(where + "NOT NULL constraint failed: " + what);
    // Other integrity errors (the audit triggers raise 23000) and data exceptions (invalid
    // UTF-8, a number out of range) are about what was written, not the database.
    if (state.rfind("23", 0) == 0 || state.rfind("22", 0) == 0) throw InvalidInput(where + what);
    if (state == "53100") throw IoError(where + "disk full (" + what + ")");
    throw IoError(where + what);
  } catch (const pqxx::broken_connection& e) {
    throw IoError(info.name + ": connection lost (" + clean_message(e.what(), info.password) + ")");
  } catch (const pqxx::in_doubt_error& e) {
    throw IoError(info.name + ": the commit's outcome is unknown (" + clean_message(e.what(), info.password) + ")");
  } catch (const std::exception& e) {
    throw IoError(info.name + ": " + clean_message(e.what(), info.password));
  }
}

// `?` outside quotes becomes $1, $2, ...
std::string number_parameters(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool quoted = false;
  for (const char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted)
      out += "$" + std::to_string(++n);
    else
      out += c;
  }
  return out;
}

// A stable key for pg_advisory_xact_lock (FNV-1a of the name).
int64_t lock_key(const std::string& name) {
  uint64_t h = 14695981039346656037ull;
  for (const char c : "medgen." + name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h);
}

class PostgresConnection;

// Runs when first stepped, in the connection's transaction of that moment, and holds the whole
// result (the Store reads small results).
class PostgresStatement : public Statement {
 public:
  PostgresStatement(PostgresConnection& conn, std::string sql) : conn_(conn), sql_(std::move(sql)) {}

  void bind_text(std::string_view v) override;
  void bind_int(int64_t v) override { add(std::to_string(v)); }
  void bind_real(double v) override {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    add(buf);
  }
  void bind_null() override {
    values_.emplace_back();
    null_.push_back(true);
  }
  bool step() override;
  int64_t get_int(int col) override {
    const pqxx::field f = field(col);
    return f.is_null() ? 0 : convert([&] { return f.as<int64_t>(); });
  }
  double get_real(int col) override {
    const pqxx::field f = field(col);
    return f.is_null() ? 0.0 : convert([&] { return f.as<double>(); });
  }
  std::string get_text(int col) override {
    const pqxx::field f = field(col);
    return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
  }

 private:
  void add(std::string v) {
    values_.push_back(std::move(v));
    null_.push_back(false);
  }
  pqxx::field field(int col) { return result_[static_cast<pqxx::result::size_type>(row_)][col]; }
  template <class F>
  auto convert(F&& f) -> decltype(f());

  PostgresConnection& conn_;
  std::string sql_;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  bool executed_ = false;
  pqxx::result result_;
  int64_t row_ = -1;
};

class PostgresConnection : public Connection {
 public:
  explicit PostgresConnection(const std::string& conninfo) : info_(parse_conninfo(conninfo)) {
    try {
      conn_ = std::make_unique<pqxx::connection>(conninfo);
      // set_variable: libpqxx sets them again should it reconnect. Notices ("table already
      // exists, skipping") would go to the server's stderr.
      conn_->set_variable("client_encoding", "'UTF8'");
      conn_->set_variable("client_min_messages", "warning");
    } catch (const pqxx::broken_connection& e) {
      throw IoError(info_.name + ": cannot connect (" + clean_message(e.what(), info_.password) + ")");
    } catch (...) {
      rethrow(info_);
    }
  }
  ~PostgresConnection() override { rollback(); }

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& name() const override { return info_.name; }

  // Writers read committed: after lock_exclusive they see what the previous holder committed.
  // Readers get one snapshot, as SQLite's read transactions do.
  void begin(TxMode mode) override {
    if (tx_) throw std::logic_error("PostgresConnection::begin: a transaction is open");
    try {
      if (mode == TxMode::kWrite)
        tx_ = std::make_unique<pqxx::work>(*conn_);
      else
        tx_ = std::make_unique<pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>>(*conn_);
    } catch (...) {
      rethrow(info_);
    }
  }
  void commit() override {
    const std::unique_ptr<pqxx::transaction_base> tx = std::move(tx_);
    try {
      tx->commit();
    } catch (...) {
      rethrow(info_);
    }
  }
  void rollback() noexcept override {
    if (!tx_) return;
    try {
      tx_->abort();
    } catch (...) {  // a broken connection: the server rolls back what it had
    }
    tx_.reset();
  }

  void exec(const std::string& sql) override {
    try {
      changes_ = static_cast<int64_t>(tx().exec(sql).affected_rows());
    } catch (...) {
      rethrow(info_);
    }
  }
  std::unique_ptr<Statement> prepare(const std::string& sql) override {
    return std::make_unique<PostgresStatement>(*this, number_parameters(sql));
  }
  int64_t changes() override { return changes_; }

  // An advisory lock: every medgen process takes it before writing what it guards (the audit
  // chain's next entry, a migration), while readers go on.
  void lock_exclusive(const std::string& name) override {
    PostgresStatement s(*this, "SELECT pg_advisory_xact_lock($1)");
    s.bind_int(lock_key(name));
    s.step();
  }

  int schema_version() override {
    PostgresStatement exists(*this, "SELECT to_regclass('medgen_schema') IS NOT NULL");
    exists.step();
    if (exists.get_text(0) != "t") return 0;
    PostgresStatement s(*this, "SELECT version FROM medgen_schema");
    return s.step() ? static_cast<int>(s.get_int(0)) : 0;
  }
  void set_schema_version(int version) override {
    exec("CREATE TABLE IF NOT EXISTS medgen_schema (version INTEGER NOT NULL); DELETE FROM medgen_schema; "
         "INSERT INTO medgen_schema (version) VALUES (" + std::to_string(version) + ")");
  }

  pqxx::transaction_base& tx() {
    if (!tx_) throw std::logic_error("PostgreSQL statement outside a transaction");
    return *tx_;
  }
  const ConnInfo& info() const { return info_; }
  void set_changes(int64_t n) { changes_ = n; }

 private:
  ConnInfo info_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::transaction_base> tx_;
  int64_t changes_ = 0;
};

void PostgresStatement::bind_text(std::string_view v) {
  // libpq passes text as C strings; PostgreSQL's text cannot hold a NUL anyway.
  if (v.find('\0') != std::string_view::npos)
    throw InvalidInput(conn_.name() + ": text with a NUL byte cannot be stored");
  add(std::string(v));
}

bool PostgresStatement::step() {
  if (!executed_) {
    executed_ = true;
    std::vector<const char*> params(values_.size());
    for (size_t i = 0; i < values_.size(); ++i) params[i] = null_[i] ? nullptr : values_[i].c_str();
    try {
      result_ = conn_.tx().exec_params(sql_, pqxx::prepare::make_dynamic_params(params));
    } catch (...) {
      rethrow(conn_.info());
    }
    conn_.set_changes(static_cast<int64_t>(result_.affected_rows()));
  }
  return ++row_ < static_cast<int64_t>(result_.size());
}

template <class F>
auto PostgresStatement::convert(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    rethrow(conn_.info());
  }
}

}  // namespace

std::unique_ptr<Connection> open_postgres(const std::string& conninfo) {
  return std::make_unique<PostgresConnection>(conninfo);
}

}  // namespace medgen::server::db
