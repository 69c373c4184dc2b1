#include "medgen/core/model_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "test_util.h"

using namespace medgen;

TEST(ModelFile, RoundTrip) {
  test::TempDir dir;
  ModelFile m;
  m.header = {{"synthesizer", "x"}, {"n", 3}};
  m.payload = std::string("\0\1\2binary", 9);
  m.save(dir.file("m.medgen"));
  ModelFile back = ModelFile::load(dir.file("m.medgen"));
  EXPECT_EQ(back.header, m.header);
  EXPECT_EQ(back.payload, m.payload);
}

TEST(ModelFile, RejectsWrongTruncatedAndCorruptedFiles) {
  ModelFile m;
  m.header = {{"synthesizer", "x"}};
  m.payload = "abc";
  const std::string bytes = m.serialize();
  EXPECT_THROW(ModelFile::deserialize("", "f"), ModelFormat);
  EXPECT_THROW(ModelFile::deserialize("id,age\n1,2\n", "f"), ModelFormat);
  for (size_t cut : {size_t{9}, size_t{20}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_THROW(ModelFile::deserialize(bytes.substr(0, cut), "f"), ModelFormat) << cut;
  for (size_t pos = 8; pos < bytes.size(); pos += 3) {
    std::string bad = bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5A);
    EXPECT_THROW(ModelFile::deserialize(bad, "f"), ModelFormat) << pos;
  }
  std::string version = bytes;
  version[8] = 99;
  try {
    ModelFile::deserialize(version, "f");
    FAIL();
  } catch (const ModelFormat& e) {
    EXPECT_NE(std::string(e.what()).find("version"), std::string::npos);
  }
}

TEST(ModelFile, Sha256KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
