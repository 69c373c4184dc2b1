// read_fhir: Bundles and bulk NDJSON into the clinical tables.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "fhir_common.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/records/fhir.h"

namespace medgen::records {

using json = nlohmann::json;
using namespace fhir_detail;

namespace {

constexpr size_t kMaxDepth = 200;  // deeper JSON is refused before parsing (the parser recurses)

// Where a resource came from, for messages: "file:line: Type/id: path: problem".
struct Where {
  const std::string* file = nullptr;
  size_t line = 0;
  int64_t bundle = -1;   // index of the enclosing Bundle's label ("Bundle/b"), -1 outside Bundles
  int64_t entry = -1;    // entry index in that Bundle
  std::string resource;  // "Observation/abc"
  const std::vector<std::string>* bundles = nullptr;  // the labels
};

[[noreturn]] void fail(const Where& w, const std::string& path, const std::string& message) {
  std::string m;
  if (w.bundle >= 0)
    m = (*w.bundles)[static_cast<size_t>(w.bundle)] + ".entry[" + std::to_string(w.entry) + "].resource: ";
  m += w.resource;
  if (!m.empty()) m += ": ";
  if (!path.empty()) m += path + ": ";
  throw InvalidInput(located(*w.file, w.line, 0, m + message));
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "a number";
  }
}

// Builds one table row by row: strings through a dictionary, numbers with validity.
class Builder {
 public:
  explicit Builder(Table* t) : t_(t), index_(t->columns.size()) {}
  void new_row() {
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
    const size_t c = col(name);
    Column& column = t_->columns[c];
    auto it = index_[c].find(v);
    if (it == index_[c].end()) {
      column.dictionary.push_back(v);
      it = index_[c].emplace(v, static_cast<int32_t>(column.dictionary.size() - 1)).first;
    }
    column.codes.back() = it->second;
  }
  void num(const char* name, double v) {
    Column& column = t_->columns[col(name)];
    column.values.back() = v;
    column.valid.back() = 1;
  }
  size_t rows() const { return t_->num_rows(); }
  bool has(const char* name, const std::string& v) const { return index_[col(name)].count(v) != 0; }

 private:
  size_t col(const char* name) const {
    const int c = t_->find(name);
    MEDGEN_ASSERT(c >= 0);
    return static_cast<size_t>(c);
  }
  Table* t_;
  std::vector<std::unordered_map<std::string, int32_t>> index_;
};

// Where a row came from, kept small (one per row): the message is rebuilt on error.
struct RowOrigin {
  uint32_t file;
  uint32_t line;
  int32_t bundle;
  int32_t entry;
};

class Reader {
 public:
  explicit Reader(std::vector<std::string>* notes) : notes_(notes) {
    dataset_ = empty_clinical_dataset();
    for (size_t t = 0; t < kNumTypes; ++t) builders_.emplace_back(&dataset_.tables[t]);
    origins_.resize(kNumTypes);
  }

  void read_file_path(const std::string& path, uint64_t max_bytes) {
    files_.push_back(path);
    const std::string& file = files_.back();
    const std::string text = medgen::read_file(path, max_bytes ? max_bytes : kDefaultReadLimit);
    const std::string name = std::filesystem::path(path).filename().string();
    const bool ndjson = name.size() > 7 && name.compare(name.size() - 7, 7, ".ndjson") == 0;
    if (!ndjson) {
      Where w{&file, 0, -1, -1, "", &bundles_};
      json j = parse(text, 0, w);
      read_any(j, w);
      return;
    }
    // A bulk data file named for one type ("Patient.ndjson", "1.Observation.000.ndjson").
    std::string only;
    size_t start = 0;
    while (start <= name.size()) {
      size_t dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      const std::string part = name.substr(start, dot - start);
      for (size_t t = 0; t < kNumTypes; ++t)
        if (part == kResourceTypes[t]) only = part;
      start = dot + 1;
    }
    size_t pos = 0, line = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      ++line;
      std::string_view l(text.data() + pos, end - pos);
      pos = end + 1;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
      Where w{&file, line, -1, -1, "", &bundles_};
      json j = parse(l, 0, w);
      if (!only.empty()) {
        const auto rt = j.is_object() ? j.find("resourceType") : j.end();
        if (rt != j.end() && rt->is_string() && rt->get_ref<const std::string&>() != only)
          fail(w, "resourceType", "'" + rt->get<std::string>() + "' in a file named for " + only);
      }
      read_resource(j, w, nullptr);
    }
  }

  Dataset finish() {
    // Every row's patient must have been read.
    std::unordered_set<std::string> patients;
    const Column& pid = dataset_.tables[0].columns[0];
    for (int32_t c : pid.codes) patients.insert(pid.dictionary[static_cast<size_t>(c)]);
    for (size_t t = 1; t < kNumTypes; ++t) {
      const Table& table = dataset_.tables[t];
      const Column& p = table.column("patient");
      for (size_t r = 0; r < table.num_rows(); ++r) {
        const std::string& id = p.dictionary[static_cast<size_t>(p.codes[r])];
        if (patients.count(id)) continue;
        const RowOrigin& o = origins_[t][r];
        const Column& rid = table.columns[0];
        Where w{&files_[o.file],
                o.line,
                o.bundle,
                o.entry,
                std::string(kResourceTypes[t]) + "/" + rid.dictionary[static_cast<size_t>(rid.codes[r])],
                &bundles_};
        fail(w, t == 6 ? "patient.reference" : "subject.reference",
             "Patient '" + id + "' is not among the Patients read");
      }
    }
    // References to encounters that were not read are dropped.
    std::unordered_set<std::string> encounters;
    const Column& eid = dataset_.tables[1].columns[0];
    for (int32_t c : eid.codes) encounters.insert(eid.dictionary[static_cast<size_t>(c)]);
    size_t dropped = 0;
    for (size_t t = 2; t < kNumTypes; ++t) {
      Table& table = dataset_.tables[t];
      const int e = table.find("encounter");
      if (e < 0) continue;
      Column& col = table.columns[static_cast<size_t>(e)];
      for (int32_t& c : col.codes)
        if (c >= 0 && !encounters.count(col.dictionary[static_cast<size_t>(c)])) {
          c = -1;
          ++dropped;
        }
    }
    if (notes_) {
      if (dropped)
        notes_->push_back(std::to_string(dropped) + " references to Encounters that were not read were dropped");
      if (skipped_total_) {
        std::string s = "skipped " + std::to_string(skipped_total_) + " resources of types not read:";
        bool first = true;
        for (const auto& [type, n] : skipped_) {
          s += (first ? " " : ", ") + type + " " + std::to_string(n);
          first = false;
        }
        notes_->push_back(s);
      }
      if (skipped_entries_)
        notes_->push_back("skipped " + std::to_string(skipped_entries_) + " Bundle entries without a resource");
    }
    // Identifier dictionaries may hold labels of dropped codes; categorical ones are rebuilt.
    fill_categories(&dataset_);
    return std::move(dataset_);
  }

 private:
  json parse(std::string_view text, size_t, const Where& w) {
    // The parser recurses per nesting level: refuse deep nesting first.
    size_t depth = 0, line = 1, col = 0;
    bool in_string = false, escape = false;
    for (char c : text) {
      ++col;
      if (c == '\n') {
        ++line;
        col = 0;
      }
      if (in_string) {
        if (escape)
          escape = false;
        else if (c == '\\')
          escape = true;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        if (++depth > kMaxDepth)
          throw InvalidInput(located(*w.file, w.line ? w.line : line, col,
                                     "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels"));
      } else if ((c == ']' || c == '}') && depth) {
        --depth;
      }
    }
    try {
      return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
      // Line and column of the byte the parser stopped at.
      size_t l = 1, c = 0;
      const size_t at = std::min<size_t>(e.byte ? e.byte - 1 : 0, text.size());
      for (size_t i = 0; i < at; ++i) {
        if (text[i] == '\n') {
          ++l;
          c = 0;
        } else {
          ++c;
        }
      }
      std::string what = e.what();
      // "[json.exception.parse_error.101] parse error at line 1, column 7: <what>": keep <what>.
      const size_t at_column = what.find("column ");
      const size_t colon = at_column == std::string::npos ? what.find(": ") : what.find(": ", at_column);
      if (colon != std::string::npos) what = what.substr(colon + 2);
      throw InvalidInput(located(*w.file, w.line ? w.line : l, c + 1, "not valid JSON: " + what));
    } catch (const json::exception& e) {
      // out_of_range: a number beyond double ("1e999").
      throw InvalidInput(located(*w.file, w.line, 0, std::string("not valid JSON: ") + e.what()));
    }
  }

  void read_any(const json& j, const Where& w) {
    if (j.is_object() && j.contains("resourceType") && j["resourceType"] == "Bundle") {
      read_bundle(j, w);
    } else {
      read_resource(j, w, nullptr);
    }
  }

  void read_bundle(const json& b, const Where& outer) {
    Where w = outer;
    w.resource = "Bundle";
    if (b.contains("id") && b["id"].is_string()) w.resource += "/" + b["id"].get<std::string>();
    std::string label = w.resource;
    if (outer.bundle >= 0)
      label = bundles_[static_cast<size_t>(outer.bundle)] + ".entry[" + std::to_string(outer.entry) +
              "].resource: " + label;
    bundles_.push_back(label);
    const int64_t self = static_cast<int64_t>(bundles_.size() - 1);
    if (b.contains("type") && !b["type"].is_string())
      fail(w, "type", std::string("expected a string, got ") + type_name(b["type"]));
    if (!b.contains("entry")) return;
    const json& entries = b["entry"];
    if (!entries.is_array()) fail(w, "entry", std::string("expected an array, got ") + type_name(entries));
    // fullUrl -> id of that entry's resource (references may point forward).
    std::unordered_map<std::string, std::string> full_urls;
    for (size_t i = 0; i < entries.size(); ++i) {
      const json& e = entries[i];
      const std::string path = "entry[" + std::to_string(i) + "]";
      if (!e.is_object()) fail(w, path, std::string("expected an object, got ") + type_name(e));
      auto fu = e.find("fullUrl");
      if (fu == e.end()) continue;
      if (!fu->is_string()) fail(w, path + ".fullUrl", std::string("expected a string, got ") + type_name(*fu));
      auto r = e.find("resource");
      std::string id;
      if (r != e.end() && r->is_object() && r->contains("id") && (*r)["id"].is_string())
        id = (*r)["id"].get<std::string>();
      if (id.empty()) id = id_from_url(fu->get<std::string>());
      full_urls[fu->get<std::string>()] = id;
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      const json& e = entries[i];
      auto r = e.find("resource");
      if (r == e.end()) {
        ++skipped_entries_;
        continue;
      }
      Where ew{outer.file, outer.line, self, static_cast<int64_t>(i), "", &bundles_};
      std::string fallback;
      auto fu = e.find("fullUrl");
      if (fu != e.end()) fallback = id_from_url(fu->get<std::string>());
      if (r->is_object() && r->contains("resourceType") && (*r)["resourceType"] == "Bundle") {
        read_bundle(*r, ew);
        continue;
      }
      full_urls_ = &full_urls;
      read_resource(*r, ew, fallback.empty() ? nullptr : &fallback);
      full_urls_ = nullptr;
    }
  }

  static std::string id_from_url(const std::string& url) {
    if (url.rfind("urn:uuid:", 0) == 0) return url.substr(9);
    if (url.rfind("urn:oid:", 0) == 0) return url.substr(8);
    std::string u = url;
    const size_t h = u.find("/_history/");
    if (h != std::string::npos) u.resize(h);
    const size_t slash = u.rfind('/');
    return slash == std::string::npos ? u : u.substr(slash + 1);
  }

  // ---- typed access with JSON paths

  const json* get(const json& o, const char* key) const {
    auto it = o.find(key);
    return it == o.end() || it->is_null() ? nullptr : &*it;
  }

  const json* object(const json& o, const char* key, const std::string& path) const {
    const json* v = get(o, key);
    if (v && !v->is_object()) fail(w_, path + key, std::string("expected an object, got ") + type_name(*v));
    return v;
  }

  const json* array(const json& o, const char* key, const std::string& path) const {
    const json* v = get(o, key);
    if (v && !v->is_array()) fail(w_, path + key, std::string("expected an array, got ") + type_name(*v));
    return v;
  }

  const std::string* string(const json& o, const char* key, const std::string& path) const {
    const json* v = get(o, key);
    if (!v) return nullptr;
    if (!v->is_string()) fail(w_, path + key, std::string("expected a string, got ") + type_name(*v));
    return &v->get_ref<const std::string&>();
  }

  bool datetime(const json& o, const char* key, const std::string& path, double* out, bool date_only = false) const {
    const std::string* s = string(o, key, path);
    if (!s) return false;
    const std::string err = parse_fhir_datetime(*s, date_only, out);
    if (!err.empty()) fail(w_, path + key, err);
    return true;
  }

  // A CodeableConcept: system/code/display of the first coding, or text.
  bool concept(const json& cc, const std::string& path, std::string* system, std::string* code,
               std::string* display) const {
    if (!cc.is_object()) fail(w_, path, std::string("expected an object, got ") + type_name(cc));
    const json* codings = array(cc, "coding", path + ".");
    if (codings && !codings->empty()) {
      const json& c = (*codings)[0];
      const std::string cp = path + ".coding[0]";
      if (!c.is_object()) fail(w_, cp, std::string("expected an object, got ") + type_name(c));
      if (auto s = string(c, "system", cp + ".")) *system = *s;
      if (auto s = string(c, "code", cp + ".")) *code = *s;
      if (auto s = string(c, "display", cp + ".")) *display = *s;
      return true;
    }
    if (auto t = string(cc, "text", path + ".")) {
      *display = *t;
      return true;
    }
    return false;
  }

  void put_concept(Builder& b, const json& cc, const std::string& path) {
    std::string system, code, display;
    if (!concept(cc, path, &system, &code, &display)) return;
    if (!system.empty()) b.str("code_system", system);
    if (!code.empty()) b.str("code", code);
    if (!display.empty()) b.str("display", display);
  }

  // A Reference's target id; `type` is the resource type it must name (when it names one).
  std::string reference(const json& o, const char* key, const std::string& path, const char* type,
                        bool required) const {
    const json* r = object(o, key, path);
    const std::string p = path + key;
    if (!r) {
      if (required) fail(w_, p, std::string("missing (required: a reference to a ") + type + ")");
      return "";
    }
    const std::string* ref = string(*r, "reference", p + ".");
    if (!ref) {
      if (required) fail(w_, p + ".reference", "missing (only literal references are read)");
      return "";
    }
    if (ref->rfind("urn:uuid:", 0) == 0) {
      if (full_urls_) {
        auto it = full_urls_->find(*ref);
        if (it != full_urls_->end()) return it->second;
      }
      return ref->substr(9);
    }
    if (!ref->empty() && (*ref)[0] == '#') fail(w_, p + ".reference", "contained references are not read");
    std::string u = *ref;
    const size_t h = u.find("/_history/");
    if (h != std::string::npos) u.resize(h);
    const size_t slash = u.rfind('/');
    if (slash == std::string::npos || slash + 1 == u.size())
      fail(w_, p + ".reference", "'" + *ref + "' is not of the form " + type + "/id");
    const size_t prev = u.rfind('/', slash - 1);
    const std::string named =
        u.substr(prev == std::string::npos ? 0 : prev + 1, slash - (prev == std::string::npos ? 0 : prev + 1));
    if (named != type) fail(w_, p + ".reference", "'" + *ref + "' does not refer to a " + type);
    return u.substr(slash + 1);
  }

  // ---- resources

  void read_resource(const json& r, const Where& w, const std::string* fallback_id) {
    w_ = w;
    if (!r.is_object()) fail(w_, "", std::string("expected a resource (a JSON object), got ") + type_name(r));
    const std::string* type = string(r, "resourceType", "");
    if (!type) fail(w_, "resourceType", "missing");
    size_t t = kNumTypes;
    for (size_t i = 0; i < kNumTypes; ++i)
      if (*type == kResourceTypes[i]) t = i;
    if (t == kNumTypes) {
      ++skipped_[*type];
      ++skipped_total_;
      return;
    }
    std::string id;
    if (const std::string* s = string(r, "id", ""))
      id = *s;
    else if (fallback_id)
      id = *fallback_id;
    w_.resource = *type + "/" + (id.empty() ? "?" : id);
    if (id.empty()) fail(w_, "id", "missing (and no fullUrl to derive it from)");
    Builder& b = builders_[t];
    if (b.has("id", id)) fail(w_, "id", "duplicate " + *type + " id '" + id + "'");
    switch (t) {
      case 0:
        read_patient(r, id, b);
        break;
      case 1:
        read_encounter(r, id, b);
        break;
      case 2:
        read_condition(r, id, b);
        break;
      case 3:
        read_observation(r, id, b);
        break;
      case 4:
        read_medication(r, id, b);
        break;
      case 5:
        read_procedure(r, id, b);
        break;
      case 6:
        read_allergy(r, id, b);
        break;
      default:
        read_careplan(r, id, b);
        break;
    }
  }

  // Starts a row of an event table with id and patient (from `subject_key`).
  std::string start_row(size_t t, const json& r, const std::string& id, const char* subject_key, Builder& b) {
    const std::string patient = reference(r, subject_key, "", "Patient", true);
    b.new_row();
    b.str("id", id);
    b.str("patient", patient);
    origins_[t].push_back({static_cast<uint32_t>(files_.size() - 1), static_cast<uint32_t>(w_.line),
                           static_cast<int32_t>(w_.bundle), static_cast<int32_t>(w_.entry)});
    return patient;
  }

  void encounter_ref(const json& r, Builder& b) {
    const std::string e = reference(r, "encounter", "", "Encounter", false);
    if (!e.empty()) b.str("encounter", e);
  }

  void read_patient(const json& r, const std::string& id, Builder& b) {
    double v;
    std::string gender;
    if (const std::string* g = string(r, "gender", "")) {
      if (*g != "male" && *g != "female" && *g != "other" && *g != "unknown")
        fail(w_, "gender", "'" + *g + "' is not one of male, female, other, unknown");
      gender = *g;
    }
    std::string race, ethnicity;
    if (const json* ext = array(r, "extension", "")) {
      for (size_t i = 0; i < ext->size(); ++i) {
        const json& e = (*ext)[i];
        const std::string p = "extension[" + std::to_string(i) + "]";
        if (!e.is_object()) fail(w_, p, std::string("expected an object, got ") + type_name(e));
        const std::string* url = string(e, "url", p + ".");
        if (!url) continue;
        std::string* target = nullptr;
        if (*url == "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race") target = &race;
        if (*url == "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity") target = &ethnicity;
        if (!target) continue;
        const json* sub = array(e, "extension", p + ".");
        if (!sub) continue;
        std::string text, omb;
        for (size_t k = 0; k < sub->size(); ++k) {
          const json& s = (*sub)[k];
          const std::string sp = p + ".extension[" + std::to_string(k) + "]";
          if (!s.is_object()) fail(w_, sp, std::string("expected an object, got ") + type_name(s));
          const std::string* su = string(s, "url", sp + ".");
          if (!su) continue;
          if (*su == "text") {
            if (const std::string* t = string(s, "valueString", sp + ".")) text = *t;
          } else if (*su == "ombCategory" && omb.empty()) {
            if (const json* c = object(s, "valueCoding", sp + "."))
              if (const std::string* d = string(*c, "display", sp + ".valueCoding.")) omb = *d;
          }
        }
        *target = text.empty() ? omb : text;
      }
    }
    b.new_row();
    b.str("id", id);
    if (datetime(r, "birthDate", "", &v, true)) b.num("birth_date", v);
    if (!gender.empty()) b.str("gender", gender);
    if (datetime(r, "deceasedDateTime", "", &v)) b.num("deceased", v);
    if (!race.empty()) b.str("race", race);
    if (!ethnicity.empty()) b.str("ethnicity", ethnicity);
  }

  void period(const json& r, const char* key, Builder& b, const char* start, const char* end) {
    const json* p = object(r, key, "");
    if (!p) return;
    double v;
    const std::string path = std::string(key) + ".";
    if (start && datetime(*p, "start", path, &v)) b.num(start, v);
    if (end && datetime(*p, "end", path, &v)) b.num(end, v);
  }

  void read_encounter(const json& r, const std::string& id, Builder& b) {
    start_row(1, r, id, "subject", b);
    period(r, "period", b, "start", "end");
    if (const json* c = object(r, "class", "")) {
      if (const std::string* code = string(*c, "code", "class.")) b.str("class", *code);
    }
    if (const json* types = array(r, "type", "")) {
      if (!types->empty()) put_concept(b, (*types)[0], "type[0]");
    }
  }

  void read_condition(const json& r, const std::string& id, Builder& b) {
    start_row(2, r, id, "subject", b);
    encounter_ref(r, b);
    double v;
    if (datetime(r, "onsetDateTime", "", &v))
      b.num("onset", v);
    else
      period(r, "onsetPeriod", b, "onset", nullptr);
    if (datetime(r, "abatementDateTime", "", &v))
      b.num("abatement", v);
    else
      period(r, "abatementPeriod", b, nullptr, "abatement");
    if (const json* c = get(r, "code")) put_concept(b, *c, "code");
  }

  // value[x] of an Observation or component into the current row.
  void observation_value(const json& o, const std::string& path, Builder& b) {
    if (const json* q = object(o, "valueQuantity", path)) {
      const std::string qp = path + "valueQuantity.";
      if (const json* v = get(*q, "value")) {
        if (!v->is_number()) fail(w_, qp + "value", std::string("expected a number, got ") + type_name(*v));
        b.num("value", v->get<double>());
      }
      if (const std::string* u = string(*q, "unit", qp))
        b.str("unit", *u);
      else if (const std::string* c = string(*q, "code", qp))
        b.str("unit", *c);
      return;
    }
    if (const json* cc = get(o, "valueCodeableConcept")) {
      std::string system, code, display;
      concept(*cc, path + "valueCodeableConcept", &system, &code, &display);
      if (!code.empty())
        b.str("value_code", code);
      else if (!display.empty())
        b.str("value_code", display);
      return;
    }
    if (const std::string* s = string(o, "valueString", path)) {
      b.str("value_code", *s);
      return;
    }
    if (const json* v = get(o, "valueBoolean")) {
      if (!v->is_boolean()) fail(w_, path + "valueBoolean", std::string("expected a boolean, got ") + type_name(*v));
      b.str("value_code", v->get<bool>() ? "true" : "false");
      return;
    }
    if (const json* v = get(o, "valueInteger")) {
      if (!v->is_number_integer())
        fail(w_, path + "valueInteger", std::string("expected an integer, got ") + type_name(*v));
      b.num("value", v->get<double>());
    }
  }

  void read_observation(const json& r, const std::string& id, Builder& b) {
    const json* components = array(r, "component", "");
    const bool has_value = get(r, "valueQuantity") || get(r, "valueCodeableConcept") || get(r, "valueString") ||
                           get(r, "valueBoolean") || get(r, "valueInteger");
    double time = 0;
    bool has_time = datetime(r, "effectiveDateTime", "", &time);
    if (!has_time) has_time = datetime(r, "effectiveInstant", "", &time);
    if (!has_time)
      if (const json* p = object(r, "effectivePeriod", "")) has_time = datetime(*p, "start", "effectivePeriod.", &time);
    const json* code = get(r, "code");
    if (!code) fail(w_, "code", "missing (required)");
    auto common = [&](const std::string& row_id) {
      start_row(3, r, row_id, "subject", b);
      encounter_ref(r, b);
      if (has_time) b.num("time", time);
    };
    if (has_value || !components || components->empty()) {
      common(id);
      put_concept(b, *code, "code");
      observation_value(r, "", b);
    }
    if (!components) return;
    for (size_t i = 0; i < components->size(); ++i) {
      const json& c = (*components)[i];
      const std::string p = "component[" + std::to_string(i) + "]";
      if (!c.is_object()) fail(w_, p, std::string("expected an object, got ") + type_name(c));
      const std::string row_id = id + "." + std::to_string(i + 1);
      if (b.has("id", row_id)) fail(w_, p, "duplicate Observation id '" + row_id + "' (a component row)");
      common(row_id);
      if (const json* cc = get(c, "code")) put_concept(b, *cc, p + ".code");
      observation_value(c, p + ".", b);
    }
  }

  void read_medication(const json& r, const std::string& id, Builder& b) {
    start_row(4, r, id, "subject", b);
    encounter_ref(r, b);
    double v;
    bool has_start = datetime(r, "authoredOn", "", &v);
    if (has_start) b.num("start", v);
    if (const json* dosage = array(r, "dosageInstruction", "")) {
      if (!dosage->empty()) {
        const json& d = (*dosage)[0];
        if (!d.is_object()) fail(w_, "dosageInstruction[0]", std::string("expected an object, got ") + type_name(d));
        const json* timing = object(d, "timing", "dosageInstruction[0].");
        const json* repeat = timing ? object(*timing, "repeat", "dosageInstruction[0].timing.") : nullptr;
        const json* bounds = repeat ? object(*repeat, "boundsPeriod", "dosageInstruction[0].timing.repeat.") : nullptr;
        if (bounds) {
          const std::string bp = "dosageInstruction[0].timing.repeat.boundsPeriod.";
          if (datetime(*bounds, "start", bp, &v) && !has_start) b.num("start", v);
          if (datetime(*bounds, "end", bp, &v)) b.num("end", v);
        }
      }
    }
    const std::string* status = string(r, "status", "");
    if (status) b.str("status", *status);
    if (const json* c = get(r, "medicationCodeableConcept")) put_concept(b, *c, "medicationCodeableConcept");
  }

  void read_procedure(const json& r, const std::string& id, Builder& b) {
    start_row(5, r, id, "subject", b);
    encounter_ref(r, b);
    double v;
    if (datetime(r, "performedDateTime", "", &v))
      b.num("time", v);
    else
      period(r, "performedPeriod", b, "time", nullptr);
    if (const json* c = get(r, "code")) put_concept(b, *c, "code");
  }

  void read_allergy(const json& r, const std::string& id, Builder& b) {
    start_row(6, r, id, "patient", b);
    double v;
    if (datetime(r, "onsetDateTime", "", &v)) b.num("onset", v);
    if (const json* ext = array(r, "extension", "")) {
      for (size_t i = 0; i < ext->size(); ++i) {
        const json& e = (*ext)[i];
        const std::string p = "extension[" + std::to_string(i) + "]";
        if (!e.is_object()) fail(w_, p, std::string("expected an object, got ") + type_name(e));
        const std::string* url = string(e, "url", p + ".");
        if (url && *url == kFhirAbatementUrl && datetime(e, "valueDateTime", p + ".", &v)) b.num("abatement", v);
      }
    }
    if (const json* c = get(r, "code")) put_concept(b, *c, "code");
  }

  void read_careplan(const json& r, const std::string& id, Builder& b) {
    start_row(7, r, id, "subject", b);
    encounter_ref(r, b);
    period(r, "period", b, "start", "end");
    if (const json* cats = array(r, "category", "")) {
      for (size_t i = 0; i < cats->size(); ++i) {
        std::string system, code, display;
        const std::string p = "category[" + std::to_string(i) + "]";
        concept((*cats)[i], p, &system, &code, &display);
        if (system == "http://hl7.org/fhir/us/core/CodeSystem/careplan-category") continue;
        put_concept(b, (*cats)[i], p);
        break;
      }
    }
  }

  std::vector<std::string>* notes_;
  Dataset dataset_;
  std::vector<Builder> builders_;
  std::vector<std::vector<RowOrigin>> origins_;
  std::vector<std::string> bundles_;  // labels of the Bundles read (for messages)
  std::vector<std::string> files_;
  std::map<std::string, size_t> skipped_;
  size_t skipped_total_ = 0, skipped_entries_ = 0;
  const std::unordered_map<std::string, std::string>* full_urls_ = nullptr;
  Where w_;
};

}  // namespace

Dataset read_fhir(const std::vector<std::string>& paths, std::vector<std::string>* notes,
                  const FhirReadOptions& options) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        const std::string name = e.path().filename().string();
        const bool json_file = name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0;
        const bool nd = name.size() > 7 && name.compare(name.size() - 7, 7, ".ndjson") == 0;
        if ((json_file || nd) && e.is_regular_file(ec)) found.push_back(e.path().string());
      }
      if (ec) throw IoError(p + ": " + ec.message());
      std::sort(found.begin(), found.end());
      if (found.empty() && notes) notes->push_back(p + ": no *.json or *.ndjson files");
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  Reader reader(notes);
  for (const std::string& f : files) {
    try {
      reader.read_file_path(f, options.max_file_bytes);
    } catch (const json::exception& e) {
      // Every access is type-checked first; this is a safety net, not a path taken.
      throw InvalidInput(f + ": " + e.what());
    }
  }
  return reader.finish();
}

}  // namespace medgen::records
