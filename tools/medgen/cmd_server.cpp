// medgen serve (the HTTP API, docs/server.md), medgen audit verify, medgen server-key (create,
// rotate): argument parsing only; the work is in src/server/.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "medgen/core/error.h"
#include "medgen/eval/gate.h"
#include "medgen/server/api.h"
#include "medgen/server/secrets.h"
#include "medgen/server/store.h"
#include "options.h"

namespace medgen {
namespace {

cli::Command add_serve_command(CLI::App& app) {
  static server::ServerConfig cfg;
  static int max_body_mb = 256;
  auto* cmd = app.add_subcommand("serve", "run the HTTP API (accounts, roles, audit, jobs, live virtual patients)");
  cmd->add_option("--data-dir", cfg.data_dir, "folder for the database, encrypted files and audit head")->capture_default_str();
  cmd->add_option("--database", cfg.database,
                  "PostgreSQL connection string or URI, for servers sharing one database (default: SQLite in DATA_DIR)");
  cmd->add_option("--host", cfg.http.host, "address to listen on")->capture_default_str();
  cli::add_integer<int>(cmd, "--port", &cfg.http.port, "TCP port (0: any free one)", 0, 65535)->capture_default_str();
  cli::add_integer<int>(cmd, "--threads", &cfg.http.threads, "HTTP threads", 1, 256)->capture_default_str();
  cli::add_integer<int>(cmd, "--workers", &cfg.workers, "jobs running at once", 1, 64)->capture_default_str();
  cli::add_integer<size_t>(cmd, "--queue", &cfg.queue, "jobs waiting at most (more: 429)", 1, 100000)->capture_default_str();
  cmd->add_option("--runner-id", cfg.runner_id,
                  "this process's name on the jobs it runs (servers sharing a database; default host:pid:random)");
  cli::add_integer<int>(cmd, "--job-lease", &cfg.job_lease_s,
                        "seconds without a heartbeat after which another server requeues a running job", 4, 86400)
      ->capture_default_str();
  cmd->add_option("--key-file", cfg.key_file,
                  "encryption key (64 hex characters, mode 600); default $MEDGEN_SERVER_KEY, else DATA_DIR/server.key");
  cmd->add_option("--tls-cert", cfg.http.tls_cert, "PEM certificate chain: serve HTTPS and WSS only");
  cmd->add_option("--tls-key", cfg.http.tls_key, "PEM private key of --tls-cert");
  cli::add_integer<int>(cmd, "--token-hours", &cfg.token_ttl_hours, "lifetime of login tokens", 1, 720)->capture_default_str();
  cli::add_integer<int>(cmd, "--max-body-mb", &max_body_mb, "largest request body (MiB)", 1, 4096)->capture_default_str();
  cli::add_integer<int>(cmd, "--max-sim-sessions", &cfg.max_sim_sessions, "live virtual patients at once", 1, 100000)
      ->capture_default_str();
  cli::add_real(cmd, "--sim-idle-minutes", &cfg.sim_idle_minutes,
                "end live virtual patients untouched this long (no request, no open monitor)", 0.01, 10080);
  static std::string gate_file;
  cmd->add_option("--gate", gate_file, "release gate JSON (docs/evaluation.md; default: the evaluation's defaults)");
  cmd->add_option("--work-dir", cfg.work_dir,
                  "jobs' plaintext scratch folder (default: /dev/shm/medgen-KEYID, in memory; else DATA_DIR/work)");
  cmd->add_option("--sim-data", cfg.sim_data, "the simulator's catalog folder (default: the embedded data/sim)");
  cli::Command c;
  c.app = cmd;
  c.run = [] {
    cfg.http.max_body_bytes = static_cast<uint64_t>(max_body_mb) << 20;
    if (!gate_file.empty()) cfg.gate = eval::Gate::read(gate_file).to_json();
    return server::serve(cfg);
  };
  return c;
}

cli::Command add_audit_command(CLI::App& app) {
  static std::string data_dir = "medgen-data", database;
  static bool json = false;
  auto* cmd = app.add_subcommand("audit", "check a server's audit trail");
  cmd->require_subcommand(1);
  auto* verify = cmd->add_subcommand("verify", "recompute the hash chain; exit 3 when an entry was edited, removed or reordered");
  verify->add_option("--data-dir", data_dir, "the server's data folder")->capture_default_str();
  verify->add_option("--database", database, "the server's --database (default: SQLite in DATA_DIR)");
  verify->add_flag("--json", json, "the verdict as JSON on stdout");
  cli::Command c;
  c.app = cmd;
  c.run = [] {
    const server::AuditVerdict v = server::verify_audit_dir(data_dir, database);
    if (json)
      std::printf("%s\n", nlohmann::json{{"ok", v.ok}, {"entries", v.entries}, {"first_bad", v.first_bad},
                                         {"message", v.message}}.dump().c_str());
    else if (v.ok)
      std::printf("audit trail intact: %lld entries\n", static_cast<long long>(v.entries));
    else
      std::printf("audit trail BROKEN: %s\n", v.message.c_str());
    return v.ok ? 0 : 3;
  };
  return c;
}

cli::Command add_server_key_command(CLI::App& app) {
  static std::string file, data_dir = "medgen-data", old_key, new_key;
  auto* cmd = app.add_subcommand("server-key", "encryption keys of a server's data: create one, rotate to a new one");
  cmd->require_subcommand(1);
  auto* create = cmd->add_subcommand("create", "write a new random key file (mode 600)");
  create->add_option("file", file, "key file to create")->required();
  auto* rotate = cmd->add_subcommand("rotate", "re-encrypt every encrypted file of a (stopped) server under a new key");
  rotate->add_option("--data-dir", data_dir, "the server's data folder")->capture_default_str();
  rotate->add_option("--old-key-file", old_key, "the key in use")->required();
  rotate->add_option("--new-key-file", new_key, "the key to move to")->required();
  cli::Command c;
  c.app = cmd;
  c.run = [create] {
    if (create->parsed()) {
      const server::Key k = server::create_key_file(file);
      std::printf("key %s written to %s\n", k.id.c_str(), file.c_str());
      return 0;
    }
    const server::Key from = server::load_key_file(old_key), to = server::load_key_file(new_key);
    const size_t n = server::rotate_data_key(data_dir, from, to);
    std::printf("re-encrypted %zu files under key %s\n", n, to.id.c_str());
    return 0;
  };
  return c;
}

MEDGEN_CLI_COMMAND(add_serve_command);
MEDGEN_CLI_COMMAND(add_audit_command);
MEDGEN_CLI_COMMAND(add_server_key_command);

}  // namespace
}  // namespace medgen
