// Reading and writing medical images. All readers throw InvalidInput (the file is not a valid
// image of its format, uses something unsupported, or declares an image beyond `limits` or
// beyond the data it holds) or IoError (it cannot be read), with one line naming the file; a
// library's own messages (nifticlib, GDCM, libpng) are captured into that line, never printed.
// Readers check every size the header declares before allocating or calling a library, and
// never let std::bad_alloc escape. All writers write to a temporary name and rename, so a
// failure leaves no partial output. Formats and conventions: docs/imaging.md.
// Thread safety: readers and writers may run concurrently on different files, except that
// the NIfTI and DICOM readers redirect the process's stderr (fd 2) while the library runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "medgen/imaging/volume.h"

namespace medgen::imaging {

enum class ImageFormat { Dicom, DicomSeries, Nifti, Png, Inv3 };

// Format of an existing path: a folder is a DICOM series; .nii/.nii.gz/.hdr NIfTI; .png PNG;
// .inv3 InVesalius; anything else is DICOM (DICOM files often have no extension). Throws
// IoError when the path does not exist.
ImageFormat detect_format(const std::string& path);

// Reads any supported image (dispatches on detect_format).
Volume read_image(const std::string& path, const ReadLimits& limits = ReadLimits::from_env());

// DICOM: one file (2D, or multi-frame 3D), any transfer syntax GDCM decodes (uncompressed
// little/big endian, deflate, RLE, JPEG baseline/lossless, JPEG-LS, JPEG 2000). Colour images
// become grey (mean of the channels). RescaleSlope/Intercept are applied.
Volume read_dicom_file(const std::string& path, const ReadLimits& limits = ReadLimits::from_env());
// A folder of single-frame DICOM files of one series: sorted by ImagePositionPatient along the
// slice normal; size, orientation and pixel spacing must agree and slices must be evenly
// spaced. Files that are not DICOM images (DICOMDIR, README, ...) are skipped; more than one
// SeriesInstanceUID is an error.
Volume read_dicom_series(const std::string& dir, const ReadLimits& limits = ReadLimits::from_env());
// NIfTI-1 or NIfTI-2, .nii / .nii.gz (or .hdr/.img pairs), through nifticlib. The sform is
// used when its code is set, else the qform, else pixdim alone; RAS is converted to LPS.
// The raw header is checked first (header size, dim[0] in 1..7, every used dim >= 1, a
// supported datatype with its bitpix, vox_offset, data length against the (decompressed) file).
Volume read_nifti(const std::string& path, const ReadLimits& limits = ReadLimits::from_env());
// 8- or 16-bit PNG (grey, or colour converted to grey; alpha dropped) as one slice, spacing 1.
Volume read_png(const std::string& path, const ReadLimits& limits = ReadLimits::from_env());
// InVesalius project (.inv3: a gzipped tar holding main.plist and matrix.dat, int16 HU).
Volume read_inv3(const std::string& path, const ReadLimits& limits = ReadLimits::from_env());

struct WriteOptions {
  // Replace identifiers with generated ones and remove names and dates (DICOM PS3.15 basic
  // profile for the attributes medgen writes; see docs/imaging.md).
  bool anonymize = false;
};

// Writes by extension (files follow core/file.h's output rules: symlinks followed, devices
// written through, a missing parent folder is an IoError): .nii / .nii.gz NIfTI-1 (dimensions
// up to 32767),
// .png a preview of the middle axial slice (window "auto"), .dcm one DICOM file (one-slice
// volumes), anything else a DICOM series folder (an existing non-empty folder is an error).
void write_image(const Volume& v, const std::string& path, const WriteOptions& opt = {});
void write_nifti(const Volume& v, const std::string& path, const WriteOptions& opt = {});
// One single-frame DICOM file per slice (IM00001.dcm, ...), explicit VR little endian, int16
// pixels with a RescaleSlope/Intercept chosen to keep integer volumes exact. Written into
// "<dir>.tmp-<pid>" (removed on failure and on SIGINT/SIGTERM/SIGHUP) and renamed to dir,
// which must not exist or be an empty folder; "dir/" and "dir" are the same folder, a symlink
// to a folder is followed, and missing parent folders are created.
void write_dicom_series(const Volume& v, const std::string& dir, const WriteOptions& opt = {});

// A one-slice volume as one DICOM file (a PNG converted to DICOM, a single slice); more slices
// are an error that asks for a folder.
void write_dicom_file(const Volume& v, const std::string& path, const WriteOptions& opt = {});

// The identifiers write_* would put in the file after anonymisation (for tests and `info`).
Volume anonymized(const Volume& v);

// PNG of 8-bit (bits 8) or 16-bit (bits 16) grey pixels, row-major, width fastest.
void write_png_gray(const std::string& path, size_t width, size_t height, const std::vector<uint16_t>& pixels,
                    int bits);
// 8-bit RGB PNG, 3 bytes per pixel, row-major.
void write_png_rgb(const std::string& path, size_t width, size_t height, const std::vector<uint8_t>& rgb);

}  // namespace medgen::imaging
