// FHIR R4 in and out of the clinical tables (records/clinical.h), and the mapping that turns
// any learned dataset (records/dataset.h) into clinical tables.
//
// Resources and the columns they map to (both ways):
//   Patient             patients: id, birthDate -> birth_date, gender, deceasedDateTime ->
//                       deceased, US Core race/ethnicity extensions ("text" sub-extension, else
//                       the first ombCategory display) -> race, ethnicity
//   Encounter           encounters: period.start/end, class (Coding, v3-ActCode) -> class,
//                       type[0] -> code_system/code/display
//   Condition           conditions: encounter, onsetDateTime, abatementDateTime, code
//   Observation         observations: encounter, effectiveDateTime (or effectivePeriod.start,
//                       effectiveInstant) -> time, code, valueQuantity (value, unit; else code)
//                       -> value/unit, valueCodeableConcept (first code, else text) /
//                       valueString / valueBoolean -> value_code, valueInteger -> value. Each
//                       component[] becomes one more row (id "<id>.<n>", n from 1) with the
//                       component's code and value and the parent's subject, encounter, time.
//   MedicationRequest   medications: encounter, authoredOn (else the dosage's boundsPeriod.start)
//                       -> start, dosageInstruction[0].timing.repeat.boundsPeriod.end -> end,
//                       status, medicationCodeableConcept -> code
//   Procedure           procedures: encounter, performedDateTime (or performedPeriod.start), code
//   AllergyIntolerance  allergies: patient, onsetDateTime, the extension kFhirAbatementUrl
//                       (valueDateTime) -> abatement, code
//   CarePlan            careplans: encounter, period.start/end, the first category that is not
//                       US Core's assess-plan -> code
// A CodeableConcept becomes (system, code, display) of its first coding, or (-, -, text) when it
// has no coding. References "Type/id", "http://.../Type/id" and "urn:uuid:x" (a Bundle entry's
// fullUrl: the id of that entry's resource; otherwise x) become ids. dateTimes of any R4
// precision are read as the first instant they denote, converted to UTC (a date without time,
// which has no zone, is taken as UTC); fractions of a second are kept to the millisecond.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "medgen/records/clinical.h"
#include "medgen/records/dataset.h"

namespace medgen::records {

// Extension carrying AllergyIntolerance's end (R4 has no abatement element for allergies).
inline constexpr const char* kFhirAbatementUrl = "urn:medgen:fhir:allergyintolerance-abatement";
// Local code system of the default mapping: the code is the source column's name.
inline constexpr const char* kColumnCodeSystem = "urn:medgen:column";

// ------------------------------------------------------------------ reading

struct FhirReadOptions {
  uint64_t max_file_bytes = 0;  // per input file; 0 = core's read_file default (2 GiB)
};

// Reads FHIR R4 JSON into the clinical dataset. `paths` are files or folders (a folder: its
// *.json and *.ndjson files, sorted by name, not recursive). A *.ndjson file holds one resource
// per line (blank lines skipped); a file whose name has a resource type as a dot-separated part
// ("Observation.ndjson", "1.Observation.000.ndjson") must hold only that type. Any other file is
// one JSON resource: a Bundle (collection, transaction, batch, searchset, ...; its entries'
// resources are read, nested Bundles too) or a single resource.
// Rows keep the input order; categorical columns are filled by fill_categories. Resource types
// not listed above, and Bundle entries without a resource, are skipped and counted in `notes`
// ("skipped 12 resources of types not read: Organization 10, Practitioner 2"); so are references to encounters
// that were not read (the row keeps no encounter).
// InvalidInput, one line, "file[:line]: Type/id: json.path: problem", for: a field of the wrong
// JSON type, a missing required element (subject/patient, an id where none can be derived),
// an unparsable dateTime, a resource of another type in a file named for one type, a reference
// to a Patient that was not read, a duplicate id within a resource type, malformed JSON
// ("file:line:column"), JSON nested deeper than 200 levels.
// IoError for files that cannot be read or exceed the size bound.
Dataset read_fhir(const std::vector<std::string>& paths, std::vector<std::string>* notes = nullptr,
                  const FhirReadOptions& options = {});

// ------------------------------------------------------------------ writing

enum class FhirFormat {
  kBundle,  // <folder>/<patient id>.json: one Bundle per patient with all its resources
  kNdjson,  // <folder>/<Type>.ndjson: bulk data, one resource per line (types with rows only)
};

struct FhirWriteOptions {
  FhirFormat format = FhirFormat::kBundle;
  // kBundle: "collection" or "transaction" (each entry gets request {method POST, url Type}).
  std::string bundle_type = "collection";
  bool replace = false;  // replace an existing folder that holds only *.json / *.ndjson files
};

// What the writer does (deterministic: the same tables give the same bytes):
//  - ids: a table id that is a valid FHIR id ([A-Za-z0-9.-]{1,64}, not "." or "..") is kept,
//    otherwise the resource gets the name-based UUID below. Patient file names use that id.
//  - Bundles: every entry has fullUrl "urn:uuid:<uuid>", uuid = SHA-256 of "<Type>/<table id>"
//    shaped as an RFC 9562 UUID (version 8, the name-based layout of version 5 with SHA-256),
//    and references inside the Bundle are those urn:uuids. NDJSON: references are "Type/id".
//  - dateTimes "YYYY-MM-DDThh:mm:ssZ" (with ".sss" when the time has a fraction), birthDate
//    "YYYY-MM-DD"; gender must be male|female|other|unknown (InvalidInput otherwise).
//  - statuses R4 requires: Encounter.status "finished", Observation.status "final",
//    Condition.clinicalStatus "resolved" when abated else "active" (+ verificationStatus
//    "confirmed"), MedicationRequest.status from the table when a valid code else "unknown",
//    intent "order", Procedure.status "completed", AllergyIntolerance.clinicalStatus likewise,
//    CarePlan.status "completed" when it has an end else "active", intent "plan".
//  - Encounter.class is a Coding in http://terminology.hl7.org/CodeSystem/v3-ActCode ("AMB"
//    when missing). Observation values: value -> valueQuantity (unit as given, also as its
//    UCUM code), value_code -> valueString.
//  - Rows are written grouped by patient in the order of the patients table, each patient's
//    rows in table order; so the output does not depend on how the data is cut into chunks.
// Streaming: append() takes chunks of the clinical dataset (some patients with all their rows;
// every row's patient must be in the same chunk) and writes them at once, keeping no rows;
// memory stays bounded by the largest chunk. Everything goes into a temporary sibling folder
// "<folder>.tmp-<pid>-<n>" (removed on destruction without commit, and on SIGINT/SIGTERM)
// that commit() renames into place, so the output is all or nothing. An existing folder is
// refused (InvalidInput) unless options.replace. Two patients with the same file name are
// InvalidInput (bundles); NDJSON does not check ids across chunks.
class FhirWriter {
 public:
  FhirWriter(const std::string& folder, const FhirWriteOptions& options = {});
  ~FhirWriter();
  FhirWriter(const FhirWriter&) = delete;
  FhirWriter& operator=(const FhirWriter&) = delete;
  void append(const Dataset& chunk);
  void commit();
  size_t patients() const;   // written so far
  size_t resources() const;  // written so far

 private:
  struct Impl;
  Impl* impl_;
};

// One call: a writer, one chunk, commit.
void write_fhir(const Dataset& clinical, const std::string& folder, const FhirWriteOptions& options = {});

// The resources of one patient as JSON text (one per line, NDJSON style, references
// "Type/id"), for tests and previews. `patient` is a row of `clinical`'s patients table.
std::string fhir_patient_ndjson(const Dataset& clinical, size_t patient);

// ------------------------------------------------------------------ from any dataset

// How a dataset's tables become clinical tables: the "fhir" object of a dataset schema JSON.
// JSON shape (every key optional unless said; unknown keys are errors naming the JSON path):
// {
//   "reference_date": "2000-01-01",   // entry date of every patient when "patients.entry" is
//                                     // not given; numeric time offsets count from it
//   "patients": {
//     "table": "pbc",                 // the table of patients (default: the only root table)
//     "id": "id",                     // default: its primary key
//     "entry": "date_col",            // a datetime column: each patient's time 0 (enrolment)
//     "gender": {"column": "sex", "map": {"f": "female", "m": "male"}},  // unmapped -> unknown
//     "birth_date": "col"  or  "age": {"column": "age", "unit": "year"}, // age at entry
//     "deceased": {"column": "status", "values": ["2"], "time": "time"}, // time: an offset
//                                     // (in time_unit) or a datetime column
//     "race": "col", "ethnicity": "col",
//     "time_unit": "day",             // of numeric offsets in this table (day|hour|minute|second)
//     "encounter": {"class": "AMB", "system": "...", "code": "...", "display": "..."},
//     "observations": [ObservationMap...], "conditions": [EventMap...],
//     "procedures": [EventMap...], "medications": [EventMap...],
//     "exclude": ["col", ...],        // columns that become nothing
//     "default_observations": true    // other columns -> Observations in urn:medgen:column
//   },
//   "events": [ {"table": "pbcseq",   // a table of events under the patients (time column
//                                     // and units from its TableSchema)
//                "encounter": {...}, "observations": [...], "conditions": [...],
//                "procedures": [...], "medications": [...], "exclude": [...],
//                "default_observations": true} ]
// }
// ObservationMap: {"column": "bili", "system": "http://loinc.org", "code": "1975-2",
//   "display": "...", "unit": "mg/dL"}: a numeric column gives value/unit, any other column
//   value_code (its label); rows with the column missing give no observation.
// EventMap: {"column": "ascites", "values": ["1"], "time": "col", "system", "code", "display"}:
//   a row whose column holds one of `values` (no column: every row) gives a condition /
//   procedure / medication at the row's time (or "time": offset/datetime column).
// Patient-level rows are at the entry time, in an entry Encounter "<patient>-entry" when
// "patients.encounter" is given (else without encounter). Every event row is one Encounter at
// the row's time (start = end; a numeric time counts from the entity's entry, or from its
// time_origin column of the patients table, in the table's time_unit). Event tables not named in "events" are mapped
// with the defaults (every column an observation) when "events" is absent, skipped (with a note) otherwise. Key, time,
// end and static columns never become observations.
struct FhirCode {
  std::string system, code, display;  // "" = absent
};

// A column whose labels trigger a condition / procedure / medication.
struct FhirEventMap {
  std::string column;               // "" = every row
  std::vector<std::string> values;  // labels as written (numbers compared as numbers)
  std::string time;                 // "" = the row's time; else an offset or datetime column
  FhirCode code;
};

// A column that becomes an Observation (system "" = urn:medgen:column, code "" = the column).
struct FhirObservationMap {
  std::string column;
  FhirCode code;
  std::string unit;
};

struct FhirTableMap {
  std::string table;
  bool encounter = false;  // patients: make an entry Encounter (event tables always have one per row)
  std::string encounter_class = "AMB";
  FhirCode encounter_type;
  std::vector<FhirObservationMap> observations;
  std::vector<FhirEventMap> conditions, procedures, medications;
  std::vector<std::string> exclude;
  bool default_observations = true;
};

struct FhirMapping {
  std::string reference_date = "2000-01-01";  // "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss" (UTC)
  FhirTableMap patients;                      // patients.table "" = the only root table
  std::string id_column;                      // "" = the primary key
  std::string entry_column;                   // "" = reference_date for everyone
  std::string time_unit = "day";              // numeric offsets in the patients table (deceased time, event times)
  std::string gender_column;
  std::map<std::string, std::string> gender_map;  // empty: m/male -> male, f/female -> female
  std::string birth_date_column, age_column, age_unit = "year";
  std::string deceased_column, deceased_time;
  std::vector<std::string> deceased_values;
  std::string race_column, ethnicity_column;
  std::vector<FhirTableMap> events;
  bool events_given = false;  // "events" present: only those tables

  // Strict: unknown keys and wrong types are InvalidInput "source: at.path: problem".
  static FhirMapping from_json(const nlohmann::json& j, const std::string& source = "<fhir mapping>",
                               const std::string& at = "fhir");
  static FhirMapping read(const std::string& path);  // a file holding just the object
};

// Builds the clinical tables from `dataset` by `mapping` (every reference checked against the
// dataset schema first: InvalidInput naming the JSON path). Identifiers: patients keep their
// ids; encounters "<table>-<row>" (from 1; the entry encounter "<patient>-entry"), the rows of
// a source row "<encounter>-o<n>" (observations), "-c<n>", "-p<n>", "-m<n>" (conditions,
// procedures, medications): stable for the same input. Event rows are grouped by patient in
// the patients' order, as FHIR output writes them. Notes (columns skipped, tables skipped) are appended to `notes`.
Dataset to_clinical(const Dataset& dataset, const FhirMapping& mapping, std::vector<std::string>* notes = nullptr);

}  // namespace medgen::records
