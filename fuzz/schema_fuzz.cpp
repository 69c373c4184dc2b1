// Schema JSON (what `medgen schema` writes and users edit) -> Schema::read, then the
// schema at work: its JSON written and read back must give the same JSON, and typing a small
// table and drawing identifiers by it must refuse or succeed cleanly (src/core/schema.cpp).
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "medgen/core/csv.h"
#include "medgen/core/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  static fuzz::ScratchFile scratch(".json");
  const std::string& path = scratch.write(data, size);
  fuzz::expect_clean("schema", [&] {
    // As `fit --schema` reads it: syntax errors (a 400-digit number included) are InvalidInput.
    const Schema schema = Schema::read(path);
    const std::string once = schema.to_json().dump();
    const std::string twice = Schema::from_json(nlohmann::json::parse(once), "<again>").to_json().dump();
    if (once != twice) {
      std::fprintf(stderr, "medgen fuzz: schema JSON round trip differs:\n%s\n%s\n", once.c_str(), twice.c_str());
      std::abort();
    }
    // A two-row table with a plausible value in every column, typed by the schema.
    std::string csv;
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      if (c) csv += ',';
      append_csv_field(csv, schema.columns[c].name);
    }
    for (const char* row : {"1", "a"}) {
      csv += '\n';
      for (size_t c = 0; c < schema.columns.size(); ++c) {
        const ColumnSchema& cs = schema.columns[c];
        if (c) csv += ',';
        append_csv_field(csv, cs.values.empty() ? std::string(row) : cs.values.front());
      }
    }
    if (schema.columns.empty()) return;
    fuzz::expect_clean("schema/to_table", [&] {
      const Table t = to_table(parse_csv(csv, "<table>"), schema);
      (void)to_csv(t, schema);
    });
    for (const ColumnSchema& cs : schema.columns)
      if (cs.type == ColumnType::kIdentifier) fuzz::expect_clean("schema/identifiers", [&] {
          const Column ids = synthetic_identifiers(cs, 3, 1);
          (void)ids;
        });
  });
  return 0;
}
