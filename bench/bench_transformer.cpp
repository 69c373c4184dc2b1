// DataTransformer fit / transform timings on one thread. Prints one JSON object per line:
//   {"bench":"transformer_fit","table":"generated","rows":30000,"cols":15,"seconds_min":...}
// and likewise transformer_transform and transformer_total (fit + transform of one rep), the
// minimum over 3 repetitions; first for a generated 30,000 x 15 table (9 numeric, 6
// categorical), then for each real table in tests/data.
// Usage: bench_transformer [datasets_dir]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/csv.h"
#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/tabular/transformer.h"
#include "bench_table.h"

namespace {

using bench_table::generated;
using medgen::Rng;
using medgen::Schema;
using medgen::Table;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void bench(const std::string& name, const Table& table, const Schema& schema) {
  double fit_min = INFINITY, transform_min = INFINITY, total_min = INFINITY;
  size_t width = 0;
  for (int rep = 0; rep < 3; ++rep) {
    medgen::tabular::DataTransformer tr;
    Rng rng(7);
    auto t0 = std::chrono::steady_clock::now();
    tr.fit(table, schema, medgen::tabular::TransformerParams{}, rng);
    const double fit_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const std::vector<float> out = tr.transform(table, rng);
    const double transform_s = seconds_since(t0);
    width = tr.output_dim();
    if (out.size() != table.num_rows() * width) std::abort();
    fit_min = std::min(fit_min, fit_s);
    transform_min = std::min(transform_min, transform_s);
    total_min = std::min(total_min, fit_s + transform_s);
  }
  for (auto [bench_name, secs] : {std::pair<const char*, double>{"transformer_fit", fit_min},
                                  {"transformer_transform", transform_min},
                                  {"transformer_total", total_min}}) {
    nlohmann::json j = {{"bench", bench_name},   {"table", name},       {"rows", table.num_rows()},
                        {"cols", table.num_cols()}, {"output_dim", width}, {"seconds_min", secs}};
    std::printf("%s\n", j.dump().c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Table table;
  Schema schema;
  generated(30000, &table, &schema);
  bench("generated", table, schema);

  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(MEDGEN_SOURCE_DIR) / "tests" / "data";
  if (argc > 1) dir = argv[1];
  if (!std::filesystem::is_directory(dir, ec)) return 0;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".csv") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    try {
      const medgen::RawTable raw = medgen::read_csv(f.string());
      const Schema s = medgen::infer_schema(raw);
      const Table t = medgen::to_table(raw, s);
      bench(f.stem().string(), t, s);
    } catch (const std::exception& e) {
      nlohmann::json j = {{"bench", "transformer_total"}, {"table", f.stem().string()}, {"error", e.what()}};
      std::printf("%s\n", j.dump().c_str());
    }
  }
  return 0;
}
