#include "medgen/tabular/mst.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// g in {a, b, c} uniform; h is g's partner (a-x, b-y, c-z) 90% of the time, else uniform;
// v ~ U(0, 100), missing 10% of the time, independent of the rest.
struct Fixture {
  Table table;
  Schema schema;
};

Fixture paired(size_t n, uint64_t seed) {
  Fixture f;
  ColumnSchema id{"id", ColumnType::kIdentifier};
  ColumnSchema g{"g", ColumnType::kCategorical};
  g.values = {"a", "b", "c"};
  ColumnSchema h{"h", ColumnType::kCategorical};
  h.values = {"x", "y", "z"};
  ColumnSchema v{"v", ColumnType::kNumerical};
  v.decimals = 2;
  v.min = 0;
  v.max = 100;
  f.schema.columns = {id, g, h, v};
  Rng rng(seed);
  Column cg = Column::strings("g", n, g.values), ch = Column::strings("h", n, h.values), cv = Column::numbers("v", n);
  for (size_t r = 0; r < n; ++r) {
    cg.codes[r] = static_cast<int32_t>(rng.below(3));
    ch.codes[r] = rng.uniform() < 0.9 ? cg.codes[r] : static_cast<int32_t>(rng.below(3));
    if (rng.uniform() >= 0.1) {
      cv.values[r] = std::round(rng.uniform() * 1e4) / 100;
      cv.valid[r] = 1;
    }
  }
  f.table.columns = {synthetic_identifiers(id, n), cg, ch, cv};
  return f;
}

std::unique_ptr<Synthesizer> fitted(const Fixture& f, double epsilon, uint64_t seed = 3) {
  auto s = create_synthesizer("mst", json{{"epsilon", epsilon}, {"delta", 1e-9}});
  Context ctx;
  ctx.seed = seed;
  s->fit(f.table, f.schema, ctx);
  return s;
}

// Share of rows with h the partner of g.
double agreement(const Table& t) {
  const Column& g = t.column("g");
  const Column& h = t.column("h");
  size_t same = 0;
  for (size_t r = 0; r < t.num_rows(); ++r) same += g.codes[r] >= 0 && g.codes[r] == h.codes[r];
  return static_cast<double>(same) / static_cast<double>(t.num_rows());
}

TEST(Mst, LargeEpsilonRecoversThePairAndTheMarginals) {
  const Fixture f = paired(3000, 1);
  auto s = fitted(f, 1e4);
  const auto& mst = dynamic_cast<const MstSynthesizer&>(*s);
  bool has_gh = false;
  for (const auto& [p, c] : mst.edges()) has_gh = has_gh || (p == 1 && c == 2) || (p == 2 && c == 1);
  EXPECT_TRUE(has_gh);
  Context ctx;
  ctx.seed = 5;
  const Table syn = s->sample(6000, {}, ctx);
  EXPECT_NEAR(agreement(syn), 0.9 + 0.1 / 3, 0.03);
  const Column& v = syn.column("v");
  EXPECT_NEAR(static_cast<double>(v.count_missing()) / 6000, 0.1, 0.02);
  double sum = 0;
  for (size_t r = 0; r < syn.num_rows(); ++r)
    if (v.valid[r]) {
      EXPECT_GE(v.values[r], 0);
      EXPECT_LE(v.values[r], 100);
      sum += v.values[r];
    }
  EXPECT_NEAR(sum / static_cast<double>(6000 - v.count_missing()), 50, 3);
}

// At tiny epsilon the pair's measurement is noise: the estimate is shrunk to the product of
// the margins and the dependence is gone (a partner 1/3 of the time under independence).
TEST(Mst, TinyEpsilonApproachesIndependence) {
  const Fixture f = paired(3000, 1);
  for (uint64_t seed : {3, 4, 5}) {
    auto s = fitted(f, 0.01, seed);
    Context ctx;
    ctx.seed = 5;
    EXPECT_LT(agreement(s->sample(6000, {}, ctx)), 0.5) << "seed " << seed;
  }
}

TEST(Mst, ModelFileRoundTripsAndIsDeterministic) {
  const Fixture f = paired(1000, 2);
  auto s = fitted(f, 3);
  EXPECT_EQ(test::model_digest(*s), test::model_digest(*fitted(f, 3)));
  EXPECT_NE(test::model_digest(*s), test::model_digest(*fitted(f, 3, 4)));
  LoadedModel m = load_model_bytes(test::model_bytes(*s), "model");
  EXPECT_EQ(m.synthesizer->name(), "mst");
  EXPECT_EQ(m.header["summary"]["privacy"]["epsilon"], 3.0);
  EXPECT_EQ(m.header["summary"]["privacy"]["delta"], 1e-9);
  Context ctx;
  ctx.seed = 9;
  EXPECT_EQ(to_csv(s->sample(500, {}, ctx), f.schema), to_csv(m.synthesizer->sample(500, {}, ctx), f.schema));
}

TEST(Mst, ConditionsAreExact) {
  const Fixture f = paired(3000, 1);
  auto s = fitted(f, 1e4);
  Context ctx;
  const Table syn = s->sample(2000, {{"h", "y"}}, ctx);
  size_t b = 0;
  for (size_t r = 0; r < syn.num_rows(); ++r) {
    EXPECT_EQ(syn.column("h").codes[r], 1);
    b += syn.column("g").codes[r] == 1;
  }
  EXPECT_GT(b, 1700u);  // P(g = b | h = y) = 0.933 / (0.933 + 2 * 0.033) ~ 0.93
}

TEST(Mst, BadParameters) {
  for (const json& p : {json{{"epsilon", 0}}, json{{"epsilon", -1}}, json{{"delta", 0}}, json{{"delta", 1}},
                        json{{"bins", 0}}, json{{"colour", 1}}}) {
    try {
      create_synthesizer("mst", p);
      ADD_FAILURE() << p.dump();
    } catch (const InvalidInput& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos);
      EXPECT_NE(what.find(p.begin().key()), std::string::npos) << what;
    }
  }
  // A numeric column without bounds: the bins would have to come from the data.
  Fixture f = paired(100, 1);
  f.schema.columns[3].max = std::numeric_limits<double>::quiet_NaN();
  auto s = create_synthesizer("mst", json::object());
  EXPECT_THROW(s->fit(f.table, f.schema, Context{}), InvalidInput);
}

TEST(Mst, CorruptedStateIsRefused) {
  const Fixture f = paired(300, 2);
  auto s = fitted(f, 1);
  json state;
  std::string payload;
  s->save_state(&state, &payload);
  json bad = state;
  bad["nodes"][1]["prob"][0] = -0.5;
  auto t = create_synthesizer("mst", s->params());
  EXPECT_THROW(t->restore(f.schema, bad, ""), ModelFormat);
  bad = state;
  bad["nodes"][0]["parent"] = 1;
  EXPECT_THROW(t->restore(f.schema, bad, ""), ModelFormat);
  bad = state;
  bad["nodes"].erase(2);
  EXPECT_THROW(t->restore(f.schema, bad, ""), ModelFormat);
  EXPECT_NO_THROW(t->restore(f.schema, state, ""));
}

// Through the CLI: a bad budget is one line on stderr and exit code 2.
TEST(Mst, CliRefusesABadBudget) {
  test::TempDir dir;
  std::ofstream(dir.file("t.csv")) << "a,b\n1,x\n2,y\n3,x\n";
  for (const std::string flags : {"--epsilon 0", "--epsilon -2", "--delta 1", "--delta 0"}) {
    const std::string cmd = std::string(MEDGEN_CLI) + " fit " + dir.file("t.csv") + " -s mst " + flags + " -o " +
                            dir.file("m.medgen") + " 2>" + dir.file("err.txt");
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 2) << flags;
    const std::string err = read_file(dir.file("err.txt"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find(flags.substr(2, 5)), std::string::npos) << err;
  }
}

}  // namespace
