// Small helpers shared by the ops sources: strict number parsing, JSON with located errors,
// FHIR date-times. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace medgen::ops {

// A finite decimal number (no leading/trailing space); false otherwise.
bool parse_double(std::string_view s, double* out);
// Shortest round-trip text of a number ("0.25", "3").
std::string fmt_num(double v);
// The first 40 characters of s, for messages.
std::string shorten(std::string_view s);
// 0..6 (Monday = 0) from "0".."6" or a weekday name/abbreviation (any case); -1 otherwise.
int weekday_from_text(std::string_view s);

// Parses JSON; on a syntax error throws InvalidInput "source:line:column: invalid JSON: ...".
nlohmann::json parse_json_located(const std::string& text, const std::string& source);

// A FHIR dateTime/instant with a time: YYYY-MM-DDThh:mm[:ss[.fff]](Z|+hh:mm|-hh:mm), or a date
// YYYY-MM-DD (midnight). Local fields are those written; utc_min orders instants.
struct DateTime {
  int64_t utc_min = 0;   // minutes since 1970-01-01T00:00Z
  int64_t local_day = 0; // days since 1970-01-01 in the written offset
  int minute_of_day = 0; // local
  int weekday = 0;       // local, 0 = Monday
  int offset_min = 0;    // written offset
};
// Throws InvalidInput "<where>: '<text>' is not a FHIR dateTime ..." on a bad value.
DateTime parse_datetime(const std::string& text, const std::string& where);
// ISO text of utc minutes shown at an offset: "2026-03-02T09:00:00+01:00" (Z for 0).
std::string format_datetime(int64_t utc_min, int offset_min);
std::string format_date(int64_t day);

}  // namespace medgen::ops
