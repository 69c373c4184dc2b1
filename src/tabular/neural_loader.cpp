#include "medgen/core/error.h"
#include "medgen/core/plugin.h"
#include "medgen/tabular/neural.h"

namespace medgen::tabular {

namespace {

using CreateFn = Synthesizer* (*)(const std::string& name, const nlohmann::json& params);

CreateFn load_create() {
  static CreateFn fn = reinterpret_cast<CreateFn>(
      load_plugin_symbol("libmedgen_tabular_nn.so", "medgen_tabular_nn_create", "neural synthesizers"));
  return fn;
}

}  // namespace

std::unique_ptr<Synthesizer> create_neural_synthesizer(const std::string& name, const nlohmann::json& params) {
  return std::unique_ptr<Synthesizer>(load_create()(name, params));
}

}  // namespace medgen::tabular
