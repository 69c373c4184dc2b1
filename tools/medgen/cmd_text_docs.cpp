#include "cmd_text.h"

namespace medgen::cli {

std::vector<Command> add_text_docs_commands(CLI::App&) { return {}; }

}  // namespace medgen::cli
