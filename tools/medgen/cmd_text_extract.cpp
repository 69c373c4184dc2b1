#include "cmd_text.h"

namespace medgen::cli {

std::vector<Command> add_text_extract_commands(CLI::App&) { return {}; }

}  // namespace medgen::cli
