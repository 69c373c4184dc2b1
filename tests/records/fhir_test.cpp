// FHIR R4: clinical tables -> Bundles / NDJSON -> clinical tables exactly; streaming writer;
// bad inputs named by file, line and JSON path; the mapping of a learned dataset (pbc).
#include "medgen/records/fhir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/schema.h"
#include "medgen/records/clinical.h"
#include "medgen/records/dataset.h"
#include "records/clinical_fixture.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace medgen;
using namespace medgen::records;

using medgen::test::TempDir;

namespace {

const std::string kData = std::string(MEDGEN_SOURCE_DIR) + "/data/";


void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Every file of a folder: name -> bytes.
std::map<std::string, std::string> files_of(const std::string& folder) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(folder)) out[e.path().filename().string()] = read_file(e.path().string());
  return out;
}

// Cell (t, r, c) as text: numbers exactly (hex float), strings as themselves, missing "-".
std::string cell(const Column& c, size_t r) {
  if (c.is_missing(r)) return "<missing>";
  if (c.storage == Storage::kString) return "'" + c.dictionary[static_cast<size_t>(c.codes[r])] + "'";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", c.values[r]);
  return buf;
}

// Same schema values and the same cells, exactly.
void expect_same(const Dataset& a, const Dataset& b) {
  ASSERT_EQ(a.tables.size(), b.tables.size());
  for (size_t t = 0; t < a.tables.size(); ++t) {
    const std::string& name = a.schema.tables[t].name;
    ASSERT_EQ(name, b.schema.tables[t].name);
    const Table& x = a.tables[t];
    const Table& y = b.tables[t];
    ASSERT_EQ(x.num_rows(), y.num_rows()) << name;
    ASSERT_EQ(x.num_cols(), y.num_cols()) << name;
    for (size_t c = 0; c < x.num_cols(); ++c) {
      EXPECT_EQ(a.schema.tables[t].schema.columns[c].values, b.schema.tables[t].schema.columns[c].values)
          << name << "." << x.columns[c].name;
      for (size_t r = 0; r < x.num_rows(); ++r) {
        ASSERT_EQ(cell(x.columns[c], r), cell(y.columns[c], r)) << name << "." << x.columns[c].name << " row " << r;
      }
    }
    // And as CSV (the form the tables are stored in).
    EXPECT_EQ(to_csv(x, a.schema.tables[t].schema), to_csv(y, b.schema.tables[t].schema)) << name;
  }
}

// The rows of patients [begin, end) and everything under them.
Dataset slice(const Dataset& d, size_t begin, size_t end) {
  Dataset out = d;
  const Column& pid = d.tables[0].columns[0];
  std::set<std::string> keep;
  for (size_t r = begin; r < end; ++r) keep.insert(pid.dictionary[static_cast<size_t>(pid.codes[r])]);
  for (size_t t = 0; t < d.tables.size(); ++t) {
    const Table& src = d.tables[t];
    const Column& key = src.column(t == 0 ? "id" : "patient");
    std::vector<size_t> rows;
    for (size_t r = 0; r < src.num_rows(); ++r)
      if (keep.count(key.dictionary[static_cast<size_t>(key.codes[r])])) rows.push_back(r);
    Table& dst = out.tables[t];
    for (size_t c = 0; c < src.num_cols(); ++c) {
      Column& col = dst.columns[c];
      const Column& s = src.columns[c];
      col.values.clear();
      col.valid.clear();
      col.codes.clear();
      for (size_t r : rows) {
        if (s.storage == Storage::kNumber) {
          col.values.push_back(s.values[r]);
          col.valid.push_back(s.valid[r]);
        } else {
          col.codes.push_back(s.codes[r]);
        }
      }
    }
  }
  return out;
}

Dataset small(size_t patients = 12) { return fixture::make_clinical(patients, 3, 7, 7); }

std::string observation(const std::string& id, const std::string& value) {
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1975-2"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2020-01-02T03:04:05Z","valueQuantity":{"value":)" +
         value + R"(,"unit":"mg/dL"}})";
}

const char* kPatient = R"({"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-02-03"})";

}  // namespace

// ------------------------------------------------------------------ clinical tables

TEST(FhirClinical, SchemaHasEveryTableAndFillCategoriesSorts) {
  const DatasetSchema s = clinical_schema();
  ASSERT_EQ(s.tables.size(), 8u);
  EXPECT_NO_THROW(s.validate());
  Dataset d = empty_clinical_dataset();
  for (const Table& t : d.tables) EXPECT_EQ(t.num_rows(), 0u);
  d = small(3);
  const ColumnSchema& g = d.schema.table("patients").schema.column("gender");
  EXPECT_TRUE(std::is_sorted(g.values.begin(), g.values.end()));
  EXPECT_EQ(d.table("patients").column("gender").dictionary, g.values);
  EXPECT_NO_THROW(check_dataset(d));
}

// ------------------------------------------------------------------ round trips

TEST(FhirRoundTrip, CollectionBundlesGiveTheSameTables) {
  TempDir dir;
  const Dataset d = small();
  write_fhir(d, dir.file("out"));
  EXPECT_EQ(files_of(dir.file("out")).size(), 12u);  // one Bundle per patient
  std::vector<std::string> notes;
  expect_same(d, read_fhir({dir.file("out")}, &notes));
  EXPECT_TRUE(notes.empty()) << notes[0];
}

TEST(FhirRoundTrip, TransactionBundlesGiveTheSameTables) {
  TempDir dir;
  const Dataset d = small();
  FhirWriteOptions o;
  o.bundle_type = "transaction";
  write_fhir(d, dir.file("out"), o);
  const nlohmann::json b = nlohmann::json::parse(read_file(dir.file("out/p000001.json")));
  EXPECT_EQ(b["type"], "transaction");
  EXPECT_EQ(b["entry"][1]["request"]["method"], "POST");
  EXPECT_EQ(b["entry"][1]["resource"]["subject"]["reference"], b["entry"][0]["fullUrl"]);
  expect_same(d, read_fhir({dir.file("out")}));
}

TEST(FhirRoundTrip, NdjsonGivesTheSameTables) {
  TempDir dir;
  const Dataset d = small();
  FhirWriteOptions o;
  o.format = FhirFormat::kNdjson;
  write_fhir(d, dir.file("out"), o);
  const auto files = files_of(dir.file("out"));
  EXPECT_EQ(files.size(), 8u);
  EXPECT_TRUE(files.count("Observation.ndjson"));
  expect_same(d, read_fhir({dir.file("out")}));
}

TEST(FhirRoundTrip, ResourcesAreValidR4Shapes) {
  const Dataset d = small(3);
  std::istringstream lines(fhir_patient_ndjson(d, 0));
  std::string line;
  std::map<std::string, int> types;
  while (std::getline(lines, line)) {
    const nlohmann::json r = nlohmann::json::parse(line);
    const std::string type = r["resourceType"];
    ++types[type];
    if (type == "Encounter") {
      EXPECT_EQ(r["status"], "finished");
      EXPECT_EQ(r["class"]["system"], "http://terminology.hl7.org/CodeSystem/v3-ActCode");
      EXPECT_EQ(r["period"]["start"].get<std::string>().back(), 'Z');
    }
    if (type == "Observation") {
      EXPECT_EQ(r["status"], "final");
      EXPECT_EQ(r["subject"]["reference"], "Patient/p000001");
    }
    if (type == "Condition") {
      EXPECT_TRUE(r.contains("clinicalStatus"));
    }
    if (type == "MedicationRequest") {
      EXPECT_EQ(r["intent"], "order");
    }
    if (type == "CarePlan") {
      EXPECT_EQ(r["intent"], "plan");
    }
    if (type == "AllergyIntolerance") {
      EXPECT_EQ(r["patient"]["reference"], "Patient/p000001");
    }
  }
  EXPECT_EQ(types["Patient"], 1);
  EXPECT_EQ(types["Encounter"], 3);
  EXPECT_EQ(types["Observation"], 3 * 8);
}

TEST(FhirRoundTrip, IdsThatAreNotFhirIdsBecomeStableUuids) {
  Dataset d = small(2);
  Column& pid = d.table("patients").columns[0];
  const std::string old = pid.dictionary[0];
  for (size_t t = 1; t < d.tables.size(); ++t) {
    Column& p = d.tables[t].columns[1];
    for (auto& s : p.dictionary)
      if (s == old) s = "patient one";
  }
  pid.dictionary[0] = "patient one";
  const std::string a = fhir_patient_ndjson(d, 0), b = fhir_patient_ndjson(d, 0);
  EXPECT_EQ(a, b);
  const nlohmann::json r = nlohmann::json::parse(a.substr(0, a.find('\n')));
  const std::string id = r["id"];
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '8');  // RFC 9562 version 8
}

// ------------------------------------------------------------------ streaming writer

TEST(FhirWriter, ChunkedOutputEqualsOneChunk) {
  const Dataset d = small(10);
  for (FhirFormat f : {FhirFormat::kBundle, FhirFormat::kNdjson}) {
    TempDir dir;
    FhirWriteOptions o;
    o.format = f;
    write_fhir(d, dir.file("one"), o);
    FhirWriter w(dir.file("many"), o);
    for (size_t p = 0; p < 10; p += 3) w.append(slice(d, p, std::min<size_t>(p + 3, 10)));
    EXPECT_EQ(w.patients(), 10u);
    w.commit();
    EXPECT_EQ(files_of(dir.file("one")), files_of(dir.file("many")));
  }
}

TEST(FhirWriter, AllOrNothing) {
  TempDir dir;
  const Dataset d = small(3);
  {
    FhirWriter w(dir.file("out"));
    w.append(slice(d, 0, 2));
    // No commit: nothing is left behind.
  }
  EXPECT_TRUE(fs::is_empty(dir.path));
  write_fhir(d, dir.file("out"));
  EXPECT_NE(error_of([&] { write_fhir(d, dir.file("out")); }).find("exists"), std::string::npos);
  FhirWriteOptions o;
  o.replace = true;
  o.format = FhirFormat::kNdjson;
  write_fhir(d, dir.file("out"), o);
  EXPECT_TRUE(fs::exists(dir.file("out/Patient.ndjson")));
  EXPECT_FALSE(fs::exists(dir.file("out/p000001.json")));
  write(dir.file("out/notes.txt"), "mine");
  EXPECT_NE(error_of([&] { write_fhir(d, dir.file("out"), o); }).find("other things"), std::string::npos);
  // A row whose patient is not in the chunk.
  Dataset bad = slice(d, 0, 2);
  bad.tables[0] = slice(d, 0, 1).tables[0];
  TempDir dir2;
  EXPECT_NE(error_of([&] { write_fhir(bad, dir2.file("out")); }).find("is not in this chunk's patients"),
            std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir2.path));
}

// ------------------------------------------------------------------ reading others' FHIR

TEST(FhirRead, BundleWithUuidReferencesComponentsAndSkippedTypes) {
  TempDir dir;
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001","resource":{"resourceType":"Patient",
      "gender":"male","birthDate":"1960","deceasedDateTime":"2020-05-06T12:00:00+02:00",
      "extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
        "extension":[{"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3","display":"White"}}]}]},
      "request":{"method":"POST","url":"Patient"}},
    {"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000002","resource":{"resourceType":"Encounter","id":"e1","status":"finished",
      "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"EMER"},
      "subject":{"reference":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001"},"period":{"start":"2019-03-04T10:00:00Z"}}},
    {"fullUrl":"urn:uuid:x3","resource":{"resourceType":"Observation","id":"bp","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}]},
      "subject":{"reference":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001"},
      "encounter":{"reference":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000002"},"effectiveDateTime":"2019-03-04",
      "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]"}},
                   {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80.5,"code":"mm[Hg]"}}]}},
    {"fullUrl":"urn:uuid:x4","resource":{"resourceType":"Observation","id":"smoke","status":"final","code":{"text":"Smoking"},
      "subject":{"reference":"Patient/aaaaaaaa-0000-4000-8000-000000000001"},
      "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"266919005","display":"Never smoked"}]}}},
    {"fullUrl":"urn:uuid:x5","resource":{"resourceType":"Organization","id":"o1"}},
    {"fullUrl":"urn:uuid:x6","resource":{"resourceType":"Practitioner","id":"d1"}},
    {"fullUrl":"urn:uuid:x7","resource":{"resourceType":"Organization","id":"o2"}}]})";
  write(dir.file("b.json"), bundle);
  std::vector<std::string> notes;
  const Dataset d = read_fhir({dir.file("b.json")}, &notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "skipped 3 resources of types not read: Organization 2, Practitioner 1");
  const Table& p = d.table("patients");
  ASSERT_EQ(p.num_rows(), 1u);
  EXPECT_EQ(cell(p.column("id"), 0), "'aaaaaaaa-0000-4000-8000-000000000001'");
  EXPECT_EQ(cell(p.column("race"), 0), "'White'");
  double t;
  ASSERT_TRUE(parse_datetime("2020-05-06T10:00:00", "%Y-%m-%dT%H:%M:%S", &t));
  EXPECT_EQ(p.column("deceased").values[0], t);  // +02:00 taken to UTC
  ASSERT_TRUE(parse_datetime("1960-01-01", "%Y-%m-%d", &t));
  EXPECT_EQ(p.column("birth_date").values[0], t);
  const Table& o = d.table("observations");
  ASSERT_EQ(o.num_rows(), 3u);
  EXPECT_EQ(cell(o.column("id"), 0), "'bp.1'");
  EXPECT_EQ(cell(o.column("id"), 1), "'bp.2'");
  EXPECT_EQ(cell(o.column("code"), 1), "'8462-4'");
  EXPECT_EQ(o.column("value").values[1], 80.5);
  EXPECT_EQ(cell(o.column("unit"), 1), "'mm[Hg]'");
  EXPECT_EQ(cell(o.column("encounter"), 0), "'e1'");
  EXPECT_EQ(cell(o.column("value_code"), 2), "'266919005'");
  EXPECT_EQ(cell(o.column("display"), 2), "'Smoking'");
  EXPECT_EQ(cell(d.table("encounters").column("class"), 0), "'EMER'");
}

TEST(FhirRead, BadInputsNameFileLineAndJsonPath) {
  TempDir dir;
  auto nd = [&](const std::string& name, const std::string& lines) {
    write(dir.file(name), lines);
    return error_of([&] { read_fhir({dir.file(name)}); });
  };
  auto has = [](const std::string& msg, const std::string& want) {
    EXPECT_NE(msg.find(want), std::string::npos) << msg << "\n  wanted: " << want;
  };
  write(dir.file("patients.ndjson"), std::string(kPatient) + "\n");
  has(nd("obs.ndjson", observation("ok", "1.5") + "\n\n" + observation("abc", "\"high\"") + "\n"),
      "obs.ndjson:3: Observation/abc: valueQuantity.value: expected a number, got a string");
  std::string no_subject = observation("s", "1");
  no_subject.replace(no_subject.find("\"subject\""), std::string(R"("subject":{"reference":"Patient/p1"},)").size(),
                     "");
  has(nd("a.ndjson", no_subject), "a.ndjson:1: Observation/s: subject: missing (required");
  std::string bad_time = observation("t", "1");
  bad_time.replace(bad_time.find("2020-01-02T03:04:05Z"), 20, "2020-13-02T03:04:05Z");
  has(nd("b.ndjson", bad_time),
      "b.ndjson:1: Observation/t: effectiveDateTime: '2020-13-02T03:04:05Z': expected a dateTime");
  std::string no_zone = observation("z", "1");
  no_zone.replace(no_zone.find("05Z"), 3, "05");
  has(nd("c.ndjson", no_zone), "effectiveDateTime: '2020-01-02T03:04:05': a dateTime with a time needs a time zone");
  has(nd("Observation.ndjson", std::string(kPatient) + "\n"),
      "Observation.ndjson:1: resourceType: 'Patient' in a file named for Observation");
  has(nd("d.ndjson", "{\"resourceType\": \"Patient\",\n"), "d.ndjson:1:");
  has(nd("e.ndjson", "{\"resourceType\":\"Patient\",\"id\":\"p\",\"gender\":\"F\"}"),
      "e.ndjson:1: Patient/p: gender: 'F' is not one of");
  has(nd("f.ndjson", "{\"resourceType\":\"Patient\",\"id\":\"p\",\"extension\":{}}"),
      "Patient/p: extension: expected an array, got an object");
  has(nd("g.ndjson", std::string(100000, '[') + std::string(100000, ']')), "g.ndjson:1:");
  has(nd("h.ndjson", "[1]"), "h.ndjson:1: expected a resource (a JSON object), got an array");
  has(nd("i.ndjson", "{\"resourceType\":\"Encounter\",\"id\":\"e\",\"subject\":{\"reference\":\"Group/g\"}}"),
      "i.ndjson:1: Encounter/e: subject.reference: 'Group/g' does not refer to a Patient");
  // A Patient that was not read.
  write(dir.file("only-obs.ndjson"), observation("x", "1"));
  has(error_of([&] { read_fhir({dir.file("only-obs.ndjson")}); }),
      "only-obs.ndjson:1: Observation/x: subject.reference: Patient 'p1' is not among the Patients read");
  // In a Bundle: the entry path.
  write(dir.file("bundle.json"),
        std::string(R"({"resourceType":"Bundle","id":"b","type":"collection","entry":[{"resource":)") + kPatient +
            R"(},{"resource":)" + observation("q", "true") + "}]}");
  has(error_of([&] { read_fhir({dir.file("bundle.json")}); }),
      "bundle.json: Bundle/b.entry[1].resource: Observation/q: valueQuantity.value: expected a number, got a boolean");
  // Duplicate ids.
  has(nd("dup.ndjson", std::string(kPatient) + "\n" + kPatient + "\n"),
      "dup.ndjson:2: Patient/p1: id: duplicate Patient id 'p1'");
  // The size bound.
  FhirReadOptions small_files;
  small_files.max_file_bytes = 10;
  EXPECT_THROW(read_fhir({dir.file("patients.ndjson")}, nullptr, small_files), IoError);
}

// ------------------------------------------------------------------ from a learned dataset

namespace {

Dataset pbc_dataset() {
  TempDir dir;
  fs::copy_file(kData + "pbc.csv", dir.file("pbc.csv"));
  fs::copy_file(kData + "pbcseq.csv", dir.file("pbcseq.csv"));
  return read_dataset(dir.path, infer_dataset(dir.path));
}

}  // namespace

TEST(FhirMapping, PbcWithVisitsBecomesClinicalTables) {
  const Dataset pbc = pbc_dataset();
  const FhirMapping m = FhirMapping::read(kData + "records/pbc-fhir.json");
  std::vector<std::string> notes;
  const Dataset c = to_clinical(pbc, m, &notes);
  EXPECT_NO_THROW(check_dataset(c));
  const Table& p = c.table("patients");
  ASSERT_EQ(p.num_rows(), 418u);
  EXPECT_EQ(c.schema.table("patients").schema.column("gender").values, (std::vector<std::string>{"female", "male"}));
  // Patient 1: female, 58.77 years at 1980-01-01, died at day 400; transplant none; trt 1.
  EXPECT_EQ(cell(p.column("id"), 0), "'1'");
  EXPECT_EQ(cell(p.column("gender"), 0), "'female'");
  std::string birth;
  ASSERT_TRUE(fhir_patient_ndjson(c, 0).find("\"birthDate\":\"1921-03-27\"") != std::string::npos)
      << fhir_patient_ndjson(c, 0).substr(0, 300);
  EXPECT_NE(fhir_patient_ndjson(c, 0).find("\"deceasedDateTime\":\"1981-02-04T00:00:00Z\""), std::string::npos);
  // One entry encounter per patient plus one per visit.
  EXPECT_EQ(c.table("encounters").num_rows(), 418u + 1945u);
  EXPECT_EQ(c.table("conditions").num_rows(), 418u);
  // Transplants (status 1) and treated patients (trt 1) in pbc.csv.
  size_t transplants = 0, treated = 0;
  const Column& status = pbc.table("pbc").column("status");
  const Column& trt = pbc.table("pbc").column("trt");
  for (size_t r = 0; r < 418; ++r) {
    transplants +=
        status.storage == Storage::kNumber ? status.valid[r] && status.values[r] == 1 : cell(status, r) == "'1'";
    treated += trt.storage == Storage::kNumber ? trt.valid[r] && trt.values[r] == 1 : cell(trt, r) == "'1'";
  }
  EXPECT_EQ(c.table("procedures").num_rows(), transplants);
  EXPECT_EQ(c.table("medications").num_rows(), treated);
  // Every non-missing bilirubin of both tables is a LOINC 1975-2 observation.
  size_t bili = 0;
  for (const char* t : {"pbc", "pbcseq"}) {
    const Column& b = pbc.table(t).column("bili");
    for (size_t r = 0; r < b.size(); ++r) bili += !b.is_missing(r);
  }
  const Table& o = c.table("observations");
  size_t loinc_bili = 0;
  for (size_t r = 0; r < o.num_rows(); ++r) loinc_bili += cell(o.column("code"), r) == "'1975-2'";
  EXPECT_EQ(loinc_bili, bili);
  // Unmapped clinical signs go to the local code system.
  const auto& systems = c.schema.table("observations").schema.column("code_system").values;
  EXPECT_EQ(systems, (std::vector<std::string>{"http://loinc.org", "urn:medgen:column"}));
  // The same tables after FHIR and back.
  TempDir dir;
  FhirWriteOptions nd;
  nd.format = FhirFormat::kNdjson;
  write_fhir(c, dir.file("out"), nd);
  expect_same(c, read_fhir({dir.file("out")}));
}

TEST(FhirMapping, DefaultMappingUsesColumnNames) {
  const Dataset pbc = pbc_dataset();
  const Dataset c = to_clinical(pbc, FhirMapping{});
  EXPECT_EQ(c.table("patients").num_rows(), 418u);
  EXPECT_EQ(c.table("encounters").num_rows(), 1945u);
  const auto& codes = c.schema.table("observations").schema.column("code").values;
  for (const char* col : {"bili", "albumin", "alk.phos", "stage"})
    EXPECT_NE(std::find(codes.begin(), codes.end(), col), codes.end()) << col;
  EXPECT_EQ(c.schema.table("observations").schema.column("code_system").values,
            (std::vector<std::string>{"urn:medgen:column"}));
}

TEST(FhirMapping, StrictJsonNamesThePath) {
  auto err = [](const char* text) {
    return error_of([&] { FhirMapping::from_json(nlohmann::json::parse(text), "s.json"); });
  };
  EXPECT_EQ(
      err(R"({"patients":{"gendre":"sex"}})"),
      "s.json: fhir.patients.gendre: unknown key (expected one of table, id, entry, time_unit, gender, birth_date, "
      "age, deceased, race, ethnicity, encounter, observations, conditions, procedures, medications, exclude, "
      "default_observations)");
  EXPECT_EQ(err(R"({"events":[{"table":"x","observations":[{"column":"a","unit":5}]}]})"),
            "s.json: fhir.events[0].observations[0].unit: expected a string");
  EXPECT_EQ(err(R"({"patients":{"gender":{"column":"sex","map":{"f":"F"}}}})"),
            "s.json: fhir.patients.gender.map.f: 'F' is not male, female, other or unknown");
  const Dataset pbc = pbc_dataset();
  FhirMapping m =
      FhirMapping::from_json(nlohmann::json::parse(R"({"patients":{"observations":[{"column":"bilirubin"}]}})"));
  EXPECT_EQ(error_of([&] { to_clinical(pbc, m); }),
            "FHIR mapping: patients.observations[0].column: table 'pbc' has no column 'bilirubin'");
}
