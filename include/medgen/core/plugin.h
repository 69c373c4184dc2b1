// Loading the LibTorch parts of medgen (shared libraries next to the executable) on first use,
// so that commands which need no neural network never pay LibTorch's start-up cost.
// Global state: loading a plugin is process-wide (dlopen; the library stays loaded) and, the
// first time, may set OPENBLAS_CORETYPE in the environment. Call it from the main thread, or
// before other threads read the environment. The returned address belongs to the library and
// stays valid for the life of the process.
#pragma once

#include <string>

namespace medgen {

// dlopen()s `library` (searched in $MEDGEN_PLUGIN_DIR, the executable's folder, the folder of the
// shared object holding this code (a Python extension module), then the build folder) and
// returns the address of `symbol`. Before the first load, picks OpenBLAS's best kernels for
// this CPU unless OPENBLAS_CORETYPE is set (see docs/benchmarks.md). Throws InvalidInput
// naming `purpose` when the library cannot be loaded.
void* load_plugin_symbol(const std::string& library, const std::string& symbol, const std::string& purpose);

}  // namespace medgen
