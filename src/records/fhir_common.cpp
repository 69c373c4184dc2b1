#include "fhir_common.h"

#include <cmath>

#include "medgen/core/model_file.h"

namespace medgen::records::fhir_detail {

// Howard Hinnant's days-from-civil / civil-from-days (eras of 400 years).

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// "YYYY-MM-DD" (y in 1..9999).
void put_date(char* p, int y, unsigned m, unsigned d) {
  put2(p, static_cast<unsigned>(y / 100));
  put2(p + 2, static_cast<unsigned>(y % 100));
  p[4] = '-';
  put2(p + 5, m);
  p[7] = '-';
  put2(p + 8, d);
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

std::string parse_fhir_datetime(std::string_view s, bool date_only, double* seconds) {
  const char* expected = date_only ? "expected a date (YYYY, YYYY-MM or YYYY-MM-DD)"
                                   : "expected a dateTime (YYYY[-MM[-DD[Thh:mm:ss[.fff](Z|+hh:mm)]]])";
  auto bad = [&]() { return "'" + std::string(s.substr(0, 40)) + "': " + expected; };
  int y = 0, mo = 1, d = 1, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, &y) || y == 0) return bad();
  size_t p = 4;
  if (p < s.size()) {
    if (s[p] != '-' || !digits(s, p + 1, 2, &mo) || mo < 1 || mo > 12) return bad();
    p += 3;
  }
  if (p < s.size()) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int dim = kDays[mo - 1] + (mo == 2 && leap(y));
    if (s[p] != '-' || !digits(s, p + 1, 2, &d) || d < 1 || d > dim) return bad();
    p += 3;
  }
  double frac = 0;
  int64_t offset = 0;
  if (p < s.size()) {
    if (date_only || s[p] != 'T') return bad();
    if (!digits(s, p + 1, 2, &h) || h > 23 || p + 3 >= s.size() || s[p + 3] != ':' || !digits(s, p + 4, 2, &mi) ||
        mi > 59 || p + 6 >= s.size() || s[p + 6] != ':' || !digits(s, p + 7, 2, &se) || se > 60)
      return bad();
    p += 9;
    if (p < s.size() && s[p] == '.') {
      size_t q = p + 1;
      double scale = 0.1;
      while (q < s.size() && s[q] >= '0' && s[q] <= '9') {
        frac += (s[q] - '0') * scale;
        scale /= 10;
        ++q;
      }
      if (q == p + 1) return bad();
      p = q;
    }
    if (p >= s.size())
      return "'" + std::string(s.substr(0, 40)) + "': a dateTime with a time needs a time zone (Z or +hh:mm)";
    if (s[p] == 'Z') {
      ++p;
    } else if (s[p] == '+' || s[p] == '-') {
      int oh = 0, om = 0;
      if (!digits(s, p + 1, 2, &oh) || p + 3 >= s.size() || s[p + 3] != ':' || !digits(s, p + 4, 2, &om) || oh > 14 ||
          om > 59)
        return bad();
      offset = (s[p] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      p += 6;
    } else {
      return bad();
    }
    if (p != s.size()) return bad();
  }
  const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t whole = days * 86400 + h * 3600 + mi * 60 + se - offset;
  *seconds = static_cast<double>(whole) + std::round(frac * 1000) / 1000;
  return "";
}

bool format_fhir_datetime(double seconds, std::string* out) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 4e11) return false;
  const int64_t ms = std::llround(seconds * 1000);
  int64_t secs = ms / 1000, rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    secs -= 1;
  }
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 1 || y > 9999) return false;
  // Digits by hand: this runs a few times per resource written.
  char buf[24];
  put_date(buf, static_cast<int>(y), m, d);
  buf[10] = 'T';
  put2(buf + 11, static_cast<unsigned>(sod / 3600));
  buf[13] = ':';
  put2(buf + 14, static_cast<unsigned>(sod / 60 % 60));
  buf[16] = ':';
  put2(buf + 17, static_cast<unsigned>(sod % 60));
  size_t n = 19;
  if (rem) {
    buf[19] = '.';
    buf[20] = static_cast<char>('0' + rem / 100);
    buf[21] = static_cast<char>('0' + rem / 10 % 10);
    buf[22] = static_cast<char>('0' + rem % 10);
    n = 23;
  }
  out->append(buf, n);
  out->push_back('Z');
  return true;
}

bool format_fhir_date(double seconds, std::string* out) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 4e11) return false;
  const int64_t days = static_cast<int64_t>(std::floor(seconds / 86400));
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 1 || y > 9999) return false;
  char buf[10];
  put_date(buf, static_cast<int>(y), m, d);
  out->append(buf, 10);
  return true;
}

bool is_fhir_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id == "." || id == "..") return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
      return false;
  return true;
}

std::string name_uuid(const std::string& name) {
  std::string h = sha256_hex(name).substr(0, 32);
  h[12] = '8';
  static const char kHex[] = "0123456789abcdef";
  const int v = (h[16] >= 'a' ? h[16] - 'a' + 10 : h[16] - '0');
  h[16] = kHex[(v & 0x3) | 0x8];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

}  // namespace medgen::records::fhir_detail
