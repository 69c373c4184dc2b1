// The prediction task read from a table: the outcome (binary, or time to event with censoring),
// the features as a design matrix (numeric columns, log(...) terms, one-hot categories), and the
// checks that refuse data a model cannot honestly learn from (constant or missing outcome,
// time <= 0, a feature that is the outcome, absurd horizons).
// Thread safety: Design and Dataset are values; the functions are pure.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen::predict {

enum class Task { kBinary, kSurvival };

// What is predicted. Binary: `outcome` (with `positive` the label counting as 1). Survival:
// `time` and `event` (the event happened when event == event_value). A survival outcome with a
// horizon also defines "event within the horizon" for risk, calibration and decision curves.
struct OutcomeSpec {
  std::string outcome;      // binary outcome column
  std::string positive;     // its positive label ("" = 1 / true / yes, or the larger of two values)
  std::string time;         // survival: follow-up time column (> 0)
  std::string event;        // survival: event indicator column
  std::string event_value;  // label of `event` meaning the event ("" = 1 / true / yes / nonzero)
  double horizon = std::numeric_limits<double>::quiet_NaN();  // survival: risk horizon (time units)

  Task task() const { return time.empty() ? Task::kBinary : Task::kSurvival; }
  nlohmann::json to_json() const;
  static OutcomeSpec from_json(const nlohmann::json& j);
};

// One column of the design matrix.
struct Term {
  std::string column;          // source column
  std::string transform;       // "" (as is), "log", or "level" (indicator of `level`)
  std::string level;           // for "level"
  double impute = 0;           // value used for a missing entry when imputing (training median)
  std::string name() const;    // "age", "log(bili)", "sex=m"
};

// The design: terms, how missing values are treated, and per-term training means (centring
// for explanations).
struct Design {
  std::vector<Term> terms;
  std::string missing = "drop";  // "drop": complete cases; "impute": training medians; "keep": NaN (trees)
  std::vector<double> means;     // per term, over the training rows

  // Parses "age, edema, log(bili), sex" against the schema (categorical columns become one
  // indicator per non-reference level, the reference being the most frequent level). An empty
  // spec takes every numerical, boolean and categorical column except `exclude`. InvalidInput for
  // an unknown column, a datetime/identifier/text column, or a log of a non-numerical column.
  static Design parse(const std::string& spec, const Table& table, const Schema& schema,
                      const std::vector<std::string>& exclude);
  // X (rows x terms, row-major); entries missing in the source (or log of a value <= 0) are NaN,
  // then imputed unless missing == "keep". complete[i] = 1 when row i had no missing entry.
  std::vector<double> matrix(const Table& table, std::vector<uint8_t>* complete = nullptr) const;
  // Sets every term's impute value to its median over `table` (label-free, so safe to take
  // from all training rows) and `means` to the column means after imputation.
  void fit_imputation(const Table& table);
  std::vector<std::string> names() const;
  std::vector<std::string> columns() const;  // distinct source columns, in term order
  nlohmann::json to_json() const;
  static Design from_json(const nlohmann::json& j, const std::string& where);
};

// Rows ready to learn from or to score.
struct Dataset {
  Task task = Task::kBinary;
  size_t n = 0, p = 0;
  std::vector<double> x;         // n x p row-major
  std::vector<double> y;         // binary: 0/1
  std::vector<double> time;      // survival
  std::vector<int> event;        // survival: 1 event, 0 censored
  std::vector<size_t> rows;      // source row of each row
  std::vector<std::string> names;
  size_t dropped_missing = 0;    // rows left out for a missing outcome or feature

  Dataset take(const std::vector<size_t>& idx) const;  // subset by position
  double row_value(size_t i, size_t j) const { return x[i * p + j]; }
};

// A categorical outcome/event column with two labels, neither meaning yes: fills spec's positive
// (event_value) with the rarer label, so that the model file records it, and returns a note
// saying so ("" when nothing was chosen).
std::string resolve_labels(const Table& table, OutcomeSpec* spec);

// Outcome labels of a table: y (binary) or time/event (survival); `ok[i]` = 0 where missing.
// InvalidInput (naming `source` and the column) for an absent column, a binary outcome with
// other than two values, a time <= 0, a non-finite horizon or one beyond the last follow-up.
void read_outcome(const Table& table, const OutcomeSpec& spec, const std::string& source, std::vector<double>* y,
                  std::vector<double>* time, std::vector<int>* event, std::vector<uint8_t>* ok);

// The dataset for `design` on `table`: rows with a missing outcome (and, when design.missing is
// "drop", a missing feature) are dropped. InvalidInput when no rows are left, the outcome is
// constant (one class, or no events), or fewer than 2 rows per term remain.
// check = false skips the constant-outcome and size checks (extra rows to append elsewhere).
Dataset make_dataset(const Table& table, const Design& design, const OutcomeSpec& spec, const std::string& source,
                     bool check = true);

// Features that leak the outcome: one equal to it, or on its own separating it almost perfectly
// (AUROC or concordance >= 0.99), or a near-copy of the follow-up time (|r| >= 0.99). One message
// per feature ("feature 'x' ...").
std::vector<std::string> leak_warnings(const Dataset& d);

}  // namespace medgen::predict
