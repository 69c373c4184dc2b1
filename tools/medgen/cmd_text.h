// `medgen text ...`: the subcommands live in one file per part; cmd_text.cpp adds `text` and
// calls each adder, which declares its subcommands under `text` and returns them with the
// function main() runs when one was parsed.
#pragma once

#include <vector>

#include "commands.h"

namespace medgen::cli {

std::vector<Command> add_text_extract_commands(CLI::App& text);  // cmd_text_extract.cpp
std::vector<Command> add_text_deid_commands(CLI::App& text);     // cmd_text_deid.cpp
std::vector<Command> add_text_docs_commands(CLI::App& text);     // cmd_text_docs.cpp

}  // namespace medgen::cli
