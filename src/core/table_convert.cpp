// Conversion between text tables and typed tables following a schema, and the column-level
// helpers the synthesizers share (output columns, identifiers, constraints).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "schema_text.h"

namespace medgen {

using schema_detail::append_number;
using schema_detail::is_missing_token;
using schema_detail::parse_number;

// ---------------------------------------------------------------------------- conversion

Table to_table(const RawTable& raw, const Schema& schema, const CsvOptions& csv) {
  Table table;
  const size_t rows = raw.num_rows();
  for (const ColumnSchema& cs : schema.columns) {
    int src = -1;
    for (size_t i = 0; i < raw.names.size(); ++i)
      if (raw.names[i] == cs.name) src = static_cast<int>(i);
    if (src < 0) throw InvalidInput(located(raw.source, 1, 0, "missing column '" + cs.name + "' (named in the schema)"));
    const size_t c = static_cast<size_t>(src);
    auto where = [&](size_t r) { return located(raw.source, raw.line(r), c + 1, "column '" + cs.name + "': "); };
    if (cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime) {
      Column col = Column::numbers(cs.name, rows);
      for (size_t r = 0; r < rows; ++r) {
        std::string_view f = raw.field(r, c);
        if (is_missing_token(f, csv)) continue;
        double v;
        bool finite = true;
        if (cs.type == ColumnType::kDatetime) {
          if (!parse_datetime(f, cs.datetime_format, &v))
            throw InvalidInput(where(r) + "'" + std::string(f) + "' is not a date in format '" + cs.datetime_format + "'");
        } else {
          if (!parse_number(f, &v, &finite))
            throw InvalidInput(where(r) + "'" + std::string(f) + "' is not a number");
          if (!finite)
            throw InvalidInput(where(r) + "'" + std::string(f) +
                               "' is not a finite number (list it with --missing to treat it as missing)");
        }
        col.values[r] = v;
        col.valid[r] = 1;
      }
      table.columns.push_back(std::move(col));
      continue;
    }
    const bool closed = cs.type == ColumnType::kCategorical || cs.type == ColumnType::kBoolean;
    Column col = Column::strings(cs.name, rows, closed ? cs.values : std::vector<std::string>{});
    std::unordered_map<std::string_view, int32_t> index;
    index.reserve(closed ? cs.values.size() * 2 : rows);
    for (size_t i = 0; i < col.dictionary.size(); ++i) index.emplace(col.dictionary[i], static_cast<int32_t>(i));
    for (size_t r = 0; r < rows; ++r) {
      std::string_view f = raw.field(r, c);
      if (is_missing_token(f, csv)) continue;
      auto it = index.find(f);
      if (it == index.end()) {
        if (closed)
          throw InvalidInput(where(r) + "'" + std::string(f) + "' is not one of the schema's values for this column");
        col.dictionary.emplace_back(f);
        // string_views into dictionary would dangle on reallocation: key on the raw field.
        it = index.emplace(f, static_cast<int32_t>(col.dictionary.size() - 1)).first;
      }
      col.codes[r] = it->second;
    }
    table.columns.push_back(std::move(col));
  }
  return table;
}

std::string to_csv(const Table& table, const Schema& schema, bool header) {
  std::string out;
  std::vector<const ColumnSchema*> cs(table.num_cols());
  for (size_t c = 0; c < table.num_cols(); ++c) {
    const int i = schema.find(table.columns[c].name);
    if (i < 0) throw InvalidInput("column '" + table.columns[c].name + "' is not in the schema");
    cs[c] = &schema.columns[static_cast<size_t>(i)];
    if (!header) continue;
    if (c) out += ',';
    append_csv_field(out, table.columns[c].name);
  }
  if (header) out += '\n';
  const size_t rows = table.num_rows();
  out.reserve(out.size() + rows * table.num_cols() * 8);
  for (size_t r = 0; r < rows; ++r) {
    // A one-column row whose value is missing would be an empty line, which readers skip:
    // write an empty quoted field so that the row comes back (as missing).
    if (table.num_cols() == 1 && table.columns[0].is_missing(r)) {
      out += "\"\"\n";
      continue;
    }
    for (size_t c = 0; c < table.num_cols(); ++c) {
      if (c) out += ',';
      const Column& col = table.columns[c];
      if (col.is_missing(r)) continue;
      if (col.storage == Storage::kString) {
        append_csv_field(out, col.dictionary[static_cast<size_t>(col.codes[r])]);
      } else if (cs[c]->type == ColumnType::kDatetime) {
        append_csv_field(out, format_datetime(col.values[r], cs[c]->datetime_format));
      } else {
        append_number(out, col.values[r], cs[c]->decimals, cs[c]->integer);
      }
    }
    out += '\n';
  }
  return out;
}

std::vector<size_t> output_columns(const Schema& schema) {
  std::vector<size_t> out;
  for (size_t i = 0; i < schema.columns.size(); ++i)
    if (schema.columns[i].type != ColumnType::kText) out.push_back(i);
  return out;
}

Column synthetic_identifiers(const ColumnSchema& column, size_t rows, size_t first) {
  Column col = Column::strings(column.name, rows, {});
  col.dictionary.reserve(rows);
  char buf[32];
  for (size_t r = 0; r < rows; ++r) {
    std::snprintf(buf, sizeof buf, "%0*zu", column.id_width, first + r);
    col.dictionary.push_back(column.id_prefix + buf);
    col.codes[r] = static_cast<int32_t>(r);
  }
  return col;
}

void apply_constraints(Column& column, const ColumnSchema& schema) {
  if (column.storage != Storage::kNumber) return;
  const bool has_range = !std::isnan(schema.min) && !std::isnan(schema.max);
  const double lo = has_range ? schema.min : -INFINITY, hi = has_range ? schema.max : INFINITY;
  const bool whole = schema.type == ColumnType::kDatetime || schema.integer || schema.decimals <= 0;
  const double scale = std::pow(10.0, std::clamp(schema.decimals, 0, 15));
  for (size_t i = 0; i < column.values.size(); ++i) {
    if (!column.valid[i]) continue;
    double v = column.values[i];
    v = whole ? std::nearbyint(v) : std::nearbyint(v * scale) / scale;
    column.values[i] = std::clamp(v, lo, hi);
  }
}
}  // namespace medgen
