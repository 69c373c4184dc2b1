// A medical image volume: float voxels with their geometry in patient space (DICOM LPS) and the
// identifiers that came with them. Every reader produces one, every writer takes one, so the
// image models never see a file format. See docs/imaging.md for the conventions.
// Ownership and thread safety: a Volume is a value owning its voxels; concurrent reads are safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace medgen::imaging {

enum class Modality { CT, MR, Other };

std::string modality_name(Modality m);              // "CT", "MR", "OT"
Modality modality_from_name(const std::string& s);  // DICOM (0008,0060): CT, MR, else Other

struct Volume {
  // Voxels, x (column index i) fastest, then y (row index j), then slice k. Values are the
  // stored values with RescaleSlope/Intercept (DICOM) or scl_slope/scl_inter (NIfTI) applied:
  // CT is in Hounsfield units.
  std::array<size_t, 3> dims{0, 0, 0};
  std::vector<float> voxels;
  // Geometry in DICOM patient coordinates (LPS, millimetres):
  //   position(i, j, k) = origin + direction * diag(spacing) * (i, j, k)
  // direction's columns are the unit vectors of the i, j and k axes (columns 0 and 1 are
  // DICOM's ImageOrientationPatient row and column cosines). direction[r][c] is row r, column c.
  std::array<double, 3> spacing{1, 1, 1};
  std::array<double, 3> origin{0, 0, 0};
  std::array<std::array<double, 3>, 3> direction{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  Modality modality = Modality::Other;
  // Identifiers and descriptions, keyed by DICOM keyword: PatientName, PatientID,
  // PatientBirthDate, PatientSex, StudyInstanceUID, SeriesInstanceUID, FrameOfReferenceUID,
  // StudyID, StudyDate, StudyTime, SeriesDate, SeriesNumber, AccessionNumber,
  // StudyDescription, SeriesDescription, InstitutionName, ReferringPhysicianName,
  // Manufacturer. Empty values are left out. Readers of formats without them fill only
  // SeriesDescription (NIfTI's descrip) where they can.
  std::map<std::string, std::string> meta;
  // Where it came from (path and format), for messages and `image info`.
  std::string source, format;

  size_t nvox() const { return dims[0] * dims[1] * dims[2]; }  // dims as made by zeros(): no overflow
  float& at(size_t i, size_t j, size_t k) { return voxels[(k * dims[1] + j) * dims[0] + i]; }
  float at(size_t i, size_t j, size_t k) const { return voxels[(k * dims[1] + j) * dims[0] + i]; }
  // Patient-space position of voxel (i, j, k) (may be fractional).
  std::array<double, 3> position(double i, double j, double k) const;
  // Smallest and largest voxel value (0, 0 for an empty volume).
  std::pair<float, float> range() const;
  // The identity direction, unit spacing, zero origin, of the given size, filled with 0.
  // InvalidInput when nx * ny * nz overflows or the memory cannot be had (never bad_alloc).
  static Volume zeros(size_t nx, size_t ny, size_t nz);
};

// What a reader may allocate for one image. Every reader checks the sizes its header declares
// against these (and against the file's actual length) before it allocates anything or hands
// the file to a library, so a corrupt or hostile header costs nothing. The defaults fit any
// real scan; MEDGEN_MAX_IMAGE_BYTES overrides max_bytes (docs/imaging.md). Plain value type.
struct ReadLimits {
  uint64_t max_voxels = uint64_t{1} << 31;  // voxels of the decoded image, all frames and volumes
  uint64_t max_bytes = uint64_t{8} << 30;   // bytes of any one buffer: stored pixel data,
                                            // decompressed members, the decoded float voxels
  // The defaults, max_bytes from MEDGEN_MAX_IMAGE_BYTES when set (bytes, or with a K, M, G or
  // T suffix: binary multiples); InvalidInput when the variable is not such a number.
  static ReadLimits from_env();
  // Throws InvalidInput naming `file` when an image of `voxels` voxels (decoded to float) or a
  // buffer of `bytes` bytes exceeds the limits.
  void check(const std::string& file, uint64_t voxels, uint64_t bytes) const;
};

// The axis direction labels of a direction matrix column, e.g. "L", "P", "S" for the
// LPS-aligned identity (the letter of the largest component, towards which the axis points).
std::string axis_code(const Volume& v);  // three letters, e.g. "LPS" or "RAS"-like "RAI"

// Checks a volume is self-consistent before writing (dims vs voxel count without overflow,
// finite geometry).
void check_volume(const Volume& v, const std::string& what);

}  // namespace medgen::imaging
