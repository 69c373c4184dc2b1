// Regression tests for the corrupt and hostile images of issue 11 (each file is built here):
// every reader checks the sizes its header declares before allocating or calling a library,
// and answers with one InvalidInput line naming the file, nothing on stderr.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "imaging_util.h"
#include "medgen/core/checked.h"
#include "medgen/core/error.h"
#include "medgen/imaging/dicom_check.h"
#include "medgen/imaging/intensity.h"
#include "medgen/imaging/io.h"

using namespace medgen;
using namespace medgen::imaging;
using namespace medgen::imaging::test;

namespace {

template <typename T>
void put(std::string& s, size_t off, T value) {
  std::memcpy(&s[off], &value, sizeof value);
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(gz);
}

// The message of the InvalidInput `f` throws, with what it printed on stderr meanwhile;
// "" when it throws nothing.
template <typename F>
std::pair<std::string, std::string> error_and_stderr(F f) {
  std::string msg;
  testing::internal::CaptureStderr();
  try {
    f();
  } catch (const InvalidInput& e) {
    msg = e.what();
  }
  return {msg, testing::internal::GetCapturedStderr()};
}

// A NIfTI-2 file of int16 voxels, dims as given (dim[0] first), data of `ndata` voxels.
std::string nifti2(const std::vector<int64_t>& dim, size_t ndata) {
  std::string h(544, '\0');
  put(h, 0, int32_t{540});
  std::memcpy(&h[4], "n+2\0\r\n\032\n", 8);
  put(h, 12, int16_t{4});   // INT16
  put(h, 14, int16_t{16});  // bitpix
  for (int i = 0; i < 8; ++i) put(h, 16 + 8 * i, i < static_cast<int>(dim.size()) ? dim[i] : int64_t{1});
  for (int i = 0; i < 8; ++i) put(h, 104 + 8 * i, 1.0);
  put(h, 168, int64_t{544});
  std::string data(2 * ndata, '\0');
  for (size_t i = 0; i < ndata; ++i) put(data, 2 * i, static_cast<int16_t>(i));
  return h + data;
}

// A NIfTI-1 single file, datatype/bitpix as given, int16 dims.
std::string nifti1(const std::vector<int16_t>& dim, int16_t datatype, int16_t bitpix, size_t data_bytes) {
  std::string h(352, '\0');
  put(h, 0, int32_t{348});
  for (int i = 0; i < 8; ++i) put(h, 40 + 2 * i, i < static_cast<int>(dim.size()) ? dim[i] : int16_t{1});
  put(h, 70, datatype);
  put(h, 72, bitpix);
  for (int i = 0; i < 8; ++i) put(h, 76 + 4 * i, 1.0f);
  put(h, 108, 352.0f);
  std::memcpy(&h[344], "n+1", 4);
  return h + std::string(data_bytes, '\0');
}

}  // namespace

TEST(CorruptNifti, Nifti2WithDim0Of515IsRefusedBeforeNifticlib) {
  Scratch tmp;
  // The well-formed file reads: the builder is right, so the refusal below is about dim[0].
  write_bytes(tmp.file("ok.nii"), nifti2({3, 4, 3, 2}, 24));
  EXPECT_EQ(read_image(tmp.file("ok.nii")).dims, (std::array<size_t, 3>{4, 3, 2}));
  std::string bad = nifti2({3, 4, 3, 2}, 24);
  put(bad, 16, int64_t{515});  // smashed libnifti2's stack
  write_bytes(tmp.file("dim0.nii"), bad);
  const auto [msg, err] = error_and_stderr([&] { read_image(tmp.file("dim0.nii")); });
  EXPECT_NE(msg.find("dim0.nii: NIfTI dim[0] is 515"), std::string::npos) << msg;
  EXPECT_EQ(err, "");
  write_gz(tmp.file("dim0.nii.gz"), bad);
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("dim0.nii.gz")); }).first.find("dim[0] is 515"),
            std::string::npos);
}

TEST(CorruptNifti, DimensionsThatOverflowOrExceedTheLimitsAreRefused) {
  Scratch tmp;
  // 2^40 x 2^40 x 2^40: the product overflows 64 bits (segfaulted Volume::zeros).
  const int64_t big = int64_t{1} << 40;
  write_bytes(tmp.file("overflow.nii"), nifti2({3, big, big, big}, 24));
  auto r = error_and_stderr([&] { read_image(tmp.file("overflow.nii")); });
  EXPECT_NE(r.first.find("overflow.nii: NIfTI dimensions"), std::string::npos) << r.first;
  EXPECT_NE(r.first.find("overflow"), std::string::npos) << r.first;
  EXPECT_EQ(r.second, "");
  // NIfTI-1: seven dims of 32767 overflow too.
  write_bytes(tmp.file("overflow1.nii"), nifti1({7, 32767, 32767, 32767, 32767, 32767, 32767, 32767}, 4, 16, 64));
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("overflow1.nii")); }).first.find("overflow"),
            std::string::npos);
  // 30000^3 voxels fits in 64 bits but not in the limits: refused without allocating.
  write_bytes(tmp.file("huge.nii"), nifti1({3, 30000, 30000, 30000}, 4, 16, 64));
  r = error_and_stderr([&] { read_image(tmp.file("huge.nii")); });
  EXPECT_NE(r.first.find("huge.nii: the image has 27000000000000 voxels, more than the limit"), std::string::npos)
      << r.first;
  // Within the limits but longer than the data: refused before nifticlib allocates, for the
  // plain file and for the decompressed length of a .gz.
  write_bytes(tmp.file("short.nii"), nifti1({3, 64, 64, 64}, 4, 16, 1000));
  r = error_and_stderr([&] { read_image(tmp.file("short.nii")); });
  EXPECT_NE(r.first.find("short.nii: NIfTI data is truncated: 64 x 64 x 64 voxels of 16 bits need 524640 bytes, the "
                         "file holds 1352"),
            std::string::npos)
      << r.first;
  EXPECT_EQ(r.second, "");
  write_gz(tmp.file("short.nii.gz"), nifti1({3, 64, 64, 64}, 4, 16, 1000));
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("short.nii.gz")); }).first.find("the file holds 1352"),
            std::string::npos);
  // A zero dimension, an unknown datatype, a bitpix that disagrees, a vox_offset in the header.
  write_bytes(tmp.file("zero.nii"), nifti1({3, 4, 0, 2}, 4, 16, 64));
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("zero.nii")); }).first.find("dim[2] is 0"), std::string::npos);
  write_bytes(tmp.file("complex.nii"), nifti1({3, 2, 2, 2}, 32, 64, 64));
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("complex.nii")); }).first.find("datatype 32 is not supported"),
            std::string::npos);
  write_bytes(tmp.file("bitpix.nii"), nifti1({3, 2, 2, 2}, 4, 8, 64));
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("bitpix.nii")); }).first.find("bitpix 8 does not match"),
            std::string::npos);
  std::string inside = nifti1({3, 2, 2, 2}, 4, 16, 64);
  put(inside, 108, 100.0f);
  write_bytes(tmp.file("offset.nii"), inside);
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("offset.nii")); }).first.find("vox_offset 100 lies inside"),
            std::string::npos);
  // And the same well-formed header reads.
  write_bytes(tmp.file("ok1.nii"), nifti1({3, 4, 2, 2}, 4, 16, 32));
  EXPECT_EQ(read_image(tmp.file("ok1.nii")).dims, (std::array<size_t, 3>{4, 2, 2}));
}

TEST(CorruptNifti, VolumeZerosRefusesAnOverflowingSize) {
  const size_t big = size_t{1} << 40;
  EXPECT_THROW(Volume::zeros(big, big, big), InvalidInput);
  EXPECT_THROW(checked_mul(uint64_t{1} << 33, uint64_t{1} << 31), InvalidInput);
  EXPECT_EQ(checked_mul(uint64_t{1} << 32, uint64_t{1} << 31), uint64_t{1} << 63);
  EXPECT_THROW(checked_add(~uint64_t{0}, 1), InvalidInput);
  Volume v = Volume::zeros(2, 2, 2);
  v.dims = {big, big, big};  // as a corrupt reader could have left it
  EXPECT_THROW(check_volume(v, "v"), InvalidInput);
}

TEST(ReadLimits, EnvironmentVariableAndExplicitLimitsApply) {
  Scratch tmp;
  write_bytes(tmp.file("cube.nii"), nifti1({3, 16, 16, 16}, 4, 16, 2 * 4096));
  EXPECT_EQ(read_image(tmp.file("cube.nii")).nvox(), 4096u);
  ReadLimits small;
  small.max_bytes = 4096;  // the float volume needs 16 KiB
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("cube.nii"), small); }).first.find("more than the limit of 1024"),
            std::string::npos);
  ::setenv("MEDGEN_MAX_IMAGE_BYTES", "8K", 1);
  EXPECT_EQ(ReadLimits::from_env().max_bytes, 8192u);
  EXPECT_THROW(read_image(tmp.file("cube.nii")), InvalidInput);
  ::setenv("MEDGEN_MAX_IMAGE_BYTES", "lots", 1);
  EXPECT_THROW(ReadLimits::from_env(), InvalidInput);
  ::unsetenv("MEDGEN_MAX_IMAGE_BYTES");
  EXPECT_EQ(ReadLimits::from_env().max_bytes, uint64_t{8} << 30);
}

// ---------------------------------------------------------------------------------------------
// DICOM, built element by element (explicit VR little endian, Secondary Capture).

namespace {

struct DicomBuilder {
  std::string out;
  void element(uint16_t g, uint16_t e, const char* vr, const std::string& value) {
    std::string v = value;
    if (v.size() % 2) v += (std::string(vr) == "UI" || std::string(vr) == "OB") ? '\0' : ' ';
    std::string h(4, '\0');
    put(h, 0, g);
    put(h, 2, e);
    h += vr;
    const bool long_vr = std::string(vr) == "OB" || std::string(vr) == "OW";
    if (long_vr) {
      h += std::string(2, '\0');
      h += std::string(4, '\0');
      put(h, 8, static_cast<uint32_t>(v.size()));
    } else {
      h += std::string(2, '\0');
      put(h, 6, static_cast<uint16_t>(v.size()));
    }
    out += h + v;
  }
  void us(uint16_t g, uint16_t e, uint16_t x) {
    std::string v(2, '\0');
    put(v, 0, x);
    element(g, e, "US", v);
  }
};

// A rows x columns MONOCHROME2 image, bits_allocated wide, with `pixel_bytes` of pixel data.
std::string dicom_image(uint16_t rows, uint16_t columns, uint16_t bits_allocated, size_t pixel_bytes) {
  DicomBuilder meta, ds;
  meta.element(0x0002, 0x0001, "OB", std::string("\0\1", 2));
  meta.element(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7");
  meta.element(0x0002, 0x0003, "UI", "1.2.3.4.5.6.7");
  meta.element(0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1");
  std::string group_length(4, '\0');
  put(group_length, 0, static_cast<uint32_t>(meta.out.size()));
  DicomBuilder gl;
  gl.element(0x0002, 0x0000, "UL", group_length);
  ds.element(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7");
  ds.element(0x0008, 0x0018, "UI", "1.2.3.4.5.6.7");
  ds.element(0x0008, 0x0060, "CS", "OT");
  ds.us(0x0028, 0x0002, 1);
  ds.element(0x0028, 0x0004, "CS", "MONOCHROME2");
  ds.us(0x0028, 0x0010, rows);
  ds.us(0x0028, 0x0011, columns);
  ds.us(0x0028, 0x0100, bits_allocated);
  ds.us(0x0028, 0x0101, bits_allocated);
  ds.us(0x0028, 0x0102, static_cast<uint16_t>(bits_allocated - 1));
  ds.us(0x0028, 0x0103, 0);
  std::string px(pixel_bytes, '\0');
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<char>(i % 7);
  ds.element(0x7FE0, 0x0010, bits_allocated == 8 ? "OB" : "OW", px);
  return std::string(128, '\0') + "DICM" + gl.out + meta.out + ds.out;
}

}  // namespace

TEST(CorruptDicom, BitsAllocated1IsRefusedBeforeGdcm) {
  Scratch tmp;
  // The well-formed image decodes through GDCM: the builder is right.
  write_bytes(tmp.file("ok.dcm"), dicom_image(4, 6, 16, 4 * 6 * 2));
  const Volume v = read_image(tmp.file("ok.dcm"));
  EXPECT_EQ(v.dims, (std::array<size_t, 3>{6, 4, 1}));
  // BitsAllocated 1 aborted inside a GDCM assertion.
  const std::string one = dicom_image(4, 6, 1, 4);
  write_bytes(tmp.file("bits1.dcm"), one);
  const auto [msg, err] = error_and_stderr([&] { read_image(tmp.file("bits1.dcm")); });
  EXPECT_NE(msg.find("bits1.dcm: BitsAllocated 1 is not supported (8, 16 or 32)"), std::string::npos) << msg;
  EXPECT_EQ(err, "");
  // The same check on a buffer (the fuzzers' entry point).
  EXPECT_THROW(check_dicom_structure("buffer", one), InvalidInput);
  const DicomPixelInfo info = check_dicom_structure("buffer", dicom_image(4, 6, 16, 48));
  EXPECT_TRUE(info.has_pixels);
  EXPECT_EQ(info.rows, 4u);
  EXPECT_EQ(info.columns, 6u);
  EXPECT_EQ(info.bits_allocated, 16u);
  EXPECT_EQ(info.pixel_bytes, 48u);
}

TEST(CorruptDicom, HeaderSizesAreCheckedAgainstThePixelData) {
  Scratch tmp;
  // 65535 x 65535 pixels declared, 48 bytes present: refused before GDCM allocates 8 GiB.
  write_bytes(tmp.file("big.dcm"), dicom_image(65535, 65535, 16, 48));
  auto r = error_and_stderr([&] { read_image(tmp.file("big.dcm")); });
  EXPECT_NE(r.first.find("big.dcm: the pixel data holds 48 bytes, the image"), std::string::npos) << r.first;
  EXPECT_EQ(r.second, "");
  // Bits stored beyond bits allocated; a 4-sample pixel.
  std::string bad = dicom_image(4, 6, 16, 48);
  const std::string bs = std::string("\x28\x00\x01\x01US\x02\x00", 8);
  const size_t at = bad.find(bs);
  ASSERT_NE(at, std::string::npos);
  put(bad, at + 8, uint16_t{17});
  write_bytes(tmp.file("stored.dcm"), bad);
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("stored.dcm")); }).first.find("BitsStored 17 must be 1..16"),
            std::string::npos);
  std::string spp = dicom_image(4, 6, 16, 48);
  const std::string sp = std::string("\x28\x00\x02\x00US\x02\x00", 8);
  put(spp, spp.find(sp) + 8, uint16_t{4});
  write_bytes(tmp.file("spp.dcm"), spp);
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("spp.dcm")); }).first.find("SamplesPerPixel 4 is not supported"),
            std::string::npos);
  // The limits apply to what the header declares.
  ReadLimits small;
  small.max_bytes = 64;
  EXPECT_THROW(check_dicom_structure("x", dicom_image(8, 8, 16, 128), small), InvalidInput);
}

TEST(CorruptDicom, MetaElementWithoutAValidVrIsRefusedBeforeGdcm) {
  Scratch tmp;
  // Found by fuzz_dicom (fuzz/corpus/dicom/found_meta_vr_*_gdcm_asserts.dcm): the group
  // length's VR and length swapped bytes ("UL" 04 00 became "U" 04 "L" 00). GDCM then reads the
  // meta group as implicit VR, takes those four bytes for a 4.9 MB length and asserts when the
  // value runs past the end.
  std::string bad = dicom_image(4, 6, 16, 48);
  ASSERT_EQ(bad.substr(132, 8), std::string("\x02\x00\x00\x00UL\x04\x00", 8));
  std::swap(bad[137], bad[138]);
  write_bytes(tmp.file("meta_vr.dcm"), bad);
  const auto [msg, err] = error_and_stderr([&] { read_image(tmp.file("meta_vr.dcm")); });
  EXPECT_NE(msg.find("meta_vr.dcm: not a valid DICOM file: meta element runs past the end at byte 132"),
            std::string::npos)
      << msg;
  EXPECT_EQ(err, "");
  EXPECT_THROW(check_dicom_structure("buffer", bad), InvalidInput);
  // The second one (found_meta_vr_unknown_gdcm_asserts.dcm): "LU", capitals but no VR.
  std::string lu = dicom_image(4, 6, 16, 48);
  std::swap(lu[136], lu[137]);
  write_bytes(tmp.file("meta_lu.dcm"), lu);
  const auto [msg_lu, err_lu] = error_and_stderr([&] { read_image(tmp.file("meta_lu.dcm")); });
  EXPECT_NE(msg_lu.find("meta_lu.dcm: not a valid DICOM file: meta element runs past the end"), std::string::npos)
      << msg_lu;
  EXPECT_EQ(err_lu, "");
  // In an explicit meta group, a later element without a VR, or a sequence, is refused too.
  const std::string ts = std::string("\x02\x00\x10\x00UI", 6);
  std::string no_vr = dicom_image(4, 6, 16, 48);
  const size_t at = no_vr.find(ts);
  ASSERT_NE(at, std::string::npos);
  no_vr[at + 4] = '\x01';
  try {
    check_dicom_structure("buffer", no_vr);
    ADD_FAILURE() << "accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("meta element (0002,0010) has no valid VR"), std::string::npos) << e.what();
  }
  std::string sq = dicom_image(4, 6, 16, 48);
  sq.replace(at + 4, 2, "SQ");
  EXPECT_THROW(check_dicom_structure("buffer", sq), InvalidInput);
}

// ---------------------------------------------------------------------------------------------
// InVesalius: a gzipped tar of main.plist and matrix.dat.

namespace {

std::string tar_member(const std::string& name, const std::string& body, uint64_t declared) {
  std::string h(512, '\0');
  std::memcpy(&h[0], name.data(), name.size());
  std::snprintf(&h[100], 8, "%07o", 0644);
  std::snprintf(&h[108], 8, "%07o", 0);
  std::snprintf(&h[116], 8, "%07o", 0);
  std::snprintf(&h[124], 12, "%011llo", static_cast<unsigned long long>(declared));
  std::snprintf(&h[136], 12, "%011o", 0);
  h[156] = '0';
  std::memcpy(&h[257], "ustar", 5);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  std::string padded = body;
  padded.resize((body.size() + 511) / 512 * 512, '\0');
  return h + padded;
}

std::string inv3_plist(int slices, int rows, int columns) {
  return "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>matrix</key><dict><key>dtype</key>"
         "<string>int16</string><key>filename</key><string>matrix.dat</string><key>shape</key><array><integer>" +
         std::to_string(slices) + "</integer><integer>" + std::to_string(rows) + "</integer><integer>" +
         std::to_string(columns) +
         "</integer></array></dict><key>modality</key><string>CT</string><key>spacing</key><array>"
         "<real>0.5</real><real>0.5</real><real>2.0</real></array></dict></plist>";
}

}  // namespace

TEST(CorruptInv3, HeaderShapeIsCheckedAgainstTheMatrixBeforeAllocating) {
  Scratch tmp;
  std::string matrix(2 * 3 * 4 * 5, '\0');
  for (size_t i = 0; i < matrix.size() / 2; ++i) put(matrix, 2 * i, static_cast<int16_t>(static_cast<int>(i) - 20));
  write_gz(tmp.file("ok.inv3"),
           tar_member("p/main.plist", inv3_plist(3, 4, 5), inv3_plist(3, 4, 5).size()) +
               tar_member("p/matrix.dat", matrix, matrix.size()) + std::string(1024, '\0'));
  const Volume v = read_image(tmp.file("ok.inv3"));
  EXPECT_EQ(v.dims, (std::array<size_t, 3>{5, 4, 3}));
  EXPECT_EQ(v.voxels[7], -13.f);
  EXPECT_EQ(v.spacing[2], 2.0);
  // A ~1 KB project whose plist asks for 1500 x 1500 x 3000 int16 (13.5 GB).
  write_gz(tmp.file("bomb.inv3"), tar_member("p/main.plist", inv3_plist(3000, 1500, 1500), inv3_plist(3000, 1500, 1500).size()) +
                                      tar_member("p/matrix.dat", matrix, matrix.size()));
  auto r = error_and_stderr([&] { read_image(tmp.file("bomb.inv3")); });
  EXPECT_NE(r.first.find("bomb.inv3: the image has 6750000000 voxels, more than the limit"), std::string::npos)
      << r.first;
  // Within the limits, but the matrix member is smaller than the shape; and a member whose tar
  // header declares more than the archive holds.
  write_gz(tmp.file("small.inv3"), tar_member("p/main.plist", inv3_plist(100, 100, 100), inv3_plist(100, 100, 100).size()) +
                                       tar_member("p/matrix.dat", matrix, matrix.size()));
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("small.inv3")); })
                .first.find("matrix.dat holds 120 bytes, the matrix shape needs 2000000"),
            std::string::npos);
  write_gz(tmp.file("lying.inv3"), tar_member("p/main.plist", inv3_plist(100, 100, 100), inv3_plist(100, 100, 100).size()) +
                                       tar_member("p/matrix.dat", matrix, 2000000));
  EXPECT_NE(error_and_stderr([&] { read_image(tmp.file("lying.inv3")); }).first.find("truncated member"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// PNG: an IHDR that declares far more than the compressed data holds.

namespace {

std::string png_chunk(const char* type, const std::string& data) {
  std::string c(4, '\0');
  const uint32_t n = static_cast<uint32_t>(data.size());
  c[0] = static_cast<char>(n >> 24), c[1] = static_cast<char>(n >> 16), c[2] = static_cast<char>(n >> 8),
  c[3] = static_cast<char>(n);
  const std::string body = std::string(type, 4) + data;
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  std::string tail(4, '\0');
  tail[0] = static_cast<char>(crc >> 24), tail[1] = static_cast<char>(crc >> 16), tail[2] = static_cast<char>(crc >> 8),
  tail[3] = static_cast<char>(crc);
  return c + body + tail;
}

std::string be32(uint32_t x) {
  return {static_cast<char>(x >> 24), static_cast<char>(x >> 16), static_cast<char>(x >> 8), static_cast<char>(x)};
}

}  // namespace

TEST(CorruptPng, DeclaredSizeBeyondTheCompressedDataIsRefused) {
  Scratch tmp;
  std::string ihdr = be32(100000) + be32(100000) + std::string("\x10\x00\x00\x00\x00", 5);  // 16-bit grey
  std::string raw(64, '\0');
  uLongf zlen = compressBound(raw.size());
  std::string z(zlen, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()), raw.size());
  z.resize(zlen);
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", z) +
                          png_chunk("IEND", "");
  write_bytes(tmp.file("big.png"), png);
  const auto [msg, err] = error_and_stderr([&] { read_image(tmp.file("big.png")); });
  EXPECT_NE(msg.find("big.png: invalid PNG: the header declares an image far larger"), std::string::npos) << msg;
  EXPECT_EQ(err, "");
}

// ---------------------------------------------------------------------------------------------
// Issue 25: output folders with a trailing slash, missing parents; square-pixel previews.

TEST(Outputs, SeriesFolderWithTrailingSlashAndMissingParentsIsCreated) {
  Scratch tmp;
  Volume v = Volume::zeros(5, 4, 3);
  for (size_t i = 0; i < v.nvox(); ++i) v.voxels[i] = static_cast<float>(i);
  const std::string dir = tmp.file("a/b/series") + "/";
  write_image(v, dir);
  EXPECT_TRUE(std::filesystem::is_directory(tmp.file("a/b/series")));
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.file("a/b"))) {
    EXPECT_EQ(e.path().filename(), "series") << "no temporary left beside it";
    ++n;
  }
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(read_image(dir).voxels, v.voxels);
  // Written again into the same (now non-empty) folder: refused, with or without the slash.
  EXPECT_THROW(write_image(v, dir), InvalidInput);
  EXPECT_THROW(write_image(v, tmp.file("a/b/series")), InvalidInput);
}

TEST(Previews, EveryAxisIsResampledToSquarePixelsInMillimetres) {
  Scratch tmp;
  Volume v = Volume::zeros(10, 6, 5);
  for (size_t k = 0; k < 5; ++k)
    for (size_t j = 0; j < 6; ++j)
      for (size_t i = 0; i < 10; ++i) v.at(i, j, k) = static_cast<float>(k * 20 + j * 3 + i);
  v.spacing = {0.5, 1.0, 3.0};  // a head CT's thick slices, anisotropic in-plane too
  const struct {
    Axis axis;
    size_t w, h;
  } cases[] = {{Axis::Axial, 10, 12}, {Axis::Coronal, 10, 30}, {Axis::Sagittal, 6, 15}};
  for (const auto& c : cases) {
    write_preview(v, tmp.file("p.png"), c.axis, -1, "auto");
    const Volume p = read_png(tmp.file("p.png"));
    EXPECT_EQ(p.dims, (std::array<size_t, 3>{c.w, c.h, 1})) << static_cast<int>(c.axis);
  }
  // Resampling keeps a linear ramp linear and its ends in place.
  Slice s;
  s.width = 3, s.height = 2;
  s.pixels = {0, 1, 2, 10, 11, 12};
  const Slice q = square_pixels(s, 1.0, 2.0);
  ASSERT_EQ(q.width, 3u);
  ASSERT_EQ(q.height, 4u);
  EXPECT_FLOAT_EQ(q.pixels[0], 0.f);
  EXPECT_FLOAT_EQ(q.pixels[3 * 3 + 2], 12.f);
  EXPECT_FLOAT_EQ(q.pixels[1 * 3 + 0], 2.5f);  // row 1 centre maps to input row 0.25
  // Square pixels are left alone.
  EXPECT_EQ(square_pixels(s, 0.7, 0.7).pixels, s.pixels);
}

// Real files the pixel-module pre-check must keep accepting: 4:2:2 subsampled colour stores two
// samples per pixel, and an IS of "1A" frames is read as GDCM reads it (leading digits).
TEST(CorruptDicom, UnusualButValidFilesStillRead) {
  MEDGEN_REQUIRE_FILE(kPydicom + "SC_ybr_full_422_uncompressed.dcm", "python3-pydicom");
  EXPECT_EQ(read_image(kPydicom + "SC_ybr_full_422_uncompressed.dcm").dims, (std::array<size_t, 3>{100, 100, 1}));
  if (exists(kPydicom + "badVR.dcm"))
    EXPECT_EQ(read_image(kPydicom + "badVR.dcm").dims, (std::array<size_t, 3>{10, 10, 1}));
  // Bit-packed segmentations (BitsAllocated 1) are refused with a clear line, not an abort().
  if (exists(kPydicom + "liver_1frame.dcm"))
    EXPECT_NE(error_and_stderr([&] { read_image(kPydicom + "liver_1frame.dcm"); }).first.find("BitsAllocated 1"),
              std::string::npos);
}
