// PNG bytes -> read_png (src/imaging/png.cpp over libpng), from a scratch file.
#include "fuzz_util.h"
#include "medgen/imaging/io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  static fuzz::ScratchFile scratch(".png");
  const std::string& path = scratch.write(data, size);
  fuzz::expect_clean("png", [&] {
    const imaging::Volume v = imaging::read_png(path);
    (void)v.range();
  });
  return 0;
}
