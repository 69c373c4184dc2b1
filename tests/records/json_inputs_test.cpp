// JSON inputs of the records module refuse what nlohmann::json cannot hold: a number beyond
// double ("1e999", found by fuzz/records_json_fuzz.cpp) is a located InvalidInput, not an
// escaped json::out_of_range (exit 1).
#include <gtest/gtest.h>

#include <fstream>

#include "medgen/core/error.h"
#include "medgen/records/fhir.h"
#include "medgen/records/modules.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::records;

TEST(RecordsJson, NumberBeyondDoubleIsInvalidInputEverywhere) {
  EXPECT_THROW(parse_module(R"({"states": {"Initial": {"type": "Initial", "x": 1e999}}})", "m.json"), InvalidInput);
  test::TempDir dir;
  std::ofstream(dir.file("b.json")) << R"({"resourceType": "Patient", "id": "p", "x": 1e999})";
  std::ofstream(dir.file("p.ndjson")) << R"({"resourceType": "Patient", "id": "p", "x": 1e999})" << "\n";
  std::ofstream(dir.file("map.json")) << R"({"reference_date": 1e999})";
  EXPECT_THROW(read_fhir({dir.file("b.json")}), InvalidInput);
  EXPECT_THROW(read_fhir({dir.file("p.ndjson")}), InvalidInput);
  EXPECT_THROW(FhirMapping::read(dir.file("map.json")), InvalidInput);
  EXPECT_THROW(DatasetSchema::read(dir.file("map.json")), InvalidInput);
}
