// Loading the LibTorch parts of medgen (shared libraries next to the executable) on first use,
// so that commands which need no neural network never pay LibTorch's start-up cost.
// Global state: loading a plugin is process-wide (dlopen; the library stays loaded). The returned
// address belongs to the library and stays valid for the life of the process.
#pragma once

#include <string>

namespace medgen {

// dlopen()s `library` (searched in $MEDGEN_PLUGIN_DIR, the executable's folder, the folder of the
// shared object holding this code (a Python extension module), then the build folder) and
// returns the address of `symbol`. Throws InvalidInput naming `purpose` when the library cannot
// be loaded.
void* load_plugin_symbol(const std::string& library, const std::string& symbol, const std::string& purpose);

// The kernels of the OpenBLAS loaded in this process ("Haswell", "SkylakeX", ...; "" when the
// BLAS is not OpenBLAS). OpenBLAS chooses them once, as it loads, which for medgen is at process
// start (core links LAPACK), from OPENBLAS_CORETYPE or its own CPU detection; setting the variable
// later changes nothing in this process, only in its children, so medgen never sets it.
std::string blas_core();

}  // namespace medgen
