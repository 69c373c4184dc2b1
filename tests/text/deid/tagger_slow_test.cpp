// The learned de-identification tagger on held-out notes (slow: a few liblinear fits on ~250
// notes): the model adds recall over the rules at a stated precision floor.
#include <gtest/gtest.h>

#include <cstdio>

#include "medgen/text/deid/tagger.h"
#include "tagger_test_util.h"
#include "medgen/core/context.h"

using namespace medgen::text::deid;
using medgen::text::deid::test::kDir;
using medgen::text::deid::test::notes_of;
using medgen::text::deid::test::rules;

namespace {

// A small, fast training set: the three older hand-written sets and 40 generated notes.
std::vector<AnnotatedNote> small_training_set() {
  std::vector<AnnotatedNote> out;
  for (const char* s : {"handwritten", "handwritten2", "handwritten3"})
    for (auto& n : notes_of(s)) out.push_back(std::move(n));
  auto g = notes_of("generated");
  for (size_t i = 0; i < 40; ++i) out.push_back(std::move(g[i * 8]));
  return out;
}

TaggerParams small_params() {
  TaggerParams p;
  p.hash_bits = 16;
  p.folds = 3;
  p.seed = 5;
  return p;
}

}  // namespace

// Held out: the odd notes of handwritten4.txt (a set the rules were never tuned on), scored by a
// model trained on the small set plus the even notes. The model must add recall on names, dates
// and identifiers together, with all-type precision of the union >= 0.80 (the recall-first
// thresholds' aim, docs/text-deid.md); and the recall-first thresholds must find at least what
// F_beta's find.
TEST(Tagger, BeatsRulesOnHeldOutNotes) {
  auto train = small_training_set();
  std::vector<AnnotatedNote> held;
  const auto h4 = notes_of("handwritten4");
  for (size_t i = 0; i < h4.size(); ++i) (i % 2 ? held : train).push_back(h4[i]);
  const auto m = std::make_shared<const TaggerModel>(train_tagger(rules(), train, small_params()));
  TaggerParams fb = small_params();
  fb.recall = 0;
  const auto mf = std::make_shared<const TaggerModel>(train_tagger(rules(), train, fb));
  const DeidScores r = evaluate_deid(rules(), held), u = evaluate_deid(rules().with_model(m), held),
                   ub = evaluate_deid(rules().with_model(mf), held);
  auto floor_types = [](const DeidScores& s) {
    TypeScore t;
    for (PhiType p : {PhiType::kName, PhiType::kDate, PhiType::kId}) {
      t.gold_tokens += s.by_type[static_cast<int>(p)].gold_tokens;
      t.gold_found += s.by_type[static_cast<int>(p)].gold_found;
    }
    return t;
  };
  const TypeScore rf = floor_types(r), uf = floor_types(u);
  std::printf("held-out notes: NAME+DATE+ID recall %.3f -> %.3f, all-type precision %.3f -> %.3f\n", rf.recall(),
              uf.recall(), r.all.precision(), u.all.precision());
  EXPECT_GT(uf.gold_found, rf.gold_found + 5) << "rules " << rf.recall() << ", rules + model " << uf.recall();
  EXPECT_GE(u.all.precision(), 0.80) << "rules " << r.all.precision();
  for (int t = 0; t < kPhiTypes; ++t) EXPECT_GE(u.by_type[t].gold_found, r.by_type[t].gold_found) << t;
  const TypeScore bf = floor_types(ub);
  std::printf("F_beta thresholds: NAME+DATE+ID recall %.3f, all-type precision %.3f\n", bf.recall(), ub.all.precision());
  EXPECT_GE(uf.gold_found, bf.gold_found);
}

