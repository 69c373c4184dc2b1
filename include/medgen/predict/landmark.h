// Features from a record: a long table of visits (one row per visit: patient id, visit time,
// lab values) summarised per patient over a landmark window and joined to the baseline/outcome
// table (one row per patient), for survival models fitted from the landmark on.
//
// Landmark analysis (van Houwelingen 2007): only what is known by the landmark time w (the
// window's end) is used, and the outcome clock restarts there. Patients whose event or
// censoring time is <= w are left out (they are not at risk at the landmark), and so are
// patients with no visit in the window; the time column of those kept becomes time - w. Visit
// times must be measured on the outcome's clock (both from the same baseline, in the same units).
// Summaries over the visits with visit time <= w (visits before the baseline count too), per lab
// column: last (the latest non-missing value), mean, slope (least-squares slope per
// `slope_per` time units, needs two distinct visit times), min, max; and `count`, the number
// of visits in the window (one column, visit_count). A summary that cannot be computed is missing.
// Thread safety: pure functions on values.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/predict/design.h"

namespace medgen::predict {

struct LandmarkOptions {
  std::string id;                       // patient column, in both tables
  std::string time;                     // visit time column of the visits table
  double window = std::numeric_limits<double>::quiet_NaN();  // landmark w (> 0, outcome time units)
  std::vector<std::string> columns;     // lab columns of the visits table to summarise
  std::vector<std::string> summaries = {"last", "mean", "slope", "count"};  // of last, mean, slope, min, max, count
  double slope_per = 1;                 // slopes per this many time units (365.25 with days: per year)
  void validate() const;                // InvalidInput naming the option
};

struct LandmarkTable {
  Table table;                      // the baseline rows kept, outcome time shifted, summaries appended
  Schema schema;
  std::vector<std::string> added;   // the summary columns, e.g. "bili_last", "bili_slope", "visit_count"
  nlohmann::json report;            // rows in, left out (event or censoring by w, no visit in the window), kept
};

// InvalidInput naming the file and the column: an id or time column absent from its table, a
// lab column absent or not numerical, a summary not listed above, a patient id repeated in the
// baseline table, a window that is not > 0 or that no patient's follow-up exceeds, and (through
// read_outcome) a time <= 0 in the baseline table.
LandmarkTable landmark_table(const Table& base, const Schema& base_schema, const std::string& base_source,
                             const Table& visits, const Schema& visits_schema, const std::string& visits_source,
                             const OutcomeSpec& outcome, const LandmarkOptions& options);

}  // namespace medgen::predict
