#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "imaging_util.h"
#include "medgen/core/error.h"
#include "medgen/imaging/intensity.h"
#include "medgen/imaging/io.h"

using namespace medgen;
using namespace medgen::imaging;
using namespace medgen::imaging::test;

TEST(Png, EightAndSixteenBitRoundTrip) {
  Scratch tmp;
  std::vector<uint16_t> px8(13 * 7), px16(13 * 7);
  for (size_t i = 0; i < px8.size(); ++i)
    px8[i] = static_cast<uint16_t>((i * 37) % 256), px16[i] = static_cast<uint16_t>(i * 701);
  write_png_gray(tmp.file("a8.png"), 13, 7, px8, 8);
  write_png_gray(tmp.file("a16.png"), 13, 7, px16, 16);
  const Volume a = read_image(tmp.file("a8.png")), b = read_image(tmp.file("a16.png"));
  ASSERT_EQ(a.dims, (std::array<size_t, 3>{13, 7, 1}));
  ASSERT_EQ(b.dims, a.dims);
  for (size_t i = 0; i < px8.size(); ++i) {
    EXPECT_EQ(a.voxels[i], px8[i]);
    EXPECT_EQ(b.voxels[i], px16[i]);
  }
  EXPECT_EQ(b.format, "PNG 16-bit");
}

TEST(Png, BadFilesGiveOneClearError) {
  Scratch tmp;
  std::ofstream(tmp.file("fake.png")) << "GIF89a not a png";
  try {
    read_image(tmp.file("fake.png"));
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("fake.png: not a PNG file"), std::string::npos) << e.what();
  }
  // A real PNG cut in half.
  std::vector<uint16_t> px(64 * 64, 100);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint16_t>(i % 251);
  write_png_gray(tmp.file("whole.png"), 64, 64, px, 8);
  std::ifstream in(tmp.file("whole.png"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(tmp.file("cut.png"), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  try {
    read_image(tmp.file("cut.png"));
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("cut.png: invalid PNG"), std::string::npos) << e.what();
  }
}

TEST(Intensity, CtWindowsAndPercentiles) {
  EXPECT_EQ(ct_window("brain").center, 40);
  EXPECT_EQ(ct_window("brain").width, 80);
  EXPECT_EQ(ct_window("bone").width, 1800);
  EXPECT_EQ(ct_window("soft").width, 400);
  EXPECT_EQ(ct_window("lung").center, -600);
  EXPECT_THROW(ct_window("liver"), InvalidInput);
  std::vector<float> x = {-100, 0, 40, 80, 1000};
  apply_window(x, ct_window("brain"));  // [0, 80] -> [0, 1]
  EXPECT_EQ(x, (std::vector<float>{0, 0, 0.5f, 1, 1}));
  std::vector<float> ramp(1001);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i);
  EXPECT_NEAR(percentile(ramp, 0.005), 5.0, 1e-9);
  EXPECT_NEAR(percentile(ramp, 0.995), 995.0, 1e-9);
  EXPECT_NEAR(percentile(ramp, 0.5), 500.0, 1e-9);
  Volume v = Volume::zeros(1001, 1, 1);
  v.voxels = ramp;
  const Window w = percentile_window(v);
  EXPECT_NEAR(w.lo(), 5.0, 1e-9);
  EXPECT_NEAR(w.hi(), 995.0, 1e-9);
  v.modality = Modality::CT;
  EXPECT_EQ(choose_window(v, "auto").width, 400);  // soft tissue for CT
}

TEST(Intensity, PreviewOfEachAxisIsWritten) {
  Scratch tmp;
  Volume v = Volume::zeros(6, 5, 4);
  for (size_t k = 0; k < 4; ++k)
    for (size_t j = 0; j < 5; ++j)
      for (size_t i = 0; i < 6; ++i) v.at(i, j, k) = static_cast<float>(100 * k + 10 * j + i);
  const Slice cor = extract_slice(v, Axis::Coronal, 2);
  EXPECT_EQ(cor.width, 6u);
  EXPECT_EQ(cor.height, 4u);
  EXPECT_EQ(cor.pixels[0], v.at(0, 2, 3)) << "top row is the last slice";
  const Slice sag = extract_slice(v, Axis::Sagittal, 1);
  EXPECT_EQ(sag.width, 5u);
  EXPECT_EQ(sag.pixels[5 * 3 + 4], v.at(1, 4, 0));
  EXPECT_THROW(extract_slice(v, Axis::Axial, 4), InvalidInput);
  write_preview(v, tmp.file("p.png"), Axis::Axial, -1, "auto");
  const Volume p = read_png(tmp.file("p.png"));
  EXPECT_EQ(p.dims, (std::array<size_t, 3>{6, 5, 1}));
  // Middle axial slice (k = 2) through the 0.5-99.5 % window of the whole volume.
  const Window w = percentile_window(v);
  for (size_t i = 0; i < 30; ++i) {
    const double expect = std::clamp((v.voxels[60 + i] - w.lo()) / w.width, 0.0, 1.0) * 255.0;
    EXPECT_NEAR(p.voxels[i], expect, 0.51);
  }
}

TEST(Inv3, ReadsTheCraniumCtInHounsfieldUnits) {
  MEDGEN_REQUIRE_FILE(kCranium, "invesalius-examples");
  const Volume v = read_image(kCranium);
  EXPECT_EQ(v.dims, (std::array<size_t, 3>{256, 256, 108}));
  EXPECT_NEAR(v.spacing[0], 0.9570312, 1e-6);
  EXPECT_NEAR(v.spacing[2], 1.5, 1e-9);
  EXPECT_EQ(v.modality, Modality::CT);
  auto [lo, hi] = v.range();
  EXPECT_EQ(lo, -1024.f);  // air outside the scanner's field of view
  EXPECT_GT(hi, 1500.f);   // bone
  // The corner is air; the middle of the middle slice is brain (soft tissue, 0..100 HU) or bone.
  EXPECT_LT(v.at(2, 2, 54), -900.f);
}

TEST(Inv3, CorruptProjectGivesOneClearError) {
  Scratch tmp;
  std::ofstream(tmp.file("x.inv3")) << "not gzip";
  try {
    read_image(tmp.file("x.inv3"));
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("x.inv3: not a valid InVesalius project"), std::string::npos) << e.what();
  }
}
