#include "medgen/tabular/cart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <set>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/core/rng.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;
using json = nlohmann::json;

namespace {

// A table whose columns interact in ways a Gaussian copula cannot express:
//   g in {a, b, c};  x ~ U(0, 10);  flag = (x > 5) XOR (g == a);
//   y = x if g == a else -x (plus noise);  m = x / 2, missing exactly when g == c.
struct Fixture {
  Table table;
  Schema schema;
};

Fixture interactions(size_t n, uint64_t seed) {
  Fixture f;
  ColumnSchema id{"id", ColumnType::kIdentifier};
  ColumnSchema g{"g", ColumnType::kCategorical};
  g.values = {"a", "b", "c", "never"};  // "never" is allowed by the schema, absent from the rows
  ColumnSchema x{"x", ColumnType::kNumerical};
  x.decimals = 4;
  x.min = 0;
  x.max = 10;
  ColumnSchema flag{"flag", ColumnType::kBoolean};
  flag.values = {"false", "true"};
  ColumnSchema y{"y", ColumnType::kNumerical};
  y.decimals = 4;
  y.min = -11;
  y.max = 11;
  ColumnSchema m{"m", ColumnType::kNumerical};
  m.decimals = 4;
  m.min = 0;
  m.max = 5;
  f.schema.columns = {id, g, x, flag, y, m};
  Rng rng(seed);
  Column cid = Column::strings("id", n, {});
  Column cg = Column::strings("g", n, {"a", "b", "c"});
  Column cx = Column::numbers("x", n), cy = Column::numbers("y", n), cm = Column::numbers("m", n);
  Column cf = Column::strings("flag", n, {"false", "true"});
  for (size_t r = 0; r < n; ++r) {
    cid.dictionary.push_back("p" + std::to_string(r));
    cid.codes[r] = static_cast<int32_t>(r);
    const int32_t k = static_cast<int32_t>(rng.below(3));
    const double v = std::round(rng.uniform() * 10 * 1e4) / 1e4;
    cg.codes[r] = k;
    cx.values[r] = v;
    cx.valid[r] = 1;
    cf.codes[r] = ((v > 5) != (k == 0)) ? 1 : 0;
    cy.values[r] = std::clamp(std::round(((k == 0 ? v : -v) + 0.05 * rng.normal()) * 1e4) / 1e4, -11.0, 11.0);
    cy.valid[r] = 1;
    cm.values[r] = v / 2;
    cm.valid[r] = k != 2;
  }
  f.table.columns = {cid, cg, cx, cf, cy, cm};
  return f;
}

// Shares of synthetic rows that keep each of the fixture's rules.
struct Rules {
  double flag = 0, sign = 0, missing = 0;
};
Rules rules(const Table& t) {
  const Column &g = t.column("g"), &x = t.column("x"), &flag = t.column("flag"), &y = t.column("y"), &m = t.column("m");
  Rules r;
  const double n = static_cast<double>(t.num_rows());
  for (size_t i = 0; i < t.num_rows(); ++i) {
    const bool is_a = g.dictionary[static_cast<size_t>(g.codes[i])] == "a";
    const bool is_c = g.dictionary[static_cast<size_t>(g.codes[i])] == "c";
    r.flag += (flag.dictionary[static_cast<size_t>(flag.codes[i])] == "true") == ((x.values[i] > 5) != is_a);
    r.sign += (is_a ? y.values[i] > -0.2 : y.values[i] < 0.2);
    r.missing += (m.valid[i] == 0) == is_c;
  }
  r.flag /= n;
  r.sign /= n;
  r.missing /= n;
  return r;
}

}  // namespace

// The trees learn an interaction (XOR), a sign flip by group and a missingness rule, each of
// which the copula (a baseline on the same rows) misses.
TEST(Cart, LearnsInteractionsTheCopulaMisses) {
  Fixture f = interactions(3000, 1);
  Context ctx;
  ctx.seed = 3;
  auto cart = create_synthesizer("cart");
  cart->fit(f.table, f.schema, ctx);
  const Rules rc = rules(cart->sample(4000, {}, ctx));
  EXPECT_GT(rc.flag, 0.95);
  EXPECT_GT(rc.sign, 0.97);
  EXPECT_GT(rc.missing, 0.99);
  auto copula = create_synthesizer("copula");
  copula->fit(f.table, f.schema, ctx);
  const Rules rb = rules(copula->sample(4000, {}, ctx));
  EXPECT_LT(rb.flag, 0.75);
  EXPECT_LT(rb.sign, 0.80);
  EXPECT_GT(rc.flag - rb.flag, 0.2);
}

// Without smoothing every value is a training value (a donor); with it the many-valued
// columns are not replayed exactly, yet stay within the schema's bounds and group shares hold.
TEST(Cart, DonorsAndSmoothing) {
  Fixture f = interactions(2000, 2);
  std::set<double> train(f.table.column("x").values.begin(), f.table.column("x").values.end());
  Context ctx;
  ctx.seed = 5;
  auto plain = create_synthesizer("cart", json{{"smoothing", "none"}});
  plain->fit(f.table, f.schema, ctx);
  const Table a = plain->sample(3000, {}, ctx);
  for (double v : a.column("x").values) ASSERT_TRUE(train.count(v)) << v;
  auto smooth = create_synthesizer("cart");
  smooth->fit(f.table, f.schema, ctx);
  const Table b = smooth->sample(3000, {}, ctx);
  size_t replayed = 0;
  for (size_t i = 0; i < b.num_rows(); ++i) {
    const double v = b.column("x").values[i];
    ASSERT_GE(v, 0);
    ASSERT_LE(v, 10);
    replayed += train.count(v);
  }
  EXPECT_LT(replayed, b.num_rows() / 10);
  EXPECT_GT(rules(b).sign, 0.95);
}

TEST(Cart, SameSeedSameRowsAndTheModelFileRoundTrips) {
  Fixture f = interactions(1500, 4);
  Context ctx;
  ctx.seed = 11;
  auto cart = create_synthesizer("cart");
  cart->fit(f.table, f.schema, ctx);
  const Table a = cart->sample(500, {}, ctx);
  const Table b = cart->sample(500, {}, ctx);
  LoadedModel m = load_model_bytes(test::model_bytes(*cart), "model");
  const Table c = m.synthesizer->sample(500, {}, ctx);
  for (const char* col : {"x", "y", "m"}) {
    EXPECT_EQ(a.column(col).values, b.column(col).values);
    EXPECT_EQ(a.column(col).values, c.column(col).values);
    EXPECT_EQ(a.column(col).valid, c.column(col).valid);
  }
  EXPECT_EQ(a.column("g").codes, c.column("g").codes);
  ctx.seed = 12;
  EXPECT_NE(a.column("x").values, cart->sample(500, {}, ctx).column("x").values);
  EXPECT_EQ(m.synthesizer->summary()["columns"], 5);
}

TEST(Cart, ConditionsHoldOnEveryRowAndRareOnesAreRefused) {
  Fixture f = interactions(2000, 6);
  Context ctx;
  ctx.seed = 2;
  auto cart = create_synthesizer("cart");
  cart->fit(f.table, f.schema, ctx);
  const Table t = cart->sample(700, {{"g", "b"}, {"flag", "true"}}, ctx);
  ASSERT_EQ(t.num_rows(), 700u);
  for (size_t i = 0; i < t.num_rows(); ++i) {
    ASSERT_EQ(t.column("g").dictionary[static_cast<size_t>(t.column("g").codes[i])], "b");
    ASSERT_EQ(t.column("flag").dictionary[static_cast<size_t>(t.column("flag").codes[i])], "true");
    ASSERT_GT(t.column("x").values[i], 4.9);  // flag true for b: x > 5
  }
  try {
    cart->sample(10, {{"g", "never"}}, ctx);
    ADD_FAILURE() << "sampled a value the model never saw";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("never saw"), std::string::npos) << e.what();
  }
  // A level seen once in 2,000 rows: 100,000 such rows would take 2e8 draws; refused with a
  // message instead of minutes of drawing.
  Fixture rare = interactions(2000, 7);
  Column& g = rare.table.columns[1];
  g.dictionary.push_back("never");
  g.codes[0] = 3;
  auto cart2 = create_synthesizer("cart", json{{"smoothing", "none"}});
  cart2->fit(rare.table, rare.schema, ctx);
  try {
    cart2->sample(100000, {{"g", "never"}}, ctx);
    ADD_FAILURE() << "a 1-in-2,000 level gave 100,000 rows";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("rejection"), std::string::npos) << e.what();
  }
}

TEST(Cart, CoarsePrivacyKeepsNoExactValues) {
  Fixture f = interactions(2000, 8);
  Context ctx;
  auto cart = create_synthesizer("cart", json{{"privacy", "coarse"}, {"min_leaf", 2}});
  cart->fit(f.table, f.schema, ctx);
  const json h = ModelFile::deserialize(test::model_bytes(*cart), "m").header;
  std::set<double> donors;
  for (const json& c : h["state"]["columns"])
    if (c["numeric"] == true && c["column"] == 2)
      for (double v : c["value"]["donors"]) donors.insert(v);
  EXPECT_LE(donors.size(), 201u);  // a grid of 1/200 of the range
  for (const json& c : h["state"]["columns"])
    for (const json& s : c.value("chain", json::array()))
      for (double q : s["prob"]) EXPECT_NEAR(q * 200, std::round(q * 200), 1e-9);
  EXPECT_EQ(cart->params()["min_leaf"], 2);  // the option as given; leaves still hold 5 rows
}

TEST(Cart, FitsEveryDatasetKeepingRangesAndMissingRates) {
  for (const std::string& path : test::dataset_paths()) {
    SCOPED_TRACE(path);
    auto real = test::load(path);
    Context ctx;
    ctx.seed = 1;
    auto cart = create_synthesizer("cart");
    cart->fit(real.table, real.schema, ctx);
    const Table syn = load_model_bytes(test::model_bytes(*cart), "m").synthesizer->sample(2000, {}, ctx);
    for (size_t oc : output_columns(real.schema)) {
      const ColumnSchema& cs = real.schema.columns[oc];
      if (cs.type == ColumnType::kIdentifier) continue;
      SCOPED_TRACE(cs.name);
      const Column &rc = real.table.column(cs.name), &sc = syn.column(cs.name);
      EXPECT_NEAR(static_cast<double>(sc.count_missing()) / sc.size(), static_cast<double>(rc.count_missing()) / rc.size(), 0.04);
      if (cs.type == ColumnType::kNumerical)
        for (size_t i = 0; i < sc.size(); ++i)
          if (sc.valid[i]) {
            ASSERT_GE(sc.values[i], cs.min);
            ASSERT_LE(sc.values[i], cs.max);
          }
    }
  }
}

// Model files are untrusted: each edit of a valid cart state is refused with ModelFormat
// naming the field, never a crash when sampling.
TEST(Cart, StateIsCheckedFieldByField) {
  Fixture f = interactions(800, 9);
  auto cart = create_synthesizer("cart");
  cart->fit(f.table, f.schema, Context{});
  const std::string bytes = test::model_bytes(*cart);
  auto first_split = [](json& tree) -> size_t {
    for (size_t i = 0; i < tree["feature"].size(); ++i)
      if (tree["feature"][i].get<int>() >= 0) return i;
    ADD_FAILURE() << "no split";
    return 0;
  };
  // columns[3] is y (after g, x, flag): its value tree splits on earlier columns.
  const std::vector<std::pair<std::string, std::function<void(json&)>>> cases = {
      {"unknown feature", [&](json& h) {
         json& t = h["state"]["columns"][3]["value"]["tree"];
         t["feature"][first_split(t)] = 3;  // y itself: not drawn yet
       }},
      {"child does not follow", [&](json& h) {
         json& t = h["state"]["columns"][3]["value"]["tree"];
         t["yes"][first_split(t)] = 0;
       }},
      {"leaf slots", [&](json& h) {
         json& t = h["state"]["columns"][3]["value"]["tree"];
         for (size_t i = 0; i < t["feature"].size(); ++i)
           if (t["feature"][i].get<int>() < 0) {
             t["value"][i] = 7.0;
             break;
           }
       }},
      {"offsets", [&](json& h) { h["state"]["columns"][3]["value"]["offsets"][1] = 0; }},
      {"donors", [&](json& h) { h["state"]["columns"][3]["value"]["donors"][0] = "x"; }},
      {"share outside", [&](json& h) { h["state"]["columns"][2]["chain"][0]["prob"][0] = 1.5; }},
      {"schema order", [&](json& h) { h["state"]["columns"][1]["column"] = h["state"]["columns"][0]["column"]; }},
      {"no model for column", [&](json& h) { h["state"]["columns"].erase(4); }},
      {"numeric", [&](json& h) { h["state"]["columns"][0]["numeric"] = true; }},
      {"rest_cum", [&](json& h) { h["state"]["columns"][0]["rest_cum"] = {1.5}; }},
      {"scale", [&](json& h) { h["state"]["columns"][1]["scale"] = 0.0; }},
      {"node arrays", [&](json& h) { h["state"]["columns"][1]["value"]["tree"]["yes"].erase(0); }},
  };
  for (const auto& [needle, edit] : cases) {
    SCOPED_TRACE(needle);
    ModelFile m = ModelFile::deserialize(bytes, "model");
    edit(m.header);
    try {
      load_model_bytes(m.serialize(), "model");
      ADD_FAILURE() << "accepted a corrupt model";
    } catch (const ModelFormat& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  }
}

// Median over `rows` of the record distance (as medgen evaluate's: |a - b| / range per number,
// 0/1 per label, capped at 1, summed) from each row of `q` to its closest row of `ref`.
double median_closest(const Table& q, const Table& ref, const Schema& schema) {
  std::vector<double> lo, range;
  for (const ColumnSchema& cs : schema.columns) {
    const Column& c = ref.columns[static_cast<size_t>(ref.find(cs.name))];
    double a = INFINITY, b = -INFINITY;
    if (c.storage == Storage::kNumber)
      for (size_t r = 0; r < c.size(); ++r)
        if (c.valid[r]) a = std::min(a, c.values[r]), b = std::max(b, c.values[r]);
    lo.push_back(a);
    range.push_back(b > a ? b - a : 1.0);
  }
  auto cell = [&](const Table& t, size_t k, size_t r, std::string* label) {
    const Column& c = t.columns[static_cast<size_t>(t.find(schema.columns[k].name))];
    if (c.storage == Storage::kNumber) return c.valid[r] ? (c.values[r] - lo[k]) / range[k] : NAN;
    *label = c.codes[r] >= 0 ? c.dictionary[static_cast<size_t>(c.codes[r])] : "";
    return 0.0;
  };
  std::vector<double> best;
  for (size_t i = 0; i < q.num_rows(); ++i) {
    double m = INFINITY;
    for (size_t j = 0; j < ref.num_rows(); ++j) {
      double s = 0;
      for (size_t k = 0; k < schema.columns.size(); ++k) {
        if (schema.columns[k].type == ColumnType::kIdentifier) continue;
        std::string la, lb;
        const double a = cell(q, k, i, &la), b = cell(ref, k, j, &lb);
        if (!la.empty() || !lb.empty())
          s += la == lb ? 0.0 : 1.0;
        else if (std::isnan(a) || std::isnan(b))
          s += std::isnan(a) && std::isnan(b) ? 0.0 : 1.0;
        else
          s += std::min(std::fabs(a - b), 1.0);
      }
      m = std::min(m, s);
    }
    best.push_back(m);
  }
  std::nth_element(best.begin(), best.begin() + static_cast<long>(best.size() / 2), best.end());
  return best[best.size() / 2];
}

// min_leaf 0 (the default) chooses the leaf size on an internal split of the training rows. On a
// real table the chosen size is larger than the smallest candidate, and it keeps the synthetic
// rows as far from the training rows as rows the model never saw are, which the smallest does not.
TEST(Cart, ChosenLeafSizeKeepsSyntheticRowsAsFarAsUnseenRows) {
  const test::Loaded d = test::load(test::data_dir() + "/gbsg2.csv");
  Rng rng(5);
  std::vector<size_t> perm(d.table.num_rows());
  std::iota(perm.begin(), perm.end(), 0);
  for (size_t i = perm.size() - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
  const size_t held = perm.size() / 5;
  std::vector<size_t> hold_rows(perm.begin(), perm.begin() + static_cast<long>(held));
  std::vector<size_t> train_rows(perm.begin() + static_cast<long>(held), perm.end());
  std::sort(train_rows.begin(), train_rows.end());
  const Table train = d.table.take(train_rows), holdout = d.table.take(hold_rows);
  Context ctx;
  ctx.seed = 9;
  auto chosen = create_synthesizer("cart", json::object());
  chosen->fit(train, d.schema, ctx);
  auto smallest = create_synthesizer("cart", json{{"min_leaf", 5}});
  smallest->fit(train, d.schema, ctx);
  const json summary = chosen->summary();
  ASSERT_TRUE(summary.contains("leaf_choice")) << summary.dump();
  const json& cands = summary["leaf_choice"]["candidates"];
  ASSERT_FALSE(cands.empty());
  EXPECT_EQ(summary["min_leaf"], cands.back()["min_leaf"]);
  EXPECT_GT(summary["min_leaf"].get<int>(), 5);
  for (size_t i = 0; i + 1 < cands.size(); ++i) EXPECT_FALSE(cands[i]["pass"].get<bool>()) << cands.dump();
  EXPECT_EQ(smallest->summary()["min_leaf"], 5);

  const double unseen = median_closest(holdout, train, d.schema);
  const double by_chosen = median_closest(chosen->sample(held, {}, ctx), train, d.schema);
  const double by_smallest = median_closest(smallest->sample(held, {}, ctx), train, d.schema);
  EXPECT_GT(by_chosen, by_smallest);
  EXPECT_GE(by_chosen, 0.95 * unseen) << "smallest " << by_smallest;
  EXPECT_LT(by_smallest, unseen);

  // The choice is part of the model: a reloaded model reports it, and the same seed chooses alike.
  auto again = create_synthesizer("cart", json::object());
  again->fit(train, d.schema, ctx);
  EXPECT_EQ(test::model_digest(*chosen), test::model_digest(*again));
}

TEST(Cart, BadOptionsAreRefused) {
  EXPECT_THROW(create_synthesizer("cart", json{{"min_leaf", -1}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("cart", json{{"smoothing", "kernel"}}), InvalidInput);
  EXPECT_THROW(create_synthesizer("cart", json{{"depth", 3}}), InvalidInput);
}
