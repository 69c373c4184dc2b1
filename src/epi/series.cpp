#include "medgen/epi/series.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"

namespace medgen::epi {

namespace {

// Regularised lower incomplete gamma P(a, x) by its series (x < a + 1) or continued fraction.
double gamma_p(double a, double x) {
  if (x <= 0) return 0;
  const double lg = std::lgamma(a);
  if (x < a + 1) {
    double sum = 1 / a, term = sum;
    for (int n = 1; n < 10000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-15) break;
    }
    return sum * std::exp(-x + a * std::log(x) - lg);
  }
  double b = x + 1 - a, c = 1e300, d = 1 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (std::fabs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return 1 - std::exp(-x + a * std::log(x) - lg) * h;
}

}  // namespace

void check_si(const std::vector<double>& si, const std::string& where) {
  if (si.size() < 2) throw InvalidInput(where + ": the serial interval needs at least lags 0 and 1");
  if (si[0] != 0) throw InvalidInput(where + ": the serial interval's lag-0 weight must be 0");
  double s = 0;
  for (double w : si) {
    if (!(w >= 0) || !std::isfinite(w)) throw InvalidInput(where + ": serial interval weights must be finite and >= 0");
    s += w;
  }
  if (std::fabs(s - 1) > 1e-4) throw InvalidInput(where + ": serial interval weights must sum to 1, they sum to " + std::to_string(s));
}

std::vector<double> discretised_gamma_si(double mean, double sd) {
  if (!(mean > 0 && mean <= 1000 && sd > 0 && sd <= 1000))
    throw InvalidInput("serial interval: need 0 < mean <= 1000 and 0 < sd <= 1000 (steps)");
  const double shape = mean * mean / (sd * sd), scale = sd * sd / mean;
  std::vector<double> w{0.0};
  double prev = 0;
  for (int k = 1; k < 100000; ++k) {
    const double cdf = gamma_p(shape, (k + 0.5) / scale);
    w.push_back(cdf - prev);
    prev = cdf;
    if (1 - cdf < 1e-6) break;
  }
  double s = 0;
  for (double v : w) s += v;
  for (double& v : w) v /= s;
  return w;
}

Series read_series(const std::string& path, const std::string& cases_column) {
  const RawTable raw = read_csv(path);
  Series s;
  s.source = path;
  s.name = std::filesystem::path(path).stem().string();
  int col = -1, label = -1;
  for (size_t j = 0; j < raw.names.size(); ++j) {
    if (raw.names[j] == cases_column) col = static_cast<int>(j);
    if (raw.names[j] == "label") label = static_cast<int>(j);
  }
  if (col < 0) throw InvalidInput(located(path, 1, 0, "no column '" + cases_column + "' in the header"));
  for (size_t i = 0; i < raw.num_rows(); ++i) {
    const std::string text(raw.field(i, col));
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0 || v != std::floor(v) || v > 1e9)
      throw InvalidInput(located(path, raw.line(i), col + 1,
                                 "'" + cases_column + "' must be a whole number of cases >= 0, got '" + text + "'"));
    s.cases.push_back(v);
    if (label >= 0) s.labels.emplace_back(raw.field(i, label));
  }
  if (s.cases.size() < 10) throw InvalidInput(path + ": " + std::to_string(s.cases.size()) + " steps; a series needs at least 10");
  double total = 0;
  for (double v : s.cases) total += v;
  if (total <= 0) throw InvalidInput(path + ": no cases at all");
  return s;
}

bool apply_metadata(Series* s, const std::string& meta_path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(meta_path, 64 << 20));
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInput(meta_path + ": not JSON: " + e.what());
  }
  if (!j.is_array()) throw InvalidInput(meta_path + ": expected a JSON array of series");
  const std::string file = std::filesystem::path(s->source).filename().string();
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("file") || !e["file"].is_string()) throw InvalidInput(meta_path + ": every entry needs a \"file\"");
    if (e["file"].get<std::string>() != file) continue;
    try {
      if (e.contains("name")) s->name = e["name"].get<std::string>();
      if (e.contains("step")) s->step = e["step"].get<std::string>();
      if (s->step != "day" && s->step != "week") throw InvalidInput(meta_path + ": " + file + ": step must be \"day\" or \"week\"");
      s->si = e.at("si").get<std::vector<double>>();
    } catch (const nlohmann::json::exception& ex) {
      throw InvalidInput(meta_path + ": " + file + ": " + ex.what());
    }
    double total = 0;
    for (double w : s->si) total += w;
    if (total > 0)
      for (double& w : s->si) w /= total;
    check_si(s->si, meta_path + ": " + file);
    s->si_mean = 0;
    for (size_t k = 0; k < s->si.size(); ++k) s->si_mean += k * s->si[k];
    return true;
  }
  return false;
}

}  // namespace medgen::epi
