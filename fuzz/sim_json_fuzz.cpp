// The simulator's JSON inputs (src/sim/json_source.cpp, catalog.cpp, script.cpp, case.cpp): one
// input is tried as every kind of file an educator or user may write, a condition, a drug, a
// guideline rubric, a session script and a case, each strictly validated with located errors.
// A condition that loads is also added to the embedded catalog, which checks cross-references.
#include <string>

#include "fuzz_util.h"
#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"
#include "medgen/sim/json_source.h"
#include "medgen/sim/script.h"

namespace {
const medgen::sim::Catalog* catalog = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  catalog = new medgen::sim::Catalog(medgen::sim::Catalog::load(medgen::sim::Catalog::default_dir()));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  using namespace medgen::sim;
  static fuzz::ScratchFile scratch(".json");
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean("sim/parse", [&] {
    const JsonSource src = JsonSource::parse("<fuzz>", text);
    (void)src.at("/a/0/b", "probe");
  });
  const std::string& path = scratch.write(text);
  bool condition_ok = false;
  fuzz::expect_clean("sim/condition", [&] {
    (void)load_condition(path);
    condition_ok = true;
  });
  if (condition_ok) fuzz::expect_clean("sim/catalog", [&] { (void)Catalog::load(catalog->dir, path); });
  fuzz::expect_clean("sim/drug", [&] { (void)load_drug(path); });
  fuzz::expect_clean("sim/rubric", [&] { (void)load_rubric(path); });
  fuzz::expect_clean("sim/script", [&] {
    const ConditionSpec* c = catalog->find_condition("septic_shock");
    if (c) (void)Script::load(path, *catalog, *c, 70);
  });
  fuzz::expect_clean("sim/case", [&] { (void)Case::load(path, catalog); });
  return 0;
}
