#include "medgen/core/schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"

namespace medgen {

using json = nlohmann::json;

namespace {

bool is_missing_token(std::string_view f, const CsvOptions& csv) {
  // Most fields are not missing: compare size and first byte before calling memcmp.
  for (const auto& t : csv.missing_tokens) {
    if (f.size() != t.size()) continue;
    if (f.empty() || (f[0] == t[0] && std::memcmp(f.data(), t.data(), f.size()) == 0)) return true;
  }
  return false;
}

// Parses a whole field as a double. Leading/trailing spaces are tolerated. Returns false
// when the text is not a number; sets *finite=false for nan/inf spellings.
bool parse_number(std::string_view f, double* out, bool* finite) {
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
int decimals_of(std::string_view f) {
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

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

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

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

const char* const kDatetimeFormats[] = {
    "%Y-%m-%d",       "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%SZ", "%d/%m/%Y",   "%m/%d/%Y",          "%d.%m.%Y",        "%d-%m-%Y",
    "%Y/%m/%d",       "%d/%m/%Y %H:%M",    "%m/%d/%Y %H:%M",    "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
};

bool looks_like_id_name(const std::string& name) {
  const std::string n = lower(name);
  auto ends = [&](const char* suf) {
    const size_t k = std::strlen(suf);
    return n.size() >= k && n.compare(n.size() - k, k, suf) == 0;
  };
  // "patientId" / "PatientID" (camel case) count; "acid" or "lipid" do not.
  const bool camel = name.size() > 2 && (name.compare(name.size() - 2, 2, "Id") == 0 ||
                                         name.compare(name.size() - 2, 2, "ID") == 0);
  return n == "id" || n == "mrn" || ends("_id") || ends(".id") || n.rfind("id_", 0) == 0 || camel ||
         n.find("identifier") != std::string::npos;
}

// Appends v as written in a CSV: whole numbers without a point, others with at most
// `decimals` digits and no trailing zeros. No allocation: this runs once per output value.
void append_number(std::string& out, double v, int decimals, bool integer) {
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

std::string format_number(double v, int decimals, bool integer) {
  std::string s;
  append_number(s, v, decimals, integer);
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------- types

const char* to_string(ColumnType type) {
  switch (type) {
    case ColumnType::kNumerical: return "numerical";
    case ColumnType::kCategorical: return "categorical";
    case ColumnType::kBoolean: return "boolean";
    case ColumnType::kDatetime: return "datetime";
    case ColumnType::kIdentifier: return "identifier";
    case ColumnType::kText: return "text";
  }
  return "?";
}

ColumnType column_type_from_string(const std::string& s) {
  for (ColumnType t : {ColumnType::kNumerical, ColumnType::kCategorical, ColumnType::kBoolean, ColumnType::kDatetime,
                       ColumnType::kIdentifier, ColumnType::kText})
    if (s == to_string(t)) return t;
  throw InvalidInput("unknown column type '" + s +
                     "' (expected numerical, categorical, boolean, datetime, identifier or text)");
}

int Schema::find(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  return -1;
}

const ColumnSchema& Schema::column(const std::string& name) const {
  const int i = find(name);
  if (i < 0) throw InvalidInput("unknown column '" + name + "'");
  return columns[static_cast<size_t>(i)];
}

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

// ----------------------------------------------------------------------------- inference

Schema infer_schema(const RawTable& raw, const CsvOptions& csv, const InferOptions& options,
                    std::vector<std::string>* warnings) {
  auto warn = [&](const std::string& w) {
    if (warnings) warnings->push_back(w);
  };
  Schema schema;
  const size_t rows = raw.num_rows();
  std::vector<std::string_view> present;
  present.reserve(rows);
  for (size_t c = 0; c < raw.num_cols(); ++c) {
    ColumnSchema col;
    col.name = raw.names[c];
    present.clear();
    std::vector<size_t> present_row;
    for (size_t r = 0; r < rows; ++r) {
      std::string_view f = raw.field(r, c);
      if (!is_missing_token(f, csv)) {
        present.push_back(f);
        present_row.push_back(r);
      }
    }
    if (present.empty()) {
      col.type = ColumnType::kCategorical;
      warn("column '" + col.name + "' is entirely missing: it will be synthesized as missing");
      schema.columns.push_back(std::move(col));
      continue;
    }

    // Numbers? One pass parses, tracks range/decimals and the first three distinct values.
    bool numeric = true, integer = true;
    int decimals = 0;
    double lo = INFINITY, hi = -INFINITY;
    std::vector<double> nums;
    nums.reserve(present.size());
    double distinct[3];
    size_t n_distinct = 0;
    for (size_t i = 0; i < present.size(); ++i) {
      double v;
      bool finite = true;
      if (!parse_number(present[i], &v, &finite)) {
        numeric = false;
        break;
      }
      if (!finite) {
        throw InvalidInput(located(raw.source, raw.line(present_row[i]), c + 1,
                                   "column '" + col.name + "': '" + std::string(present[i]) +
                                       "' is not a finite number (list it with --missing to treat it as missing)"));
      }
      if (integer && (v != std::floor(v) || present[i].find_first_of(".eE") != std::string_view::npos)) integer = false;
      const int d = decimals_of(present[i]);
      if (d > decimals) decimals = d;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (n_distinct < 3 && std::find(distinct, distinct + n_distinct, v) == distinct + n_distinct) distinct[n_distinct++] = v;
      nums.push_back(v);
    }
    if (numeric) {
      const bool zero_one = n_distinct == 2 && ((distinct[0] == 0.0 && distinct[1] == 1.0) || (distinct[0] == 1.0 && distinct[1] == 0.0));
      bool id_like = integer && present.size() == rows && rows >= 10 && looks_like_id_name(col.name);
      if (id_like) {
        std::vector<double> sorted = nums;
        std::sort(sorted.begin(), sorted.end());
        id_like = std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
      }
      if (integer && zero_one) {
        col.type = ColumnType::kBoolean;
        // Keep the labels as written in the file ("0"/"1").
        std::string zero, one;
        for (size_t i = 0; i < present.size() && (zero.empty() || one.empty()); ++i) {
          if (nums[i] == 0.0 && zero.empty()) zero = std::string(present[i]);
          if (nums[i] == 1.0 && one.empty()) one = std::string(present[i]);
        }
        col.values = {zero, one};
      } else if (id_like) {
        col.type = ColumnType::kIdentifier;
      } else {
        col.type = ColumnType::kNumerical;
        col.integer = integer;
        col.decimals = integer ? 0 : std::min(decimals, 12);
        col.min = lo;
        col.max = hi;
        if (lo == hi) warn("column '" + col.name + "' is constant (" + format_number(lo, col.decimals, integer) + ")");
      }
      schema.columns.push_back(std::move(col));
      continue;
    }

    // Dates?
    std::vector<std::string> date_matches;
    for (const char* fmt : kDatetimeFormats) {
      bool all = true;
      double s;
      for (std::string_view f : present)
        if (!parse_datetime(f, fmt, &s)) {
          all = false;
          break;
        }
      if (all) date_matches.push_back(fmt);
    }
    if (!date_matches.empty()) {
      col.type = ColumnType::kDatetime;
      col.datetime_format = date_matches[0];
      if (date_matches.size() > 1)
        warn("column '" + col.name + "': dates fit both '" + date_matches[0] + "' and '" + date_matches[1] +
             "'; using the first (edit datetime_format in the schema to change)");
      double s;
      lo = INFINITY;
      hi = -INFINITY;
      for (std::string_view f : present) {
        parse_datetime(f, col.datetime_format, &s);
        lo = std::min(lo, s);
        hi = std::max(hi, s);
      }
      col.min = lo;
      col.max = hi;
      schema.columns.push_back(std::move(col));
      continue;
    }

    // Strings: boolean words, identifier, free text or categorical.
    std::unordered_map<std::string_view, size_t> counts;
    counts.reserve(256);
    size_t total_len = 0, with_space = 0;
    for (std::string_view f : present) {
      ++counts[f];
      total_len += f.size();
      if (f.find(' ') != std::string_view::npos) ++with_space;
    }
    const double avg_len = static_cast<double>(total_len) / present.size();
    if (counts.size() == 2) {
      std::vector<std::string> labels;
      for (auto& kv : counts) labels.emplace_back(kv.first);
      std::sort(labels.begin(), labels.end());
      const std::string a = lower(labels[0]), b = lower(labels[1]);
      static const std::pair<const char*, const char*> kPairs[] = {
          {"false", "true"}, {"no", "yes"}, {"f", "t"}, {"n", "y"}};
      for (auto [f, t] : kPairs) {
        if (a == f && b == t) col.values = {labels[0], labels[1]};
        if (a == t && b == f) col.values = {labels[1], labels[0]};
      }
      if (!col.values.empty()) {
        col.type = ColumnType::kBoolean;
        schema.columns.push_back(std::move(col));
        continue;
      }
    }
    if (counts.size() == present.size() && present.size() == rows && rows >= 10 && with_space == 0 &&
        avg_len < 40) {
      col.type = ColumnType::kIdentifier;
      // Common "PREFIX0001" shape: keep prefix and digit width.
      std::string_view first = present[0];
      size_t k = first.size();
      while (k > 0 && std::isdigit(static_cast<unsigned char>(first[k - 1]))) --k;
      const std::string_view prefix = first.substr(0, k);
      bool shaped = k < first.size();
      size_t width = 0;
      bool fixed = true;
      for (std::string_view f : present) {
        if (f.substr(0, prefix.size()) != prefix || f.size() == prefix.size() ||
            f.find_first_not_of("0123456789", prefix.size()) != std::string_view::npos) {
          shaped = false;
          break;
        }
        const size_t w = f.size() - prefix.size();
        if (width != 0 && w != width) fixed = false;
        width = std::max(width, w);
      }
      col.id_prefix = shaped ? std::string(prefix) : "ID-";
      col.id_width = shaped ? (fixed ? static_cast<int>(width) : 0) : 6;
      schema.columns.push_back(std::move(col));
      continue;
    }
    if (counts.size() > options.text_unique_ratio * present.size() &&
        (avg_len > options.text_min_length || with_space * 2 > present.size())) {
      col.type = ColumnType::kText;
      warn("column '" + col.name + "' looks like free text: excluded from learning and from synthetic output");
      schema.columns.push_back(std::move(col));
      continue;
    }
    col.type = ColumnType::kCategorical;
    col.values.reserve(counts.size());
    for (auto& kv : counts) col.values.emplace_back(kv.first);
    std::sort(col.values.begin(), col.values.end());
    if (col.values.size() == 1) warn("column '" + col.name + "' is constant ('" + col.values[0] + "')");
    schema.columns.push_back(std::move(col));
  }
  return schema;
}

// ---------------------------------------------------------------------------- conversion

Table to_table(const RawTable& raw, const Schema& schema, const CsvOptions& csv) {
  Table table;
  const size_t rows = raw.num_rows();
  for (const ColumnSchema& cs : schema.columns) {
    int src = -1;
    for (size_t i = 0; i < raw.names.size(); ++i)
      if (raw.names[i] == cs.name) src = static_cast<int>(i);
    if (src < 0) throw InvalidInput(located(raw.source, 1, 0, "missing column '" + cs.name + "' (named in the schema)"));
    const size_t c = static_cast<size_t>(src);
    auto where = [&](size_t r) { return located(raw.source, raw.line(r), c + 1, "column '" + cs.name + "': "); };
    if (cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime) {
      Column col = Column::numbers(cs.name, rows);
      for (size_t r = 0; r < rows; ++r) {
        std::string_view f = raw.field(r, c);
        if (is_missing_token(f, csv)) continue;
        double v;
        bool finite = true;
        if (cs.type == ColumnType::kDatetime) {
          if (!parse_datetime(f, cs.datetime_format, &v))
            throw InvalidInput(where(r) + "'" + std::string(f) + "' is not a date in format '" + cs.datetime_format + "'");
        } else {
          if (!parse_number(f, &v, &finite))
            throw InvalidInput(where(r) + "'" + std::string(f) + "' is not a number");
          if (!finite)
            throw InvalidInput(where(r) + "'" + std::string(f) +
                               "' is not a finite number (list it with --missing to treat it as missing)");
        }
        col.values[r] = v;
        col.valid[r] = 1;
      }
      table.columns.push_back(std::move(col));
      continue;
    }
    const bool closed = cs.type == ColumnType::kCategorical || cs.type == ColumnType::kBoolean;
    Column col = Column::strings(cs.name, rows, closed ? cs.values : std::vector<std::string>{});
    std::unordered_map<std::string_view, int32_t> index;
    index.reserve(closed ? cs.values.size() * 2 : rows);
    for (size_t i = 0; i < col.dictionary.size(); ++i) index.emplace(col.dictionary[i], static_cast<int32_t>(i));
    for (size_t r = 0; r < rows; ++r) {
      std::string_view f = raw.field(r, c);
      if (is_missing_token(f, csv)) continue;
      auto it = index.find(f);
      if (it == index.end()) {
        if (closed)
          throw InvalidInput(where(r) + "'" + std::string(f) + "' is not one of the schema's values for this column");
        col.dictionary.emplace_back(f);
        // string_views into dictionary would dangle on reallocation: key on the raw field.
        it = index.emplace(f, static_cast<int32_t>(col.dictionary.size() - 1)).first;
      }
      col.codes[r] = it->second;
    }
    table.columns.push_back(std::move(col));
  }
  return table;
}

std::string to_csv(const Table& table, const Schema& schema, bool header) {
  std::string out;
  std::vector<const ColumnSchema*> cs(table.num_cols());
  for (size_t c = 0; c < table.num_cols(); ++c) {
    const int i = schema.find(table.columns[c].name);
    if (i < 0) throw InvalidInput("column '" + table.columns[c].name + "' is not in the schema");
    cs[c] = &schema.columns[static_cast<size_t>(i)];
    if (!header) continue;
    if (c) out += ',';
    append_csv_field(out, table.columns[c].name);
  }
  if (header) out += '\n';
  const size_t rows = table.num_rows();
  out.reserve(out.size() + rows * table.num_cols() * 8);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < table.num_cols(); ++c) {
      if (c) out += ',';
      const Column& col = table.columns[c];
      if (col.is_missing(r)) continue;
      if (col.storage == Storage::kString) {
        append_csv_field(out, col.dictionary[static_cast<size_t>(col.codes[r])]);
      } else if (cs[c]->type == ColumnType::kDatetime) {
        append_csv_field(out, format_datetime(col.values[r], cs[c]->datetime_format));
      } else {
        append_number(out, col.values[r], cs[c]->decimals, cs[c]->integer);
      }
    }
    out += '\n';
  }
  return out;
}

std::vector<size_t> output_columns(const Schema& schema) {
  std::vector<size_t> out;
  for (size_t i = 0; i < schema.columns.size(); ++i)
    if (schema.columns[i].type != ColumnType::kText) out.push_back(i);
  return out;
}

Column synthetic_identifiers(const ColumnSchema& column, size_t rows, size_t first) {
  Column col = Column::strings(column.name, rows, {});
  col.dictionary.reserve(rows);
  char buf[32];
  for (size_t r = 0; r < rows; ++r) {
    std::snprintf(buf, sizeof buf, "%0*zu", column.id_width, first + r);
    col.dictionary.push_back(column.id_prefix + buf);
    col.codes[r] = static_cast<int32_t>(r);
  }
  return col;
}

void apply_constraints(Column& column, const ColumnSchema& schema) {
  if (column.storage != Storage::kNumber) return;
  const bool has_range = !std::isnan(schema.min) && !std::isnan(schema.max);
  const double lo = has_range ? schema.min : -INFINITY, hi = has_range ? schema.max : INFINITY;
  const bool whole = schema.type == ColumnType::kDatetime || schema.integer || schema.decimals <= 0;
  const double scale = std::pow(10.0, std::clamp(schema.decimals, 0, 15));
  for (size_t i = 0; i < column.values.size(); ++i) {
    if (!column.valid[i]) continue;
    double v = column.values[i];
    v = whole ? std::nearbyint(v) : std::nearbyint(v * scale) / scale;
    column.values[i] = std::clamp(v, lo, hi);
  }
}

// ---------------------------------------------------------------------------------- JSON

nlohmann::ordered_json Schema::to_json() const {
  using ojson = nlohmann::ordered_json;
  ojson cols = ojson::array();
  for (const ColumnSchema& c : columns) {
    ojson j = ojson::object();
    j["name"] = c.name;
    j["type"] = to_string(c.type);
    switch (c.type) {
      case ColumnType::kNumerical:
        j["integer"] = c.integer;
        if (!c.integer) j["decimals"] = c.decimals;
        if (!std::isnan(c.min)) j["min"] = c.min;
        if (!std::isnan(c.max)) j["max"] = c.max;
        break;
      case ColumnType::kCategorical:
      case ColumnType::kBoolean:
        j["values"] = c.values;
        break;
      case ColumnType::kDatetime:
        j["format"] = c.datetime_format;
        if (!std::isnan(c.min)) j["min"] = format_datetime(c.min, c.datetime_format);
        if (!std::isnan(c.max)) j["max"] = format_datetime(c.max, c.datetime_format);
        break;
      case ColumnType::kIdentifier:
        j["prefix"] = c.id_prefix;
        j["width"] = c.id_width;
        break;
      case ColumnType::kText:
        break;
    }
    cols.push_back(std::move(j));
  }
  return ojson{{"format", "medgen-schema"}, {"version", 1}, {"columns", std::move(cols)}};
}

Schema Schema::from_json(const json& j, const std::string& source) {
  auto fail = [&](const std::string& msg) -> InvalidInput { return InvalidInput(source + ": " + msg); };
  if (!j.is_object()) throw fail("expected a JSON object with \"columns\"");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "format" && it.key() != "version" && it.key() != "columns")
      throw fail("unknown key '" + it.key() + "' (expected format, version, columns)");
  if (j.contains("format") && j["format"] != "medgen-schema") throw fail("'format' must be \"medgen-schema\"");
  if (j.contains("version") && j["version"] != 1) throw fail("unsupported schema 'version' (this medgen reads 1)");
  if (!j.contains("columns") || !j["columns"].is_array()) throw fail("'columns' must be an array");
  Schema s;
  std::unordered_set<std::string> seen;
  for (size_t k = 0; k < j["columns"].size(); ++k) {
    const json& cj = j["columns"][k];
    const std::string where = "columns[" + std::to_string(k) + "]";
    if (!cj.is_object()) throw fail(where + ": expected an object");
    if (!cj.contains("name") || !cj["name"].is_string()) throw fail(where + ": 'name' must be a string");
    if (!cj.contains("type") || !cj["type"].is_string()) throw fail(where + ": 'type' must be a string");
    ColumnSchema c;
    c.name = cj["name"].get<std::string>();
    const std::string cw = "column '" + c.name + "'";
    if (!seen.insert(c.name).second) throw fail(cw + ": duplicate column name");
    try {
      c.type = column_type_from_string(cj["type"].get<std::string>());
    } catch (const InvalidInput& e) {
      throw fail(cw + ": " + e.what());
    }
    std::vector<std::string> allowed = {"name", "type"};
    switch (c.type) {
      case ColumnType::kNumerical: allowed.insert(allowed.end(), {"integer", "decimals", "min", "max"}); break;
      case ColumnType::kCategorical:
      case ColumnType::kBoolean: allowed.push_back("values"); break;
      case ColumnType::kDatetime: allowed.insert(allowed.end(), {"format", "min", "max"}); break;
      case ColumnType::kIdentifier: allowed.insert(allowed.end(), {"prefix", "width"}); break;
      case ColumnType::kText: break;
    }
    for (auto it = cj.begin(); it != cj.end(); ++it)
      if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
        throw fail(cw + ": unknown key '" + it.key() + "' for type " + to_string(c.type));
    auto number = [&](const char* key) {
      if (!cj[key].is_number()) throw fail(cw + ": '" + key + "' must be a number");
      return cj[key].get<double>();
    };
    if (c.type == ColumnType::kNumerical) {
      if (cj.contains("integer")) {
        if (!cj["integer"].is_boolean()) throw fail(cw + ": 'integer' must be true or false");
        c.integer = cj["integer"].get<bool>();
      }
      if (cj.contains("decimals")) {
        if (!cj["decimals"].is_number_integer() || cj["decimals"].get<int>() < 0 || cj["decimals"].get<int>() > 15)
          throw fail(cw + ": 'decimals' must be an integer in [0, 15]");
        c.decimals = cj["decimals"].get<int>();
      }
      if (cj.contains("min")) c.min = number("min");
      if (cj.contains("max")) c.max = number("max");
      if (!std::isnan(c.min) && !std::isnan(c.max) && c.min > c.max) throw fail(cw + ": 'min' is greater than 'max'");
    } else if (c.type == ColumnType::kCategorical || c.type == ColumnType::kBoolean) {
      if (!cj.contains("values") || !cj["values"].is_array()) throw fail(cw + ": 'values' must be an array of strings");
      std::unordered_set<std::string> vs;
      for (const json& v : cj["values"]) {
        if (!v.is_string()) throw fail(cw + ": 'values' must be an array of strings");
        if (!vs.insert(v.get<std::string>()).second) throw fail(cw + ": duplicate value '" + v.get<std::string>() + "'");
        c.values.push_back(v.get<std::string>());
      }
      if (c.type == ColumnType::kBoolean && c.values.size() != 2)
        throw fail(cw + ": a boolean needs exactly 2 'values' (false label first)");
    } else if (c.type == ColumnType::kDatetime) {
      if (!cj.contains("format") || !cj["format"].is_string()) throw fail(cw + ": 'format' must be a string");
      c.datetime_format = cj["format"].get<std::string>();
      for (const char* key : {"min", "max"}) {
        if (!cj.contains(key)) continue;
        double v;
        if (!cj[key].is_string() || !parse_datetime(cj[key].get<std::string>(), c.datetime_format, &v))
          throw fail(cw + ": '" + key + "' must be a date in format '" + c.datetime_format + "'");
        (std::string(key) == "min" ? c.min : c.max) = v;
      }
    } else if (c.type == ColumnType::kIdentifier) {
      if (cj.contains("prefix")) {
        if (!cj["prefix"].is_string()) throw fail(cw + ": 'prefix' must be a string");
        c.id_prefix = cj["prefix"].get<std::string>();
      }
      if (cj.contains("width")) {
        if (!cj["width"].is_number_integer() || cj["width"].get<int>() < 0 || cj["width"].get<int>() > 20)
          throw fail(cw + ": 'width' must be an integer in [0, 20]");
        c.id_width = cj["width"].get<int>();
      }
    }
    s.columns.push_back(std::move(c));
  }
  if (s.columns.empty()) throw fail("'columns' is empty");
  return s;
}

Schema Schema::read(const std::string& path) {
  const std::string text = read_file(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InvalidInput(path + ": not valid JSON (" + e.what() + ")");
  }
  return from_json(j, path);
}

}  // namespace medgen
