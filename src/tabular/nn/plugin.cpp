// The library's entry point, looked up with dlsym by src/tabular/neural_loader.cpp.
#include "common.h"

#include "medgen/core/error.h"

extern "C" medgen::tabular::Synthesizer* medgen_tabular_nn_create(const std::string& name, const nlohmann::json& params) {
  using namespace medgen::tabular;
  if (name == "tvae") return nnlib::make_tvae(params);
  if (name == "ctgan") return nnlib::make_ctgan(params);
  if (name == "diffusion") return nnlib::make_diffusion(params);
  if (name == "autoregressive") return nnlib::make_autoregressive(params);
  throw medgen::InvalidInput("unknown neural synthesizer '" + name + "'");
}
