// What a model file says about itself, for `medgen info` and for programs: the header
// without the fitted state, as JSON and as text. Pure functions of the header; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace medgen::tabular {

// The header without its "state" (the fitted parameters).
nlohmann::json model_info_json(const nlohmann::json& header);

// Synthesizer, medgen version, options, provenance, training history (first, last and up to
// eight epochs between) and one line per column with its marginal; then the model's notes.
std::string model_info_text(const nlohmann::json& header);

}  // namespace medgen::tabular
