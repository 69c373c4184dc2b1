// The HTML report. Everything is written inline (CSS, SVG) and every number comes from the
// JSON report, so the page and the JSON cannot disagree. No script: nothing to fail in a
// locked-down browser, and the page prints as it shows.
#include "medgen/eval/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace medgen::eval {

namespace {

using ojson = nlohmann::ordered_json;

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string f(double v, int digits = 3) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

// A JSON number formatted, or an em dash for null / absent.
std::string jn(const ojson& j, int digits = 3) {
  if (!j.is_number()) return "&mdash;";
  return f(j.get<double>(), digits);
}

// A share as a percentage, or an em dash.
std::string pct(const ojson& j) { return j.is_number() ? f(100 * j.get<double>(), 1) + "%" : "&mdash;"; }

// A JSON string escaped, or "" for anything else.
std::string str(const ojson& j) { return j.is_string() ? esc(j.get<std::string>()) : ""; }

const ojson& at(const ojson& j, std::initializer_list<const char*> path) {
  static const ojson null_value;
  const ojson* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return null_value;
    p = &(*p)[k];
  }
  return *p;
}

const char* kRealColor = "#1f6fb2";
const char* kSynColor = "#e07b24";
const char* kHoldColor = "#6a9f3a";

std::string series_color(const std::string& name) {
  return name == "real" ? kRealColor : name == "holdout" ? kHoldColor : kSynColor;
}

// Grouped bars of two (or three) share vectors over the same bins.
std::string bars_svg(const std::string& cls, const std::string& title, const std::vector<std::string>& labels,
                     const std::vector<std::pair<std::string, std::vector<double>>>& series,
                     const std::string& data_attr = "") {
  const double w = 340, h = 190, left = 36, right = 8, top = 22, bottom = 40;
  const size_t nb = labels.size();
  double ymax = 0;
  for (const auto& s : series)
    for (double v : s.second) ymax = std::max(ymax, v);
  if (ymax <= 0) ymax = 1;
  std::string o = "<svg class=\"chart " + cls + "\"" + data_attr + " xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  f(w, 0) + "\" height=\"" + f(h, 0) + "\" viewBox=\"0 0 " + f(w, 0) + " " + f(h, 0) +
                  "\" role=\"img\"><title>" + esc(title) + "</title>";
  o += "<text x=\"4\" y=\"14\" class=\"ct\">" + esc(title) + "</text>";
  const double pw = w - left - right, ph = h - top - bottom;
  o += "<line x1=\"" + f(left, 1) + "\" y1=\"" + f(top + ph, 1) + "\" x2=\"" + f(left + pw, 1) + "\" y2=\"" +
       f(top + ph, 1) + "\" stroke=\"#888\"/>";
  o += "<text x=\"2\" y=\"" + f(top + 8, 1) + "\" class=\"ax\">" + f(100 * ymax, 0) + "%</text>";
  if (nb > 0) {
    const double bw = pw / static_cast<double>(nb);
    const double sw = bw * 0.85 / static_cast<double>(series.size());
    for (size_t b = 0; b < nb; ++b) {
      for (size_t s = 0; s < series.size(); ++s) {
        const double v = b < series[s].second.size() ? series[s].second[b] : 0.0;
        const double bh = ph * v / ymax;
        const std::string color = series_color(series[s].first);
        o += "<rect x=\"" + f(left + bw * static_cast<double>(b) + sw * static_cast<double>(s), 2) + "\" y=\"" +
             f(top + ph - bh, 2) + "\" width=\"" + f(std::max(sw - 0.5, 0.5), 2) + "\" height=\"" + f(bh, 2) +
             "\" fill=\"" + color + "\"><title>" + esc(labels[b]) + ": " + esc(series[s].first) + " " + f(100 * v, 1) +
             "%</title></rect>";
      }
    }
    // Axis labels: first and last bin, or every bin when there are few (categories).
    const size_t step = nb <= 6 ? 1 : nb - 1;
    for (size_t b = 0; b < nb; b += step) {
      std::string l = labels[b];
      if (l.size() > 14) l = l.substr(0, 13) + "...";
      o += "<text x=\"" + f(left + bw * (static_cast<double>(b) + 0.5), 1) + "\" y=\"" + f(top + ph + 14, 1) +
           "\" class=\"ax\" text-anchor=\"middle\">" + esc(l) + "</text>";
    }
  }
  // Legend.
  double lx = left;
  for (size_t s = 0; s < series.size(); ++s) {
    const std::string color = series_color(series[s].first);
    o += "<rect x=\"" + f(lx, 1) + "\" y=\"" + f(h - 14, 1) + "\" width=\"10\" height=\"10\" fill=\"" + color + "\"/>";
    o += "<text x=\"" + f(lx + 14, 1) + "\" y=\"" + f(h - 5, 1) + "\" class=\"ax\">" + esc(series[s].first) + "</text>";
    lx += 90;
  }
  return o + "</svg>";
}

// Colour of a score in [0, 1]: red (low) through amber to green (1).
std::string score_color(double s) {
  s = std::clamp(s, 0.0, 1.0);
  // Most differences live in 0.8..1: stretch that range.
  const double t = std::clamp((s - 0.5) / 0.5, 0.0, 1.0);
  const int r = static_cast<int>(std::lround(t < 0.5 ? 215 : 215 - (t - 0.5) * 2 * (215 - 46)));
  const int g = static_cast<int>(std::lround(t < 0.5 ? 48 + t * 2 * (180 - 48) : 180 - (t - 0.5) * 2 * (180 - 139)));
  const int b = static_cast<int>(std::lround(t < 0.5 ? 39 : 39 + (t - 0.5) * 2 * (87 - 39)));
  char c[16];
  std::snprintf(c, sizeof c, "#%02x%02x%02x", r, g, b);
  return c;
}

std::string heatmap_svg(const ojson& pm) {
  const ojson& names = pm["names"];
  const ojson& scores = pm["scores"];
  const size_t m = names.size();
  if (m == 0) return "";
  const double cell = std::clamp(560.0 / static_cast<double>(m), 6.0, 28.0);
  const double label = 130, size = label + cell * static_cast<double>(m) + 10;
  std::string o = "<svg class=\"chart heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + f(size, 0) +
                  "\" height=\"" + f(size, 0) + "\" viewBox=\"0 0 " + f(size, 0) + " " + f(size, 0) +
                  "\" role=\"img\"><title>Pair-trend scores (1 = the pair's relation is kept)</title>";
  const bool show_labels = cell >= 9;
  for (size_t i = 0; i < m; ++i) {
    if (show_labels) {
      std::string n = names[i].get<std::string>();
      if (n.size() > 18) n = n.substr(0, 17) + "...";
      o += "<text x=\"" + f(label - 4, 1) + "\" y=\"" + f(label + cell * (static_cast<double>(i) + 0.7), 1) +
           "\" class=\"ax\" text-anchor=\"end\">" + esc(n) + "</text>";
      o += "<text class=\"ax\" transform=\"translate(" + f(label + cell * (static_cast<double>(i) + 0.7), 1) + "," +
           f(label - 4, 1) + ") rotate(-60)\">" + esc(n) + "</text>";
    }
    for (size_t k = 0; k < m; ++k) {
      const double s = scores[i][k].is_number() ? scores[i][k].get<double>() : 1.0;
      o += "<rect x=\"" + f(label + cell * static_cast<double>(k), 1) + "\" y=\"" +
           f(label + cell * static_cast<double>(i), 1) + "\" width=\"" + f(cell, 1) + "\" height=\"" + f(cell, 1) +
           "\" fill=\"" + (i == k ? std::string("#ddd") : score_color(s)) + "\"><title>" +
           esc(names[i].get<std::string>()) + " / " + esc(names[k].get<std::string>()) + ": " + f(s) +
           "</title></rect>";
    }
  }
  return o + "</svg>";
}

struct Card {
  std::string label, value, hint, gate_key;
};

std::string css() {
  return R"(body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px}
body{color:#222;padding:0 16px}
h1{font-size:26px;margin-bottom:4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
.sub{color:#666;margin-top:0}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ccc;border-radius:8px;padding:10px 14px;min-width:150px;background:#fafafa}
.card .v{font-size:26px;font-weight:600}.card .l{font-size:13px;color:#444}.card .h{font-size:11px;color:#777}
.card.pass{border-color:#2e8b57;background:#f1faf4}.card.fail{border-color:#d7302f;background:#fdf1f0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:8px}
.ct{font-size:12px;font-weight:600}.ax{font-size:9px;fill:#444}.explain{color:#444;font-size:14px;max-width:900px}
.gate{padding:10px 14px;border-radius:8px;font-weight:600}.gate.pass{background:#e6f5ec}.gate.fail{background:#fbe3e1}
.bad{color:#c0392b;font-weight:600}.good{color:#2e8b57}
)";
}

}  // namespace

std::string render_html(const ojson& report) {
  const ojson& s = report["summary"];
  const bool holdout = at(report, {"inputs", "holdout"}).is_object();
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>medgen evaluation report</title><style>" +
      css() + "</style></head><body>\n";
  o += "<h1>Synthetic data evaluation</h1>";
  std::string sub =
      "medgen " + esc(report.value("medgen_version", "")) + " &middot; real " +
      esc(at(report, {"inputs", "real", "path"}).is_string() ? at(report, {"inputs", "real", "path"}).get<std::string>()
                                                             : "table") +
      " (" + std::to_string(at(report, {"inputs", "real", "rows"}).get<size_t>()) + " rows) &middot; synthetic " +
      esc(at(report, {"inputs", "synthetic", "path"}).is_string()
              ? at(report, {"inputs", "synthetic", "path"}).get<std::string>()
              : "table") +
      " (" + std::to_string(at(report, {"inputs", "synthetic", "rows"}).get<size_t>()) + " rows)";
  if (holdout)
    sub += " &middot; holdout " +
           esc(at(report, {"inputs", "holdout", "path"}).is_string()
                   ? at(report, {"inputs", "holdout", "path"}).get<std::string>()
                   : "table") +
           " (" + std::to_string(at(report, {"inputs", "holdout", "rows"}).get<size_t>()) + " rows)";
  sub += " &middot; " + std::to_string(at(report, {"inputs", "columns"}).size()) + " columns scored";
  o += "<p class=\"sub\">" + sub + "</p>\n";

  // Gate verdict.
  const ojson& gate = report.contains("gate") ? report["gate"] : ojson();
  auto gate_state = [&](const std::string& key) -> std::string {
    if (!gate.is_object()) return "";
    for (const ojson& c : gate["checks"])
      if (c["key"] == key) return c["passed"].get<bool>() ? " pass" : " fail";
    return "";
  };
  if (gate.is_object()) {
    const bool passed = gate["passed"].get<bool>();
    o += "<div class=\"gate " + std::string(passed ? "pass" : "fail") +
         "\">Release gate: " + (passed ? "PASSED" : "FAILED") + "</div><ul>";
    for (const ojson& c : gate["checks"])
      o += "<li class=\"" + std::string(c["passed"].get<bool>() ? "good" : "bad") + "\">" +
           esc(c["message"].get<std::string>()) + "</li>";
    o += "</ul>";
  }

  // Headline cards.
  std::string det_hint = "0.5 = cannot tell synthetic from real";
  if (s.contains("detection_auc_holdout") && s["detection_auc_holdout"].is_number())
    det_hint = "holdout " + jn(s["detection_auc_holdout"]) + ", margin " +
               (s["detection_auc_margin"].is_number() && s["detection_auc_margin"].get<double>() >= 0 ? "+" : "") +
               jn(s["detection_auc_margin"]);
  std::vector<Card> cards = {
      {"Detection AUC (XGBoost)", jn(at(s, {"detection_auc"})), det_hint, "max_detection_auc_margin"},
      {"Overall quality", jn(s["quality"]),
       holdout ? "holdout reaches " + jn(s["quality_ceiling"]) : "1 = identical statistics", "min_quality"},
      {"Column shapes", jn(s["column_shapes"]), "1 &minus; KS / TVD, mean", ""},
      {"Pair trends", jn(s["pair_trends"]), "correlations and contingency tables", ""},
      {"Detection score", jn(s["detection_score"]),
       holdout ? "holdout reaches " + jn(s["detection_score_ceiling"]) : "1 = indistinguishable",
       "min_detection_score"},
      {"Membership AUC", jn(s["membership_auc"]), "0.5 = attacker guesses", "max_membership_auc"},
      {"Closer to train", jn(s["share_closer_to_train"]), "share of synthetic rows; 0.5 ideal",
       "max_share_closer_to_train"},
      {"Exact copies", jn(s["exact_copy_rate"], 4), "excess over holdout " + jn(s["excess_exact_copy_rate"], 4),
       "max_exact_copy_rate"},
      {"Utility TSTR/TRTR", jn(s["utility_ratio"]), "1 = as useful as real data", "min_utility_ratio"},
  };
  o += "<h2>Summary</h2><div class=\"cards\">";
  for (const Card& c : cards)
    o += "<div class=\"card" + gate_state(c.gate_key) + "\"><div class=\"l\">" + c.label + "</div><div class=\"v\">" +
         c.value + "</div><div class=\"h\">" + c.hint + "</div></div>";
  o += "</div>\n";

  // What the model file reveals (when the report was given one).
  if (report.contains("model") && report["model"].contains("disclosure")) {
    const ojson& d = report["model"]["disclosure"];
    auto val = [&](const char* k) { return d.contains(k) ? esc(d[k].is_string() ? d[k].get<std::string>() : d[k].dump()) : std::string("?"); };
    o += "<h2>Model file</h2><p class=\"explain\">" + esc(report["model"].value("path", std::string())) + ": " +
         val("summary") + ". A model file is as sensitive as the data it was trained on unless it was fitted with "
         "privacy &quot;coarse&quot;; share it under the same rules as the data.</p><table><tr><th>privacy</th><td>" +
         val("privacy") + "</td></tr><tr><th>values stored as they occur in the data</th><td>" + val("real_values") +
         "</td></tr><tr><th>quantile-table entries</th><td>" + val("quantile_entries") +
         "</td></tr><tr><th>columns with stored min/max</th><td>" + val("bounded_columns") + " (" + val("bounds") +
         ")</td></tr><tr><th>category labels</th><td>" + val("labels") + "</td></tr><tr><th>frequencies</th><td>" +
         val("counts") + "</td></tr><tr><th>network weights</th><td>" + val("weights") + "</td></tr>" +
         (d.contains("epsilon") ? "<tr><th>differential privacy spent (&epsilon;, &delta;)</th><td>" + val("epsilon") +
                                      ", " + val("delta") + "</td></tr>"
                                : std::string()) +
         "</table>\n";
  }

  // Fidelity.
  const ojson& fid = report["fidelity"];
  const ojson& ceil = report["fidelity_ceiling"];
  o += "<h2>Fidelity</h2><p class=\"explain\">Column shapes compare each column's distribution: 1 &minus; the "
       "Kolmogorov&ndash;Smirnov statistic (the largest gap between the two cumulative distributions) for numbers "
       "and dates, 1 &minus; the total variation distance (half the summed difference of category shares) for "
       "categories. Pair trends compare each pair of columns: 1 &minus; |&rho;<sub>real</sub> &minus; "
       "&rho;<sub>synthetic</sub>|/2 for two numbers, 1 &minus; the total variation distance of the contingency "
       "table otherwise (numbers in 10 quantile bins). Overall quality is the mean of the two. Each score is 1 for "
       "identical statistics." +
       std::string(holdout ? " The holdout column shows what fresh real data scores against the training data: "
                             "the ceiling a synthesizer can hope for."
                           : "") +
       "</p>";
  o += "<table><tr><th class=\"l\">score</th><th>synthetic</th>" +
       std::string(holdout ? "<th>holdout (ceiling)</th>" : "") + "</tr>";
  auto row = [&](const std::string& name, const ojson& a, const ojson& b) {
    o += "<tr><td class=\"l\">" + name + "</td><td>" + jn(a) + "</td>" + (holdout ? "<td>" + jn(b) + "</td>" : "") +
         "</tr>";
  };
  const bool sdm = fid.value("quality_definition", "") == "sdmetrics";
  row(sdm ? "overall quality (SDMetrics' definition)" : "overall quality", fid["quality"], at(ceil, {"quality"}));
  row("column shapes", at(fid, {"column_shapes", "score"}), at(ceil, {"column_shapes", "score"}));
  if (sdm) {
    row("pair trends (SDMetrics' definition)", at(fid, {"sdmetrics", "pair_trends", "score"}),
        at(ceil, {"sdmetrics", "pair_trends", "score"}));
  } else {
    row("pair trends", at(fid, {"pair_trends", "score"}), at(ceil, {"pair_trends", "score"}));
  }
  // The other definition, where it differs by more than 0.01 (docs/evaluation.md).
  if (fid["quality"].is_number() && fid.value("quality_alternative", ojson()).is_number() &&
      std::fabs(fid["quality"].get<double>() - fid["quality_alternative"].get<double>()) > 0.01) {
    row(sdm ? "overall quality (medgen's definition: decile bins, present values)"
            : "overall quality (SDMetrics' definition: equal-width bins, missing as a category)",
        fid["quality_alternative"], at(ceil, {"quality_alternative"}));
    row(sdm ? "pair trends (medgen's definition)" : "pair trends (SDMetrics' definition)",
        sdm ? at(fid, {"pair_trends", "score"}) : at(fid, {"sdmetrics", "pair_trends", "score"}),
        sdm ? at(ceil, {"pair_trends", "score"}) : at(ceil, {"sdmetrics", "pair_trends", "score"}));
  }
  row("detection AUC (XGBoost; 0.5 best)", at(fid, {"detection", "auc"}), at(ceil, {"detection", "auc"}));
  row("detection score", at(fid, {"detection", "score"}), at(ceil, {"detection", "score"}));
  if (at(fid, {"detection", "sdmetrics_logistic"}).contains("score"))
    row("LogisticDetection (SDMetrics' definition: all rows, robust scaling; 1 best)",
        at(fid, {"detection", "sdmetrics_logistic", "score"}), at(ceil, {"detection", "sdmetrics_logistic", "score"}));
  o += "</table>";

  // Detection.
  const ojson& det = at(fid, {"detection"});
  o += "<h3>Detection</h3><p class=\"explain\">A classifier tries to tell real rows (label 0) from synthetic rows "
       "(label 1) under stratified cross-validation. ROC AUC 0.5 means it cannot; 1 means it always can. The "
       "headline is the boosted trees' (XGBoost) AUC beside the AUC the same detector reaches on fresh real rows "
       "(the holdout); the gate's <code>max_detection_auc_margin</code> bounds their difference. The score is 1 "
       "&minus; (2&middot;max(AUC, 0.5) &minus; 1) of the stronger of the two models.</p>";
  if (det.contains("models")) {
    o += "<table><tr><th class=\"l\">model</th><th>AUC</th><th>&plusmn; s.e.</th><th>score</th>" +
         std::string(holdout ? "<th>holdout AUC</th>" : "") + "</tr>";
    for (size_t i = 0; i < det["models"].size(); ++i) {
      const ojson& m = det["models"][i];
      o += "<tr><td class=\"l\">" + esc(m["model"].get<std::string>()) + "</td><td>" + jn(m["auc"]) + "</td><td>" +
           jn(m["auc_standard_error"]) + "</td><td>" + jn(m["score"]) + "</td>";
      if (holdout) {
        const ojson& cm = at(ceil, {"detection", "models"});
        o += "<td>" + (cm.is_array() && i < cm.size() ? jn(cm[i]["auc"]) : std::string("&mdash;")) + "</td>";
      }
      o += "</tr>";
    }
    o += "</table><p class=\"explain\">" + std::to_string(det.value("rows_per_side", 0)) + " rows per side, " +
         std::to_string(det.value("folds", 0)) + " folds, " + std::to_string(det.value("features", 0)) +
         " features (standardised numbers, one-hot categories).</p>";
    const ojson& hints = at(det, {"hints"});
    if (hints.is_object() && hints.contains("columns") && !hints["columns"].empty()) {
      o += "<h4>What gives the synthetic rows away</h4><p class=\"explain\">The columns the boosted trees split on "
           "to tell the rows apart (share of the detector's total split gain), the pairs of columns its trees use "
           "one below the other, and for each the region (a decile bin of the real values, a category, or "
           "missing) whose share differs most between the real and the synthetic rows." +
           std::string(at(hints, {"telling"}).is_boolean() && !at(hints, {"telling"}).get<bool>()
                           ? " <b>The detector does no better than on fresh real rows (its AUC is within two "
                             "standard errors of the holdout's, or of 0.5): these rankings are noise.</b>"
                           : "") +
           "</p>"
           "<table class=\"hints\"><tr><th class=\"l\">column</th><th>importance</th><th>shape score</th>"
           "<th class=\"l\">worst region</th><th>real share</th><th>synthetic share</th></tr>";
      const ojson& hc = hints["columns"];
      for (size_t i = 0; i < hc.size() && i < 8; ++i) {
        const ojson& c = hc[i];
        o += "<tr><td class=\"l\">" + str(at(c, {"name"})) + "</td><td>" + pct(at(c, {"importance"})) + "</td><td>" +
             jn(at(c, {"shape_score"})) + "</td><td class=\"l\">" + str(at(c, {"region", "bin"})) + "</td><td>" +
             pct(at(c, {"region", "real_share"})) + "</td><td>" + pct(at(c, {"region", "synthetic_share"})) +
             "</td></tr>";
      }
      o += "</table>";
      const ojson& hp = at(hints, {"pairs"});
      if (hp.is_array() && !hp.empty()) {
        o += "<table class=\"hints\"><tr><th class=\"l\">pair</th><th>importance</th><th>pair score</th>"
             "<th class=\"l\">worst cell</th><th>real share</th><th>synthetic share</th></tr>";
        for (const ojson& p : hp)
          o += "<tr><td class=\"l\">" + str(at(p, {"a"})) + " &times; " + str(at(p, {"b"})) + "</td><td>" +
               pct(at(p, {"importance"})) + "</td><td>" + jn(at(p, {"pair_score"})) + "</td><td class=\"l\">" +
               str(at(p, {"region", "a"})) + " &amp; " + str(at(p, {"region", "b"})) + "</td><td>" +
               pct(at(p, {"region", "real_share"})) + "</td><td>" + pct(at(p, {"region", "synthetic_share"})) +
               "</td></tr>";
        o += "</table>";
      }
    }
  } else if (det.contains("skipped")) {
    o += "<p>Skipped: " + esc(det["skipped"].get<std::string>()) + "</p>";
  }

  // Column shapes table and charts.
  o += "<h3>Columns</h3><table><tr><th class=\"l\">column</th><th class=\"l\">kind</th><th class=\"l\">metric</th>"
       "<th>score</th><th>missing real</th><th>missing synthetic</th></tr>";
  for (const ojson& c : at(fid, {"column_shapes", "columns"}))
    o += "<tr><td class=\"l\">" + esc(c["name"].get<std::string>()) + "</td><td class=\"l\">" +
         esc(c["kind"].get<std::string>()) + "</td><td class=\"l\">" + esc(c["metric"].get<std::string>()) +
         "</td><td>" + jn(c["score"]) + "</td><td>" + f(100 * c["missing_real"].get<double>(), 1) + "%</td><td>" +
         f(100 * c["missing_synthetic"].get<double>(), 1) + "%</td></tr>";
  o += "</table><div class=\"charts\">";
  for (const ojson& c : at(fid, {"charts", "columns"})) {
    const std::string name = c["name"].get<std::string>();
    o += bars_svg(
        "column-chart", name, c["labels"].get<std::vector<std::string>>(),
        {{"real", c["real"].get<std::vector<double>>()}, {"synthetic", c["synthetic"].get<std::vector<double>>()}},
        " data-column=\"" + esc(name) + "\"");
  }
  o += "</div>\n";
  o += "<h3>Pair trends</h3><p class=\"explain\">Each cell is the pair-trend score of two columns: green where the "
       "synthetic data keeps the relation (1), amber near 0.75, red at 0.5 or below (hover for the value).</p>";
  o += heatmap_svg(at(fid, {"charts", "pair_matrix"}));

  // Utility.
  const ojson& ut = report["utility"];
  o += "<h2>Utility</h2>";
  if (!ut.is_object()) {
    o += "<p class=\"explain\">Not measured: give <code>--target COLUMN</code> and <code>--holdout</code>.</p>";
  } else if (ut.contains("skipped")) {
    o += "<p>Skipped: " + esc(ut["skipped"].get<std::string>()) + "</p>";
  } else {
    o += "<p class=\"explain\">Models predicting <b>" + esc(ut["target"].get<std::string>()) + "</b> (" +
         esc(ut["task"].get<std::string>()) +
         ") are trained on the synthetic rows (TSTR) and on the real training rows (TRTR), and both are tested on "
         "the real holdout. A ratio TSTR/TRTR near 1 means an analysis on synthetic data reaches the same "
         "performance as on real data.</p>";
    const bool cls = ut["task"] == "classification";
    std::vector<std::string> metrics =
        cls ? std::vector<std::string>{"auc", "f1_macro", "accuracy"} : std::vector<std::string>{"r2", "mae"};
    o +=
        "<table><tr><th class=\"l\">model</th><th class=\"l\">metric</th><th>TSTR</th><th>TRTR</th><th>ratio</th></tr>";
    for (const ojson& m : ut["models"])
      for (const std::string& k : metrics)
        o += "<tr><td class=\"l\">" + esc(m["model"].get<std::string>()) + "</td><td class=\"l\">" + k + "</td><td>" +
             jn(at(m, {"tstr", k.c_str()})) + "</td><td>" + jn(at(m, {"trtr", k.c_str()})) + "</td><td>" +
             jn(at(m, {"ratio", k.c_str()})) + "</td></tr>";
    o += "</table><p class=\"explain\">Headline ratio (best TSTR / best TRTR on " +
         esc(ut["primary_metric"].get<std::string>()) + "): <b>" + jn(ut["ratio"]) +
         "</b>. Training rows: " + std::to_string(at(ut, {"rows", "train_synthetic"}).get<size_t>()) + " synthetic, " +
         std::to_string(at(ut, {"rows", "train_real"}).get<size_t>()) +
         " real; test rows: " + std::to_string(at(ut, {"rows", "test_holdout"}).get<size_t>()) + ".</p>";
  }

  // Privacy.
  const ojson& pv = report["privacy"];
  o += "<h2>Privacy</h2><p class=\"explain\">The distance between two records is the mean over columns of "
       "|difference| / range (capped at 1) for numbers and 0/1 for categories. The distance to closest record "
       "(DCR) of a synthetic row is its distance to the nearest training row. Fresh real rows (the holdout) set the "
       "baseline: a synthesizer that learned the population, not the patients, produces rows no closer to the "
       "training rows than fresh real rows are.</p>";
  o += "<table><tr><th class=\"l\">measure</th><th>synthetic</th><th>holdout (baseline)</th><th class=\"l\">how to "
       "read</th></tr>";
  o += "<tr><td class=\"l\">exact copies of training rows</td><td>" + jn(at(pv, {"exact_copies", "rate"}), 4) +
       "</td><td>" + jn(at(pv, {"exact_copies", "holdout_rate"}), 4) +
       "</td><td class=\"l\">share of rows equal to a training row; should not exceed the baseline</td></tr>";
  o += "<tr><td class=\"l\">DCR median</td><td>" + jn(at(pv, {"dcr", "synthetic_to_train", "median"})) + "</td><td>" +
       jn(at(pv, {"dcr", "holdout_to_train", "median"})) +
       "</td><td class=\"l\">much smaller than the baseline: rows sit on top of training records</td></tr>";
  o += "<tr><td class=\"l\">DCR 5th percentile</td><td>" + jn(at(pv, {"dcr", "synthetic_to_train", "p05"})) +
       "</td><td>" + jn(at(pv, {"dcr", "holdout_to_train", "p05"})) + "</td><td class=\"l\">the closest rows</td></tr>";
  o += "<tr><td class=\"l\">NNDR median</td><td>" + jn(at(pv, {"nndr", "synthetic_to_train", "median"})) + "</td><td>" +
       jn(at(pv, {"nndr", "holdout_to_train", "median"})) +
       "</td><td class=\"l\">nearest / second-nearest distance; near 0 singles out one record</td></tr>";
  o += "<tr><td class=\"l\">share closer to train than to holdout</td><td>" +
       jn(at(pv, {"share_closer_to_train", "share"})) + " &plusmn; " +
       jn(at(pv, {"share_closer_to_train", "error_95"})) +
       "</td><td>0.5</td><td class=\"l\">0.5 ideal; near 1 means memorised</td></tr>";
  o += "<tr><td class=\"l\">membership-inference AUC</td><td>" + jn(at(pv, {"membership_inference", "auc"})) +
       "</td><td>0.5</td><td class=\"l\">can an attacker tell training patients from others by their closeness to the "
       "synthetic data?</td></tr>";
  o += "</table>";
  const ojson& mia = at(pv, {"membership_inference", "attacks"});
  if (mia.is_array()) {
    o += "<table><tr><th class=\"l\">membership attack</th><th>AUC</th><th>&plusmn; s.e.</th></tr>";
    for (const ojson& a : mia)
      o += "<tr><td class=\"l\">" + esc(a["attack"].get<std::string>()) + "</td><td>" + jn(a["auc"]) + "</td><td>" +
           jn(a["auc_standard_error"]) + "</td></tr>";
    o += "</table>";
  }
  const ojson& dc = at(pv, {"charts", "dcr"});
  if (dc.is_object()) {
    std::vector<std::string> labels;
    const std::vector<double> edges = dc["edges"].get<std::vector<double>>();
    for (size_t b = 0; b + 1 < edges.size(); ++b) labels.push_back(f(edges[b], 3));
    std::vector<std::pair<std::string, std::vector<double>>> series{
        {"synthetic", dc["synthetic"].get<std::vector<double>>()}};
    if (dc.contains("holdout")) series.push_back({"holdout", dc["holdout"].get<std::vector<double>>()});
    o += "<div class=\"charts\">" + bars_svg("dcr-chart", "Distance to closest training record", labels, series) +
         "</div>";
  }
  const ojson& ai = at(pv, {"attribute_inference", "columns"});
  if (ai.is_array() && !ai.empty()) {
    o += "<h3>Attribute inference</h3><p class=\"explain\">An attacker who knows a patient's quasi-identifiers (" +
         esc(at(pv, {"attribute_inference", "quasi_identifiers"}).dump()) +
         ") looks up the nearest synthetic record and reads off the sensitive value. Compare the hit rate with "
         "the same attack using fresh real data: the gain is what the synthetic data adds.</p>"
         "<table><tr><th class=\"l\">sensitive column</th><th>hit rate (synthetic)</th><th>hit rate "
         "(holdout)</th><th>gain</th></tr>";
    for (const ojson& a : ai)
      o += "<tr><td class=\"l\">" + esc(a["sensitive"].get<std::string>()) + "</td><td>" +
           jn(a["accuracy_from_synthetic"]) + "</td><td>" + jn(at(a, {"accuracy_from_holdout"})) + "</td><td>" +
           jn(at(a, {"gain"})) + "</td></tr>";
    o += "</table>";
  }
  const ojson& ka = at(pv, {"k_anonymity"});
  if (ka.is_object())
    o += "<h3>k-anonymity</h3><p class=\"explain\">Synthetic rows grouped by equal quasi-identifiers: the smallest "
         "group has k = <b>" +
         std::to_string(at(ka, {"synthetic", "k"}).get<size_t>()) + "</b> rows (" +
         std::to_string(at(ka, {"synthetic", "groups"}).get<size_t>()) + " groups; " +
         f(100 * at(ka, {"synthetic", "share_in_groups_below_5"}).get<double>(), 1) +
         "% of rows in groups smaller than 5). The real training table: k = " +
         std::to_string(at(ka, {"real", "k"}).get<size_t>()) + ".</p>";

  // Method notes.
  o += "<h2>Method notes</h2><ul class=\"explain\">";
  for (const ojson& n : report["notes"]) o += "<li>" + esc(n.get<std::string>()) + "</li>";
  if (report.contains("warnings"))
    for (const ojson& n : report["warnings"]) o += "<li>" + esc(n.get<std::string>()) + "</li>";
  o += "<li>Seed " + std::to_string(at(report, {"options", "seed"}).get<uint64_t>()) +
       ": the same inputs and seed give the same numbers. Full definitions: docs/evaluation.md in the medgen "
       "sources.</li>";
  o += "</ul></body></html>\n";
  return o;
}

}  // namespace medgen::eval
