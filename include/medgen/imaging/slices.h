// 2D slices for the image models: extraction from a volume through a window, the split by
// slice position, square padding and resizing. Torch-free, so the CLI, the tests and the
// model plugin share one definition of what a model sees. Conventions: docs/imaging.md.
// Thread safety: pure functions (no global state); safe to call concurrently. SliceStack is a
// value owning its pixels; functions taking `const float*` only read from the caller's buffer.
#pragma once

#include <cstddef>
#include <vector>

#include "medgen/imaging/intensity.h"
#include "medgen/imaging/volume.h"

namespace medgen::imaging {

// n slices of h x w float pixels, slice-major, each row-major (width fastest). Values are
// model units: the window mapped to [0, 1].
struct SliceStack {
  size_t n = 0, h = 0, w = 0;
  std::vector<float> data;
  std::vector<size_t> position;  // index of each slice along its source axis
  size_t plane() const { return h * w; }
  float* slice(size_t i) { return data.data() + i * plane(); }
  const float* slice(size_t i) const { return data.data() + i * plane(); }
  static SliceStack zeros(size_t n, size_t h, size_t w);
  // The slices at `which` (in that order), copied.
  SliceStack subset(const std::vector<size_t>& which) const;
};

// Train and test slice positions that share no neighbourhood: the axis is cut into blocks of
// `block` consecutive slices; every `test_every`-th block (the 2nd, 2+test_every-th, ...) is a
// test block, the others are training blocks, and `gap` slices of a training block next to a
// test block are dropped from both. So no training slice is within `gap` slices of a test
// slice, and test blocks are spread over the whole anatomy. `candidates` (sorted positions,
// e.g. those with enough foreground) restricts both lists. InvalidInput when block < 1,
// test_every < 2, or 2 * gap >= block.
struct SliceSplit {
  std::vector<size_t> train, test;
};
SliceSplit split_by_position(const std::vector<size_t>& candidates, size_t block = 16, size_t test_every = 4,
                             size_t gap = 2);

// Positions along `axis` whose fraction of pixels above 0.1 (after the window) is at least
// min_fraction: drops the empty slices at the ends of a head volume.
std::vector<size_t> foreground_slices(const Volume& v, Axis axis, const Window& w, double min_fraction = 0.15);

// The slices at `positions` along `axis`, windowed to [0, 1] (as extract_slice orients them).
// size == 0 keeps the native size; otherwise each slice is zero-padded to a centred square
// (side max(width, height)) and resized to size x size (area averaging when shrinking,
// bilinear when enlarging).
SliceStack slices_from_volume(const Volume& v, Axis axis, const Window& w, const std::vector<size_t>& positions,
                              size_t size = 0);

// Undoes slices_from_volume's square padding and resize for one slice: a size x size image
// back to width x height (bilinear), e.g. to write an anomaly map into the source geometry.
std::vector<float> from_square(const float* img, size_t size, size_t width, size_t height);

// Writes slices back into a copy of `like` (its geometry and identifiers), mapping [0, 1]
// back through the window: the inverse of slices_from_volume with size == 0 (and the same
// positions); positions not in the stack keep like's voxels.
Volume volume_from_slices(const Volume& like, Axis axis, const Window& w, const SliceStack& s);

// Resampling of one h x w image. Area averaging by an integer factor (h, w divisible by it;
// InvalidInput otherwise); bicubic (Keys, a = -0.5, edge pixels replicated) by an integer
// factor, with pixel centres aligned as area downsampling defines them, so
// upsample_bicubic(downsample_area(x)) is the classical baseline for super-resolution;
// bilinear to any size.
std::vector<float> downsample_area(const float* img, size_t h, size_t w, size_t factor);
std::vector<float> upsample_bicubic(const float* img, size_t h, size_t w, size_t factor);
std::vector<float> resize_bilinear(const float* img, size_t h, size_t w, size_t nh, size_t nw);

// The super-resolution triple of one h x w image, as SR training and evaluation both make it:
// `hr` is the image cropped to multiples of `scale` (top-left kept; h x w become the cropped
// sizes), `lr` its area downsampling by `scale`, `bicubic` lr upsampled back (the baseline,
// and the SR network's input).
struct SrTriple {
  size_t h = 0, w = 0;
  std::vector<float> hr, lr, bicubic;
};
SrTriple sr_triple(const float* img, size_t h, size_t w, size_t scale);

}  // namespace medgen::imaging
