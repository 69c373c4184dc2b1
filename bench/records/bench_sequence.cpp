// Sequence model timings on pbcseq (312 patients, 1,945 visits, 12 lab columns) on one thread:
// fit seconds with default params, and sampling speed (patients/s, with their full visit
// histories, real lengths and ends) over `repeat` copies of the patients. JSON lines:
//   {"bench":"sequence_fit","model":"gru","patients":312,"events":1945,"seconds":...}
//   {"bench":"sequence_sample","model":"gru","patients":31200,"events":...,"seconds":...,"patients_per_s":...}
// cpu_seconds counts this process's CPU time, which a busy machine inflates less than wall time.
// Usage: bench_sequence [models: gru,independent] [repeat: 100]
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "pbcseq_sequences.h"

using namespace medgen;
using namespace medgen::records;

static double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int run(int argc, char** argv) {
  const std::string models = argc > 1 ? argv[1] : "gru,independent";
  const size_t repeat = argc > 2 ? std::stoul(argv[2]) : 100;
  const RawTable raw = read_csv(std::string(MEDGEN_SOURCE_DIR) + "/data/pbcseq.csv");
  const Schema schema = infer_schema(raw);
  const Table table = to_table(raw, schema);
  const SequenceData data = pbcseq::build(table, schema, pbcseq::patients(table));
  const size_t n = data.num_entities();
  // The patients repeated: contexts, lengths and ends.
  Table context = data.context;
  std::vector<size_t> lengths;
  std::vector<double> end;
  for (Column& c : context.columns) {
    const Column src = c;
    for (size_t k = 1; k < repeat; ++k) {
      c.values.insert(c.values.end(), src.values.begin(), src.values.end());
      c.valid.insert(c.valid.end(), src.valid.begin(), src.valid.end());
      c.codes.insert(c.codes.end(), src.codes.begin(), src.codes.end());
    }
  }
  for (size_t k = 0; k < repeat; ++k)
    for (size_t e = 0; e < n; ++e) {
      lengths.push_back(data.offsets[e + 1] - data.offsets[e]);
      end.push_back(data.end[e]);
    }
  Context ctx;
  ctx.seed = 1;
  for (const std::string name : {"gru", "independent"}) {
    if (models.find(name) == std::string::npos) continue;
    auto model = create_sequence_model(name);
    double t0 = wall_now(), c0 = cpu_now();
    model->fit(data, ctx);
    const double fit = wall_now() - t0, fit_cpu = cpu_now() - c0;
    std::printf("%s\n", nlohmann::json{{"bench", "sequence_fit"}, {"model", name}, {"patients", n},
                                       {"events", data.time.size()}, {"seconds", fit}, {"cpu_seconds", fit_cpu}}.dump().c_str());
    t0 = wall_now();
    c0 = cpu_now();
    const SequenceData out = model->sample(context, lengths, end, ctx);
    const double s = wall_now() - t0, s_cpu = cpu_now() - c0;
    std::printf("%s\n", nlohmann::json{{"bench", "sequence_sample"}, {"model", name}, {"patients", lengths.size()},
                                       {"events", out.time.size()}, {"seconds", s}, {"cpu_seconds", s_cpu},
                                       {"patients_per_s", lengths.size() / s}}.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_sequence: %s\n", e.what());
    return 1;
  }
}
