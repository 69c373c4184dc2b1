// Columnar in-memory table: numbers (double) with a validity mask, or dictionary-encoded
// strings (categories, booleans, identifiers, free text) with code -1 for missing.
// Ownership and thread safety: Table and Column are values that own their data; concurrent
// reads are safe, a write must not overlap any other access to the same table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace medgen {

enum class Storage { kNumber, kString };

struct Column {
  std::string name;
  Storage storage = Storage::kNumber;
  // kNumber: values[i] is meaningful when valid[i] != 0. Datetimes are seconds since
  // 1970-01-01T00:00:00 (UTC, no leap seconds).
  std::vector<double> values;
  std::vector<uint8_t> valid;
  // kString: codes[i] indexes dictionary, -1 = missing.
  std::vector<int32_t> codes;
  std::vector<std::string> dictionary;

  size_t size() const { return storage == Storage::kNumber ? values.size() : codes.size(); }
  bool is_missing(size_t i) const { return storage == Storage::kNumber ? !valid[i] : codes[i] < 0; }
  size_t count_missing() const;

  static Column numbers(std::string name, size_t rows);  // all missing
  // The rows `rows` (any order, repeats allowed; each < size()) with the same dictionary.
  Column take(const std::vector<size_t>& rows) const;
  static Column strings(std::string name, size_t rows, std::vector<std::string> dictionary);
};

class Table {
 public:
  std::vector<Column> columns;

  size_t num_rows() const { return columns.empty() ? 0 : columns[0].size(); }
  size_t num_cols() const { return columns.size(); }
  // Index of a column by name, or -1.
  int find(const std::string& name) const;
  const Column& column(const std::string& name) const;  // InvalidInput if absent
  // Every column's rows `rows` (Column::take).
  Table take(const std::vector<size_t>& rows) const;
};

}  // namespace medgen
