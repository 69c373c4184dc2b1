// DatasetSchema: structure, JSON (strict), validation. Data checks and files: dataset_io.cpp;
// inference: dataset_infer.cpp.
#include "medgen/records/dataset.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/records/fhir.h"

namespace medgen::records {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

const ForeignKey* TableSchema::foreign_key(const std::string& column) const {
  for (const ForeignKey& fk : foreign_keys)
    if (fk.column == column) return &fk;
  return nullptr;
}

int DatasetSchema::find(const std::string& name) const {
  for (size_t i = 0; i < tables.size(); ++i)
    if (tables[i].name == name) return static_cast<int>(i);
  return -1;
}

const TableSchema& DatasetSchema::table(const std::string& name) const {
  const int i = find(name);
  if (i < 0) throw InvalidInput("unknown table '" + name + "'");
  return tables[static_cast<size_t>(i)];
}

int DatasetSchema::parent_of(size_t t) const {
  const TableSchema& ts = tables.at(t);
  const ForeignKey* fk = nullptr;
  if (!ts.entity_key.empty()) fk = ts.foreign_key(ts.entity_key);
  else if (!ts.foreign_keys.empty()) fk = &ts.foreign_keys[0];
  return fk ? find(fk->parent) : -1;
}

std::vector<size_t> DatasetSchema::roots() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < tables.size(); ++i)
    if (tables[i].foreign_keys.empty()) out.push_back(i);
  return out;
}

std::vector<size_t> DatasetSchema::topological_order() const {
  // Depth-first over parent edges; a grey node met again closes a cycle.
  std::vector<int> state(tables.size(), 0);  // 0 new, 1 on the stack, 2 done
  std::vector<size_t> order, stack;
  std::function<void(size_t)> visit = [&](size_t t) {
    if (state[t] == 2) return;
    if (state[t] == 1) {
      std::string names;
      auto it = std::find(stack.begin(), stack.end(), t);
      for (; it != stack.end(); ++it) names += tables[*it].name + " -> ";
      throw InvalidInput("dataset schema: the foreign keys form a cycle: " + names + tables[t].name);
    }
    state[t] = 1;
    stack.push_back(t);
    for (const ForeignKey& fk : tables[t].foreign_keys) {
      const int p = find(fk.parent);
      if (p < 0) throw InvalidInput("table '" + tables[t].name + "': foreign key to unknown table '" + fk.parent + "'");
      if (static_cast<size_t>(p) == t) continue;  // a self-reference (e.g. a parent visit) orders nothing
      visit(static_cast<size_t>(p));
    }
    stack.pop_back();
    state[t] = 2;
    order.push_back(t);
  };
  for (size_t t = 0; t < tables.size(); ++t) visit(t);
  return order;
}

namespace {

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

bool is_time_type(const ColumnSchema& c) {
  return c.type == ColumnType::kDatetime || c.type == ColumnType::kNumerical;
}

// Splits "table.column" at the last dot.
bool split_ref(const std::string& ref, std::string* table, std::string* column) {
  const size_t dot = ref.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == ref.size()) return false;
  *table = ref.substr(0, dot);
  *column = ref.substr(dot + 1);
  return true;
}

}  // namespace

void DatasetSchema::validate() const {
  if (tables.empty()) throw InvalidInput("dataset schema: 'tables' is empty");
  std::set<std::string> names, files;
  for (size_t t = 0; t < tables.size(); ++t) {
    const TableSchema& ts = tables[t];
    const std::string at = "tables[" + std::to_string(t) + "]";
    auto fail = [&](const std::string& key, const std::string& msg) {
      return InvalidInput("dataset schema: " + at + (key.empty() ? "" : "." + key) + ": " + msg);
    };
    if (!valid_name(ts.name)) throw fail("name", "'" + ts.name + "' is not a table name (letters, digits, _ . -)");
    if (!names.insert(ts.name).second) throw fail("name", "duplicate table name '" + ts.name + "'");
    if (ts.file.empty() || ts.file.find('/') != std::string::npos || ts.file == "." || ts.file == "..")
      throw fail("file", "'" + ts.file + "' must be a file name in the dataset folder");
    if (!files.insert(ts.file).second) throw fail("file", "two tables read '" + ts.file + "'");
    if (ts.schema.columns.empty()) throw fail("columns", "no columns");
    auto need = [&](const std::string& key, const std::string& col) -> const ColumnSchema& {
      const int i = ts.schema.find(col);
      if (i < 0) throw fail(key, "no column '" + col + "' in table '" + ts.name + "'");
      return ts.schema.columns[static_cast<size_t>(i)];
    };
    if (!ts.primary_key.empty() && need("primary_key", ts.primary_key).type != ColumnType::kIdentifier)
      throw fail("primary_key", "column '" + ts.primary_key + "' must have type identifier");
    std::set<std::string> fk_cols;
    for (size_t k = 0; k < ts.foreign_keys.size(); ++k) {
      const ForeignKey& fk = ts.foreign_keys[k];
      const std::string key = "foreign_keys[" + std::to_string(k) + "]";
      if (need(key + ".column", fk.column).type != ColumnType::kIdentifier)
        throw fail(key + ".column", "column '" + fk.column + "' must have type identifier");
      if (!fk_cols.insert(fk.column).second) throw fail(key + ".column", "two foreign keys on column '" + fk.column + "'");
      const int p = find(fk.parent);
      if (p < 0) throw fail(key + ".parent", "no table '" + fk.parent + "'");
      const TableSchema& parent = tables[static_cast<size_t>(p)];
      if (parent.primary_key.empty()) throw fail(key + ".parent", "table '" + fk.parent + "' has no primary_key");
      if (fk.parent_column != parent.primary_key)
        throw fail(key + ".parent_column", "'" + fk.parent_column + "' is not the primary key of '" + fk.parent + "' ('" +
                                               parent.primary_key + "')");
    }
    std::set<std::string> used;
    if (!ts.entity_key.empty()) {
      const ColumnSchema& ek = need("entity_key", ts.entity_key);
      if (ek.type != ColumnType::kIdentifier) throw fail("entity_key", "column '" + ts.entity_key + "' must have type identifier");
      if (!ts.foreign_keys.empty() && !ts.foreign_key(ts.entity_key))
        throw fail("entity_key", "'" + ts.entity_key + "' must be one of the table's foreign keys");
      if (ts.entity_key == ts.primary_key) throw fail("entity_key", "the entity key cannot be the primary key");
    }
    if (!ts.time_column.empty()) {
      if (ts.entity_key.empty()) throw fail("time.column", "a time column needs an entity_key");
      const ColumnSchema& tc = need("time.column", ts.time_column);
      if (!is_time_type(tc)) throw fail("time.column", "column '" + ts.time_column + "' must be datetime or numerical");
      static const char* kUnits[] = {"day", "hour", "minute", "second"};
      if (std::find(std::begin(kUnits), std::end(kUnits), ts.time_unit) == std::end(kUnits))
        throw fail("time.unit", "'" + ts.time_unit + "' is not one of day, hour, minute, second");
      for (const auto& [key, ref] : {std::pair<std::string, std::string>{"time.origin", ts.time_origin},
                                     std::pair<std::string, std::string>{"time.end", ts.end_column}}) {
        if (ref.empty()) continue;
        std::string rt, rc;
        if (!split_ref(ref, &rt, &rc)) throw fail(key, "'" + ref + "' must be \"table.column\"");
        const int r = find(rt);
        if (r < 0) throw fail(key, "no table '" + rt + "'");
        const int ci = tables[static_cast<size_t>(r)].schema.find(rc);
        if (ci < 0) throw fail(key, "no column '" + rc + "' in table '" + rt + "'");
        const ColumnSchema& c = tables[static_cast<size_t>(r)].schema.columns[static_cast<size_t>(ci)];
        if (!is_time_type(c)) throw fail(key, "'" + ref + "' must be a datetime or numerical column");
        if (key == "time.origin" && c.type != ColumnType::kDatetime)
          throw fail(key, "'" + ref + "' must be a datetime column (offsets count from it)");
        if (key == "time.origin" && tc.type == ColumnType::kDatetime)
          throw fail(key, "a datetime time column needs no origin");
        // The referenced table must be this table's entity table or an ancestor of it.
        int a = parent_of(t);
        std::set<int> seen;
        while (a >= 0 && a != r && seen.insert(a).second) a = parent_of(static_cast<size_t>(a));
        if (a != r && !(static_cast<size_t>(r) == t && key == "time.end"))
          throw fail(key, "'" + rt + "' is not the entity table of '" + ts.name + "' or one of its ancestors");
      }
    } else if (!ts.time_origin.empty() || !ts.end_column.empty()) {
      throw fail("time", "origin or end without a time column");
    }
    for (size_t k = 0; k < ts.static_columns.size(); ++k) {
      const std::string& c = ts.static_columns[k];
      const std::string key = "static_columns[" + std::to_string(k) + "]";
      if (ts.entity_key.empty()) throw fail(key, "static columns need an entity_key");
      need(key, c);
      if (c == ts.entity_key || c == ts.time_column || c == ts.primary_key)
        throw fail(key, "'" + c + "' is a key or time column");
      if (!used.insert(c).second) throw fail(key, "'" + c + "' listed twice");
    }
    if (ts.is_long()) {
      if (ts.entity_key.empty()) throw fail("long", "a long-format table needs an entity_key");
      const ColumnSchema& sc = need("long.series", ts.series_column);
      if (sc.type != ColumnType::kCategorical) throw fail("long.series", "column '" + ts.series_column + "' must be categorical");
      if (ts.value_column.empty()) throw fail("long.value", "a long-format table needs a value column");
      if (need("long.value", ts.value_column).type != ColumnType::kNumerical)
        throw fail("long.value", "column '" + ts.value_column + "' must be numerical");
      if (!ts.unit_column.empty() && need("long.unit", ts.unit_column).type != ColumnType::kCategorical)
        throw fail("long.unit", "column '" + ts.unit_column + "' must be categorical");
      for (const std::string* c : {&ts.series_column, &ts.value_column, &ts.unit_column})
        if (!c->empty() && used.count(*c)) throw fail("long", "'" + *c + "' is also a static column");
    } else if (!ts.value_column.empty() || !ts.unit_column.empty()) {
      throw fail("long", "value or unit without a series column");
    }
  }
  (void)topological_order();  // throws on cycles
  if (roots().empty()) throw InvalidInput("dataset schema: no table without foreign keys (no top-level entity)");
}

// ---------------------------------------------------------------------------------- JSON

ojson DatasetSchema::to_json() const {
  ojson tabs = ojson::array();
  for (const TableSchema& ts : tables) {
    ojson t = ojson::object();
    t["name"] = ts.name;
    t["file"] = ts.file;
    if (!ts.primary_key.empty()) t["primary_key"] = ts.primary_key;
    if (!ts.foreign_keys.empty()) {
      ojson fks = ojson::array();
      for (const ForeignKey& fk : ts.foreign_keys)
        fks.push_back(ojson{{"column", fk.column}, {"parent", fk.parent}, {"parent_column", fk.parent_column}});
      t["foreign_keys"] = std::move(fks);
    }
    if (!ts.entity_key.empty()) t["entity_key"] = ts.entity_key;
    if (!ts.time_column.empty()) {
      ojson tj{{"column", ts.time_column}};
      if (ts.schema.column(ts.time_column).type == ColumnType::kNumerical) tj["unit"] = ts.time_unit;
      if (!ts.time_origin.empty()) tj["origin"] = ts.time_origin;
      if (!ts.end_column.empty()) tj["end"] = ts.end_column;
      t["time"] = std::move(tj);
    }
    if (!ts.static_columns.empty()) t["static_columns"] = ts.static_columns;
    if (ts.is_long()) {
      ojson lj{{"series", ts.series_column}, {"value", ts.value_column}};
      if (!ts.unit_column.empty()) lj["unit"] = ts.unit_column;
      t["long"] = std::move(lj);
    }
    t["columns"] = ts.schema.to_json()["columns"];
    tabs.push_back(std::move(t));
  }
  ojson out{{"format", "medgen-dataset"}, {"version", 1}, {"tables", std::move(tabs)}};
  if (!fhir.is_null()) out["fhir"] = ojson::parse(fhir.dump());
  return out;
}

namespace {

void only_keys(const json& j, std::initializer_list<const char*> keys, const std::string& source, const std::string& at) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    std::string list;
    for (const char* k : keys) {
      ok = ok || it.key() == k;
      list += std::string(list.empty() ? "" : ", ") + k;
    }
    if (!ok) throw InvalidInput(source + ": " + at + ": unknown key '" + it.key() + "' (expected " + list + ")");
  }
}

std::string get_string(const json& j, const char* key, const std::string& source, const std::string& at, bool required) {
  if (!j.contains(key)) {
    if (required) throw InvalidInput(source + ": " + at + "." + key + ": missing");
    return "";
  }
  if (!j[key].is_string()) throw InvalidInput(source + ": " + at + "." + key + ": expected a string");
  return j[key].get<std::string>();
}

}  // namespace

DatasetSchema DatasetSchema::from_json(const json& j, const std::string& source) {
  if (!j.is_object()) throw InvalidInput(source + ": expected a JSON object with \"tables\"");
  only_keys(j, {"format", "version", "tables", "fhir"}, source, "(top level)");
  if (j.contains("format") && j["format"] != "medgen-dataset")
    throw InvalidInput(source + ": format: must be \"medgen-dataset\" (a single-table schema is \"medgen-schema\")");
  if (j.contains("version") && j["version"] != 1) throw InvalidInput(source + ": version: this medgen reads 1");
  if (!j.contains("tables") || !j["tables"].is_array()) throw InvalidInput(source + ": tables: expected an array");
  DatasetSchema ds;
  for (size_t t = 0; t < j["tables"].size(); ++t) {
    const json& tj = j["tables"][t];
    const std::string at = "tables[" + std::to_string(t) + "]";
    if (!tj.is_object()) throw InvalidInput(source + ": " + at + ": expected an object");
    only_keys(tj, {"name", "file", "primary_key", "foreign_keys", "entity_key", "time", "static_columns", "long", "columns"},
              source, at);
    TableSchema ts;
    ts.name = get_string(tj, "name", source, at, true);
    ts.file = get_string(tj, "file", source, at, false);
    if (ts.file.empty()) ts.file = ts.name + ".csv";
    ts.primary_key = get_string(tj, "primary_key", source, at, false);
    if (tj.contains("foreign_keys")) {
      if (!tj["foreign_keys"].is_array()) throw InvalidInput(source + ": " + at + ".foreign_keys: expected an array");
      for (size_t k = 0; k < tj["foreign_keys"].size(); ++k) {
        const json& fj = tj["foreign_keys"][k];
        const std::string fat = at + ".foreign_keys[" + std::to_string(k) + "]";
        if (!fj.is_object()) throw InvalidInput(source + ": " + fat + ": expected an object");
        only_keys(fj, {"column", "parent", "parent_column"}, source, fat);
        ForeignKey fk;
        fk.column = get_string(fj, "column", source, fat, true);
        fk.parent = get_string(fj, "parent", source, fat, true);
        fk.parent_column = get_string(fj, "parent_column", source, fat, false);
        ts.foreign_keys.push_back(std::move(fk));
      }
    }
    ts.entity_key = get_string(tj, "entity_key", source, at, false);
    if (tj.contains("time")) {
      const json& tt = tj["time"];
      const std::string tat = at + ".time";
      if (!tt.is_object()) throw InvalidInput(source + ": " + tat + ": expected an object");
      only_keys(tt, {"column", "unit", "origin", "end"}, source, tat);
      ts.time_column = get_string(tt, "column", source, tat, true);
      const std::string unit = get_string(tt, "unit", source, tat, false);
      if (!unit.empty()) ts.time_unit = unit;
      ts.time_origin = get_string(tt, "origin", source, tat, false);
      ts.end_column = get_string(tt, "end", source, tat, false);
    }
    if (tj.contains("static_columns")) {
      const json& sj = tj["static_columns"];
      if (!sj.is_array()) throw InvalidInput(source + ": " + at + ".static_columns: expected an array of strings");
      for (const json& s : sj) {
        if (!s.is_string()) throw InvalidInput(source + ": " + at + ".static_columns: expected an array of strings");
        ts.static_columns.push_back(s.get<std::string>());
      }
    }
    if (tj.contains("long")) {
      const json& lj = tj["long"];
      const std::string lat = at + ".long";
      if (!lj.is_object()) throw InvalidInput(source + ": " + lat + ": expected an object");
      only_keys(lj, {"series", "value", "unit"}, source, lat);
      ts.series_column = get_string(lj, "series", source, lat, true);
      ts.value_column = get_string(lj, "value", source, lat, true);
      ts.unit_column = get_string(lj, "unit", source, lat, false);
    }
    if (!tj.contains("columns")) throw InvalidInput(source + ": " + at + ".columns: missing");
    ts.schema = Schema::from_json(json{{"columns", tj["columns"]}}, source + ": " + at);
    ds.tables.push_back(std::move(ts));
  }
  if (j.contains("fhir")) {
    (void)FhirMapping::from_json(j["fhir"], source, "fhir");  // strict: unknown keys named by path
    ds.fhir = j["fhir"];
  }
  // Default parent columns: the parent's primary key.
  for (TableSchema& ts : ds.tables)
    for (ForeignKey& fk : ts.foreign_keys)
      if (fk.parent_column.empty()) {
        const int p = ds.find(fk.parent);
        if (p >= 0) fk.parent_column = ds.tables[static_cast<size_t>(p)].primary_key;
      }
  try {
    ds.validate();
  } catch (const InvalidInput& e) {
    std::string msg = e.what();
    const std::string prefix = "dataset schema: ";
    if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
    throw InvalidInput(source + ": " + msg);
  }
  return ds;
}

DatasetSchema DatasetSchema::read(const std::string& path) {
  const std::string text = read_file(path, uint64_t{64} << 20);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InvalidInput(path + ": not valid JSON (" + e.what() + ")");
  }
  return from_json(j, path);
}

// ---------------------------------------------------------------------------------- Dataset

const Table& Dataset::table(const std::string& name) const {
  const int i = schema.find(name);
  if (i < 0 || static_cast<size_t>(i) >= tables.size()) throw InvalidInput("unknown table '" + name + "'");
  return tables[static_cast<size_t>(i)];
}

Table& Dataset::table(const std::string& name) {
  const int i = schema.find(name);
  if (i < 0 || static_cast<size_t>(i) >= tables.size()) throw InvalidInput("unknown table '" + name + "'");
  return tables[static_cast<size_t>(i)];
}

size_t Dataset::num_entities() const {
  size_t n = 0;
  for (size_t r : schema.roots()) {
    const TableSchema& ts = schema.tables[r];
    if (ts.is_sequence()) {
      // Implicit entities: distinct entity keys.
      const Column& c = tables[r].column(ts.entity_key);
      std::set<int32_t> keys(c.codes.begin(), c.codes.end());
      keys.erase(-1);
      n += keys.size();
    } else {
      n += tables[r].num_rows();
    }
  }
  return n;
}

}  // namespace medgen::records
