// The records report as one self-contained page: inline CSS and SVG, no script, no font or
// network request (hospital networks are often offline). Every number comes from the JSON
// report, so the page and the JSON agree.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "medgen/records/evaluate.h"

namespace medgen::records {

namespace {

using ojson = nlohmann::ordered_json;

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string f(double v, int digits = 3) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

std::string g(double v) {
  char b[48];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

std::string jn(const ojson& j, int digits = 3) { return j.is_number() ? f(j.get<double>(), digits) : "&mdash;"; }

std::string js(const ojson& j) { return j.is_string() ? esc(j.get<std::string>()) : std::string(); }

const ojson& at(const ojson& j, std::initializer_list<const char*> path) {
  static const ojson null_value;
  const ojson* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return null_value;
    p = &(*p)[k];
  }
  return *p;
}

std::vector<double> numbers(const ojson& a) {
  std::vector<double> v;
  if (a.is_array())
    for (const ojson& x : a) v.push_back(x.is_number() ? x.get<double>() : NAN);
  return v;
}

const char* color(const std::string& side) {
  return side == "real" ? "#1f6fb2" : side == "holdout" ? "#6a9f3a" : "#e07b24";
}

std::string svg_open(const std::string& cls, const std::string& title, double w, double h,
                     const std::string& attr = "") {
  return "<svg class=\"chart " + cls + "\"" + attr + " xmlns=\"http://www.w3.org/2000/svg\" width=\"" + f(w, 0) +
         "\" height=\"" + f(h, 0) + "\" viewBox=\"0 0 " + f(w, 0) + " " + f(h, 0) + "\" role=\"img\"><title>" +
         esc(title) + "</title><text x=\"4\" y=\"14\" class=\"ct\">" + esc(title) + "</text>";
}

std::string legend(const std::vector<std::string>& sides, double x, double y) {
  std::string o;
  for (const std::string& s : sides) {
    o += "<rect x=\"" + f(x, 1) + "\" y=\"" + f(y - 9, 1) + "\" width=\"10\" height=\"10\" fill=\"" + color(s) + "\"/>";
    o += "<text x=\"" + f(x + 14, 1) + "\" y=\"" + f(y, 1) + "\" class=\"ax\">" + s + "</text>";
    x += 80;
  }
  return o;
}

// Grouped bars of share vectors over the same bins.
std::string bars(const std::string& cls, const std::string& title, const std::vector<std::string>& labels,
                 const std::vector<std::pair<std::string, std::vector<double>>>& series) {
  const double w = 360, h = 200, left = 36, right = 8, top = 22, bottom = 42;
  const size_t nb = labels.size();
  double ymax = 0;
  for (const auto& s : series)
    for (double v : s.second)
      if (std::isfinite(v)) ymax = std::max(ymax, v);
  if (ymax <= 0) ymax = 1;
  std::string o = svg_open(cls, title, w, h);
  const double pw = w - left - right, ph = h - top - bottom;
  o += "<line x1=\"" + f(left, 1) + "\" y1=\"" + f(top + ph, 1) + "\" x2=\"" + f(left + pw, 1) + "\" y2=\"" +
       f(top + ph, 1) + "\" stroke=\"#888\"/>";
  o += "<text x=\"2\" y=\"" + f(top + 8, 1) + "\" class=\"ax\">" + f(100 * ymax, 0) + "%</text>";
  if (nb > 0 && !series.empty()) {
    const double bw = pw / static_cast<double>(nb);
    const double sw = bw * 0.85 / static_cast<double>(series.size());
    for (size_t b = 0; b < nb; ++b)
      for (size_t s = 0; s < series.size(); ++s) {
        const double v = b < series[s].second.size() && std::isfinite(series[s].second[b]) ? series[s].second[b] : 0.0;
        const double bh = ph * v / ymax;
        o += "<rect x=\"" + f(left + bw * static_cast<double>(b) + sw * static_cast<double>(s), 2) + "\" y=\"" +
             f(top + ph - bh, 2) + "\" width=\"" + f(std::max(sw - 0.5, 0.5), 2) + "\" height=\"" + f(bh, 2) +
             "\" fill=\"" + color(series[s].first) + "\"><title>" + esc(labels[b]) + ": " + series[s].first + " " +
             f(100 * v, 1) + "%</title></rect>";
      }
    const size_t step = nb <= 12 ? 1 : (nb + 5) / 6;
    for (size_t b = 0; b < nb; b += step)
      o += "<text x=\"" + f(left + bw * (static_cast<double>(b) + 0.5), 1) + "\" y=\"" + f(top + ph + 12, 1) +
           "\" class=\"ax\" text-anchor=\"middle\">" + esc(labels[b]) + "</text>";
  }
  std::vector<std::string> names;
  for (const auto& s : series) names.push_back(s.first);
  return o + legend(names, left, h - 6) + "</svg>";
}

// Mean trajectory of one series per side: a line through the bin means, a band of ± one
// standard deviation, at the real data's mean time of each bin.
std::string trajectory_chart(const ojson& it, bool holdout) {
  const std::string name = it["table"].get<std::string>() + "." + it["series"].get<std::string>();
  const std::vector<double> x = numbers(it["time"]);
  std::vector<std::string> sides{"real", "synthetic"};
  if (holdout && it.contains("holdout")) sides.push_back("holdout");
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (double v : x)
    if (std::isfinite(v)) {
      x0 = std::min(x0, v);
      x1 = std::max(x1, v);
    }
  for (const std::string& s : sides) {
    const std::vector<double> m = numbers(at(it, {s.c_str(), "mean"})), sd = numbers(at(it, {s.c_str(), "sd"}));
    for (size_t k = 0; k < m.size(); ++k) {
      if (!std::isfinite(m[k])) continue;
      const double d = k < sd.size() && std::isfinite(sd[k]) ? sd[k] : 0;
      y0 = std::min(y0, m[k] - d);
      y1 = std::max(y1, m[k] + d);
    }
  }
  const double w = 360, h = 220, left = 44, right = 10, top = 22, bottom = 44;
  std::string o = svg_open("trajectory-chart", name, w, h, " data-series=\"" + esc(name) + "\"");
  if (!std::isfinite(x0) || !std::isfinite(y0)) return o + "</svg>";
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  const double pw = w - left - right, ph = h - top - bottom;
  auto px = [&](double v) { return left + pw * (v - x0) / (x1 - x0); };
  auto py = [&](double v) { return top + ph * (1 - (v - y0) / (y1 - y0)); };
  o += "<line x1=\"" + f(left, 1) + "\" y1=\"" + f(top + ph, 1) + "\" x2=\"" + f(left + pw, 1) + "\" y2=\"" +
       f(top + ph, 1) + "\" stroke=\"#888\"/><line x1=\"" + f(left, 1) + "\" y1=\"" + f(top, 1) + "\" x2=\"" +
       f(left, 1) + "\" y2=\"" + f(top + ph, 1) + "\" stroke=\"#888\"/>";
  o += "<text x=\"2\" y=\"" + f(top + 8, 1) + "\" class=\"ax\">" + g(y1) + "</text><text x=\"2\" y=\"" +
       f(top + ph, 1) + "\" class=\"ax\">" + g(y0) + "</text>";
  o += "<text x=\"" + f(left, 1) + "\" y=\"" + f(top + ph + 12, 1) + "\" class=\"ax\">" + g(x0) + "</text><text x=\"" +
       f(left + pw, 1) + "\" y=\"" + f(top + ph + 12, 1) + "\" class=\"ax\" text-anchor=\"end\">" + g(x1) +
       "</text><text x=\"" + f(left + pw / 2, 1) + "\" y=\"" + f(top + ph + 12, 1) +
       "\" class=\"ax\" text-anchor=\"middle\">time since start</text>";
  for (const std::string& s : sides) {
    const std::vector<double> m = numbers(at(it, {s.c_str(), "mean"})), sd = numbers(at(it, {s.c_str(), "sd"}));
    std::string upper, lower, line;
    for (size_t k = 0; k < m.size() && k < x.size(); ++k) {
      if (!std::isfinite(m[k]) || !std::isfinite(x[k])) continue;
      const double d = k < sd.size() && std::isfinite(sd[k]) ? sd[k] : 0;
      const std::string xs = f(px(x[k]), 1);
      upper += xs + "," + f(py(m[k] + d), 1) + " ";
      lower = xs + "," + f(py(m[k] - d), 1) + " " + lower;
      line += xs + "," + f(py(m[k]), 1) + " ";
    }
    if (line.empty()) continue;
    o += "<polygon points=\"" + upper + lower + "\" fill=\"" + color(s) + "\" fill-opacity=\"0.12\" stroke=\"none\"/>";
    o += "<polyline points=\"" + line + "\" fill=\"none\" stroke=\"" + color(s) + "\" stroke-width=\"2\"><title>" + s +
         " mean</title></polyline>";
  }
  return o + legend(sides, left, h - 6) + "</svg>";
}

std::string css() {
  return R"(body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px}
body{color:#222;padding:0 16px}
h1{font-size:26px;margin-bottom:4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
.sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:8px}
.ct{font-size:12px;font-weight:600}.ax{font-size:9px;fill:#444}.explain{color:#444;font-size:14px;max-width:900px}
)";
}

struct Writer {
  std::string o;
  bool holdout;
  void head(std::initializer_list<const char*> cols) {
    o += "<table><tr>";
    bool first = true;
    for (const char* c : cols) {
      o += first ? "<th class=\"l\">" : "<th>";
      o += c;
      o += "</th>";
      first = false;
    }
    o += "</tr>";
  }
  // A row: a label and the synthetic / holdout values of `pair` ({"synthetic": x, "holdout": y}).
  void pair_row(const std::string& label, const ojson& pair, const std::string& read = "", int digits = 3) {
    o += "<tr><td class=\"l\">" + label + "</td><td>" + jn(at(pair, {"synthetic"}), digits) + "</td>";
    if (holdout) o += "<td>" + jn(at(pair, {"holdout"}), digits) + "</td>";
    if (!read.empty()) o += "<td class=\"l\">" + read + "</td>";
    o += "</tr>";
  }
};

}  // namespace

std::string render_records_html(const nlohmann::ordered_json& report) {
  const ojson& s = report["summary"];
  const bool holdout = at(report, {"inputs", "holdout"}).is_object();
  Writer w{"", holdout};
  std::string& o = w.o;
  o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>medgen records evaluation</title><style>" +
      css() + "</style></head><body>\n<h1>Synthetic records evaluation</h1>";
  o += "<p class=\"sub\">medgen " + js(report["medgen_version"]) + " &middot; patients (" +
       js(at(report, {"inputs", "root"})) + "): real " + jn(at(s, {"entities", "real"}), 0) + ", synthetic " +
       jn(at(s, {"entities", "synthetic"}), 0) +
       (holdout ? ", holdout " + jn(at(s, {"entities", "holdout"}), 0) : std::string()) + " &middot; seed " +
       jn(at(report, {"options", "seed"}), 0) + "</p>\n";

  const std::string hh = holdout ? "<th>holdout (ceiling)</th>" : "";
  auto head3 = [&](const std::string& first, const std::string& extra = "") {
    o += "<table><tr><th class=\"l\">" + first + "</th><th>synthetic</th>" + hh + extra + "</tr>";
  };

  // Summary.
  o += "<h2>Summary</h2><p class=\"explain\">Each score compares a dataset with the real (training) one. The "
       "holdout column is what real patients the synthesizer never saw reach: the ceiling.</p>";
  head3("score", "<th class=\"l\">how to read</th>");
  w.pair_row("per-table quality", s["table_quality"], "1 = the same column shapes and pair trends");
  w.pair_row("child counts: total variation", s["child_count_tvd"], "0 = the same number of children per parent");
  w.pair_row("gaps between events: KS", s["gap_ks"], "0 = the same gap distribution");
  w.pair_row("trajectory error (sd)", s["trajectory_error"], "bin means off by this many standard deviations");
  w.pair_row("lag-1 autocorrelation error", s["autocorrelation_error"], "0 = as persistent within a patient");
  w.pair_row("parent-child correlation error", s["parent_child_error"], "mean |r<sub>real</sub> &minus; r|");
  w.pair_row("patient detection AUC", s["detection_auc"], "0.5 = patients cannot be told apart");
  o += "</table>";
  head3("privacy", "<th class=\"l\">how to read</th>");
  o += "<tr><td class=\"l\">summary DCR ratio</td><td>" + jn(s["summary_dcr_ratio"]) + "</td>" +
       (holdout ? "<td>1</td>" : "") +
       "<td class=\"l\">median distance to the closest real patient, synthetic / holdout; well below 1: copies</td></tr>";
  o += "<tr><td class=\"l\">sequence DCR ratio</td><td>" + jn(s["sequence_dcr_ratio"]) + "</td>" +
       (holdout ? "<td>1</td>" : "") + "<td class=\"l\">the same on whole sequences</td></tr>";
  o += "<tr><td class=\"l\">membership-inference AUC</td><td>" + jn(s["membership_auc"]) + "</td>" +
       (holdout ? "<td>0.5</td>" : "") + "<td class=\"l\">0.5 = training patients cannot be singled out</td></tr>";
  o += "</table>";
  if (s["utility"].is_object())
    o += "<p class=\"explain\">Utility (" + js(at(s, {"utility", "metric"})) + "): trained on synthetic " +
         jn(at(s, {"utility", "tstr"})) + ", trained on real " + jn(at(s, {"utility", "trtr"})) + ", ratio <b>" +
         jn(at(s, {"utility", "ratio"})) + "</b>.</p>";

  // Trajectories.
  const ojson& tr = at(report, {"trajectories", "items"});
  o += "<h2>Trajectories</h2><p class=\"explain\">Each series' values by time since the start of the record, in "
       "bins at the quantiles of the real event times: the line is the bin mean, the band &plusmn; one standard "
       "deviation. The mean error is the distance between the bin means in real standard deviations (weighted by "
       "the real events per bin); lag-1 autocorrelation is the correlation of consecutive values of one "
       "patient.</p><div class=\"charts\">";
  if (tr.is_array())
    for (const ojson& it : tr) o += trajectory_chart(it, holdout);
  o += "</div>";
  head3("series", "<th>sd error</th><th>values KS</th><th>autocorr. real</th><th>autocorr. synthetic</th>" +
                      std::string(holdout ? "<th>autocorr. holdout</th>" : ""));
  if (tr.is_array())
    for (const ojson& it : tr) {
      o += "<tr><td class=\"l\">" + js(it["table"]) + "." + js(it["series"]) + "</td><td>" +
           jn(at(it, {"mean_error", "synthetic"})) + "</td>" +
           (holdout ? "<td>" + jn(at(it, {"mean_error", "holdout"})) + "</td>" : "") + "<td>" +
           jn(at(it, {"sd_error", "synthetic"})) + "</td><td>" + jn(at(it, {"values_ks", "synthetic"})) + "</td><td>" +
           jn(at(it, {"autocorrelation", "real"})) + "</td><td>" + jn(at(it, {"autocorrelation", "synthetic"})) +
           "</td>" + (holdout ? "<td>" + jn(at(it, {"autocorrelation", "holdout"})) + "</td>" : "") + "</tr>";
    }
  o += "</table>";

  // Child counts and gaps.
  std::vector<std::string> sides{"real", "synthetic"};
  if (holdout) sides.push_back("holdout");
  const ojson& cc = at(report, {"child_counts", "items"});
  o += "<h2>Children per parent</h2><div class=\"charts\">";
  if (cc.is_array())
    for (const ojson& it : cc) {
      std::vector<std::pair<std::string, std::vector<double>>> series;
      for (const std::string& sd : sides) series.push_back({sd, numbers(at(it, {"chart", sd.c_str()}))});
      o += bars("count-chart", js(it["table"]) + " per " + js(it["parent"]),
                at(it, {"chart", "labels"}).get<std::vector<std::string>>(), series);
    }
  o += "</div>";
  head3("table", "<th>mean real</th><th>mean synthetic</th><th>KS synthetic</th>");
  if (cc.is_array())
    for (const ojson& it : cc)
      o += "<tr><td class=\"l\">" + js(it["table"]) + " (TVD)</td><td>" + jn(at(it, {"tvd", "synthetic"})) + "</td>" +
           (holdout ? "<td>" + jn(at(it, {"tvd", "holdout"})) + "</td>" : "") + "<td>" +
           jn(at(it, {"real", "mean"}), 2) + "</td><td>" + jn(at(it, {"synthetic", "mean"}), 2) + "</td><td>" +
           jn(at(it, {"ks", "synthetic"})) + "</td></tr>";
  o += "</table>";

  const ojson& gp = at(report, {"gaps", "items"});
  o += "<h2>Time between events</h2><div class=\"charts\">";
  if (gp.is_array())
    for (const ojson& it : gp) {
      const std::vector<double> edges = numbers(at(it, {"chart", "edges"}));
      std::vector<std::string> labels;
      for (size_t b = 0; b + 1 < edges.size(); ++b) labels.push_back(g(edges[b]));
      std::vector<std::pair<std::string, std::vector<double>>> series;
      for (const std::string& sd : sides) series.push_back({sd, numbers(at(it, {"chart", sd.c_str()}))});
      o += bars("gap-chart", js(it["table"]) + ": gap (" + js(it["unit"]) + "s)", labels, series);
    }
  o += "</div>";
  head3("table: KS of", "<th>median gap real</th><th>median gap synthetic</th>");
  if (gp.is_array())
    for (const ojson& it : gp)
      for (const char* k : {"gap_ks", "first_time_ks", "span_ks"}) {
        o += "<tr><td class=\"l\">" + js(it["table"]) + ": " + k + "</td><td>" + jn(at(it, {k, "synthetic"})) + "</td>" +
             (holdout ? "<td>" + jn(at(it, {k, "holdout"})) + "</td>" : "");
        o += std::string(k) == "gap_ks" ? "<td>" + jn(at(it, {"gap", "real", "median"}), 1) + "</td><td>" +
                                              jn(at(it, {"gap", "synthetic", "median"}), 1) + "</td></tr>"
                                        : "<td></td><td></td></tr>";
      }
  o += "</table>";

  // Parent-child correlations.
  const ojson& pc = at(report, {"parent_child", "items"});
  o += "<h2>Parent-child relations</h2><p class=\"explain\">Pearson correlations between each numeric attribute of "
       "the parent and each aggregate of its children (count, mean and slope over time of each series); the error "
       "is the mean absolute difference from the real matrix.</p>";
  head3("table", "<th>max synthetic</th>");
  if (pc.is_array())
    for (const ojson& it : pc)
      o += "<tr><td class=\"l\">" + js(it["table"]) + " under " + js(it["parent"]) + "</td><td>" +
           jn(at(it, {"error", "synthetic"})) + "</td>" + (holdout ? "<td>" + jn(at(it, {"error", "holdout"})) + "</td>" : "") +
           "<td>" + jn(at(it, {"max_error", "synthetic"})) + "</td></tr>";
  o += "</table>";
  if (pc.is_array())
    for (const ojson& it : pc) {
      const ojson& ld = it["largest_differences"];
      if (!ld.is_array() || ld.empty()) continue;
      o += "<table><tr><th class=\"l\">" + js(it["table"]) +
           ": largest differences</th><th class=\"l\">aggregate</th><th>real r</th><th>synthetic r</th></tr>";
      for (const ojson& c : ld)
        o += "<tr><td class=\"l\">" + js(c["attribute"]) + "</td><td class=\"l\">" + js(c["aggregate"]) + "</td><td>" +
             jn(c["real"]) + "</td><td>" + jn(c["synthetic"]) + "</td></tr>";
      o += "</table>";
    }

  // Per-table fidelity.
  const ojson& tb = at(report, {"tables", "items"});
  if (tb.is_array()) {
    o += "<h2>Tables one by one</h2><p class=\"explain\">The single-table evaluation (docs/evaluation.md) on each "
         "table's non-key columns.</p>";
    head3("table", "");
    for (const ojson& it : tb) {
      if (it.contains("skipped")) {
        o += "<tr><td class=\"l\">" + js(it["table"]) + "</td><td colspan=\"2\" class=\"l\">skipped: " +
             js(it["skipped"]) + "</td></tr>";
        continue;
      }
      w.pair_row(js(it["table"]) + ": quality", it["quality"]);
      w.pair_row(js(it["table"]) + ": column shapes", it["column_shapes"]);
      w.pair_row(js(it["table"]) + ": pair trends", it["pair_trends"]);
      if (at(it, {"detection", "synthetic"}).is_number()) w.pair_row(js(it["table"]) + ": detection score", it["detection"]);
    }
    o += "</table>";
  }

  // Patients.
  const ojson& pt = report["patients"];
  o += "<h2>Whole patients</h2><p class=\"explain\">One row per patient: attributes, children counts, per series "
       "mean, first and last value and slope over time, the first event time, span and mean gap (" +
       std::to_string(at(pt, {"summary_columns"}).size()) +
       " columns). Detection: classifiers try to tell real patients from the other dataset's under "
       "cross-validation (AUC 0.5: they cannot).</p>";
  head3("patient summaries", "");
  w.pair_row("quality", at(pt, {"fidelity", "quality"}));
  w.pair_row("detection AUC (stronger model)", at(pt, {"detection", "auc"}));
  const ojson& models = at(pt, {"detection", "models"});
  if (models.is_array())
    for (const ojson& m : models) w.pair_row("detection AUC: " + js(m["model"]), m);
  o += "</table>";
  const ojson& ps = at(pt, {"privacy", "summary"});
  const ojson& sq = at(pt, {"privacy", "sequence"});
  o += "<h3>Privacy</h3><p class=\"explain\">Distances to the closest real (training) patient: on the summaries "
       "(mean over columns of |difference| / range) and on whole sequences (events aligned by index, each value in "
       "real standard deviations). Fresh real patients (the holdout) set the baseline. Membership inference: can "
       "an attacker tell training patients from holdout patients by their closeness to the synthetic ones?</p>";
  head3("measure", "");
  w.pair_row("summary DCR median", ps["dcr_median"]);
  w.pair_row("summary DCR 5th percentile", ps["dcr_p05"]);
  w.pair_row("summary exact copies", ps["exact_copy_rate"], "", 4);
  if (sq.is_object()) {
    w.pair_row("sequence DCR median", ojson{{"synthetic", at(sq, {"dcr", "synthetic", "median"})},
                                            {"holdout", at(sq, {"dcr", "holdout", "median"})}});
    w.pair_row("sequence DCR 5th percentile", ojson{{"synthetic", at(sq, {"dcr", "synthetic", "p05"})},
                                                    {"holdout", at(sq, {"dcr", "holdout", "p05"})}});
  }
  o += "</table>";
  o += "<table><tr><th class=\"l\">membership attack</th><th>AUC</th></tr>";
  const ojson& attacks = ps["membership_attacks"];
  if (attacks.is_array())
    for (const ojson& a : attacks)
      o += "<tr><td class=\"l\">summaries: " + js(a["attack"]) + "</td><td>" + jn(a["auc"]) + "</td></tr>";
  if (sq.is_object())
    o += "<tr><td class=\"l\">sequences: distance to closest synthetic</td><td>" + jn(sq["membership_auc"]) + "</td></tr>";
  o += "<tr><td class=\"l\">share of synthetic patients closer to train than holdout</td><td>" +
       jn(ps["share_closer_to_train"]) + "</td></tr></table>";

  // Utility.
  const ojson& ut = report["utility"];
  o += "<h2>Utility</h2>";
  if (!ut.is_object()) {
    o += "<p class=\"explain\">Not measured: no outcome given.</p>";
  } else if (ut.contains("skipped")) {
    o += "<p>Skipped: " + js(ut["skipped"]) + "</p>";
  } else {
    o += "<p class=\"explain\">Predicting <b>" + js(ut["target"]) + "</b> from the patient's attributes and the first " +
         jn(ut["window"], 0) + " time units of each sequence (" + std::to_string(ut["features"].size()) +
         " features), trained on synthetic patients (TSTR) or real training patients (TRTR), tested on the real "
         "holdout.</p><table><tr><th class=\"l\">model</th><th class=\"l\">metric</th><th>TSTR</th><th>TRTR</th>"
         "<th>ratio</th></tr>";
    const bool cls = ut["task"] == "classification";
    for (const ojson& m : ut["models"])
      for (const char* k : cls ? std::vector<const char*>{"auc", "f1_macro", "accuracy"}
                               : std::vector<const char*>{"r2", "mae"})
        o += "<tr><td class=\"l\">" + js(m["model"]) + "</td><td class=\"l\">" + k + "</td><td>" +
             jn(at(m, {"tstr", k})) + "</td><td>" + jn(at(m, {"trtr", k})) + "</td><td>" + jn(at(m, {"ratio", k})) +
             "</td></tr>";
    o += "</table>";
  }

  o += "<h2>Method notes</h2><ul class=\"explain\">";
  for (const ojson& n : report["notes"]) o += "<li>" + js(n) + "</li>";
  o += "<li>Full definitions: docs/records.md in the medgen sources.</li></ul></body></html>\n";
  return o;
}

}  // namespace medgen::records
