#include "medgen/core/plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "medgen/core/error.h"
#include "medgen/core/version.h"

namespace medgen {

std::string blas_core() {
  using CoreName = char* (*)();
  const auto fn = reinterpret_cast<CoreName>(::dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!fn) return "";
  const char* name = fn();
  return name ? name : "";
}

void* load_plugin_symbol(const std::string& library, const std::string& symbol, const std::string& purpose) {
  std::vector<std::string> candidates;
  if (const char* dir = std::getenv("MEDGEN_PLUGIN_DIR")) candidates.push_back(std::string(dir) + "/" + library);
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    candidates.push_back((std::filesystem::path(exe).parent_path() / library).string());
  }
  // The folder of the shared object holding this code, when it is not the executable (the Python
  // extension module carries its plugins beside it).
  Dl_info self{};
  if (::dladdr(reinterpret_cast<void*>(&load_plugin_symbol), &self) && self.dli_fname)
    candidates.push_back((std::filesystem::path(self.dli_fname).parent_path() / library).string());
  candidates.push_back(std::string(MEDGEN_LIBRARY_DIR) + "/" + library);
  std::string errors;
  for (const std::string& path : candidates) {
    if (!std::filesystem::exists(path)) continue;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      errors += std::string(" ") + ::dlerror();
      continue;
    }
    if (void* fn = ::dlsym(handle, symbol.c_str())) return fn;
    errors += " " + path + ": no entry point " + symbol;
  }
  throw InvalidInput(purpose + " need " + library + " (built with LibTorch), which could not be loaded" +
                     (errors.empty() ? ": not found" : ":" + errors));
}

}  // namespace medgen
