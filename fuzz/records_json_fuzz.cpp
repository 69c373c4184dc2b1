// The records module's JSON inputs: one input is tried as every kind of file a user may hand
// over: a dataset schema (records/dataset.h), a FHIR mapping, FHIR R4 as a Bundle (.json) and as
// bulk NDJSON (records/fhir.h), and a disease module (records/modules.h). Each is strictly
// validated with located errors; a module that parses is also run for a few patients (a module
// that loops without a Delay must be refused, not hang), and FHIR that reads is written back.
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "medgen/core/context.h"
#include "medgen/records/dataset.h"
#include "medgen/records/fhir.h"
#include "medgen/records/modules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  using namespace medgen::records;
  static fuzz::ScratchFile bundle(".json");
  static fuzz::ScratchFile ndjson(".ndjson");
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json j;
  bool is_json = false;
  fuzz::expect_clean("records/json", [&] {
    try {
      j = nlohmann::json::parse(text);
      is_json = true;
    } catch (const nlohmann::json::exception&) {
      throw InvalidInput("not JSON");
    }
  });
  if (is_json) {
    fuzz::expect_clean("records/dataset-schema", [&] { (void)DatasetSchema::from_json(j, "<fuzz>"); });
    fuzz::expect_clean("records/fhir-mapping", [&] { (void)FhirMapping::from_json(j, "<fuzz>"); });
  }
  fuzz::expect_clean("records/fhir-bundle", [&] { (void)read_fhir({bundle.write(text)}); });
  fuzz::expect_clean("records/fhir-ndjson", [&] { (void)read_fhir({ndjson.write(text)}); });
  fuzz::expect_clean("records/module", [&] {
    ModuleSet set;
    set.modules.push_back(parse_module(text, "<fuzz>.json"));
    link_modules(&set);
    PopulationOptions o;
    o.patients = 3;
    o.min_age = 0;
    o.max_age = 5;
    (void)run_population(set, o, Context{});
  });
  return 0;
}
