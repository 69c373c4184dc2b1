// Multi-table synthesis: constraints that always hold (keys resolve, times within the
// timeline, statics constant), save/load, determinism; on pbc + pbcseq, cgd and a long table.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/core/rng.h"
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

// y = sin(2 pi x) + noise: a dependence with no linear correlation, which a Gaussian copula
// cannot learn (it draws y almost independently of x). The detector filter learns where the
// copula's rows are too many and keeps fewer of them there, so the synthetic patients move
// towards the real curve; the filter travels in the model file, validated on load.
TEST(RecordSynthesizer, DetectorFilterPullsPatientsTowardsTheRealJoint) {
  TempDir dir;
  {
    std::ofstream f(dir.file("p.csv"));
    f << "id,x,y\n";
    Rng rng(11);
    for (int i = 0; i < 800; ++i) {
      const double x = rng.uniform();
      f << "P" << i << "," << x << "," << std::sin(6.283185307179586 * x) + 0.15 * rng.normal() << "\n";
    }
  }
  const Dataset real = load(dir.path);
  Context ctx;
  ctx.seed = 5;
  auto off_curve = [](const Dataset& d) {
    const Table& t = d.table("p");
    const Column &x = t.column("x"), &y = t.column("y");
    double s = 0;
    for (size_t r = 0; r < t.num_rows(); ++r) s += std::fabs(y.values[r] - std::sin(6.283185307179586 * x.values[r]));
    return s / static_cast<double>(t.num_rows());
  };
  RecordOptions plain = independent(), filtered = independent(), trees = independent();
  plain.synthesizer = filtered.synthesizer = "copula";
  filtered.parent_filter = "detector";
  RecordSynthesizer a, b, c;
  a.fit(real, plain, ctx);
  b.fit(real, filtered, ctx);
  c.fit(real, trees, ctx);  // the default patients' synthesizer, cart, without a filter
  const double before = off_curve(a.sample(2000, ctx)), after = off_curve(b.sample(2000, ctx));
  EXPECT_GT(before, 0.5);  // the copula's y barely depends on x (real rows: about 0.12)
  EXPECT_LT(after, 0.8 * before) << "before " << before << ", after " << after;
  EXPECT_LT(off_curve(c.sample(2000, ctx)), 0.2);  // the trees follow the curve themselves

  TempDir out;
  b.save(out.file("m.medgen"), {});
  EXPECT_EQ(csv_of(RecordSynthesizer::load(out.file("m.medgen")).sample(300, ctx)), csv_of(b.sample(300, ctx)));
  // A tree whose split points back up (a loop) is refused, not walked.
  ModelFile m = ModelFile::load(out.file("m.medgen"));
  nlohmann::json* part = nullptr;
  for (auto& p : m.header["parts"])
    if (p.contains("filter")) part = &p;
  ASSERT_NE(part, nullptr);
  auto& tree = (*part)["filter"]["trees"][0];
  ASSERT_GE(tree["feature"][0].get<int>(), 0);
  tree["yes"][0] = 0;
  EXPECT_THROW(RecordSynthesizer::load_bytes(m.serialize(), "damaged"), ModelFormat);
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
