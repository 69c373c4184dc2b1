// `medgen text`: clinical notes (see docs/text.md). The parts add their own subcommands.
#include "cmd_text.h"

using namespace medgen;

namespace {

cli::Command add_text_command(CLI::App& app) {
  CLI::App* text = app.add_subcommand(
      "text", "clinical notes: concepts with context, FHIR and registry output, de-identification, documents");
  text->require_subcommand(1);
  static std::vector<cli::Command> subs;
  for (auto add : {cli::add_text_extract_commands, cli::add_text_deid_commands, cli::add_text_docs_commands})
    for (cli::Command& c : add(*text)) subs.push_back(std::move(c));
  return {text, [] {
            for (const cli::Command& c : subs)
              if (c.app->parsed()) return c.run();
            return 1;
          }};
}

}  // namespace

MEDGEN_CLI_COMMAND(add_text_command);
