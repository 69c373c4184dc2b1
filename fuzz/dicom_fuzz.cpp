// DICOM bytes -> the structural pre-check (src/imaging/dicom_check.cpp), in memory; what it
// lets through then goes to the full reader (GDCM decoding, src/imaging/dicom.cpp) from a
// scratch file: Debian's GDCM aborts on some malformed files, so anything the pre-check
// accepts must not reach those paths.
#include <string>

#include "fuzz_util.h"
#include "medgen/imaging/dicom_check.h"
#include "medgen/imaging/io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  static fuzz::ScratchFile scratch(".dcm");
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  bool structure_ok = false;
  fuzz::expect_clean("dicom/check", [&] {
    imaging::check_dicom_structure("<fuzz>", bytes);
    structure_ok = true;
  });
  if (!structure_ok) return 0;
  fuzz::expect_clean("dicom/read", [&] { (void)imaging::read_dicom_file(scratch.write(bytes)); });
  return 0;
}
