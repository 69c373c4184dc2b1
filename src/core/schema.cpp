// The Schema type: column types, look-up, and its JSON form (written readable, read strictly).
// Inference is in schema_infer.cpp, typed conversion in table_convert.cpp, dates in datetime.cpp.
#include "medgen/core/schema.h"

#include <cmath>
#include <cstdint>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"

namespace medgen {

using json = nlohmann::json;

namespace {

// A JSON integer within [lo, hi], checked before any narrowing conversion (get<int>() of
// 2^62 would wrap to a small number and pass a range check).
bool small_integer(const json& v, int64_t lo, int64_t hi) {
  if (v.is_number_unsigned()) {
    const uint64_t x = v.get<uint64_t>();
    return hi >= 0 && x <= static_cast<uint64_t>(hi) && static_cast<int64_t>(x) >= lo;
  }
  if (!v.is_number_integer()) return false;
  const int64_t x = v.get<int64_t>();
  return x >= lo && x <= hi;
}

}  // namespace

// ---------------------------------------------------------------------------------- types

const char* to_string(ColumnType type) {
  switch (type) {
    case ColumnType::kNumerical: return "numerical";
    case ColumnType::kCategorical: return "categorical";
    case ColumnType::kBoolean: return "boolean";
    case ColumnType::kDatetime: return "datetime";
    case ColumnType::kIdentifier: return "identifier";
    case ColumnType::kText: return "text";
  }
  return "?";
}

ColumnType column_type_from_string(const std::string& s) {
  for (ColumnType t : {ColumnType::kNumerical, ColumnType::kCategorical, ColumnType::kBoolean, ColumnType::kDatetime,
                       ColumnType::kIdentifier, ColumnType::kText})
    if (s == to_string(t)) return t;
  throw InvalidInput("unknown column type '" + s +
                     "' (expected numerical, categorical, boolean, datetime, identifier or text)");
}

int Schema::find(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  return -1;
}

const ColumnSchema& Schema::column(const std::string& name) const {
  const int i = find(name);
  if (i < 0) throw InvalidInput("unknown column '" + name + "'");
  return columns[static_cast<size_t>(i)];
}
// ---------------------------------------------------------------------------------- JSON

nlohmann::ordered_json Schema::to_json() const {
  using ojson = nlohmann::ordered_json;
  ojson cols = ojson::array();
  for (const ColumnSchema& c : columns) {
    ojson j = ojson::object();
    j["name"] = c.name;
    j["type"] = to_string(c.type);
    switch (c.type) {
      case ColumnType::kNumerical:
        j["integer"] = c.integer;
        if (!c.integer) j["decimals"] = c.decimals;
        if (!std::isnan(c.min)) j["min"] = c.min;
        if (!std::isnan(c.max)) j["max"] = c.max;
        break;
      case ColumnType::kCategorical:
      case ColumnType::kBoolean:
        j["values"] = c.values;
        break;
      case ColumnType::kDatetime:
        j["format"] = c.datetime_format;
        if (!std::isnan(c.min)) j["min"] = format_datetime(c.min, c.datetime_format);
        if (!std::isnan(c.max)) j["max"] = format_datetime(c.max, c.datetime_format);
        break;
      case ColumnType::kIdentifier:
        j["prefix"] = c.id_prefix;
        j["width"] = c.id_width;
        break;
      case ColumnType::kText:
        break;
    }
    cols.push_back(std::move(j));
  }
  return ojson{{"format", "medgen-schema"}, {"version", 1}, {"columns", std::move(cols)}};
}

Schema Schema::from_json(const json& j, const std::string& source) {
  auto fail = [&](const std::string& msg) -> InvalidInput { return InvalidInput(source + ": " + msg); };
  if (!j.is_object()) throw fail("expected a JSON object with \"columns\"");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "format" && it.key() != "version" && it.key() != "columns")
      throw fail("unknown key '" + it.key() + "' (expected format, version, columns)");
  if (j.contains("format") && j["format"] != "medgen-schema") throw fail("'format' must be \"medgen-schema\"");
  if (j.contains("version") && j["version"] != 1) throw fail("unsupported schema 'version' (this medgen reads 1)");
  if (!j.contains("columns") || !j["columns"].is_array()) throw fail("'columns' must be an array");
  Schema s;
  std::unordered_set<std::string> seen;
  for (size_t k = 0; k < j["columns"].size(); ++k) {
    const json& cj = j["columns"][k];
    const std::string where = "columns[" + std::to_string(k) + "]";
    if (!cj.is_object()) throw fail(where + ": expected an object");
    if (!cj.contains("name") || !cj["name"].is_string()) throw fail(where + ": 'name' must be a string");
    if (!cj.contains("type") || !cj["type"].is_string()) throw fail(where + ": 'type' must be a string");
    ColumnSchema c;
    c.name = cj["name"].get<std::string>();
    const std::string cw = "column '" + c.name + "'";
    if (!seen.insert(c.name).second) throw fail(cw + ": duplicate column name");
    try {
      c.type = column_type_from_string(cj["type"].get<std::string>());
    } catch (const InvalidInput& e) {
      throw fail(cw + ": " + e.what());
    }
    std::vector<std::string> allowed = {"name", "type"};
    switch (c.type) {
      case ColumnType::kNumerical: allowed.insert(allowed.end(), {"integer", "decimals", "min", "max"}); break;
      case ColumnType::kCategorical:
      case ColumnType::kBoolean: allowed.push_back("values"); break;
      case ColumnType::kDatetime: allowed.insert(allowed.end(), {"format", "min", "max"}); break;
      case ColumnType::kIdentifier: allowed.insert(allowed.end(), {"prefix", "width"}); break;
      case ColumnType::kText: break;
    }
    for (auto it = cj.begin(); it != cj.end(); ++it)
      if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
        throw fail(cw + ": unknown key '" + it.key() + "' for type " + to_string(c.type));
    auto number = [&](const char* key) {
      if (!cj[key].is_number() || !std::isfinite(cj[key].get<double>())) throw fail(cw + ": '" + key + "' must be a number");
      return cj[key].get<double>();
    };
    if (c.type == ColumnType::kNumerical) {
      if (cj.contains("integer")) {
        if (!cj["integer"].is_boolean()) throw fail(cw + ": 'integer' must be true or false");
        c.integer = cj["integer"].get<bool>();
      }
      if (cj.contains("decimals")) {
        if (!small_integer(cj["decimals"], 0, 15)) throw fail(cw + ": 'decimals' must be an integer in [0, 15]");
        c.decimals = cj["decimals"].get<int>();
      }
      if (cj.contains("min")) c.min = number("min");
      if (cj.contains("max")) c.max = number("max");
      if (!std::isnan(c.min) && !std::isnan(c.max) && c.min > c.max) throw fail(cw + ": 'min' is greater than 'max'");
    } else if (c.type == ColumnType::kCategorical || c.type == ColumnType::kBoolean) {
      if (!cj.contains("values") || !cj["values"].is_array()) throw fail(cw + ": 'values' must be an array of strings");
      std::unordered_set<std::string> vs;
      for (const json& v : cj["values"]) {
        if (!v.is_string()) throw fail(cw + ": 'values' must be an array of strings");
        if (!vs.insert(v.get<std::string>()).second) throw fail(cw + ": duplicate value '" + v.get<std::string>() + "'");
        c.values.push_back(v.get<std::string>());
      }
      if (c.type == ColumnType::kBoolean && c.values.size() != 2)
        throw fail(cw + ": a boolean needs exactly 2 'values' (false label first)");
    } else if (c.type == ColumnType::kDatetime) {
      if (!cj.contains("format") || !cj["format"].is_string()) throw fail(cw + ": 'format' must be a string");
      c.datetime_format = cj["format"].get<std::string>();
      for (const char* key : {"min", "max"}) {
        if (!cj.contains(key)) continue;
        double v;
        if (!cj[key].is_string() || !parse_datetime(cj[key].get<std::string>(), c.datetime_format, &v))
          throw fail(cw + ": '" + key + "' must be a date in format '" + c.datetime_format + "'");
        (std::string(key) == "min" ? c.min : c.max) = v;
      }
    } else if (c.type == ColumnType::kIdentifier) {
      if (cj.contains("prefix")) {
        if (!cj["prefix"].is_string()) throw fail(cw + ": 'prefix' must be a string");
        c.id_prefix = cj["prefix"].get<std::string>();
      }
      if (cj.contains("width")) {
        if (!small_integer(cj["width"], 0, 20)) throw fail(cw + ": 'width' must be an integer in [0, 20]");
        c.id_width = cj["width"].get<int>();
      }
    }
    s.columns.push_back(std::move(c));
  }
  if (s.columns.empty()) throw fail("'columns' is empty");
  return s;
}

Schema Schema::read(const std::string& path) {
  const std::string text = read_file(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number beyond double (a 400-digit literal).
    throw InvalidInput(path + ": not valid JSON (" + e.what() + ")");
  }
  return from_json(j, path);
}
}  // namespace medgen
