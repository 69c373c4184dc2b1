// InVesalius project -> read_inv3 (src/imaging/inv3.cpp). The input is the *uncompressed* tar
// (main.plist, matrix.dat): the target gzips it into the scratch .inv3, so that mutations reach
// the tar and plist parsing instead of failing gzip's CRC. issue 11: a ~1 KB project asked for
// ~13.5 GB before its data was checked.
#include <zlib.h>

#include <cstdlib>

#include "fuzz_util.h"
#include "medgen/imaging/io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  static fuzz::ScratchFile scratch(".inv3");
  gzFile gz = gzopen(scratch.path().c_str(), "wb1");
  if (!gz) std::abort();
  if (size && gzwrite(gz, data, static_cast<unsigned>(size)) != static_cast<int>(size)) std::abort();
  gzclose(gz);
  fuzz::expect_clean("inv3", [&] {
    const imaging::Volume v = imaging::read_inv3(scratch.path());
    (void)v.range();
  });
  return 0;
}
