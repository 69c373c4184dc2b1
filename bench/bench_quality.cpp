// Quality figures quoted in the docs: pairwise correlation error (mean |rho_real - rho_syn|
// over numeric and two-level columns, Pearson) of 10,000 synthetic rows against the real
// table, for every registered synthesizer, on pbc and pima2 (seed 11). One JSON line each.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "medgen/tabular/pipeline.h"

using namespace medgen;
using namespace medgen::tabular;

int main() {
  for (const char* name : {"pbc", "pima2"}) {
    const Dataset d = load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/tests/data/" + name + ".csv", "");
    for (const SynthesizerInfo& info : list_synthesizers()) {
      Context ctx;
      ctx.seed = 11;
      auto synth = create_synthesizer(info.name);
      synth->fit(d.table, d.schema, ctx);
      const Table syn = synth->sample(10000, {}, ctx);
      nlohmann::json j = {{"bench", "correlation_error"}, {"table", name}, {"synthesizer", info.name},
                          {"rows", 10000}, {"seed", 11}, {"value", correlation_error(d.table, syn, d.schema)}};
      std::printf("%s\n", j.dump().c_str());
    }
  }
  return 0;
}
