// Uploaded archives of a dataset folder (src/server/archive.cpp, the server's reader of tar,
// tar.gz and zip bodies): anything else than a flat folder of .csv files and dataset.json must
// be refused with InvalidInput; what was accepted must survive the server's own tar: written
// with write_tar and read back, the same names and bytes.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../src/server/archive.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace medgen;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean("archive", [&] {
    // Smaller bounds than the server's 1 GiB: a decompression bomb stops at 16 MiB here.
    const server::ArchiveLimits limits{64, uint64_t{16} << 20};
    const auto files = server::read_upload_archive(bytes, "<fuzz>", limits);
    const auto again = server::read_upload_archive(server::write_tar(files), "<round trip>", limits);
    if (again != files) {
      std::fprintf(stderr, "medgen fuzz: archive round trip changed %zu files into %zu\n", files.size(), again.size());
      std::abort();
    }
  });
  return 0;
}
