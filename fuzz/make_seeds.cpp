// Writes the seed corpus fuzz/corpus/<target>/ with medgen's own code: small valid inputs
// (a few rows of data/pbc.csv, the schema inferred from them, copula/independent models
// fitted on them, a case and files from data/sim, tiny NIfTI-1/-2, PNG, DICOM and InVesalius
// images) and the corrupt inputs of issue 11 as regression seeds (file names start with
// "issue11_"). Deterministic: rerunning rewrites the same bytes.
//   build-fuzz/make_seeds [fuzz/corpus]
// Not part of the fuzz run itself (scripts/fuzz.sh uses the committed corpus). Model files are
// named .model here: *.medgen is git-ignored.
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "medgen/core/csv.h"
#include "medgen/core/model_file.h"
#include "medgen/core/schema.h"
#include "medgen/core/version.h"
#include "medgen/imaging/io.h"
#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"
#include "medgen/tabular/synthesizer.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace medgen;

namespace {

fs::path root;  // fuzz/corpus

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = root / target;
  fs::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + (dir / name).string());
  std::cout << (dir / name).string() << " (" << bytes.size() << " bytes)\n";
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

template <class T>
void poke(std::string& s, size_t at, T v) {
  std::memcpy(s.data() + at, &v, sizeof v);  // little-endian hosts only (x86-64, arm64)
}

// ---------------------------------------------------------------- tabular

void tabular_seeds(const fs::path& tmp) {
  // The first 30 rows of pbc.csv: every column type the inference produces on it.
  std::istringstream in(slurp(fs::path(MEDGEN_DATA_DIR) / "pbc.csv"));
  std::string csv, head, line;
  for (int i = 0; i < 31 && std::getline(in, line); ++i) {
    csv += line + "\n";
    if (i < 8) head += line + "\n";
  }
  const RawTable raw = parse_csv(csv, "pbc30");
  const Schema schema = infer_schema(raw);
  const Table table = to_table(raw, schema);
  put("schema", "pbc30.schema.json", schema.to_json().dump(2) + "\n");

  json sj = json::parse(schema.to_json().dump());
  // issue 11: a 400-digit number in a schema exited 1 (nlohmann's out_of_range escaped).
  {
    std::string big = sj.dump(2);
    const size_t p = big.find("\"max\": ");
    if (p != std::string::npos) {
      const size_t e = big.find_first_of(",\n}", p + 7);
      big.replace(p + 7, e - p - 7, "1" + std::string(400, '0'));
      put("schema", "issue11_400_digit_number.schema.json", big);
    }
  }
  // issue 11: an identifier width of 2^62 was accepted.
  for (json& c : sj["columns"])
    if (c["type"] == "identifier") {
      json w = sj;
      for (json& d : w["columns"])
        if (d["name"] == c["name"]) d["width"] = 4611686018427387904LL;
      put("schema", "issue11_identifier_width_2e62.schema.json", w.dump(2));
      break;
    }

  for (const char* name : {"copula", "independent", "cart"}) {
    auto synth = tabular::create_synthesizer(name);
    Context ctx;
    ctx.seed = 1;
    synth->fit(table, schema, ctx);
    tabular::Provenance prov;
    prov.input_name = "pbc30.csv";
    prov.rows = table.num_rows();
    prov.columns = table.num_cols();
    prov.seed = 1;
    const fs::path model = tmp / (std::string(name) + ".medgen");
    tabular::save_model(*synth, prov, model.string());
    const std::string bytes = slurp(model);
    put("model_file", std::string(name) + "_pbc30.model", bytes);
    json header = ModelFile::deserialize(bytes, model.string()).header;
    put("model_load", std::string(name) + "_pbc30.json", header.dump(1));
    if (std::string(name) != "copula") continue;
    // issue 11: a categorical column with no values (checksum recomputed) segfaulted `sample`.
    for (json& c : header["schema"]["columns"])
      if (c["type"] == "categorical") {
        json h = header;
        for (json& d : h["schema"]["columns"])
          if (d["name"] == c["name"]) d["values"] = json::array();
        put("model_load", "issue11_categorical_without_values.json", h.dump(1));
        ModelFile m;
        m.header = h;
        put("model_file", "issue11_categorical_without_values.model", m.serialize());
        break;
      }
    // issue 11: a model JSON of the wrong type exited 1.
    json wrong = header;
    wrong["schema"] = "not a schema";
    wrong["state"]["correlation"] = json::object();
    put("model_load", "issue11_wrong_types.json", wrong.dump(1));
  }
  put("csv", "pbc_head.csv", head);
}

// ---------------------------------------------------------------- simulator

void sim_seeds() {
  const sim::Catalog catalog = sim::Catalog::load(sim::Catalog::default_dir());
  sim::CaseOptions o;
  o.condition = "hypoglycaemia";
  o.seed = 7;
  put("sim_json", "case_hypoglycaemia_seed7.json", sim::generate_case(catalog, o).to_json().dump(2));
}

// ---------------------------------------------------------------- imaging

imaging::Volume ramp(size_t nx, size_t ny, size_t nz) {
  imaging::Volume v = imaging::Volume::zeros(nx, ny, nz);
  for (size_t i = 0; i < v.nvox(); ++i) v.voxels[i] = static_cast<float>((i * 37) % 200) - 100;
  v.spacing = {0.8, 0.8, 2.5};
  v.modality = imaging::Modality::CT;
  return v;
}

// A NIfTI-2 single file (.nii): the 540-byte header, 4 bytes of extension flags, int16 voxels.
std::string nifti2(int64_t nx, int64_t ny, int64_t nz) {
  std::string h(544, '\0');
  poke<int32_t>(h, 0, 540);
  std::memcpy(h.data() + 4, "n+2\0\r\n\032\n", 8);
  poke<int16_t>(h, 12, 4);    // datatype: NIFTI_TYPE_INT16
  poke<int16_t>(h, 14, 16);   // bitpix
  const int64_t dim[8] = {3, nx, ny, nz, 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i) poke<int64_t>(h, 16 + 8 * i, dim[i]);
  const double pixdim[8] = {1, 1, 1, 2, 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i) poke<double>(h, 104 + 8 * i, pixdim[i]);
  poke<int64_t>(h, 168, 544);  // vox_offset
  poke<double>(h, 176, 1.0);   // scl_slope
  std::memcpy(h.data() + 240, "medgen fuzz seed", 16);
  poke<int32_t>(h, 344, 1);  // qform_code: scanner
  poke<double>(h, 352, 0.0);
  poke<int32_t>(h, 500, 2);  // xyzt_units: mm
  const int64_t n = nx * ny * nz;
  std::string data(static_cast<size_t>(n > 0 && n < 4096 ? n : 0) * 2, '\0');
  for (size_t i = 0; i < data.size() / 2; ++i) poke<int16_t>(data, 2 * i, static_cast<int16_t>(i * 13 % 300 - 150));
  return h + data;
}

// Offset of the value of explicit-VR little-endian element (group, element) with a 2-byte
// length, or npos.
size_t dicom_value(const std::string& d, uint16_t group, uint16_t element) {
  char tag[4];
  std::memcpy(tag, &group, 2);
  std::memcpy(tag + 2, &element, 2);
  for (size_t p = 132; p + 8 <= d.size(); ++p)
    if (std::memcmp(d.data() + p, tag, 4) == 0 && d[p + 4] == 'U' && d[p + 5] == 'S') return p + 8;
  return std::string::npos;
}

void put_be32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (24 - 8 * i));
}

// One ustar member (name, bytes), padded to 512.
std::string tar_member(const std::string& name, const std::string& body) {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), name.size());
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  std::snprintf(h.data() + 124, 12, "%011lo", static_cast<unsigned long>(body.size()));
  std::snprintf(h.data() + 136, 12, "%011o", 0);
  h[156] = '0';
  std::memcpy(h.data() + 257, "ustar", 6);
  h[263] = '0', h[264] = '0';
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  std::string out = h + body;
  out.resize((out.size() + 511) / 512 * 512, '\0');
  return out;
}

std::string inv3_tar(int slices, int rows, int cols, size_t data_bytes) {
  const std::string plist =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n"
      "<key>modality</key><string>CT</string>\n<key>name</key><string>fuzz seed</string>\n"
      "<key>spacing</key><array><real>0.5</real><real>0.5</real><real>1.0</real></array>\n"
      "<key>matrix</key><dict><key>dtype</key><string>int16</string>"
      "<key>filename</key><string>matrix.dat</string>"
      "<key>shape</key><array><integer>" + std::to_string(slices) + "</integer><integer>" + std::to_string(rows) +
      "</integer><integer>" + std::to_string(cols) + "</integer></array></dict>\n</dict>\n</plist>\n";
  std::string data(data_bytes, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  return tar_member("fuzz/main.plist", plist) + tar_member("fuzz/matrix.dat", data) + std::string(1024, '\0');
}

void imaging_seeds(const fs::path& tmp) {
  // NIfTI-1 from medgen's writer, and NIfTI-2 by hand (medgen writes NIfTI-1 only).
  imaging::write_nifti(ramp(4, 3, 2), (tmp / "v.nii").string());
  put("nifti", "ramp_4x3x2.nii1.nii", slurp(tmp / "v.nii"));
  put("nifti", "ramp_4x3x2.nii2.nii", nifti2(4, 3, 2));
  {  // issue 11: NIfTI-2 with dim[0] = 515 smashed libnifti2's stack.
    std::string s = nifti2(4, 3, 2);
    poke<int64_t>(s, 16, 515);
    put("nifti", "issue11_nifti2_dim0_515.nii", s);
  }
  {  // issue 11: dimensions whose product overflows size_t (2^22 each: 2^66 voxels).
    std::string s = nifti2(4, 3, 2);
    for (int i = 1; i <= 3; ++i) poke<int64_t>(s, 16 + 8 * i, int64_t{1} << 22);
    put("nifti", "issue11_nifti2_dims_overflow.nii", s);
  }

  // PNG (8- and 16-bit grey) from medgen's writer.
  std::vector<uint16_t> px(6 * 5);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint16_t>(i * 8);
  imaging::write_png_gray((tmp / "g8.png").string(), 6, 5, px, 8);
  put("png", "grey8_6x5.png", slurp(tmp / "g8.png"));
  for (auto& p : px) p = static_cast<uint16_t>(p * 200);
  imaging::write_png_gray((tmp / "g16.png").string(), 6, 5, px, 16);
  const std::string png16 = slurp(tmp / "g16.png");
  put("png", "grey16_6x5.png", png16);
  {  // issue 11: the header drives the allocation: 1,000,000 x 1,000,000 (libpng's default
     // user limit) with the IHDR CRC recomputed.
    std::string s = png16;
    put_be32(s, 16, 1000000);
    put_be32(s, 20, 1000000);
    put_be32(s, 29, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(s.data()) + 12, 17)));
    put("png", "issue11_png_1e6_by_1e6.png", s);
  }

  // DICOM (one CT slice, int16) from medgen's writer.
  imaging::write_dicom_file(ramp(8, 6, 1), (tmp / "s.dcm").string());
  const std::string dcm = slurp(tmp / "s.dcm");
  put("dicom", "ct_8x6.dcm", dcm);
  if (const size_t p = dicom_value(dcm, 0x0028, 0x0100); p != std::string::npos) {
    std::string s = dcm;  // issue 11: BitsAllocated = 1 aborted inside a GDCM assertion.
    poke<uint16_t>(s, p, 1);
    put("dicom", "issue11_bits_allocated_1.dcm", s);
  }
  {  // issue 11: Rows x Columns drive the allocation before the pixel data is checked.
    std::string s = dcm;
    const size_t r = dicom_value(s, 0x0028, 0x0010), c = dicom_value(s, 0x0028, 0x0011);
    if (r != std::string::npos && c != std::string::npos) {
      poke<uint16_t>(s, r, 65535);
      poke<uint16_t>(s, c, 65535);
      put("dicom", "issue11_rows_columns_65535.dcm", s);
    }
  }

  // InVesalius: the uncompressed tar (inv3_fuzz.cpp gzips it).
  put("inv3", "ct_2x3x4.tar", inv3_tar(2, 3, 4, 2 * 3 * 4 * 2));
  // issue 11: a ~1 KB project asking for ~13.5 GB (1200 x 2400 x 2400 int16) before its data
  // was checked.
  put("inv3", "issue11_shape_13gb.tar", inv3_tar(1200, 2400, 2400, 48));
}

}  // namespace

int main(int argc, char** argv) {
  root = argc > 1 ? fs::path(argv[1]) : fs::path(MEDGEN_DATA_DIR).parent_path() / "fuzz" / "corpus";
  const fs::path tmp = fs::temp_directory_path() / ("medgen-seeds-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  try {
    tabular_seeds(tmp);
    sim_seeds();
    imaging_seeds(tmp);
  } catch (const std::exception& e) {
    std::cerr << "make_seeds: " << e.what() << "\n";
    fs::remove_all(tmp);
    return 1;
  }
  fs::remove_all(tmp);
  return 0;
}
