#include "medgen/tabular/pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "medgen/core/error.h"
#include "test_util.h"

using namespace medgen;
using namespace medgen::tabular;

namespace {

std::string fit_pbc(const test::TempDir& dir) {
  FitRequest fr;
  fr.input = test::data_dir() + "/pbc.csv";
  fr.output = dir.file("pbc.medgen");
  fr.reproducible = true;
  fit_model(fr, Context{});
  return fr.output;
}

}  // namespace

TEST(Pipeline, ChunkedSamplingWritesExactlyNRowsWithUniqueIds) {
  test::TempDir dir;
  SampleRequest sr;
  sr.model = fit_pbc(dir);
  sr.rows = 1050;
  sr.conditions = {{"sex", "m"}};
  Context ctx;
  ASSERT_EQ(sample_to_csv(sr, ctx, dir.file("s.csv"), 100), 1050u);
  const auto loaded = test::load(dir.file("s.csv"));
  ASSERT_EQ(loaded.table.num_rows(), 1050u);
  const Column& sex = loaded.table.column("sex");
  for (size_t i = 0; i < sex.size(); ++i) ASSERT_EQ(sex.dictionary[static_cast<size_t>(sex.codes[i])], "m");
  // ids 1..n, unique across chunks (the id column is re-inferred as an identifier).
  EXPECT_EQ(loaded.schema.column("id").type, ColumnType::kIdentifier);
  EXPECT_EQ(loaded.table.column("id").dictionary.size(), 1050u);
  // No temporary file is left next to the output.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) files += e.path().filename() == "s.csv" ? 1 : 0;
  EXPECT_EQ(files, 1u);
}

TEST(Pipeline, ChunkedBalanceIsExact) {
  test::TempDir dir;
  SampleRequest sr;
  sr.model = fit_pbc(dir);
  sr.rows = 1001;
  sr.balance = "sex";
  ASSERT_EQ(sample_to_csv(sr, Context{}, dir.file("b.csv"), 64), 1001u);
  const auto loaded = test::load(dir.file("b.csv"));
  std::map<std::string, int> counts;
  const Column& sex = loaded.table.column("sex");
  for (int32_t c : sex.codes) ++counts[sex.dictionary[static_cast<size_t>(c)]];
  EXPECT_EQ(counts["f"], 501);
  EXPECT_EQ(counts["m"], 500);
}

TEST(Pipeline, OneChunkMatchesInMemorySampling) {
  test::TempDir dir;
  SampleRequest sr;
  sr.model = fit_pbc(dir);
  sr.rows = 300;
  Context ctx;
  ctx.seed = 5;
  Schema schema;
  const Table t = sample_model(sr, ctx, &schema);
  sample_to_csv(sr, ctx, dir.file("one.csv"));
  EXPECT_EQ(read_file(dir.file("one.csv")), to_csv(t, schema));
}

TEST(Pipeline, FailedSamplingLeavesNoFile) {
  test::TempDir dir;
  SampleRequest sr;
  sr.model = fit_pbc(dir);
  sr.rows = 10;
  sr.conditions = {{"sex", "unknown"}};
  EXPECT_THROW(sample_to_csv(sr, Context{}, dir.file("x.csv")), InvalidInput);
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.csv")));
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    EXPECT_EQ(e.path().filename().string().find("x.csv"), std::string::npos) << e.path();
}

TEST(Pipeline, InMemoryModelSamplesTheSameBytesAsItsFile) {
  test::TempDir dir;
  SampleRequest sr;
  sr.model = fit_pbc(dir);
  sr.rows = 250;
  sr.balance = "sex";
  Context ctx;
  ctx.seed = 11;
  sample_to_csv(sr, ctx, dir.file("file.csv"), 64);
  const LoadedModel m = load_model(sr.model);
  SampleRequest mem = sr;
  mem.model = dir.file("no-such-file.medgen");  // not read
  sample_to_csv(*m.synthesizer, mem, ctx, dir.file("mem.csv"), 64);
  EXPECT_EQ(read_file(dir.file("mem.csv")), read_file(dir.file("file.csv")));
}

// Sharded sampling: the shards' files, concatenated in shard order with the headers after
// the first dropped, are the one-process file byte for byte (seeds and identifiers follow
// the chunk, not the process), for shard counts that do and do not divide the chunks, with
// --balance, and with more shards than chunks (a shard with the header alone).
TEST(Pipeline, ShardsConcatenateToTheOneProcessFile) {
  test::TempDir dir;
  SampleRequest sr;
  sr.model = fit_pbc(dir);
  Context ctx;
  ctx.seed = 3;
  for (const std::string balance : {"", "sex"}) {
    sr.balance = balance;
    sr.rows = 1001;
    sr.shards = 1;
    sr.shard = 0;
    sample_to_csv(sr, ctx, dir.file("all.csv"), 100);
    const std::string all = read_file(dir.file("all.csv"));
    const std::string header = all.substr(0, all.find('\n') + 1);
    for (size_t shards : {2, 3, 7, 16}) {
      std::string joined;
      size_t rows = 0;
      for (size_t k = 0; k < shards; ++k) {
        sr.shards = shards;
        sr.shard = k;
        const std::string f = dir.file("s" + std::to_string(k) + ".csv");
        rows += sample_to_csv(sr, ctx, f, 100);
        const std::string text = read_file(f);
        ASSERT_EQ(text.substr(0, header.size()), header) << "shard " << k << " of " << shards;
        joined += k == 0 ? text : text.substr(header.size());
      }
      EXPECT_EQ(rows, 1001u) << shards;
      EXPECT_EQ(joined, all) << "balance '" << balance << "', " << shards << " shards";
    }
  }
  sr.shards = 2;
  sr.shard = 2;
  EXPECT_THROW(sample_to_csv(sr, ctx, dir.file("bad.csv"), 100), InvalidInput);
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.csv")));
}
