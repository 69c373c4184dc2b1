// The records evaluation's parts (private to src/records): the datasets prepared once
// (links, event times, series values), and one function per report section.
// evaluate.cpp assembles them; evaluate_time.cpp holds the sections on counts, gaps,
// trajectories and parent-child relations; evaluate_patients.cpp those on whole patients
// (summaries, detection, privacy, utility).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "links.h"
#include "medgen/core/rng.h"
#include "medgen/records/evaluate.h"

namespace medgen::records::evaldetail {

using ojson = nlohmann::ordered_json;

inline ojson num(double v) { return std::isfinite(v) ? ojson(v) : ojson(nullptr); }

// A numeric quantity measured on each row of one table: a numeric or boolean value column, or
// (long format) one level of series_column with its values in value_column.
struct Series {
  size_t table = 0;
  std::string name;    // column name, or the level's label
  std::string column;  // the value column
  std::string level;   // long format: the level; "" otherwise
};

// One dataset with its links resolved.
struct Side {
  const Dataset* d = nullptr;
  size_t entities = 0;                        // root entities (patients)
  std::vector<std::vector<int64_t>> parent;   // per table: parent row of each row (-1 none)
  std::vector<std::vector<int64_t>> root;     // per table: root entity of each row (-1 none)
  std::vector<detail::EntityGroups> groups;   // per sequence table (empty for the others)
  std::vector<std::vector<double>> time;      // per sequence table: each row's offset (time unit)
  std::vector<std::vector<double>> values;    // per series: value on each row of its table, NaN elsewhere
  std::vector<size_t> root_first_row;         // implicit root: the first row of each entity
};

struct Prepared {
  const DatasetSchema* schema = nullptr;
  size_t root = 0;                 // the root table the patients come from
  std::vector<Series> series;      // of every non-root table and of an implicit root
  std::vector<size_t> linked;      // tables whose rows reach the root (the root excluded)
  Side real, syn, hold;
  bool has_holdout = false;
  std::vector<std::string> notes;
};

// The series of table t (see Series), described from the real dataset.
std::vector<Series> find_series(const Dataset& real, size_t t, size_t max_series);

// Links of one dataset (series from Prepared::series).
Side prepare_side(const Dataset& d, size_t root, const std::vector<Series>& series);

// At most `max` root entities of d (in their original order) and the rows of every table that
// belong to them; tables not linked to the root are kept whole.
Dataset subsample(const Dataset& d, size_t root, size_t max, Rng& rng);

// Sorted present values.
std::vector<double> finite_values(const std::vector<double>& v);
double quantile_sorted(const std::vector<double>& sorted, double q);
double mean_of(const std::vector<double>& v);
double sd_of(const std::vector<double>& v);  // sample sd of the present values; NaN with fewer than 2

// ---- sections (each reports the synthetic side and, when there is one, the holdout side)
ojson table_section(const Prepared& p, const RecordEvalOptions& o, const Context& ctx);
ojson child_count_section(const Prepared& p, const RecordEvalOptions& o);
ojson gap_section(const Prepared& p, const RecordEvalOptions& o);
ojson trajectory_section(const Prepared& p, const RecordEvalOptions& o);
ojson parent_child_section(const Prepared& p);
// Patient summaries: detection and summary-distance privacy through eval::evaluate, the
// sequence distance and its membership attack here.
ojson patient_section(const Prepared& p, const RecordEvalOptions& o, const Context& ctx, Rng rng);
// InvalidInput when options.outcome or options.exclude name no usable root column.
void check_outcome(const Prepared& p, const RecordEvalOptions& o);
ojson utility_section(const Prepared& p, const RecordEvalOptions& o, const Context& ctx);

}  // namespace medgen::records::evaldetail
