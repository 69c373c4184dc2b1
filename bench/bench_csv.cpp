// CSV parsing throughput: a generated ~100 MB table (size in MB as argv[1]) and each real
// real table in tests/data. Prints one JSON object per line on stdout.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/csv.h"
#include "medgen/core/rng.h"
#include "medgen/core/error.h"
#include "medgen/core/schema.h"

#ifndef MEDGEN_SOURCE_DIR
#define MEDGEN_SOURCE_DIR "."
#endif

namespace {

using Mix = medgen::Rng;  // deterministic on every platform, unlike the std distributions

// 30 columns shaped like a clinical export: ids, integers, decimals, categories, free text
// (some quoted with commas, doubled quotes or newlines), dates and a few missing values.
std::string generate_csv(size_t target_bytes) {
  static const char* const categories[] = {"male", "female", "Post", "Pre", "argon", "xenon", "Lev+5FU", "Obs"};
  static const char* const notes[] = {"stable",
                                      "no change",
                                      "\"follow-up, 6 months\"",
                                      "\"patient said \"\"fine\"\"\"",
                                      "\"two\nlines\"",
                                      "r\xC3\xA9mission",
                                      "NA",
                                      ""};
  std::string out;
  out.reserve(target_bytes + 4096);
  for (int c = 0; c < 30; ++c) {
    if (c) out += ',';
    out += "col_" + std::to_string(c);
  }
  out += '\n';
  Mix rng{2024};
  char buf[64];
  for (uint64_t id = 1; out.size() < target_bytes; ++id) {
    for (int c = 0; c < 30; ++c) {
      if (c) out += ',';
      const uint64_t r = rng.next();
      if (c > 0 && r % 50 == 0) continue;  // missing
      switch (c % 6) {
        case 0:
          out += std::to_string(id * 30 + static_cast<uint64_t>(c));
          break;
        case 1:
          out += std::to_string(r % 100000);
          break;
        case 2:
        case 3:
          std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(r % 10000000) / 997.0);
          out += buf;
          break;
        case 4:
          out += categories[(r >> 8) % 8];
          break;
        case 5:
          if (c == 5) {
            std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", 1990 + static_cast<int>(r % 30),
                          1 + static_cast<int>((r >> 8) % 12), 1 + static_cast<int>((r >> 16) % 28));
            out += buf;
          } else {
            out += notes[(r >> 8) % 8];
          }
          break;
      }
    }
    out += '\n';
  }
  return out;
}

struct Timing {
  double seconds_min;
  size_t iterations;
  size_t rows;
};

// Three repetitions; small inputs are parsed several times per repetition so that one
// repetition lasts long enough for the clock to mean something.
Timing time_parse(const std::string& text, const std::string& source) {
  using clock = std::chrono::steady_clock;
  size_t iterations = 1;
  size_t rows = 0;
  const auto t0 = clock::now();
  rows = medgen::parse_csv(text, source).num_rows();
  const double once = std::chrono::duration<double>(clock::now() - t0).count();
  if (once < 0.05) iterations = static_cast<size_t>(0.05 / std::max(once, 1e-7)) + 1;
  double best = 1e300;
  for (int rep = 0; rep < 3; ++rep) {
    const auto start = clock::now();
    for (size_t i = 0; i < iterations; ++i) rows = medgen::parse_csv(text, source).num_rows();
    best = std::min(best, std::chrono::duration<double>(clock::now() - start).count() / static_cast<double>(iterations));
  }
  return {best, iterations, rows};
}

void report(const std::string& bench, const std::string& input, size_t bytes, size_t rows, double seconds,
            size_t iterations) {
  nlohmann::json j;
  j["bench"] = bench;
  j["input"] = input;
  j["bytes"] = bytes;
  j["rows"] = rows;
  j["iterations"] = iterations;
  j["seconds_min"] = seconds;
  j["mb_per_s"] = static_cast<double>(bytes) / 1e6 / seconds;
  std::cout << j.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mb = 100;
  if (argc > 1) {
    const long v = std::strtol(argv[1], nullptr, 10);
    if (v <= 0) {
      std::cerr << "usage: bench_csv [size_mb]\n";
      return 2;
    }
    mb = static_cast<size_t>(v);
  }
  try {
    const std::string text = generate_csv(mb * 1000 * 1000);
    const std::string name = "generated_" + std::to_string(mb) + "MB";
    const Timing t = time_parse(text, name);
    report("csv_parse", name, text.size(), t.rows, t.seconds_min, t.iterations);

    // Writing the same table back, field by field, as the synthesizers' output path does.
    const medgen::RawTable table = medgen::parse_csv(text, name);
    double best = 1e300;
    size_t out_bytes = 0;
    for (int rep = 0; rep < 3; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      std::string out;
      out.reserve(text.size() + text.size() / 8);
      for (size_t r = 0; r < table.num_rows(); ++r) {
        for (size_t c = 0; c < table.num_cols(); ++c) {
          if (c) out += ',';
          medgen::append_csv_field(out, table.field(r, c));
        }
        out += '\n';
      }
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      out_bytes = out.size();
    }
    report("csv_write", name, out_bytes, table.num_rows(), best, 1);

    // The whole read path the CLI runs: parse, infer the schema, type every column.
    best = 1e300;
    size_t typed_rows = 0;
    for (int rep = 0; rep < 3; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      const medgen::RawTable raw = medgen::parse_csv(text, name);
      const medgen::Schema schema = medgen::infer_schema(raw);
      const medgen::Table typed = medgen::to_table(raw, schema);
      typed_rows = typed.num_rows();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    report("csv_read_typed", name, text.size(), typed_rows, best, 1);

    const std::filesystem::path dir = MEDGEN_SOURCE_DIR "/tests/data";
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".csv") files.push_back(entry.path());
    }
    if (ec) std::cerr << "bench_csv: no data sets at " << dir.string() << ": " << ec.message() << "\n";
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string data = medgen::read_file(f.string());
      const Timing ft = time_parse(data, f.string());
      report("csv_parse", f.filename().string(), data.size(), ft.rows, ft.seconds_min, ft.iterations);
    }
  } catch (const medgen::Error& e) {
    std::cerr << "bench_csv: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
