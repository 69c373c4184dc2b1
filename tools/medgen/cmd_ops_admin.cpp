#include "cmd_ops.h"

namespace medgen::cli {

std::vector<Command> add_ops_admin_commands(CLI::App&) { return {}; }

}  // namespace medgen::cli
