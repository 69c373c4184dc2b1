// Neural model files as untrusted input, and the neural synthesizers' refusals of requests
// they cannot honour (issue 11): each of these exited 1 or was silently accepted before.
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

// Small networks and one epoch: these tests are about files and requests, not quality.
json tiny(const std::string& name) {
  json p = {{"epochs", 1}, {"batch_size", 100}, {"max_modes", 3}};
  if (name == "tvae") {
    p["hidden"] = {16};
    p["latent_dim"] = 4;
  } else {
    p["generator"] = {16};
    p["discriminator"] = {16};
    p["embedding_dim"] = 4;
  }
  return p;
}

std::string model_bytes(const Synthesizer& s) {
  test::TempDir dir;
  save_model(s, Provenance{}, dir.file("m.medgen"));
  return read_file(dir.file("m.medgen"));
}

std::string reseal(const std::string& bytes, const std::function<void(json&)>& edit) {
  ModelFile m = ModelFile::deserialize(bytes, "model");
  edit(m.header);
  return m.serialize();
}

template <class E>
void expect_throw(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception (expected: " << needle << ")";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

class NeuralValidation : public ::testing::TestWithParam<std::string> {};

TEST_P(NeuralValidation, ParameterShapesAreCheckedAgainstTheHeader) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  auto synth = create_synthesizer(GetParam(), tiny(GetParam()));
  synth->fit(real.table, real.schema, Context{});
  const std::string good = model_bytes(*synth);
  EXPECT_EQ(load_model_bytes(good, "m").synthesizer->sample(5, {}, Context{}).num_rows(), 5u);
  // Wider layers in the header than in the weights: refused at load, naming a tensor.
  const std::string wider = reseal(good, [&](json& h) { h["params"][GetParam() == "tvae" ? "hidden" : "generator"] = {17}; });
  expect_throw<ModelFormat>([&] { load_model_bytes(wider, "m"); }, "has shape");
  // Other corrupt fields.
  expect_throw<ModelFormat>([&] { load_model_bytes(reseal(good, [](json& h) { h["state"]["history"] = 3; }), "m"); },
                            "history: expected an array");
  expect_throw<ModelFormat>(
      [&] { load_model_bytes(reseal(good, [](json& h) { h["state"]["seen_levels"]["diabetes"] = {"maybe"}; }), "m"); },
      "is not a value of the column");
  expect_throw<ModelFormat>(
      [&] {
        load_model_bytes(reseal(good, [](json& h) { h["state"]["transformer"]["schema"]["columns"][0]["name"] = "z"; }), "m");
      },
      "schema differs");
  if (GetParam() == "ctgan")
    expect_throw<ModelFormat>(
        [&] { load_model_bytes(reseal(good, [](json& h) { h["state"]["frequency"][0] = {-1.0, 2.0}; }), "m"); },
        "non-negative");
  // Contradictory conditions: refused like the copula does (they returned all "pos" before).
  expect_throw<InvalidInput>([&] { synth->sample(10, {{"diabetes", "neg"}, {"diabetes", "pos"}}, Context{}); },
                             "contradictory values for column 'diabetes'");
}

// An all-unique text column leaves nothing to learn; LibTorch failed with "from is out of
// bounds for float" (exit 1) initialising zero-width layers.
TEST_P(NeuralValidation, NothingToLearnIsInvalidInput) {
  Schema schema;
  ColumnSchema note;
  note.name = "note";
  note.type = ColumnType::kText;
  schema.columns = {note};
  Table t;
  t.columns.push_back(Column::strings("note", 30, {}));
  for (size_t r = 0; r < 30; ++r) {
    t.columns[0].dictionary.push_back("free text number " + std::to_string(r));
    t.columns[0].codes[r] = static_cast<int32_t>(r);
  }
  auto synth = create_synthesizer(GetParam(), tiny(GetParam()));
  expect_throw<InvalidInput>([&] { synth->fit(t, schema, Context{}); }, "nothing to learn");
}

// --resume with fewer epochs than the checkpoint has returned the longer-trained model.
TEST_P(NeuralValidation, ResumeCannotShortenARun) {
  auto real = test::load(test::data_dir() + "/pima2.csv");
  test::TempDir dir;
  json p = tiny(GetParam());
  p["epochs"] = 2;
  p["checkpoint_every"] = 2;
  auto first = create_synthesizer(GetParam(), p);
  first->set_checkpoint(dir.file("m.ckpt"), false);
  first->fit(real.table, real.schema, Context{});
  p["epochs"] = 1;
  auto resumed = create_synthesizer(GetParam(), p);
  resumed->set_checkpoint(dir.file("m.ckpt"), true);
  expect_throw<InvalidInput>([&] { resumed->fit(real.table, real.schema, Context{}); },
                             "has already trained 2 epochs, more than --epochs 1");
}

INSTANTIATE_TEST_SUITE_P(Neural, NeuralValidation, ::testing::Values("ctgan", "tvae"));
