#include "medgen/text/utf8.h"

#include <cstdio>

#include "medgen/core/error.h"

namespace medgen::text {

size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x01 && c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // bounds of the second byte (RFC 3629's table)
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;  // NUL, continuation byte, C0/C1 or F5..FF
    }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

void require_utf8(std::string_view text, const std::string& file) {
  const size_t at = find_invalid_utf8(text);
  if (at == std::string_view::npos) return;
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < at; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  const unsigned char b = static_cast<unsigned char>(text[at]);
  char what[48];
  if (b == 0)
    std::snprintf(what, sizeof what, "binary data (NUL byte)");
  else
    std::snprintf(what, sizeof what, "not UTF-8 text (byte 0x%02X)", b);
  throw InvalidInput(located(file, line, at - line_start + 1, what));
}

}  // namespace medgen::text
