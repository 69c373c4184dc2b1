// Model files are untrusted input: a checksum proves integrity, not origin. Each test takes a
// valid model, edits its JSON header, recomputes the checksum (ModelFile::serialize does) and
// expects load_model_bytes to refuse it with ModelFormat instead of crashing later.
#include <gtest/gtest.h>

#include <functional>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/tabular/synthesizer.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// The model with its header edited and the checksum recomputed.
std::string reseal(const std::string& bytes, const std::function<void(json&)>& edit) {
  ModelFile m = ModelFile::deserialize(bytes, "model");
  edit(m.header);
  return m.serialize();
}

// A copula on pbc: numerical (continuous and discrete), categorical, boolean columns, missing values.
const std::string& pbc_copula() {
  static const std::string bytes = [] {
    auto real = test::load(test::data_dir() + "/pbc.csv");
    auto synth = create_synthesizer("copula");
    synth->fit(real.table, real.schema, Context{});
    return test::model_bytes(*synth);
  }();
  return bytes;
}

// Index in the schema of the first column of a type, and the latent on it.
size_t column_of_type(const json& h, const std::string& type) {
  const json& cols = h["schema"]["columns"];
  for (size_t i = 0; i < cols.size(); ++i)
    if (cols[i]["type"] == type) return i;
  ADD_FAILURE() << "no " << type << " column";
  return 0;
}
json& latent_of(json& h, size_t column, const std::string& kind) {
  for (json& l : h["state"]["latents"])
    if (l["column"] == column && l["kind"] == kind) return l;
  ADD_FAILURE() << "no " << kind << " latent on column " << column;
  return h;
}
size_t continuous_column(const json& h) {
  for (const json& l : h["state"]["latents"])
    if (l["kind"] == "continuous" && l["family"] == "empirical") return l["column"].get<size_t>();
  ADD_FAILURE() << "no empirical continuous latent";
  return 0;
}

// A numeric column modelled as discrete with at least three levels.
size_t discrete_numeric_column(const json& h) {
  for (const json& l : h["state"]["latents"])
    if (l["kind"] == "discrete" && l["family"] == "discrete" && l["breaks"].size() >= 2) return l["column"].get<size_t>();
  ADD_FAILURE() << "no discrete numeric latent";
  return 0;
}

void expect_refused(const std::string& bytes, const std::string& needle) {
  try {
    load_model_bytes(bytes, "model");
    ADD_FAILURE() << "accepted a corrupt model (expected: " << needle << ")";
  } catch (const ModelFormat& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(ModelValidation, ValidModelsOfEveryDatasetLoadAndSample) {
  for (const std::string& path : test::dataset_paths()) {
    SCOPED_TRACE(path);
    auto real = test::load(path);
    for (const char* name : {"copula", "independent"}) {
      auto synth = create_synthesizer(name);
      synth->fit(real.table, real.schema, Context{});
      LoadedModel m = load_model_bytes(test::model_bytes(*synth), "model");
      EXPECT_EQ(m.synthesizer->sample(20, {}, Context{}).num_rows(), 20u);
    }
  }
}

// The crash from issue 11: a categorical column whose value list was emptied (checksum
// recomputed) segfaulted `sample`, which indexed the empty list with the latent's levels.
TEST(ModelValidation, CopulaCategoricalWithoutValuesIsRefusedNotACrash) {
  const std::string bad = reseal(pbc_copula(), [](json& h) {
    h["schema"]["columns"][column_of_type(h, "categorical")]["values"] = json::array();
  });
  expect_refused(bad, "is not an index into the column's 0 values");
}

TEST(ModelValidation, CopulaStateIsCheckedFieldByField) {
  const json h0 = ModelFile::deserialize(pbc_copula(), "m").header;
  const size_t cat = column_of_type(h0, "categorical"), num = continuous_column(h0);
  const size_t d = h0["state"]["latents"].size();
  const std::vector<std::pair<std::string, std::function<void(json&)>>> cases = {
      {"quantiles are not sorted", [&](json& h) { std::swap(latent_of(h, num, "continuous")["quantiles"][0],
                                                            latent_of(h, num, "continuous")["quantiles"][5]); }},
      {"expected a number", [&](json& h) { latent_of(h, num, "continuous")["quantiles"][3] = nullptr; }},
      {"needs 1 to 1000000 quantiles", [&](json& h) { latent_of(h, num, "continuous")["quantiles"] = json::array(); }},
      {"unknown marginal family", [&](json& h) { latent_of(h, num, "continuous")["family"] = "cauchy"; }},
      {"breaks", [&](json& h) { latent_of(h, cat, "discrete")["breaks"].push_back(9.0); }},
      {"appears twice", [&](json& h) {
         json& l = latent_of(h, cat, "discrete");
         l["levels"][1] = l["levels"][0];
       }},
      {"breaks are not in increasing order", [&](json& h) {
         json& l = latent_of(h, discrete_numeric_column(h), "discrete");
         l["breaks"][0] = 5.0;
       }},
      {"outside [0,", [&](json& h) { h["state"]["latents"][0]["column"] = 1ULL << 40; }},
      {"expected an integer", [&](json& h) { h["state"]["latents"][0]["column"] = 1.5; }},
      {"unknown latent kind", [&](json& h) { h["state"]["latents"][0]["kind"] = "other"; }},
      {"a second value latent", [&](json& h) { h["state"]["latents"].push_back(h["state"]["latents"][1]); }},
      {"correlation has", [&](json& h) { h["state"]["correlation"].erase(0); }},
      {"not symmetric", [&](json& h) { h["state"]["correlation"][1] = 0.5; h["state"]["correlation"][d] = -0.5; }},
      {"diagonal is not 1", [&](json& h) { h["state"]["correlation"][0] = 2.0; }},
      {"not positive semi-definite", [&](json& h) {
         // Three latents pairwise at 0.9, -0.9 and 0.9: each entry is a valid correlation, the
         // matrix is not.
         json& c = h["state"]["correlation"];
         c[0 * d + 1] = c[1 * d + 0] = 0.9;
         c[0 * d + 2] = c[2 * d + 0] = -0.9;
         c[1 * d + 2] = c[2 * d + 1] = 0.9;
       }},
      {"a text column is not learned", [&](json& h) {
         h["schema"]["columns"][h["state"]["latents"][0]["column"].get<size_t>()] = {{"name", "x"}, {"type", "text"}};
       }},
      {"latents: expected an array", [&](json& h) { h["state"]["latents"] = json::object(); }},
      {"warnings[0]: expected a string", [&](json& h) { h["state"]["warnings"] = {1}; }},
  };
  for (const auto& [needle, edit] : cases) {
    SCOPED_TRACE(needle);
    expect_refused(reseal(pbc_copula(), edit), needle);
  }
}

// A header field of the wrong JSON type exits 2 (ModelFormat), not 1 (an internal error).
TEST(ModelValidation, HeaderFieldsOfTheWrongTypeAreModelFormat) {
  const std::vector<std::pair<std::string, std::function<void(json&)>>> cases = {
      {"synthesizer: expected a string", [](json& h) { h["synthesizer"] = 3; }},
      {"params: expected an object", [](json& h) { h["params"] = json::array(); }},
      {"schema: expected an object", [](json& h) { h["schema"] = "pbc"; }},
      {"state: expected an object", [](json& h) { h["state"] = 5; }},
      {"summary: expected an object", [](json& h) { h["summary"] = 5; }},
      {"provenance.rows: expected an integer", [](json& h) { h["provenance"]["rows"] = "many"; }},
      {"provenance: missing 'seed'", [](json& h) { h["provenance"].erase("seed"); }},
      {"medgen_version: expected a string", [](json& h) { h["medgen_version"] = nullptr; }},
      {"unknown copula option", [](json& h) { h["params"]["bogus"] = 1; }},
      {"'width' must be an integer", [](json& h) {
         h["schema"]["columns"][0] = {{"name", "id"}, {"type", "identifier"}, {"width", 1ULL << 62}};
       }},
  };
  for (const auto& [needle, edit] : cases) {
    SCOPED_TRACE(needle);
    expect_refused(reseal(pbc_copula(), edit), needle);
  }
  // The summary `info` prints is the restored model's, whatever the file's copy said.
  const std::string edited = reseal(pbc_copula(), [](json& h) { h["summary"] = {{"marginals", 7}}; });
  EXPECT_TRUE(load_model_bytes(edited, "m").header["summary"]["marginals"].is_object());
}

TEST(Conditions, ContradictoryValuesForOneColumnAreRefused) {
  LoadedModel m = load_model_bytes(pbc_copula(), "m");
  const std::vector<Condition> both = {{"sex", "f"}, {"sex", "m"}};
  try {
    m.synthesizer->sample(10, both, Context{});
    ADD_FAILURE() << "sampled with sex=f and sex=m";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("contradictory values for column 'sex'"), std::string::npos) << e.what();
  }
  // The same condition twice is not a contradiction.
  const Table t = m.synthesizer->sample(10, {{"sex", "f"}, {"sex", "f"}}, Context{});
  for (int32_t code : t.column("sex").codes) EXPECT_EQ(t.column("sex").dictionary[static_cast<size_t>(code)], "f");
}
