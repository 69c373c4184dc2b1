// The model card as a self-contained HTML page (readable offline: no scripts, no external
// resources): TRIPOD-style sections, the performance table with intervals, the calibration plot,
// the decision curve and importance as inline SVG, coefficients, partial dependence, and the bias
// audit with its warnings.
// Thread safety: pure function.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace medgen::predict {

std::string model_card_html(const nlohmann::json& card);

}  // namespace medgen::predict
