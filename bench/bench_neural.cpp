// Neural synthesizer timings on one thread (CPU): training seconds per epoch and sampling
// speed on the generated 30,000 x 15 tables (bench_table.h: "mixed" has 9 numeric + 6
// categorical columns, "categorical" 9 categorical + 6 numeric), for tvae and ctgan. JSON lines:
//   {"bench":"tvae_epoch","table":"mixed","rows":30000,"cols":15,"epochs":3,"seconds_per_epoch":...}
//   {"bench":"tvae_sample","table":"mixed","rows":100000,"seconds":...,"rows_per_s":...}   (and ctgan_*)
// "blas" names the OpenBLAS kernels the process runs (OPENBLAS_CORETYPE, else OpenBLAS's detection).
// cpu_* fields count this process's CPU time, which a busy machine inflates less than wall time.
// For ctgan it also times the generator's matrix products alone at the sampling shapes (the
// same chunk, inputs and widths, preallocated outputs): {"bench":"ctgan_sample_gemm_only",...}
// gives the rows/s the GEMMs allow on this CPU (the roofline of sampling) and the share of it
// that sampling reaches.
// The allocator is set as `medgen` and the Python package set it (freed memory kept, mmap only
// above 32 MB), so the figures are those of `medgen fit` / `medgen sample`; MEDGEN_BENCH_MALLOC=default
// leaves glibc's defaults (what a host program that does not tune it gets), and "malloc" in the
// output says which.
// Usage: bench_neural [epochs] [models: tvae,ctgan,diffusion,autoregressive] [tables: mixed,categorical] [device: cpu|cuda] [params JSON]
// (params are merged into every model's options and echoed in the output, e.g. '{"cuda_graph":"off"}').
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "bench_table.h"
#include "medgen/core/plugin.h"
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

// Rows/s of the ctgan generator's GEMMs alone when sampling: chunk x in0 through the residual
// blocks (each block's input is its predecessor's input plus its output), then to dim.
static double generator_gemm_rows_per_s(int64_t in0, const std::vector<int64_t>& widths, int64_t dim, int64_t chunk,
                                        int64_t rows, double* gflop_per_s) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> w, b, h, out;
  int64_t in = in0;
  double flop_per_row = 0;
  for (size_t i = 0; i <= widths.size(); ++i) {
    const int64_t o = i < widths.size() ? widths[i] : dim;
    // Blocks use a folded (in x o) matrix; the output layer is a Linear, weight (o x in) transposed.
    w.push_back(i < widths.size() ? torch::randn({in, o}) : torch::randn({o, in}).t());
    b.push_back(torch::randn({o}));
    h.push_back(torch::randn({chunk, in}));
    out.push_back(torch::empty({chunk, o}));
    flop_per_row += 2.0 * static_cast<double>(in * o);
    in += o;
  }
  auto pass = [&] {
    for (size_t i = 0; i < w.size(); ++i) torch::addmm_out(out[i], b[i], h[i], w[i]);
  };
  for (int i = 0; i < 3; ++i) pass();
  const int64_t passes = (rows + chunk - 1) / chunk;
  const double t0 = cpu_now();
  for (int64_t i = 0; i < passes; ++i) pass();
  const double s = cpu_now() - t0;
  *gflop_per_s = flop_per_row * static_cast<double>(passes * chunk) / s * 1e-9;
  return static_cast<double>(passes * chunk) / s;
}

// "cli": the allocator set as tools/medgen/main.cpp sets it; "default": glibc's (MEDGEN_BENCH_MALLOC=default).
static std::string malloc_mode = "cli";

static int run(int argc, char** argv) {
  const int epochs = argc > 1 ? std::stoi(argv[1]) : 3;
  const std::string models = argc > 2 ? argv[2] : "tvae,ctgan";
  const std::string tables = argc > 3 ? argv[3] : "mixed,categorical";
  const std::string device = argc > 4 ? argv[4] : "cpu";
  const nlohmann::json extra = argc > 5 ? nlohmann::json::parse(argv[5]) : nlohmann::json::object();
  const std::string blas = medgen::blas_core();
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
      std::printf("%s\n", nlohmann::json{{"bench", name + "_epoch"}, {"table", kind}, {"device", device}, {"blas", blas}, {"malloc", malloc_mode}, {"params", extra}, {"rows", table.num_rows()},
                                         {"cols", table.num_cols()}, {"epochs", epochs}, {"fit_seconds", total},
                                         {"seconds_per_epoch", per_epoch}, {"cpu_seconds_per_epoch", per_epoch_cpu},
                                         {"rows_per_s", table.num_rows() / per_epoch}}
                              .dump()
                              .c_str());
      t0 = wall_now();
      c0 = cpu_now();
      const Table out = synth->sample(100000, {}, ctx);
      const double s = wall_now() - t0, s_cpu = cpu_now() - c0;
      std::printf("%s\n", nlohmann::json{{"bench", name + "_sample"}, {"table", kind}, {"blas", blas}, {"malloc", malloc_mode}, {"rows", out.num_rows()},
                                         {"seconds", s}, {"cpu_seconds", s_cpu}, {"rows_per_s", out.num_rows() / s},
                                         {"cpu_rows_per_s", out.num_rows() / s_cpu}}
                              .dump()
                              .c_str());
      if (name == "ctgan" && device == "cpu") {
        const nlohmann::json sum = synth->summary(), par = synth->params();
        const int64_t in0 = par.at("embedding_dim").get<int64_t>() + sum.at("cond_dim").get<int64_t>();
        const std::vector<int64_t> widths = par.at("generator").get<std::vector<int64_t>>();
        const int64_t dim = sum.at("output_dim").get<int64_t>();
        double gflops = 0;
        const double roof = generator_gemm_rows_per_s(in0, widths, dim, 512, 100000, &gflops);
        std::printf("%s\n", nlohmann::json{{"bench", "ctgan_sample_gemm_only"}, {"table", kind}, {"input", in0},
                                           {"widths", widths}, {"output_dim", dim}, {"chunk", 512},
                                           {"cpu_rows_per_s", roof}, {"gflop_per_s", gflops},
                                           {"sampling_share_of_gemm_rows_per_s", out.num_rows() / s_cpu / roof}}
                                .dump()
                                .c_str());
      }
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  const char* env = std::getenv("MEDGEN_BENCH_MALLOC");
  if (env && std::string(env) == "default") {
    malloc_mode = "default";
  } else {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // as tools/medgen/main.cpp
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  }
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_neural: %s\n", e.what());
    return 2;
  }
}
