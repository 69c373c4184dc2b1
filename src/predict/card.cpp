#include "medgen/predict/card.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace medgen::predict {

using json = nlohmann::json;

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string num(const json& v, int digits = 3) {
  if (!v.is_number()) return "–";
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", digits, v.get<double>());
  return b;
}

std::string interval(const json& v) {
  if (!v.is_object()) return "–";
  return num(v.value("value", json())) + " (" + num(v.value("lo", json())) + " to " + num(v.value("hi", json())) + ")";
}

// A number, or `fallback` when the field is absent, null or not a number.
double dbl(const json& v, double fallback = 0) { return v.is_number() ? v.get<double>() : fallback; }
double dbl(const json& o, const char* key, double fallback = 0) {
  return o.is_object() && o.contains(key) ? dbl(o[key], fallback) : fallback;
}

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// A square plot with axes 0..1 (calibration) or 0..1 x ymin..ymax.
std::string svg_calibration(const json& cal) {
  const int W = 320, P = 40;
  auto X = [&](double v) { return P + v * (W - 2 * P); };
  auto Y = [&](double v) { return W - P - v * (W - 2 * P); };
  std::ostringstream s;
  s << "<svg width='" << W << "' height='" << W << "' viewBox='0 0 " << W << " " << W
    << "' role='img' aria-label='calibration plot'><rect x='" << P << "' y='" << P << "' width='" << W - 2 * P
    << "' height='" << W - 2 * P << "' fill='none' stroke='#999'/>";
  s << "<line x1='" << X(0) << "' y1='" << Y(0) << "' x2='" << X(1) << "' y2='" << Y(1) << "' stroke='#bbb' stroke-dasharray='4'/>";
  const auto& bp = cal.value("bin_predicted", json::array());
  const auto& bo = cal.value("bin_observed", json::array());
  std::string path;
  for (size_t i = 0; i < bp.size() && i < bo.size(); ++i) {
    const double x = std::clamp(dbl(bp[i]), 0.0, 1.0), y = std::clamp(dbl(bo[i]), 0.0, 1.0);
    s << "<circle cx='" << X(x) << "' cy='" << Y(y) << "' r='4' fill='#1f6feb'/>";
    path += (path.empty() ? "M" : "L") + std::to_string(X(x)) + "," + std::to_string(Y(y));
  }
  if (!path.empty()) s << "<path d='" << path << "' fill='none' stroke='#1f6feb'/>";
  for (int t = 0; t <= 4; ++t) {
    const double v = t / 4.0;
    s << "<text x='" << X(v) << "' y='" << W - P + 15 << "' font-size='10' text-anchor='middle'>" << v << "</text>";
    s << "<text x='" << P - 6 << "' y='" << Y(v) + 3 << "' font-size='10' text-anchor='end'>" << v << "</text>";
  }
  s << "<text x='" << W / 2 << "' y='" << W - 6 << "' font-size='11' text-anchor='middle'>predicted risk</text>";
  s << "<text x='12' y='" << W / 2 << "' font-size='11' text-anchor='middle' transform='rotate(-90 12 " << W / 2
    << ")'>observed risk</text></svg>";
  return s.str();
}

std::string svg_decision(const json& dc) {
  const int W = 420, H = 280, P = 40;
  const auto& t = dc.value("threshold", json::array());
  const auto& m = dc.value("model", json::array());
  const auto& a = dc.value("treat_all", json::array());
  double ymax = 0.01;
  for (const auto& v : m) ymax = std::max(ymax, dbl(v));
  for (const auto& v : a) ymax = std::max(ymax, dbl(v));
  const double ymin = -ymax * 0.25;
  auto X = [&](double v) { return P + v * (W - 2 * P); };
  auto Y = [&](double v) { return H - P - (std::clamp(v, ymin, ymax) - ymin) / (ymax - ymin) * (H - 2 * P); };
  std::ostringstream s;
  s << "<svg width='" << W << "' height='" << H << "' role='img' aria-label='decision curve'><rect x='" << P << "' y='" << P
    << "' width='" << W - 2 * P << "' height='" << H - 2 * P << "' fill='none' stroke='#999'/>";
  s << "<line x1='" << X(0) << "' y1='" << Y(0) << "' x2='" << X(1) << "' y2='" << Y(0) << "' stroke='#888'/>";
  auto line = [&](const json& ys, const char* colour) {
    std::string path;
    for (size_t i = 0; i < t.size() && i < ys.size(); ++i)
      path += (path.empty() ? "M" : "L") + std::to_string(X(dbl(t[i]))) + "," + std::to_string(Y(dbl(ys[i])));
    s << "<path d='" << path << "' fill='none' stroke='" << colour << "' stroke-width='2'/>";
  };
  line(a, "#999");
  line(m, "#d1242f");
  s << "<text x='" << W / 2 << "' y='" << H - 8 << "' font-size='11' text-anchor='middle'>threshold probability</text>";
  s << "<text x='" << P + 5 << "' y='" << P + 14 << "' font-size='11' fill='#d1242f'>model</text>";
  s << "<text x='" << P + 5 << "' y='" << P + 28 << "' font-size='11' fill='#777'>treat all</text>";
  s << "<text x='" << P - 4 << "' y='" << Y(ymax) + 4 << "' font-size='10' text-anchor='end'>" << num(ymax, 2) << "</text>";
  s << "<text x='" << P - 4 << "' y='" << Y(0) + 4 << "' font-size='10' text-anchor='end'>0</text></svg>";
  return s.str();
}

std::string svg_importance(const json& imp) {
  const size_t n = std::min<size_t>(imp.size(), 15);
  const int W = 460, row = 18, L = 150;
  double mx = 1e-12;
  for (size_t i = 0; i < n; ++i) mx = std::max(mx, dbl(imp[i], "mean_abs_contribution") + dbl(imp[i], "fold_sd"));
  std::ostringstream s;
  s << "<svg width='" << W << "' height='" << n * row + 10 << "' role='img' aria-label='importance'>";
  for (size_t i = 0; i < n; ++i) {
    const double v = dbl(imp[i], "mean_abs_contribution"), sd = dbl(imp[i], "fold_sd");
    const double w = v / mx * (W - L - 20);
    s << "<text x='" << L - 6 << "' y='" << i * row + 13 << "' font-size='11' text-anchor='end'>"
      << esc(imp[i].value("feature", "")) << "</text>";
    s << "<rect x='" << L << "' y='" << i * row + 3 << "' width='" << w << "' height='" << row - 6 << "' fill='#2da44e'/>";
    s << "<line x1='" << L + (v - sd) / mx * (W - L - 20) << "' x2='" << L + (v + sd) / mx * (W - L - 20) << "' y1='"
      << i * row + 9 << "' y2='" << i * row + 9 << "' stroke='#333'/>";
  }
  s << "</svg>";
  return s.str();
}

}  // namespace

std::string model_card_html(const json& card) {
  std::ostringstream h;
  h << "<!doctype html><html><head><meta charset='utf-8'><title>" << esc(card.value("title", "model card"))
    << "</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
       ".warn{background:#fff4d6;border-left:4px solid #d4a72c;padding:4px 8px;margin:4px 0}</style></head><body>";
  h << "<h1>" << esc(card.value("title", "")) << "</h1><p>" << esc(card.value("tripod", "")) << "</p>";
  const json& src = card.value("source_of_data", json::object());
  const json& part = card.value("participants", json::object());
  h << "<h2>Source of data and participants</h2><table><tr><th>file</th><td>" << esc(src.value("file", ""))
    << "</td></tr><tr><th>sha256</th><td><code>" << esc(src.value("sha256", "")) << "</code></td></tr><tr><th>rows</th><td>"
    << text_of(src.value("rows", json())) << "</td></tr><tr><th>used</th><td>" << text_of(part.value("used", json()))
    << "</td></tr><tr><th>left out</th><td>" << text_of(part.value("left_out", json())) << "</td></tr></table>";
  h << "<h2>Outcome and predictors</h2><p>outcome: <code>" << esc(card.value("outcome", json()).dump())
    << "</code>; outcomes: " << text_of(card.value("outcomes", json())) << "; events per parameter: "
    << num(card.value("events_per_parameter", json()), 1) << "</p><p>predictors: ";
  for (const auto& p : card.value("predictors", json::array())) h << "<code>" << esc(text_of(p)) << "</code> ";
  h << "</p>";
  const json& dev = card.value("development", json::object());
  h << "<h2>Model development</h2><p>model: " << esc(dev.value("model", "")) << "; missing data: "
    << esc(dev.value("missing_data", "")) << "; parameters: <code>" << esc(dev.value("parameters", json()).dump())
    << "</code></p>";
  if (dev.contains("network_description"))
    h << "<p>network: " << esc(dev["network_description"].get<std::string>()) << "; settings <code>"
      << esc(dev.value("network", json()).dump()) << "</code>; training <code>" << esc(dev.value("training", json()).dump())
      << "</code></p>";
  if (card.contains("landmark"))
    h << "<p>features from a record (landmark analysis): <code>" << esc(card["landmark"].dump()) << "</code></p>";
  for (const auto& w : card.value("warnings", json::array())) h << "<div class='warn'>" << esc(text_of(w)) << "</div>";
  const json& perf = card.value("performance", json::object());
  h << "<h2>Performance (internal validation)</h2><p>" << esc(perf.value("method", "")) << "</p><table>";
  for (const char* k : {"c_index", "time_auc", "auroc", "calibration_slope", "calibration_in_the_large", "brier"})
    if (perf.contains(k)) h << "<tr><th>" << k << "</th><td>" << interval(perf[k]) << "</td></tr>";
  for (const char* k : {"c_index_mean_over_folds", "auroc_mean_over_folds", "apparent_c_index", "apparent_auroc", "horizon"})
    if (perf.contains(k)) h << "<tr><th>" << k << "</th><td>" << num(perf[k]) << "</td></tr>";
  h << "</table>";
  if (perf.contains("comparison")) {
    const json& c = perf["comparison"];
    h << "<p>compared with <code>" << esc(c.value("features", "")) << "</code> on the same rows and folds: "
      << esc(c.value("metric", "")) << " " << interval(c.value("reference", json())) << "; difference "
      << interval(c.value("difference", json())) << " (" << esc(c.value("method", "")) << ")</p>";
  }
  if (perf.contains("calibration")) {
    h << "<h3>Calibration" << (perf.contains("horizon") ? " at the horizon" : "") << "</h3>"
      << svg_calibration(perf["calibration"]);
  }
  if (perf.contains("decision_curve")) h << "<h3>Decision curve (net benefit)</h3>" << svg_decision(perf["decision_curve"]);
  const json& ex = card.value("explanations", json::object());
  h << "<h2>Explanations</h2>";
  if (ex.contains("coefficients")) {
    h << "<table><tr><th>term</th><th>coefficient</th><th>95% CI</th><th>ratio</th><th>p</th></tr>";
    for (const auto& c : ex["coefficients"])
      h << "<tr><td>" << esc(c.value("term", "")) << "</td><td>" << num(c.value("coefficient", json()), 4) << "</td><td>"
        << num(c.value("lo", json())) << " to " << num(c.value("hi", json())) << "</td><td>"
        << num(c.contains("hazard_ratio") ? c["hazard_ratio"] : c.value("odds_ratio", json())) << "</td><td>"
        << num(c.value("p", json()), 4) << "</td></tr>";
    h << "</table>";
  }
  h << "<h3>Global importance</h3><p>Mean |contribution| (" << esc(ex.value("contributions", ""))
    << "); bars ± sd across folds; rank stability across folds (mean Spearman): "
    << num(ex.value("importance_stability_spearman", json())) << "</p>" << svg_importance(ex.value("importance", json::array()));
  h << "<table><tr><th>feature</th><th>mean |contribution|</th><th>fold mean ± sd</th><th>in top 3 of folds</th></tr>";
  for (const auto& i : ex.value("importance", json::array()))
    h << "<tr><td>" << esc(i.value("feature", "")) << "</td><td>" << num(i.value("mean_abs_contribution", json())) << "</td><td>"
      << num(i.value("fold_mean", json())) << " ± " << num(i.value("fold_sd", json())) << "</td><td>"
      << num(i.value("top3_share", json()), 2) << "</td></tr>";
  h << "</table><h3>Partial dependence (mean predicted risk)</h3>";
  for (const auto& pd : ex.value("partial_dependence", json::array())) {
    h << "<p><b>" << esc(pd.value("column", "")) << "</b>: ";
    const auto& xs = pd.value("x", json::array());
    const auto& rs = pd.value("risk", json::array());
    for (size_t i = 0; i < xs.size() && i < rs.size(); ++i)
      h << esc(xs[i].is_string() ? xs[i].get<std::string>() : num(xs[i], 2)) << "→" << num(rs[i]) << " ";
    h << "</p>";
  }
  if (card.contains("bias_audit")) {
    const json& a = card["bias_audit"];
    h << "<h2>Bias audit</h2><p>threshold " << num(a.value("threshold", json())) << "; " << esc(a.value("note", "")) << "</p>";
    for (const auto& g : a.value("groups", json::array())) {
      h << "<h3>" << esc(g.value("group", "")) << "</h3>";
      for (const auto& w : g.value("warnings", json::array())) h << "<div class='warn'>" << esc(text_of(w)) << "</div>";
      h << "<table><tr><th>level</th><th>n</th><th>outcomes</th><th>discrimination</th><th>TPR</th><th>FPR</th>"
           "<th>positive rate</th><th>observed</th><th>expected</th><th>Brier</th></tr>";
      for (const auto& l : g.value("levels", json::array())) {
        h << "<tr><td>" << esc(l.value("level", "")) << "</td><td>" << text_of(l.value("n", json())) << "</td><td>"
          << text_of(l.value("outcomes", json())) << "</td>";
        for (const char* k : {"discrimination", "tpr", "fpr", "positive_rate", "observed", "expected", "brier"})
          h << "<td>" << interval(l.value(k, json())) << "</td>";
        h << "</tr>";
      }
      h << "</table><p>gaps: ";
      const json& gaps = g.value("gaps", json::object());
      for (const char* k : {"tpr_gap", "fpr_gap", "demographic_parity_gap"})
        h << k << " " << interval(gaps.value(k, json())) << "; ";
      h << "equalised odds gap " << num(gaps.value("equalised_odds_gap", json())) << "</p><p>missing share per feature: ";
      for (const auto& l : g.value("levels", json::array())) {
        h << "<b>" << esc(l.value("level", "")) << "</b> ";
        const json miss = l.value("missing_share", json::object());
        for (const auto& [col, v] : miss.items())
          if (dbl(v) > 0) h << esc(col) << " " << num(v, 2) << " ";
      }
      h << "</p>";
    }
  }
  h << "<h2>Limitations</h2><p>" << esc(card.value("limitations", "")) << "</p><p>medgen "
    << esc(card.value("medgen_version", "")) << ", seed " << text_of(card.value("seed", json())) << "</p></body></html>\n";
  return h.str();
}

}  // namespace medgen::predict
