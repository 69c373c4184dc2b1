// What a virtual trial learns from a real one: the patients of one arm (a medgen synthesizer
// from the registry, fitted on that arm's baseline covariates), each arm's outcome (a Cox model
// on the same covariates with its Breslow/Efron baseline hazard, so that an event time is drawn
// for any synthetic patient by inverting the cumulative hazard), and the trial's censoring
// (the reverse Kaplan–Meier of follow-up over all arms: in a trial it is mostly administrative).
// Thread safety: LearnedTrial is read-only after learn_trial; its sampling functions are const
// and use only the Rng they are given (the synthesizers' sample may run on several threads for
// copula and cart, see synthesizer.h).
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/predict/design.h"
#include "medgen/predict/linear.h"
#include "medgen/predict/metrics.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::trial {

// A row filter "column OP value" with OP one of = != < <= > >= (numbers compare as numbers,
// labels as text; = and != only for labels). A missing value never matches.
struct Filter {
  std::string column, op, value;
  std::string text() const { return column + op + value; }
  // InvalidInput naming `option` when the text has no operator, an empty column or value.
  static Filter parse(const std::string& text, const std::string& option);
  // InvalidInput for an absent column, an order comparison on a label column, or a value that
  // is not a number on a number column.
  void check(const Table& table, const std::string& where) const;
  bool matches(const Table& table, size_t row) const;
};

// Which columns of the real trial table mean what.
struct TrialColumns {
  std::string arm;                      // treatment arm (labels; a number column's values become labels: 1, 2)
  std::string control;                  // its label for the control arm
  std::vector<std::string> treatments;  // labels of the treated arms compared with the control
  std::string time;                     // follow-up time (> 0; the data's units, e.g. days)
  std::string event;                    // event indicator (1 / true / yes = event)
  std::string event_value;              // the label or number of `event` meaning the event ("" = as above)
  std::vector<Filter> where;            // rows of the table to use (e.g. etype=1 in colon)
  // Baseline covariates; empty = every numerical, boolean and categorical column except the
  // above, the filters' columns, constant columns and integer columns unique per row (ids).
  std::vector<std::string> covariates;
};

struct LearnOptions {
  std::string synthesizer = "cart";  // registered synthesizer for the patients (copula, cart, ...)
  nlohmann::json synthesizer_params = nlohmann::json::object();
  bool patients_from_all_arms = false;  // learn the patients from every arm (randomised), not the control's alone
};

// One arm's outcome: a Cox model on the covariates and its baseline cumulative hazard, made
// continuous (linear between event times; beyond the last event time the mean hazard of the
// last quarter of follow-up continues).
struct ArmOutcome {
  std::string label;
  size_t patients = 0, events = 0;
  std::vector<double> beta;        // per design term
  predict::BaselineHazard baseline;  // for centred linear predictors (x - design.means)
  double tail_rate = 0;            // baseline hazard per time unit beyond the last event time
  // An event time for linear predictor eta (centred) and hazard ratio hr: H0(t) exp(eta) hr = E,
  // E ~ Exp(1). +infinity when the hazard never reaches E.
  double draw_time(double eta, double hr, Rng& rng) const;
  double cumhaz(double t) const;   // the continuous baseline H0(t)
  nlohmann::json to_json(const std::vector<std::string>& terms) const;
};

struct LearnedTrial {
  std::string source;
  TrialColumns columns;
  std::unique_ptr<tabular::Synthesizer> patients;  // baseline covariates of the learned arm(s)
  Schema covariate_schema;
  predict::Design design;                          // covariates -> Cox terms (medians imputed)
  std::vector<ArmOutcome> arms;                    // control first, then columns.treatments
  predict::KaplanMeier censoring;                  // reverse Kaplan–Meier over all used rows
  double max_followup = 0;                         // the longest follow-up in the data
  std::vector<std::string> warnings;

  // n synthetic patients (covariates; identifiers regenerated), seeded by ctx.seed.
  Table sample_patients(size_t n, const Context& ctx) const;
  // Centred linear predictors of the design's terms for `patients` and arm `a`'s coefficients.
  std::vector<double> linear_predictors(const Table& patients, size_t a) const;
  // A censoring time from the learned censoring distribution (max_followup where it ends).
  double draw_censoring(Rng& rng) const;
  nlohmann::json summary() const;
};

// Learns from the real trial table. InvalidInput (naming `source`) for unknown columns or
// labels, an arm with no rows or no events, a time <= 0, or no covariate left.
LearnedTrial learn_trial(const Table& table, const Schema& schema, const std::string& source,
                         const TrialColumns& columns, const LearnOptions& options, const Context& ctx);

// `table` with the arm column as labels (a number column's values written as "%g": 1, 2, 0.5).
Table arm_as_labels(const Table& table, const std::string& arm);

// The rows of `table` that pass every filter and have the arm, time and event present.
std::vector<size_t> used_rows(const Table& table, const TrialColumns& columns);

}  // namespace medgen::trial
