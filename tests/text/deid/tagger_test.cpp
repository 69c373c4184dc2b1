// The learned de-identification tagger (medgen/text/deid/tagger.h): the shipped model loads, damaged
// files are refused with one line, training is deterministic, the model adds recall on held-out
// notes at a stated precision, and the union never loses a rule's detection.
#include "medgen/text/deid/tagger.h"
#include "tagger_test_util.h"
#include "medgen/core/context.h"

#include <gtest/gtest.h>

#include <cctype>
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
  EXPECT_EQ(m->provenance()["trained_on"].size(), 10u);
  // the out-of-fold curve the thresholds were chosen from, one point per grid value
  ASSERT_TRUE(m->curve().contains("grid"));
  for (PhiType t : TaggerModel::class_types()) {
    const auto& c = m->curve()[phi_type_name(t)];
    EXPECT_EQ(c["recall"].size(), m->curve()["grid"].size()) << phi_type_name(t);
    EXPECT_EQ(c["precision"].size(), m->curve()["grid"].size()) << phi_type_name(t);
  }
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
  ModelFile curve = f;
  curve.header["curve"] = "flat";
  EXPECT_NE(load_error(curve.serialize(), "curve").find("'curve'"), std::string::npos);
}

TEST(Tagger, SetThresholdChecksTheClassAndTheRange) {
  TaggerModel m = TaggerModel::deserialize(medgen::read_file(kDir + "/tagger.model"), "shipped");
  m.set_threshold(PhiType::kName, 0.05);
  m.set_threshold(PhiType::kId, 1.5);  // off
  EXPECT_EQ(m.thresholds()[0], 0.05);
  EXPECT_EQ(m.thresholds()[5], 1.5);
  for (PhiType t : {PhiType::kSsn, PhiType::kIp, PhiType::kEmail, PhiType::kUrl})
    EXPECT_THROW(m.set_threshold(t, 0.5), InvalidInput) << phi_type_name(t);
  for (double p : {0.0, -0.1, 2.5}) EXPECT_THROW(m.set_threshold(PhiType::kDate, p), InvalidInput) << p;
  // a class switched off adds nothing; a threshold near 0 tags every token the rules left
  const std::string t = "Kwabena Asante-Boateng reviewed the plan with the family today.";
  auto shared = std::make_shared<TaggerModel>(m);
  for (int c = 0; c < TaggerModel::kClasses; ++c) shared->set_threshold(TaggerModel::class_types()[c], 1.5);
  EXPECT_EQ(rules().with_model(shared).detect(t).size(), rules().detect_rules(t).size());
  shared->set_threshold(PhiType::kName, 1e-9);
  size_t covered = 0;
  for (const PhiSpan& s : rules().with_model(shared).detect(t)) covered += s.end - s.begin;
  EXPECT_GE(covered, t.size() - 12);  // spaces and the full stop only
}

// The model's DATE is never a lone number of 1, 2 or 4 digits (a count, a year: no PHI), however low
// its threshold; beside another number or a month it may be.
TEST(Tagger, LoneNumbersAreNoModelDates) {
  auto m = std::make_shared<TaggerModel>(TaggerModel::deserialize(medgen::read_file(kDir + "/tagger.model"), "shipped"));
  for (PhiType t : TaggerModel::class_types()) m->set_threshold(t, 1.5);
  m->set_threshold(PhiType::kDate, 1e-9);
  const Deidentifier d = rules().with_model(m);
  const std::string lone = "In 2010 she had 2 falls and 20 visits.";
  for (const PhiSpan& s : d.detect(lone))  // (every word passes a threshold of 1e-9; no number may)
    for (size_t k = s.begin; k < s.end; ++k) EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(lone[k]))) << lone.substr(s.begin, s.end - s.begin);
  const std::string spaced = "born 02 14 1979 at home";
  bool all = false;
  for (const PhiSpan& s : d.detect(spaced)) all |= s.type == PhiType::kDate && s.begin <= 5 && s.end >= 15;
  EXPECT_TRUE(all);
}

namespace {

// Out-of-fold samples of the NAME class: `pos` gold names and `neg` other tokens of note `note`,
// their probabilities spread evenly over [lo, hi].
void add_samples(std::vector<TaggerOofSample>* out, int pos, double pos_lo, double pos_hi, int neg, double neg_lo,
                 double neg_hi, uint32_t note) {
  for (int i = 0; i < pos + neg; ++i) {
    TaggerOofSample s;
    const bool p = i < pos;
    const int k = p ? i : i - pos, n = p ? pos : neg;
    const double lo = p ? pos_lo : neg_lo, hi = p ? pos_hi : neg_hi;
    s.prob[0] = lo + (hi - lo) * (n > 1 ? double(k) / (n - 1) : 0.5);
    s.label = p ? 0 : -1;
    s.note = note;
    out->push_back(s);
  }
}

}  // namespace

// The threshold rule on made-up probabilities: the highest threshold that reaches the recall
// target, unless the precision floor is broken first; F_beta without a target; sources weigh alike.
TEST(Tagger, ThresholdsFavourRecallWithinThePrecisionFloor) {
  std::vector<TaggerOofSample> oof;
  // 100 names with probabilities 0.30-0.99, 100 other tokens with 0.001-0.20
  add_samples(&oof, 100, 0.30, 0.99, 100, 0.001, 0.20, 0);
  const std::vector<double> w{1.0};
  TaggerParams p;  // recall 0.99, precision floor 0.8
  // every name is found down to 0.30 with no error, and at 0.32 three are lost: 0.30
  EXPECT_DOUBLE_EQ(choose_tagger_thresholds(oof, w, p)[0], 0.30);
  // the names now spread down to 0.01, among the other tokens: recall 0.99 would need a
  // threshold where precision is far below 0.8, so the lowest threshold that keeps 0.8 wins
  oof.clear();
  add_samples(&oof, 100, 0.01, 0.99, 100, 0.001, 0.20, 0);
  nlohmann::json curve;
  const double t = choose_tagger_thresholds(oof, w, p, &curve)[0];
  const auto& grid = curve["grid"];
  size_t g = 0;
  while (grid[g].get<double>() != t) ++g;
  EXPECT_GE(curve["NAME"]["precision"][g].get<double>(), 0.8);
  ASSERT_GT(g, 0u);
  EXPECT_LT(curve["NAME"]["precision"][g - 1].get<double>(), 0.8);  // one step lower breaks the floor
  EXPECT_LT(curve["NAME"]["recall"][g].get<double>(), 0.99);
  // no recall target: F_beta (F1 here), a higher threshold
  TaggerParams f = p;
  f.recall = 0;
  f.beta = 1;
  EXPECT_GT(choose_tagger_thresholds(oof, w, f)[0], t);
  // classes without examples are off; AGE and LOCATION keep F_beta whatever the target
  EXPECT_EQ(choose_tagger_thresholds(oof, w, p)[1], 2.0);
  // sources weigh alike: 100 easy notes of one source and one hard note of another. Note by note,
  // the 500 easy names carry recall and precision: 0.99 is reached at 0.14. Source by source, the
  // hard note's errors weigh as much as the 100 easy notes: the floor holds the threshold higher.
  std::vector<TaggerOofSample> two;
  for (uint32_t n = 0; n < 100; ++n) add_samples(&two, 5, 0.6, 0.99, 5, 0.001, 0.05, n);
  add_samples(&two, 50, 0.05, 0.99, 50, 0.001, 0.3, 100);
  std::vector<double> flat(101, 1.0), by_source(101, 1.0 / 100);
  by_source[100] = 1.0;
  EXPECT_DOUBLE_EQ(choose_tagger_thresholds(two, flat, p)[0], 0.14);
  const double ts = choose_tagger_thresholds(two, by_source, p)[0];
  EXPECT_GT(ts, 0.14);
  EXPECT_LT(ts, 0.3);
  EXPECT_THROW(choose_tagger_thresholds(two, std::vector<double>(5, 1.0), p), InvalidInput);
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
  for (const char* s : {"generated", "handwritten", "handwritten2", "handwritten3", "handwritten4", "handwritten5",
                        "handwritten6", "handwritten7", "handwritten8", "handwritten9"})
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
  p = TaggerParams{};
  p.recall = 1.5;
  EXPECT_THROW(p.validate(), InvalidInput);
  p = TaggerParams{};
  p.min_precision = -0.1;
  EXPECT_THROW(p.validate(), InvalidInput);
}
