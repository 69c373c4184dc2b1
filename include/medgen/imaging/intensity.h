// Intensity handling per modality: CT windows in Hounsfield units, MRI percentile
// normalisation, and slices for previews. The same functions feed the PNG previews and the
// image models' inputs (slices.h), so training sees what a reader of the previews sees.
// Thread safety: pure functions (no global state); safe to call concurrently. Results are
// returned by value and owned by the caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "medgen/imaging/volume.h"

namespace medgen::imaging {

// A display window: values in [center - width/2, center + width/2] map linearly to [0, 1],
// values outside are clipped.
struct Window {
  double center = 0, width = 1;
  double lo() const { return center - width / 2; }
  double hi() const { return center + width / 2; }
};

// CT windows (center/width, HU): brain 40/80, bone 400/1800, soft 40/400, lung -600/1500.
// Throws InvalidInput for another name.
Window ct_window(const std::string& name);

// The value at quantile q (0..1) of the volume's voxels (linear interpolation between order
// statistics; exact, O(n) with nth_element); 0 for no values. The double overload serves
// scores and distances (anomaly calibration, nearest-slice statistics).
double percentile(const std::vector<float>& values, double q);
double percentile(const std::vector<double>& values, double q);

// MRI percentile normalisation: the window spanning the lo..hi quantiles (default 0.5 % to
// 99.5 %), so a few bright vessels or fat voxels do not compress the brain into a few grey
// levels. A constant volume gives a unit-width window around its value.
Window percentile_window(const Volume& v, double lo = 0.005, double hi = 0.995);

// The window for `name`: brain/bone/soft/lung (CT windows, on any modality), or "auto": the
// soft-tissue window for CT, the percentile window otherwise.
Window choose_window(const Volume& v, const std::string& name);

// Maps values to [0, 1] through a window (in place).
void apply_window(std::vector<float>& values, const Window& w);

enum class Axis { Axial, Coronal, Sagittal };
Axis axis_from_name(const std::string& s);  // axial|coronal|sagittal, else InvalidInput

// A 2D slice along the volume's own index axes: axial = fixed k (nx × ny), coronal = fixed j
// (nx × nz), sagittal = fixed i (ny × nz). For coronal and sagittal the rows run from the last
// slice to the first so that, for the usual axial acquisition (k towards the head), the head
// is at the top of the picture. Throws InvalidInput when index is out of range.
struct Slice {
  size_t width = 0, height = 0;
  std::vector<float> pixels;  // row-major, width fastest
};
Slice extract_slice(const Volume& v, Axis axis, size_t index);
size_t axis_length(const Volume& v, Axis axis);

// The slice's pixel size in millimetres (width direction, height direction): the volume's
// spacing along the two axes extract_slice puts in the picture.
std::pair<double, double> slice_spacing(const Volume& v, Axis axis);

// The slice resampled (bilinear, pixel centres aligned) to square pixels of the smaller of
// dx_mm and dy_mm, so that the picture has the anatomy's true proportions; unchanged when the
// pixels are square within 0.1 %. Neither side grows beyond 8192 pixels (the pixel size grows
// instead).
Slice square_pixels(const Slice& s, double dx_mm, double dy_mm);

// Writes an 8-bit PNG preview of slice `index` (-1: the middle one) through window `name`,
// resampled to square pixels in millimetres (square_pixels), in radiological orientation
// (patient's right on the left; anterior at the top of axial slices, the head at the top of
// coronal and sagittal ones) for volumes whose axes are near the patient's axes.
void write_preview(const Volume& v, const std::string& path, Axis axis, long index, const std::string& window);

// Flips one extracted slice (width x height, as extract_slice returns it) in place into that
// radiological display orientation; previews and anomaly overlays use it.
void orient_for_display(const Volume& v, Axis axis, float* px, size_t width, size_t height);

}  // namespace medgen::imaging
