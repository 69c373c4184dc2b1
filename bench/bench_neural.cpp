// Neural synthesizer timings on one thread (CPU): training seconds per epoch and sampling
// speed on the generated 30,000 x 15 tables (bench_table.h: "mixed" has 9 numeric + 6
// categorical columns, "categorical" 9 categorical + 6 numeric), for tvae and ctgan. JSON lines:
//   {"bench":"tvae_epoch","table":"mixed","rows":30000,"cols":15,"epochs":3,"seconds_per_epoch":...}
//   {"bench":"tvae_sample","table":"mixed","rows":100000,"seconds":...,"rows_per_s":...}   (and ctgan_*)
// cpu_* fields count this process's CPU time, which a busy machine inflates less than wall time.
// Usage: bench_neural [epochs] [models: tvae,ctgan,diffusion,autoregressive] [tables: mixed,categorical] [device: cpu|cuda] [params JSON]
// (params are merged into every model's options and echoed in the output, e.g. '{"cuda_graph":"off"}').
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

#include "bench_table.h"
#include "medgen/tabular/synthesizer.h"

using namespace medgen;
using namespace medgen::tabular;

static double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static int run(int argc, char** argv) {
  const int epochs = argc > 1 ? std::stoi(argv[1]) : 3;
  const std::string models = argc > 2 ? argv[2] : "tvae,ctgan";
  const std::string tables = argc > 3 ? argv[3] : "mixed,categorical";
  const std::string device = argc > 4 ? argv[4] : "cpu";
  const nlohmann::json extra = argc > 5 ? nlohmann::json::parse(argv[5]) : nlohmann::json::object();
  auto options = [&](int n_epochs) {
    nlohmann::json o = extra;
    o["epochs"] = n_epochs;
    o["device"] = device;
    return o;
  };
  Context ctx;
  for (const std::string kind : {"mixed", "categorical"}) {
    if (tables.find(kind) == std::string::npos) continue;
    Table table;
    Schema schema;
    if (kind == "mixed")
      bench_table::generated(30000, &table, &schema);
    else
      bench_table::generated_categorical(30000, &table, &schema);
    for (const std::string name : {"tvae", "ctgan", "diffusion", "autoregressive"}) {
      if (models.find(name) == std::string::npos) continue;
      // The first fit includes loading LibTorch and fitting the transformer; a one-epoch fit
      // is subtracted to leave the cost of the other epochs.
      nlohmann::json these = options(epochs);
      if (name != "ctgan") these.erase("cuda_graph");  // a ctgan option
      if (device == "cuda") {
        // The process's first CUDA work creates the context and cuBLAS's handles (about a
        // second): an untimed one-epoch fit pays it, so that the difference below is epochs only.
        these["epochs"] = 1;
        create_synthesizer(name, these)->fit(table, schema, ctx);
        these["epochs"] = epochs;
      }
      auto synth = create_synthesizer(name, these);
      double t0 = wall_now(), c0 = cpu_now();
      synth->fit(table, schema, ctx);
      const double total = wall_now() - t0, total_cpu = cpu_now() - c0;
      these["epochs"] = 1;
      auto one = create_synthesizer(name, these);
      t0 = wall_now();
      c0 = cpu_now();
      one->fit(table, schema, ctx);
      const double one_wall = wall_now() - t0, one_cpu = cpu_now() - c0;
      const double per_epoch = epochs > 1 ? (total - one_wall) / (epochs - 1) : total;
      const double per_epoch_cpu = epochs > 1 ? (total_cpu - one_cpu) / (epochs - 1) : total_cpu;
      std::printf("%s\n", nlohmann::json{{"bench", name + "_epoch"}, {"table", kind}, {"device", device}, {"params", extra}, {"rows", table.num_rows()},
                                         {"cols", table.num_cols()}, {"epochs", epochs}, {"fit_seconds", total},
                                         {"seconds_per_epoch", per_epoch}, {"cpu_seconds_per_epoch", per_epoch_cpu},
                                         {"rows_per_s", table.num_rows() / per_epoch}}
                              .dump()
                              .c_str());
      t0 = wall_now();
      c0 = cpu_now();
      const Table out = synth->sample(100000, {}, ctx);
      const double s = wall_now() - t0, s_cpu = cpu_now() - c0;
      std::printf("%s\n", nlohmann::json{{"bench", name + "_sample"}, {"table", kind}, {"rows", out.num_rows()},
                                         {"seconds", s}, {"cpu_seconds", s_cpu}, {"rows_per_s", out.num_rows() / s},
                                         {"cpu_rows_per_s", out.num_rows() / s_cpu}}
                              .dump()
                              .c_str());
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_neural: %s\n", e.what());
    return 2;
  }
}
