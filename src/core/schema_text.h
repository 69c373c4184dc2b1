// Text helpers shared by the schema's translation units (schema.cpp, schema_infer.cpp,
// table_convert.cpp, datetime.cpp). Private to src/core; inline because is_missing_token and
// append_number run once per field.
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "medgen/core/csv.h"

namespace medgen::schema_detail {

inline bool is_missing_token(std::string_view f, const CsvOptions& csv) {
  // Most fields are not missing: compare size and first byte before calling memcmp.
  for (const auto& t : csv.missing_tokens) {
    if (f.size() != t.size()) continue;
    if (f.empty() || (f[0] == t[0] && std::memcmp(f.data(), t.data(), f.size()) == 0)) return true;
  }
  return false;
}

// Parses a whole field as a double. Leading/trailing spaces are tolerated. Returns false
// when the text is not a number; sets *finite=false for nan/inf spellings.
inline bool parse_number(std::string_view f, double* out, bool* finite) {
  while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
  while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
  if (f.empty()) return false;
  if (f.front() == '+') f.remove_prefix(1);
  const char* end = f.data() + f.size();
  auto r = std::from_chars(f.data(), end, *out);
  if (r.ec == std::errc::result_out_of_range) {
    *finite = false;
    return true;
  }
  if (r.ec != std::errc() || r.ptr != end) return false;
  *finite = std::isfinite(*out);
  return true;
}

// Digits after the decimal point as written ("1.50" -> 2, "3" -> 0, "1e-3" -> 3).
inline int decimals_of(std::string_view f) {
  const size_t e = f.find_first_of("eE");
  if (e != std::string_view::npos) {
    int exp = 0;
    std::from_chars(f.data() + e + 1 + (f[e + 1] == '+' ? 1 : 0), f.data() + f.size(), exp);
    const size_t dot = f.find('.');
    const int mant = dot == std::string_view::npos || dot > e ? 0 : static_cast<int>(e - dot - 1);
    return std::max(0, mant - exp);
  }
  const size_t dot = f.find('.');
  if (dot == std::string_view::npos) return 0;
  size_t end = f.size();
  while (end > 0 && f[end - 1] == ' ') --end;
  return static_cast<int>(end - dot - 1);
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Appends v as written in a CSV: whole numbers without a point, others with at most
// `decimals` digits and no trailing zeros. No allocation: this runs once per output value.
inline void append_number(std::string& out, double v, int decimals, bool integer) {
  char buf[400];  // fixed notation of the largest double needs ~330 characters
  char* end;
  if (integer || std::fabs(v) >= 9.2e18) {
    if (std::fabs(v) < 9.2e18) {
      end = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(std::llround(v))).ptr;
    } else {
      end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 0).ptr;
    }
  } else {
    end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, std::clamp(decimals, 0, 15)).ptr;
    if (std::memchr(buf, '.', static_cast<size_t>(end - buf))) {
      while (end[-1] == '0') --end;
      if (end[-1] == '.') --end;
    }
  }
  if (end - buf == 2 && buf[0] == '-' && buf[1] == '0') {
    out += '0';
    return;
  }
  out.append(buf, static_cast<size_t>(end - buf));
}

inline std::string format_number(double v, int decimals, bool integer) {
  std::string s;
  append_number(s, v, decimals, integer);
  return s;
}

}  // namespace medgen::schema_detail
