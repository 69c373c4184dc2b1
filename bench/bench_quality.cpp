// Quality figures quoted in the docs: pairwise correlation error (mean |rho_real - rho_syn|
// over numeric and two-level columns, Pearson) of 10,000 synthetic rows against the real
// table, for every registered synthesizer, on pbc and pima2 (seed 11); and how well each
// follows a condition: on a two-group table (85% of rows in group a with x ~ N(10, 2), 15% in
// group b with x ~ N(50, 2)), the mean of x in 2,000 rows sampled with group=b (real: 50).
// One JSON line each.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "bench_table.h"
#include "medgen/tabular/pipeline.h"

using namespace medgen;
using namespace medgen::tabular;

namespace {

struct Variant {
  std::string label, name;
  nlohmann::json params;
};

// Every registered synthesizer with its defaults, plus ctgan sampling with batch statistics
// (the Python reference's behaviour) to measure the batch-norm choice.
std::vector<Variant> variants() {
  std::vector<Variant> out;
  for (const SynthesizerInfo& info : list_synthesizers()) out.push_back({info.name, info.name, nlohmann::json::object()});
  out.push_back({"ctgan(sample_batchnorm=train)", "ctgan", {{"sample_batchnorm", "train"}}});
  return out;
}

}  // namespace

int main() {
  for (const char* name : {"pbc", "pima2"}) {
    const Dataset d = load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/tests/data/" + name + ".csv", "");
    for (const auto& [label, synth_name, params] : variants()) {
      Context ctx;
      ctx.seed = 11;
      auto synth = create_synthesizer(synth_name, params);
      synth->fit(d.table, d.schema, ctx);
      const Table syn = synth->sample(10000, {}, ctx);
      nlohmann::json j = {{"bench", "correlation_error"}, {"table", name}, {"synthesizer", label},
                          {"rows", 10000}, {"seed", 11}, {"value", correlation_error(d.table, syn, d.schema)}};
      std::printf("%s\n", j.dump().c_str());
    }
  }
  Table t;
  Schema s;
  bench_table::two_groups(&t, &s);
  for (const auto& [label, synth_name, params] : variants()) {
    Context ctx;
    ctx.seed = 11;
    auto synth = create_synthesizer(synth_name, params);
    synth->fit(t, s, ctx);
    const Table out = synth->sample(2000, {{"group", "b"}}, ctx);
    double mean = 0;
    for (size_t i = 0; i < out.num_rows(); ++i) mean += out.column("x").values[i] / out.num_rows();
    nlohmann::json j = {{"bench", "conditional_mean"}, {"table", "two_groups"}, {"synthesizer", label},
                        {"condition", "group=b"}, {"real", 50.0}, {"value", mean}};
    std::printf("%s\n", j.dump().c_str());
  }
  return 0;
}
