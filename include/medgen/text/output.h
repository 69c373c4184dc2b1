// Output of extracted concepts: FHIR R4 resources and a registry CSV.
//
// FHIR (one Bundle of type "collection" for all notes given):
//   Patient              one per patient id (id only)
//   Condition            problems; verificationStatus confirmed, refuted (negated) or
//                        unconfirmed (uncertain or hypothetical); category encounter-diagnosis
//   FamilyMemberHistory  problems experienced by a relative (family context)
//   MedicationStatement  medications; status active, not-taken (negated), completed
//                        (historical), intended (hypothetical); dosage with route, dose
//                        (UCUM), timing, boundsDuration, asNeeded; a contained Medication
//                        carries the strength
//   AllergyIntolerance   allergies; verificationStatus confirmed / refuted / unconfirmed,
//                        reaction manifestation text
//   Observation          labs (category laboratory) and vital signs (vital-signs; blood
//                        pressure as a panel with systolic and diastolic components),
//                        valueQuantity in UCUM
//   Procedure            status completed, not-done (negated), preparation (hypothetical)
// Every resource carries its evidence as the extension kTextSpanUrl with sub-extensions
// "note" (valueString: note id), "begin" / "end" (valueInteger: byte offsets in the note),
// "text" (valueString: the words), and, when any context flag is set, kTextContextUrl
// (valueCode per flag: negated, uncertain, historical, hypothetical, family).
//
// Registry CSV: one row per note or per patient, columns chosen by a mapping file (TSV):
//   @rows<TAB>note | patient      (default note)
//   column<TAB>kind[<TAB>argument]
//   kinds: note_id, patient_id, notes (how many notes), present TERM (1: affirmed mention,
//   0: only negated mentions, empty: no mention; TERM = preferred term or code, any type),
//   value TERM / value2 TERM / unit TERM (the last result of a lab or vital), list TYPE
//   (affirmed concepts of a type, "; "-separated preferred terms), negated TYPE (the negated
//   ones), count TYPE (affirmed mentions).
// Affirmed = not negated, uncertain, hypothetical or experienced by family.
// Thread safety: pure functions; RegistryMapping is immutable after load.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/text/extract.h"

namespace medgen::text {

inline constexpr const char* kTextSpanUrl = "urn:medgen:fhir:text-span";
inline constexpr const char* kTextContextUrl = "urn:medgen:fhir:text-context";

struct ExtractedNote {
  Note note;
  std::vector<Concept> concepts;
};

// A FHIR R4 Bundle (collection) of the notes' concepts. Resource ids are "<note id>-<n>".
nlohmann::json fhir_bundle(const std::vector<ExtractedNote>& notes);

struct RegistryMapping {
  struct Column {
    std::string name, kind, arg;
  };
  bool per_patient = false;
  std::vector<Column> columns;
  // InvalidInput "file:line:column: ..." on a syntax error.
  static RegistryMapping load(const std::string& path);
  // note_id, patient_id, then one list column per concept type.
  static RegistryMapping default_mapping();
};

std::string registry_csv(const std::vector<ExtractedNote>& notes, const RegistryMapping& mapping);

// True when a concept is affirmed (see above).
bool is_affirmed(const Concept& c);

}  // namespace medgen::text
