// Raw model-file bytes -> ModelFile::deserialize (src/core/model_file.cpp): magic, version,
// lengths and checksum. Almost every mutation fails the checksum; model_load_fuzz.cpp fuzzes
// what lies behind it. An accepted file must serialize back to the same bytes.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_util.h"
#include "medgen/core/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean("model_file", [&] {
    const ModelFile m = ModelFile::deserialize(bytes, "<fuzz>");
    // nlohmann re-dumps numbers and escapes in its own spelling: compare the parsed form.
    const ModelFile again = ModelFile::deserialize(m.serialize(), "<again>");
    if (again.header != m.header || again.payload != m.payload) {
      std::fprintf(stderr, "medgen fuzz: model file round trip differs\n");
      std::abort();
    }
  });
  return 0;
}
