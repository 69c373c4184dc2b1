#include "medgen/ops/util.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "medgen/core/error.h"
#include "medgen/core/schema.h"

namespace medgen::ops {

bool parse_double(std::string_view s, double* out) {
  if (s.empty() || s.size() > 64) return false;
  char buf[72];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  if (std::isspace(static_cast<unsigned char>(buf[0]))) return false;
  char* end = nullptr;
  const double v = std::strtod(buf, &end);
  if (end != buf + s.size() || !std::isfinite(v)) return false;
  // strtod accepts hex and "inf"; allow only decimal digits, sign, point, exponent.
  for (char c : s)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) return false;
  *out = v;
  return true;
}

std::string fmt_num(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[40];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string shorten(std::string_view s) {
  return s.size() <= 40 ? std::string(s) : std::string(s.substr(0, 37)) + "...";
}

int weekday_from_text(std::string_view s) {
  if (s.size() == 1 && s[0] >= '0' && s[0] <= '6') return s[0] - '0';
  static const char* names[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  if (s.size() < 3 || s.size() > 9) return -1;
  std::string low;
  for (char c : s) low += char(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < 7; ++i)
    if (std::strncmp(names[i], low.c_str(), low.size()) == 0 && (low.size() == 3 || low == names[i])) return i;
  return -1;
}

nlohmann::json parse_json_located(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    size_t line = 1, col = 1;
    const size_t upto = std::min<size_t>(e.byte ? e.byte - 1 : 0, text.size());
    for (size_t i = 0; i < upto; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    const size_t k = what.find("; ");
    if (k != std::string::npos) what = what.substr(k + 2);
    throw InvalidInput(located(source, line, col, "invalid JSON: " + what));
  }
}

namespace {

// Civil dates through core's (medgen/core/schema.h), with int fields.
void civil_from_days(int64_t z, int* y, int* m, int* d) {
  int64_t yy;
  unsigned mm, dd;
  medgen::civil_from_days(z, &yy, &mm, &dd);
  *y = static_cast<int>(yy);
  *m = static_cast<int>(mm);
  *d = static_cast<int>(dd);
}

}  // namespace

DateTime parse_datetime(const std::string& t, const std::string& where) {
  auto fail = [&]() {
    return InvalidInput(where + ": '" + shorten(t) + "' is not a FHIR dateTime (YYYY-MM-DDThh:mm:ss with Z or an offset)");
  };
  auto digits = [&](size_t pos, size_t n) -> int {
    if (pos + n > t.size()) throw fail();
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) throw fail();
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  if (t.size() < 10 || t[4] != '-' || t[7] != '-') throw fail();
  const int y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2);
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) throw fail();
  if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) throw fail();
  int hh = 0, mm = 0, off = 0;
  size_t pos = 10;
  if (t.size() > 10) {
    if (t[10] != 'T' || t.size() < 16 || t[13] != ':') throw fail();
    hh = digits(11, 2);
    mm = digits(14, 2);
    pos = 16;
    if (pos < t.size() && t[pos] == ':') {
      const int ss = digits(pos + 1, 2);
      if (ss > 60) throw fail();
      pos += 3;
      if (pos < t.size() && t[pos] == '.') {
        ++pos;
        const size_t start = pos;
        while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) ++pos;
        if (pos == start) throw fail();
      }
    }
    if (hh > 23 || mm > 59) throw fail();
    if (pos >= t.size()) throw fail();  // a time needs a zone
    if (t[pos] == 'Z') {
      ++pos;
    } else if (t[pos] == '+' || t[pos] == '-') {
      if (pos + 6 != t.size() || t[pos + 3] != ':') throw fail();
      const int oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
      if (oh > 14 || om > 59) throw fail();
      off = (t[pos] == '-' ? -1 : 1) * (oh * 60 + om);
      pos += 6;
    } else {
      throw fail();
    }
  }
  if (pos != t.size()) throw fail();
  DateTime dt;
  dt.local_day = days_from_civil(y, unsigned(mo), unsigned(d));
  dt.minute_of_day = hh * 60 + mm;
  dt.offset_min = off;
  dt.utc_min = dt.local_day * 1440 + dt.minute_of_day - off;
  dt.weekday = int(((dt.local_day % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
  return dt;
}

std::string format_date(int64_t day) {
  int y, m, d;
  civil_from_days(day, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

std::string format_datetime(int64_t utc_min, int offset_min) {
  const int64_t local = utc_min + offset_min;
  const int64_t day = local >= 0 ? local / 1440 : -((-local + 1439) / 1440);
  const int64_t mod = local - day * 1440;
  char buf[48];
  std::string zone = "Z";
  if (offset_min != 0) {
    char z[16];
    const int a = std::abs(offset_min);
    std::snprintf(z, sizeof z, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
    zone = z;
  }
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:00%s", format_date(day).c_str(), int(mod / 60), int(mod % 60), zone.c_str());
  return buf;
}

}  // namespace medgen::ops
