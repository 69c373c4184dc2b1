#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "imaging_util.h"
#include "medgen/core/error.h"
#include "medgen/imaging/io.h"

using namespace medgen;
using namespace medgen::imaging;
using namespace medgen::imaging::test;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A CT-like volume in HU on an oblique grid, with identifiers.
Volume sample_ct() {
  Volume v = Volume::zeros(24, 20, 9);
  for (size_t k = 0; k < 9; ++k)
    for (size_t j = 0; j < 20; ++j)
      for (size_t i = 0; i < 24; ++i)
        v.at(i, j, k) = static_cast<float>(-1024 + 37 * static_cast<int>(i) + 101 * static_cast<int>(j) +
                                           313 * static_cast<int>(k));
  const double a = 0.3;  // rotation about x: an oblique acquisition
  v.direction = {{{1, 0, 0}, {0, std::cos(a), -std::sin(a)}, {0, std::sin(a), std::cos(a)}}};
  v.spacing = {0.48828125, 0.48828125, 2.5};
  v.origin = {-120.5, -98.25, 33.75};
  v.modality = Modality::CT;
  v.meta = {{"PatientName", "Doe^Jane"},
            {"PatientID", "MRN-0042"},
            {"PatientBirthDate", "19700101"},
            {"PatientSex", "F"},
            {"StudyDate", "20260101"},
            {"StudyInstanceUID", "1.2.3.4.5.6"},
            {"SeriesInstanceUID", "1.2.3.4.5.7"},
            {"AccessionNumber", "A77"},
            {"StudyDescription", "Head CT"},
            {"SeriesDescription", "axial 2.5"},
            {"InstitutionName", "General Hospital"}};
  return v;
}

std::string error_of(const std::string& path) {
  try {
    read_image(path);
  } catch (const InvalidInput& e) {
    return e.what();
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Dicom, SeriesRoundTripKeepsPixelsGeometryAndIdentifiers) {
  Scratch tmp;
  const Volume v = sample_ct();
  write_dicom_series(v, tmp.file("series"));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.file("series")), fs::directory_iterator()), 9);
  const Volume back = read_image(tmp.file("series"));
  EXPECT_EQ(back.voxels, v.voxels);
  expect_same_geometry(v, back, 1e-5);
  EXPECT_EQ(back.modality, Modality::CT);
  for (const auto& [k, val] : v.meta) EXPECT_EQ(back.meta.count(k) ? back.meta.at(k) : "(absent)", val) << k;
  EXPECT_FALSE(fs::exists(tmp.file("series") + ".tmp-" + std::to_string(::getpid())));
}

TEST(Dicom, AnonymizeReplacesIdentifiersAndRemovesNamesAndDates) {
  Scratch tmp;
  const Volume v = sample_ct();
  WriteOptions opt;
  opt.anonymize = true;
  write_dicom_series(v, tmp.file("anon"), opt);
  const Volume back = read_image(tmp.file("anon"));
  EXPECT_EQ(back.voxels, v.voxels);
  EXPECT_EQ(back.meta.at("PatientName"), "ANONYMOUS");
  EXPECT_NE(back.meta.at("PatientID"), "MRN-0042");
  EXPECT_NE(back.meta.at("StudyInstanceUID"), "1.2.3.4.5.6");
  EXPECT_NE(back.meta.at("SeriesInstanceUID"), "1.2.3.4.5.7");
  for (const char* k : {"PatientBirthDate", "PatientSex", "StudyDate", "AccessionNumber", "StudyDescription",
                        "SeriesDescription", "InstitutionName"})
    EXPECT_EQ(back.meta.count(k), 0u) << k;
  // No original identifier survives anywhere in the bytes of any file.
  for (const auto& e : fs::directory_iterator(tmp.file("anon"))) {
    const std::string bytes = slurp(e.path().string());
    for (const char* secret : {"Doe^Jane", "MRN-0042", "19700101", "1.2.3.4.5.6", "General Hospital", "Head CT"})
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in " << e.path();
    EXPECT_NE(bytes.find("YES"), std::string::npos) << "PatientIdentityRemoved";
  }
  // The same output series shares one study/series/frame-of-reference UID.
  EXPECT_EQ(back.meta.at("StudyInstanceUID"),
            read_dicom_file(tmp.file("anon/IM00003.dcm")).meta.at("StudyInstanceUID"));
}

TEST(Dicom, NonIntegerValuesAreScaledIntoInt16) {
  Scratch tmp;
  Volume v = Volume::zeros(16, 16, 3);
  for (size_t i = 0; i < v.nvox(); ++i) v.voxels[i] = std::sin(0.1f * static_cast<float>(i)) * 1234.567f;
  write_dicom_series(v, tmp.file("float"));
  const Volume back = read_image(tmp.file("float"));
  auto [lo, hi] = v.range();
  const double step = (static_cast<double>(hi) - lo) / 65535.0;
  for (size_t i = 0; i < v.nvox(); ++i) ASSERT_NEAR(back.voxels[i], v.voxels[i], step * 0.51 + 1e-4) << i;
}

TEST(Dicom, SeriesIsSortedByPositionNotFileName) {
  Scratch tmp;
  const Volume v = sample_ct();
  write_dicom_series(v, tmp.file("s"));
  // Rename the slices to a shuffled order of names.
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(tmp.file("s"))) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<size_t> perm(files.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), std::mt19937(7));
  fs::create_directory(tmp.file("shuffled"));
  for (size_t i = 0; i < files.size(); ++i)
    fs::copy_file(files[i], tmp.file("shuffled/x" + std::to_string(perm[i]) + ".dcm"));
  std::ofstream(tmp.file("shuffled/README.txt")) << "not DICOM: skipped\n";
  const Volume back = read_image(tmp.file("shuffled"));
  EXPECT_EQ(back.voxels, v.voxels);
  expect_same_geometry(v, back, 1e-5);
}

TEST(Dicom, InconsistentSeriesGiveClearErrors) {
  Scratch tmp;
  const Volume v = sample_ct();
  write_dicom_series(v, tmp.file("s"));
  // A missing slice in the middle: uneven spacing.
  fs::remove(tmp.file("s/IM00005.dcm"));
  EXPECT_NE(error_of(tmp.file("s")).find("not evenly spaced"), std::string::npos) << error_of(tmp.file("s"));
  // A slice of another size.
  Volume small = v;
  small.dims = {8, 8, 1};
  small.voxels.assign(64, 0.f);
  small.origin = v.position(0, 0, 20);
  write_dicom_file(small, tmp.file("s/other.dcm"));
  EXPECT_NE(error_of(tmp.file("s")).find("image size differs"), std::string::npos) << error_of(tmp.file("s"));
  // Two series in one folder.
  Volume other = v;
  other.meta["SeriesInstanceUID"] = "1.2.3.9";
  write_dicom_series(other, tmp.file("t"));
  fs::copy_file(tmp.file("t/IM00001.dcm"), tmp.file("s/zz.dcm"));
  fs::remove(tmp.file("s/other.dcm"));
  EXPECT_NE(error_of(tmp.file("s")).find("SeriesInstanceUID"), std::string::npos) << error_of(tmp.file("s"));
  // Writing over a non-empty folder is refused and leaves it as it was.
  EXPECT_THROW(write_dicom_series(v, tmp.file("t")), InvalidInput);
  EXPECT_TRUE(fs::exists(tmp.file("t/IM00001.dcm")));
}

TEST(Dicom, CtSmallReadsInHounsfieldUnits) {
  MEDGEN_REQUIRE_FILE(kPydicom + "CT_small.dcm", "python3-pydicom");
  const std::string path = kPydicom + "CT_small.dcm";
  const Volume v = read_dicom_file(path);
  EXPECT_EQ(v.modality, Modality::CT);
  EXPECT_EQ(v.dims, (std::array<size_t, 3>{128, 128, 1}));
  // Independent check of the rescale: find RescaleIntercept/Slope and the first stored pixel
  // in the explicit-VR little-endian bytes ourselves.
  const std::string b = slurp(path);
  auto ds_value = [&](uint16_t elem) {
    const char tag[6] = {0x28, 0x00, static_cast<char>(elem & 0xff), static_cast<char>(elem >> 8), 'D', 'S'};
    const size_t p = b.find(std::string(tag, 6));
    EXPECT_NE(p, std::string::npos);
    const size_t len = static_cast<unsigned char>(b[p + 6]) | (static_cast<unsigned char>(b[p + 7]) << 8);
    return std::stod(b.substr(p + 8, len));
  };
  const double intercept = ds_value(0x1052), slope = ds_value(0x1053);
  EXPECT_EQ(intercept, -1024.0);
  const size_t px = b.find(std::string("\xe0\x7f\x10\x00OW\x00\x00", 8));
  ASSERT_NE(px, std::string::npos);
  int16_t first;
  std::memcpy(&first, b.data() + px + 12, 2);
  EXPECT_FLOAT_EQ(v.voxels[0], static_cast<float>(first * slope + intercept));
  EXPECT_NEAR(v.spacing[0], 0.661468, 1e-6);
  EXPECT_NEAR(v.origin[2], -75.7, 1e-5);
  EXPECT_EQ(v.meta.at("PatientID"), "1CT1");
}

// Every transfer syntax GDCM decodes must give the pixels of the uncompressed reference.
struct SyntaxCase {
  const char* reference;
  const char* file;
  double tolerance;  // 0: lossless, must be identical
};

TEST(Dicom, TransferSyntaxesDecodeToTheUncompressedPixels) {
  MEDGEN_REQUIRE_FILE(kPydicom + "MR_small.dcm", "python3-pydicom");
  const SyntaxCase cases[] = {
      {"MR_small.dcm", "MR_small_implicit.dcm", 0},          // implicit VR little endian
      {"MR_small.dcm", "MR_small_bigendian.dcm", 0},         // explicit VR big endian
      {"MR_small.dcm", "MR_small_expb.dcm", 0},              // explicit VR big endian
      {"MR_small.dcm", "MR_small_RLE.dcm", 0},               // RLE lossless
      {"MR_small.dcm", "MR_small_jp2klossless.dcm", 0},      // JPEG 2000 lossless
      {"MR_small.dcm", "MR_small_jpeg_ls_lossless.dcm", 0},  // JPEG-LS lossless
      {"MR_small.dcm", "MR_small_padded.dcm", 0},            // trailing padding after the pixels
      {"rtdose.dcm", "rtdose_rle.dcm", 0},                   // multi-frame, RLE
      // Not listed: rtdose_expb.dcm (32-bit big endian): Debian's GDCM 3.0.21 returns its
      // pixels unswapped (values 23..4292 where rtdose.dcm has 0.795..1.254); see docs/imaging.md.
      // Colour images become grey (Rec. 601 luma): RLE is the lossless reference.
      {"SC_rgb_rle.dcm", "SC_rgb_gdcm_KY.dcm", 0},       // JPEG 2000
      {"SC_rgb_rle.dcm", "SC_rgb_jpeg_gdcm.dcm", 0},     // JPEG lossless (process 14)
      {"SC_rgb_rle.dcm", "SC_rgb_dcmtk_+eb+cr.dcm", 8},  // JPEG baseline, lossy
      {"SC_rgb_rle.dcm", "SC_rgb_jpeg_dcmtk.dcm", 8},    // JPEG baseline, lossy (YBR)
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.file) + " vs " + c.reference);
    const Volume ref = read_dicom_file(kPydicom + c.reference);
    const Volume v = read_dicom_file(kPydicom + c.file);
    ASSERT_EQ(v.dims, ref.dims);
    double worst = 0;
    for (size_t i = 0; i < v.nvox(); ++i) worst = std::max(worst, std::fabs(double(v.voxels[i]) - ref.voxels[i]));
    if (c.tolerance == 0)
      EXPECT_EQ(worst, 0.0) << v.format;
    else
      EXPECT_LE(worst, c.tolerance) << v.format;
    expect_same_geometry(ref, v, 1e-6);
  }
  // Deflate: no uncompressed twin ships; it must decode to a plausible image.
  const Volume dfl = read_dicom_file(kPydicom + "image_dfl.dcm");
  EXPECT_GT(dfl.range().second, dfl.range().first);
}

TEST(Dicom, TruncatedAndForeignFilesGiveOneClearError) {
  MEDGEN_REQUIRE_FILE(kPydicom + "CT_small.dcm", "python3-pydicom");
  Scratch tmp;
  const std::string whole = slurp(kPydicom + "CT_small.dcm");
  // Cut inside the preamble, the meta header, the dataset, a private element and the pixels:
  // Debian's GDCM aborts on several of these unless medgen checks first.
  for (size_t n : {size_t(60), size_t(200), size_t(700), size_t(1000), size_t(4000), size_t(10000), whole.size() - 1}) {
    const std::string p = tmp.file("cut" + std::to_string(n) + ".dcm");
    std::ofstream(p, std::ios::binary).write(whole.data(), static_cast<std::streamsize>(n));
    const std::string err = error_of(p);
    EXPECT_NE(err.find(p + ": "), std::string::npos) << n << ": " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
  std::ofstream(tmp.file("notes.dcm")) << "Patient notes, not an image\n";
  EXPECT_NE(error_of(tmp.file("notes.dcm")).find("notes.dcm: "), std::string::npos);
  // A DICOM file that holds no image (a structured report).
  if (exists(kPydicom + "test-SR.dcm"))
    EXPECT_NE(error_of(kPydicom + "test-SR.dcm").find("not a readable DICOM image"), std::string::npos);
  // An unusual file on which Debian's GDCM asserts: an error, not an abort().
  if (exists(kPydicom + "rtdose_1frame.dcm")) EXPECT_NE(error_of(kPydicom + "rtdose_1frame.dcm"), "");
}
