// medgen command-line program: builds the subcommands (cmd_*.cpp, on the common options of
// options.h), parses, runs the one given, and maps errors to exit codes. No work of its own.
#include <cstdio>

#include <malloc.h>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "medgen/core/error.h"
#include "medgen/core/version.h"
#include "medgen/tabular/neural.h"  // Interrupted
#include "commands.h"
#include "options.h"

using namespace medgen;
using medgen::tabular::Interrupted;

namespace {

int run(int argc, char** argv) {
  CLI::App app{"medgen " MEDGEN_VERSION ": generative models for healthcare data"};
  app.set_version_flag("--version", MEDGEN_VERSION);
  app.require_subcommand(1);

  std::vector<cli::Command> commands = cli::add_tabular_commands(app);
  // Subcommands of the other modules (tools/medgen/cmd_*.cpp).
  for (cli::CommandAdder add : cli::command_adders()) commands.push_back(add(app));

  // Old spellings kept for one release (e.g. evaluate's `--json FILE`), rewritten with a note.
  const std::vector<std::string> args = cli::rewrite_legacy_arguments(std::vector<std::string>(argv, argv + argc));
  std::vector<char*> argp;
  for (const std::string& a : args) argp.push_back(const_cast<char*>(a.c_str()));
  try {
    app.parse(static_cast<int>(argp.size()), argp.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "medgen: %s (see --help)\n", e.what());
    return 2;
  }
  for (const cli::Command& c : commands)
    if (c.app->parsed()) return c.run();
  return 1;
}

}  // namespace

medgen::cli::DatasetHooks& medgen::cli::dataset_hooks() {
  static DatasetHooks hooks;
  return hooks;
}

bool medgen::cli::is_folder(const std::string& path) {
  std::error_code ec;
  return !path.empty() && std::filesystem::is_directory(path, ec);
}

std::vector<medgen::cli::CommandAdder>& medgen::cli::command_adders() {
  static std::vector<CommandAdder> adders;
  return adders;
}

// glibc's allocator returns freed memory at the top of the heap to the OS once more than a few
// hundred kB are free, and serves blocks above 128 kB (a growing threshold) with mmap: the
// neural samplers' per-batch temporaries (0.5-2 MB) were then page-faulted in again batch after
// batch (ctgan: 200,000 adult rows in 4.5-5.6 s, 3.6 s with these settings; docs/benchmarks.md).
// The command-line tool keeps up to 256 MB of freed memory and maps only blocks above 32 MB;
// the library leaves the allocator to its host.
static void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

int main(int argc, char** argv) {
  tune_allocator();
  try {
    return run(argc, argv);
  } catch (const InvalidInput& e) {
    std::fprintf(stderr, "medgen: error: %s\n", e.what());
  } catch (const IoError& e) {
    std::fprintf(stderr, "medgen: error: %s\n", e.what());
  } catch (const ModelFormat& e) {
    std::fprintf(stderr, "medgen: error: %s\n", e.what());
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "medgen: %s\n", e.what());
    return 128 + e.signo();  // 130 SIGINT, 143 SIGTERM, 129 SIGHUP: as if the signal had ended us
  } catch (const Error& e) {
    std::fprintf(stderr, "medgen: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "medgen: internal error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "medgen: internal error: %s\n", e.what());
    return 1;
  }
  return 2;
}
