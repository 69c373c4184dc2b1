// Datasets on disk: reading a folder of CSV files by a DatasetSchema, the data checks (keys,
// parents, times, static columns), and writing tables all or nothing.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "links.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/records/dataset.h"

namespace medgen::records {

namespace detail {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The key text of row r of a string (identifier) column, or "" when missing.
const std::string* key_at(const Column& c, size_t r) {
  if (c.storage != Storage::kString || c.codes[r] < 0) return nullptr;
  return &c.dictionary[static_cast<size_t>(c.codes[r])];
}

// Parent's primary key -> row.
std::unordered_map<std::string, size_t> key_index(const Table& parent, const std::string& pk) {
  const Column& c = parent.column(pk);
  std::unordered_map<std::string, size_t> idx;
  idx.reserve(c.size() * 2);
  for (size_t r = 0; r < c.size(); ++r)
    if (const std::string* k = key_at(c, r)) idx.emplace(*k, r);
  return idx;
}

double number_at(const Column& c, size_t r) {
  if (c.storage != Storage::kNumber || !c.valid[r]) return kNaN;
  return c.values[r];
}

}  // namespace

double unit_seconds(const std::string& unit) {
  if (unit == "day") return 86400.0;
  if (unit == "hour") return 3600.0;
  if (unit == "minute") return 60.0;
  if (unit == "second") return 1.0;
  throw InvalidInput("unknown time unit '" + unit + "'");
}

std::vector<int64_t> parent_rows(const Dataset& d, size_t t) {
  const TableSchema& ts = d.schema.tables[t];
  const Table& table = d.tables[t];
  std::vector<int64_t> out(table.num_rows(), -1);
  const int p = d.schema.parent_of(t);
  if (p < 0) return out;
  const ForeignKey* fk = ts.entity_key.empty() ? &ts.foreign_keys[0] : ts.foreign_key(ts.entity_key);
  const auto idx = key_index(d.tables[static_cast<size_t>(p)], fk->parent_column);
  const Column& c = table.column(fk->column);
  for (size_t r = 0; r < c.size(); ++r)
    if (const std::string* k = key_at(c, r)) {
      auto it = idx.find(*k);
      if (it != idx.end()) out[r] = static_cast<int64_t>(it->second);
    }
  return out;
}

EntityGroups group_events(const Dataset& d, size_t t) {
  const TableSchema& ts = d.schema.tables[t];
  const Table& table = d.tables[t];
  const size_t rows = table.num_rows();
  EntityGroups g;
  std::vector<int64_t> entity(rows, -1);
  size_t n_entities = 0;
  const int p = d.schema.parent_of(t);
  if (p >= 0) {
    const std::vector<int64_t> pr = parent_rows(d, t);
    n_entities = d.tables[static_cast<size_t>(p)].num_rows();
    entity = pr;
    g.entity_row.resize(n_entities);
    std::iota(g.entity_row.begin(), g.entity_row.end(), int64_t{0});
  } else {
    const Column& c = table.column(ts.entity_key);
    std::vector<int64_t> first(c.dictionary.size(), -1);
    for (size_t r = 0; r < rows; ++r) {
      if (c.codes[r] < 0) continue;
      int64_t& f = first[static_cast<size_t>(c.codes[r])];
      if (f < 0) f = static_cast<int64_t>(n_entities++);
      entity[r] = f;
    }
    g.entity_row.assign(n_entities, -1);
  }
  // Counting sort by entity, then a stable sort by time within each entity.
  g.offsets.assign(n_entities + 1, 0);
  for (size_t r = 0; r < rows; ++r)
    if (entity[r] >= 0) ++g.offsets[static_cast<size_t>(entity[r]) + 1];
  for (size_t e = 0; e < n_entities; ++e) g.offsets[e + 1] += g.offsets[e];
  g.order.assign(g.offsets.back(), 0);
  std::vector<size_t> fill(g.offsets.begin(), g.offsets.end() - 1);
  for (size_t r = 0; r < rows; ++r)
    if (entity[r] >= 0) g.order[fill[static_cast<size_t>(entity[r])]++] = r;
  if (!ts.time_column.empty()) {
    const Column& tc = table.column(ts.time_column);
    for (size_t e = 0; e < n_entities; ++e)
      std::stable_sort(g.order.begin() + static_cast<std::ptrdiff_t>(g.offsets[e]),
                       g.order.begin() + static_cast<std::ptrdiff_t>(g.offsets[e + 1]), [&](size_t a, size_t b) {
                         const double ta = number_at(tc, a), tb = number_at(tc, b);
                         if (std::isnan(ta) || std::isnan(tb)) return false;
                         return ta < tb;
                       });
  }
  return g;
}

std::vector<double> ancestor_values(const Dataset& d, size_t t, const EntityGroups& groups, const std::string& ref) {
  const size_t dot = ref.rfind('.');
  const std::string rt = ref.substr(0, dot), rc = ref.substr(dot + 1);
  const int target = d.schema.find(rt);
  std::vector<double> out(groups.num_entities(), kNaN);
  if (target < 0) return out;
  if (static_cast<size_t>(target) == t) {
    const Column& c = d.tables[t].column(rc);
    for (size_t e = 0; e < groups.num_entities(); ++e)
      if (groups.offsets[e + 1] > groups.offsets[e]) out[e] = number_at(c, groups.order[groups.offsets[e]]);
    return out;
  }
  // Walk up from the entity table to the referenced table.
  std::vector<int64_t> rows = groups.entity_row;
  int table = d.schema.parent_of(t);
  while (table >= 0 && table != target) {
    const std::vector<int64_t> up = parent_rows(d, static_cast<size_t>(table));
    for (int64_t& r : rows) r = r >= 0 ? up[static_cast<size_t>(r)] : -1;
    table = d.schema.parent_of(static_cast<size_t>(table));
  }
  if (table != target) return out;
  const Column& c = d.tables[static_cast<size_t>(target)].column(rc);
  for (size_t e = 0; e < rows.size(); ++e)
    if (rows[e] >= 0) out[e] = number_at(c, static_cast<size_t>(rows[e]));
  return out;
}

std::vector<double> event_offsets(const Dataset& d, size_t t, const EntityGroups& groups) {
  const TableSchema& ts = d.schema.tables[t];
  const Table& table = d.tables[t];
  std::vector<double> out(table.num_rows(), kNaN);
  if (ts.time_column.empty()) return out;
  const Column& tc = table.column(ts.time_column);
  const bool absolute = ts.schema.column(ts.time_column).type == ColumnType::kDatetime;
  if (!absolute) {
    for (size_t r = 0; r < out.size(); ++r) out[r] = number_at(tc, r);
    return out;
  }
  const double unit = unit_seconds(ts.time_unit);
  std::vector<double> origin;
  if (!ts.time_origin.empty()) origin = ancestor_values(d, t, groups, ts.time_origin);
  for (size_t e = 0; e < groups.num_entities(); ++e) {
    double o = origin.empty() ? kNaN : origin[e];
    if (origin.empty())
      for (size_t k = groups.offsets[e]; k < groups.offsets[e + 1] && std::isnan(o); ++k) o = number_at(tc, groups.order[k]);
    for (size_t k = groups.offsets[e]; k < groups.offsets[e + 1]; ++k) {
      const size_t r = groups.order[k];
      out[r] = (number_at(tc, r) - o) / unit;
    }
  }
  return out;
}

std::vector<double> entity_ends(const Dataset& d, size_t t, const EntityGroups& groups) {
  const TableSchema& ts = d.schema.tables[t];
  std::vector<double> out(groups.num_entities(), kNaN);
  if (ts.end_column.empty()) return out;
  const std::vector<double> end = ancestor_values(d, t, groups, ts.end_column);
  const size_t dot = ts.end_column.rfind('.');
  const TableSchema& et = d.schema.table(ts.end_column.substr(0, dot));
  const bool end_absolute = et.schema.column(ts.end_column.substr(dot + 1)).type == ColumnType::kDatetime;
  const bool time_absolute = ts.schema.column(ts.time_column).type == ColumnType::kDatetime;
  if (!end_absolute) return end;  // an offset in the time's own unit and origin
  // A datetime end: relative to the same origin as the events.
  const double unit = unit_seconds(ts.time_unit);
  std::vector<double> origin;
  if (!ts.time_origin.empty()) origin = ancestor_values(d, t, groups, ts.time_origin);
  const Column& tc = d.tables[t].column(ts.time_column);
  for (size_t e = 0; e < out.size(); ++e) {
    double o = origin.empty() ? kNaN : origin[e];
    if (origin.empty() && time_absolute)
      for (size_t k = groups.offsets[e]; k < groups.offsets[e + 1] && std::isnan(o); ++k) o = number_at(tc, groups.order[k]);
    out[e] = (end[e] - o) / unit;
  }
  return out;
}

}  // namespace detail

namespace {

using detail::EntityGroups;

std::string where(const TableSchema& ts, const std::vector<size_t>* lines, size_t row) {
  const size_t line = lines && row < lines->size() ? (*lines)[row] : row + 2;
  return ts.file + ":" + std::to_string(line) + ": ";
}

void check_impl(const Dataset& d, const std::vector<std::vector<size_t>>* lines) {
  const DatasetSchema& s = d.schema;
  if (d.tables.size() != s.tables.size()) throw InvalidInput("dataset: tables do not match the schema");
  for (size_t t = 0; t < s.tables.size(); ++t) {
    const TableSchema& ts = s.tables[t];
    const Table& table = d.tables[t];
    const std::vector<size_t>* ln = lines ? &(*lines)[t] : nullptr;
    for (const ColumnSchema& c : ts.schema.columns)
      if (table.find(c.name) < 0) throw InvalidInput(ts.file + ": missing column '" + c.name + "'");
    // Primary keys: present and unique.
    if (!ts.primary_key.empty()) {
      const Column& c = table.column(ts.primary_key);
      std::vector<int64_t> first(c.dictionary.size(), -1);
      for (size_t r = 0; r < c.size(); ++r) {
        if (c.codes[r] < 0) throw InvalidInput(where(ts, ln, r) + "primary key '" + ts.primary_key + "' is missing");
        int64_t& f = first[static_cast<size_t>(c.codes[r])];
        if (f >= 0)
          throw InvalidInput(where(ts, ln, r) + "duplicate primary key '" + c.dictionary[static_cast<size_t>(c.codes[r])] +
                             "' (first on line " + std::to_string(ln ? (*ln)[static_cast<size_t>(f)] : static_cast<size_t>(f) + 2) + ")");
        f = static_cast<int64_t>(r);
      }
    }
    // Foreign keys resolve.
    for (const ForeignKey& fk : ts.foreign_keys) {
      const size_t p = static_cast<size_t>(s.find(fk.parent));
      const Column& pk = d.tables[p].column(fk.parent_column);
      std::unordered_set<std::string_view> keys;
      keys.reserve(pk.size() * 2);
      for (size_t r = 0; r < pk.size(); ++r)
        if (pk.codes[r] >= 0) keys.insert(pk.dictionary[static_cast<size_t>(pk.codes[r])]);
      const Column& c = table.column(fk.column);
      size_t dangling = 0, first = 0;
      for (size_t r = 0; r < c.size(); ++r) {
        if (c.codes[r] < 0) {
          if (fk.column == ts.entity_key)
            throw InvalidInput(where(ts, ln, r) + "a row without its parent: '" + fk.column + "' is missing");
          continue;
        }
        if (!keys.count(c.dictionary[static_cast<size_t>(c.codes[r])]) && dangling++ == 0) first = r;
      }
      if (dangling)
        throw InvalidInput(where(ts, ln, first) + std::to_string(dangling) + " dangling foreign key" +
                           (dangling > 1 ? "s" : "") + ": '" + fk.column + "' = '" +
                           c.dictionary[static_cast<size_t>(c.codes[first])] + "' is not a '" + fk.parent_column +
                           "' of table '" + fk.parent + "'");
    }
    if (!ts.is_sequence()) continue;
    const Column& ek = table.column(ts.entity_key);
    for (size_t r = 0; r < ek.size(); ++r)
      if (ek.codes[r] < 0) throw InvalidInput(where(ts, ln, r) + "a row without its entity: '" + ts.entity_key + "' is missing");
    const EntityGroups g = detail::group_events(d, t);
    // Static columns are constant within each entity.
    for (const std::string& sc : ts.static_columns) {
      const Column& c = table.column(sc);
      for (size_t e = 0; e < g.num_entities(); ++e) {
        for (size_t k = g.offsets[e] + 1; k < g.offsets[e + 1]; ++k) {
          const size_t a = g.order[g.offsets[e]], b = g.order[k];
          const bool same = c.storage == Storage::kNumber
                                ? (c.valid[a] == c.valid[b] && (!c.valid[a] || c.values[a] == c.values[b]))
                                : c.codes[a] == c.codes[b];
          if (!same)
            throw InvalidInput(where(ts, ln, b) + "static column '" + sc + "' changes within entity '" +
                               ek.dictionary[static_cast<size_t>(ek.codes[b])] + "' (line " +
                               std::to_string(ln ? (*ln)[a] : a + 2) + " has another value); remove it from static_columns");
        }
      }
    }
    if (ts.time_column.empty()) continue;
    const Column& tc = table.column(ts.time_column);
    for (size_t r = 0; r < tc.size(); ++r)
      if (!tc.valid[r]) throw InvalidInput(where(ts, ln, r) + "time '" + ts.time_column + "' is missing");
    const std::vector<double> off = detail::event_offsets(d, t, g);
    const std::vector<double> end = detail::entity_ends(d, t, g);
    for (size_t e = 0; e < g.num_entities(); ++e)
      for (size_t k = g.offsets[e]; k < g.offsets[e + 1]; ++k) {
        const size_t r = g.order[k];
        if (off[r] < 0)
          throw InvalidInput(where(ts, ln, r) + "time '" + ts.time_column + "' lies before the entity's origin" +
                             (ts.time_origin.empty() ? "" : " ('" + ts.time_origin + "')"));
        if (!std::isnan(end[e]) && off[r] > end[e] + 1e-9)
          throw InvalidInput(where(ts, ln, r) + "time '" + ts.time_column + "' lies after the end of the entity's timeline ('" +
                             ts.end_column + "')");
      }
  }
}

}  // namespace

void check_dataset(const Dataset& dataset) { check_impl(dataset, nullptr); }

Dataset read_dataset(const std::string& folder, const DatasetSchema& schema, const CsvOptions& csv) {
  schema.validate();
  Dataset d;
  d.schema = schema;
  std::vector<std::vector<size_t>> lines(schema.tables.size());
  for (size_t t = 0; t < schema.tables.size(); ++t) {
    const TableSchema& ts = schema.tables[t];
    const std::string path = (std::filesystem::path(folder) / ts.file).string();
    RawTable raw = read_csv(path, csv);
    raw.source = ts.file;
    d.tables.push_back(to_table(raw, ts.schema, csv));
    lines[t].resize(raw.num_rows());
    for (size_t r = 0; r < raw.num_rows(); ++r) lines[t][r] = raw.line(r);
  }
  check_impl(d, &lines);
  return d;
}

// ---------------------------------------------------------------------------------- writing

struct DatasetWriter::Impl {
  DatasetSchema schema;
  std::vector<std::unique_ptr<AtomicFileWriter>> files;
  bool committed = false;
};

DatasetWriter::DatasetWriter(const DatasetSchema& schema, const std::string& folder) : impl_(std::make_unique<Impl>()) {
  impl_->schema = schema;
  std::error_code ec;
  if (!folder.empty()) std::filesystem::create_directories(folder, ec);
  if (ec) throw IoError(folder + ": cannot create the folder (" + ec.message() + ")");
  if (!std::filesystem::is_directory(folder, ec)) throw IoError(folder + ": not a folder");
  for (const TableSchema& ts : schema.tables) {
    auto w = std::make_unique<AtomicFileWriter>((std::filesystem::path(folder) / ts.file).string());
    std::string header;
    for (size_t c = 0; c < ts.schema.columns.size(); ++c) {
      if (c) header += ',';
      append_csv_field(header, ts.schema.columns[c].name);
    }
    header += '\n';
    w->write(header);
    impl_->files.push_back(std::move(w));
  }
}

DatasetWriter::~DatasetWriter() = default;  // unpublished AtomicFileWriters remove their temporaries

void DatasetWriter::append(const Dataset& chunk) {
  if (impl_->committed) throw Error("DatasetWriter: append after commit");
  if (chunk.tables.size() != impl_->schema.tables.size()) throw Error("DatasetWriter: chunk does not match the schema");
  for (size_t t = 0; t < chunk.tables.size(); ++t) {
    if (chunk.tables[t].num_rows() == 0) continue;
    impl_->files[t]->write(to_csv(chunk.tables[t], chunk.schema.tables[t].schema, false));
  }
}

void DatasetWriter::commit() {
  for (auto& f : impl_->files) f->finish();
  for (auto& f : impl_->files) f->publish();
  impl_->committed = true;
}

void write_dataset(const Dataset& dataset, const std::string& folder) {
  DatasetWriter w(dataset.schema, folder);
  w.append(dataset);
  w.commit();
}

}  // namespace medgen::records
