// Schema inference from a RawTable's text fields.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "schema_text.h"

namespace medgen {

using schema_detail::decimals_of;
using schema_detail::format_number;
using schema_detail::is_missing_token;
using schema_detail::lower;
using schema_detail::parse_number;

namespace {

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

}  // namespace

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
}  // namespace medgen
