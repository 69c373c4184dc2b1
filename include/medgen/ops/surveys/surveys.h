// Patient surveys: questionnaires built from a library of domains (data/ops/surveys/library.json:
// communication with nurses and with doctors, responsiveness, cleanliness, quietness, discharge
// information, overall rating 0-10, would recommend, likelihood to recommend 0-10 for a net
// promoter score, free-text comments), written as FHIR R4 Questionnaire; responses read from
// QuestionnaireResponse (one, a Bundle, or NDJSON) or CSV and checked against the
// questionnaire's items; analysis (top-box and mean scores with confidence intervals,
// comparisons between units and periods with chi-square / Fisher exact tests on top-box
// proportions and Mann-Whitney / Kruskal-Wallis tests on scores, Holm-corrected; net promoter
// score with a confidence interval; lexicon themes with sentiment in comments) and an HTML
// report with inline SVG charts; synthetic responses from medgen's tabular synthesizers.
//
// Thread safety: every function is pure over its arguments (the synthesizer runs with the
// Context it is given); objects are values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"

namespace medgen::ops::surveys {

struct Option {
  std::string code, display;
};

// How an item is answered and scored.
struct Scale {
  std::string id;
  std::vector<Option> options;   // choice scales, in order worst .. best
  int min = 0, max = 0;          // integer scales (options empty)
  std::vector<int> top_box;      // answer values counted as "top box"
  bool is_integer() const { return options.empty(); }
  int levels() const { return is_integer() ? max - min + 1 : static_cast<int>(options.size()); }
  // Score on 0..100 of an answer value (1-based option index, or the integer).
  double score(int value) const;
};

struct Item {
  std::string link_id, text, scale, domain;
  bool nps = false;  // the likelihood-to-recommend item the net promoter score uses
};

struct Domain {
  std::string id, title;
  std::vector<std::string> items;  // link ids
};

// The questionnaire as analysed: items with their scales, plus an optional comment item.
struct Questionnaire {
  std::string id, url, title;
  std::map<std::string, Scale> scales;
  std::vector<Domain> domains;
  std::vector<Item> items;             // answerable items, in order
  std::string comment_link_id;         // "" when none
  int item_index(const std::string& link_id) const;  // -1 when absent
  const Item& items_at(const std::string& link_id) const;  // the item (must exist)
  // FHIR R4 Questionnaire (groups per domain, answerOption codings, integer items with
  // min/max value extensions).
  nlohmann::json to_fhir() const;
  // Reads a Questionnaire written by to_fhir (or by hand in that shape). InvalidInput naming
  // the file and the item.
  static Questionnaire from_fhir(const nlohmann::json& q, const std::string& source);
  static Questionnaire read(const std::string& path);
};

// The library: scales and domains. make_questionnaire picks domains by id ("" or "all": all).
struct Library {
  std::map<std::string, Scale> scales;
  std::vector<Domain> domains;
  std::vector<Item> items;
  static Library load(const std::string& path);
  static std::string default_path();  // data/ops/surveys/library.json
};
Questionnaire make_questionnaire(const Library& lib, const std::vector<std::string>& domain_ids,
                                 const std::string& id, const std::string& title, bool comment = true);

// One respondent's answers: value per item (1-based option index or the integer; kNoAnswer).
constexpr int kNoAnswer = -1000000;
struct Response {
  std::string id, unit, period, comment;
  std::vector<int> values;
};

// Reads responses: CSV (columns response_id, unit, period, one per item link id, comment;
// answers as option code, option display or integer) or QuestionnaireResponse (single,
// Bundle, NDJSON; unit and period from the extensions .../survey-unit and .../survey-period,
// else period from `authored` as YYYY-MM). Answers that do not match the questionnaire's
// items: InvalidInput naming file:line(:column) or the resource.
std::vector<Response> read_responses(const std::string& path, const Questionnaire& q);
std::vector<Response> parse_responses_csv(const std::string& text, const std::string& source, const Questionnaire& q);
std::vector<Response> parse_responses_fhir(const std::string& text, const std::string& source,
                                           const Questionnaire& q);
std::string responses_to_csv(const std::vector<Response>& r, const Questionnaire& q);
// A Bundle of QuestionnaireResponse resources.
nlohmann::json responses_to_fhir(const std::vector<Response>& r, const Questionnaire& q);

// Comment themes: keyword lexicon per theme plus a sentiment lexicon with negators.
struct Themes {
  struct Theme {
    std::string id, title;
    std::vector<std::string> keywords;  // lower-case stems: a token starting with one matches
  };
  std::vector<Theme> themes;
  std::map<std::string, int> polarity;   // word -> +1 / -1
  std::vector<std::string> negators;     // flip the polarity of the next 3 tokens
  static Themes load(const std::string& path);
  static std::string default_path();     // data/ops/surveys/themes.json
  // Sentiment of one text: sum of polarities (negated within 3 tokens of a negator).
  int sentiment(const std::string& text, std::vector<int>* theme_hits) const;
};

struct AnalysisOptions {
  double confidence = 0.95;  // interval level
  double alpha = 0.05;       // significance after Holm correction
  int min_group = 1;         // groups with fewer responses are left out of comparisons
};

// The whole analysis as JSON (see docs/ops-admin.md for its fields).
nlohmann::json analyze(const Questionnaire& q, const std::vector<Response>& responses, const Themes& themes,
                       const AnalysisOptions& options);
// A self-contained HTML report of an analysis (inline SVG, no external assets).
std::string html_report(const Questionnaire& q, const nlohmann::json& analysis);

// Statistics used by analyze (exposed for tests).
struct Interval {
  double lo = 0, hi = 0;
};
Interval wilson(double successes, double n, double confidence);
double chi_square_p(const std::vector<std::vector<double>>& table, double* statistic, int* df);
double fisher_exact_p(long a, long b, long c, long d);  // two-sided, 2x2 [[a,b],[c,d]]
double mann_whitney_p(const std::vector<double>& x, const std::vector<double>& y, double* u);
double kruskal_wallis_p(const std::vector<std::vector<double>>& groups, double* h);
std::vector<double> holm(const std::vector<double>& p);

// Synthetic responses: a response table generated from a latent-satisfaction model (unit and
// period effects, item noise; documented in docs/ops-admin.md), a tabular synthesizer (default
// the Gaussian copula) fitted on it, and `n` rows sampled from the fit, rounded to valid
// answers; comments drawn from themed templates by the sampled overall score.
struct SynthOptions {
  size_t n = 1000;
  size_t base_rows = 2000;             // rows of the generated table the synthesizer learns
  std::vector<std::string> units = {"Ward A", "Ward B", "Ward C", "Day surgery"};
  std::vector<std::string> periods = {"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"};
  std::string synthesizer = "copula";
  double comment_rate = 0.35;          // share of respondents who leave a comment
  void validate() const;
};
std::vector<Response> generate_base(const Questionnaire& q, const SynthOptions& o, uint64_t seed);
std::vector<Response> synthesize(const Questionnaire& q, const SynthOptions& o, const Context& ctx,
                                 nlohmann::json* fit_summary);

}  // namespace medgen::ops::surveys
