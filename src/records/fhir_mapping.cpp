// to_clinical: any learned dataset -> the clinical tables, by a FhirMapping (the "fhir" object of
// a dataset schema JSON).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "fhir_common.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/schema.h"
#include "medgen/records/fhir.h"

namespace medgen::records {

using json = nlohmann::json;

namespace {

// ---------------------------------------------------------------- strict JSON

struct Parser {
  std::string source;

  [[noreturn]] void fail(const std::string& at, const std::string& what) const {
    throw InvalidInput(source + ": " + at + ": " + what);
  }
  static std::string join(const std::string& at, const std::string& key) { return at.empty() ? key : at + "." + key; }

  void only(const json& j, const std::string& at, std::initializer_list<const char*> keys) const {
    if (!j.is_object()) fail(at.empty() ? "(top level)" : at, "expected an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool ok = false;
      std::string list;
      for (const char* k : keys) {
        ok = ok || it.key() == k;
        list += std::string(list.empty() ? "" : ", ") + k;
      }
      if (!ok) fail(join(at, it.key()), "unknown key (expected one of " + list + ")");
    }
  }
  std::string str(const json& j, const char* key, const std::string& at, const std::string& def = "") const {
    auto it = j.find(key);
    if (it == j.end()) return def;
    if (!it->is_string()) fail(join(at, key), "expected a string");
    return it->get<std::string>();
  }
  bool boolean(const json& j, const char* key, const std::string& at, bool def) const {
    auto it = j.find(key);
    if (it == j.end()) return def;
    if (!it->is_boolean()) fail(join(at, key), "expected true or false");
    return it->get<bool>();
  }
  std::vector<std::string> strings(const json& j, const char* key, const std::string& at) const {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end()) return out;
    if (!it->is_array()) fail(join(at, key), "expected an array of strings");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& v = (*it)[i];
      if (v.is_string())
        out.push_back(v.get<std::string>());
      else if (v.is_number())
        out.push_back(v.dump());
      else
        fail(join(at, key) + "[" + std::to_string(i) + "]", "expected a string");
    }
    return out;
  }
  FhirCode code(const json& j, const std::string& at) const {
    FhirCode c;
    c.system = str(j, "system", at);
    c.code = str(j, "code", at);
    c.display = str(j, "display", at);
    return c;
  }
  std::string column_or_object(const json& j, const char* key, const std::string& at) const {
    auto it = j.find(key);
    if (it == j.end()) return "";
    if (it->is_string()) return it->get<std::string>();
    only(*it, join(at, key), {"column"});
    return str(*it, "column", join(at, key));
  }

  FhirTableMap table(const json& j, const std::string& at, bool patients) const {
    FhirTableMap t;
    t.table = str(j, "table", at);
    if (auto e = j.find("encounter"); e != j.end()) {
      const std::string eat = join(at, "encounter");
      only(*e, eat, {"class", "system", "code", "display"});
      t.encounter = true;
      t.encounter_class = str(*e, "class", eat, "AMB");
      if (t.encounter_class.empty()) fail(eat + ".class", "must not be empty");
      t.encounter_type = code(*e, eat);
    }
    if (auto o = j.find("observations"); o != j.end()) {
      const std::string oat = join(at, "observations");
      if (!o->is_array()) fail(oat, "expected an array");
      for (size_t i = 0; i < o->size(); ++i) {
        const std::string iat = oat + "[" + std::to_string(i) + "]";
        only((*o)[i], iat, {"column", "system", "code", "display", "unit"});
        FhirObservationMap m;
        m.column = str((*o)[i], "column", iat);
        if (m.column.empty()) fail(iat + ".column", "missing");
        m.code = code((*o)[i], iat);
        m.unit = str((*o)[i], "unit", iat);
        t.observations.push_back(std::move(m));
      }
    }
    for (const char* kind : {"conditions", "procedures", "medications"}) {
      auto o = j.find(kind);
      if (o == j.end()) continue;
      const std::string oat = join(at, kind);
      if (!o->is_array()) fail(oat, "expected an array");
      std::vector<FhirEventMap>& out = kind[0] == 'c' ? t.conditions : kind[0] == 'p' ? t.procedures : t.medications;
      for (size_t i = 0; i < o->size(); ++i) {
        const std::string iat = oat + "[" + std::to_string(i) + "]";
        only((*o)[i], iat, {"column", "values", "time", "system", "code", "display"});
        FhirEventMap m;
        m.column = str((*o)[i], "column", iat);
        m.values = strings((*o)[i], "values", iat);
        if (!m.column.empty() && m.values.empty()) fail(iat + ".values", "missing (the labels that trigger it)");
        m.time = str((*o)[i], "time", iat);
        m.code = code((*o)[i], iat);
        if (m.code.code.empty() && m.code.display.empty()) fail(iat, "needs a code or a display");
        out.push_back(std::move(m));
      }
    }
    t.exclude = strings(j, "exclude", at);
    t.default_observations = boolean(j, "default_observations", at, true);
    (void)patients;
    return t;
  }
};

// ---------------------------------------------------------------- building

double unit_seconds(const std::string& unit) {
  if (unit == "day") return 86400;
  if (unit == "hour") return 3600;
  if (unit == "minute") return 60;
  if (unit == "second") return 1;
  if (unit == "year") return 365.25 * 86400;
  return 0;
}

std::string label(const Column& c, size_t r) {
  if (c.is_missing(r)) return "";
  if (c.storage == Storage::kString) return c.dictionary[static_cast<size_t>(c.codes[r])];
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, c.values[r]);
  return std::string(buf, res.ptr);
}

bool matches(const Column& c, size_t r, const std::vector<std::string>& values) {
  if (c.is_missing(r)) return false;
  if (c.storage == Storage::kString) {
    const std::string& l = c.dictionary[static_cast<size_t>(c.codes[r])];
    for (const auto& v : values)
      if (v == l) return true;
    return false;
  }
  for (const auto& v : values) {
    double x;
    const auto res = std::from_chars(v.data(), v.data() + v.size(), x);
    if (res.ec == std::errc() && res.ptr == v.data() + v.size() && x == c.values[r]) return true;
  }
  return false;
}

std::string fhir_safe(const std::string& s) {
  std::string o = s;
  for (char& c : o)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) c = '-';
  return o;
}

// Appends rows to a clinical table by column name.
class Out {
 public:
  explicit Out(Table* t) : t_(t), index_(t->columns.size()) {}
  void add() {
    for (Column& c : t_->columns) {
      if (c.storage == Storage::kNumber) {
        c.values.push_back(0);
        c.valid.push_back(0);
      } else {
        c.codes.push_back(-1);
      }
    }
  }
  void str(const char* name, const std::string& v) {
    if (v.empty()) return;
    const size_t c = static_cast<size_t>(t_->find(name));
    auto it = index_[c].find(v);
    if (it == index_[c].end()) {
      t_->columns[c].dictionary.push_back(v);
      it = index_[c].emplace(v, static_cast<int32_t>(t_->columns[c].dictionary.size() - 1)).first;
    }
    t_->columns[c].codes.back() = it->second;
  }
  void num(const char* name, double v, bool valid = true) {
    if (!valid) return;
    Column& c = t_->columns[static_cast<size_t>(t_->find(name))];
    c.values.back() = v;
    c.valid.back() = 1;
  }
  void code(const FhirCode& c) {
    str("code_system", c.system);
    str("code", c.code);
    str("display", c.display);
  }

 private:
  Table* t_;
  std::vector<std::unordered_map<std::string, int32_t>> index_;
};

struct Builder {
  const Dataset& src;
  const FhirMapping& map;
  std::vector<std::string>* notes;
  Dataset out = empty_clinical_dataset();
  Out enc{&out.tables[1]}, cond{&out.tables[2]}, obs{&out.tables[3]}, med{&out.tables[4]}, proc{&out.tables[5]};
  size_t pt = 0;                  // the patients table
  std::vector<std::string> pids;  // per patient row
  std::vector<double> entry;      // per patient row (seconds)
  std::unordered_map<std::string, size_t> pindex;

  Builder(const Dataset& s, const FhirMapping& m, std::vector<std::string>* n) : src(s), map(m), notes(n) {}

  [[noreturn]] void fail(const std::string& what) const { throw InvalidInput("FHIR mapping: " + what); }

  const Column& column(size_t t, const std::string& name, const std::string& at) const {
    const int c = src.tables[t].find(name);
    if (c < 0) fail(at + ": table '" + src.schema.tables[t].name + "' has no column '" + name + "'");
    return src.tables[t].columns[static_cast<size_t>(c)];
  }
  const ColumnSchema& column_schema(size_t t, const std::string& name) const {
    return src.schema.tables[t].schema.column(name);
  }

  // The time of row r of table t from column `name`: a datetime, or an offset in `unit` from
  // `origin` (seconds). false when missing.
  bool time_of(size_t t, size_t r, const std::string& name, double origin, double unit, const std::string& at,
               double* out) const {
    const Column& c = column(t, name, at);
    const ColumnSchema& cs = column_schema(t, name);
    if (c.storage != Storage::kNumber) fail(at + ": column '" + name + "' is neither a datetime nor a number");
    if (!c.valid[r]) return false;
    *out = cs.type == ColumnType::kDatetime ? c.values[r] : origin + c.values[r] * unit;
    return true;
  }

  // Observations, conditions, procedures, medications of one source row.
  void row_events(size_t t, size_t r, const FhirTableMap& tm, const std::vector<std::string>& defaults,
                  const std::string& pid, const std::string& eid, bool with_encounter, double time, bool has_time,
                  double origin, double unit, const std::string& at) {
    size_t k = 0;
    auto observation = [&](const std::string& col, const FhirCode& code, const std::string& unit_label) {
      const Column& c = column(t, col, at);
      ++k;
      if (c.is_missing(r)) return;
      obs.add();
      obs.str("id", eid + "-o" + std::to_string(k));
      obs.str("patient", pid);
      if (with_encounter) obs.str("encounter", eid);
      obs.num("time", time, has_time);
      obs.str("code_system", code.system.empty() ? kColumnCodeSystem : code.system);
      obs.str("code", code.code.empty() ? col : code.code);
      obs.str("display", code.display.empty() ? col : code.display);
      if (c.storage == Storage::kNumber && column_schema(t, col).type == ColumnType::kNumerical) {
        obs.num("value", c.values[r]);
        obs.str("unit", unit_label);
      } else {
        obs.str("value_code", label(c, r));
      }
    };
    for (const FhirObservationMap& m : tm.observations) observation(m.column, m.code, m.unit);
    for (const std::string& col : defaults) observation(col, FhirCode{}, "");
    const char* kinds[] = {"c", "p", "m"};
    const std::vector<FhirEventMap>* lists[] = {&tm.conditions, &tm.procedures, &tm.medications};
    Out* outs[] = {&cond, &proc, &med};
    for (int kind = 0; kind < 3; ++kind) {
      size_t n = 0;
      for (const FhirEventMap& e : *lists[kind]) {
        ++n;
        if (!e.column.empty() && !matches(column(t, e.column, at), r, e.values)) continue;
        double when = time;
        bool has_when = has_time;
        if (!e.time.empty()) has_when = time_of(t, r, e.time, origin, unit, at, &when);
        Out& o = *outs[kind];
        o.add();
        o.str("id", eid + "-" + kinds[kind] + std::to_string(n));
        o.str("patient", pid);
        if (with_encounter) o.str("encounter", eid);
        o.num(kind == 0 ? "onset" : kind == 1 ? "time" : "start", when, has_when);
        if (kind == 2) o.str("status", "completed");
        o.code(e.code);
      }
    }
  }

  // Columns of table t that become default observations.
  std::vector<std::string> defaults(size_t t, const FhirTableMap& tm, const std::set<std::string>& used) {
    std::vector<std::string> out;
    if (!tm.default_observations) return out;
    std::set<std::string> skip(used.begin(), used.end());
    skip.insert(tm.exclude.begin(), tm.exclude.end());
    for (const auto& m : tm.observations) skip.insert(m.column);
    for (const auto* list : {&tm.conditions, &tm.procedures, &tm.medications})
      for (const auto& e : *list) {
        skip.insert(e.column);
        skip.insert(e.time);
      }
    const TableSchema& ts = src.schema.tables[t];
    skip.insert(ts.primary_key);
    skip.insert(ts.entity_key);
    skip.insert(ts.time_column);
    for (const auto& fk : ts.foreign_keys) skip.insert(fk.column);
    skip.insert(ts.static_columns.begin(), ts.static_columns.end());
    if (!ts.end_column.empty()) {
      const size_t dot = ts.end_column.find('.');
      if (dot != std::string::npos && ts.end_column.substr(0, dot) == ts.name)
        skip.insert(ts.end_column.substr(dot + 1));
    }
    std::vector<std::string> dropped;
    for (const ColumnSchema& c : ts.schema.columns) {
      if (skip.count(c.name)) continue;
      if (c.type == ColumnType::kNumerical || c.type == ColumnType::kCategorical || c.type == ColumnType::kBoolean)
        out.push_back(c.name);
      else
        dropped.push_back(c.name);
    }
    if (notes && !dropped.empty()) {
      std::string s = "table '" + ts.name + "': columns not mapped (datetime, identifier or text):";
      for (const auto& d : dropped) s += " " + d;
      notes->push_back(s);
    }
    return out;
  }

  void check_columns(size_t t, const FhirTableMap& tm, const std::string& at) const {
    for (size_t i = 0; i < tm.observations.size(); ++i) {
      const std::string& c = tm.observations[i].column;
      column(t, c, at + ".observations[" + std::to_string(i) + "].column");
      if (column_schema(t, c).type == ColumnType::kDatetime)
        fail(at + ".observations[" + std::to_string(i) + "].column: '" + c + "' is a datetime, not a value");
    }
    const char* names[] = {"conditions", "procedures", "medications"};
    const std::vector<FhirEventMap>* lists[] = {&tm.conditions, &tm.procedures, &tm.medications};
    for (int k = 0; k < 3; ++k)
      for (size_t i = 0; i < lists[k]->size(); ++i) {
        const std::string eat = at + "." + names[k] + "[" + std::to_string(i) + "]";
        const FhirEventMap& e = (*lists[k])[i];
        if (!e.column.empty()) column(t, e.column, eat + ".column");
        if (!e.time.empty()) column(t, e.time, eat + ".time");
      }
    for (const auto& c : tm.exclude) column(t, c, at + ".exclude");
  }

  void patients() {
    const DatasetSchema& s = src.schema;
    if (!map.patients.table.empty()) {
      const int t = s.find(map.patients.table);
      if (t < 0) fail("patients.table: no table '" + map.patients.table + "' in the dataset");
      pt = static_cast<size_t>(t);
    } else {
      std::vector<size_t> roots;
      for (size_t t = 0; t < s.tables.size(); ++t)
        if (s.tables[t].foreign_keys.empty() && !s.tables[t].is_sequence()) roots.push_back(t);
      if (roots.size() != 1)
        fail("patients.table: name the table of patients (the dataset has " + std::to_string(roots.size()) +
             " root tables)");
      pt = roots[0];
    }
    const TableSchema& ts = s.tables[pt];
    if (ts.is_sequence())
      fail("patients.table: '" + ts.name +
           "' is a table of events (one row per patient is needed; map its entity table)");
    const std::string id = map.id_column.empty() ? ts.primary_key : map.id_column;
    if (id.empty()) fail("patients.id: table '" + ts.name + "' has no primary key; name the id column");
    const Table& table = src.tables[pt];
    const Column& idc = column(pt, id, "patients.id");
    const double ref = reference_date();
    const double unit = unit_seconds(map.time_unit);
    if (unit == 0 || map.time_unit == "year")
      fail("patients.time_unit: '" + map.time_unit + "' is not day, hour, minute or second");
    const double age_unit = unit_seconds(map.age_unit);
    if (age_unit == 0) fail("patients.age.unit: '" + map.age_unit + "' is not year, day, hour, minute or second");
    check_columns(pt, map.patients, "patients");
    std::set<std::string> used = {id};
    for (const std::string* c : {&map.entry_column, &map.gender_column, &map.birth_date_column, &map.age_column,
                                 &map.deceased_column, &map.deceased_time, &map.race_column, &map.ethnicity_column})
      if (!c->empty()) {
        column(pt, *c, "patients");
        used.insert(*c);
      }
    const std::vector<std::string> dflt = defaults(pt, map.patients, used);
    Out P(&out.tables[0]);
    for (size_t r = 0; r < table.num_rows(); ++r) {
      const std::string pid = label(idc, r);
      if (pid.empty()) fail("table '" + ts.name + "' row " + std::to_string(r + 1) + ": missing id");
      if (!pindex.emplace(pid, r).second) fail("table '" + ts.name + "': duplicate patient id '" + pid + "'");
      double e = ref;
      if (!map.entry_column.empty() && !time_of(pt, r, map.entry_column, ref, unit, "patients.entry", &e)) e = ref;
      pids.push_back(pid);
      entry.push_back(e);
      P.add();
      P.str("id", pid);
      double v;
      if (!map.birth_date_column.empty()) {
        const Column& bc = column(pt, map.birth_date_column, "patients.birth_date");
        if (column_schema(pt, map.birth_date_column).type != ColumnType::kDatetime)
          fail("patients.birth_date: column '" + map.birth_date_column + "' is not a datetime");
        if (bc.valid[r]) P.num("birth_date", std::floor(bc.values[r] / 86400) * 86400);
      } else if (!map.age_column.empty()) {
        const Column& age = column(pt, map.age_column, "patients.age");
        if (age.storage != Storage::kNumber) fail("patients.age: column '" + map.age_column + "' is not numeric");
        if (age.valid[r]) P.num("birth_date", std::floor((e - age.values[r] * age_unit) / 86400) * 86400);
      }
      if (!map.gender_column.empty())
        P.str("gender", gender(label(column(pt, map.gender_column, "patients.gender"), r)));
      if (!map.deceased_column.empty() &&
          matches(column(pt, map.deceased_column, "patients.deceased"), r, map.deceased_values) &&
          !map.deceased_time.empty() && time_of(pt, r, map.deceased_time, e, unit, "patients.deceased.time", &v))
        P.num("deceased", v);
      if (!map.race_column.empty()) P.str("race", label(column(pt, map.race_column, "patients.race"), r));
      if (!map.ethnicity_column.empty())
        P.str("ethnicity", label(column(pt, map.ethnicity_column, "patients.ethnicity"), r));
      const std::string eid = fhir_safe(pid) + "-entry";
      if (map.patients.encounter) {
        enc.add();
        enc.str("id", eid);
        enc.str("patient", pid);
        enc.num("start", e);
        enc.num("end", e);
        enc.str("class", map.patients.encounter_class);
        enc.code(map.patients.encounter_type);
      }
      row_events(pt, r, map.patients, dflt, pid, eid, map.patients.encounter, e, true, e, unit, "patients");
    }
  }

  std::string gender(const std::string& l) const {
    if (l.empty()) return "";
    if (!map.gender_map.empty()) {
      auto it = map.gender_map.find(l);
      return it == map.gender_map.end() ? "unknown" : it->second;
    }
    std::string low;
    for (char c : l) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (low == "m" || low == "male") return "male";
    if (low == "f" || low == "female") return "female";
    if (low == "other" || low == "unknown") return low;
    return "unknown";
  }

  double reference_date() const {
    double v;
    if (parse_datetime(map.reference_date, "%Y-%m-%dT%H:%M:%S", &v) ||
        parse_datetime(map.reference_date, "%Y-%m-%d", &v))
      return v;
    fail("reference_date: '" + map.reference_date + "' is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ss");
  }

  // Rows of every event table grouped by patient (in the patients' order), each patient's rows
  // in the order made: the order FHIR output has, so that clinical -> FHIR -> clinical is exact.
  void group_by_patient() {
    for (size_t t = 1; t < out.tables.size(); ++t) {
      Table& table = out.tables[t];
      const Column& p = table.column("patient");
      const size_t n = table.num_rows();
      std::vector<size_t> of_code(p.dictionary.size());
      for (size_t c = 0; c < p.dictionary.size(); ++c) of_code[c] = pindex.at(p.dictionary[c]);
      std::vector<size_t> order(n);
      for (size_t r = 0; r < n; ++r) order[r] = r;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return of_code[static_cast<size_t>(p.codes[a])] < of_code[static_cast<size_t>(p.codes[b])];
      });
      for (Column& c : table.columns) {
        if (c.storage == Storage::kNumber) {
          std::vector<double> v(n);
          std::vector<uint8_t> ok(n);
          for (size_t r = 0; r < n; ++r) {
            v[r] = c.values[order[r]];
            ok[r] = c.valid[order[r]];
          }
          c.values.swap(v);
          c.valid.swap(ok);
        } else {
          std::vector<int32_t> codes(n);
          for (size_t r = 0; r < n; ++r) codes[r] = c.codes[order[r]];
          c.codes.swap(codes);
        }
      }
    }
  }

  void events(size_t t, const FhirTableMap& tm, const std::string& at) {
    const TableSchema& ts = src.schema.tables[t];
    if (!ts.is_sequence() || src.schema.parent_of(t) != static_cast<int>(pt))
      fail(at + ".table: '" + ts.name + "' is not a table of events under '" + src.schema.tables[pt].name + "'");
    if (ts.time_column.empty()) fail(at + ".table: '" + ts.name + "' has no time column");
    check_columns(t, tm, at);
    const double unit = unit_seconds(ts.time_unit);
    // time_origin: a datetime column of the patients table, or "" (the entry).
    int origin_col = -1;
    if (!ts.time_origin.empty()) {
      const size_t dot = ts.time_origin.find('.');
      if (dot == std::string::npos || ts.time_origin.substr(0, dot) != src.schema.tables[pt].name)
        fail(at + ".table: '" + ts.name + "' counts time from '" + ts.time_origin +
             "' (only a column of the patients table is mapped)");
      origin_col = src.tables[pt].find(ts.time_origin.substr(dot + 1));
      if (origin_col < 0) fail(at + ": no column " + ts.time_origin);
    }
    const std::vector<std::string> dflt = defaults(t, tm, {});
    const Table& table = src.tables[t];
    const Column& key = column(t, ts.entity_key, at);
    const std::string prefix = fhir_safe(ts.name);
    for (size_t r = 0; r < table.num_rows(); ++r) {
      const std::string k = label(key, r);
      auto it = pindex.find(k);
      if (it == pindex.end())
        fail("table '" + ts.name + "' row " + std::to_string(r + 1) + ": patient '" + k + "' is not in '" +
             src.schema.tables[pt].name + "'");
      const size_t p = it->second;
      double origin = entry[p];
      if (origin_col >= 0) {
        const Column& oc = src.tables[pt].columns[static_cast<size_t>(origin_col)];
        if (oc.storage == Storage::kNumber && oc.valid[p]) origin = oc.values[p];
      }
      double time = 0;
      const bool has_time = time_of(t, r, ts.time_column, origin, unit, at, &time);
      const std::string eid = prefix + "-" + std::to_string(r + 1);
      enc.add();
      enc.str("id", eid);
      enc.str("patient", pids[p]);
      enc.num("start", time, has_time);
      enc.num("end", time, has_time);
      enc.str("class", tm.encounter_class);
      enc.code(tm.encounter_type);
      row_events(t, r, tm, dflt, pids[p], eid, true, time, has_time, origin, unit, at);
    }
  }
};

}  // namespace

FhirMapping FhirMapping::from_json(const json& j, const std::string& source, const std::string& at) {
  Parser p{source};
  p.only(j, at, {"reference_date", "patients", "events"});
  FhirMapping m;
  m.reference_date = p.str(j, "reference_date", at, m.reference_date);
  if (auto pj = j.find("patients"); pj != j.end()) {
    const std::string pat = Parser::join(at, "patients");
    p.only(*pj, pat,
           {"table", "id", "entry", "time_unit", "gender", "birth_date", "age", "deceased", "race", "ethnicity",
            "encounter", "observations", "conditions", "procedures", "medications", "exclude", "default_observations"});
    m.patients = p.table(*pj, pat, true);
    m.id_column = p.str(*pj, "id", pat);
    m.entry_column = p.str(*pj, "entry", pat);
    m.time_unit = p.str(*pj, "time_unit", pat, m.time_unit);
    if (auto g = pj->find("gender"); g != pj->end()) {
      const std::string gat = Parser::join(pat, "gender");
      if (g->is_string()) {
        m.gender_column = g->get<std::string>();
      } else {
        p.only(*g, gat, {"column", "map"});
        m.gender_column = p.str(*g, "column", gat);
        if (auto mp = g->find("map"); mp != g->end()) {
          if (!mp->is_object()) p.fail(gat + ".map", "expected an object of label: gender");
          for (auto it = mp->begin(); it != mp->end(); ++it) {
            if (!it->is_string()) p.fail(gat + ".map." + it.key(), "expected a string");
            const std::string v = it->get<std::string>();
            if (v != "male" && v != "female" && v != "other" && v != "unknown")
              p.fail(gat + ".map." + it.key(), "'" + v + "' is not male, female, other or unknown");
            m.gender_map[it.key()] = v;
          }
        }
      }
    }
    m.birth_date_column = p.column_or_object(*pj, "birth_date", pat);
    if (auto a = pj->find("age"); a != pj->end()) {
      const std::string aat = Parser::join(pat, "age");
      if (a->is_string()) {
        m.age_column = a->get<std::string>();
      } else {
        p.only(*a, aat, {"column", "unit"});
        m.age_column = p.str(*a, "column", aat);
        m.age_unit = p.str(*a, "unit", aat, m.age_unit);
      }
    }
    if (!m.birth_date_column.empty() && !m.age_column.empty()) p.fail(pat, "give birth_date or age, not both");
    if (auto d = pj->find("deceased"); d != pj->end()) {
      const std::string dat = Parser::join(pat, "deceased");
      p.only(*d, dat, {"column", "values", "time"});
      m.deceased_column = p.str(*d, "column", dat);
      m.deceased_values = p.strings(*d, "values", dat);
      m.deceased_time = p.str(*d, "time", dat);
      if (m.deceased_column.empty() || m.deceased_values.empty() || m.deceased_time.empty())
        p.fail(dat, "needs column, values and time");
    }
    m.race_column = p.column_or_object(*pj, "race", pat);
    m.ethnicity_column = p.column_or_object(*pj, "ethnicity", pat);
  }
  if (auto ej = j.find("events"); ej != j.end()) {
    const std::string eat = Parser::join(at, "events");
    if (!ej->is_array()) p.fail(eat, "expected an array");
    m.events_given = true;
    for (size_t i = 0; i < ej->size(); ++i) {
      const std::string iat = eat + "[" + std::to_string(i) + "]";
      p.only((*ej)[i], iat,
             {"table", "encounter", "observations", "conditions", "procedures", "medications", "exclude",
              "default_observations"});
      FhirTableMap t = p.table((*ej)[i], iat, false);
      if (t.table.empty()) p.fail(iat + ".table", "missing");
      m.events.push_back(std::move(t));
    }
  }
  return m;
}

FhirMapping FhirMapping::read(const std::string& path) {
  const std::string text = read_file(path, uint64_t{16} << 20);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse errors, and numbers beyond double ("1e999")
    throw InvalidInput(path + ": not valid JSON: " + e.what());
  }
  return from_json(j, path, "");
}

Dataset to_clinical(const Dataset& dataset, const FhirMapping& mapping, std::vector<std::string>* notes) {
  Builder b(dataset, mapping, notes);
  b.patients();
  const DatasetSchema& s = dataset.schema;
  std::set<size_t> done = {b.pt};
  for (size_t i = 0; i < mapping.events.size(); ++i) {
    const int t = s.find(mapping.events[i].table);
    const std::string at = "events[" + std::to_string(i) + "]";
    if (t < 0) b.fail(at + ".table: no table '" + mapping.events[i].table + "' in the dataset");
    if (!done.insert(static_cast<size_t>(t)).second)
      b.fail(at + ".table: '" + mapping.events[i].table + "' is mapped twice");
    b.events(static_cast<size_t>(t), mapping.events[i], at);
  }
  for (size_t t = 0; t < s.tables.size(); ++t) {
    if (done.count(t)) continue;
    const bool events_here =
        s.tables[t].is_sequence() && s.parent_of(t) == static_cast<int>(b.pt) && !s.tables[t].time_column.empty();
    if (!mapping.events_given && events_here) {
      FhirTableMap tm;
      tm.table = s.tables[t].name;
      b.events(t, tm, "(default mapping of '" + tm.table + "')");
    } else if (notes) {
      notes->push_back(
          "table '" + s.tables[t].name + "' is not mapped to FHIR" +
          (events_here ? " (not listed in \"events\")" : " (not a table of timed events under the patients)"));
    }
  }
  b.group_by_patient();
  fill_categories(&b.out);
  return std::move(b.out);
}

}  // namespace medgen::records
