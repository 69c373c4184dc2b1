// bench/text/bench_text_extract.cpp: throughput of concept extraction with context on one thread.
// The corpus is the generated evaluation notes (data/text/eval/generated, gold marks removed),
// repeated until it holds at least `mb` megabytes. Each repetition parses every note (sections,
// sentences, tokens) and extracts its concepts with context, keeping every result as `medgen text
// extract` does; the fastest repetition counts.
// Prints one JSON object:
//   {"bench":"text_extract","notes":N,"bytes":B,"concepts":C,"reps":R,"seconds_min":S,"mb_per_s":X,
//    "packaged_lists":true|false,"load_seconds":L}
// Usage: bench_text_extract [mb=8] [reps=3] [--no-packaged]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/core/file.h"
#include "medgen/text/evaluate.h"
#include "medgen/text/extract.h"

namespace fs = std::filesystem;
using namespace medgen::text;

int main(int argc, char** argv) {
  double mb = 8;
  int reps = 3;
  bool packaged = true;
  int pos = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-packaged") == 0) {
      packaged = false;
    } else if (pos++ == 0) {
      mb = std::atof(argv[i]);
    } else {
      reps = std::atoi(argv[i]);
    }
  }
  if (mb <= 0 || reps <= 0) {
    std::fprintf(stderr, "usage: bench_text_extract [mb>0] [reps>0] [--no-packaged]\n");
    return 2;
  }
  try {
    const std::string dir = std::string(MEDGEN_SOURCE_DIR) + "/data/text/eval/generated";
    std::vector<std::string> base;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) base.push_back(parse_annotated(medgen::read_file(f.string()), f.string(), "x").text);
    if (base.empty()) throw std::runtime_error(dir + ": no notes");
    std::vector<std::string> corpus;
    size_t bytes = 0;
    while (static_cast<double>(bytes) < mb * 1e6)
      for (const auto& t : base) {
        corpus.push_back(t);
        bytes += t.size();
      }
    const auto t0 = std::chrono::steady_clock::now();
    TextModelOptions o;
    o.lexicon.packaged = packaged;
    const TextModel model = TextModel::load(o);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double best = 1e300;
    size_t concepts = 0;
    for (int r = 0; r < reps; ++r) {
      concepts = 0;
      // as `medgen text extract` does: every note's parse and concepts are kept until the end
      std::vector<std::pair<Note, std::vector<Concept>>> results;
      results.reserve(corpus.size());
      const auto t1 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < corpus.size(); ++i) {
        Note n = model.parse(std::to_string(i), corpus[i]);
        std::vector<Concept> cs = extract(n, model);
        concepts += cs.size();
        results.emplace_back(std::move(n), std::move(cs));
      }
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
    }
    nlohmann::json j{{"bench", "text_extract"},  {"notes", corpus.size()}, {"bytes", bytes},
                     {"concepts", concepts},     {"reps", reps},          {"seconds_min", best},
                     {"mb_per_s", static_cast<double>(bytes) / 1e6 / best}, {"packaged_lists", packaged},
                     {"load_seconds", load_s}};
    std::printf("%s\n", j.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_text_extract: %s\n", e.what());
    return 2;
  }
  return 0;
}
