// The report as one self-contained HTML page: inline CSS and SVG charts written here, no
// script, no font or network request, so it opens offline (hospital networks often have no
// internet) and prints. It shows exactly the numbers of the JSON report it is rendered from.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace medgen::eval {

// Renders a report from evaluate() (with report["gate"] from GateResult::to_json() when a
// gate was applied). Charts carry class "chart" and a kind: column-chart (one per column,
// data-column = name), heatmap (pair trends), dcr-chart (distances to closest record).
std::string render_html(const nlohmann::ordered_json& report);

}  // namespace medgen::eval
