#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "imaging_util.h"
#include "medgen/core/error.h"
#include "medgen/imaging/io.h"

using namespace medgen;
using namespace medgen::imaging;
using namespace medgen::imaging::test;

namespace {

// A crop of v starting at (x0, y0, z0), with the origin moved so world positions are kept.
Volume crop(const Volume& v, size_t x0, size_t y0, size_t z0, size_t nx, size_t ny, size_t nz) {
  Volume c = v;
  c.dims = {nx, ny, nz};
  c.voxels.assign(nx * ny * nz, 0.f);
  for (size_t k = 0; k < nz; ++k)
    for (size_t j = 0; j < ny; ++j)
      for (size_t i = 0; i < nx; ++i) c.at(i, j, k) = v.at(x0 + i, y0 + j, z0 + k);
  c.origin = v.position(static_cast<double>(x0), static_cast<double>(y0), static_cast<double>(z0));
  return c;
}

}  // namespace

TEST(Nifti, ReadsColin27WithItsGeometry) {
  MEDGEN_REQUIRE_FILE(kCh2, "mricron-data");
  const Volume v = read_nifti(kCh2);
  EXPECT_EQ(v.dims, (std::array<size_t, 3>{181, 217, 181}));
  EXPECT_EQ(v.format, "NIfTI-1");
  // Colin27 is stored RAS with 1 mm voxels: in LPS the x and y axes point right and anterior.
  EXPECT_NEAR(v.spacing[0], 1.0, 1e-6);
  EXPECT_NEAR(v.direction[0][0], -1.0, 1e-6);
  EXPECT_NEAR(v.direction[1][1], -1.0, 1e-6);
  EXPECT_NEAR(v.direction[2][2], 1.0, 1e-6);
  EXPECT_EQ(axis_code(v), "RAS");
  // Its sform puts the MNI origin (0, 0, 0) at voxel (90, 126, 72): x_ras = -90 + i etc.
  const auto p = v.position(90, 126, 72);
  EXPECT_NEAR(p[0], 0.0, 1e-4);
  EXPECT_NEAR(p[1], -1.0, 1.0 + 1e-4);  // within a voxel: the exact origin is template lore
  auto [lo, hi] = v.range();
  EXPECT_EQ(lo, 0.f);
  EXPECT_GT(hi, 200.f);
}

TEST(Nifti, RoundTripKeepsVoxelsExactlyAndGeometry) {
  MEDGEN_REQUIRE_FILE(kCh2, "mricron-data");
  Scratch tmp;
  const Volume full = read_nifti(kCh2);
  const Volume v = crop(full, 60, 70, 50, 48, 40, 32);  // a crop keeps the test fast
  for (const char* name : {"crop.nii.gz", "crop.nii"}) {
    write_nifti(v, tmp.file(name));
    const Volume back = read_nifti(tmp.file(name));
    EXPECT_EQ(back.voxels, v.voxels) << name;
    expect_same_geometry(v, back, 1e-5);
    EXPECT_EQ(back.meta.at("NiftiSformCode"), "4") << "the MNI sform code is kept";
  }
}

TEST(Nifti, ObliqueAnisotropicFloatVolumeRoundTrips) {
  Scratch tmp;
  Volume v = Volume::zeros(7, 5, 4);
  for (size_t i = 0; i < v.nvox(); ++i) v.voxels[i] = 0.25f * static_cast<float>(i) - 3.1f;  // not integers: float32
  // A rotation of 30 degrees about z, then 20 about x, with a reflection of the slice axis.
  const double a = M_PI / 6, b = M_PI / 9;
  const double rz[3][3] = {{std::cos(a), -std::sin(a), 0}, {std::sin(a), std::cos(a), 0}, {0, 0, 1}};
  const double rx[3][3] = {{1, 0, 0}, {0, std::cos(b), -std::sin(b)}, {0, std::sin(b), std::cos(b)}};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += rx[r][k] * rz[k][c];
      v.direction[r][c] = c == 2 ? -s : s;
    }
  v.spacing = {0.7, 1.3, 2.5};
  v.origin = {-12.5, 40.25, 7.0};
  write_nifti(v, tmp.file("oblique.nii.gz"));
  const Volume back = read_nifti(tmp.file("oblique.nii.gz"));
  EXPECT_EQ(back.voxels, v.voxels);
  expect_same_geometry(v, back, 1e-5);
}

// medgen writes NIfTI-1 only, so the NIfTI-2 reader is checked on a file built here byte by
// byte from the NIfTI-2 header layout (540 bytes, 64-bit dims, double affine).
TEST(Nifti, ReadsNifti2WithSformAndScaling) {
  Scratch tmp;
  std::string h(544, '\0');
  auto put = [&](size_t off, auto value) { std::memcpy(&h[off], &value, sizeof value); };
  put(0, int32_t{540});
  std::memcpy(&h[4], "n+2\0\r\n\032\n", 8);
  put(12, int16_t{4});   // datatype INT16
  put(14, int16_t{16});  // bitpix
  const int64_t dim[8] = {3, 4, 3, 2, 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i) put(16 + 8 * i, dim[i]);
  const double pixdim[8] = {1, 2.0, 3.0, 4.0, 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i) put(104 + 8 * i, pixdim[i]);
  put(168, int64_t{544});  // vox_offset
  put(176, 0.5);           // scl_slope
  put(184, -10.0);         // scl_inter
  put(348, int32_t{1});    // sform_code
  // sform (RAS): i along +x (right) 2 mm, j along +y 3 mm, k along +z 4 mm, origin (5, 6, 7).
  const double srow[3][4] = {{2, 0, 0, 5}, {0, 3, 0, 6}, {0, 0, 4, 7}};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) put(400 + 32 * r + 8 * c, srow[r][c]);
  put(500, int32_t{2});  // xyzt_units: mm
  std::string data(4 * 3 * 2 * 2, '\0');
  for (int16_t i = 0; i < 24; ++i) std::memcpy(&data[2 * i], &i, 2);
  std::ofstream(tmp.file("v2.nii"), std::ios::binary) << h << data;
  const Volume v = read_image(tmp.file("v2.nii"));
  EXPECT_EQ(v.format, "NIfTI-2");
  EXPECT_EQ(v.dims, (std::array<size_t, 3>{4, 3, 2}));
  for (size_t i = 0; i < 24; ++i) EXPECT_FLOAT_EQ(v.voxels[i], 0.5f * static_cast<float>(i) - 10.f);
  // RAS -> LPS: x and y change sign.
  EXPECT_EQ(v.spacing, (std::array<double, 3>{2, 3, 4}));
  EXPECT_EQ(v.origin, (std::array<double, 3>{-5, -6, 7}));
  EXPECT_EQ(v.direction[0][0], -1);
  EXPECT_EQ(v.direction[1][1], -1);
  EXPECT_EQ(v.direction[2][2], 1);
  EXPECT_EQ(axis_code(v), "RAS");
  // Written back as NIfTI-1, the same geometry and values.
  write_nifti(v, tmp.file("v1.nii.gz"));
  const Volume back = read_image(tmp.file("v1.nii.gz"));
  EXPECT_EQ(back.format, "NIfTI-1");
  EXPECT_EQ(back.voxels, v.voxels);
  expect_same_geometry(v, back, 1e-6);
}

TEST(Nifti, BadFilesGiveOneClearError) {
  Scratch tmp;
  {
    std::ofstream(tmp.file("text.nii.gz")) << "this is not an image\n";
    try {
      read_image(tmp.file("text.nii.gz"));
      FAIL() << "no error";
    } catch (const InvalidInput& e) {
      EXPECT_NE(std::string(e.what()).find("text.nii.gz: not a NIfTI file"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(read_image(tmp.file("missing.nii")), IoError);
  // A real NIfTI cut in its voxel data.
  Volume v = Volume::zeros(32, 32, 16);
  for (size_t i = 0; i < v.nvox(); ++i) v.voxels[i] = static_cast<float>(i % 1000);
  write_nifti(v, tmp.file("whole.nii"));
  std::ifstream in(tmp.file("whole.nii"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(tmp.file("cut.nii"), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  try {
    read_image(tmp.file("cut.nii"));
    FAIL() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("cut.nii:"), std::string::npos) << e.what();
  }
}
