// Bias audit of risk predictions across groups of patients (Fairlearn/Aequitas-style): per group
// the rows, outcome rate, discrimination (AUROC or Harrell's c), calibration (observed vs expected,
// Brier), true and false positive rates at a decision threshold and the positive rate, each with
// percentile bootstrap intervals; the largest gaps between groups (equalised odds: TPR and FPR
// gaps; demographic parity: positive-rate gap) with intervals; a warning where a group is too
// small to judge (< 30 rows or < 10 outcomes); and missing-data patterns per group (share missing
// per feature column), from the source table.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/table.h"

namespace medgen::predict {

// A grouping of rows: "sex" (a categorical column, or a numerical one with <= 12 values) or
// "age:50,65" (numerical cut points: bands "<50", "50-65", ">=65"). InvalidInput for an unknown
// column, fewer than two groups, or bad cut points.
struct GroupSpec {
  std::string column;
  std::vector<double> cuts;
  static GroupSpec parse(const std::string& text);
  // Label of every row ("" where the column is missing).
  std::vector<std::string> labels(const Table& table) const;
};

struct AuditInput {
  const Table* table = nullptr;        // the source table (missing-data patterns)
  std::vector<size_t> rows;            // scored rows of the table
  std::vector<double> risk;            // per scored row: probability (binary or by the horizon)
  std::vector<double> margin;          // per scored row: for discrimination
  bool survival = false;
  std::vector<double> y;               // binary outcome per scored row
  std::vector<double> time;            // survival
  std::vector<int> event;
  double horizon = 0;                  // survival: outcome is "event by horizon"
  double threshold = 0.5;              // decision threshold on risk
  std::vector<std::string> feature_columns;  // for missing-data patterns
  int bootstrap = 200;
  uint64_t seed = 0;
};

nlohmann::json audit(const AuditInput& in, const std::vector<std::string>& groups);

}  // namespace medgen::predict
