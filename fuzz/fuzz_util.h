// Shared by the fuzz targets: the policy on exceptions and a scratch file for readers that take
// a path.
//
// medgen's contract for bad input (docs/architecture.md): InvalidInput, IoError or ModelFormat,
// which the CLI turns into one line and exit 2. Any other exception escaping a reader becomes
// "internal error", exit 1, and is a finding here too: the target prints it and aborts, so
// libFuzzer keeps the input. MEDGEN_FUZZ_LENIENT=1 lets such exceptions pass, to look for
// memory errors only. MEDGEN_FUZZ_VERBOSE=1 prints every refusal (to see why a seed is refused).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "medgen/core/error.h"

namespace medgen::fuzz {

inline bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string(v) != "0";
}
inline bool lenient() {
  static const bool on = env_flag("MEDGEN_FUZZ_LENIENT");
  return on;
}
inline void refused(const char* what, const std::exception& e) {
  static const bool verbose = env_flag("MEDGEN_FUZZ_VERBOSE");
  if (verbose) std::fprintf(stderr, "medgen fuzz: %s: refused: %s\n", what, e.what());
}

// Runs f(); refusals the contract allows are swallowed, anything else aborts (see above).
template <class F>
void expect_clean(const char* what, F&& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    refused(what, e);
  } catch (const IoError& e) {
    refused(what, e);
  } catch (const ModelFormat& e) {
    refused(what, e);
  } catch (const std::exception& e) {
    if (lenient()) return;
    std::fprintf(stderr, "medgen fuzz: %s: an exception other than InvalidInput/IoError/ModelFormat escaped "
                         "(the CLI would exit 1): %s\n", what, e.what());
    std::abort();
  }
}

// A per-process scratch file with a fixed extension (the readers dispatch on it), rewritten
// for every input and removed at exit: $MEDGEN_FUZZ_SCRATCH/input<suffix> when that folder is
// set (scripts/fuzz.sh gives each target its own, so that the path, which reaches libFuzzer's
// table of compared values, is the same on every run and the seeded run repeats), else
// $TMPDIR/medgen-fuzz-<pid><suffix> (TMPDIR default /tmp).
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& suffix) {
    const char* own = std::getenv("MEDGEN_FUZZ_SCRATCH");
    const char* dir = std::getenv("TMPDIR");
    if (own && *own)
      path_ = std::string(own) + "/input" + suffix;
    else
      path_ = std::string(dir && *dir ? dir : "/tmp") + "/medgen-fuzz-" + std::to_string(::getpid()) + suffix;
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  const std::string& write(const uint8_t* data, size_t size) {
    FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) {
      std::perror(path_.c_str());
      std::abort();
    }
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    return path_;
  }
  const std::string& write(const std::string& s) {
    return write(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace medgen::fuzz
