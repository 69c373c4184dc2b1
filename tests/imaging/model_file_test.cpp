// Image model files are untrusted input (issue 11): a file whose checksum is right but whose
// header disagrees with its weights, or holds values of the wrong type or out of range, is
// ModelFormat (exit 2), never a crash or an internal error. Each case edits a tiny trained
// VAE's header and saves it again (so the checksum is recomputed).
#include <gtest/gtest.h>

#include "imaging_util.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/imaging/models.h"

using namespace medgen;
using namespace medgen::imaging;
using namespace medgen::imaging::test;

namespace {

Context ctx1() {
  Context ctx;
  ctx.seed = 3;
  ctx.threads = 1;
  return ctx;
}

// A VAE on 16 x 16 slices, two optimiser steps: enough to have a header and weights.
std::string tiny_vae(const Scratch& tmp) {
  ImageTrainOptions o;
  o.kind = ImageModelKind::Vae;
  o.steps = 2;
  o.batch = 2;
  o.channels = 4;
  o.latent = 4;
  SliceStack s = SliceStack::zeros(4, 16, 16);
  for (size_t i = 0; i < s.data.size(); ++i) s.data[i] = static_cast<float>(i % 17) / 17.f;
  auto m = train_image_model(o, s, {}, ctx1());
  m->info()["data"] = {{"axis", "axial"}, {"window", "auto"}, {"block", 16}, {"test_every", 4}, {"gap", 2}};
  const std::string path = tmp.file("vae.medgen");
  m->save(path);
  return path;
}

// The message of the ModelFormat that loading `path` throws ("" when it loads; any other
// exception fails the test).
std::string load_error(const std::string& path) {
  try {
    load_image_model(path, ctx1());
  } catch (const ModelFormat& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ImageModelFile, HeaderThatDisagreesWithTheWeightsOrIsOutOfRangeIsModelFormat) {
  Scratch tmp;
  const std::string path = tiny_vae(tmp);
  ASSERT_EQ(load_error(path), "") << "the untouched model loads";
  const ModelFile good = ModelFile::load(path);
  struct Case {
    const char* name;
    void (*edit)(nlohmann::json&);
    const char* expect;
  };
  const Case cases[] = {
      {"channels disagree with the weights", [](nlohmann::json& h) { h["options"]["channels"] = 8; }, "has shape"},
      {"latent disagrees with the weights", [](nlohmann::json& h) { h["options"]["latent"] = 6; }, "has shape"},
      {"size disagrees with the weights", [](nlohmann::json& h) { h["size"] = 32; }, "network"},
      {"size not a power of two", [](nlohmann::json& h) { h["size"] = 24; }, "4 times a power of two"},
      {"size 0 for a vae", [](nlohmann::json& h) { h["size"] = 0; }, "is not 8..1024"},
      {"size 2^40", [](nlohmann::json& h) { h["size"] = uint64_t{1} << 40; }, "is not 8..1024"},
      {"negative size", [](nlohmann::json& h) { h["size"] = -16; }, "non-negative integer"},
      {"negative latent", [](nlohmann::json& h) { h["options"]["latent"] = -3; }, "non-negative integer"},
      {"fractional channels", [](nlohmann::json& h) { h["options"]["channels"] = 4.5; }, "non-negative integer"},
      {"huge steps", [](nlohmann::json& h) { h["options"]["steps"] = uint64_t{1} << 50; }, "--steps"},
      {"lr a string", [](nlohmann::json& h) { h["options"]["lr"] = "fast"; }, "must be a number"},
      {"options not an object", [](nlohmann::json& h) { h["options"] = 7; }, "not a JSON object"},
      {"kind disagrees", [](nlohmann::json& h) { h["kind"] = "gan"; }, "'kind' disagrees"},
      {"unknown kind", [](nlohmann::json& h) { h["options"]["kind"] = "diffusion"; }, "--model"},
      {"model not a string", [](nlohmann::json& h) { h["model"] = 3; }, "not a medgen image model"},
      {"history a string", [](nlohmann::json& h) { h["history"] = "x"; }, "'history' is not a JSON array"},
      {"info a number", [](nlohmann::json& h) { h["info"] = 5; }, "'info' is not a JSON object"},
      {"window a number", [](nlohmann::json& h) { h["info"]["data"]["window"] = 7; }, "info.data"},
      {"unknown window", [](nlohmann::json& h) { h["info"]["data"]["window"] = "liver"; }, "unknown window"},
      {"unknown axis", [](nlohmann::json& h) { h["info"]["data"]["axis"] = "oblique"; }, "unknown axis"},
      {"block 0", [](nlohmann::json& h) { h["info"]["data"]["block"] = 0; }, "out of range"},
      {"threshold a string", [](nlohmann::json& h) { h["info"]["anomaly"] = {{"pixel_threshold", "x"}}; },
       "info.anomaly.pixel_threshold"},
  };
  for (const Case& c : cases) {
    ModelFile mf = good;
    c.edit(mf.header);
    const std::string p = tmp.file("edited.medgen");
    mf.save(p);
    const std::string err = load_error(p);
    EXPECT_NE(err.find("edited.medgen: "), std::string::npos) << c.name << ": " << err;
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.name << ": " << err;
  }
  // Weights of another network under the same header: the payload of a VAE with 8 channels.
  ModelFile other = good;
  {
    ImageTrainOptions o;
    o.kind = ImageModelKind::Vae;
    o.steps = 1;
    o.batch = 2;
    o.channels = 8;
    o.latent = 4;
    auto m = train_image_model(o, SliceStack::zeros(2, 16, 16), {}, ctx1());
    m->save(tmp.file("wide.medgen"));
    other.payload = ModelFile::load(tmp.file("wide.medgen")).payload;
  }
  other.save(tmp.file("edited.medgen"));
  EXPECT_NE(load_error(tmp.file("edited.medgen")).find("has shape"), std::string::npos);
  // A payload that is not a LibTorch archive.
  ModelFile junk = good;
  junk.payload = "not an archive";
  junk.save(tmp.file("edited.medgen"));
  EXPECT_NE(load_error(tmp.file("edited.medgen")), "");
}
