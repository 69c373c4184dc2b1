// CSV text -> RawTable -> inferred schema -> typed table -> CSV again (src/core/csv.cpp,
// src/core/schema.cpp). Bad text must be refused with InvalidInput; text that was accepted
// must survive the round trip: what to_csv writes parses again with the same shape.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_util.h"
#include "medgen/core/csv.h"
#include "medgen/core/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean("csv", [&] {
    const RawTable raw = parse_csv(text, "<fuzz>");
    const Schema schema = infer_schema(raw);
    const Table table = to_table(raw, schema);
    const std::string out = to_csv(table, schema);
    const RawTable again = parse_csv(out, "<round trip>");
    if (again.num_rows() != table.num_rows() || again.num_cols() != table.num_cols()) {
      std::fprintf(stderr, "medgen fuzz: csv round trip changed the shape: %zu x %zu -> %zu x %zu\n",
                   table.num_rows(), table.num_cols(), again.num_rows(), again.num_cols());
      std::abort();
    }
  });
  return 0;
}
