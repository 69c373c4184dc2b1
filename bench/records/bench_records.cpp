// Records benchmarks, one JSON line per measurement:
//   bench_records pbc [THREADS]       fit on pbc + pbcseq (gru and independent), sample speed
//   bench_records long [PATIENTS] [THREADS]
//                                     a long-format lab table (id, day, test, value) of about
//                                     ~27 measurements (6 labs) per patient, drawn from a model fitted on
//                                     pbcseq, then read, inferred and fitted (issue floor: 400,000
//                                     measurements of 17,000 patients in <= 15 minutes, 2 threads)
// Sampling speed is measured in patients per second with their full lab histories, writing
// nothing; the CLI's CSV writing is measured by `medgen sample` itself (docs/records.md).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "medgen/core/context.h"
#include "medgen/core/schema.h"
#include "medgen/records/dataset.h"
#include "medgen/records/synthesizer.h"

using namespace medgen;
using namespace medgen::records;
namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Dataset pbc() {
  const std::string folder = std::string(MEDGEN_SOURCE_DIR) + "/data/records/pbc";
  return read_dataset(folder, infer_dataset(folder));
}

void bench_pbc(int threads) {
  const Dataset d = pbc();
  for (const char* model : {"gru", "independent"}) {
    Context ctx;
    ctx.seed = 1;
    ctx.threads = threads;
    apply_threads(ctx);
    RecordOptions o;
    o.sequence_model = model;
    RecordSynthesizer rs;
    auto t0 = std::chrono::steady_clock::now();
    rs.fit(d, o, ctx);
    const double fit = seconds_since(t0);
    const size_t n = 20000;
    size_t events = 0;
    t0 = std::chrono::steady_clock::now();
    rs.sample(n, ctx, 1000, [&](const Dataset& chunk) { events += chunk.table("pbcseq").num_rows(); });
    const double sample = seconds_since(t0);
    std::printf("{\"bench\":\"records_pbc\",\"sequence_model\":\"%s\",\"threads\":%d,\"fit_seconds\":%.2f,"
                "\"patients\":%zu,\"visits\":%zu,\"sample_seconds\":%.3f,\"patients_per_second\":%.0f}\n",
                model, threads, fit, n, events, sample, static_cast<double>(n) / sample);
    std::fflush(stdout);
  }
}

// Writes patients.csv and labs.csv (long format) for `patients` synthetic patients.
size_t make_long(size_t patients, const std::string& folder) {
  const Dataset d = pbc();
  Context ctx;
  ctx.seed = 7;
  RecordOptions o;
  o.sequence_model = "independent";  // the table's shape, not its realism, matters here
  RecordSynthesizer rs;
  rs.fit(d, o, ctx);
  fs::create_directories(folder);
  std::ofstream pf(folder + "/patients.csv"), lf(folder + "/labs.csv");
  pf << "patient_id,age,sex,trt,futime,status\n";
  lf << "patient_id,day,test,value\n";
  size_t rows = 0;
  const char* tests[] = {"bili", "albumin", "platelet", "protime", "ast", "alk.phos"};
  rs.sample(patients, ctx, 1000, [&](const Dataset& chunk) {
    const Table& p = chunk.table("pbc");
    const Table& v = chunk.table("pbcseq");
    const Schema& ps = chunk.schema.table("pbc").schema;
    const Schema& vs = chunk.schema.table("pbcseq").schema;
    (void)ps;
    const Column& pid = p.column("id");
    for (size_t r = 0; r < p.num_rows(); ++r) {
      const std::string id = pid.dictionary[static_cast<size_t>(pid.codes[r])];
      auto num = [&](const Table& t, const char* c, size_t row) {
        const Column& col = t.column(c);
        return col.valid[row] ? std::to_string(col.values[row]) : std::string();
      };
      const Column& sex = p.column("sex");
      pf << "P" << id << "," << num(p, "age", r) << "," << (sex.codes[r] >= 0 ? sex.dictionary[static_cast<size_t>(sex.codes[r])] : "")
         << "," << num(p, "trt", r) << "," << num(p, "time", r) << "," << num(p, "status", r) << "\n";
    }
    const Column& vid = v.column("id");
    for (size_t r = 0; r < v.num_rows(); ++r) {
      const std::string id = vid.dictionary[static_cast<size_t>(vid.codes[r])];
      const double day = v.column("day").values[r];
      for (const char* t : tests) {
        const Column& c = v.column(t);
        if (!c.valid[r]) continue;
        lf << "P" << id << "," << static_cast<long long>(day) << "," << t << "," << c.values[r] << "\n";
        ++rows;
      }
    }
    (void)vs;
  });
  return rows;
}

void bench_long(size_t patients, int threads) {
  const std::string folder = (fs::temp_directory_path() / ("medgen-bench-long-" + std::to_string(::getpid()))).string();
  auto t0 = std::chrono::steady_clock::now();
  const size_t rows = make_long(patients, folder);
  const double make = seconds_since(t0);
  Context ctx;
  ctx.seed = 1;
  ctx.threads = threads;
  apply_threads(ctx);
  t0 = std::chrono::steady_clock::now();
  const DatasetSchema s = infer_dataset(folder);
  const Dataset d = read_dataset(folder, s);
  const double read = seconds_since(t0);
  RecordSynthesizer rs;
  RecordOptions o;
  t0 = std::chrono::steady_clock::now();
  rs.fit(d, o, ctx);
  const double fit = seconds_since(t0);
  size_t events = 0;
  t0 = std::chrono::steady_clock::now();
  rs.sample(patients, ctx, 1000, [&](const Dataset& chunk) { events += chunk.table("labs").num_rows(); });
  const double sample = seconds_since(t0);
  std::printf("{\"bench\":\"records_long\",\"patients\":%zu,\"measurements\":%zu,\"threads\":%d,\"long_format\":%s,"
              "\"make_seconds\":%.1f,\"read_seconds\":%.2f,\"fit_seconds\":%.1f,\"sample_seconds\":%.2f,"
              "\"sampled_measurements\":%zu}\n",
              patients, rows, threads, s.table("labs").is_long() ? "true" : "false", make, read, fit, sample, events);
  fs::remove_all(folder);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "pbc";
  try {
    if (what == "pbc") {
      bench_pbc(argc > 2 ? std::atoi(argv[2]) : 1);
    } else if (what == "long") {
      bench_long(argc > 2 ? static_cast<size_t>(std::atoll(argv[2])) : 17000, argc > 3 ? std::atoi(argv[3]) : 2);
    } else {
      std::fprintf(stderr, "usage: bench_records pbc [THREADS] | long [PATIENTS] [THREADS]\n");
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_records: %s\n", e.what());
    return 1;
  }
  return 0;
}
