// Incidence series: new cases per step (a day or a week), read from CSV, with the disease's
// serial interval (the distribution of the time between the onsets of an infector and the
// person it infects, in steps) that the transmission models need.
// Thread safety: pure functions; Series is a value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::epi {

struct Series {
  std::string name;                 // from the metadata, or the file's stem
  std::string source;               // file path, for messages
  std::string step = "day";         // "day" or "week": the unit of every time in the models
  std::vector<double> cases;        // new cases per step (whole numbers >= 0)
  std::vector<std::string> labels;  // per step (a date, "day N", "YYYY-Www"), or empty
  std::vector<double> si;           // serial interval over lags 0, 1, 2, ... steps; si[0] == 0, sums to 1
  double si_mean = 0;               // its mean, in steps
};

// Reads `cases_column` (and "label" when present) of a CSV file. InvalidInput naming
// file:line:column for a missing, negative, fractional or non-numeric count; fewer than 10 steps.
Series read_series(const std::string& path, const std::string& cases_column = "cases");

// Fills step, name and the serial interval from metadata: a JSON array of objects with "file",
// "name", "step", "si" (as in data/epi/series.json), matched by the file's name. Returns false
// when no entry matches. InvalidInput for a malformed entry (naming `meta_path`).
bool apply_metadata(Series* series, const std::string& meta_path);

// A gamma(mean, sd) serial interval (in steps) discretised to lags 1..: the mass of
// (k - 0.5, k + 0.5] goes to lag k >= 1 (the mass below 0.5 too), truncated where the remaining
// mass is below 1e-6 and renormalised. InvalidInput unless 0 < sd and 0 < mean <= 1000.
std::vector<double> discretised_gamma_si(double mean, double sd);

// Checks a serial interval: si[0] == 0, entries >= 0, sum 1 (to 1e-6), at least 2 entries.
void check_si(const std::vector<double>& si, const std::string& where);

}  // namespace medgen::epi
