// The clinical tables: the dataset that FHIR R4 maps to and from, and that the module engine
// (records/modules.h) writes. One table per resource type, keys consistent, codes kept as
// they come (system URI + code + display).
//
//   patients      id (PK), birth_date, gender (male|female|other|unknown), deceased (datetime,
//                 missing when alive), race, ethnicity (text labels, may be missing)
//   encounters    id (PK), patient (FK), start, end, class (AMB|EMER|IMP|...), code_system,
//                 code, display
//   conditions    id (PK), patient (FK), encounter (FK, may be missing), onset, abatement,
//                 code_system, code, display
//   observations  id (PK), patient (FK), encounter (FK, may be missing), time, code_system,
//                 code, display, value (number, missing for a coded or text value), unit,
//                 value_code (a coded/text value, missing for a number)
//   medications   id (PK), patient (FK), encounter (FK, may be missing), start, end, status,
//                 code_system, code, display        (MedicationRequest)
//   procedures    id (PK), patient (FK), encounter (FK, may be missing), time, code_system,
//                 code, display
//   allergies     id (PK), patient (FK), onset, abatement, code_system, code, display
//   careplans     id (PK), patient (FK), encounter (FK, may be missing), start, end,
//                 code_system, code, display
//
// Datetimes are "%Y-%m-%dT%H:%M:%S" (UTC) in CSV, birth_date "%Y-%m-%d". Identifiers are
// strings (kIdentifier). Label columns (gender, race, ethnicity, class, status, code_system,
// code, display, unit, value_code) are kCategorical: clinical_schema() leaves their `values`
// empty and whoever builds a dataset (read_fhir, the module engine) fills them with the
// labels present, sorted (fill_categories below). Code systems are URIs (http://loinc.org, http://snomed.info/sct,
// http://hl7.org/fhir/sid/icd-10, http://www.nlm.nih.gov/research/umls/rxnorm, ...).
// Thread safety: pure functions.
#pragma once

#include <string>

#include "medgen/records/dataset.h"

namespace medgen::records {

// The schema of the clinical tables above (every table present; empty tables allowed).
DatasetSchema clinical_schema();

// An empty dataset with the clinical schema (every table with zero rows, dictionaries empty).
Dataset empty_clinical_dataset();

// Sets every kCategorical column's schema `values` to the sorted labels present in the data
// and re-encodes the codes to match (so that write_dataset / read_dataset round-trip).
void fill_categories(Dataset* dataset);

}  // namespace medgen::records
