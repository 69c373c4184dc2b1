// NIfTI-1/-2 bytes (uncompressed .nii) -> read_nifti (src/imaging/nifti.cpp over libnifti2),
// from a scratch file. issue 11: dim[0] = 515 smashed libnifti2's stack, and dimensions whose
// product overflows size_t crashed Volume::zeros.
#include "fuzz_util.h"
#include "medgen/imaging/io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  static fuzz::ScratchFile scratch(".nii");
  const std::string& path = scratch.write(data, size);
  fuzz::expect_clean("nifti", [&] {
    const imaging::Volume v = imaging::read_nifti(path);
    (void)v.range();
  });
  return 0;
}
