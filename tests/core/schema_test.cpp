#include "medgen/core/schema.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "medgen/core/error.h"
#include "test_util.h"

using namespace medgen;
using json = nlohmann::json;

namespace {

RawTable parse(const std::string& text) { return parse_csv(text, "t.csv"); }

}  // namespace

TEST(Schema, InfersEveryRealDataset) {
  const auto paths = test::dataset_paths();
  ASSERT_GE(paths.size(), 11u);
  for (const std::string& p : paths) {
    SCOPED_TRACE(p);
    RawTable raw = read_csv(p);
    std::vector<std::string> warnings;
    Schema s = infer_schema(raw, {}, {}, &warnings);
    ASSERT_EQ(s.columns.size(), raw.num_cols());
    Table t = to_table(raw, s);
    EXPECT_EQ(t.num_rows(), raw.num_rows());
    // JSON round trip is exact.
    Schema back = Schema::from_json(json::parse(s.to_json().dump()));
    EXPECT_EQ(back.to_json().dump(), s.to_json().dump());
    for (const ColumnSchema& c : s.columns) {
      if (c.type == ColumnType::kNumerical) {
        EXPECT_LE(c.min, c.max) << c.name;
      }
      if (c.type == ColumnType::kBoolean) EXPECT_EQ(c.values.size(), 2u) << c.name;
    }
  }
}

TEST(Schema, InfersExpectedTypesOnPbc) {
  auto l = test::load(test::data_dir() + "/pbc.csv");
  const Schema& s = l.schema;
  EXPECT_EQ(s.column("id").type, ColumnType::kIdentifier);
  EXPECT_EQ(s.column("time").type, ColumnType::kNumerical);
  EXPECT_TRUE(s.column("time").integer);
  EXPECT_EQ(s.column("sex").type, ColumnType::kCategorical);
  EXPECT_EQ(s.column("ascites").type, ColumnType::kBoolean);
  EXPECT_EQ(s.column("bili").type, ColumnType::kNumerical);
  EXPECT_FALSE(s.column("bili").integer);
  EXPECT_EQ(s.column("bili").decimals, 1);
  EXPECT_DOUBLE_EQ(s.column("bili").min, 0.3);
  EXPECT_DOUBLE_EQ(s.column("bili").max, 28.0);
  // Missing values are kept, not rejected.
  EXPECT_GT(l.table.column("chol").count_missing(), 100u);
}

TEST(Schema, InfersDatetimesBooleansIdentifiersAndText) {
  std::string csv = "pid,admitted,seen,smoker,note,ward\n";
  const char* notes[] = {"patient reports mild chest pain after exercise", "no complaints at follow up visit today",
                         "referred by general practitioner for review", "fever and cough for three days now",
                         "stable, discharged home with medication", "allergic reaction to penicillin noted",
                         "sleeps poorly, advised on sleep hygiene", "blood pressure well controlled on therapy",
                         "new onset headache, neuro exam normal", "requests repeat prescription of inhaler",
                         "knee pain when climbing stairs, x-ray ordered", "diabetes review, HbA1c improving"};
  for (int i = 0; i < 12; ++i) {
    csv += "P" + std::string(i < 9 ? "00" : "0") + std::to_string(i + 1) + ",2024-0" + std::to_string(1 + i % 9) +
           "-1" + std::to_string(i % 10) + "," + std::to_string(10 + i) + "/0" + std::to_string(1 + i % 9) +
           "/2023," + (i % 3 ? "yes" : "no") + ",\"" + notes[i] + "\"," + (i % 2 ? "A" : "B") + "\n";
  }
  std::vector<std::string> warnings;
  Schema s = infer_schema(parse(csv), {}, {}, &warnings);
  EXPECT_EQ(s.column("pid").type, ColumnType::kIdentifier);
  EXPECT_EQ(s.column("pid").id_prefix, "P");
  EXPECT_EQ(s.column("pid").id_width, 3);
  EXPECT_EQ(s.column("admitted").type, ColumnType::kDatetime);
  EXPECT_EQ(s.column("admitted").datetime_format, "%Y-%m-%d");
  EXPECT_EQ(s.column("seen").type, ColumnType::kDatetime);
  EXPECT_EQ(s.column("seen").datetime_format, "%d/%m/%Y");  // day > 12 rules out month-first
  EXPECT_EQ(s.column("smoker").type, ColumnType::kBoolean);
  EXPECT_EQ(s.column("smoker").values, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(s.column("note").type, ColumnType::kText);
  EXPECT_EQ(s.column("ward").type, ColumnType::kCategorical);
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("free text"), std::string::npos);
  // Free text is not in the synthesizers' output columns.
  for (size_t i : output_columns(s)) EXPECT_NE(s.columns[i].name, "note");
}

TEST(Schema, DatetimeRoundTrip) {
  double sec = 0;
  ASSERT_TRUE(parse_datetime("2024-02-29T13:45:07", "%Y-%m-%dT%H:%M:%S", &sec));
  EXPECT_EQ(format_datetime(sec, "%Y-%m-%dT%H:%M:%S"), "2024-02-29T13:45:07");
  ASSERT_TRUE(parse_datetime("1969-12-31", "%Y-%m-%d", &sec));
  EXPECT_DOUBLE_EQ(sec, -86400.0);
  EXPECT_FALSE(parse_datetime("2023-02-29", "%Y-%m-%d", &sec));  // not a leap year
  EXPECT_FALSE(parse_datetime("2023-13-01", "%Y-%m-%d", &sec));
  EXPECT_FALSE(parse_datetime("2023-01-01x", "%Y-%m-%d", &sec));
}

TEST(Schema, StrictJsonNamesTheKey) {
  auto expect_error = [](const std::string& text, const std::string& fragment) {
    try {
      Schema::from_json(json::parse(text), "s.json");
      FAIL() << "no error for " << text;
    } catch (const InvalidInput& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error(R"({"columns":[{"name":"a","type":"numerical","colour":1}]})", "unknown key 'colour'");
  expect_error(R"({"columns":[{"name":"a","type":"numeric"}]})", "unknown column type 'numeric'");
  expect_error(R"({"columns":[],"extra":1})", "unknown key 'extra'");
  expect_error(R"({"columns":[{"name":"a","type":"boolean","values":["x"]}]})", "exactly 2");
  expect_error(R"({"columns":[{"name":"a","type":"numerical","min":"low"}]})", "'min' must be a number");
  expect_error(R"({"columns":[{"name":"a","type":"numerical"},{"name":"a","type":"text"}]})", "duplicate");
}

TEST(Schema, ConversionErrorsNameLineAndColumn) {
  RawTable raw = parse("a,b\n1,x\n2,y\nthree,z\n");
  Schema s;
  s.columns.push_back({"a", ColumnType::kNumerical});
  try {
    to_table(raw, s);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv:4:1"), std::string::npos) << e.what();
  }
  Schema missing;
  missing.columns.push_back({"nope", ColumnType::kNumerical});
  EXPECT_THROW(to_table(raw, missing), InvalidInput);
}

TEST(Schema, NonFiniteTextIsAnErrorUnlessDeclaredMissing) {
  const std::string text = "x,y\n1,a\nInf,b\n3,c\n";
  EXPECT_THROW(infer_schema(parse(text)), InvalidInput);
  CsvOptions csv;
  csv.missing_tokens.push_back("Inf");
  RawTable raw = parse_csv(text, "t.csv", csv);
  Schema s = infer_schema(raw, csv);
  EXPECT_EQ(s.column("x").type, ColumnType::kNumerical);
  EXPECT_EQ(to_table(raw, s, csv).column("x").count_missing(), 1u);
}

TEST(Schema, ConstantAndAllMissingColumnsAreHandled) {
  std::vector<std::string> warnings;
  Schema s = infer_schema(parse("c,m,v\n5,,1\n5,,2\n5,,3\n"), {}, {}, &warnings);
  EXPECT_EQ(s.column("c").type, ColumnType::kNumerical);
  EXPECT_EQ(s.column("c").min, 5.0);
  EXPECT_EQ(warnings.size(), 2u);
}

TEST(Schema, CsvOutputFollowsSchema) {
  RawTable raw = parse("d,x,n,s\n2024-01-05,1.25,3,\"a,b\"\n,,,\n");
  Schema s = infer_schema(raw);
  Table t = to_table(raw, s);
  EXPECT_EQ(to_csv(t, s), "d,x,n,s\n2024-01-05,1.25,3,\"a,b\"\n,,,\n");
}

// Found by the CSV fuzzer: a missing value in a one-column table was written as an empty line,
// and a trailing empty line is no row to a reader, so rows were lost on the round trip.
TEST(Schema, OneColumnMissingValuesSurviveTheRoundTrip) {
  RawTable raw = parse("x\n1\n\"\"\n2\n\"\"\n");
  Schema s = infer_schema(raw);
  Table t = to_table(raw, s);
  ASSERT_EQ(t.num_rows(), 4u);
  const std::string text = to_csv(t, s);
  EXPECT_EQ(text, "x\n1\n\"\"\n2\n\"\"\n");
  const Table back = to_table(parse_csv(text, "back.csv"), s);
  ASSERT_EQ(back.num_rows(), 4u);
  EXPECT_EQ(back.column("x").count_missing(), 2u);
}
