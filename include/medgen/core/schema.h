// Column types and constraints: inferred from a RawTable, written as JSON, edited by the
// user, read back (strictly: unknown keys or types are errors naming the key).
// Thread safety: every function here is pure (no global state) and safe to call concurrently;
// Schema is a value. Implementation: schema.cpp (types, JSON), schema_infer.cpp (inference),
// table_convert.cpp (to_table, to_csv, constraints), datetime.cpp (dates).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "medgen/core/csv.h"
#include "medgen/core/table.h"

namespace medgen {

enum class ColumnType {
  kNumerical,    // float or integer; min, max, decimals
  kCategorical,  // a finite set of labels
  kBoolean,      // two labels (stored as categories: "0"/"1", "true"/"false", "yes"/"no", ...)
  kDatetime,     // a date or timestamp in `datetime_format`
  kIdentifier,   // unique per row; regenerated at sampling, never learned
  kText,         // free text / PII; excluded from learning and from synthetic output
};

const char* to_string(ColumnType type);
ColumnType column_type_from_string(const std::string& s);  // InvalidInput on unknown

struct ColumnSchema {
  std::string name;
  ColumnType type = ColumnType::kNumerical;
  // kNumerical
  bool integer = false;  // values are whole numbers: synthetic values are rounded
  int decimals = 0;      // decimal places seen (floats): synthetic values are rounded to this
  double min = std::numeric_limits<double>::quiet_NaN();  // observed range; synthetic values clipped
  double max = std::numeric_limits<double>::quiet_NaN();
  // kCategorical / kBoolean: the allowed labels (kBoolean: exactly 2, false label first).
  std::vector<std::string> values;
  // kDatetime: "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S", ... (see docs/formats.md)
  std::string datetime_format;
  // kIdentifier: synthetic ids are prefix + zero-padded counter (width digits); numeric ids
  // are 1..n when prefix is empty and width is 0.
  std::string id_prefix;
  int id_width = 0;
};

struct Schema {
  std::vector<ColumnSchema> columns;

  int find(const std::string& name) const;  // -1 if absent
  const ColumnSchema& column(const std::string& name) const;

  // Keys in a readable order (name, type, then the type's own keys).
  nlohmann::ordered_json to_json() const;
  // Strict: unknown keys, unknown types, wrong value types are InvalidInput naming the key.
  static Schema from_json(const nlohmann::json& j, const std::string& source = "<schema>");
  static Schema read(const std::string& path);
};

struct InferOptions {
  // A string column with more distinct values than this share of rows, and average length
  // above text_min_length or containing spaces in most values, is free text.
  double text_unique_ratio = 0.5;
  double text_min_length = 20.0;
};

// Infers a schema. Warnings (free-text columns excluded, ambiguous date orders, constant or
// all-missing columns) are appended to `warnings` when given.
Schema infer_schema(const RawTable& raw, const CsvOptions& csv = {}, const InferOptions& options = {},
                    std::vector<std::string>* warnings = nullptr);

// Converts text fields to typed columns following the schema. Columns in the schema that the
// file lacks are InvalidInput ("missing column 'x'"); file columns not in the schema are
// dropped. Unparsable values are InvalidInput naming file, line, column. NaN/Inf text in a
// numeric column is an error unless it is a configured missing token.
Table to_table(const RawTable& raw, const Schema& schema, const CsvOptions& csv = {});

// Formats a typed table as CSV following the schema (rounding to decimals, dates in their
// format, booleans and categories as labels, missing as empty); header=false leaves out the
// header line (for appending chunks).
std::string to_csv(const Table& table, const Schema& schema, bool header = true);

// Indices of the columns a synthesizer outputs: every column except kText, in schema order.
std::vector<size_t> output_columns(const Schema& schema);

// A column of `rows` synthetic identifiers numbered from `first` (numbers, or prefix +
// zero-padded counter).
Column synthetic_identifiers(const ColumnSchema& column, size_t rows, size_t first = 1);

// For kNumerical / kDatetime number columns: clip to [min, max], round integers (and floats
// to `decimals`). Missing entries are left alone.
void apply_constraints(Column& column, const ColumnSchema& schema);

// Datetime helpers (exposed for tests). parse returns false when text does not match.
bool parse_datetime(std::string_view text, const std::string& format, double* seconds);
// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31), and back.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d);
std::string format_datetime(double seconds, const std::string& format);

}  // namespace medgen
