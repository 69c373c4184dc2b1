// Dataset schemas: inference on real longitudinal data, strict JSON, data checks, files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/records/dataset.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace medgen;
using namespace medgen::records;

using medgen::test::TempDir;

namespace {

const std::string kData = std::string(MEDGEN_SOURCE_DIR) + "/data/";


void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// pbc (patients) and pbcseq (visits) in one folder.
std::string pbc_folder(const TempDir& dir) {
  fs::copy_file(kData + "pbc.csv", dir.file("pbc.csv"));
  fs::copy_file(kData + "pbcseq.csv", dir.file("pbcseq.csv"));
  return dir.path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Dataset, InfersPbcWithVisits) {
  TempDir dir;
  std::vector<std::string> notes;
  const DatasetSchema s = infer_dataset(pbc_folder(dir), {}, &notes);
  ASSERT_EQ(s.tables.size(), 2u);
  const TableSchema& pbc = s.table("pbc");
  const TableSchema& seq = s.table("pbcseq");
  EXPECT_EQ(pbc.primary_key, "id");
  EXPECT_TRUE(pbc.foreign_keys.empty());
  ASSERT_EQ(seq.foreign_keys.size(), 1u);
  EXPECT_EQ(seq.foreign_keys[0].parent, "pbc");
  EXPECT_EQ(seq.entity_key, "id");
  EXPECT_EQ(seq.time_column, "day");
  EXPECT_EQ(seq.end_column, "pbcseq.futime");
  for (const char* c : {"futime", "status", "trt", "age", "sex"})
    EXPECT_NE(std::find(seq.static_columns.begin(), seq.static_columns.end(), c), seq.static_columns.end()) << c;
  for (const char* c : {"bili", "albumin", "day"})
    EXPECT_EQ(std::find(seq.static_columns.begin(), seq.static_columns.end(), c), seq.static_columns.end()) << c;
  EXPECT_GE(notes.size(), 5u);  // every guess is said
  EXPECT_EQ(s.topological_order(), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(s.parent_of(1), 0);

  const Dataset d = read_dataset(dir.path, s);
  EXPECT_EQ(d.table("pbcseq").num_rows(), 1945u);
  EXPECT_EQ(d.num_entities(), 418u);
}

TEST(Dataset, InfersOneFileWithImplicitEntities) {
  TempDir dir;
  fs::copy_file(kData + "cgd.csv", dir.file("cgd.csv"));
  const DatasetSchema s = infer_dataset(dir.path);
  ASSERT_EQ(s.tables.size(), 1u);
  const TableSchema& t = s.tables[0];
  EXPECT_EQ(t.entity_key, "id");
  EXPECT_TRUE(t.foreign_keys.empty());
  EXPECT_EQ(t.time_column, "tstart");
  for (const char* c : {"center", "random", "treat", "sex", "age"})
    EXPECT_NE(std::find(t.static_columns.begin(), t.static_columns.end(), c), t.static_columns.end()) << c;
  const Dataset d = read_dataset(dir.path, s);
  EXPECT_EQ(d.num_entities(), 128u);
}

TEST(Dataset, JsonRoundTripIsExactAndStrict) {
  TempDir dir;
  const DatasetSchema s = infer_dataset(pbc_folder(dir));
  const auto j = s.to_json();
  const DatasetSchema back = DatasetSchema::from_json(nlohmann::json::parse(j.dump()), "x.json");
  EXPECT_EQ(back.to_json().dump(), j.dump());

  nlohmann::json bad = nlohmann::json::parse(j.dump());
  bad["tables"][1]["colour"] = 1;
  EXPECT_NE(error_of([&] { DatasetSchema::from_json(bad, "x.json"); }).find("x.json: tables[1]: unknown key 'colour'"),
            std::string::npos);
  bad = nlohmann::json::parse(j.dump());
  bad["tables"][1]["foreign_keys"][0]["parent"] = "nope";
  EXPECT_NE(error_of([&] { DatasetSchema::from_json(bad, "x.json"); }).find("tables[1].foreign_keys[0].parent"),
            std::string::npos);
  bad = nlohmann::json::parse(j.dump());
  bad["tables"][1]["time"]["column"] = "sex";
  EXPECT_NE(error_of([&] { DatasetSchema::from_json(bad, "x.json"); }).find("tables[1].time.column"), std::string::npos);
  // A cycle: pbc -> pbcseq -> pbc.
  bad = nlohmann::json::parse(j.dump());
  bad["tables"][1]["primary_key"] = "day";
  for (auto& c : bad["tables"][1]["columns"])
    if (c["name"] == "day") c = {{"name", "day"}, {"type", "identifier"}};
  bad["tables"][1]["time"].erase("column");
  bad["tables"][1].erase("time");
  bad["tables"][0]["foreign_keys"] = {{{"column", "id"}, {"parent", "pbcseq"}}};
  EXPECT_NE(error_of([&] { DatasetSchema::from_json(bad, "x.json"); }).find("cycle"), std::string::npos);
}

TEST(Dataset, DataChecksNameFileAndLine) {
  TempDir dir;
  write(dir.file("p.csv"), "pid,age\nP1,40\nP2,50\nP3,60\n");
  write(dir.file("v.csv"), "pid,day,hb,end\nP1,0,12.1,30\nP1,10,12.5,30\nP2,0,11,5\nP2,3,10,5\n");
  const DatasetSchema s = infer_dataset(dir.path);
  ASSERT_EQ(s.table("v").entity_key, "pid");
  EXPECT_EQ(s.table("v").end_column, "v.end");
  EXPECT_NO_THROW(read_dataset(dir.path, s));

  write(dir.file("v.csv"), "pid,day,hb,end\nP1,0,12.1,30\nP9,10,12.5,30\nP2,0,11,5\nP8,3,10,5\n");
  EXPECT_NE(error_of([&] { read_dataset(dir.path, s); }).find("v.csv:3: 2 dangling foreign keys: 'pid' = 'P9'"),
            std::string::npos);
  write(dir.file("v.csv"), "pid,day,hb,end\nP1,0,12.1,30\nP1,10,12.5,30\n,0,11,5\n");
  EXPECT_NE(error_of([&] { read_dataset(dir.path, s); }).find("v.csv:4: a row without its parent"), std::string::npos);
  write(dir.file("v.csv"), "pid,day,hb,end\nP1,0,12.1,30\nP1,40,12.5,30\n");
  EXPECT_NE(error_of([&] { read_dataset(dir.path, s); }).find("v.csv:3: time 'day' lies after the end"), std::string::npos);
  write(dir.file("v.csv"), "pid,day,hb,end\nP1,0,12.1,30\nP1,4,12.5,31\n");
  EXPECT_NE(error_of([&] { read_dataset(dir.path, s); }).find("static column 'end' changes"), std::string::npos);
  write(dir.file("v.csv"), "pid,day,hb,end\nP1,-1,12.1,30\n");
  EXPECT_NE(error_of([&] { read_dataset(dir.path, s); }).find("v.csv:2: time 'day' lies before"), std::string::npos);
  write(dir.file("v.csv"), "pid,day,hb,end\nP1,x,12.1,30\n");
  EXPECT_NE(error_of([&] { read_dataset(dir.path, s); }).find("v.csv:2:2:"), std::string::npos);
  write(dir.file("v.csv"), "pid,day,hb,end\nP1,0,12.1,30\n");
  write(dir.file("p.csv"), "pid,age\nP1,40\nP1,50\n");
  EXPECT_NE(error_of([&] { read_dataset(dir.path, s); }).find("p.csv:3: duplicate primary key 'P1' (first on line 2)"),
            std::string::npos);
}

TEST(Dataset, WriteAndReadBackIsExact) {
  TempDir dir;
  const DatasetSchema s = infer_dataset(pbc_folder(dir));
  const Dataset d = read_dataset(dir.path, s);
  TempDir out;
  const std::string folder = out.file("nested/ds");
  write_dataset(d, folder);
  for (const TableSchema& t : s.tables)
    EXPECT_EQ(read_file(folder + "/" + t.file), to_csv(d.table(t.name), t.schema)) << t.name;
  const Dataset back = read_dataset(folder, s);
  for (const TableSchema& t : s.tables)
    EXPECT_EQ(to_csv(back.table(t.name), t.schema), to_csv(d.table(t.name), t.schema));
  // Nothing left behind but the tables.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(folder)) files += e.is_regular_file();
  EXPECT_EQ(files, 2u);
}

TEST(Dataset, WriterWithoutCommitLeavesNothing) {
  TempDir dir;
  const DatasetSchema s = infer_dataset(pbc_folder(dir));
  const Dataset d = read_dataset(dir.path, s);
  TempDir out;
  {
    DatasetWriter w(s, out.path);
    w.append(d);
  }
  EXPECT_TRUE(fs::is_empty(out.path));
}
