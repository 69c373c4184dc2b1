#include "medgen/imaging/io.h"

#include <filesystem>

#include "medgen/core/error.h"
#include "medgen/imaging/intensity.h"

namespace fs = std::filesystem;

namespace medgen::imaging {
namespace {

bool ends_with(const std::string& s, const std::string& e) {
  if (s.size() < e.size()) return false;
  for (size_t i = 0; i < e.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - e.size() + i])) != e[i]) return false;
  return true;
}

}  // namespace

ImageFormat detect_format(const std::string& path) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw IoError(located(path, 0, 0, "cannot open: no such file or folder"));
  if (fs::is_directory(st)) return ImageFormat::DicomSeries;
  if (ends_with(path, ".nii") || ends_with(path, ".nii.gz") || ends_with(path, ".hdr")) return ImageFormat::Nifti;
  if (ends_with(path, ".png")) return ImageFormat::Png;
  if (ends_with(path, ".inv3")) return ImageFormat::Inv3;
  return ImageFormat::Dicom;
}

Volume read_image(const std::string& path, const ReadLimits& limits) {
  switch (detect_format(path)) {
    case ImageFormat::DicomSeries:
      return read_dicom_series(path, limits);
    case ImageFormat::Nifti:
      return read_nifti(path, limits);
    case ImageFormat::Png:
      return read_png(path, limits);
    case ImageFormat::Inv3:
      return read_inv3(path, limits);
    default:
      return read_dicom_file(path, limits);
  }
}

void write_image(const Volume& v, const std::string& path, const WriteOptions& opt) {
  if (ends_with(path, ".nii") || ends_with(path, ".nii.gz")) return write_nifti(v, path, opt);
  if (ends_with(path, ".png")) return write_preview(v, path, Axis::Axial, -1, "auto");
  if (ends_with(path, ".dcm")) return write_dicom_file(v, path, opt);
  if (ends_with(path, ".gz") || ends_with(path, ".hdr") || ends_with(path, ".img") || ends_with(path, ".inv3") ||
      ends_with(path, ".jpg"))
    throw InvalidInput(located(path, 0, 0, "cannot write this format (.nii, .nii.gz, .dcm, .png or a folder)"));
  return write_dicom_series(v, path, opt);
}

}  // namespace medgen::imaging
