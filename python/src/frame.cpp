#include "frame.h"

#include <charconv>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11_json/pybind11_json.hpp>

#include "medgen/core/error.h"

namespace medgen::python {

namespace {

constexpr int64_t kNaT = std::numeric_limits<int64_t>::min();
constexpr int64_t kNsPerSecond = 1000000000;
constexpr int64_t kNsPerDay = 86400 * kNsPerSecond;

// The shortest decimal text that reads back as exactly `v` (whole numbers without a point:
// 3.0 -> "3", as a CSV writer would put them).
std::string number_text(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";  // to_table says "not a finite number"
  char buf[512];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

// The vector's buffer as a NumPy array of T (same element size: a buffer rewritten in place as
// another type), owned by a capsule: no copy.
template <class T, class U>
py::array_t<T> adopt_as(std::vector<U>&& v) {
  static_assert(sizeof(T) == sizeof(U));
  auto* owned = new std::vector<U>(std::move(v));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<U>*>(p); });
  return py::array_t<T>({owned->size()}, {sizeof(T)}, reinterpret_cast<T*>(owned->data()), owner);
}

template <class T>
py::array_t<T> adopt(std::vector<T>&& v) {
  return adopt_as<T>(std::move(v));
}

// Rewrites a number column's values as int64 (rounded; `missing` where not valid) in place.
void values_to_int64(Column& col, int64_t missing, double scale) {
  for (size_t i = 0; i < col.values.size(); ++i) {
    const int64_t x = col.valid[i] ? std::llround(col.values[i] * scale) : missing;
    std::memcpy(&col.values[i], &x, sizeof x);
  }
}

// The validity mask turned into pandas' missing mask (1 = missing), in place.
py::array_t<bool> missing_mask(Column& col) {
  for (uint8_t& v : col.valid) v = v ? 0 : 1;
  return adopt_as<bool>(std::move(col.valid));
}

// One column's cells as text (empty = missing); bools as `labels` (false, true).
std::vector<std::string> column_text(const py::object& series, const std::string& name,
                                     const std::pair<std::string, std::string>& labels = {"False", "True"}) {
  const py::module_ pd = py::module_::import("pandas");
  const py::object dtype = series.attr("dtype");
  const size_t n = py::len(series);
  std::vector<std::string> out(n);
  if (py::isinstance(dtype, pd.attr("CategoricalDtype"))) {
    const std::vector<std::string> labels = column_text(pd.attr("Series")(series.attr("cat").attr("categories")), name);
    const auto codes = series.attr("cat").attr("codes").attr("to_numpy")("int32").cast<py::array_t<int32_t>>();
    const int32_t* p = codes.data();
    for (size_t i = 0; i < n; ++i)
      if (p[i] >= 0) out[i] = labels[static_cast<size_t>(p[i])];
    return out;
  }
  const std::string kind = dtype.attr("kind").cast<std::string>();
  if (kind == "M") {
    py::object s = series;
    if (!py::getattr(dtype, "tz", py::none()).is_none())
      s = s.attr("dt").attr("tz_convert")("UTC").attr("dt").attr("tz_localize")(py::none());
    const auto ns = s.attr("to_numpy")("datetime64[ns]").attr("view")("int64").cast<py::array_t<int64_t>>();
    const int64_t* p = ns.data();
    bool dates = true;
    for (size_t i = 0; i < n; ++i)
      if (p[i] != kNaT && p[i] % kNsPerDay != 0) dates = false;
    const std::string format = dates ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%S";
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == kNaT) continue;
      // Whole seconds: the library's datetimes are seconds; a fraction is cut off (floor).
      const int64_t sec = p[i] / kNsPerSecond - (p[i] % kNsPerSecond < 0 ? 1 : 0);
      out[i] = format_datetime(static_cast<double>(sec), format);
    }
    return out;
  }
  if (kind == "m" || kind == "c" || kind == "V" || kind == "S")
    throw InvalidInput("column '" + name + "': dtype " + py::str(dtype).cast<std::string>() +
                       " is not supported (convert it to numbers or text)");
  if (kind == "b" || kind == "i" || kind == "u" || kind == "f") {
    const auto missing = series.attr("isna")().attr("to_numpy")("bool").cast<py::array_t<bool>>();
    const bool* m = missing.data();
    if (kind == "b") {
      const auto v = series.attr("to_numpy")("bool", py::arg("na_value") = false).cast<py::array_t<bool>>();
      for (size_t i = 0; i < n; ++i)
        if (!m[i]) out[i] = v.data()[i] ? labels.second : labels.first;
    } else if (kind == "i") {
      const auto v = series.attr("to_numpy")("int64", py::arg("na_value") = 0).cast<py::array_t<int64_t>>();
      for (size_t i = 0; i < n; ++i)
        if (!m[i]) out[i] = std::to_string(v.data()[i]);
    } else if (kind == "u") {
      const auto v = series.attr("to_numpy")("uint64", py::arg("na_value") = 0).cast<py::array_t<uint64_t>>();
      for (size_t i = 0; i < n; ++i)
        if (!m[i]) out[i] = std::to_string(v.data()[i]);
    } else {
      const py::object nan = py::float_(std::numeric_limits<double>::quiet_NaN());
      const auto v = series.attr("to_numpy")("float64", py::arg("na_value") = nan).cast<py::array_t<double>>();
      for (size_t i = 0; i < n; ++i)
        if (!m[i]) out[i] = number_text(v.data()[i]);
    }
    return out;
  }
  // Objects (strings, mixed): str as is; numbers and booleans as above; anything missing empty.
  const py::object isna = pd.attr("isna");
  const py::list values = series.attr("tolist")();
  for (size_t i = 0; i < n; ++i) {
    const py::handle v = values[i];
    if (v.is_none()) continue;
    if (py::isinstance<py::str>(v)) {
      out[i] = v.cast<std::string>();
    } else if (py::isinstance<py::bool_>(v)) {
      out[i] = v.cast<bool>() ? labels.second : labels.first;
    } else if (py::isinstance<py::int_>(v)) {
      out[i] = py::str(v).cast<std::string>();
    } else if (py::isinstance<py::float_>(v)) {
      out[i] = number_text(v.cast<double>());
    } else if (!isna(v).cast<bool>()) {
      out[i] = py::str(v).cast<std::string>();
    }
  }
  return out;
}

}  // namespace

CsvOptions frame_csv_options() {
  CsvOptions o;
  o.missing_tokens = {""};
  return o;
}

RawTable frame_to_raw(const py::object& df, const std::string& source, const Schema* schema) {
  const py::module_ pd = py::module_::import("pandas");
  if (!py::isinstance(df, pd.attr("DataFrame")))
    throw InvalidInput(source + ": expected a pandas DataFrame, got " +
                       py::str(py::type::of(df).attr("__name__")).cast<std::string>());
  RawTable raw;
  raw.source = source;
  std::vector<std::vector<std::string>> cols;
  std::unordered_set<std::string> seen;
  for (const py::handle item : df.attr("items")()) {
    const py::tuple t = item.cast<py::tuple>();
    const std::string name = py::str(t[0]).cast<std::string>();
    if (name.empty()) throw InvalidInput(source + ": a column has an empty name");
    if (!seen.insert(name).second) throw InvalidInput(source + ": duplicate column name '" + name + "'");
    raw.names.push_back(name);
    std::pair<std::string, std::string> labels{"False", "True"};
    const int si = schema ? schema->find(name) : -1;
    if (si >= 0 && schema->columns[static_cast<size_t>(si)].type == ColumnType::kBoolean &&
        schema->columns[static_cast<size_t>(si)].values.size() == 2)
      labels = {schema->columns[static_cast<size_t>(si)].values[0], schema->columns[static_cast<size_t>(si)].values[1]};
    cols.push_back(column_text(py::reinterpret_borrow<py::object>(t[1]), name, labels));
  }
  const size_t rows = py::len(df);
  std::vector<std::string_view> fields(cols.size());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols.size(); ++c) fields[c] = cols[c][r];
    raw.append_row(fields, r + 2);
  }
  return raw;
}

Schema infer_frame_schema(const py::object& df, const RawTable& raw, std::vector<std::string>* warnings) {
  const py::module_ pd = py::module_::import("pandas");
  Schema schema = infer_schema(raw, frame_csv_options(), {}, warnings);
  for (const py::handle item : df.attr("items")()) {
    const py::tuple t = item.cast<py::tuple>();
    const std::string name = py::str(t[0]).cast<std::string>();
    const int i = schema.find(name);
    if (i < 0) continue;
    ColumnSchema& cs = schema.columns[static_cast<size_t>(i)];
    const py::object dtype = t[1].attr("dtype");
    if (py::isinstance(dtype, pd.attr("CategoricalDtype"))) {
      const py::object cats = pd.attr("Series")(t[1].attr("cat").attr("categories"));
      const std::vector<std::string> labels = column_text(cats, name);
      ColumnSchema c;
      c.name = name;
      c.type = ColumnType::kCategorical;
      for (const std::string& l : labels)
        if (!l.empty()) c.values.push_back(l);
      cs = c;
    } else if (dtype.attr("kind").cast<std::string>() == "b") {
      ColumnSchema c;
      c.name = name;
      c.type = ColumnType::kBoolean;
      c.values = {"False", "True"};
      cs = c;
    }
  }
  return schema;
}

py::object table_to_frame(Table&& table, const Schema& schema) {
  const py::module_ pd = py::module_::import("pandas");
  const py::module_ np = py::module_::import("numpy");
  py::dict data;
  for (Column& col : table.columns) {
    const int si = schema.find(col.name);
    const ColumnSchema* cs = si >= 0 ? &schema.columns[static_cast<size_t>(si)] : nullptr;
    const size_t n = col.size();
    py::object out;
    if (col.storage == Storage::kNumber && cs && cs->type == ColumnType::kDatetime) {
      values_to_int64(col, kNaT, 1e9);
      out = adopt_as<int64_t>(std::move(col.values)).attr("view")("datetime64[ns]");
    } else if (col.storage == Storage::kNumber && cs && cs->integer) {
      values_to_int64(col, 0, 1.0);
      py::array_t<bool> mask = missing_mask(col);
      out = pd.attr("arrays").attr("IntegerArray")(adopt_as<int64_t>(std::move(col.values)), mask);
    } else if (col.storage == Storage::kNumber) {
      for (size_t i = 0; i < n; ++i)
        if (!col.valid[i]) col.values[i] = std::numeric_limits<double>::quiet_NaN();
      out = adopt(std::move(col.values));
    } else if (cs && cs->type == ColumnType::kBoolean && col.dictionary.size() <= 2) {
      // The false label is the schema's first.
      const std::string& true_label = cs->values.size() == 2 ? cs->values[1] : std::string();
      py::array_t<bool> values(static_cast<py::ssize_t>(n)), mask(static_cast<py::ssize_t>(n));
      bool* vp = values.mutable_data();
      bool* mp = mask.mutable_data();
      for (size_t i = 0; i < n; ++i) {
        mp[i] = col.codes[i] < 0;
        vp[i] = !mp[i] && col.dictionary[static_cast<size_t>(col.codes[i])] == true_label;
      }
      out = pd.attr("arrays").attr("BooleanArray")(values, mask);
    } else if (cs && (cs->type == ColumnType::kCategorical || cs->type == ColumnType::kBoolean)) {
      py::list cats;
      for (const std::string& d : col.dictionary) cats.append(py::str(d));
      out = pd.attr("Categorical").attr("from_codes")(adopt(std::move(col.codes)), py::arg("categories") = cats);
    } else {
      // Identifiers and text: numeric identifiers as int64, everything else as str objects.
      bool numeric = cs && cs->type == ColumnType::kIdentifier && cs->id_prefix.empty() && cs->id_width == 0;
      std::vector<int64_t> ids;
      if (numeric) {
        ids.resize(n);
        for (size_t i = 0; i < n && numeric; ++i) {
          if (col.codes[i] < 0) {
            numeric = false;
            break;
          }
          const std::string& s = col.dictionary[static_cast<size_t>(col.codes[i])];
          const auto r = std::from_chars(s.data(), s.data() + s.size(), ids[i]);
          numeric = r.ec == std::errc() && r.ptr == s.data() + s.size();
        }
      }
      if (numeric) {
        out = adopt(std::move(ids));
      } else {
        py::list labels;
        for (const std::string& d : col.dictionary) labels.append(py::str(d));
        py::list items(n);
        for (size_t i = 0; i < n; ++i)
          items[i] = col.codes[i] < 0 ? py::object(py::none()) : py::object(labels[static_cast<size_t>(col.codes[i])]);
        out = np.attr("array")(items, py::arg("dtype") = "O");
      }
    }
    data[py::str(col.name)] = out;
  }
  return pd.attr("DataFrame")(data, py::arg("copy") = false);
}

bool schema_given(const py::object& schema) { return !schema.is_none(); }

Schema schema_from_python(const py::object& schema) {
  if (py::isinstance<py::str>(schema) || py::hasattr(schema, "__fspath__"))
    return Schema::read(py::module_::import("os").attr("fspath")(schema).cast<std::string>());
  if (py::isinstance<py::dict>(schema)) return Schema::from_json(schema.cast<nlohmann::json>(), "schema");
  throw InvalidInput("schema: expected None, a dict (schema JSON) or a path, got " +
                     py::str(py::type::of(schema).attr("__name__")).cast<std::string>());
}

}  // namespace medgen::python
