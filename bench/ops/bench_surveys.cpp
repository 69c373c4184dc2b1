// Survey analysis speed: 100,000 responses analysed (scores, intervals, unit and period tests,
// NPS, comment themes) and the HTML report, on one thread (floor: <= 5 s). Prints JSON lines
// (docs/ops-admin.md).
//   bench_surveys [--responses N] [--reps R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "medgen/ops/surveys/surveys.h"

using namespace medgen::ops::surveys;
using clk = std::chrono::steady_clock;

static double seconds_since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }

int main(int argc, char** argv) {
  size_t n = 100000;
  int reps = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--responses")) n = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
  }
  const std::string data = std::string(MEDGEN_SOURCE_DIR) + "/data/ops/surveys";
  const Library lib = Library::load(data + "/library.json");
  const Themes themes = Themes::load(data + "/themes.json");
  const Questionnaire q = make_questionnaire(lib, {"all"}, "px", "Patient experience");
  SynthOptions o;
  o.base_rows = n;
  o.periods = {"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"};
  const std::vector<Response> rs = generate_base(q, o, 1);
  const std::string csv = responses_to_csv(rs, q);
  std::vector<double> parse, total;
  for (int r = 0; r < reps; ++r) {
    auto t0 = clk::now();
    const auto parsed = parse_responses_csv(csv, "bench.csv", q);
    parse.push_back(seconds_since(t0));
    const auto a = analyze(q, parsed, themes, AnalysisOptions{});
    const std::string html = html_report(q, a);
    total.push_back(seconds_since(t0));
    if (html.empty()) return 1;
  }
  std::sort(parse.begin(), parse.end());
  std::sort(total.begin(), total.end());
  const double t = total[total.size() / 2];
  std::printf("{\"bench\":\"survey_analysis\",\"responses\":%zu,\"items\":%zu,\"units\":%zu,\"periods\":%zu,\"threads\":1,"
              "\"reps\":%d,\"csv_parse_s_median\":%.3f,\"parse_analyze_report_s_median\":%.3f,\"floor_s\":5,"
              "\"meets_floor\":%s}\n",
              rs.size(), q.items.size(), o.units.size(), o.periods.size(), reps, parse[parse.size() / 2], t,
              t <= 5 ? "true" : "false");
  return 0;
}
