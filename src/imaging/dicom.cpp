// DICOM through GDCM. Reading: gdcm::ImageReader decodes any transfer syntax GDCM has a codec
// for (Image::GetBuffer decompresses); the geometry and rescale of single-frame files come
// from the attributes themselves (GDCM's helpers ignore the image plane module of some SOP
// classes, e.g. Secondary Capture), those of multi-frame files from GDCM, which also knows the
// per-frame functional groups of enhanced objects. Writing: a series of single-frame files
// built attribute by attribute and written with the plain gdcm::Writer, so that nothing is
// added or dropped behind our back.
#include <fcntl.h>
#include <gdcmAnonymizer.h>
#include <gdcmAttribute.h>
#include <gdcmDataElement.h>
#include <gdcmFileMetaInformation.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmStringFilter.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmUIDGenerator.h>
#include <gdcmWriter.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "medgen/core/checked.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/imaging/dicom_check.h"
#include "medgen/imaging/io.h"
#include "reader_support.h"

namespace fs = std::filesystem;

namespace medgen::imaging {
namespace {

// The identifiers medgen carries, by keyword. Order matters only for readability of dumps.
struct Key {
  const char* keyword;
  uint16_t group, element;
};
const Key kKeys[] = {
    {"PatientName", 0x0010, 0x0010},
    {"PatientID", 0x0010, 0x0020},
    {"PatientBirthDate", 0x0010, 0x0030},
    {"PatientSex", 0x0010, 0x0040},
    {"StudyInstanceUID", 0x0020, 0x000D},
    {"SeriesInstanceUID", 0x0020, 0x000E},
    {"FrameOfReferenceUID", 0x0020, 0x0052},
    {"StudyID", 0x0020, 0x0010},
    {"StudyDate", 0x0008, 0x0020},
    {"StudyTime", 0x0008, 0x0030},
    {"SeriesDate", 0x0008, 0x0021},
    {"SeriesNumber", 0x0020, 0x0011},
    {"AccessionNumber", 0x0008, 0x0050},
    {"StudyDescription", 0x0008, 0x1030},
    {"SeriesDescription", 0x0008, 0x103E},
    {"InstitutionName", 0x0008, 0x0080},
    {"ReferringPhysicianName", 0x0008, 0x0090},
    {"Manufacturer", 0x0008, 0x0070},
};

void quiet_gdcm() {
  gdcm::Trace::SetError(false);
  gdcm::Trace::SetWarning(false);
  gdcm::Trace::SetDebug(false);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}

std::vector<double> numbers(const std::string& s) {
  std::vector<double> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, '\\')) {
    char* end = nullptr;
    const std::string t = trim(item);
    const double x = std::strtod(t.c_str(), &end);
    if (t.empty() || end == t.c_str() || !std::isfinite(x)) return {};
    out.push_back(x);
  }
  return out;
}

std::array<double, 3> cross(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

// Debian builds GDCM with assertions on, and some valid but unusual files (pydicom's
// rtdose_1frame.dcm: an attribute with an unexpected multiplicity) make it abort(). medgen
// must not crash on a user's file, so GDCM calls run with SIGABRT turned into a failed read
// (the handler jumps back; what GDCM allocated before is leaked) and with stderr silenced,
// which also hides the codecs' own messages ("Unsupported JPEG data precision 12").
sigjmp_buf g_abort_jmp;
volatile sig_atomic_t g_guard_active = 0;
extern "C" void on_gdcm_abort(int) {
  if (g_guard_active) siglongjmp(g_abort_jmp, 1);
}

// Returns false when f aborted or threw; what GDCM printed goes to *said (one line).
template <typename F>
bool guarded(F&& f, std::string* said = nullptr) {
  StderrCapture capture;
  struct sigaction sa {
  }, old{};
  sa.sa_handler = on_gdcm_abort;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGABRT, &sa, &old);
  bool ok = false;
  if (sigsetjmp(g_abort_jmp, 1) == 0) {
    g_guard_active = 1;
    try {
      ok = f();
    } catch (...) {
      ok = false;
    }
  }
  g_guard_active = 0;
  ::sigaction(SIGABRT, &old, nullptr);
  const std::string text = capture.restore();
  if (said) *said = text;
  return ok;
}

bool has_dicm_magic(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char buf[132];
  return f.read(buf, 132) && std::memcmp(buf + 128, "DICM", 4) == 0;
}

template <typename T>
void to_grey(const char* buf, size_t npix, int samples, bool planar, bool luma_first, std::vector<float>& out) {
  const T* p = reinterpret_cast<const T*>(buf);
  for (size_t i = 0; i < npix; ++i) {
    if (samples == 1) {
      out[i] = static_cast<float>(p[i]);
    } else if (luma_first) {  // YBR: the first component is the luma
      out[i] = static_cast<float>(planar ? p[i] : p[i * samples]);
    } else {  // RGB: Rec. 601 luma, the Y that a YBR encoding of the same picture stores
      static const double w[3] = {0.299, 0.587, 0.114};
      double s = 0;
      for (int c = 0; c < 3 && c < samples; ++c) s += w[c] * (planar ? p[c * npix + i] : p[i * samples + c]);
      out[i] = static_cast<float>(s);
    }
  }
}

// One decoded DICOM file (any number of frames).
struct Decoded {
  Volume v;
  bool has_position = false;  // ImagePositionPatient present (needed for series sorting)
};

// `ok` false: GDCM could not read it as an image at all (the caller decides whether that is an
// error or a file to skip); decoding failures after that are always errors.
Decoded decode_file(const std::string& path, bool& ok, const ReadLimits& limits) {
  quiet_gdcm();
  ok = false;
  Decoded d;
  const std::string bytes = read_file_bytes(path, limits);
  check_dicom_structure(path, bytes, limits);
  std::istringstream in(bytes);
  auto holder = std::make_unique<gdcm::ImageReader>();
  gdcm::ImageReader& reader = *holder;
  reader.SetStream(in);
  bool aborted = true;
  const bool read = guarded([&] {
    const bool r = reader.Read();
    aborted = false;
    return r;
  });
  if (!read) {
    if (aborted) (void)holder.release();  // GDCM's state is unknown after abort(): leak, do not destroy
    return d;
  }
  ok = true;
  const gdcm::Image& img = reader.GetImage();
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  gdcm::StringFilter sf;
  sf.SetFile(reader.GetFile());
  auto str = [&](uint16_t g, uint16_t e) {
    const gdcm::Tag t(g, e);
    return ds.FindDataElement(t) && !ds.GetDataElement(t).IsEmpty() ? trim(sf.ToString(t)) : std::string();
  };
  const gdcm::TransferSyntax ts = img.GetTransferSyntax();
  const std::string ts_name = ts.GetString() ? ts.GetString() : "unknown";
  const unsigned* dims = img.GetDimensions();
  const size_t nx = dims[0], ny = dims[1], nz = img.GetNumberOfDimensions() >= 3 ? dims[2] : 1;
  if (nx == 0 || ny == 0 || nz == 0) throw InvalidInput(located(path, 0, 0, "DICOM image has no pixels"));
  const gdcm::PixelFormat pf = img.GetPixelFormat();
  const int samples = pf.GetSamplesPerPixel();
  if (samples != 1 && samples != 3)
    throw InvalidInput(located(path, 0, 0, "SamplesPerPixel " + std::to_string(samples) + " is not supported (1 or 3)"));
  limits.check(path, checked_mul(checked_mul(nx, ny), nz), img.GetBufferLength());
  std::vector<char> buf(img.GetBufferLength());
  bool decode_aborted = true;
  std::string said;
  const bool decoded = !buf.empty() && guarded(
                                           [&] {
                                             const bool r = img.GetBuffer(buf.data());
                                             decode_aborted = false;
                                             return r;
                                           },
                                           &said);
  if (decode_aborted && !buf.empty()) (void)holder.release();
  if (!decoded)
    throw InvalidInput(located(path, 0, 0,
                               "cannot decode the pixel data (transfer syntax " + ts_name +
                                   "; truncated or unsupported)" + (said.empty() ? "" : ": GDCM says: " + said)));
  Volume& v = d.v;
  v = Volume::zeros(nx, ny, nz);
  const size_t npix = v.nvox();
  const bool planar = img.GetPlanarConfiguration() == 1 && samples > 1;
  const auto pi = img.GetPhotometricInterpretation();
  // YBR_FULL(_422) data, uncompressed or JPEG, come back from GDCM as YBR (measured on
  // pydicom's SC_rgb_jpeg_dcmtk.dcm): the first component is the luma. JPEG 2000's YBR_RCT/ICT
  // come back as RGB.
  const bool ybr =
      pi == gdcm::PhotometricInterpretation::YBR_FULL || pi == gdcm::PhotometricInterpretation::YBR_FULL_422;
  const size_t need = npix * samples * ((pf.GetBitsAllocated() + 7) / 8);
  if (buf.size() < need) throw InvalidInput(located(path, 0, 0, "pixel data is shorter than the image size"));
  switch (pf.GetScalarType()) {
    case gdcm::PixelFormat::UINT8:
      to_grey<uint8_t>(buf.data(), npix, samples, planar, ybr, v.voxels);
      break;
    case gdcm::PixelFormat::INT8:
      to_grey<int8_t>(buf.data(), npix, samples, planar, ybr, v.voxels);
      break;
    case gdcm::PixelFormat::UINT12:
    case gdcm::PixelFormat::UINT16:
      to_grey<uint16_t>(buf.data(), npix, samples, planar, ybr, v.voxels);
      break;
    case gdcm::PixelFormat::INT12:
    case gdcm::PixelFormat::INT16:
      to_grey<int16_t>(buf.data(), npix, samples, planar, ybr, v.voxels);
      break;
    case gdcm::PixelFormat::UINT32:
      to_grey<uint32_t>(buf.data(), npix, samples, planar, ybr, v.voxels);
      break;
    case gdcm::PixelFormat::INT32:
      to_grey<int32_t>(buf.data(), npix, samples, planar, ybr, v.voxels);
      break;
    case gdcm::PixelFormat::FLOAT32:
      to_grey<float>(buf.data(), npix, samples, planar, ybr, v.voxels);
      break;
    case gdcm::PixelFormat::FLOAT64:
      to_grey<double>(buf.data(), npix, samples, planar, ybr, v.voxels);
      break;
    default:
      throw InvalidInput(located(path, 0, 0, std::string("unsupported pixel format ") + pf.GetScalarTypeAsString()));
  }
  // Rescale: the attributes when present (GDCM ignores them for some SOP classes), else what
  // GDCM found (per-frame functional groups of enhanced objects).
  double slope = img.GetSlope(), inter = img.GetIntercept();
  const auto s = numbers(str(0x0028, 0x1053)), i = numbers(str(0x0028, 0x1052));
  if (s.size() == 1 && s[0] != 0) slope = s[0];
  if (i.size() == 1) inter = i[0];
  if (slope != 1 || inter != 0)
    for (float& x : v.voxels) x = static_cast<float>(x * slope + inter);
  // Geometry.
  const double* gsp = img.GetSpacing();
  const double* gor = img.GetOrigin();
  const double* gdc = img.GetDirectionCosines();
  v.spacing = {gsp[0], gsp[1], nz > 1 ? gsp[2] : 1.0};
  v.origin = {gor[0], gor[1], gor[2]};
  std::array<double, 6> dc{gdc[0], gdc[1], gdc[2], gdc[3], gdc[4], gdc[5]};
  if (nz == 1) {
    const auto ipp = numbers(str(0x0020, 0x0032)), iop = numbers(str(0x0020, 0x0037));
    const auto ps = numbers(str(0x0028, 0x0030));
    if (ipp.size() == 3) v.origin = {ipp[0], ipp[1], ipp[2]}, d.has_position = true;
    if (iop.size() == 6) std::copy(iop.begin(), iop.end(), dc.begin());
    // PixelSpacing is (row spacing, column spacing) = (y, x).
    if (ps.size() == 2 && ps[0] > 0 && ps[1] > 0) v.spacing[0] = ps[1], v.spacing[1] = ps[0];
    const auto sbs = numbers(str(0x0018, 0x0088)), st = numbers(str(0x0018, 0x0050));
    if (sbs.size() == 1 && sbs[0] > 0)
      v.spacing[2] = sbs[0];
    else if (st.size() == 1 && st[0] > 0)
      v.spacing[2] = st[0];
  } else {
    d.has_position = ds.FindDataElement(gdcm::Tag(0x0020, 0x0032)) || ds.FindDataElement(gdcm::Tag(0x5200, 0x9230));
  }
  std::array<double, 3> row{dc[0], dc[1], dc[2]}, col{dc[3], dc[4], dc[5]};
  const double nr = std::sqrt(dot(row, row)), nc = std::sqrt(dot(col, col));
  if (!(nr > 0.5 && nc > 0.5) || std::fabs(dot(row, col)) > 1e-3 * nr * nc)
    throw InvalidInput(located(path, 0, 0, "ImageOrientationPatient is not two orthogonal unit vectors"));
  for (auto& x : row) x /= nr;
  for (auto& x : col) x /= nc;
  const auto nrm = cross(row, col);
  for (int r = 0; r < 3; ++r) v.direction[r] = {row[r], col[r], nrm[r]};
  for (int a = 0; a < 3; ++a)
    if (!(v.spacing[a] > 0) || !std::isfinite(v.spacing[a])) v.spacing[a] = 1;
  v.modality = modality_from_name(str(0x0008, 0x0060));
  for (const Key& k : kKeys) {
    const std::string val = str(k.group, k.element);
    if (!val.empty()) v.meta[k.keyword] = val;
  }
  v.source = path;
  v.format = "DICOM (" + ts_name + (samples > 1 ? ", colour converted to grey" : "") + ")";
  return d;
}

}  // namespace

Volume read_dicom_file(const std::string& path, const ReadLimits& limits) {
  if (!fs::is_regular_file(path)) throw IoError(located(path, 0, 0, "cannot open: no such file"));
  return guard_memory(path, [&] {
    bool ok = false;
    Decoded d = decode_file(path, ok, limits);
    if (!ok) throw InvalidInput(located(path, 0, 0, "not a readable DICOM image (corrupt, truncated or not DICOM)"));
    return std::move(d.v);
  });
}

namespace {

Volume read_series_checked(const std::string& dir, const ReadLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IoError(located(dir, 0, 0, "not a folder"));
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().filename() != "DICOMDIR") files.push_back(e.path().string());
  if (ec) throw IoError(located(dir, 0, 0, "cannot list: " + ec.message()));
  std::sort(files.begin(), files.end());
  std::vector<Decoded> slices;
  for (const auto& f : files) {
    // Only Part 10 files (128-byte preamble and "DICM") are taken from a folder, so that a
    // README or a checksum list beside the slices is skipped rather than fed to GDCM.
    if (!has_dicm_magic(f)) continue;
    bool ok = false;
    Decoded d = decode_file(f, ok, limits);
    if (!ok) throw InvalidInput(located(f, 0, 0, "not a readable DICOM image (corrupt or truncated)"));
    if (d.v.dims[2] != 1)
      throw InvalidInput(located(f, 0, 0, "multi-frame file inside a series folder (read it on its own)"));
    slices.push_back(std::move(d));
  }
  if (slices.empty()) throw InvalidInput(located(dir, 0, 0, "no DICOM images in the folder"));
  const Volume& first = slices[0].v;
  const std::string series = first.meta.count("SeriesInstanceUID") ? first.meta.at("SeriesInstanceUID") : "";
  for (const auto& s : slices) {
    const Volume& v = s.v;
    auto bad = [&](const std::string& what) {
      return InvalidInput(
          located(v.source, 0, 0, what + " differs from " + fs::path(first.source).filename().string()));
    };
    const std::string su = v.meta.count("SeriesInstanceUID") ? v.meta.at("SeriesInstanceUID") : "";
    if (su != series) throw bad("SeriesInstanceUID (more than one series in the folder)");
    if (v.dims != first.dims) throw bad("image size");
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 2; ++c)
        if (std::fabs(v.direction[r][c] - first.direction[r][c]) > 1e-4) throw bad("ImageOrientationPatient");
    if (std::fabs(v.spacing[0] - first.spacing[0]) > 1e-4 * first.spacing[0] ||
        std::fabs(v.spacing[1] - first.spacing[1]) > 1e-4 * first.spacing[1])
      throw bad("PixelSpacing");
    if (slices.size() > 1 && !s.has_position)
      throw InvalidInput(located(v.source, 0, 0, "no ImagePositionPatient: cannot order the slices"));
  }
  const std::array<double, 3> normal{first.direction[0][2], first.direction[1][2], first.direction[2][2]};
  std::sort(slices.begin(), slices.end(),
            [&](const Decoded& a, const Decoded& b) { return dot(a.v.origin, normal) < dot(b.v.origin, normal); });
  limits.check(dir, checked_mul(checked_mul(first.dims[0], first.dims[1]), slices.size()), 0);
  Volume out = Volume::zeros(first.dims[0], first.dims[1], slices.size());
  const size_t plane = first.dims[0] * first.dims[1];
  double gap = first.spacing[2];
  if (slices.size() > 1) {
    const double span = dot(slices.back().v.origin, normal) - dot(slices.front().v.origin, normal);
    gap = span / static_cast<double>(slices.size() - 1);
    for (size_t k = 1; k < slices.size(); ++k) {
      const auto& a = slices[k - 1].v.origin;
      const auto& b = slices[k].v.origin;
      const double g = dot(b, normal) - dot(a, normal);
      if (g < 1e-6)
        throw InvalidInput(located(slices[k].v.source, 0, 0,
                                   "same slice position as " + fs::path(slices[k - 1].v.source).filename().string()));
      if (std::fabs(g - gap) > 0.01 * gap + 1e-3)
        throw InvalidInput(located(dir, 0, 0,
                                   "slices are not evenly spaced (gap " + std::to_string(g) +
                                       " mm where the average is " + std::to_string(gap) + " mm; missing slice?)"));
      // Positions must lie on the normal through the first slice: a tilted gantry stack is
      // not a rectangular grid and medgen does not resample it.
      std::array<double, 3> off;
      for (int r = 0; r < 3; ++r) off[r] = b[r] - slices[0].v.origin[r];
      const double along = dot(off, normal);
      double lateral = 0;
      for (int r = 0; r < 3; ++r) lateral += (off[r] - along * normal[r]) * (off[r] - along * normal[r]);
      if (std::sqrt(lateral) > 0.01 * first.spacing[0] * static_cast<double>(k) + 1e-3)
        throw InvalidInput(located(dir, 0, 0, "slice positions do not follow the slice normal (gantry tilt?)"));
    }
  }
  for (size_t k = 0; k < slices.size(); ++k)
    std::copy(slices[k].v.voxels.begin(), slices[k].v.voxels.end(),
              out.voxels.begin() + static_cast<std::ptrdiff_t>(k * plane));
  out.spacing = {first.spacing[0], first.spacing[1], gap};
  out.origin = slices[0].v.origin;
  out.direction = first.direction;
  out.modality = first.modality;
  out.meta = slices[0].v.meta;
  out.source = dir;
  out.format = "DICOM series of " + std::to_string(slices.size()) + " files, " + slices[0].v.format.substr(6);
  return out;
}

}  // namespace

Volume read_dicom_series(const std::string& dir, const ReadLimits& limits) {
  return guard_memory(dir, [&] { return read_series_checked(dir, limits); });
}

// ---------------------------------------------------------------------------------------------
// Writing

Volume anonymized(const Volume& in) {
  Volume v = in;
  gdcm::UIDGenerator uid;
  std::random_device rd;
  char id[32];
  std::snprintf(id, sizeof id, "ANON%08X", static_cast<unsigned>(rd()));
  // PS3.15 Table E.1-1 basic profile, for the attributes medgen carries:
  //   Z (dummy or empty): PatientName, PatientID, PatientBirthDate, PatientSex, StudyID,
  //     StudyDate, StudyTime, AccessionNumber, ReferringPhysicianName;
  //   X (remove): SeriesDate, StudyDescription, SeriesDescription, InstitutionName;
  //   U (new UID, consistent within the output): Study/Series/FrameOfReference UIDs;
  //   kept: SeriesNumber, Manufacturer (not in the profile).
  for (const char* k :
       {"PatientBirthDate", "PatientSex", "StudyID", "StudyDate", "StudyTime", "AccessionNumber",
        "ReferringPhysicianName", "SeriesDate", "StudyDescription", "SeriesDescription", "InstitutionName"})
    v.meta.erase(k);
  v.meta["PatientName"] = "ANONYMOUS";
  v.meta["PatientID"] = id;
  v.meta["StudyInstanceUID"] = uid.Generate();
  v.meta["SeriesInstanceUID"] = uid.Generate();
  v.meta["FrameOfReferenceUID"] = uid.Generate();
  v.meta["PatientIdentityRemoved"] = "YES";
  return v;
}

namespace {

std::string ds_number(double x) {
  // DS is at most 16 characters.
  char buf[32];
  for (int prec = 10; prec > 3; --prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (std::strlen(buf) <= 16) break;
  }
  return buf;
}

void put(gdcm::Anonymizer& a, uint16_t g, uint16_t e, const std::string& value) {
  a.Replace(gdcm::Tag(g, e), value.c_str());
}

// Writes slice k (or the one slice) of v to path with the given pixel scaling.
void write_slice(const Volume& v, size_t k, const std::string& path, double slope, double inter,
                 const std::string& sop_class, gdcm::UIDGenerator& uid) {
  quiet_gdcm();
  gdcm::Writer w;
  gdcm::File& file = w.GetFile();
  gdcm::DataSet& ds = file.GetDataSet();
  gdcm::Anonymizer a;  // only for Replace(): it takes the VR from the dictionary
  a.SetFile(file);
  const size_t nx = v.dims[0], ny = v.dims[1];
  const std::string sop = uid.Generate();
  put(a, 0x0008, 0x0016, sop_class);
  put(a, 0x0008, 0x0018, sop);
  put(a, 0x0008, 0x0008, "DERIVED\\SECONDARY");
  put(a, 0x0008, 0x0060, modality_name(v.modality));
  if (v.modality == Modality::Other) put(a, 0x0008, 0x0064, "WSD");  // SC conversion type: workstation
  for (const Key& key : kKeys) {
    auto it = v.meta.find(key.keyword);
    if (it != v.meta.end() && !it->second.empty()) put(a, key.group, key.element, it->second);
  }
  // Type 2 attributes of the patient and study modules are present even when empty.
  for (auto [g, e] : {std::pair<uint16_t, uint16_t>{0x0010, 0x0010},
                      {0x0010, 0x0020},
                      {0x0010, 0x0030},
                      {0x0010, 0x0040},
                      {0x0008, 0x0020},
                      {0x0008, 0x0030},
                      {0x0008, 0x0090},
                      {0x0020, 0x0010},
                      {0x0008, 0x0050}})
    if (!ds.FindDataElement(gdcm::Tag(g, e))) a.Empty(gdcm::Tag(g, e));
  if (v.meta.count("PatientIdentityRemoved")) {
    put(a, 0x0012, 0x0062, "YES");
    put(a, 0x0012, 0x0063, "medgen: DICOM PS3.15 basic profile");
  }
  put(a, 0x0020, 0x0013, std::to_string(k + 1));  // InstanceNumber
  const auto pos = v.position(0, 0, static_cast<double>(k));
  put(a, 0x0020, 0x0032, ds_number(pos[0]) + "\\" + ds_number(pos[1]) + "\\" + ds_number(pos[2]));
  std::string iop;
  for (int c = 0; c < 2; ++c)
    for (int r = 0; r < 3; ++r) iop += (iop.empty() ? "" : "\\") + ds_number(v.direction[r][c]);
  put(a, 0x0020, 0x0037, iop);
  put(a, 0x0028, 0x0030, ds_number(v.spacing[1]) + "\\" + ds_number(v.spacing[0]));  // row, column spacing
  put(a, 0x0018, 0x0050, ds_number(v.spacing[2]));
  put(a, 0x0018, 0x0088, ds_number(v.spacing[2]));
  put(a, 0x0020, 0x1041, ds_number(dot(pos, {v.direction[0][2], v.direction[1][2], v.direction[2][2]})));
  put(a, 0x0028, 0x0004, "MONOCHROME2");
  put(a, 0x0028, 0x1052, ds_number(inter));
  put(a, 0x0028, 0x1053, ds_number(slope));
  put(a, 0x0028, 0x1054, v.modality == Modality::CT ? "HU" : "US");
  auto set_us = [&](uint16_t e, uint16_t value) {
    gdcm::DataElement de(gdcm::Tag(0x0028, e));
    de.SetVR(gdcm::VR::US);
    de.SetByteValue(reinterpret_cast<const char*>(&value), 2);
    ds.Replace(de);
  };
  set_us(0x0002, 1);                          // SamplesPerPixel
  set_us(0x0010, static_cast<uint16_t>(ny));  // Rows
  set_us(0x0011, static_cast<uint16_t>(nx));  // Columns
  set_us(0x0100, 16);                         // BitsAllocated
  set_us(0x0101, 16);                         // BitsStored
  set_us(0x0102, 15);                         // HighBit
  set_us(0x0103, 1);                          // PixelRepresentation: signed
  std::vector<int16_t> px(nx * ny);
  const float* src = v.voxels.data() + k * nx * ny;
  for (size_t i = 0; i < px.size(); ++i)
    px[i] = static_cast<int16_t>(std::clamp(std::lround((src[i] - inter) / slope), -32768L, 32767L));
  gdcm::DataElement pd(gdcm::Tag(0x7fe0, 0x0010));
  pd.SetVR(gdcm::VR::OW);
  pd.SetByteValue(reinterpret_cast<const char*>(px.data()), static_cast<uint32_t>(px.size() * 2));
  ds.Replace(pd);
  file.GetHeader().SetDataSetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
  w.SetFileName(path.c_str());
  if (!w.Write()) throw IoError(located(path, 0, 0, "cannot write the DICOM file"));
}

struct Scaling {
  double slope = 1, inter = 0;
};

// int16 storage: exact for integer volumes in range (CT in HU, most MR), else a linear map of
// [min, max] onto the int16 range (error at most slope / 2, reported in docs/imaging.md).
Scaling choose_scaling(const Volume& v) {
  bool integral = true;
  for (float x : v.voxels)
    if (!(x == std::nearbyint(x) && x >= -32768.f && x <= 32767.f)) {
      integral = false;
      break;
    }
  if (integral) return {};
  auto [lo, hi] = v.range();
  Scaling s;
  s.slope = hi > lo ? (static_cast<double>(hi) - lo) / 65535.0 : 1.0;
  s.inter = lo + 32768.0 * s.slope;
  return s;
}

std::string sop_class_for(Modality m) {
  switch (m) {
    case Modality::CT:
      return "1.2.840.10008.5.1.4.1.1.2";  // CT Image Storage
    case Modality::MR:
      return "1.2.840.10008.5.1.4.1.1.4";  // MR Image Storage
    default:
      return "1.2.840.10008.5.1.4.1.1.7";  // Secondary Capture Image Storage
  }
}

// Fills the UIDs a series needs but the volume lacks (a NIfTI or PNG source has none).
Volume with_uids(const Volume& in, bool anonymize) {
  Volume v = anonymize ? anonymized(in) : in;
  gdcm::UIDGenerator uid;
  for (const char* k : {"StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"})
    if (v.meta[k].empty()) v.meta[k] = uid.Generate();
  if (v.meta["SeriesNumber"].empty()) v.meta["SeriesNumber"] = "1";
  return v;
}

}  // namespace

void write_dicom_series(const Volume& in, const std::string& dir_in, const WriteOptions& opt) {
  // "out/" and "out" name the same folder (the temporary is made beside it, not inside).
  std::string dir = dir_in;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  check_volume(in, in.source.empty() ? dir : in.source);
  if (in.dims[0] > 65535 || in.dims[1] > 65535) throw InvalidInput(located(dir, 0, 0, "slices too large for DICOM"));
  std::error_code ec;
  // A symlink to a folder: the series goes into the folder it points to.
  if (fs::is_symlink(fs::symlink_status(dir, ec))) {
    const auto resolved = fs::canonical(dir, ec);
    if (!ec) dir = resolved.string();
    ec.clear();
  }
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw InvalidInput(located(dir, 0, 0, "already exists (give a new or empty folder for the DICOM series)"));
  // Missing parent folders are created, like the series folder itself (mkdir -p).
  const fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty() && !fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) throw IoError(located(parent.string(), 0, 0, "cannot create folder: " + ec.message()));
  }
  const Volume v = with_uids(in, opt.anonymize);
  const Scaling sc = choose_scaling(v);
  const std::string tmp = dir + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
  fs::remove_all(tmp, ec);
  TempPathGuard guard(tmp);  // removed if a signal ends the process while writing
  if (!fs::create_directory(tmp, ec))
    throw IoError(located(dir, 0, 0, "cannot create folder: " + (ec ? ec.message() : std::string("already exists"))));
  try {
    gdcm::UIDGenerator uid;
    for (size_t k = 0; k < v.dims[2]; ++k) {
      char name[32];
      std::snprintf(name, sizeof name, "IM%05zu.dcm", k + 1);
      write_slice(v, k, tmp + "/" + name, sc.slope, sc.inter, sop_class_for(v.modality), uid);
    }
    if (fs::exists(dir, ec)) fs::remove(dir, ec);  // the empty folder checked above
    fs::rename(tmp, dir);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw IoError(located(dir, 0, 0, std::string("cannot rename into place: ") + e.code().message()));
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

void write_dicom_file(const Volume& in, const std::string& path, const WriteOptions& opt) {
  check_volume(in, in.source.empty() ? path : in.source);
  if (in.dims[2] != 1)
    throw InvalidInput(located(path, 0, 0,
                               "a volume of " + std::to_string(in.dims[2]) +
                                   " slices is written as a DICOM series: give a folder name, not .dcm"));
  const Volume v = with_uids(in, opt.anonymize);
  const Scaling sc = choose_scaling(v);
  TempOutput out(path, ".dcm");  // follows symlinks, writes through to devices, cleans up on signals
  gdcm::UIDGenerator uid;
  write_slice(v, 0, out.temp_path(), sc.slope, sc.inter, sop_class_for(v.modality), uid);
  out.commit();
}

}  // namespace medgen::imaging
