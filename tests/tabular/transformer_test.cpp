#include "medgen/tabular/transformer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "medgen/core/error.h"

namespace medgen::tabular {
namespace {

constexpr size_t kRows = 3000;

double round_to(double v, int decimals) {
  const double p = std::pow(10.0, decimals);
  return std::round(v * p) / p;
}

// A mixed table: continuous (9 decimals), integer, numeric with missing, a categorical with
// missing, a boolean, a 300-level categorical, an identifier and a text column.
struct Fixture {
  Table table;
  Schema schema;
};

ColumnSchema column_schema(const std::string& name, ColumnType type) {
  ColumnSchema cs;
  cs.name = name;
  cs.type = type;
  return cs;
}

void set_range(ColumnSchema& cs, const Column& c) {
  cs.min = INFINITY;
  cs.max = -INFINITY;
  for (size_t r = 0; r < c.size(); ++r)
    if (c.valid[r]) cs.min = std::min(cs.min, c.values[r]), cs.max = std::max(cs.max, c.values[r]);
}

Fixture make_fixture(uint64_t seed) {
  Rng rng(seed);
  Fixture f;
  {
    Column c = Column::numbers("lab", kRows);
    for (size_t r = 0; r < kRows; ++r) {
      const double u = rng.uniform();
      const double v = u < 0.6 ? -3.0 + 0.7 * rng.normal() : 4.0 + 1.5 * rng.normal();
      c.values[r] = round_to(v, 9);
      c.valid[r] = 1;
    }
    ColumnSchema cs = column_schema("lab", ColumnType::kNumerical);
    cs.decimals = 9;
    set_range(cs, c);
    f.table.columns.push_back(c);
    f.schema.columns.push_back(cs);
  }
  {
    Column c = Column::numbers("age", kRows);
    for (size_t r = 0; r < kRows; ++r) {
      c.values[r] = std::round(rng.uniform() < 0.5 ? 30 + 6 * rng.normal() : 70 + 5 * rng.normal());
      c.valid[r] = 1;
    }
    ColumnSchema cs = column_schema("age", ColumnType::kNumerical);
    cs.integer = true;
    set_range(cs, c);
    f.table.columns.push_back(c);
    f.schema.columns.push_back(cs);
  }
  {
    Column c = Column::numbers("bmi", kRows);
    for (size_t r = 0; r < kRows; ++r) {
      if (rng.uniform() < 0.1) continue;
      c.values[r] = round_to(25.0 + 4.0 * rng.normal(), 9);
      c.valid[r] = 1;
    }
    ColumnSchema cs = column_schema("bmi", ColumnType::kNumerical);
    cs.decimals = 9;
    set_range(cs, c);
    f.table.columns.push_back(c);
    f.schema.columns.push_back(cs);
  }
  {
    // Table dictionary in a different order than the schema values, with an unused label.
    Column c = Column::strings("ward", kRows, {"icu", "unused_label_ok", "ed", "gen"});
    const int32_t codes[] = {0, 2, 3};
    for (size_t r = 0; r < kRows; ++r) c.codes[r] = rng.uniform() < 0.05 ? -1 : codes[rng.below(3)];
    c.dictionary[1] = "gen";  // duplicate label in the table's dictionary maps to the same level
    ColumnSchema cs = column_schema("ward", ColumnType::kCategorical);
    cs.values = {"ed", "gen", "icu"};
    f.table.columns.push_back(c);
    f.schema.columns.push_back(cs);
  }
  {
    Column c = Column::strings("smoker", kRows, {"no", "yes"});
    for (size_t r = 0; r < kRows; ++r) c.codes[r] = rng.uniform() < 0.3 ? 1 : 0;
    ColumnSchema cs = column_schema("smoker", ColumnType::kBoolean);
    cs.values = {"no", "yes"};
    f.table.columns.push_back(c);
    f.schema.columns.push_back(cs);
  }
  {
    ColumnSchema cs = column_schema("dx", ColumnType::kCategorical);
    for (int i = 0; i < 300; ++i) cs.values.push_back("dx" + std::to_string(i));
    Column c = Column::strings("dx", kRows, cs.values);
    for (size_t r = 0; r < kRows; ++r) {
      // Skewed: low codes frequent, long tail.
      const double u = rng.uniform();
      c.codes[r] = static_cast<int32_t>(std::min(299.0, std::floor(300.0 * u * u * u)));
    }
    f.table.columns.push_back(c);
    f.schema.columns.push_back(cs);
  }
  {
    ColumnSchema cs = column_schema("patient_id", ColumnType::kIdentifier);
    cs.id_prefix = "P";
    cs.id_width = 5;
    Column c = Column::strings("patient_id", kRows, {});
    for (size_t r = 0; r < kRows; ++r) {
      c.dictionary.push_back("P" + std::to_string(r));
      c.codes[r] = static_cast<int32_t>(r);
    }
    f.table.columns.push_back(c);
    f.schema.columns.push_back(cs);
  }
  {
    ColumnSchema cs = column_schema("notes", ColumnType::kText);
    Column c = Column::strings("notes", kRows, {"free text"});
    std::fill(c.codes.begin(), c.codes.end(), 0);
    f.table.columns.push_back(c);
    f.schema.columns.push_back(cs);
  }
  return f;
}

TransformerParams default_params() {
  TransformerParams p;
  p.max_categories = 100;
  return p;
}

TEST(DataTransformer, SpansAreConsistentAndRowsAreOneHot) {
  const Fixture f = make_fixture(1);
  DataTransformer tr;
  Rng rng(5);
  tr.fit(f.table, f.schema, default_params(), rng);
  size_t pos = 0;
  for (const Span& s : tr.spans()) {
    EXPECT_EQ(s.start, pos);
    EXPECT_GE(s.width, 1u);
    if (s.kind == SpanKind::kScalar) {
      EXPECT_EQ(s.width, 1u);
    }
    ASSERT_GE(s.column, 0);
    const ColumnType t = f.schema.columns[static_cast<size_t>(s.column)].type;
    EXPECT_NE(t, ColumnType::kText);
    EXPECT_NE(t, ColumnType::kIdentifier);
    pos += s.width;
  }
  EXPECT_EQ(pos, tr.output_dim());

  // Expected layout: lab (value, mode), age (value, mode), bmi (value, mode, null),
  // ward (3 levels + missing), smoker (2), dx (99 kept + other).
  ASSERT_EQ(tr.spans().size(), 10u);
  EXPECT_EQ(tr.spans()[6].role, Span::Role::kNull);
  EXPECT_EQ(tr.spans()[6].width, 2u);
  EXPECT_EQ(tr.spans()[7].width, 4u);
  EXPECT_EQ(tr.spans()[8].width, 2u);
  EXPECT_EQ(tr.spans()[9].width, 100u);

  const std::vector<float> out = tr.transform(f.table, rng);
  ASSERT_EQ(out.size(), kRows * tr.output_dim());
  for (size_t r = 0; r < kRows; ++r) {
    const float* row = out.data() + r * tr.output_dim();
    for (const Span& s : tr.spans()) {
      if (s.kind == SpanKind::kScalar) {
        EXPECT_TRUE(std::isfinite(row[s.start]));
        EXPECT_LE(std::fabs(row[s.start]), 5.0f);  // 20 sd from the drawn mode: never here
      } else {
        float sum = 0.0f;
        for (size_t i = 0; i < s.width; ++i) {
          EXPECT_TRUE(row[s.start + i] == 0.0f || row[s.start + i] == 1.0f);
          sum += row[s.start + i];
        }
        EXPECT_EQ(sum, 1.0f);
      }
    }
  }
}

TEST(DataTransformer, RoundTrip) {
  const Fixture f = make_fixture(2);
  DataTransformer tr;
  Rng rng(6);
  tr.fit(f.table, f.schema, default_params(), rng);
  const std::vector<float> out = tr.transform(f.table, rng);
  const Table back = tr.inverse_transform(out.data(), kRows, rng);

  // Non-text columns, in schema order.
  ASSERT_EQ(back.num_cols(), 7u);
  ASSERT_EQ(back.num_rows(), kRows);
  const char* names[] = {"lab", "age", "bmi", "ward", "smoker", "dx", "patient_id"};
  for (size_t c = 0; c < 7; ++c) EXPECT_EQ(back.columns[c].name, names[c]);

  // Numerics: value spans in schema order are spans 0, 2, 4.
  const size_t value_span[] = {0, 2, 4};
  for (size_t c = 0; c < 3; ++c) {
    SCOPED_TRACE(names[c]);
    const Column& a = f.table.columns[c];
    const Column& b = back.columns[c];
    const size_t vpos = tr.spans()[value_span[c]].start;
    size_t beyond = 0;
    for (size_t r = 0; r < kRows; ++r) {
      ASSERT_EQ(a.valid[r], b.valid[r]) << "row " << r;
      if (!a.valid[r]) continue;
      if (std::fabs(out[r * tr.output_dim() + vpos]) > 1.0f) ++beyond;
      EXPECT_NEAR(b.values[r], a.values[r], 1e-6 * std::max(1.0, std::fabs(a.values[r]))) << "row " << r;
      if (c == 1) {
        EXPECT_EQ(b.values[r], a.values[r]);  // integers exactly
      }
    }
    EXPECT_LT(beyond, kRows / 100);  // values past +-1 exist but are rare
  }

  // ward: table dictionary order differs from the schema; output codes are schema levels.
  {
    const Column& a = f.table.columns[3];
    const Column& b = back.columns[3];
    EXPECT_EQ(b.dictionary, f.schema.columns[3].values);
    for (size_t r = 0; r < kRows; ++r) {
      if (a.codes[r] < 0) {
        EXPECT_EQ(b.codes[r], -1);
      } else {
        ASSERT_GE(b.codes[r], 0);
        EXPECT_EQ(b.dictionary[static_cast<size_t>(b.codes[r])], a.dictionary[static_cast<size_t>(a.codes[r])]);
      }
    }
  }
  EXPECT_EQ(back.columns[4].codes, f.table.columns[4].codes);

  // dx: the 99 most frequent levels round-trip exactly; the rest map into the folded set,
  // and fit says so.
  ASSERT_EQ(tr.warnings().size(), 1u);
  EXPECT_NE(tr.warnings()[0].find("'dx'"), std::string::npos);
  {
    const Column& a = f.table.columns[5];
    const Column& b = back.columns[5];
    std::vector<int> freq(300, 0);
    for (int32_t code : a.codes) ++freq[static_cast<size_t>(code)];
    std::vector<int> order(300);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return freq[x] > freq[y]; });
    const std::set<int> kept(order.begin(), order.begin() + 99);
    size_t folded_rows = 0;
    std::set<int> folded_outputs;
    for (size_t r = 0; r < kRows; ++r) {
      if (kept.count(a.codes[r])) {
        EXPECT_EQ(b.codes[r], a.codes[r]);
      } else {
        ++folded_rows;
        EXPECT_EQ(kept.count(b.codes[r]), 0u) << "row " << r;
        EXPECT_GE(freq[static_cast<size_t>(b.codes[r])], 1);  // only seen levels are produced
        folded_outputs.insert(b.codes[r]);
      }
    }
    EXPECT_GT(folded_rows, 0u);
    EXPECT_GT(folded_outputs.size(), 1u);
  }

  // Identifiers are regenerated.
  const Column expected_ids = synthetic_identifiers(f.schema.columns[6], kRows);
  EXPECT_EQ(back.columns[6].storage, expected_ids.storage);
  EXPECT_EQ(back.columns[6].size(), kRows);
}

TEST(DataTransformer, InverseClipsAndRoundsNoisyInput) {
  const Fixture f = make_fixture(3);
  DataTransformer tr;
  Rng rng(7);
  tr.fit(f.table, f.schema, default_params(), rng);
  // Arbitrary generator-like output: values outside [-1, 1], soft spans.
  Rng noise(8);
  std::vector<float> data(200 * tr.output_dim());
  for (float& v : data) v = static_cast<float>(3.0 * noise.normal());
  const Table back = tr.inverse_transform(data.data(), 200, rng);
  const ColumnSchema& age = f.schema.columns[1];
  for (size_t r = 0; r < 200; ++r) {
    const double v = back.columns[1].values[r];
    EXPECT_EQ(v, std::round(v));
    EXPECT_GE(v, age.min);
    EXPECT_LE(v, age.max);
    EXPECT_TRUE(back.columns[0].valid[r]);  // no null span on "lab"
    EXPECT_GE(back.columns[4].codes[r], 0);  // no missing slot on "smoker"
  }
}


// The samplers turn each generated chunk into rows as it comes (DataTransformer::Inverse):
// uneven chunks give the very table the whole block gives, folded levels' draws and
// missing values and identifiers included.
TEST(DataTransformer, InverseInChunksIsTheWholeInverse) {
  const Fixture f = make_fixture(12);
  DataTransformer tr;
  Rng rng(13);
  tr.fit(f.table, f.schema, default_params(), rng);
  Rng noise(14);
  std::vector<float> data(kRows * tr.output_dim());
  for (float& v : data) v = static_cast<float>(2.0 * noise.normal());
  Rng r1(15), r2(15);
  const Table whole = tr.inverse_transform(data.data(), kRows, r1);
  DataTransformer::Inverse inv(tr, kRows, r2);
  size_t done = 0;
  for (size_t step = 1; done < kRows; step = step * 3 + 1) {
    const size_t m = std::min(step, kRows - done);
    inv.write(data.data() + done * tr.output_dim(), done, m);
    done += m;
  }
  const Table pieces = inv.finish();
  ASSERT_EQ(pieces.num_cols(), whole.num_cols());
  ASSERT_EQ(pieces.num_rows(), kRows);
  size_t folded_draws = 0;
  for (size_t c = 0; c < whole.num_cols(); ++c) {
    SCOPED_TRACE(whole.columns[c].name);
    EXPECT_EQ(pieces.columns[c].name, whole.columns[c].name);
    EXPECT_EQ(pieces.columns[c].storage, whole.columns[c].storage);
    EXPECT_EQ(pieces.columns[c].values, whole.columns[c].values);
    EXPECT_EQ(pieces.columns[c].valid, whole.columns[c].valid);
    EXPECT_EQ(pieces.columns[c].codes, whole.columns[c].codes);
    EXPECT_EQ(pieces.columns[c].dictionary, whole.columns[c].dictionary);
  }
  // The comparison covers the randomised and missing paths: rows drawn from dx's folded
  // levels (the slot several levels share) and missing bmi values.
  const std::vector<std::string>& dx = f.schema.columns[5].values;
  std::map<size_t, int> levels_per_slot;
  for (const std::string& v : dx) ++levels_per_slot[tr.category_slot("dx", v).slot];
  for (size_t r = 0; r < kRows; ++r) {
    const int32_t code = whole.columns[5].codes[r];
    if (code >= 0 && levels_per_slot[tr.category_slot("dx", dx[static_cast<size_t>(code)]).slot] > 1) ++folded_draws;
  }
  EXPECT_GT(folded_draws, 0u);
  EXPECT_GT(std::count(whole.columns[2].valid.begin(), whole.columns[2].valid.end(), 0), 0);
}
TEST(DataTransformer, JsonRoundTripGivesIdenticalOutput) {
  const Fixture f = make_fixture(4);
  DataTransformer tr;
  Rng rng(9);
  tr.fit(f.table, f.schema, default_params(), rng);
  const nlohmann::json j = tr.to_json();
  const DataTransformer copy = DataTransformer::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(copy.to_json(), j);
  EXPECT_EQ(copy.output_dim(), tr.output_dim());
  ASSERT_EQ(copy.spans().size(), tr.spans().size());
  Rng r1(10), r2(10);
  EXPECT_EQ(tr.transform(f.table, r1), copy.transform(f.table, r2));
  const std::vector<float> out = tr.transform(f.table, r1);
  Rng r3(11), r4(11);
  const Table a = tr.inverse_transform(out.data(), kRows, r3);
  const Table b = copy.inverse_transform(out.data(), kRows, r4);
  ASSERT_EQ(a.num_cols(), b.num_cols());
  for (size_t c = 0; c < a.num_cols(); ++c) {
    EXPECT_EQ(a.columns[c].values, b.columns[c].values);
    EXPECT_EQ(a.columns[c].valid, b.columns[c].valid);
    EXPECT_EQ(a.columns[c].codes, b.columns[c].codes);
  }
}

TEST(DataTransformer, FromJsonRejectsMalformedState) {
  const Fixture f = make_fixture(5);
  DataTransformer tr;
  Rng rng(1);
  tr.fit(f.table, f.schema, default_params(), rng);
  const nlohmann::json good = tr.to_json();
  auto broken = [&](auto edit) {
    nlohmann::json j = good;
    edit(j);
    return j;
  };
  EXPECT_THROW(DataTransformer::from_json(nlohmann::json::array()), ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j.erase("columns"); })), ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["format"] = "other"; })), ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["version"] = 99; })), ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["schema"] = 3; })), ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["params"]["max_categories"] = 1; })), ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["columns"][0]["modes"] = "x"; })), ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["columns"][0]["modes"][0][2] = -1.0; })),
               ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["columns"][0]["modes"] = nlohmann::json::array(); })),
               ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["columns"][3]["slot_level"][0] = 17; })),
               ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["columns"][5]["other_levels"].erase(0); })),
               ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["columns"].erase(1); })), ModelFormat);
  EXPECT_THROW(DataTransformer::from_json(broken([](auto& j) { j["columns"][1]["schema_index"] = 0; })), ModelFormat);
}

TEST(DataTransformer, UnknownLabelNamesColumnAndLabel) {
  Fixture f = make_fixture(6);
  f.table.columns[3].dictionary[2] = "surgery";  // code 2 is used by some rows
  DataTransformer tr;
  Rng rng(1);
  try {
    tr.fit(f.table, f.schema, default_params(), rng);
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("ward"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("surgery"), std::string::npos) << e.what();
  }
}

TEST(DataTransformer, MissingColumnAndWrongStorageAreInvalidInput) {
  Fixture f = make_fixture(7);
  DataTransformer tr;
  Rng rng(1);
  Fixture g = f;
  g.table.columns.erase(g.table.columns.begin() + 1);
  EXPECT_THROW(tr.fit(g.table, g.schema, default_params(), rng), InvalidInput);
  g = f;
  g.schema.columns[3].type = ColumnType::kNumerical;
  EXPECT_THROW(tr.fit(g.table, g.schema, default_params(), rng), InvalidInput);
  // Missing values at transform time in a column that had none at fit time.
  tr.fit(f.table, f.schema, default_params(), rng);
  g = f;
  g.table.columns[0].valid[3] = 0;
  EXPECT_THROW(tr.transform(g.table, rng), InvalidInput);
}

TEST(DataTransformer, ConstantAndAllMissingColumns) {
  Table t;
  Schema s;
  Column a = Column::numbers("const", 100);
  Column b = Column::numbers("empty", 100);
  for (size_t r = 0; r < 100; ++r) a.values[r] = 3.25, a.valid[r] = 1;
  t.columns = {a, b};
  ColumnSchema ca = column_schema("const", ColumnType::kNumerical);
  ca.decimals = 2;
  ca.min = ca.max = 3.25;
  ColumnSchema cb = column_schema("empty", ColumnType::kNumerical);
  s.columns = {ca, cb};
  DataTransformer tr;
  Rng rng(1);
  tr.fit(t, s, default_params(), rng);
  const std::vector<float> out = tr.transform(t, rng);
  const Table back = tr.inverse_transform(out.data(), 100, rng);
  for (size_t r = 0; r < 100; ++r) {
    EXPECT_EQ(back.columns[0].values[r], 3.25);
    EXPECT_FALSE(back.columns[1].valid[r]);
  }
}

TEST(DataTransformer, DeterministicGivenSeed) {
  const Fixture f = make_fixture(8);
  DataTransformer a, b;
  Rng ra(3), rb(3);
  a.fit(f.table, f.schema, default_params(), ra);
  b.fit(f.table, f.schema, default_params(), rb);
  EXPECT_EQ(a.to_json(), b.to_json());
  EXPECT_EQ(a.transform(f.table, ra), b.transform(f.table, rb));
}

TEST(TransformerParams, ValidateRejectsAbsurdValues) {
  EXPECT_NO_THROW(TransformerParams{}.validate());
  TransformerParams p;
  p.max_categories = 1;
  EXPECT_THROW(p.validate(), InvalidInput);
  p = TransformerParams{};
  p.gmm.max_components = 0;
  EXPECT_THROW(p.validate(), InvalidInput);
  p = TransformerParams{};
  p.gmm.weight_threshold = 1.5;
  EXPECT_THROW(p.validate(), InvalidInput);
  p = TransformerParams{};
  p.gmm.tol = 0.0;
  EXPECT_THROW(p.validate(), InvalidInput);
  // fit validates too.
  const Fixture f = make_fixture(9);
  DataTransformer tr;
  Rng rng(1);
  p = TransformerParams{};
  p.gmm.max_iter = 0;
  EXPECT_THROW(tr.fit(f.table, f.schema, p, rng), InvalidInput);
}

}  // namespace
}  // namespace medgen::tabular
