// Subcommands that live in their own files (tools/medgen/cmd_<module>.cpp). Each adder
// declares its subcommand on `app`, with the common options of options.h, and returns the
// function main() runs when it was parsed.
// Errors are thrown as medgen::InvalidInput / IoError / Error; main() maps them to exit codes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "options.h"

namespace medgen::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

using CommandAdder = Command (*)(CLI::App& app);

// The tabular commands (schema, fit, sample, info, demo; cmd_tabular.cpp), added first so that
// --help lists them first.
std::vector<Command> add_tabular_commands(CLI::App& app);

// Registry filled by static initialisers in the cmd_*.cpp files (see MEDGEN_CLI_COMMAND).
std::vector<CommandAdder>& command_adders();

// Datasets of several tables (the records module, cmd_records.cpp): when `schema` or `fit` is
// given a folder, `sample` or `info` a records model, or `evaluate` folders, the tabular
// commands hand over to these. Each gets the parsed subcommand (its options read by name) and
// the common options. Empty when the records module is left out of the build.
struct DatasetHooks {
  std::function<int(CLI::App& cmd, const CommonOptions& common)> schema, fit, sample, info, evaluate;
  // True when the model file at `path` holds a records model.
  std::function<bool(const std::string& path)> is_records_model;
};
DatasetHooks& dataset_hooks();

// True when `path` names an existing folder.
bool is_folder(const std::string& path);

struct CommandRegistration {
  explicit CommandRegistration(CommandAdder f) { command_adders().push_back(f); }
};

}  // namespace medgen::cli

// In a cmd_*.cpp: MEDGEN_CLI_COMMAND(add_evaluate_command) registers that adder.
#define MEDGEN_CLI_COMMAND(fn) static const ::medgen::cli::CommandRegistration medgen_cli_reg_##fn(fn)
