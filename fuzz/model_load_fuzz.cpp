// A model file's JSON header, wrapped into a well-formed file with a correct checksum (as an
// attacker would), -> load_model -> sample (src/tabular/synthesizer.cpp, copula.cpp,
// src/core/schema.cpp). A checksum proves integrity, not origin: every field is untrusted.
// The copula, independent and cart synthesizers are exercised; the neural ones need LibTorch
// (their state is a LibTorch archive) and are left out of the fuzz build.
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "medgen/core/model_file.h"
#include "medgen/tabular/pipeline.h"
#include "medgen/tabular/synthesizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  static fuzz::ScratchFile scratch(".medgen"), out(".csv");
  const std::string text(reinterpret_cast<const char*>(data), size);
  ModelFile m;
  m.header = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (m.header.is_discarded() || !m.header.is_object()) return 0;
  const auto name = m.header.find("synthesizer");
  if (name != m.header.end() && name->is_string() && *name != "copula" && *name != "independent" &&
      *name != "cart")
    return 0;
  scratch.write(m.serialize());
  Context ctx;
  ctx.seed = 1;
  // What `medgen sample -n 5 -o out.csv` does.
  fuzz::expect_clean("model_load/sample_to_csv", [&] {
    tabular::SampleRequest request;
    request.model = scratch.path();
    request.rows = 5;
    (void)tabular::sample_to_csv(request, ctx, out.path());
  });
  fuzz::expect_clean("model_load", [&] {
    tabular::LoadedModel loaded = tabular::load_model(scratch.path());
    const tabular::Synthesizer& s = *loaded.synthesizer;
    (void)s.summary();
    // Conditioned on the first level of each categorical column (the issue-11 crash was an
    // empty category list).
    for (const ColumnSchema& c : s.schema().columns)
      if ((c.type == ColumnType::kCategorical || c.type == ColumnType::kBoolean) && !c.values.empty())
        fuzz::expect_clean("model_load/condition", [&] { (void)s.sample(3, {{c.name, c.values.front()}}, ctx); });
  });
  return 0;
}
