// Survey analysis: scores, intervals, tests between groups, net promoter score, comment themes.
#include <algorithm>
#include <boost/math/special_functions/gamma.hpp>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/version.h"
#include "medgen/ops/surveys/surveys.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace medgen::ops::surveys {

namespace {

// Two-sided normal quantile for a confidence level (Acklam's rational approximation of the
// inverse normal CDF, refined by one Newton step on erfc).
double z_for(double confidence) {
  const double p = 1 - (1 - confidence) / 2;
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p > 0.97575) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  return x - e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
}

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double chi2_sf(double x, int df) {
  if (!(x > 0)) return 1.0;
  return boost::math::gamma_q(df / 2.0, x / 2.0);
}

// Mid-ranks of pooled values; returns the tie correction sum (t^3 - t).
double rank_all(const std::vector<std::pair<double, int>>& v_sorted, std::vector<double>* ranks) {
  ranks->assign(v_sorted.size(), 0);
  double ties = 0;
  for (size_t i = 0; i < v_sorted.size();) {
    size_t j = i + 1;
    while (j < v_sorted.size() && v_sorted[j].first == v_sorted[i].first) ++j;
    const double r = (i + 1 + j) / 2.0;
    for (size_t k = i; k < j; ++k) (*ranks)[k] = r;
    const double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    i = j;
  }
  return ties;
}

json round3(double x) { return std::isfinite(x) ? json(std::round(x * 1000) / 1000) : json(nullptr); }
json round6(double x) { return std::isfinite(x) ? json(std::round(x * 1e6) / 1e6) : json(nullptr); }

std::vector<std::string> tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalpha(u) || ch == '\'') cur += static_cast<char>(std::tolower(u));
    else if (!cur.empty()) out.push_back(std::move(cur)), cur.clear();
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

Interval wilson(double k, double n, double confidence) {
  if (n <= 0) return {NAN, NAN};
  const double z = z_for(confidence), p = k / n, z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

double chi_square_p(const std::vector<std::vector<double>>& t, double* statistic, int* df) {
  const size_t r = t.size(), c = r ? t[0].size() : 0;
  std::vector<double> rs(r, 0), cs(c, 0);
  double n = 0;
  for (size_t i = 0; i < r; ++i)
    for (size_t j = 0; j < c; ++j) rs[i] += t[i][j], cs[j] += t[i][j], n += t[i][j];
  size_t rr = 0, cc = 0;  // rows and columns that are not empty
  for (double x : rs) rr += x > 0;
  for (double x : cs) cc += x > 0;
  double x2 = 0;
  for (size_t i = 0; i < r; ++i)
    for (size_t j = 0; j < c; ++j) {
      const double e = rs[i] * cs[j] / n;
      if (e > 0) x2 += (t[i][j] - e) * (t[i][j] - e) / e;
    }
  *statistic = x2;
  *df = static_cast<int>((rr > 0 ? rr - 1 : 0) * (cc > 0 ? cc - 1 : 0));
  if (*df == 0) return 1.0;
  return chi2_sf(x2, *df);
}

double fisher_exact_p(long a, long b, long c, long d) {
  const long r1 = a + b, r2 = c + d, c1 = a + c, n = a + b + c + d;
  auto logp = [&](long x) {  // hypergeometric log-probability of the table with top-left x
    return std::lgamma(r1 + 1.0) + std::lgamma(r2 + 1.0) + std::lgamma(c1 + 1.0) + std::lgamma(n - c1 + 1.0) -
           std::lgamma(n + 1.0) - std::lgamma(x + 1.0) - std::lgamma(r1 - x + 1.0) - std::lgamma(c1 - x + 1.0) -
           std::lgamma(r2 - c1 + x + 1.0);
  };
  const long lo = std::max(0L, c1 - r2), hi = std::min(r1, c1);
  const double observed = logp(a);
  double p = 0;
  for (long x = lo; x <= hi; ++x) {
    const double lp = logp(x);
    if (lp <= observed + 1e-7) p += std::exp(lp);
  }
  return std::min(1.0, p);
}

double mann_whitney_p(const std::vector<double>& x, const std::vector<double>& y, double* u) {
  const double n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size());
  if (n1 == 0 || n2 == 0) {
    *u = NAN;
    return 1.0;
  }
  std::vector<std::pair<double, int>> v;
  v.reserve(x.size() + y.size());
  for (double a : x) v.emplace_back(a, 0);
  for (double b : y) v.emplace_back(b, 1);
  std::sort(v.begin(), v.end());
  std::vector<double> ranks;
  const double ties = rank_all(v, &ranks);
  double r1 = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i].second == 0) r1 += ranks[i];
  *u = r1 - n1 * (n1 + 1) / 2;
  const double n = n1 + n2;
  const double var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)));
  if (!(var > 0)) return 1.0;
  const double mu = n1 * n2 / 2;
  const double diff = std::fabs(*u - mu) - 0.5;  // continuity correction
  return std::min(1.0, normal_two_sided_p(std::max(0.0, diff) / std::sqrt(var)));
}

double kruskal_wallis_p(const std::vector<std::vector<double>>& groups, double* h) {
  std::vector<std::pair<double, int>> v;
  int k = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].empty()) continue;
    ++k;
    for (double x : groups[g]) v.emplace_back(x, static_cast<int>(g));
  }
  const double n = static_cast<double>(v.size());
  if (k < 2 || n < 3) {
    *h = NAN;
    return 1.0;
  }
  std::sort(v.begin(), v.end());
  std::vector<double> ranks;
  const double ties = rank_all(v, &ranks);
  std::vector<double> sum(groups.size(), 0);
  for (size_t i = 0; i < v.size(); ++i) sum[v[i].second] += ranks[i];
  double s = 0;
  for (size_t g = 0; g < groups.size(); ++g)
    if (!groups[g].empty()) s += sum[g] * sum[g] / static_cast<double>(groups[g].size());
  double stat = 12.0 / (n * (n + 1)) * s - 3 * (n + 1);
  const double corr = 1 - ties / (n * n * n - n);
  if (corr > 0) stat /= corr;
  *h = stat;
  return chi2_sf(stat, k - 1);
}

std::vector<double> holm(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> adj(m);
  double running = 0;
  for (size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, (m - i) * p[order[i]]));
    adj[order[i]] = running;
  }
  return adj;
}

// ---------------------------------------------------------------------------- themes

std::string Themes::default_path() {
  if (const char* e = std::getenv("MEDGEN_DATA"); e && *e) return std::string(e) + "/ops/surveys/themes.json";
  const std::string built = std::string(MEDGEN_DATA_DIR) + "/ops/surveys/themes.json";
  return fs::exists(built) ? built : "data/ops/surveys/themes.json";
}

Themes Themes::load(const std::string& path) {
  json j;
  try {
    j = json::parse(read_file(path, 16 << 20));
  } catch (const json::parse_error& e) {
    throw InvalidInput(path + ": " + e.what());
  }
  if (!j.is_object() || j.value("format", "") != "medgen-survey-themes")
    throw InvalidInput(path + ": not a medgen-survey-themes file");
  Themes t;
  auto strings = [&](const json& a, const std::string& what) {
    if (!a.is_array()) throw InvalidInput(path + ": " + what + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& s : a) {
      if (!s.is_string() || s.get<std::string>().empty()) throw InvalidInput(path + ": " + what + " must hold non-empty strings");
      std::string l = s;
      for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out.push_back(l);
    }
    return out;
  };
  if (!j.contains("themes") || !j["themes"].is_array()) throw InvalidInput(path + ": \"themes\" must be an array");
  for (const auto& th : j["themes"]) {
    Theme x;
    x.id = th.value("id", "");
    x.title = th.value("title", x.id);
    if (x.id.empty()) throw InvalidInput(path + ": a theme without an id");
    x.keywords = strings(th.value("keywords", json()), "theme '" + x.id + "' keywords");
    t.themes.push_back(x);
  }
  const json s = j.value("sentiment", json::object());
  t.negators = strings(s.value("negators", json::array()), "sentiment.negators");
  for (const auto& w : strings(s.value("positive", json()), "sentiment.positive")) t.polarity[w] = 1;
  for (const auto& w : strings(s.value("negative", json()), "sentiment.negative")) t.polarity[w] = -1;
  return t;
}

int Themes::sentiment(const std::string& text, std::vector<int>* theme_hits) const {
  const std::vector<std::string> tok = tokens(text);
  if (theme_hits) theme_hits->assign(themes.size(), 0);
  int score = 0, negate = 0;
  for (const auto& w : tok) {
    if (theme_hits)
      for (size_t k = 0; k < themes.size(); ++k)
        for (const auto& kw : themes[k].keywords)
          if (w.compare(0, kw.size(), kw) == 0) (*theme_hits)[k] = 1;
    if (std::find(negators.begin(), negators.end(), w) != negators.end() ||
        (w.size() > 3 && w.compare(w.size() - 3, 3, "n't") == 0)) {
      negate = 3;
      continue;
    }
    auto it = polarity.find(w);
    if (it != polarity.end()) score += negate > 0 ? -it->second : it->second;
    if (negate > 0) --negate;
  }
  return score;
}

// ---------------------------------------------------------------------------- analysis

namespace {

struct Group {
  std::string name;
  std::vector<size_t> rows;
};

std::vector<Group> groups_by(const std::vector<Response>& rs, bool unit) {
  std::map<std::string, Group> m;
  for (size_t i = 0; i < rs.size(); ++i) {
    const std::string& k = unit ? rs[i].unit : rs[i].period;
    if (k.empty()) continue;
    auto& g = m[k];
    g.name = k;
    g.rows.push_back(i);
  }
  std::vector<Group> out;
  for (auto& [_, g] : m) out.push_back(std::move(g));
  return out;
}

bool top(const Scale& s, int v) { return std::find(s.top_box.begin(), s.top_box.end(), v) != s.top_box.end(); }

// Scores of rows on an item (answered only).
json item_stats(const Questionnaire& q, size_t k, const std::vector<Response>& rs, const std::vector<size_t>& rows,
                double conf) {
  const Scale& s = q.scales.at(q.items[k].scale);
  size_t n = 0, tb = 0;
  double sum = 0, sum2 = 0;
  std::vector<size_t> dist(s.levels(), 0);
  for (size_t i : rows) {
    const int v = rs[i].values[k];
    if (v == kNoAnswer) continue;
    ++n;
    tb += top(s, v);
    const double sc = s.score(v);
    sum += sc;
    sum2 += sc * sc;
    dist[s.is_integer() ? v - s.min : v - 1]++;
  }
  json j = {{"item", q.items[k].link_id}, {"n", n}};
  if (n == 0) return j;
  const Interval ci = wilson(static_cast<double>(tb), static_cast<double>(n), conf);
  const double mean = sum / n;
  const double sd = n > 1 ? std::sqrt(std::max(0.0, (sum2 - n * mean * mean) / (n - 1))) : 0;
  const double half = z_for(conf) * sd / std::sqrt(static_cast<double>(n));
  j["top_box"] = round6(static_cast<double>(tb) / n);
  j["top_box_ci"] = {round6(ci.lo), round6(ci.hi)};
  j["mean_score"] = round3(mean);
  j["mean_score_ci"] = {round3(mean - half), round3(mean + half)};
  j["distribution"] = dist;
  return j;
}

// Per-respondent share of a domain's answered items in the top box; composite over rows.
json domain_stats(const Questionnaire& q, const Domain& d, const std::vector<Response>& rs,
                  const std::vector<size_t>& rows, double conf) {
  std::vector<int> idx;
  for (const auto& l : d.items) idx.push_back(q.item_index(l));
  size_t n = 0;
  double sum = 0, sum2 = 0, ssum = 0, ssum2 = 0;
  for (size_t i : rows) {
    int answered = 0, tb = 0;
    double sc = 0;
    for (int k : idx) {
      const int v = rs[i].values[k];
      if (v == kNoAnswer) continue;
      const Scale& s = q.scales.at(q.items[k].scale);
      ++answered;
      tb += top(s, v);
      sc += s.score(v);
    }
    if (!answered) continue;
    ++n;
    const double x = static_cast<double>(tb) / answered, y = sc / answered;
    sum += x, sum2 += x * x, ssum += y, ssum2 += y * y;
  }
  json j = {{"domain", d.id}, {"title", d.title}, {"n", n}};
  if (n == 0) return j;
  const double z = z_for(conf);
  auto ci = [&](double s1, double s2, double lo, double hi) {
    const double m = s1 / n;
    const double sd = n > 1 ? std::sqrt(std::max(0.0, (s2 - n * m * m) / (n - 1))) : 0;
    const double h = z * sd / std::sqrt(static_cast<double>(n));
    return std::make_tuple(m, std::max(lo, m - h), std::min(hi, m + h));
  };
  auto [m, lo, hi] = ci(sum, sum2, 0, 1);
  auto [sm, slo, shi] = ci(ssum, ssum2, 0, 100);
  j["top_box"] = round6(m);
  j["top_box_ci"] = {round6(lo), round6(hi)};
  j["mean_score"] = round3(sm);
  j["mean_score_ci"] = {round3(slo), round3(shi)};
  return j;
}

json nps_stats(const Questionnaire& q, const std::vector<Response>& rs, const std::vector<size_t>& rows, double conf) {
  int k = -1;
  for (size_t i = 0; i < q.items.size(); ++i)
    if (q.items[i].nps) k = static_cast<int>(i);
  if (k < 0) return nullptr;
  size_t n = 0, pro = 0, det = 0;
  for (size_t i : rows) {
    const int v = rs[i].values[k];
    if (v == kNoAnswer) continue;
    ++n;
    pro += v >= 9;
    det += v <= 6;
  }
  if (n == 0) return {{"n", 0}};
  const double pp = static_cast<double>(pro) / n, pd = static_cast<double>(det) / n;
  const double nps = pp - pd;
  // Variance of the difference of two multinomial shares: (pP + pD - (pP - pD)^2) / n.
  const double se = std::sqrt(std::max(0.0, (pp + pd - nps * nps) / n));
  const double h = z_for(conf) * se;
  return {{"n", n},
          {"promoters", round6(pp)},
          {"passives", round6(1 - pp - pd)},
          {"detractors", round6(pd)},
          {"nps", round3(100 * nps)},
          {"nps_ci", {round3(std::max(-100.0, 100 * (nps - h))), round3(std::min(100.0, 100 * (nps + h)))}}};
}

// Tests between the groups of one dimension (unit or period) on every item, Holm-corrected
// within the dimension.
json compare(const Questionnaire& q, const std::vector<Response>& rs, const std::vector<Group>& all_groups,
             const AnalysisOptions& o) {
  std::vector<Group> groups;
  for (const auto& g : all_groups)
    if (static_cast<int>(g.rows.size()) >= o.min_group) groups.push_back(g);
  json out = {{"groups", json::array()}, {"tests", json::array()}};
  for (const auto& g : groups) out["groups"].push_back({{"name", g.name}, {"n", g.rows.size()}});
  if (groups.size() < 2) return out;
  std::vector<json> tests;
  std::vector<double> ps;
  auto add = [&](json t, double p) {
    t["p"] = round6(p);
    tests.push_back(std::move(t));
    ps.push_back(p);
  };
  for (size_t k = 0; k < q.items.size(); ++k) {
    const Scale& s = q.scales.at(q.items[k].scale);
    std::vector<std::vector<double>> scores(groups.size());
    std::vector<std::vector<double>> table(groups.size(), std::vector<double>(2, 0));
    for (size_t g = 0; g < groups.size(); ++g)
      for (size_t i : groups[g].rows) {
        const int v = rs[i].values[k];
        if (v == kNoAnswer) continue;
        scores[g].push_back(s.score(v));
        table[g][top(s, v) ? 0 : 1] += 1;
      }
    size_t nonempty = 0;
    for (const auto& sc : scores) nonempty += !sc.empty();
    if (nonempty < 2) continue;
    const std::string item = q.items[k].link_id;
    // Top-box proportions: Fisher's exact test for 2 groups with a small expected count, else
    // the chi-square test of independence.
    bool small = false;
    double n = 0, c0 = 0;
    for (const auto& r : table) n += r[0] + r[1], c0 += r[0];
    for (const auto& r : table)
      for (int c = 0; c < 2; ++c) {
        const double e = (r[0] + r[1]) * (c == 0 ? c0 : n - c0) / n;
        if (e < 5) small = true;
      }
    if (groups.size() == 2 && small) {
      const double p = fisher_exact_p(std::lround(table[0][0]), std::lround(table[0][1]), std::lround(table[1][0]),
                                      std::lround(table[1][1]));
      add({{"item", item}, {"measure", "top_box"}, {"test", "fisher_exact"}}, p);
    } else {
      double x2;
      int df;
      const double p = chi_square_p(table, &x2, &df);
      add({{"item", item}, {"measure", "top_box"}, {"test", "chi_square"}, {"statistic", round3(x2)}, {"df", df},
           {"small_expected_counts", small}},
          p);
    }
    // Scores: Mann-Whitney for 2 groups, Kruskal-Wallis for more.
    if (groups.size() == 2) {
      double u;
      const double p = mann_whitney_p(scores[0], scores[1], &u);
      add({{"item", item}, {"measure", "score"}, {"test", "mann_whitney"}, {"statistic", round3(u)}}, p);
    } else {
      double h;
      const double p = kruskal_wallis_p(scores, &h);
      add({{"item", item}, {"measure", "score"}, {"test", "kruskal_wallis"}, {"statistic", round3(h)},
           {"df", static_cast<int>(nonempty) - 1}},
          p);
    }
  }
  const std::vector<double> adj = holm(ps);
  for (size_t i = 0; i < tests.size(); ++i) {
    tests[i]["p_holm"] = round6(adj[i]);
    tests[i]["significant"] = adj[i] < o.alpha;
    out["tests"].push_back(tests[i]);
  }
  out["correction"] = "holm";
  out["tests_run"] = tests.size();
  return out;
}

}  // namespace

json analyze(const Questionnaire& q, const std::vector<Response>& rs, const Themes& themes, const AnalysisOptions& o) {
  if (!(o.confidence > 0.5 && o.confidence < 1)) throw InvalidInput("--confidence must be in (0.5, 1)");
  if (!(o.alpha > 0 && o.alpha < 1)) throw InvalidInput("--alpha must be in (0, 1)");
  if (rs.empty()) throw InvalidInput("no responses to analyse");
  for (const auto& r : rs)
    if (r.values.size() != q.items.size()) throw InvalidInput("response '" + r.id + "' does not match the questionnaire");
  std::vector<size_t> all(rs.size());
  std::iota(all.begin(), all.end(), 0);
  json a = {{"questionnaire", q.id}, {"responses", rs.size()}, {"confidence", o.confidence}, {"alpha", o.alpha}};
  a["items"] = json::array();
  for (size_t k = 0; k < q.items.size(); ++k) {
    json it = item_stats(q, k, rs, all, o.confidence);
    it["domain"] = q.items[k].domain;
    it["text"] = q.items[k].text;
    a["items"].push_back(it);
  }
  a["domains"] = json::array();
  for (const auto& d : q.domains) a["domains"].push_back(domain_stats(q, d, rs, all, o.confidence));
  a["nps"] = nps_stats(q, rs, all, o.confidence);
  for (bool unit : {true, false}) {
    const std::vector<Group> groups = groups_by(rs, unit);
    json by = json::array();
    for (const auto& g : groups) {
      json gj = {{"name", g.name}, {"n", g.rows.size()}, {"domains", json::array()}};
      for (const auto& d : q.domains) gj["domains"].push_back(domain_stats(q, d, rs, g.rows, o.confidence));
      gj["nps"] = nps_stats(q, rs, g.rows, o.confidence);
      by.push_back(gj);
    }
    a[unit ? "by_unit" : "by_period"] = by;
    a[unit ? "compare_units" : "compare_periods"] = compare(q, rs, groups, o);
  }
  // Comment themes.
  size_t with_comment = 0;
  std::vector<size_t> count(themes.themes.size(), 0), neg(themes.themes.size(), 0), pos(themes.themes.size(), 0);
  std::vector<double> sent(themes.themes.size(), 0);
  std::vector<std::vector<std::string>> examples(themes.themes.size());
  size_t total_pos = 0, total_neg = 0;
  std::vector<int> hits;
  for (const auto& r : rs) {
    if (r.comment.empty()) continue;
    ++with_comment;
    const int s = themes.sentiment(r.comment, &hits);
    total_pos += s > 0;
    total_neg += s < 0;
    for (size_t k = 0; k < hits.size(); ++k) {
      if (!hits[k]) continue;
      ++count[k];
      sent[k] += s;
      neg[k] += s < 0;
      pos[k] += s > 0;
      if (examples[k].size() < 3 && r.comment.size() <= 200 &&
          std::find(examples[k].begin(), examples[k].end(), r.comment) == examples[k].end())
        examples[k].push_back(r.comment);
    }
  }
  json th = json::array();
  for (size_t k = 0; k < themes.themes.size(); ++k) {
    json t = {{"theme", themes.themes[k].id}, {"title", themes.themes[k].title}, {"comments", count[k]}};
    if (with_comment) t["share"] = round6(static_cast<double>(count[k]) / with_comment);
    if (count[k]) {
      t["mean_sentiment"] = round3(sent[k] / count[k]);
      t["negative_share"] = round6(static_cast<double>(neg[k]) / count[k]);
      t["positive_share"] = round6(static_cast<double>(pos[k]) / count[k]);
      t["examples"] = examples[k];
    }
    th.push_back(t);
  }
  a["comments"] = {{"n", with_comment},
                   {"positive", total_pos},
                   {"negative", total_neg},
                   {"method", "keyword-stem themes and lexicon sentiment with 3-word negation (themes.json)"},
                   {"themes", th}};
  return a;
}

}  // namespace medgen::ops::surveys
