// The parsed form of a generic module, shared by the loader (modules_load.cpp) and the engine
// (modules_run.cpp). Indices into `states` replace state names once loaded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "medgen/records/modules.h"

namespace medgen::records {

struct ModuleCode {
  std::string system;  // a URI (http://snomed.info/sct, ...)
  std::string code, display;
};

// An attribute's value: nil, a number (booleans are 0/1 with is_bool), a string, or a
// reference to a record row (assign_to_attribute) of one of the tables below.
enum class RowKind { kNone, kCondition, kMedication, kCarePlan, kAllergy, kProcedure, kEncounter, kObservation };
struct ModuleValue {
  enum class Kind { kNil, kNumber, kString, kRow } kind = Kind::kNil;
  double number = 0;
  bool is_bool = false;
  std::string text;
  RowKind row_kind = RowKind::kNone;
  int row = -1;
};

enum class Op { kLt, kLe, kEq, kNe, kGe, kGt, kIsNil, kIsNotNil };

enum class CondType {
  kGender, kAge, kDate, kSes, kRace, kSymptom, kObservation, kActiveCondition, kActiveMedication,
  kActiveCarePlan, kActiveAllergy, kAttribute, kPriorState, kAnd, kOr, kNot, kAtLeast, kAtMost, kTrue,
  kFalse, kVitalSign
};

struct ModuleCondition {
  CondType type = CondType::kTrue;
  Op op = Op::kEq;
  double quantity = 0;      // Age (in unit), Symptom/Observation/Vital Sign threshold, Date year
  std::string unit;         // Age
  bool in_years = false;    // Age: unit == "years" (the common case, answered from a birthday table)
  std::string text;         // gender "M"/"F", race, SES category, attribute, symptom, vital sign
  std::string ref_attribute;  // referenced_by_attribute
  ModuleValue value;        // Attribute
  std::vector<ModuleCode> codes;
  std::vector<ModuleCondition> subs;  // And, Or, Not (one), At Least, At Most
  int count = 0;                      // At Least / At Most
  int state = -1, since_state = -1;   // PriorState
  double within_s = -1;               // PriorState window, seconds (-1: any time)
  int date_field = 0;                 // Date: 0 year, 1 month, 2 full date (quantity = seconds)
};

struct Distribution {
  double p = 0;
  std::string attribute;  // probability from this attribute (p is the default)
  int target = -1;
};

struct Branch {
  bool has_condition = false;
  ModuleCondition condition;
  int target = -1;                   // conditional / complex with "transition"
  std::vector<Distribution> dists;   // complex with "distributions"
};

struct ModuleTransition {
  enum class Kind { kNone, kDirect, kDistributed, kConditional, kComplex } kind = Kind::kNone;
  int target = -1;
  std::vector<Distribution> dists;
  std::vector<Branch> branches;
};

// exact (low == high) or a uniform range, in `unit`.
struct Span {
  bool present = false;
  double low = 0, high = 0;
  std::string unit;
};

struct ObservationSpec {
  enum class Source { kExact, kRange, kAttribute, kVitalSign, kCode, kNone } source = Source::kNone;
  ModuleCode code;
  std::string unit;
  double low = 0, high = 0;
  int decimals = -1;
  std::string name;      // attribute or vital sign
  ModuleCode value_code;
};

enum class StateType {
  kInitial, kTerminal, kSimple, kGuard, kDelay, kSetAttribute, kCounter, kEncounter, kEncounterEnd,
  kConditionOnset, kConditionEnd, kAllergyOnset, kAllergyEnd, kMedicationOrder, kMedicationEnd,
  kCarePlanStart, kCarePlanEnd, kProcedure, kObservation, kMultiObservation, kDiagnosticReport, kSymptom,
  kVitalSign, kDeath, kCallSubmodule
};

struct ModuleState {
  std::string name;
  StateType type = StateType::kSimple;
  ModuleTransition transition;
  std::vector<ModuleCode> codes;
  Span span;                  // Delay, Death (delay before death), Symptom, VitalSign values
  ModuleCondition allow;      // Guard
  std::string attribute;      // SetAttribute, Counter, assign_to_attribute
  ModuleValue value;          // SetAttribute
  double amount = 1;          // Counter (negative: decrement)
  bool wellness = false;      // Encounter
  std::string encounter_class;  // AMB, EMER, IMP, ...
  int target_encounter = -1;  // ConditionOnset / AllergyOnset
  int ref_state = -1;         // *End, Death: the onset state
  std::string ref_attribute;  // *End, Death: referenced_by_attribute
  std::vector<ObservationSpec> observations;  // Observation (one), MultiObservation, DiagnosticReport
  std::string symptom, cause;
  double probability = 1;
  std::string vital_sign, unit;
  std::string submodule;
  const GenericModule* sub = nullptr;  // resolved by link_modules
};

struct GenericModule {
  std::string name;    // "name" of the file, else its stem
  std::string source;  // file name for messages
  std::vector<ModuleState> states;
  int initial = -1;
};

// Seconds in one `unit` (years, months, weeks, days, hours, minutes, seconds); -1 if unknown.
double module_unit_seconds(const std::string& unit);

}  // namespace medgen::records
