// FhirWriter: the clinical tables as FHIR R4 Bundles (one per patient) or bulk NDJSON, streamed
// chunk by chunk into a temporary folder renamed into place on commit.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <unordered_map>

#include "fhir_common.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/records/fhir.h"

namespace medgen::records {

using namespace fhir_detail;

namespace {

// ---------------------------------------------------------------- JSON text

void append_string(std::string& o, std::string_view s) {
  o += '"';
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      default:
        if (c < 0x20) {
          static const char kHex[] = "0123456789abcdef";
          o += "\\u00";
          o += kHex[c >> 4];
          o += kHex[c & 15];
        } else {
          o += ch;
        }
    }
  }
  o += '"';
}

// An object under construction: k() writes the separator and the key.
struct Obj {
  std::string& o;
  bool first = true;
  explicit Obj(std::string& out) : o(out) { o += '{'; }
  std::string& k(const char* key) {
    if (!first) o += ',';
    first = false;
    o += '"';
    o += key;
    o += "\":";
    return o;
  }
  void str(const char* key, std::string_view v) { append_string(k(key), v); }
  void raw(const char* key, const char* v) { k(key) += v; }
  void end() { o += '}'; }
};

// UTF-8 check: JSON text must be valid UTF-8 and FHIR strings must not be empty.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!n || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// ---------------------------------------------------------------- table access

struct TableView {
  const Table* t = nullptr;
  std::vector<const Column*> cols;  // by the names asked for; nullptr when absent
};

const Column* find_col(const Table& t, const char* name) {
  const int c = t.find(name);
  return c < 0 ? nullptr : &t.columns[static_cast<size_t>(c)];
}

const std::string* text(const Column* c, size_t r) {
  if (!c || c->storage != Storage::kString || c->codes[r] < 0) return nullptr;
  return &c->dictionary[static_cast<size_t>(c->codes[r])];
}

bool number(const Column* c, size_t r, double* v) {
  if (!c || c->storage != Storage::kNumber || !c->valid[r]) return false;
  *v = c->values[r];
  return true;
}

const Table* table_of(const Dataset& d, const char* name) {
  for (size_t i = 0; i < d.schema.tables.size() && i < d.tables.size(); ++i)
    if (d.schema.tables[i].name == name) return &d.tables[i];
  return nullptr;
}

// The clinical columns the encoder reads, looked up once per chunk.
enum Field {
  kAbatement,
  kBirthDate,
  kClass,
  kCode,
  kCodeSystem,
  kDeceased,
  kDisplay,
  kEncounter,
  kEnd,
  kEthnicity,
  kGender,
  kId,
  kOnset,
  kPatient,
  kRace,
  kStart,
  kStatus,
  kTime,
  kUnit,
  kValue,
  kValueCode,
  kNumFields
};
constexpr const char* kFieldNames[] = {"abatement", "birth_date", "class",     "code",      "code_system", "deceased",
                                       "display",   "encounter",  "end",       "ethnicity", "gender",      "id",
                                       "onset",     "patient",    "race",      "start",     "status",      "time",
                                       "unit",      "value",      "value_code"};

class Encoder {
 public:
  Encoder(const Dataset& d, bool bundle) : bundle_(bundle) {
    for (size_t t = 0; t < kNumTypes; ++t) {
      tables_[t] = table_of(d, kTables[t]);
      if (!tables_[t]) throw InvalidInput(std::string("FHIR output: the dataset has no table '") + kTables[t] + "'");
      for (size_t f = 0; f < kNumFields; ++f) cols_[t][f] = find_col(*tables_[t], kFieldNames[f]);
    }
  }

  const Table& table(size_t t) const { return *tables_[t]; }
  const Column* column(size_t t, Field f) const { return cols_[t][f]; }

  // FHIR id of a table id.
  std::string fhir_id(size_t t, const std::string& id) const {
    return is_fhir_id(id) ? id : name_uuid(std::string(kResourceTypes[t]) + "/" + id);
  }
  std::string uuid(size_t t, const std::string& id) const {
    return name_uuid(std::string(kResourceTypes[t]) + "/" + id);
  }

  // A reference to a resource of type t.
  void reference(Obj& o, const char* key, size_t t, const std::string& id) {
    std::string& s = o.k(key);
    s += "{\"reference\":\"";
    if (bundle_) {
      s += "urn:uuid:";
      // Patients and encounters are referred to many times: their UUIDs are kept for the chunk.
      if (t <= 1) {
        auto it = uuids_[t].find(id);
        if (it == uuids_[t].end()) it = uuids_[t].emplace(id, uuid(t, id)).first;
        s += it->second;
      } else {
        s += uuid(t, id);
      }
    } else {
      s += kResourceTypes[t];
      s += '/';
      s += fhir_id(t, id);
    }
    s += "\"}";
  }

  void datetime(Obj& o, const char* key, double v, size_t t, size_t r, const char* column) {
    std::string& s = o.k(key);
    s += '"';
    if (!format_fhir_datetime(v, &s)) bad(t, r, column, "time outside the years 1-9999");
    s += '"';
  }

  [[noreturn]] void bad(size_t t, size_t r, const char* column, const std::string& what) const {
    throw InvalidInput(std::string("FHIR output: table '") + kTables[t] + "' row " + std::to_string(r + 1) +
                       " column '" + column + "': " + what);
  }

  void check(size_t t, size_t r, const char* column, const std::string& s) const {
    if (s.empty()) bad(t, r, column, "an empty string (FHIR strings must not be empty)");
    if (!valid_utf8(s)) bad(t, r, column, "not valid UTF-8");
  }

  // A CodeableConcept from code_system/code/display of row r (nothing when all are missing).
  void concept(Obj& o, const char* key, size_t t, size_t r, bool array) {
    const std::string* sys = text(cols_[t][kCodeSystem], r);
    const std::string* code = text(cols_[t][kCode], r);
    const std::string* disp = text(cols_[t][kDisplay], r);
    if (!sys && !code && !disp) return;
    std::string& s = o.k(key);
    if (array) s += '[';
    if (!sys && !code) {
      check(t, r, "display", *disp);
      s += "{\"text\":";
      append_string(s, *disp);
      s += '}';
    } else {
      Obj cc(s);
      std::string& c = cc.k("coding");
      c += '[';
      Obj coding(c);
      if (sys) {
        check(t, r, "code_system", *sys);
        coding.str("system", *sys);
      }
      if (code) {
        check(t, r, "code", *code);
        coding.str("code", *code);
      }
      if (disp) {
        check(t, r, "display", *disp);
        coding.str("display", *disp);
      }
      coding.end();
      c += ']';
      if (disp) cc.str("text", *disp);
      cc.end();
    }
    if (array) s += ']';
  }

  // Writes resource row r of table t as JSON into out.
  void resource(std::string& out, size_t t, size_t r) {
    const std::string* id = text(cols_[t][kId], r);
    if (!id) bad(t, r, "id", "missing");
    Obj o(out);
    o.str("resourceType", kResourceTypes[t]);
    o.str("id", fhir_id(t, *id));
    double v = 0;
    auto patient_ref = [&](const char* key) {
      const std::string* p = text(cols_[t][kPatient], r);
      if (!p) bad(t, r, "patient", "missing");
      reference(o, key, 0, *p);
    };
    auto encounter_ref = [&]() {
      if (const std::string* e = text(cols_[t][kEncounter], r)) reference(o, "encounter", 1, *e);
    };
    switch (t) {
      case 0: {  // Patient
        const std::string* race = text(cols_[t][kRace], r);
        const std::string* eth = text(cols_[t][kEthnicity], r);
        if (race || eth) {
          std::string& s = o.k("extension");
          s += '[';
          bool first = true;
          for (int k = 0; k < 2; ++k) {
            const std::string* label = k == 0 ? race : eth;
            if (!label) continue;
            check(t, r, k == 0 ? "race" : "ethnicity", *label);
            if (!first) s += ',';
            first = false;
            s += k == 0 ? "{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race\""
                        : "{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity\"";
            s += ",\"extension\":[{\"url\":\"text\",\"valueString\":";
            append_string(s, *label);
            s += "}]}";
          }
          s += ']';
        }
        if (const std::string* g = text(cols_[t][kGender], r)) {
          if (*g != "male" && *g != "female" && *g != "other" && *g != "unknown")
            bad(t, r, "gender", "'" + *g + "' is not one of male, female, other, unknown");
          o.str("gender", *g);
        }
        if (number(cols_[t][kBirthDate], r, &v)) {
          std::string& s = o.k("birthDate");
          s += '"';
          if (!format_fhir_date(v, &s)) bad(t, r, "birth_date", "date outside the years 1-9999");
          s += '"';
        }
        if (number(cols_[t][kDeceased], r, &v)) datetime(o, "deceasedDateTime", v, t, r, "deceased");
        break;
      }
      case 1: {  // Encounter
        o.raw("status", "\"finished\"");
        const std::string* cls = text(cols_[t][kClass], r);
        if (cls) check(t, r, "class", *cls);
        std::string& s = o.k("class");
        s += "{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":";
        append_string(s, cls ? *cls : std::string("AMB"));
        s += '}';
        concept(o, "type", t, r, true);
        patient_ref("subject");
        const bool has_start = number(cols_[t][kStart], r, &v);
        double end = 0;
        const bool has_end = number(cols_[t][kEnd], r, &end);
        if (has_start || has_end) {
          std::string& p = o.k("period");
          Obj period(p);
          if (has_start) datetime(period, "start", v, t, r, "start");
          if (has_end) datetime(period, "end", end, t, r, "end");
          period.end();
        }
        break;
      }
      case 2: {  // Condition
        const bool abated = number(cols_[t][kAbatement], r, &v);
        o.k("clinicalStatus") += abated ? "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
                                          "condition-clinical\",\"code\":\"resolved\"}]}"
                                        : "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
                                          "condition-clinical\",\"code\":\"active\"}]}";
        o.k("verificationStatus") +=
            "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
            "condition-ver-status\",\"code\":\"confirmed\"}]}";
        concept(o, "code", t, r, false);
        patient_ref("subject");
        encounter_ref();
        double onset;
        if (number(cols_[t][kOnset], r, &onset)) datetime(o, "onsetDateTime", onset, t, r, "onset");
        if (abated) datetime(o, "abatementDateTime", v, t, r, "abatement");
        break;
      }
      case 3: {  // Observation
        o.raw("status", "\"final\"");
        const size_t before = out.size();
        concept(o, "code", t, r, false);
        if (out.size() == before) o.k("code") += "{\"text\":\"unknown\"}";  // R4 requires a code
        patient_ref("subject");
        encounter_ref();
        if (number(cols_[t][kTime], r, &v)) datetime(o, "effectiveDateTime", v, t, r, "time");
        if (number(cols_[t][kValue], r, &v)) {
          if (!std::isfinite(v)) bad(t, r, "value", "not a finite number");
          std::string& s = o.k("valueQuantity");
          s += "{\"value\":";
          char buf[64];
          const auto res = std::to_chars(buf, buf + sizeof buf, v);
          s.append(buf, res.ptr);
          if (const std::string* unit = text(cols_[t][kUnit], r)) {
            check(t, r, "unit", *unit);
            s += ",\"unit\":";
            append_string(s, *unit);
            s += ",\"system\":\"http://unitsofmeasure.org\",\"code\":";
            append_string(s, *unit);
          }
          s += '}';
        } else if (const std::string* vc = text(cols_[t][kValueCode], r)) {
          check(t, r, "value_code", *vc);
          o.str("valueString", *vc);
        }
        break;
      }
      case 4: {  // MedicationRequest
        const std::string* st = text(cols_[t][kStatus], r);
        static const char* kStatuses[] = {"active",           "on-hold", "cancelled", "completed",
                                          "entered-in-error", "stopped", "draft",     "unknown"};
        bool ok = false;
        if (st)
          for (const char* s : kStatuses) ok = ok || *st == s;
        o.str("status", ok ? *st : std::string("unknown"));
        o.raw("intent", "\"order\"");
        const size_t before = out.size();
        concept(o, "medicationCodeableConcept", t, r, false);
        if (out.size() == before)
          o.k("medicationCodeableConcept") += "{\"text\":\"unknown\"}";  // medication[x] is 1..1
        patient_ref("subject");
        encounter_ref();
        const bool has_start = number(cols_[t][kStart], r, &v);
        if (has_start) datetime(o, "authoredOn", v, t, r, "start");
        double end = 0;
        if (number(cols_[t][kEnd], r, &end)) {
          std::string& s = o.k("dosageInstruction");
          s += "[{\"timing\":{\"repeat\":{\"boundsPeriod\":";
          Obj period(s);
          if (has_start) datetime(period, "start", v, t, r, "start");
          datetime(period, "end", end, t, r, "end");
          period.end();
          s += "}}}]";
        }
        break;
      }
      case 5: {  // Procedure
        o.raw("status", "\"completed\"");
        concept(o, "code", t, r, false);
        patient_ref("subject");
        encounter_ref();
        if (number(cols_[t][kTime], r, &v)) datetime(o, "performedDateTime", v, t, r, "time");
        break;
      }
      case 6: {  // AllergyIntolerance
        double end = 0;
        const bool abated = number(cols_[t][kAbatement], r, &end);
        if (abated) {
          std::string& s = o.k("extension");
          s += "[{\"url\":\"";
          s += kFhirAbatementUrl;
          s += "\",\"valueDateTime\":\"";
          if (!format_fhir_datetime(end, &s)) bad(t, r, "abatement", "time outside the years 1-9999");
          s += "\"}]";
        }
        o.k("clinicalStatus") += abated ? "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
                                          "allergyintolerance-clinical\",\"code\":\"resolved\"}]}"
                                        : "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
                                          "allergyintolerance-clinical\",\"code\":\"active\"}]}";
        concept(o, "code", t, r, false);
        patient_ref("patient");
        if (number(cols_[t][kOnset], r, &v)) datetime(o, "onsetDateTime", v, t, r, "onset");
        break;
      }
      default: {  // CarePlan
        double end = 0;
        const bool has_end = number(cols_[t][kEnd], r, &end);
        o.raw("status", has_end ? "\"completed\"" : "\"active\"");
        o.raw("intent", "\"plan\"");
        concept(o, "category", t, r, true);
        patient_ref("subject");
        encounter_ref();
        const bool has_start = number(cols_[t][kStart], r, &v);
        if (has_start || has_end) {
          std::string& p = o.k("period");
          Obj period(p);
          if (has_start) datetime(period, "start", v, t, r, "start");
          if (has_end) datetime(period, "end", end, t, r, "end");
          period.end();
        }
        break;
      }
    }
    o.end();
  }

  // Rows of every table grouped by patient: rows[t][p] = rows of table t for patient p
  // (a flat CSR layout). InvalidInput when a row's patient is not in the patients table.
  void group() {
    const Table& pt = *tables_[0];
    const Column* pid = cols_[0][kId];
    if (!pid || pid->storage != Storage::kString)
      throw InvalidInput("FHIR output: patients.id must be an identifier column");
    const size_t np = pt.num_rows();
    std::unordered_map<std::string_view, size_t> index;
    index.reserve(np * 2);
    for (size_t p = 0; p < np; ++p) {
      const std::string* id = text(pid, p);
      if (!id) bad(0, p, "id", "missing");
      if (!index.emplace(*id, p).second) bad(0, p, "id", "duplicate patient id '" + *id + "'");
    }
    for (size_t t = 1; t < kNumTypes; ++t) {
      const Table& tb = *tables_[t];
      const Column* pc = cols_[t][kPatient];
      const size_t n = tb.num_rows();
      if (n && (!pc || pc->storage != Storage::kString))
        throw InvalidInput(std::string("FHIR output: ") + kTables[t] + ".patient must be an identifier column");
      std::vector<size_t> of_code(pc ? pc->dictionary.size() : 0, SIZE_MAX);
      std::vector<size_t> patient(n);
      for (size_t r = 0; r < n; ++r) {
        const int32_t c = pc->codes[r];
        if (c < 0) bad(t, r, "patient", "missing");
        size_t& p = of_code[static_cast<size_t>(c)];
        if (p == SIZE_MAX) {
          auto it = index.find(pc->dictionary[static_cast<size_t>(c)]);
          if (it == index.end())
            bad(t, r, "patient", "'" + pc->dictionary[static_cast<size_t>(c)] + "' is not in this chunk's patients");
          p = it->second;
        }
        patient[r] = p;
      }
      std::vector<size_t>& start = start_[t];
      start.assign(np + 1, 0);
      for (size_t r = 0; r < n; ++r) ++start[patient[r] + 1];
      for (size_t p = 0; p < np; ++p) start[p + 1] += start[p];
      std::vector<size_t> fill(start.begin(), start.end() - 1);
      rows_[t].resize(n);
      for (size_t r = 0; r < n; ++r) rows_[t][fill[patient[r]]++] = r;
    }
  }

  // Rows of table t (t >= 1) for patient p, after group().
  std::pair<const size_t*, const size_t*> rows(size_t t, size_t p) const {
    return {rows_[t].data() + start_[t][p], rows_[t].data() + start_[t][p + 1]};
  }

  std::string patient_id(size_t p) const { return *text(cols_[0][kId], p); }

 private:
  bool bundle_;
  const Table* tables_[kNumTypes] = {};
  const Column* cols_[kNumTypes][kNumFields] = {};
  std::unordered_map<std::string, std::string> uuids_[2];
  std::vector<size_t> start_[kNumTypes], rows_[kNumTypes];
};

// ---------------------------------------------------------------- files

void write_all(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
}

std::atomic<unsigned> g_counter{0};
constexpr size_t kFlushBytes = size_t{1} << 20;

bool only_fhir_files(const std::string& folder) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(folder, ec)) {
    const std::string n = e.path().filename().string();
    const bool ok = (n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0) ||
                    (n.size() > 7 && n.compare(n.size() - 7, 7, ".ndjson") == 0);
    if (!ok || !e.is_regular_file(ec) || e.is_symlink(ec)) return false;
  }
  return !ec;
}

}  // namespace

// ---------------------------------------------------------------- FhirWriter

struct FhirWriter::Impl {
  std::string folder, tmp;
  FhirWriteOptions options;
  std::unique_ptr<TempPathGuard> guard;
  int fds[kNumTypes] = {-1, -1, -1, -1, -1, -1, -1, -1};
  size_t patients = 0, resources = 0;
  bool committed = false;

  void close_all() {
    for (int& fd : fds)
      if (fd >= 0) {
        ::close(fd);
        fd = -1;
      }
  }
};

FhirWriter::FhirWriter(const std::string& folder, const FhirWriteOptions& options) : impl_(new Impl) {
  std::unique_ptr<Impl> impl(impl_);
  impl_->options = options;
  if (options.bundle_type != "collection" && options.bundle_type != "transaction")
    throw InvalidInput("FHIR output: bundle type '" + options.bundle_type + "' is not collection or transaction");
  std::string f = folder;
  while (f.size() > 1 && f.back() == '/') f.pop_back();
  if (f.empty()) throw InvalidInput("FHIR output: empty folder name");
  impl_->folder = f;
  std::error_code ec;
  if (std::filesystem::exists(f, ec)) {
    if (!options.replace) throw InvalidInput(f + ": exists (replace it explicitly)");
    if (!std::filesystem::is_directory(f, ec) || !only_fhir_files(f))
      throw InvalidInput(f + ": exists and holds other things than *.json / *.ndjson files; not replaced");
  }
  impl_->tmp = f + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++);
  impl_->guard = std::make_unique<TempPathGuard>(impl_->tmp);
  if (::mkdir(impl_->tmp.c_str(), 0777) != 0) throw IoError(impl_->tmp + ": " + std::strerror(errno));
  impl.release();
}

FhirWriter::~FhirWriter() {
  impl_->close_all();
  if (!impl_->committed) remove_path_recursively(impl_->tmp);
  delete impl_;
}

size_t FhirWriter::patients() const { return impl_->patients; }
size_t FhirWriter::resources() const { return impl_->resources; }

void FhirWriter::append(const Dataset& chunk) {
  if (impl_->committed) throw InvalidInput("FHIR output: append after commit");
  const bool bundle = impl_->options.format == FhirFormat::kBundle;
  Encoder enc(chunk, bundle);
  enc.group();
  const size_t np = enc.table(0).num_rows();
  if (bundle) {
    const bool transaction = impl_->options.bundle_type == "transaction";
    std::string out;
    for (size_t p = 0; p < np; ++p) {
      out.clear();
      const std::string id = enc.patient_id(p);
      const std::string fid = enc.fhir_id(0, id);
      Obj b(out);
      b.str("resourceType", "Bundle");
      b.str("id", fid);
      b.str("type", impl_->options.bundle_type);
      std::string& entries = b.k("entry");
      entries += "[\n";
      bool first = true;
      auto entry = [&](size_t t, size_t r) {
        if (!first) entries += ",\n";
        first = false;
        const std::string* rid = text(enc.column(t, kId), r);
        if (!rid) enc.bad(t, r, "id", "missing");
        entries += "{\"fullUrl\":\"urn:uuid:";
        entries += enc.uuid(t, *rid);
        entries += "\",\"resource\":";
        enc.resource(entries, t, r);
        if (transaction) {
          entries += ",\"request\":{\"method\":\"POST\",\"url\":\"";
          entries += kResourceTypes[t];
          entries += "\"}";
        }
        entries += '}';
        ++impl_->resources;
      };
      entry(0, p);
      for (size_t t = 1; t < kNumTypes; ++t) {
        auto [a, e] = enc.rows(t, p);
        for (; a != e; ++a) entry(t, *a);
      }
      entries += "\n]";
      b.end();
      out += '\n';
      const std::string path = impl_->tmp + "/" + fid + ".json";
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd < 0) {
        if (errno == EEXIST)
          throw InvalidInput("FHIR output: two patients have the file name " + fid + ".json (duplicate id)");
        throw IoError(path + ": " + std::strerror(errno));
      }
      try {
        write_all(fd, out, path);
      } catch (...) {
        ::close(fd);
        throw;
      }
      if (::close(fd) != 0) throw IoError(path + ": " + std::strerror(errno));
      ++impl_->patients;
    }
    return;
  }
  // NDJSON: each type's lines of this chunk, grouped by patient, appended to <Type>.ndjson in
  // pieces of about kFlushBytes.
  auto flush = [&](size_t t, std::string* out) {
    if (out->empty()) return;
    int& fd = impl_->fds[t];
    const std::string path = impl_->tmp + "/" + kResourceTypes[t] + ".ndjson";
    if (fd < 0) {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (fd < 0) throw IoError(path + ": " + std::strerror(errno));
    }
    write_all(fd, *out, path);
    out->clear();
  };
  std::string out;
  for (size_t t = 0; t < kNumTypes; ++t) {
    out.clear();
    size_t n = 0;
    for (size_t p = 0; p < np; ++p) {
      if (t == 0) {
        enc.resource(out, 0, p);
        out += '\n';
        ++n;
        continue;
      }
      auto [a, e] = enc.rows(t, p);
      for (; a != e; ++a, ++n) {
        enc.resource(out, t, *a);
        out += '\n';
      }
      if (out.size() >= kFlushBytes) flush(t, &out);
    }
    flush(t, &out);
    impl_->resources += n;
  }
  impl_->patients += np;
}

void FhirWriter::commit() {
  if (impl_->committed) return;
  for (int& fd : impl_->fds) {
    if (fd < 0) continue;
    const int rc = ::close(fd);
    fd = -1;
    if (rc != 0) throw IoError(impl_->tmp + ": " + std::strerror(errno));
  }
  const std::string& f = impl_->folder;
  std::error_code ec;
  std::string old;
  if (std::filesystem::exists(f, ec)) {
    if (!impl_->options.replace) throw InvalidInput(f + ": exists (replace it explicitly)");
    if (!std::filesystem::is_directory(f, ec) || !only_fhir_files(f))
      throw InvalidInput(f + ": exists and holds other things than *.json / *.ndjson files; not replaced");
    old = f + ".old-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++);
    if (::rename(f.c_str(), old.c_str()) != 0) throw IoError(f + ": " + std::strerror(errno));
  }
  if (::rename(impl_->tmp.c_str(), f.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    if (!old.empty()) ::rename(old.c_str(), f.c_str());
    throw IoError(f + ": " + err);
  }
  impl_->committed = true;
  impl_->guard->release();
  if (!old.empty()) remove_path_recursively(old);
}

void write_fhir(const Dataset& clinical, const std::string& folder, const FhirWriteOptions& options) {
  FhirWriter w(folder, options);
  w.append(clinical);
  w.commit();
}

std::string fhir_patient_ndjson(const Dataset& clinical, size_t patient) {
  Encoder enc(clinical, false);
  enc.group();
  if (patient >= enc.table(0).num_rows()) throw InvalidInput("FHIR preview: no patient row " + std::to_string(patient));
  std::string out;
  enc.resource(out, 0, patient);
  out += '\n';
  for (size_t t = 1; t < kNumTypes; ++t) {
    auto [a, e] = enc.rows(t, patient);
    for (; a != e; ++a) {
      enc.resource(out, t, *a);
      out += '\n';
    }
  }
  return out;
}

}  // namespace medgen::records
