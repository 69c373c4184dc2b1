// De-identification throughput on one thread: the annotated notes of data/text/deid/eval (markup
// removed), repeated to --mb megabytes, de-identified with surrogates and with tags, by the rules
// alone and by the rules with the learned tagger (data/text/deid/tagger.model), interleaved
// within each repetition. Prints one JSON line per detector and mode (see docs/text-deid.md for
// results): the best of --reps repetitions in wall-clock seconds, and the CPU seconds of this
// thread in that repetition (on a shared machine the CPU figure is the steadier one).
//   bench_text_deid [--mb 20] [--reps 3]
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "medgen/text/deid/deid.h"
#include "medgen/text/deid/eval.h"
#include "medgen/text/deid/tagger.h"

using namespace medgen::text::deid;
using clk = std::chrono::steady_clock;

static double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  double mb = 20;
  int reps = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--mb")) mb = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
  }
  const std::string dir = std::string(MEDGEN_SOURCE_DIR) + "/data/text/deid";
  const Deidentifier rules(DeidResources::load_default(dir));
  const Deidentifier with_model = rules.with_model(TaggerModel::load(dir + "/tagger.model"));
  std::string one;
  for (const char* f : {"/eval/generated.txt", "/eval/handwritten.txt"})
    for (const AnnotatedNote& n : read_annotated_notes(dir + f)) one += n.text + "\n";
  // notes are de-identified one at a time, as a service would
  std::vector<std::string> notes;
  size_t total = 0;
  while (total < mb * 1e6) {
    size_t at = 0;
    while (at < one.size() && total < mb * 1e6) {
      size_t e = one.find("\n\n", at + 200);
      if (e == std::string::npos) e = one.size();
      notes.push_back(one.substr(at, e - at));
      total += e - at;
      at = e;
    }
  }
  struct Mode {
    const Deidentifier* d;
    const char* detector;
    bool tags;
    double best = 1e30, best_cpu = 0;
    size_t spans = 0;
  };
  Mode modes[] = {{&rules, "rules", false}, {&with_model, "rules+model", false},
                  {&rules, "rules", true},  {&with_model, "rules+model", true}};
  for (int r = 0; r < reps; ++r)
    for (Mode& m : modes) {
      DeidOptions o;
      o.tags = m.tags;
      o.key = "bench-secret-key-0123456789";
      const auto t0 = clk::now();
      const double c0 = thread_cpu_seconds();
      size_t spans = 0;
      for (size_t i = 0; i < notes.size(); ++i) {
        o.patient = std::to_string(i % 1000);
        spans += m.d->deidentify(notes[i], o).spans.size();
      }
      const double wall = std::chrono::duration<double>(clk::now() - t0).count();
      m.spans = spans;
      if (wall < m.best) {
        m.best = wall;
        m.best_cpu = thread_cpu_seconds() - c0;
      }
    }
  for (const Mode& m : modes)
    std::printf("{\"bench\": \"text_deid\", \"detector\": \"%s\", \"mode\": \"%s\", \"threads\": 1, \"notes\": %zu, "
                "\"bytes\": %zu, \"seconds\": %.3f, \"mb_per_s\": %.2f, \"cpu_seconds\": %.3f, \"mb_per_cpu_s\": %.2f, "
                "\"spans\": %zu}\n",
                m.detector, m.tags ? "tags" : "surrogates", notes.size(), total, m.best, total / m.best / 1e6,
                m.best_cpu, total / m.best_cpu / 1e6, m.spans);
  return 0;
}
