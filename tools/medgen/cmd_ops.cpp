// `medgen ops`: clinic operations (see docs/ops.md). The parts add their own subcommands.
#include "cmd_ops.h"

using namespace medgen;

namespace {

cli::Command add_ops_command(CLI::App& app) {
  CLI::App* ops = app.add_subcommand(
      "ops", "clinic operations: no-shows, scheduling, reminders, claim review, surveys, decision support");
  ops->require_subcommand(1);
  static std::vector<cli::Command> subs;
  for (auto add : {cli::add_ops_schedule_commands, cli::add_ops_admin_commands})
    for (cli::Command& c : add(*ops)) subs.push_back(std::move(c));
  return {ops, [] {
            for (const cli::Command& c : subs)
              if (c.app->parsed()) return c.run();
            return 1;
          }};
}

}  // namespace

MEDGEN_CLI_COMMAND(add_ops_command);
