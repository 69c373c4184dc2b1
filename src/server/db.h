// The SQL engines under the Store (store.h): SQLite for one server, PostgreSQL for several
// server processes sharing one database. The Store's SQL is written once, with `?` for
// parameters; the PostgreSQL connection numbers them ($1, $2, ...).
//
// Errors: IoError when the database cannot be reached, read or written (the message names the
// database, never a password); InvalidInput when a constraint refused what the caller wrote
// (UNIQUE, FOREIGN KEY, CHECK, NOT NULL, a trigger's refusal) or, on PostgreSQL, text it cannot
// store (a NUL byte, invalid UTF-8).
//
// A Connection is used by one thread at a time (the Store's mutex sees to that).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace medgen::server::db {

enum class Dialect { kSqlite, kPostgres };

// kRead sees one snapshot of the database; kWrite may also write. On SQLite a write transaction
// takes the database's write lock at BEGIN, so what it read stays true until it commits.
enum class TxMode { kRead, kWrite };

// A statement with its parameters bound in order (bind_*). step() runs it on the first call and
// returns true while there is a row to read; the getters read that row's column `col` (0-based),
// NULL reading as 0 or "".
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bind_text(std::string_view v) = 0;
  virtual void bind_int(int64_t v) = 0;
  virtual void bind_real(double v) = 0;
  virtual void bind_null() = 0;
  virtual bool step() = 0;
  virtual int64_t get_int(int col) = 0;
  virtual double get_real(int col) = 0;
  virtual std::string get_text(int col) = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // What messages call the database: the file's path, or the server and database name.
  virtual const std::string& name() const = 0;

  // Statements run inside a transaction, begun here and ended by commit() or rollback();
  // rollback() outside one does nothing, and never throws.
  virtual void begin(TxMode mode) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;

  // Runs one or more statements without parameters or results.
  virtual void exec(const std::string& sql) = 0;
  virtual std::unique_ptr<Statement> prepare(const std::string& sql) = 0;
  // Rows the last INSERT, UPDATE or DELETE changed.
  virtual int64_t changes() = 0;

  // Inside a write transaction, until it ends: no other connection holds lock `name`.
  // SQLite's write transaction already excludes every other writer, so it does nothing there.
  virtual void lock_exclusive(const std::string& name) = 0;

  // The number of the last migration applied (0 for a database without medgen's schema):
  // SQLite's PRAGMA user_version, PostgreSQL's table medgen_schema. Setting it needs a write
  // transaction.
  virtual int schema_version() = 0;
  virtual void set_schema_version(int version) = 0;
};

// Opens (creating when absent, unless read_only) the SQLite database at `path`: WAL journal,
// foreign keys on, synchronous FULL, 5 s of waiting for another process's lock.
std::unique_ptr<Connection> open_sqlite(const std::string& path, bool read_only);

// Connects to PostgreSQL with a libpq connection string ("host=... dbname=...") or URI
// ("postgresql://..."). The database must exist.
std::unique_ptr<Connection> open_postgres(const std::string& conninfo);

}  // namespace medgen::server::db
