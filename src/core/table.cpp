#include "medgen/core/table.h"

#include <utility>

#include "medgen/core/error.h"

namespace medgen {

size_t Column::count_missing() const {
  size_t n = 0;
  for (size_t i = 0; i < size(); ++i) n += is_missing(i) ? 1 : 0;
  return n;
}

Column Column::numbers(std::string name, size_t rows) {
  Column c;
  c.name = std::move(name);
  c.storage = Storage::kNumber;
  c.values.assign(rows, 0.0);
  c.valid.assign(rows, 0);
  return c;
}

Column Column::strings(std::string name, size_t rows, std::vector<std::string> dictionary) {
  Column c;
  c.name = std::move(name);
  c.storage = Storage::kString;
  c.codes.assign(rows, -1);
  c.dictionary = std::move(dictionary);
  return c;
}

Column Column::take(const std::vector<size_t>& rows) const {
  Column out;
  out.name = name;
  out.storage = storage;
  out.dictionary = dictionary;
  if (storage == Storage::kNumber) {
    out.values.reserve(rows.size());
    out.valid.reserve(rows.size());
    for (size_t r : rows) {
      out.values.push_back(values[r]);
      out.valid.push_back(valid[r]);
    }
  } else {
    out.codes.reserve(rows.size());
    for (size_t r : rows) out.codes.push_back(codes[r]);
  }
  return out;
}

Table Table::take(const std::vector<size_t>& rows) const {
  Table out;
  out.columns.reserve(columns.size());
  for (const Column& c : columns) out.columns.push_back(c.take(rows));
  return out;
}

int Table::find(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  return -1;
}

const Column& Table::column(const std::string& name) const {
  const int i = find(name);
  if (i < 0) throw InvalidInput("unknown column '" + name + "'");
  return columns[static_cast<size_t>(i)];
}

}  // namespace medgen
