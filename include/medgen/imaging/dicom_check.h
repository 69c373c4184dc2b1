// Checks of a DICOM file before it reaches GDCM (see src/imaging/dicom_check.cpp for why).
// Callable on a buffer, so fuzzers and tests reach it without a file. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "medgen/imaging/volume.h"

namespace medgen::imaging {

// What the top-level image pixel module declares, as the structural walk found it.
struct DicomPixelInfo {
  bool has_pixels = false;     // (7FE0,0010) PixelData present at the top level
  bool encapsulated = false;   // of undefined length: compressed fragments
  uint64_t pixel_bytes = 0;    // its stored length (for encapsulated data, of all fragments)
  uint64_t rows = 0, columns = 0, frames = 1, samples = 1;
  uint64_t bits_allocated = 0, bits_stored = 0, high_bit = 0, pixel_representation = 0;
};

// Walks the file meta group and the dataset (sequences and encapsulated pixel data included)
// and then checks the pixel module: Rows, Columns >= 1; SamplesPerPixel 1 or 3;
// BitsAllocated 8, 16 or 32 (GDCM asserts on others); BitsStored <= BitsAllocated;
// HighBit < BitsAllocated; NumberOfFrames >= 1; the decoded size within `limits`; native
// pixel data at least Rows x Columns x frames x samples x bytes long; compressed data at most
// 1024 times smaller than the image (plus 64 MiB) it declares. Throws InvalidInput naming
// `path` and, for structural errors, the byte where an element runs past the end.
DicomPixelInfo check_dicom_structure(const std::string& path, const std::string& data,
                                     const ReadLimits& limits = ReadLimits::from_env());
// The file's bytes: IoError when it cannot be read, InvalidInput when it is not a regular file
// or is larger than limits.max_bytes.
std::string read_file_bytes(const std::string& path, const ReadLimits& limits = ReadLimits::from_env());

}  // namespace medgen::imaging
