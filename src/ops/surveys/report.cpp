// The survey HTML report: one self-contained page, charts as inline SVG.
#include <cmath>
#include <cstdio>

#include "medgen/ops/surveys/surveys.h"

using json = nlohmann::json;

namespace medgen::ops::surveys {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  o.reserve(s.size());
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

std::string num(double v, const char* fmt = "%.1f") {
  char b[32];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

double get(const json& j, const char* k, double dflt = NAN) {
  return j.contains(k) && j[k].is_number() ? j[k].get<double>() : dflt;
}

// Horizontal bars (0..100%) with interval whiskers; rows are (label, value, lo, hi) in [0, 1].
std::string bar_chart(const std::vector<std::tuple<std::string, double, double, double>>& rows, const std::string& title) {
  const int label_w = 230, bar_w = 420, row_h = 24, top = 28;
  const int h = top + row_h * static_cast<int>(rows.size()) + 24;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(label_w + bar_w + 70) +
                  "\" height=\"" + std::to_string(h) + "\" role=\"img\" aria-label=\"" + esc(title) + "\">";
  s += "<text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\">" + esc(title) + "</text>";
  for (int t = 0; t <= 100; t += 25) {
    const int x = label_w + bar_w * t / 100;
    s += "<line x1=\"" + std::to_string(x) + "\" y1=\"" + std::to_string(top - 4) + "\" x2=\"" + std::to_string(x) +
         "\" y2=\"" + std::to_string(h - 18) + "\" stroke=\"#ddd\"/>";
    s += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(h - 4) +
         "\" font-size=\"10\" text-anchor=\"middle\">" + std::to_string(t) + "%</text>";
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& [label, v, lo, hi] = rows[i];
    const int y = top + row_h * static_cast<int>(i);
    s += "<text x=\"" + std::to_string(label_w - 6) + "\" y=\"" + std::to_string(y + 15) +
         "\" font-size=\"12\" text-anchor=\"end\">" + esc(label) + "</text>";
    if (!std::isfinite(v)) continue;
    s += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 4) + "\" width=\"" +
         num(bar_w * v, "%.1f") + "\" height=\"14\" fill=\"#4a7fb5\"/>";
    if (std::isfinite(lo) && std::isfinite(hi))
      s += "<line x1=\"" + num(label_w + bar_w * lo) + "\" y1=\"" + std::to_string(y + 11) + "\" x2=\"" +
           num(label_w + bar_w * hi) + "\" y2=\"" + std::to_string(y + 11) + "\" stroke=\"#222\" stroke-width=\"1.5\"/>";
    s += "<text x=\"" + num(label_w + bar_w * (std::isfinite(hi) ? hi : v) + 4) + "\" y=\"" + std::to_string(y + 15) +
         "\" font-size=\"11\">" + num(100 * v) + "%</text>";
  }
  return s + "</svg>";
}

// Grouped bars: domains (rows) by group (colours).
std::string grouped_chart(const json& groups, const std::string& title) {
  static const char* kColours[] = {"#4a7fb5", "#d08c3a", "#5aa05a", "#a65a9e", "#c44e52", "#7f7f7f", "#8c6d31", "#17becf"};
  if (!groups.is_array() || groups.empty()) return "";
  const size_t nd = groups[0]["domains"].size(), ng = groups.size();
  const int label_w = 230, bar_w = 420, bar_h = 8, top = 28 + 16 * static_cast<int>((ng + 3) / 4);
  const int row_h = bar_h * static_cast<int>(ng) + 8;
  const int h = top + row_h * static_cast<int>(nd) + 24;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(label_w + bar_w + 60) +
                  "\" height=\"" + std::to_string(h) + "\" role=\"img\" aria-label=\"" + esc(title) + "\">";
  s += "<text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\">" + esc(title) + "</text>";
  for (size_t g = 0; g < ng; ++g) {
    const int x = static_cast<int>(g % 4) * 170, y = 24 + 16 * static_cast<int>(g / 4);
    s += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"10\" height=\"10\" fill=\"" +
         kColours[g % 8] + "\"/><text x=\"" + std::to_string(x + 14) + "\" y=\"" + std::to_string(y + 9) +
         "\" font-size=\"11\">" + esc(groups[g].value("name", "")) + "</text>";
  }
  for (size_t d = 0; d < nd; ++d) {
    const int y = top + row_h * static_cast<int>(d);
    s += "<text x=\"" + std::to_string(label_w - 6) + "\" y=\"" + std::to_string(y + row_h / 2 + 2) +
         "\" font-size=\"12\" text-anchor=\"end\">" + esc(groups[0]["domains"][d].value("title", "")) + "</text>";
    for (size_t g = 0; g < ng; ++g) {
      const double v = get(groups[g]["domains"][d], "top_box");
      if (!std::isfinite(v)) continue;
      s += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + bar_h * static_cast<int>(g)) +
           "\" width=\"" + num(bar_w * v) + "\" height=\"" + std::to_string(bar_h - 1) + "\" fill=\"" + kColours[g % 8] +
           "\"><title>" + esc(groups[g].value("name", "")) + ": " + num(100 * v) + "%</title></rect>";
    }
  }
  return s + "</svg>";
}

std::string ci_text(const json& j, const char* k, double scale, const char* fmt) {
  if (!j.contains(k) || !j[k].is_array() || j[k].size() != 2 || !j[k][0].is_number()) return "";
  return num(scale * j[k][0].get<double>(), fmt) + "&ndash;" + num(scale * j[k][1].get<double>(), fmt);
}

std::string compare_table(const json& c, const std::string& what) {
  std::string s = "<h3>Differences between " + what + "</h3>";
  if (!c.contains("tests") || c["tests"].empty())
    return s + "<p>Fewer than two " + what + " with responses: nothing to compare.</p>";
  s += "<p>Groups:";
  for (const auto& g : c["groups"]) s += " " + esc(g.value("name", "")) + " (n=" + g["n"].dump() + ")";
  s += ". p-values adjusted by Holm's method over the " + c["tests_run"].dump() + " tests below.</p>";
  s += "<table><tr><th>item</th><th>measure</th><th>test</th><th>statistic</th><th>p</th><th>p (Holm)</th><th></th></tr>";
  for (const auto& t : c["tests"]) {
    s += "<tr><td>" + esc(t.value("item", "")) + "</td><td>" + esc(t.value("measure", "")) + "</td><td>" +
         esc(t.value("test", "")) + "</td><td>" +
         (t.contains("statistic") && t["statistic"].is_number() ? num(t["statistic"].get<double>(), "%.2f") : "") +
         "</td><td>" + num(get(t, "p"), "%.4f") + "</td><td>" + num(get(t, "p_holm"), "%.4f") + "</td><td>" +
         (t.value("significant", false) ? "<b>significant</b>" : "") + "</td></tr>";
  }
  return s + "</table>";
}

}  // namespace

std::string html_report(const Questionnaire& q, const json& a) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Patient survey report: " +
      esc(q.title.empty() ? q.id : q.title) +
      "</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}"
      "th{background:#f2f2f2}.note{color:#555;font-size:13px}</style></head><body>";
  s += "<h1>Patient survey report</h1><p>" + esc(q.title) + " &mdash; " + a["responses"].dump() +
       " responses. Intervals are " + num(100 * get(a, "confidence"), "%.0f") +
       "% (Wilson for top-box shares, normal for mean scores).</p>";
  std::vector<std::tuple<std::string, double, double, double>> rows;
  for (const auto& d : a["domains"]) {
    const json ci = d.value("top_box_ci", json::array());
    rows.emplace_back(d.value("title", ""), get(d, "top_box"), ci.size() == 2 ? ci[0].get<double>() : NAN,
                      ci.size() == 2 ? ci[1].get<double>() : NAN);
  }
  s += "<h2>Top-box scores by domain</h2>" + bar_chart(rows, "Share of answers in the top box");
  s += "<table><tr><th>domain</th><th>n</th><th>top box</th><th>interval</th><th>mean score (0&ndash;100)</th><th>interval</th></tr>";
  for (const auto& d : a["domains"])
    s += "<tr><td>" + esc(d.value("title", "")) + "</td><td>" + d["n"].dump() + "</td><td>" +
         num(100 * get(d, "top_box")) + "%</td><td>" + ci_text(d, "top_box_ci", 100, "%.1f") + "</td><td>" +
         num(get(d, "mean_score")) + "</td><td>" + ci_text(d, "mean_score_ci", 1, "%.1f") + "</td></tr>";
  s += "</table>";
  if (a.contains("nps") && a["nps"].is_object() && a["nps"].contains("nps")) {
    const json& n = a["nps"];
    s += "<h2>Net promoter score</h2><p><b>" + num(get(n, "nps")) + "</b> (interval " + ci_text(n, "nps_ci", 1, "%.1f") +
         "), from " + n["n"].dump() + " answers: " + num(100 * get(n, "promoters")) + "% promoters (9&ndash;10), " +
         num(100 * get(n, "passives")) + "% passives, " + num(100 * get(n, "detractors")) +
         "% detractors (0&ndash;6).</p>";
    std::vector<std::tuple<std::string, double, double, double>> r = {
        {"promoters", get(n, "promoters"), NAN, NAN}, {"passives", get(n, "passives"), NAN, NAN},
        {"detractors", get(n, "detractors"), NAN, NAN}};
    s += bar_chart(r, "Promoters, passives, detractors");
  }
  s += "<h2>Items</h2><table><tr><th>item</th><th>question</th><th>n</th><th>top box</th><th>interval</th><th>mean score</th></tr>";
  for (const auto& it : a["items"])
    s += "<tr><td>" + esc(it.value("item", "")) + "</td><td>" + esc(it.value("text", "")) + "</td><td>" +
         it["n"].dump() + "</td><td>" + num(100 * get(it, "top_box")) + "%</td><td>" +
         ci_text(it, "top_box_ci", 100, "%.1f") + "</td><td>" + num(get(it, "mean_score")) + "</td></tr>";
  s += "</table>";
  s += "<h2>Units</h2>" + grouped_chart(a["by_unit"], "Top box by domain and unit") +
       compare_table(a["compare_units"], "units");
  s += "<h2>Periods</h2>" + grouped_chart(a["by_period"], "Top box by domain and period") +
       compare_table(a["compare_periods"], "periods");
  const json& c = a["comments"];
  s += "<h2>Comments</h2><p>" + c["n"].dump() + " comments: " + c["positive"].dump() + " positive, " +
       c["negative"].dump() + " negative. <span class=\"note\">Method: " + esc(c.value("method", "")) + ".</span></p>";
  std::vector<std::tuple<std::string, double, double, double>> tr;
  for (const auto& t : c["themes"]) tr.emplace_back(t.value("title", ""), get(t, "share", 0), NAN, NAN);
  s += bar_chart(tr, "Share of comments per theme");
  s += "<table><tr><th>theme</th><th>comments</th><th>negative</th><th>mean sentiment</th><th>examples</th></tr>";
  for (const auto& t : c["themes"]) {
    std::string ex;
    if (t.contains("examples"))
      for (const auto& e : t["examples"]) ex += "&ldquo;" + esc(e.get<std::string>()) + "&rdquo;<br>";
    s += "<tr><td>" + esc(t.value("title", "")) + "</td><td>" + t["comments"].dump() + "</td><td>" +
         (t.contains("negative_share") ? num(100 * get(t, "negative_share")) + "%" : "") + "</td><td>" +
         (t.contains("mean_sentiment") ? num(get(t, "mean_sentiment"), "%.2f") : "") + "</td><td>" + ex + "</td></tr>";
  }
  s += "</table><p class=\"note\">Generated by medgen ops survey analyze.</p></body></html>\n";
  return s;
}

}  // namespace medgen::ops::surveys
