// Dates and timestamps <-> seconds since 1970-01-01 00:00:00 (no time zones), for the
// datetime formats a schema names (see docs/formats.md).
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "medgen/core/schema.h"

namespace medgen {

// Civil date <-> days since 1970-01-01 (Howard Hinnant's algorithms, proleptic Gregorian).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

namespace {

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

}  // namespace

// ------------------------------------------------------------------------------ datetime

bool parse_datetime(std::string_view text, const std::string& format, double* seconds) {
  int64_t year = 1970;
  unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
  size_t p = 0;
  auto digits = [&](size_t min_n, size_t max_n, unsigned* out) {
    size_t n = 0;
    unsigned v = 0;
    while (n < max_n && p < text.size() && text[p] >= '0' && text[p] <= '9') {
      v = v * 10 + static_cast<unsigned>(text[p] - '0');
      ++p;
      ++n;
    }
    *out = v;
    return n >= min_n;
  };
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '%' && i + 1 < format.size()) {
      unsigned v = 0;
      switch (format[++i]) {
        case 'Y':
          if (!digits(4, 4, &v)) return false;
          year = v;
          break;
        case 'm':
          if (!digits(1, 2, &month)) return false;
          break;
        case 'd':
          if (!digits(1, 2, &day)) return false;
          break;
        case 'H':
          if (!digits(1, 2, &hour)) return false;
          break;
        case 'M':
          if (!digits(2, 2, &minute)) return false;
          break;
        case 'S':
          if (!digits(2, 2, &second)) return false;
          break;
        default:
          return false;
      }
    } else {
      if (p >= text.size() || text[p] != format[i]) return false;
      ++p;
    }
  }
  if (p != text.size()) return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 60)
    return false;
  *seconds = static_cast<double>(days_from_civil(year, month, day)) * 86400.0 + hour * 3600.0 + minute * 60.0 +
             second;
  return true;
}

std::string format_datetime(double seconds, const std::string& format) {
  const int64_t total = static_cast<int64_t>(std::llround(seconds));
  int64_t days = total / 86400;
  int64_t rem = total % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  char buf[16];
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '%' && i + 1 < format.size()) {
      switch (format[++i]) {
        case 'Y': std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(y)); break;
        case 'm': std::snprintf(buf, sizeof buf, "%02u", m); break;
        case 'd': std::snprintf(buf, sizeof buf, "%02u", d); break;
        case 'H': std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(rem / 3600)); break;
        case 'M': std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(rem / 60 % 60)); break;
        case 'S': std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(rem % 60)); break;
        default: buf[0] = '\0';
      }
      out += buf;
    } else {
      out += format[i];
    }
  }
  return out;
}

}  // namespace medgen
