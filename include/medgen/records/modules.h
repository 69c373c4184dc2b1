// Module-driven synthesis: disease modules in the published Synthea "Generic Module Framework"
// JSON format (states, transitions, logical conditions), run over a population from birth to
// an end date, writing the clinical tables of clinical.h. A population's demographics come from
// simple distributions (options below) or from a table of patients (e.g. sampled by a learned
// synthesizer), whose extra columns become patient attributes that the modules can read.
//
// Supported: the states Initial, Terminal, Simple, Guard, Delay, SetAttribute, Counter,
// Encounter, EncounterEnd, ConditionOnset, ConditionEnd, AllergyOnset, AllergyEnd,
// MedicationOrder, MedicationEnd, CarePlanStart, CarePlanEnd, Procedure, Observation,
// MultiObservation, DiagnosticReport, Symptom, VitalSign, Death, CallSubmodule; the
// transitions direct, distributed (fixed or from an attribute), conditional and complex; the
// conditions Gender, Age, Date, Socioeconomic Status, Race, Symptom, Observation, Active
// Condition, Active Medication, Active CarePlan, Active Allergy, Attribute, PriorState, And, Or,
// Not, At Least, At Most, True, False, Vital Sign. docs/records.md lists what differs from
// Synthea.
//
// Loading is strict: an unknown state or condition type, an unknown key, a wrong value type or
// a transition to a missing state is InvalidInput naming the file and the JSON path
// ("asthma.json: states.Onset.direct_transition: no state 'Foo'").
//
// Determinism: patient i draws from its own stream derived from (seed, i), so the output is the
// same whatever the chunk size and thread count.
// Ownership and thread safety: a ModuleSet is immutable once loaded and may be shared by
// threads; run_population uses ctx.threads workers inside each chunk and calls `sink` from the
// calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "medgen/core/context.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/records/dataset.h"

namespace medgen::records {

struct GenericModule;  // a parsed module (src/records/modules_impl.h)

struct ModuleSet {
  // Modules run for every patient, in this order (files sorted by path).
  std::vector<std::shared_ptr<const GenericModule>> modules;
  // Modules reached only through CallSubmodule, by their path relative to the folder they were
  // loaded from, without ".json" ("medications/insulin").
  std::map<std::string, std::shared_ptr<const GenericModule>> submodules;

  std::vector<std::string> names() const;  // of `modules`
};

// Parses one module from JSON text; `source` names it in messages (a file name). CallSubmodule
// targets are checked by link_modules.
std::shared_ptr<const GenericModule> parse_module(const std::string& text, const std::string& source);

// Loads files and folders. A folder contributes its *.json files (sorted) as main modules and
// the *.json files of its subfolders as submodules; a file is a main module. Then link_modules.
ModuleSet load_modules(const std::vector<std::string>& paths);

// Resolves every CallSubmodule (to `submodules` first, then to a main module of that name);
// InvalidInput naming the file and state when missing, or when submodules call each other in a
// cycle.
void link_modules(ModuleSet* set);

struct PopulationOptions {
  size_t patients = 100;              // patients to simulate (rows of `demographics` when 0 and it is given)
  std::string end_date = "2025-01-01";  // "%Y-%m-%d": simulation ends here (the age reference)
  std::string start_date;             // "" = whole lives; else events before it are left out
                                      // (conditions, medications, allergies, care plans still
                                      // active then are kept)
  double min_age = 0;                 // ages at end_date drawn uniformly in [min_age, max_age)
  double max_age = 90;
  double female_fraction = 0.51;
  // Race labels and weights (the Race condition compares case-insensitively) and the share of
  // "hispanic" ethnicity; defaults round the 2020 US Census.
  std::vector<std::pair<std::string, double>> races = {
      {"white", 0.62}, {"black", 0.12}, {"asian", 0.06}, {"native", 0.01}, {"other", 0.19}};
  double hispanic_fraction = 0.19;
  // Socioeconomic status categories (Socioeconomic Status condition): low, middle, high.
  double ses_low = 0.25, ses_high = 0.25;
  double step_days = 7;      // time step; Delay states end exactly, whatever the step
  double wellness_years = 1;  // wellness encounters (that wellness Encounter states wait for) every N years from birth
  size_t chunk_patients = 1000;  // patients per chunk handed to the sink
  // Demographics from a table (e.g. sampled by a learned synthesizer), one patient per row:
  // birth_date (a datetime column) or age (years at end_date), gender or sex (male/female/m/f/
  // 1/2/...), optional race, ethnicity; every other column becomes a patient attribute
  // (numbers as numbers, labels as strings, booleans as true/false). Not owned.
  const Table* demographics = nullptr;
  const Schema* demographics_schema = nullptr;  // required with demographics

  void validate() const;  // InvalidInput naming the option
};

struct PopulationSummary {
  size_t patients = 0;
  size_t deceased = 0;
  std::map<std::string, size_t> rows;  // per clinical table
  size_t chunks = 0;
};

// Runs every module for every patient and hands the clinical tables to `sink` chunk by chunk
// (each a Dataset with clinical_schema() and its categories filled; patients in order, ids
// "p<i>" from 1 and "p<i>-<letter><k>" for their events). Memory is bounded by the chunk size.
// ctx: seed, threads, progress. InvalidInput for a bad option or demographics table, or a
// module that loops without a Delay (names the module and state).
PopulationSummary run_population(const ModuleSet& modules, const PopulationOptions& options, const Context& ctx,
                                 const std::function<void(const Dataset& chunk)>& sink);

// The same, gathered into one dataset (small populations, tests).
Dataset run_population(const ModuleSet& modules, const PopulationOptions& options, const Context& ctx,
                       PopulationSummary* summary = nullptr);

// Reads a demographics CSV (schema inferred) for PopulationOptions::demographics.
struct Demographics {
  Table table;
  Schema schema;
};
Demographics read_demographics(const std::string& path);

}  // namespace medgen::records
