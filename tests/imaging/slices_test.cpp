// Slices for the image models: split by position, foreground, extraction and its inverse,
// square padding and the resamplers.
#include "medgen/imaging/slices.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "imaging/imaging_util.h"
#include "medgen/core/error.h"
#include "medgen/core/rng.h"

namespace medgen::imaging {
namespace {

constexpr double kTwoPi = 6.283185307179586;

std::vector<size_t> iota(size_t from, size_t to) {
  std::vector<size_t> v(to - from);
  std::iota(v.begin(), v.end(), from);
  return v;
}

TEST(SplitByPosition, NoTrainSliceNearATestSlice) {
  const std::vector<size_t> all = iota(0, 200);
  const SliceSplit s = split_by_position(all, 16, 4, 2);
  // Test blocks 1, 5, 9: 16..31, 80..95, 144..159. The training blocks beside them lose 2
  // slices each (blocks 0, 2, 4, 6, 8, 10): 12 slices in neither list.
  EXPECT_EQ(s.test.size(), 48u);
  EXPECT_EQ(s.train.size(), 200u - 48u - 12u);
  EXPECT_EQ(s.test.front(), 16u);
  EXPECT_EQ(s.test.back(), 159u);
  for (size_t t : s.train)
    for (size_t q : s.test) ASSERT_GT(t > q ? t - q : q - t, 2u) << t << " vs " << q;
  std::vector<size_t> both = s.train;
  both.insert(both.end(), s.test.begin(), s.test.end());
  std::sort(both.begin(), both.end());
  EXPECT_TRUE(std::adjacent_find(both.begin(), both.end()) == both.end()) << "a slice in both lists";
}

TEST(SplitByPosition, CandidatesRestrictBothListsAndTestIsSpread) {
  std::vector<size_t> cand;
  for (size_t p = 30; p < 170; p += 3) cand.push_back(p);
  const SliceSplit s = split_by_position(cand, 10, 3, 1);
  ASSERT_FALSE(s.test.empty());
  for (size_t p : s.train) EXPECT_TRUE(std::binary_search(cand.begin(), cand.end(), p)) << p;
  for (size_t p : s.test) EXPECT_TRUE(std::binary_search(cand.begin(), cand.end(), p)) << p;
  for (size_t t : s.train)
    for (size_t q : s.test) ASSERT_GT(t > q ? t - q : q - t, 1u);
  // Test blocks 1, 4, 7, 10, 13, 16: spread over the candidates' whole range.
  EXPECT_LT(s.test.front(), 50u);
  EXPECT_GT(s.test.back(), 150u);
  EXPECT_GT(s.train.size(), s.test.size());
}

TEST(SplitByPosition, RejectsBadParameters) {
  const std::vector<size_t> all = iota(0, 50);
  EXPECT_THROW(split_by_position(all, 0, 4, 0), InvalidInput);
  EXPECT_THROW(split_by_position(all, 16, 1, 2), InvalidInput);
  EXPECT_THROW(split_by_position(all, 16, 4, 8), InvalidInput);
  EXPECT_NO_THROW(split_by_position(all, 16, 4, 7));
  EXPECT_NO_THROW(split_by_position({}, 16, 4, 2));
}

TEST(Slices, ForegroundSlicesDropEmptyEnds) {
  Volume v = Volume::zeros(20, 16, 30);
  for (size_t k = 5; k < 25; ++k)
    for (size_t j = 3; j < 13; ++j)
      for (size_t i = 4; i < 14; ++i) v.at(i, j, k) = 100;  // 100 of 320 pixels: 31 %
  const Window w{50, 100};
  EXPECT_EQ(foreground_slices(v, Axis::Axial, w), iota(5, 25));
  EXPECT_TRUE(foreground_slices(v, Axis::Axial, w, 0.5).empty());
  // Coronal slices (nx x nz = 600 pixels) through j = 3..12 hold 10 x 20 = 200 bright pixels.
  EXPECT_EQ(foreground_slices(v, Axis::Coronal, w, 0.3), iota(3, 13));
}

// A volume with distinct in-window values and non-trivial geometry and identifiers.
Volume test_volume() {
  Volume v = Volume::zeros(7, 5, 6);
  Rng rng(3);
  for (float& x : v.voxels) x = static_cast<float>(-50 + 200 * rng.uniform());  // window -60..160
  v.spacing = {0.7, 0.8, 2.5};
  v.origin = {-10, 20, 30};
  v.direction = {{{0, 1, 0}, {-1, 0, 0}, {0, 0, 1}}};
  v.modality = Modality::CT;
  v.meta["PatientID"] = "X1";
  return v;
}

TEST(Slices, RoundTripThroughSlicesKeepsVoxelsAndGeometry) {
  const Volume v = test_volume();
  const Window w{50, 220};
  for (Axis axis : {Axis::Axial, Axis::Coronal, Axis::Sagittal}) {
    const size_t n = axis_length(v, axis);
    const SliceStack s = slices_from_volume(v, axis, w, iota(0, n));
    ASSERT_EQ(s.n, n);
    for (size_t k = 0; k < n; ++k) {
      Slice ref = extract_slice(v, axis, k);
      apply_window(ref.pixels, w);
      ASSERT_EQ(s.w, ref.width);
      ASSERT_EQ(s.h, ref.height);
      EXPECT_EQ(s.position[k], k);
      for (size_t i = 0; i < s.plane(); ++i) ASSERT_EQ(s.slice(k)[i], ref.pixels[i]);
    }
    Volume like = v;
    std::fill(like.voxels.begin(), like.voxels.end(), -1000.0f);
    const Volume back = volume_from_slices(like, axis, w, s);
    test::expect_same_geometry(back, v, 0);
    EXPECT_EQ(back.meta, v.meta);
    EXPECT_EQ(back.modality, v.modality);
    for (size_t i = 0; i < v.nvox(); ++i) ASSERT_NEAR(back.voxels[i], v.voxels[i], 1e-4) << i;

    // Only the positions in the stack are written.
    const SliceStack part = s.subset({1, 3});
    EXPECT_EQ(part.position, (std::vector<size_t>{1, 3}));
    const Volume some = volume_from_slices(like, axis, w, part);
    for (size_t k = 0; k < n; ++k) {
      const Slice got = extract_slice(some, axis, k), want = extract_slice(k == 1 || k == 3 ? v : like, axis, k);
      for (size_t i = 0; i < got.pixels.size(); ++i) ASSERT_NEAR(got.pixels[i], want.pixels[i], 1e-4);
    }
  }
  // The stack must match the volume's slice size along the axis.
  const SliceStack axial = slices_from_volume(v, Axis::Axial, w, {0});
  EXPECT_THROW(volume_from_slices(v, Axis::Coronal, w, axial), InvalidInput);
  EXPECT_THROW(slices_from_volume(v, Axis::Axial, w, {6}), InvalidInput);
}

TEST(Slices, SquarePaddingIsCentredAndResized) {
  Volume v = Volume::zeros(40, 20, 2);
  std::fill(v.voxels.begin(), v.voxels.end(), 1.0f);
  const Window w{0.5, 1};
  // 40 x 20 padded to 40 x 40 (rows 10..29), then halved: rows 5..14 are 1, the rest 0.
  const SliceStack s = slices_from_volume(v, Axis::Axial, w, {0, 1}, 20);
  ASSERT_EQ(s.h, 20u);
  ASSERT_EQ(s.w, 20u);
  for (size_t r = 0; r < 20; ++r)
    for (size_t c = 0; c < 20; ++c) ASSERT_EQ(s.slice(1)[r * 20 + c], r >= 5 && r < 15 ? 1.0f : 0.0f) << r;
  // Shrinking by 1.5 averages areas: the mean is kept and a constant stays constant.
  Volume u = Volume::zeros(30, 30, 1);
  Rng rng(5);
  for (float& x : u.voxels) x = static_cast<float>(rng.uniform());
  const SliceStack r = slices_from_volume(u, Axis::Axial, w, {0}, 20);
  const double mean_in = std::accumulate(u.voxels.begin(), u.voxels.end(), 0.0) / 900;
  const double mean_out = std::accumulate(r.data.begin(), r.data.end(), 0.0) / 400;
  EXPECT_NEAR(mean_out, mean_in, 1e-6);
  std::fill(u.voxels.begin(), u.voxels.end(), 0.75f);
  for (float x : slices_from_volume(u, Axis::Axial, w, {0}, 20).data) ASSERT_NEAR(x, 0.75f, 1e-6);
  // Enlarging (bilinear) keeps constants too.
  for (float x : slices_from_volume(u, Axis::Axial, w, {0}, 64).data) ASSERT_NEAR(x, 0.75f, 1e-6);
}

TEST(Slices, FromSquareUndoesThePadding) {
  const size_t width = 48, height = 32;
  Volume v = Volume::zeros(width, height, 1);
  for (size_t j = 0; j < height; ++j)
    for (size_t i = 0; i < width; ++i)
      v.at(i, j, 0) = static_cast<float>(0.5 + 0.3 * std::sin(0.15 * i) * std::cos(0.11 * j));
  const Window w{0.5, 1};
  for (size_t size : {64u, 96u, 40u}) {
    const SliceStack s = slices_from_volume(v, Axis::Axial, w, {0}, size);
    const std::vector<float> back = from_square(s.slice(0), size, width, height);
    ASSERT_EQ(back.size(), width * height);
    double worst = 0;
    for (size_t j = 1; j + 1 < height; ++j)
      for (size_t i = 1; i + 1 < width; ++i) worst = std::max(worst, static_cast<double>(std::fabs(back[j * width + i] - v.at(i, j, 0))));
    EXPECT_LT(worst, size < width ? 0.03 : 0.01) << "size " << size;
  }
}

TEST(Slices, DownsampleAreaAverages) {
  const std::vector<float> img = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  EXPECT_EQ(downsample_area(img.data(), 4, 4, 2), (std::vector<float>{3.5f, 5.5f, 11.5f, 13.5f}));
  EXPECT_EQ(downsample_area(img.data(), 4, 4, 4), (std::vector<float>{8.5f}));
  EXPECT_EQ(downsample_area(img.data(), 4, 4, 1), img);
  EXPECT_EQ(downsample_area(img.data(), 2, 8, 2), (std::vector<float>{5.5f, 7.5f, 9.5f, 11.5f}));
  EXPECT_THROW(downsample_area(img.data(), 4, 4, 3), InvalidInput);
  EXPECT_THROW(downsample_area(img.data(), 4, 4, 0), InvalidInput);
}

TEST(Slices, BicubicReproducesARampAwayFromTheBorders) {
  const size_t h = 10, w = 12, f = 4;
  std::vector<float> lo(h * w);
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x) lo[y * w + x] = static_cast<float>(3 * x + 2 * y + 1);
  const std::vector<float> hi = upsample_bicubic(lo.data(), h, w, f);
  ASSERT_EQ(hi.size(), h * f * w * f);
  size_t checked = 0;
  for (size_t y = 0; y < h * f; ++y)
    for (size_t x = 0; x < w * f; ++x) {
      // Output pixel (y, x) samples low-res coordinate (y + 0.5) / f - 0.5.
      const double sy = (y + 0.5) / f - 0.5, sx = (x + 0.5) / f - 0.5;
      if (sy < 1 || sx < 1 || sy > h - 3 || sx > w - 3) continue;  // all four taps inside
      ASSERT_NEAR(hi[y * w * f + x], 3 * sx + 2 * sy + 1, 1e-4) << y << "," << x;
      ++checked;
    }
  EXPECT_GT(checked, 500u);
  // A high-res ramp survives area-down then bicubic-up exactly: the pixel centres agree.
  std::vector<float> ramp(64 * 64);
  for (size_t y = 0; y < 64; ++y)
    for (size_t x = 0; x < 64; ++x) ramp[y * 64 + x] = static_cast<float>(0.01 * x + 0.005 * y);
  const std::vector<float> again = upsample_bicubic(downsample_area(ramp.data(), 64, 64, 4).data(), 16, 16, 4);
  for (size_t y = 8; y < 56; ++y)
    for (size_t x = 8; x < 56; ++x) ASSERT_NEAR(again[y * 64 + x], ramp[y * 64 + x], 1e-5) << y << "," << x;
  // Constants everywhere, borders included (edge pixels replicated, weights sum to 1).
  const std::vector<float> flat(h * w, 0.25f);
  for (float x : upsample_bicubic(flat.data(), h, w, 3)) ASSERT_NEAR(x, 0.25f, 1e-6);
}

TEST(Slices, AreaDownBicubicUpOfASmoothImageIsClose) {
  const size_t n = 64;
  std::vector<float> img(n * n);
  for (size_t y = 0; y < n; ++y)
    for (size_t x = 0; x < n; ++x)
      img[y * n + x] = static_cast<float>(0.5 + 0.3 * std::sin(kTwoPi * x / 32.0) * std::cos(kTwoPi * y / 40.0));
  const std::vector<float> up = upsample_bicubic(downsample_area(img.data(), n, n, 2).data(), n / 2, n / 2, 2);
  double se = 0;
  for (size_t i = 0; i < n * n; ++i) se += (up[i] - img[i]) * (up[i] - img[i]);
  EXPECT_LT(std::sqrt(se / (n * n)), 0.01);
}

TEST(Slices, ResizeBilinear) {
  std::vector<float> img = {0, 1, 2, 3};  // 1 x 4 ramp
  // Doubling: pixel centres at (o + 0.5) / 2 - 0.5, clamped at 0.
  const std::vector<float> up = resize_bilinear(img.data(), 1, 4, 1, 8);
  const std::vector<float> want = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3};
  for (size_t i = 0; i < 8; ++i) EXPECT_NEAR(up[i], want[i], 1e-6) << i;
  EXPECT_EQ(resize_bilinear(img.data(), 2, 2, 2, 2), img);
  EXPECT_THROW(resize_bilinear(img.data(), 0, 0, 2, 2), InvalidInput);
}

}  // namespace
}  // namespace medgen::imaging
