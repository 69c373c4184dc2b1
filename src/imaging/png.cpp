// PNG through libpng's classic API for reading (it gives the stored 8- or 16-bit values
// unchanged; the simplified API would convert 16-bit data to linear light) and the simplified
// API for writing.
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <fstream>
#include <sstream>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/imaging/dicom_check.h"
#include "medgen/imaging/io.h"
#include "reader_support.h"

namespace medgen::imaging {
namespace {

std::string slurp(const std::string& path, const ReadLimits& limits) {
  return read_file_bytes(path, limits);  // regular files within the limits only
}

struct PngReadState {
  const std::string* data = nullptr;
  const ReadLimits* limits = nullptr;
  size_t pos = 0;
  char error[256] = {0};
  jmp_buf jmp;
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngReadState*>(png_get_error_ptr(png));
  std::snprintf(st->error, sizeof st->error, "%s", msg);
  longjmp(st->jmp, 1);
}
void on_png_warning(png_structp, png_const_charp) {}  // warnings (e.g. unknown chunks) are not errors

void on_png_read(png_structp png, png_bytep out, png_size_t n) {
  auto* st = static_cast<PngReadState*>(png_get_io_ptr(png));
  if (st->pos + n > st->data->size()) png_error(png, "file is truncated");
  std::memcpy(out, st->data->data() + st->pos, n);
  st->pos += n;
}

// Decodes into `rows` (16-bit samples when bit_depth is 16). Kept free of C++ objects with
// destructors between setjmp and the calls that may longjmp, so the jump skips nothing.
bool decode(PngReadState& st, std::vector<uint8_t>& pixels, png_uint_32& w, png_uint_32& h, int& depth) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, on_png_error, on_png_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  std::vector<png_bytep> rows;
  if (!info || setjmp(st.jmp)) {
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  png_set_read_fn(png, &st, on_png_read);
  png_read_info(png, info);
  w = png_get_image_width(png, info);
  h = png_get_image_height(png, info);
  depth = png_get_bit_depth(png, info);
  const int color = png_get_color_type(png, info);
  {
    // Sizes from the header, checked before the image buffer is allocated: the decoded grey
    // pixels against the limits, the filtered rows (what the compressed data inflates to)
    // against deflate's maximum ratio of 1032:1 over the whole file. Products in 64 bits:
    // width and height are below 2^31 (PNG), so none overflows.
    const uint64_t channels = png_get_channels(png, info);
    const uint64_t raw_row = 1 + (uint64_t{w} * channels * static_cast<uint64_t>(depth) + 7) / 8;
    const uint64_t raw = raw_row * h;
    const uint64_t out_bytes = uint64_t{w} * h * (depth == 16 ? 2 : 1);
    const uint64_t max_vox = std::min<uint64_t>(st.limits->max_voxels, st.limits->max_bytes / sizeof(float));
    if (raw > 1100 * static_cast<uint64_t>(st.data->size()) + 65536)
      png_error(png, "the header declares an image far larger than the compressed data can hold (corrupt)");
    if (uint64_t{w} * h > max_vox || out_bytes > st.limits->max_bytes)
      png_error(png, "the image is larger than the limit (MEDGEN_MAX_IMAGE_BYTES)");
  }
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth < 8) depth = 8;
  if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  if (color == PNG_COLOR_TYPE_PALETTE || (color & PNG_COLOR_MASK_COLOR))
    png_set_rgb_to_gray_fixed(png, 1, -1, -1);  // Rec. 709 luminance weights
  if (depth == 16) png_set_swap(png);           // host (little-endian) order
  png_read_update_info(png, info);
  const size_t rowbytes = png_get_rowbytes(png, info);
  if (rowbytes != static_cast<size_t>(w) * (depth / 8)) png_error(png, "unexpected row layout");
  pixels.resize(rowbytes * h);
  rows.resize(h);
  for (png_uint_32 r = 0; r < h; ++r) rows[r] = pixels.data() + r * rowbytes;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

Volume read_png_checked(const std::string& path, const ReadLimits& limits) {
  const std::string data = slurp(path, limits);
  static const unsigned char sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  if (data.size() < 8 || std::memcmp(data.data(), sig, 8) != 0)
    throw InvalidInput(located(path, 0, 0, "not a PNG file (bad signature)"));
  PngReadState st;
  st.data = &data;
  st.limits = &limits;
  std::vector<uint8_t> px;
  png_uint_32 w = 0, h = 0;
  int depth = 8;
  if (!decode(st, px, w, h, depth))
    throw InvalidInput(located(path, 0, 0, std::string("invalid PNG: ") + (st.error[0] ? st.error : "cannot decode")));
  Volume v = Volume::zeros(w, h, 1);
  if (depth == 16) {
    for (size_t i = 0; i < v.nvox(); ++i) {
      uint16_t s;
      std::memcpy(&s, px.data() + 2 * i, 2);
      v.voxels[i] = s;
    }
  } else {
    for (size_t i = 0; i < v.nvox(); ++i) v.voxels[i] = px[i];
  }
  v.source = path;
  v.format = depth == 16 ? "PNG 16-bit" : "PNG 8-bit";
  return v;
}

}  // namespace

Volume read_png(const std::string& path, const ReadLimits& limits) {
  return guard_memory(path, [&] { return read_png_checked(path, limits); });
}

void write_png_gray(const std::string& path, size_t width, size_t height, const std::vector<uint16_t>& pixels,
                    int bits) {
  MEDGEN_ASSERT(pixels.size() == width * height && (bits == 8 || bits == 16));
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(width);
  img.height = static_cast<png_uint_32>(height);
  // 16-bit "linear" grey is written as stored (with a gAMA of 1.0), which is what a 16-bit
  // medical PNG means; 8-bit grey is plain sRGB-encoded grey.
  img.format = bits == 16 ? PNG_FORMAT_LINEAR_Y : PNG_FORMAT_GRAY;
  std::vector<uint8_t> buf8;
  const void* src = pixels.data();
  if (bits == 8) {
    buf8.resize(pixels.size());
    for (size_t i = 0; i < pixels.size(); ++i) buf8[i] = static_cast<uint8_t>(std::min<uint16_t>(pixels[i], 255));
    src = buf8.data();
  }
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&img, nullptr, &size, 0, src, 0, nullptr))
    throw IoError(located(path, 0, 0, std::string("cannot encode PNG: ") + img.message));
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, src, 0, nullptr))
    throw IoError(located(path, 0, 0, std::string("cannot encode PNG: ") + img.message));
  out.resize(size);
  png_image_free(&img);
  write_file_atomic(path, out);
}

void write_png_rgb(const std::string& path, size_t width, size_t height, const std::vector<uint8_t>& rgb) {
  MEDGEN_ASSERT(rgb.size() == width * height * 3);
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(width);
  img.height = static_cast<png_uint_32>(height);
  img.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&img, nullptr, &size, 0, rgb.data(), 0, nullptr))
    throw IoError(located(path, 0, 0, std::string("cannot encode PNG: ") + img.message));
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, rgb.data(), 0, nullptr))
    throw IoError(located(path, 0, 0, std::string("cannot encode PNG: ") + img.message));
  out.resize(size);
  png_image_free(&img);
  write_file_atomic(path, out);
}

}  // namespace medgen::imaging
