// The learned de-identification tagger (medgen/text/deid/tagger.h): the shipped model loads, damaged
// files are refused with one line, training is deterministic, the model adds recall on held-out
// notes at a stated precision, and the union never loses a rule's detection.
#include "medgen/text/deid/tagger.h"
#include "tagger_test_util.h"
#include "medgen/core/context.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/model_file.h"

using namespace medgen;
using namespace medgen::text::deid;
using medgen::text::deid::test::kDir;
using medgen::text::deid::test::notes_of;
using medgen::text::deid::test::rules;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("medgen_tagger_test_" + name)).string();
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

// The message of the ModelFormat that loading `bytes` throws ("" when none).
std::string load_error(const std::string& bytes, const std::string& name) {
  const std::string p = temp_path(name);
  write(p, bytes);
  try {
    TaggerModel::load(p);
  } catch (const ModelFormat& e) {
    std::filesystem::remove(p);
    return e.what();
  }
  std::filesystem::remove(p);
  return "";
}

}  // namespace

TEST(Tagger, ShippedModelLoads) {
  const auto m = TaggerModel::load(kDir + "/tagger.model");
  EXPECT_GE(m->hash_bits(), 12);
  EXPECT_LE(std::filesystem::file_size(kDir + "/tagger.model"), 5u << 20);
  int on = 0;
  for (double t : m->thresholds()) {
    EXPECT_GT(t, 0.0);
    on += t < 1;
  }
  EXPECT_EQ(on, TaggerModel::kClasses);  // every class has training examples
  ASSERT_TRUE(m->provenance().contains("trained_on"));
  EXPECT_EQ(m->provenance()["trained_on"].size(), 5u);
}

TEST(Tagger, DamagedModelIsOneLineError) {
  const std::string good = TaggerModel::deserialize(medgen::read_file(kDir + "/tagger.model"), "shipped").serialize();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"garbage", "this is no model\n"},
      {"truncated", good.substr(0, good.size() / 2)},
      {"flipped", [&] {
         std::string b = good;
         b[b.size() / 2] ^= 0x40;
         return b;
       }()},
  };
  for (const auto& [name, bytes] : cases) {
    const std::string e = load_error(bytes, name);
    EXPECT_NE(e, "") << name;
    EXPECT_NE(e.find("medgen_tagger_test_" + name), std::string::npos) << e;  // names the file
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;                          // one line
  }
  // a sound model file with a wrong header field or weight table
  ModelFile f = ModelFile::deserialize(good, "shipped");
  ModelFile wrong_kind = f;
  wrong_kind.header["kind"] = "ctgan";
  EXPECT_NE(load_error(wrong_kind.serialize(), "kind").find("not a de-identification tagger model"), std::string::npos);
  ModelFile short_table = f;
  short_table.payload.resize(short_table.payload.size() - 6);
  EXPECT_NE(load_error(short_table.serialize(), "table").find("weight table"), std::string::npos);
  ModelFile bad_threshold = f;
  bad_threshold.header["thresholds"][0] = -1;
  EXPECT_NE(load_error(bad_threshold.serialize(), "threshold").find("threshold"), std::string::npos);
  ModelFile features = f;
  features.header["features"] = 999;
  EXPECT_NE(load_error(features.serialize(), "features").find("feature set"), std::string::npos);
}

// Two trainings on the same notes with the same seed give the same bytes (a small set and table,
// so that it stays fast; the shipped model's command is documented in docs/text-deid.md).
TEST(Tagger, TrainingIsDeterministic) {
  const auto notes = notes_of("handwritten2");
  TaggerParams p;
  p.hash_bits = 14;
  p.folds = 2;
  const std::string a = train_tagger(rules(), notes, p).serialize();
  const std::string b = train_tagger(rules(), notes, p).serialize();
  EXPECT_EQ(a, b);
  EXPECT_EQ(sha256_hex(a), sha256_hex(b));
}

// The union keeps every rule span whole, with its type, on every note of every set (the shipped
// model, which saw these notes, and the notes' own text as new input).
TEST(Tagger, UnionNeverLosesRuleDetection) {
  const Deidentifier with = rules().with_model(TaggerModel::load(kDir + "/tagger.model"));
  size_t added = 0, notes = 0;
  for (const char* s : {"generated", "handwritten", "handwritten2", "handwritten3", "handwritten4"})
    for (const AnnotatedNote& n : notes_of(s)) {
      ++notes;
      const auto r = rules().detect_rules(n.text);
      const auto u = with.detect(n.text);
      for (size_t i = 1; i < u.size(); ++i) ASSERT_LE(u[i - 1].end, u[i].begin) << n.id;  // sorted, disjoint
      size_t j = 0;
      for (const PhiSpan& a : r) {
        while (j < u.size() && u[j].end <= a.begin) ++j;
        ASSERT_LT(j, u.size()) << n.id;
        EXPECT_TRUE(u[j].begin == a.begin && u[j].end == a.end && u[j].type == a.type) << n.id << " " << a.begin;
      }
      added += u.size() - r.size();
    }
  EXPECT_GT(notes, 400u);
  EXPECT_GT(added, 0u);
  // and on text no annotated set holds
  const std::string t = "Seen by Dr. Okafor on 03/04/2024. Call 555-201-7788. MRN 00418827. Pt Will Grace, 92 yo.";
  const auto r = rules().detect_rules(t);
  const auto u = with.detect(t);
  for (const PhiSpan& a : r) {
    bool kept = false;
    for (const PhiSpan& b : u) kept |= b.begin == a.begin && b.end == a.end && b.type == a.type;
    EXPECT_TRUE(kept) << t.substr(a.begin, a.end - a.begin);
  }
}

TEST(Tagger, ParamsAreChecked) {
  TaggerParams p;
  p.hash_bits = 30;
  EXPECT_THROW(p.validate(), InvalidInput);
  p = TaggerParams{};
  p.folds = 1;
  EXPECT_THROW(p.validate(), InvalidInput);
  p = TaggerParams{};
  p.c = 0;
  EXPECT_THROW(p.validate(), InvalidInput);
}
