// Multi-table synthesis: constraints that always hold (keys resolve, times within the
// timeline, statics constant), save/load, determinism; on pbc + pbcseq, cgd and a long table.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/records/dataset.h"
#include "medgen/records/synthesizer.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace medgen;
using namespace medgen::records;

using medgen::test::TempDir;

namespace {

const std::string kData = std::string(MEDGEN_SOURCE_DIR) + "/data/";


Dataset load(const std::string& folder) { return read_dataset(folder, infer_dataset(folder)); }

std::string csv_of(const Dataset& d) {
  std::string s;
  for (size_t t = 0; t < d.tables.size(); ++t) s += to_csv(d.tables[t], d.schema.tables[t].schema);
  return s;
}

RecordOptions independent() {
  RecordOptions o;
  o.sequence_model = "independent";
  return o;
}

// Written out and read back by the real schema: every data check of read_dataset holds.
void expect_valid(const Dataset& d) {
  TempDir dir;
  write_dataset(d, dir.path);
  EXPECT_NO_THROW(read_dataset(dir.path, d.schema));
}

}  // namespace

TEST(RecordSynthesizer, PbcWithVisitsKeepsEveryConstraint) {
  TempDir dir;
  fs::copy_file(kData + "pbc.csv", dir.file("pbc.csv"));
  fs::copy_file(kData + "pbcseq.csv", dir.file("pbcseq.csv"));
  const Dataset real = load(dir.path);
  Context ctx;
  ctx.seed = 3;
  RecordSynthesizer rs;
  rs.fit(real, independent(), ctx);
  const Dataset syn = rs.sample(150, ctx);
  EXPECT_EQ(syn.table("pbc").num_rows(), 150u);
  const Table& visits = syn.table("pbcseq");
  EXPECT_GT(visits.num_rows(), 150u);  // real patients have 6.2 visits on average
  expect_valid(syn);
  // Every patient's visit count within what was seen.
  std::map<int32_t, size_t> per_patient;
  for (int32_t c : visits.column("id").codes) ++per_patient[c];
  for (auto& [k, n] : per_patient) EXPECT_LE(n, 16u);
  // Same seed, same bytes; chunked = whole for the same chunking.
  EXPECT_EQ(csv_of(rs.sample(150, ctx)), csv_of(syn));
  Context other = ctx;
  other.seed = 4;
  EXPECT_NE(csv_of(rs.sample(150, other)), csv_of(syn));
}

TEST(RecordSynthesizer, SaveLoadSamplesTheSame) {
  TempDir dir;
  fs::copy_file(kData + "pbc.csv", dir.file("pbc.csv"));
  fs::copy_file(kData + "pbcseq.csv", dir.file("pbcseq.csv"));
  const Dataset real = load(dir.path);
  Context ctx;
  RecordSynthesizer rs;
  rs.fit(real, independent(), ctx);
  TempDir out;
  rs.save(out.file("m.medgen"), {});
  nlohmann::json header;
  const RecordSynthesizer back = RecordSynthesizer::load(out.file("m.medgen"), &header);
  EXPECT_TRUE(RecordSynthesizer::is_records_header(header));
  EXPECT_EQ(csv_of(back.sample(60, ctx)), csv_of(rs.sample(60, ctx)));
}

TEST(RecordSynthesizer, ImplicitEntitiesOfOneFile) {
  TempDir dir;
  fs::copy_file(kData + "cgd.csv", dir.file("cgd.csv"));
  const Dataset real = load(dir.path);
  Context ctx;
  RecordSynthesizer rs;
  rs.fit(real, independent(), ctx);
  const Dataset syn = rs.sample(80, ctx);
  expect_valid(syn);
  std::set<int32_t> ids(syn.tables[0].column("id").codes.begin(), syn.tables[0].column("id").codes.end());
  EXPECT_LE(ids.size(), 80u);
  EXPECT_GE(ids.size(), 70u);  // entities with no event rows are possible only if the data had them
}

TEST(RecordSynthesizer, LongFormatMeasurements) {
  // pbcseq's labs as (id, day, test, value) rows.
  TempDir dir;
  fs::copy_file(kData + "pbc.csv", dir.file("pbc.csv"));
  const RawTable raw = read_csv(kData + "pbcseq.csv");
  std::string out = "id,day,test,value\n";
  size_t rows = 0;
  for (size_t r = 0; r < raw.num_rows(); ++r)
    for (const char* test : {"bili", "albumin", "platelet"}) {
      const size_t c = static_cast<size_t>(std::find(raw.names.begin(), raw.names.end(), test) - raw.names.begin());
      if (raw.field(r, c).empty()) continue;
      out += std::string(raw.field(r, 0)) + "," + std::string(raw.field(r, 6)) + "," + test + "," +
             std::string(raw.field(r, c)) + "\n";
      ++rows;
    }
  std::ofstream(dir.file("labs.csv")) << out;
  const DatasetSchema s = infer_dataset(dir.path);
  const TableSchema& labs = s.table("labs");
  ASSERT_TRUE(labs.is_long());
  EXPECT_EQ(labs.series_column, "test");
  EXPECT_EQ(labs.value_column, "value");
  const Dataset real = read_dataset(dir.path, s);
  Context ctx;
  RecordSynthesizer rs;
  rs.fit(real, independent(), ctx);
  const Dataset syn = rs.sample(100, ctx);
  expect_valid(syn);
  const Table& sl = syn.table("labs");
  ASSERT_GT(sl.num_rows(), 100u);
  // Each series keeps its own range.
  const Column& test = sl.column("test");
  const Column& value = sl.column("value");
  for (size_t r = 0; r < sl.num_rows(); ++r) {
    const std::string& t = test.dictionary[static_cast<size_t>(test.codes[r])];
    if (t == "albumin") EXPECT_LT(value.values[r], 10.0);
    if (t == "platelet") EXPECT_GT(value.values[r], 10.0);
  }
}
