// FHIR R4 writing speed, one thread: clinical tables (bench/records/clinical_fixture.h: each
// patient with `visits` encounters of 7 labs + 1 coded observation, a condition, a medication, a
// procedure, a care plan, some allergies) streamed through FhirWriter in chunks of 250 patients,
// as Bundles (one file per patient) and as bulk NDJSON; then read back with read_fhir.
// Generating the tables is not timed. JSON lines, one per format and repetition:
//   {"bench":"fhir_write","format":"bundle","patients":2000,"visits":20,"resources":...,
//    "rep":0,"seconds":...,"cpu_seconds":...,"patients_per_s":...,"patients_per_cpu_s":...,
//    "resources_per_s":...,"mb_per_s":...}
// (cpu_seconds: this process's CPU time, the fair figure on a shared machine.)
//   {"bench":"fhir_read","format":"ndjson",...}
// Usage: bench_fhir [patients: 2000] [visits: 20] [reps: 3]
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "clinical_fixture.h"
#include "medgen/core/error.h"
#include "medgen/records/fhir.h"

using namespace medgen;
using namespace medgen::records;
namespace fs = std::filesystem;

namespace {

// The rows of patients [begin, end) (fixture rows are grouped by patient, in patient order).
Dataset slice(const Dataset& d, size_t begin, size_t end) {
  Dataset out = d;
  const Column& pid = d.tables[0].columns[0];
  const std::string& first = pid.dictionary[static_cast<size_t>(pid.codes[begin])];
  const std::string& last = pid.dictionary[static_cast<size_t>(pid.codes[end - 1])];
  for (size_t t = 0; t < d.tables.size(); ++t) {
    const Column& key = d.tables[t].columns[t == 0 ? 0 : 1];
    std::vector<size_t> rows;
    for (size_t r = 0; r < key.size(); ++r) {
      const std::string& k = key.dictionary[static_cast<size_t>(key.codes[r])];
      if (k >= first && k <= last) rows.push_back(r);  // ids are zero-padded: order = id order
    }
    for (size_t c = 0; c < d.tables[t].num_cols(); ++c) {
      const Column& s = d.tables[t].columns[c];
      Column& o = out.tables[t].columns[c];
      o.values.clear();
      o.valid.clear();
      o.codes.clear();
      for (size_t r : rows) {
        if (s.storage == Storage::kNumber) {
          o.values.push_back(s.values[r]);
          o.valid.push_back(s.valid[r]);
        } else {
          o.codes.push_back(s.codes[r]);
        }
      }
    }
  }
  return out;
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

uint64_t folder_bytes(const std::string& folder) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(folder)) n += e.file_size();
  return n;
}

int run(int argc, char** argv) {
  const size_t patients = argc > 1 ? std::stoul(argv[1]) : 2000;
  const size_t visits = argc > 2 ? std::stoul(argv[2]) : 20;
  const int reps = argc > 3 ? std::stoi(argv[3]) : 3;
  const size_t chunk = 250;
  const Dataset all = fixture::make_clinical(patients, visits, 7, 1);
  std::vector<Dataset> chunks;
  for (size_t p = 0; p < patients; p += chunk) chunks.push_back(slice(all, p, std::min(p + chunk, patients)));
  const std::string root = (fs::temp_directory_path() / ("medgen-bench-fhir-" + std::to_string(::getpid()))).string();
  fs::create_directories(root);
  for (int f = 0; f < 2; ++f) {
    FhirWriteOptions o;
    o.format = f == 0 ? FhirFormat::kBundle : FhirFormat::kNdjson;
    const char* name = f == 0 ? "bundle" : "ndjson";
    for (int rep = 0; rep < reps; ++rep) {
      const std::string out = root + "/" + name + std::to_string(rep);
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_seconds();
      FhirWriter w(out, o);
      for (const Dataset& c : chunks) w.append(c);
      w.commit();
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = cpu_seconds() - c0;
      const double mb = static_cast<double>(folder_bytes(out)) / 1e6;
      nlohmann::ordered_json j;
      j["bench"] = "fhir_write";
      j["format"] = name;
      j["patients"] = w.patients();
      j["visits"] = visits;
      j["resources"] = w.resources();
      j["rep"] = rep;
      j["seconds"] = secs;
      j["cpu_seconds"] = cpu;
      j["patients_per_s"] = static_cast<double>(w.patients()) / secs;
      j["patients_per_cpu_s"] = static_cast<double>(w.patients()) / cpu;
      j["resources_per_s"] = static_cast<double>(w.resources()) / secs;
      j["mb_per_s"] = mb / secs;
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
      if (rep == 0) {
        const auto r0 = std::chrono::steady_clock::now();
        const double rc0 = cpu_seconds();
        const Dataset back = read_fhir({out});
        const double rsecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
        nlohmann::ordered_json k;
        k["bench"] = "fhir_read";
        k["format"] = name;
        k["patients"] = back.tables[0].num_rows();
        k["visits"] = visits;
        k["seconds"] = rsecs;
        k["cpu_seconds"] = cpu_seconds() - rc0;
        k["patients_per_s"] = static_cast<double>(back.tables[0].num_rows()) / rsecs;
        k["mb_per_s"] = mb / rsecs;
        std::printf("%s\n", k.dump().c_str());
      }
      fs::remove_all(out);
    }
  }
  fs::remove_all(root);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_fhir: %s\n", e.what());
    return 2;
  }
}
