// Shared helpers for the imaging tests: the Debian data files and a scratch folder.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "medgen/imaging/volume.h"

namespace medgen::imaging::test {

inline const std::string kPydicom = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";
inline const std::string kCh2 = "/usr/share/mricron/templates/ch2.nii.gz";
inline const std::string kCh2bet = "/usr/share/mricron/templates/ch2bet.nii.gz";  // brain-extracted
inline const std::string kCranium = "/usr/share/doc/invesalius-examples/examples/Cranium.inv3";

inline bool exists(const std::string& p) { return std::filesystem::exists(p); }

// Same dims, and spacing, origin and direction within tol.
inline void expect_same_geometry(const Volume& a, const Volume& b, double tol) {
  EXPECT_EQ(a.dims, b.dims);
  for (int r = 0; r < 3; ++r) {
    EXPECT_NEAR(a.spacing[r], b.spacing[r], tol) << "spacing " << r;
    EXPECT_NEAR(a.origin[r], b.origin[r], tol) << "origin " << r;
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a.direction[r][c], b.direction[r][c], tol) << "direction " << r << c;
  }
}

// GTEST_SKIP must be used in the test body itself, hence a macro.
#define MEDGEN_REQUIRE_FILE(path, package)                                                                             \
  do {                                                                                                                 \
    if (!::medgen::imaging::test::exists(path))                                                                        \
      GTEST_SKIP() << (path) << " is missing: install the Debian package " << (package) << " (scripts/setup.sh does)"; \
  } while (0)

struct Scratch {
  std::filesystem::path path;
  Scratch() {
    path = std::filesystem::temp_directory_path() / ("medgen-imaging-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~Scratch() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace medgen::imaging::test
