// Virtual-patient cases: a unique, internally consistent patient for a condition, drawn from a seed.
// The case holds what is needed to recreate the patient (demographics, baseline physiology,
// comorbidities, severity, onset) plus what was computed from it (presentation vitals by simulating
// the condition from onset, the vignette). `medgen sim case` writes it as JSON; `sim run` reads it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/core/table.h"
#include "medgen/sim/catalog.h"
#include "medgen/sim/physiology.h"

namespace medgen::sim {

struct Case {
  uint64_t seed = 0;
  std::string condition;  // ConditionSpec::name
  int severity = kModerate;
  double onset_hours = 1;  // the condition began this long before presentation
  PatientParams patient;
  double height_cm = 170;
  std::vector<std::string> comorbidities;
  std::string allergies = "no known drug allergies";
  std::vector<std::string> findings;  // examination at presentation
  Vitals presentation;                // computed: vitals on arrival
  std::string vignette;               // computed: the short clinical presentation
  std::string population;             // where demographics came from ("" = the condition's own ranges)

  nlohmann::json to_json() const;
  // Reads a case file written by to_json (strict: unknown keys and bad values are located errors);
  // with a catalog, the condition must exist in it.
  static Case load(const std::string& path, const Catalog* catalog = nullptr);
};

// One patient drawn from a population model (a trained tabular synthesizer): lower-cased column
// name -> value as text. generate_case uses the columns it recognises (age, sex, weight_kg,
// height_cm, hr_bpm, sbp_mmhg, dbp_mmhg, hb_g_dl, glucose_mmol_l, creatinine_umol_l, potassium_mmol_l,
// wbc_e9_l, temp_c and common synonyms; see docs/simulation.md) in place of its own draws.
using PopulationRow = std::map<std::string, std::string>;

struct CaseOptions {
  std::string condition;  // name or alias
  uint64_t seed = 42;
  std::string severity;           // "", "mild", "moderate", "severe"
  PopulationRow population;       // optional
  std::string population_source;  // e.g. the model file, recorded in the case
};

// Applies a population row to a patient; returns the columns used (for provenance). Values outside
// the condition's age range or the physiology's valid ranges are clamped.
std::vector<std::string> apply_population(const PopulationRow& row, const ConditionSpec& condition, PatientParams* p,
                                          double* height_cm);

// Row `row` of a table (e.g. one row sampled from a population model) as a PopulationRow:
// lower-cased column names, numbers as %.10g text, missing values left out.
PopulationRow population_row(const Table& table, size_t row);

// Draws a case (demographics, baseline, comorbidities, severity, onset), then simulates the condition
// from onset to presentation to fill `presentation`, `findings` and `vignette`.
Case generate_case(const Catalog& catalog, const CaseOptions& options);

// Fills presentation, findings and vignette for an existing case (used after loading too).
void present_case(const Catalog& catalog, Case* c);

// "{age}" -> 67 etc. in history answers and complaints.
std::string fill_template(const std::string& tmpl, const Case& c);

}  // namespace medgen::sim
