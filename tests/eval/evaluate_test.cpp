// Whole-report properties on tables whose answers are known: identical tables, independently
// shuffled columns, copies of the training rows, fresh samples from the generating process,
// and utility on pbc.
#include "medgen/eval/evaluate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/eval/gate.h"
#include "medgen/tabular/synthesizer.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::eval;
using json = nlohmann::ordered_json;

namespace {

Table take(const Table& t, const std::vector<size_t>& rows) {
  Table out;
  for (const Column& c : t.columns) {
    Column n = c.storage == Storage::kNumber ? Column::numbers(c.name, rows.size())
                                             : Column::strings(c.name, rows.size(), c.dictionary);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (c.storage == Storage::kNumber) {
        n.values[i] = c.values[rows[i]];
        n.valid[i] = c.valid[rows[i]];
      } else {
        n.codes[i] = c.codes[rows[i]];
      }
    }
    out.columns.push_back(std::move(n));
  }
  return out;
}

// Every column permuted on its own: each column's values are kept, every relation between
// columns is destroyed.
Table shuffle_columns(const Table& t, uint64_t seed) {
  Rng rng(seed);
  Table out = t;
  for (Column& c : out.columns) {
    const size_t n = c.size();
    for (size_t i = n; i-- > 1;) {
      const size_t j = rng.below(i + 1);
      if (c.storage == Storage::kNumber) {
        std::swap(c.values[i], c.values[j]);
        std::swap(c.valid[i], c.valid[j]);
      } else {
        std::swap(c.codes[i], c.codes[j]);
      }
    }
  }
  return out;
}

// A known generating process: three correlated continuous columns (one with missing values)
// and two categories that depend on them. Each seed is a fresh, independent sample.
void generated(size_t rows, uint64_t seed, Table* t, Schema* s) {
  Rng rng(seed);
  t->columns = {Column::numbers("a", rows), Column::numbers("b", rows), Column::numbers("c", rows),
                Column::strings("g", rows, {"x", "y", "z"}), Column::strings("flag", rows, {"0", "1"})};
  s->columns.assign(5, ColumnSchema{});
  const char* names[] = {"a", "b", "c", "g", "flag"};
  for (size_t i = 0; i < 5; ++i) s->columns[i].name = names[i];
  s->columns[3].type = ColumnType::kCategorical;
  s->columns[3].values = {"x", "y", "z"};
  s->columns[4].type = ColumnType::kBoolean;
  s->columns[4].values = {"0", "1"};
  for (size_t r = 0; r < rows; ++r) {
    const double z1 = rng.normal(), z2 = rng.normal();
    t->columns[0].values[r] = 10 + 2 * z1;
    t->columns[1].values[r] = std::exp(0.5 * (0.8 * z1 + 0.6 * z2));
    t->columns[2].values[r] = 100 * rng.uniform() + 20 * z2;
    t->columns[0].valid[r] = t->columns[1].valid[r] = 1;
    t->columns[2].valid[r] = rng.uniform() > 0.1;
    t->columns[3].codes[r] = z1 + 0.5 * rng.normal() < -0.5 ? 0 : (z2 > 0.3 ? 1 : 2);
    t->columns[4].codes[r] = z1 + z2 + rng.normal() > 0;
  }
}

Context ctx_seed(uint64_t seed) {
  Context c;
  c.seed = seed;
  return c;
}

double num(const json& j) { return j.get<double>(); }

}  // namespace

TEST(Evaluate, HandMadeTableScoresByHand) {
  // Numeric column: real {1,2,3,4} vs synthetic {3,4,5,6}: KS 1/2 -> shape 0.5. Categorical:
  // real (a,a,b,b) vs synthetic (a,b,b,b): TVD 1/4 -> shape 0.75. Column shapes = 0.625.
  // The one pair is mixed: number bins (real deciles of {1,2,3,4}: cuts 2, 3, 4 -> bins 0..3)
  // against the category. Real pairs (bin,level): (0,a) (1,a) (2,b) (3,b); synthetic values
  // 3,4,5,6 fall in bins 2,3,3,3 with levels a,b,b,b: (2,a) (3,b) (3,b) (3,b). Shares: real 1/4
  // on each of its four cells; synthetic 1/4 on (2,a), 3/4 on (3,b). TVD = ½ (1/4 + 1/4 + 1/4
  // + 1/4 + 1/4 + 2/4) = 3/4 (cells (0,a) (1,a) (2,b) lose 1/4 each, (2,a) gains 1/4, (3,b)
  // gains 2/4) -> pair score 1/4. Quality = (0.625 + 0.25) / 2 = 0.4375.
  Schema s;
  s.columns = {ColumnSchema{}, ColumnSchema{}};
  s.columns[0].name = "n";
  s.columns[1].name = "c";
  s.columns[1].type = ColumnType::kCategorical;
  s.columns[1].values = {"a", "b"};
  auto make = [](std::vector<double> v, std::vector<int32_t> codes) {
    Table t;
    t.columns = {Column::numbers("n", v.size()), Column::strings("c", codes.size(), {"a", "b"})};
    for (size_t i = 0; i < v.size(); ++i) {
      t.columns[0].values[i] = v[i];
      t.columns[0].valid[i] = 1;
      t.columns[1].codes[i] = codes[i];
    }
    return t;
  };
  const Table real = make({1, 2, 3, 4}, {0, 0, 1, 1}), syn = make({3, 4, 5, 6}, {0, 1, 1, 1});
  EvalOptions o;
  o.detection = false;
  const json r = evaluate(real, syn, nullptr, s, o, ctx_seed(1));
  const json& cols = r["fidelity"]["column_shapes"]["columns"];
  EXPECT_DOUBLE_EQ(num(cols[0]["score"]), 0.5);
  EXPECT_DOUBLE_EQ(num(cols[1]["score"]), 0.75);
  EXPECT_DOUBLE_EQ(num(r["summary"]["column_shapes"]), 0.625);
  EXPECT_DOUBLE_EQ(num(r["summary"]["pair_trends"]), 0.25);
  EXPECT_DOUBLE_EQ(num(r["summary"]["quality"]), 0.4375);
  // Exact copies: synthetic rows (3,a) (4,b) (5,b) (6,b) against real (1,a) (2,a) (3,b) (4,b):
  // only (4,b) is a copy -> 1/4.
  EXPECT_DOUBLE_EQ(num(r["summary"]["exact_copy_rate"]), 0.25);
}

TEST(Evaluate, IdenticalTablesScoreOneAndCannotBeDetected) {
  Table t;
  Schema s;
  generated(3000, 11, &t, &s);
  EvalOptions o;
  o.detection_rows = 1500;
  const json r = evaluate(t, t, nullptr, s, o, ctx_seed(2));
  EXPECT_DOUBLE_EQ(num(r["summary"]["column_shapes"]), 1.0);
  EXPECT_DOUBLE_EQ(num(r["summary"]["pair_trends"]), 1.0);
  EXPECT_DOUBLE_EQ(num(r["summary"]["quality"]), 1.0);
  for (const json& m : r["fidelity"]["detection"]["models"]) EXPECT_NEAR(num(m["auc"]), 0.5, 0.06) << m.dump();
  EXPECT_GT(num(r["summary"]["detection_score"]), 0.85);
  EXPECT_DOUBLE_EQ(num(r["summary"]["exact_copy_rate"]), 1.0);
}

TEST(Evaluate, ShuffledColumnsKeepShapesButLosePairTrends) {
  const test::Loaded pbc = test::load(test::data_dir() + "/pbc.csv");
  const Table shuffled = shuffle_columns(pbc.table, 5);
  EvalOptions o;
  o.detection = false;
  const json same = evaluate(pbc.table, pbc.table, nullptr, pbc.schema, o, ctx_seed(3));
  const json r = evaluate(pbc.table, shuffled, nullptr, pbc.schema, o, ctx_seed(3));
  // A permutation keeps every column's multiset of values: the shapes are exactly 1.
  EXPECT_DOUBLE_EQ(num(r["summary"]["column_shapes"]), 1.0);
  // pbc's strong pairs (bilirubin with copper, stage with albumin, ...) are gone.
  EXPECT_LT(num(r["summary"]["pair_trends"]), num(same["summary"]["pair_trends"]) - 0.03);
  double worst = 1;
  for (const json& p : r["fidelity"]["pair_trends"]["pairs"]) worst = std::min(worst, num(p["score"]));
  EXPECT_LT(worst, 0.85);
  EXPECT_LT(num(r["summary"]["quality"]), 1.0);
}

TEST(Evaluate, CopiesOfTheTrainingRowsAreCaughtAndFailTheGate) {
  Table train, hold;
  Schema s, hs;
  generated(2000, 21, &train, &s);
  generated(2000, 22, &hold, &hs);
  EvalOptions o;
  o.quasi = {"a", "g"};
  o.sensitive = {"flag"};
  const json r = evaluate(train, train, &hold, s, o, ctx_seed(4));
  const json& sm = r["summary"];
  EXPECT_DOUBLE_EQ(num(sm["exact_copy_rate"]), 1.0);
  EXPECT_GT(num(sm["excess_exact_copy_rate"]), 0.99);
  EXPECT_DOUBLE_EQ(num(sm["dcr_median_synthetic"]), 0.0);
  EXPECT_GT(num(sm["dcr_median_holdout"]), 0.0);
  // Members sit at distance 0 from a synthetic row, non-members do not.
  EXPECT_GT(num(sm["membership_auc"]), 0.9);
  EXPECT_GT(num(sm["share_closer_to_train"]), 0.9);
  // The attacker reads every sensitive value off the copy.
  EXPECT_DOUBLE_EQ(num(r["privacy"]["attribute_inference"]["columns"][0]["accuracy_from_synthetic"]), 1.0);
  const GateResult g = apply_gate(r, Gate{});
  EXPECT_FALSE(g.passed);
  std::string all;
  for (const auto& f : g.failures()) all += f + "\n";
  EXPECT_NE(all.find("max_membership_auc 0.6"), std::string::npos) << all;
  EXPECT_NE(all.find("max_exact_copy_rate 0"), std::string::npos) << all;
  EXPECT_NE(all.find("max_share_closer_to_train 0.6"), std::string::npos) << all;
}

TEST(Evaluate, FreshSamplesFromTheTrueProcessPassTheGate) {
  Table train, hold, syn;
  Schema s, hs, ss;
  generated(2000, 31, &train, &s);
  generated(2000, 32, &hold, &hs);
  generated(2000, 33, &syn, &ss);
  EvalOptions o;
  o.target = "flag";
  const json r = evaluate(train, syn, &hold, s, o, ctx_seed(5));
  const json& sm = r["summary"];
  EXPECT_GT(num(sm["quality"]), 0.9);
  EXPECT_DOUBLE_EQ(num(sm["exact_copy_rate"]), 0.0);
  EXPECT_NEAR(num(sm["membership_auc"]), 0.5, 0.08);
  EXPECT_NEAR(num(sm["share_closer_to_train"]), 0.5, 0.08);
  EXPECT_NEAR(num(sm["utility_ratio"]), 1.0, 0.08);
  EXPECT_GT(num(sm["detection_score"]), 0.8);
  const GateResult g = apply_gate(r, Gate{});
  EXPECT_TRUE(g.passed) << g.to_json().dump(1);
}

TEST(Evaluate, UtilityOnPbcStatusWithTheCopula) {
  const test::Loaded pbc = test::load(test::data_dir() + "/pbc.csv");
  std::vector<size_t> a, b;
  for (size_t i = 0; i < pbc.table.num_rows(); ++i) (i % 3 == 2 ? b : a).push_back(i);
  const Table train = take(pbc.table, a), hold = take(pbc.table, b);
  auto copula = tabular::create_synthesizer("copula");
  Context ctx = ctx_seed(6);
  copula->fit(train, pbc.schema, ctx);
  const Table syn = copula->sample(train.num_rows(), {}, ctx);
  // The copula's output leaves out nothing here (pbc has no text column) but renumbers ids.
  ASSERT_EQ(syn.num_cols(), train.num_cols());
  EvalOptions o;
  o.target = "status";
  const json r = evaluate(train, syn, &hold, pbc.schema, o, ctx);
  const json& u = r["utility"];
  EXPECT_EQ(u["task"], "classification");  // status 0/1/2 is a label, not a quantity
  EXPECT_EQ(u["classes"], 3);
  EXPECT_EQ(num(u["rows"]["test_holdout"]), static_cast<double>(hold.num_rows()));
  // Real data predicts death/transplant from the labs well above chance; the copula's rows
  // keep most of that.
  EXPECT_GT(num(u["best_trtr"]), 0.7);
  EXPECT_GT(num(u["ratio"]), 0.8);
  EXPECT_LT(num(u["ratio"]), 1.2);
  // A numeric target is a regression.
  o.target = "albumin";
  const json rr = evaluate(train, syn, &hold, pbc.schema, o, ctx);
  EXPECT_EQ(rr["utility"]["task"], "regression");
  EXPECT_TRUE(rr["utility"]["models"][1]["trtr"]["r2"].is_number());
  EXPECT_GT(num(rr["utility"]["models"][1]["trtr"]["mae"]), 0.0);
}

TEST(Evaluate, SameSeedSameNumbers) {
  Table train, hold, syn;
  Schema s, hs, ss;
  generated(800, 41, &train, &s);
  generated(800, 42, &hold, &hs);
  generated(800, 43, &syn, &ss);
  EvalOptions o;
  o.target = "g";
  auto strip = [](json r) {
    r.erase("timings_seconds");
    r["fidelity"].erase("shapes_trends_seconds");
    r["fidelity_ceiling"].erase("shapes_trends_seconds");
    for (json* sec : {&r["fidelity"]["detection"], &r["fidelity_ceiling"]["detection"], &r["utility"]})
      for (json& m : (*sec)["models"]) m.erase("seconds");
    return r.dump();
  };
  EXPECT_EQ(strip(evaluate(train, syn, &hold, s, o, ctx_seed(9))),
            strip(evaluate(train, syn, &hold, s, o, ctx_seed(9))));
}

TEST(Evaluate, SpearmanIgnoresMonotoneTransforms) {
  // Real y = x³, synthetic y = x on the same x: the ranks agree exactly, Pearson's r does not
  // (for standard normal x, r = E[x⁴] / sd(x³) = 3 / √15 ≈ 0.775), so only the Pearson pair score drops.
  Rng rng(12);
  const size_t n = 2000;
  Table real, syn;
  real.columns = {Column::numbers("x", n), Column::numbers("y", n)};
  syn = real;
  for (size_t i = 0; i < n; ++i) {
    const double x = rng.normal();
    real.columns[0].values[i] = syn.columns[0].values[i] = x;
    real.columns[1].values[i] = x * x * x;
    syn.columns[1].values[i] = x;
    for (Table* t : {&real, &syn}) t->columns[0].valid[i] = t->columns[1].valid[i] = 1;
  }
  Schema s;
  s.columns.resize(2);
  s.columns[0].name = "x";
  s.columns[1].name = "y";
  EvalOptions o;
  o.detection = false;
  const json pearson = evaluate(real, syn, nullptr, s, o, ctx_seed(1));
  o.spearman = true;
  const json spearman = evaluate(real, syn, nullptr, s, o, ctx_seed(1));
  EXPECT_DOUBLE_EQ(num(spearman["summary"]["pair_trends"]), 1.0);
  EXPECT_EQ(spearman["fidelity"]["pair_trends"]["pairs"][0]["metric"], "spearman");
  const double r = num(pearson["fidelity"]["pair_trends"]["pairs"][0]["real"]);
  EXPECT_NEAR(r, 0.77, 0.05);
  EXPECT_NEAR(num(pearson["summary"]["pair_trends"]), 1 - (1 - r) / 2, 1e-9);
}

TEST(Evaluate, BadOptionsAreInvalidInput) {
  Table train, hold;
  Schema s, hs;
  generated(100, 51, &train, &s);
  generated(100, 52, &hold, &hs);
  auto run = [&](EvalOptions o, const Table* h) { return evaluate(train, train, h, s, o, ctx_seed(1)); };
  EvalOptions o;
  o.target = "nope";
  EXPECT_THROW(run(o, &hold), InvalidInput);
  o.target = "a";
  EXPECT_THROW(run(o, nullptr), InvalidInput);  // utility needs a holdout
  o = EvalOptions{};
  o.sensitive = {"a"};
  EXPECT_THROW(run(o, &hold), InvalidInput);  // sensitive without quasi
  o.quasi = {"a"};
  EXPECT_THROW(run(o, &hold), InvalidInput);  // the same column on both sides
  o = EvalOptions{};
  o.folds = 1;
  EXPECT_THROW(run(o, &hold), InvalidInput);
  // Tables typed by different schemas (columns in another order, or one short) are refused,
  // not misread.
  Table swapped = train, shorter = train;
  std::swap(swapped.columns[0], swapped.columns[1]);
  shorter.columns.pop_back();
  EXPECT_THROW(evaluate(train, swapped, nullptr, s, EvalOptions{}, ctx_seed(1)), InvalidInput);
  EXPECT_THROW(evaluate(train, shorter, nullptr, s, EvalOptions{}, ctx_seed(1)), InvalidInput);
}

TEST(Evaluate, DetectionAucFirstInTheSummaryBesideTheHoldouts) {
  Table train, hold, syn;
  Schema s, hs, ss;
  generated(1500, 61, &train, &s);
  generated(1500, 62, &hold, &hs);
  generated(1500, 63, &syn, &ss);
  EvalOptions o;
  o.detection_rows = 1000;
  const json r = evaluate(train, syn, &hold, s, o, ctx_seed(7));
  const json& sm = r["summary"];
  EXPECT_EQ(sm.begin().key(), "detection_auc");
  // The boosted trees' AUC, beside the same detector's on the holdout, and their difference.
  EXPECT_DOUBLE_EQ(num(sm["detection_auc"]), num(r["fidelity"]["detection"]["models"][1]["auc"]));
  EXPECT_EQ(r["fidelity"]["detection"]["models"][1]["model"], "xgboost");
  EXPECT_DOUBLE_EQ(num(sm["detection_auc_holdout"]), num(r["fidelity_ceiling"]["detection"]["auc"]));
  EXPECT_NEAR(num(sm["detection_auc_margin"]),
              num(sm["detection_auc"]) - std::max(0.5, num(sm["detection_auc_holdout"])), 1e-12);
  // A fresh sample of the true process is as hard to spot as the holdout: the opt-in margin passes.
  EXPECT_LT(num(sm["detection_auc"]), 0.6);
  Gate g;
  g.max_detection_auc_margin = 0.05;
  EXPECT_TRUE(apply_gate(r, g).passed) << apply_gate(r, g).to_json().dump(1);
  // Without a holdout there is no margin: the check needs one (like the privacy checks).
  const json n = evaluate(train, syn, nullptr, s, o, ctx_seed(7));
  EXPECT_TRUE(n["summary"]["detection_auc"].is_number());
  EXPECT_TRUE(n["summary"]["detection_auc_margin"].is_null());
  g.require_holdout = false;
  g.max_membership_auc = g.max_share_closer_to_train = std::nullopt;
  EXPECT_TRUE(apply_gate(n, g).passed);
}

TEST(Evaluate, DetectionHintsRankTheBrokenColumnFirstAndTheMarginFails) {
  Table train, hold, syn;
  Schema s, hs, ss;
  generated(1500, 71, &train, &s);
  generated(1500, 72, &hold, &hs);
  generated(1500, 73, &syn, &ss);
  // Break one column: c loses its tails (squeezed towards its median); everything else is a
  // fresh sample of the true process.
  Column& c = syn.columns[2];
  for (size_t r = 0; r < c.size(); ++r) c.values[r] = 50 + 0.4 * (c.values[r] - 50);
  EvalOptions o;
  o.detection_rows = 1000;
  const json r = evaluate(train, syn, &hold, s, o, ctx_seed(8));
  const json& sm = r["summary"];
  EXPECT_GT(num(sm["detection_auc_margin"]), 0.15) << sm.dump();
  const json& hints = r["fidelity"]["detection"]["hints"];
  ASSERT_TRUE(hints.is_object()) << r["fidelity"]["detection"].dump();
  ASSERT_EQ(hints["columns"].size(), 5u);
  EXPECT_EQ(hints["columns"][0]["name"], "c") << hints.dump(1);
  EXPECT_GT(num(hints["columns"][0]["importance"]), 0.5) << hints.dump(1);
  EXPECT_TRUE(hints["telling"].get<bool>());  // far more than two standard errors above the holdout's AUC
  double total = 0;
  for (const json& col : hints["columns"]) total += num(col["importance"]);
  EXPECT_NEAR(total, 1.0, 1e-9);
  // The worst region of c is a tail the squeezed column no longer reaches (or its crowded middle).
  const json& reg = hints["columns"][0]["region"];
  EXPECT_GT(std::fabs(num(reg["synthetic_share"]) - num(reg["real_share"])), 0.05) << reg.dump();
  // The opt-in margin fails, naming both AUCs; the holdout would have passed it.
  Gate g;
  g.max_detection_auc_margin = 0.1;
  const GateResult gr = apply_gate(r, g);
  ASSERT_FALSE(gr.passed);
  EXPECT_EQ(gr.failures()[0].rfind("detection_auc ", 0), 0u) << gr.failures()[0];
  EXPECT_NE(gr.failures()[0].find("> max_detection_auc_margin 0.1"), std::string::npos) << gr.failures()[0];
  const json hr = evaluate(train, hold, &hold, s, o, ctx_seed(8));  // the holdout judged as if synthetic
  EXPECT_LT(num(hr["summary"]["detection_auc"]), num(sm["detection_auc"]) - 0.15);
}

TEST(Evaluate, DetectionHintsNameThePairWhoseRelationIsBroken) {
  Table train, hold;
  Schema s, hs;
  generated(1500, 81, &train, &s);
  generated(1500, 82, &hold, &hs);
  // a and b keep their own distributions but lose their relation (b permuted on its own).
  Table syn = hold;
  Rng rng(83);
  Column& b = syn.columns[1];
  for (size_t i = b.size(); i-- > 1;) std::swap(b.values[i], b.values[rng.below(i + 1)]);
  Table fresh;
  Schema fs;
  generated(1500, 84, &fresh, &fs);
  EvalOptions o;
  o.detection_rows = 1000;
  const json r = evaluate(train, syn, &fresh, s, o, ctx_seed(9));
  const json& pairs = r["fidelity"]["detection"]["hints"]["pairs"];
  ASSERT_FALSE(pairs.empty());
  const json& top = pairs[0];
  EXPECT_TRUE(top["a"] == "b" || top["b"] == "b") << pairs.dump(1);
  EXPECT_TRUE(top["pair_score"].is_number());
  EXPECT_TRUE(top["region"]["a"].is_string() && top["region"]["b"].is_string());
}

TEST(Evaluate, TablesInMemoryLoadLikeTheirFiles) {
  const std::string path = test::data_dir() + "/pbc.csv";
  const RawTable raw = read_csv(path);
  // The synthetic side: every other row, with a label the real table lacks (widened, noted).
  RawTable syn;
  syn.source = "<synthetic>";
  syn.names = raw.names;
  const int sex = [&] {
    for (size_t c = 0; c < raw.names.size(); ++c)
      if (raw.names[c] == "sex") return static_cast<int>(c);
    return -1;
  }();
  ASSERT_GE(sex, 0);
  for (size_t r = 0; r < raw.num_rows(); r += 2) {
    std::vector<std::string> fields;
    for (size_t c = 0; c < raw.num_cols(); ++c) fields.emplace_back(raw.field(r, c));
    if (r == 0) fields[static_cast<size_t>(sex)] = "x";
    syn.append_row(std::vector<std::string_view>(fields.begin(), fields.end()), r + 2);
  }
  const EvalData mem = load_eval_data(raw, syn, nullptr, nullptr);
  EXPECT_EQ(mem.real_path, path);
  EXPECT_EQ(mem.synthetic_path, "<synthetic>");
  EXPECT_FALSE(mem.has_holdout);
  EXPECT_EQ(mem.synthetic.num_rows(), (raw.num_rows() + 1) / 2);
  const Column& s = mem.synthetic.column("sex");
  EXPECT_EQ(s.dictionary[static_cast<size_t>(s.codes[0])], "x");
  EXPECT_TRUE(std::any_of(mem.warnings.begin(), mem.warnings.end(),
                          [](const std::string& w) { return w.find("<synthetic>: column 'sex'") == 0; }));
  // A file and its table in memory give the same typed tables.
  const EvalData files = load_eval_data(EvalFiles{path, path, "", ""});
  const EvalData same = load_eval_data(raw, raw, nullptr, nullptr);
  EXPECT_EQ(to_csv(same.real, same.schema), to_csv(files.real, files.schema));
  RawTable empty;
  empty.source = "<empty>";
  empty.names = raw.names;
  EXPECT_THROW(load_eval_data(raw, empty, nullptr, nullptr), InvalidInput);
}
