// `medgen ops ...`: the subcommands live in one file per part; cmd_ops.cpp adds `ops` and calls
// each adder, which declares its subcommands under `ops` and returns them with the function
// main() runs when one was parsed.
#pragma once

#include <vector>

#include "commands.h"

namespace medgen::cli {

std::vector<Command> add_ops_schedule_commands(CLI::App& ops);  // cmd_ops_schedule.cpp: noshow, schedule, simulate, remind
std::vector<Command> add_ops_admin_commands(CLI::App& ops);     // cmd_ops_admin.cpp: claims, surveys, cds

}  // namespace medgen::cli
