// The synthesizers' options (`fit --params`), one table per synthesizer: the single source of
// their names, types, defaults, ranges and help text. The params parsers (CopulaParams,
// TvaeParams, CtganParams ::from_json) take defaults and range checks from it, `medgen fit
// --help` lists it, and `medgen params --markdown` prints the section of docs/cli.md between
// `<!-- params:begin -->` and `<!-- params:end -->` (tests/tabular/param_table_test.cpp fails
// when the two differ).
//
// Checks that involve two options (ctgan's batch_size a multiple of pac) stay in the parsers.
// The tables are immutable statics: every function here is thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::tabular {

enum class ParamKind {
  kInt,      // a JSON integer in [min, max]
  kDouble,   // a JSON number in [min, max]
  kString,   // a JSON string, one of `choices`
  kBool,     // true or false
  kIntList,  // a non-empty JSON array of integers, each in [min, max] (layer widths)
};

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::kInt;
  nlohmann::json default_value;
  double min = 0, max = 0;            // kInt, kDouble, kIntList
  std::vector<std::string> choices;   // kString
  std::string help;                   // one phrase
};

// The options of a registered synthesizer, in display order. InvalidInput for an unknown name.
const std::vector<ParamSpec>& param_table(const std::string& synthesizer);

// `params` (null or a JSON object) checked against the table and completed with the defaults:
// an object holding every option. InvalidInput (one line, naming the synthesizer and the option)
// when params is not an object, has a key the table lacks ("unknown copula option 'colour'
// (expected ...)") or a value of the wrong type or out of range.
nlohmann::json resolve_params(const std::string& synthesizer, const nlohmann::json& params);

// The allowed values of one option as text: "[1, 1000000]", "exact | coarse", "true | false".
std::string param_range_text(const ParamSpec& p);

// Every registered synthesizer's table as plain text (fit's --help epilogue).
std::string param_tables_text();

// Every registered synthesizer's table as Markdown (`medgen params --markdown`, docs/cli.md).
std::string param_tables_markdown();

}  // namespace medgen::tabular
