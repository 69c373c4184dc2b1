// Neural synthesizer timings on one thread (CPU): training seconds per epoch and sampling
// speed on the generated 30,000 x 15 table, for tvae and ctgan. JSON lines:
//   {"bench":"tvae_epoch","rows":30000,"cols":15,"epochs":3,"seconds_per_epoch":...,"rows_per_s":...}
//   {"bench":"tvae_sample","rows":100000,"seconds":...,"rows_per_s":...}   (and ctgan_*)
// Usage: bench_neural [epochs]
#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "bench_table.h"
#include "medgen/tabular/synthesizer.h"

using namespace medgen;
using namespace medgen::tabular;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::stoi(argv[1]) : 3;
  Table table;
  Schema schema;
  bench_table::generated(30000, &table, &schema);
  Context ctx;
  for (const std::string name : {"tvae", "ctgan"}) {
    auto synth = create_synthesizer(name, {{"epochs", epochs}});
    // The first fit includes loading LibTorch and fitting the transformer; time a second one.
    auto t0 = std::chrono::steady_clock::now();
    synth->fit(table, schema, ctx);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto one = create_synthesizer(name, {{"epochs", 1}});
    t0 = std::chrono::steady_clock::now();
    one->fit(table, schema, ctx);
    const double setup_plus_one = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double per_epoch = epochs > 1 ? (total - setup_plus_one) / (epochs - 1) : total;
    std::printf("%s\n", nlohmann::json{{"bench", name + "_epoch"}, {"rows", table.num_rows()}, {"cols", table.num_cols()},
                                       {"epochs", epochs}, {"fit_seconds", total}, {"seconds_per_epoch", per_epoch},
                                       {"rows_per_s", table.num_rows() / per_epoch}}
                            .dump()
                            .c_str());
    t0 = std::chrono::steady_clock::now();
    const Table out = synth->sample(100000, {}, ctx);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s\n", nlohmann::json{{"bench", name + "_sample"}, {"rows", out.num_rows()}, {"seconds", s},
                                       {"rows_per_s", out.num_rows() / s}}
                            .dump()
                            .c_str());

  }
  return 0;
}
