#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "medgen/core/error.h"
#include "medgen/core/version.h"
#include "medgen/tabular/neural.h"

namespace medgen::tabular {

namespace {

using CreateFn = Synthesizer* (*)(const std::string& name, const nlohmann::json& params);

constexpr const char* kLibrary = "libmedgen_tabular_nn.so";

// OpenBLAS picks its kernels when LibTorch loads it. On virtualised CPUs that hide their model
// it falls back to generic SSE3 ("Prescott") kernels. Measured here (docs/benchmarks.md): its
// Haswell (AVX2 + FMA) kernels made CTGAN sampling 1.7x faster than Prescott, and on a CPU
// with AVX-512 its SkylakeX kernels cut a CTGAN epoch by a further ~25%. Choose the best the
// CPU has, unless the user has chosen (OPENBLAS_CORETYPE).
void choose_blas_kernels() {
#if defined(__x86_64__)
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    ::setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    ::setenv("OPENBLAS_CORETYPE", "Haswell", 0);
#endif
}

CreateFn load_create() {
  static CreateFn fn = nullptr;
  if (fn) return fn;
  choose_blas_kernels();
  std::vector<std::string> candidates;
  if (const char* dir = std::getenv("MEDGEN_PLUGIN_DIR")) candidates.push_back(std::string(dir) + "/" + kLibrary);
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    candidates.push_back((std::filesystem::path(exe).parent_path() / kLibrary).string());
  }
  candidates.push_back(std::string(MEDGEN_LIBRARY_DIR) + "/" + kLibrary);
  std::string errors;
  for (const std::string& path : candidates) {
    if (!std::filesystem::exists(path)) continue;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      errors += std::string(" ") + ::dlerror();
      continue;
    }
    fn = reinterpret_cast<CreateFn>(::dlsym(handle, "medgen_tabular_nn_create"));
    if (fn) return fn;
    errors += " " + path + ": no entry point";
  }
  throw InvalidInput(std::string("neural synthesizers need ") + kLibrary +
                     " (built with LibTorch), which could not be loaded" + (errors.empty() ? ": not found" : ":" + errors));
}

}  // namespace

std::unique_ptr<Synthesizer> create_neural_synthesizer(const std::string& name, const nlohmann::json& params) {
  return std::unique_ptr<Synthesizer>(load_create()(name, params));
}

}  // namespace medgen::tabular
