// Gaussian-copula fit and sample timings on one thread. Prints one JSON object per line:
//   {"bench":"copula_fit","table":"generated","rows":30000,"cols":15,"seconds_min":...}
//   {"bench":"copula_sample","table":"generated","rows":1000000,"seconds_min":...,"rows_per_s":...}
//   {"bench":"copula_sample_conditional", ...}   one categorical condition, GHK draws
//   {"bench":"csv_format", ...}                   writing those rows as CSV text (to_csv)
// then copula_fit / copula_sample for each real table in tests/data. Minimum of 3 repetitions.
// Usage: bench_copula [sample_rows]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_table.h"
#include "medgen/core/csv.h"
#include "medgen/core/schema.h"
#include "medgen/tabular/copula.h"

using namespace medgen;
using namespace medgen::tabular;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <typename F>
double min_of_3(F f) {
  double best = INFINITY;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

void emit(nlohmann::json j) { std::printf("%s\n", j.dump().c_str()); std::fflush(stdout); }

void bench(const std::string& name, const Table& table, const Schema& schema, size_t sample_rows, bool extras) {
  Context ctx;
  ctx.seed = 1;
  CopulaSynthesizer synth(CopulaParams{});
  const double fit_s = min_of_3([&] { synth.fit(table, schema, ctx); });
  emit({{"bench", "copula_fit"}, {"table", name}, {"rows", table.num_rows()}, {"cols", table.num_cols()},
        {"seconds_min", fit_s}});
  Table out;
  const double sample_s = min_of_3([&] { out = synth.sample(sample_rows, {}, ctx); });
  emit({{"bench", "copula_sample"}, {"table", name}, {"rows", sample_rows}, {"cols", out.num_cols()},
        {"seconds_min", sample_s}, {"rows_per_s", sample_rows / sample_s}});
  if (!extras) return;
  // Condition on the first categorical column's least frequent level.
  for (const ColumnSchema& cs : schema.columns) {
    if (cs.type != ColumnType::kCategorical) continue;
    const std::vector<Condition> cond = {{cs.name, cs.values.back()}};
    const double cs_s = min_of_3([&] { synth.sample(sample_rows, cond, ctx); });
    emit({{"bench", "copula_sample_conditional"}, {"table", name}, {"condition", cs.name + "=" + cs.values.back()},
          {"rows", sample_rows}, {"seconds_min", cs_s}, {"rows_per_s", sample_rows / cs_s}});
    break;
  }
  std::string text;
  const double fmt_s = min_of_3([&] { text = to_csv(out, synth.schema()); });
  emit({{"bench", "csv_format"}, {"table", name}, {"rows", sample_rows}, {"bytes", text.size()},
        {"seconds_min", fmt_s}, {"rows_per_s", sample_rows / fmt_s}});
}

}  // namespace

int main(int argc, char** argv) {
  const size_t sample_rows = argc > 1 ? std::stoul(argv[1]) : 1000000;
  Table table;
  Schema schema;
  bench_table::generated(30000, &table, &schema);
  bench("generated", table, schema, sample_rows, true);

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(MEDGEN_SOURCE_DIR) + "/tests/data"))
    if (e.path().extension() == ".csv") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const RawTable raw = read_csv(f.string());
    const Schema s = infer_schema(raw);
    bench(f.stem().string(), to_table(raw, s), s, 100000, false);
  }
  return 0;
}
