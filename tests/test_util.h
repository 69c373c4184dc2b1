// Shared helpers for the test suites.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "medgen/core/csv.h"
#include "medgen/core/schema.h"
#include "medgen/core/model_file.h"
#include "medgen/core/table.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::test {

inline std::string source_dir() { return MEDGEN_SOURCE_DIR; }
inline std::string data_dir() { return source_dir() + "/tests/data"; }

// Every real clinical table shipped with the tests (tests/data/*.csv), sorted.
inline std::vector<std::string> dataset_paths() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(data_dir()))
    if (e.path().extension() == ".csv") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

struct Loaded {
  Schema schema;
  Table table;
};

inline Loaded load(const std::string& path) {
  RawTable raw = read_csv(path);
  Loaded l;
  l.schema = infer_schema(raw);
  l.table = to_table(raw, l.schema);
  return l;
}

// A fresh temporary directory removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("medgen-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

// SHA-256 of a synthesizer's model file (a digest, so a failed comparison does not print
// megabytes of weights).
inline std::string model_digest(const tabular::Synthesizer& s) {
  TempDir dir;
  tabular::save_model(s, tabular::Provenance{}, dir.file("m.medgen"));
  return sha256_file_hex(dir.file("m.medgen"));
}

}  // namespace medgen::test
