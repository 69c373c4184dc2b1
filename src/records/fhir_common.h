// Helpers shared by the FHIR reader, writer and mapping: R4 dateTimes, ids, name-based UUIDs.
#pragma once

#include "medgen/core/schema.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace medgen::records::fhir_detail {

// The resource types read and written, in the order of the clinical tables after patients.
inline constexpr const char* kResourceTypes[] = {"Patient",           "Encounter", "Condition",          "Observation",
                                                 "MedicationRequest", "Procedure", "AllergyIntolerance", "CarePlan"};
inline constexpr const char* kTables[] = {"patients",    "encounters", "conditions", "observations",
                                          "medications", "procedures", "allergies",  "careplans"};
inline constexpr size_t kNumTypes = 8;

// Days since 1970-01-01 of a proleptic Gregorian date, and back (core's).
using ::medgen::civil_from_days;
using ::medgen::days_from_civil;

// Parses an R4 date ("YYYY", "YYYY-MM", "YYYY-MM-DD") or dateTime (those, or
// "YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm|-hh:mm)"; the zone is required with a time) into seconds
// since the epoch (UTC), the first instant it denotes; fractions kept to the millisecond.
// Returns "" on success, else what is wrong.
std::string parse_fhir_datetime(std::string_view s, bool date_only, double* seconds);
// "YYYY-MM-DDThh:mm:ss[.fff]Z"; false when the year is outside 1..9999 or the value not finite.
bool format_fhir_datetime(double seconds, std::string* out);
bool format_fhir_date(double seconds, std::string* out);  // "YYYY-MM-DD"

// [A-Za-z0-9.-]{1,64}, not "." or ".." (those would be odd file names).
bool is_fhir_id(std::string_view id);
// "xxxxxxxx-xxxx-8xxx-yxxx-xxxxxxxxxxxx" from SHA-256 of `name` (RFC 9562 version 8).
std::string name_uuid(const std::string& name);

}  // namespace medgen::records::fhir_detail
