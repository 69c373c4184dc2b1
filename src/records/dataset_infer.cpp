// Inference of a DatasetSchema from a folder of CSV files: keys and relations from names and
// values, entity, time, end and static columns, long format. Every guess becomes a note.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "medgen/core/error.h"
#include "medgen/records/dataset.h"

namespace medgen::records {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string table_name(const std::string& stem) {
  std::string s;
  for (char c : stem) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') ? c : '_';
  return s.empty() ? "table" : s;
}

// "id", "patient_id", "PatientID", "subject", "key", "mrn", ...
bool id_like_name(const std::string& name) {
  const std::string n = lower(name);
  if (n == "id" || n == "key" || n == "mrn" || n == "subject" || n == "patient" || n == "uuid") return true;
  auto ends = [&](const char* suf) {
    const size_t k = std::char_traits<char>::length(suf);
    return n.size() > k && n.compare(n.size() - k, k, suf) == 0;
  };
  return ends("_id") || ends(".id") || ends("id") || ends("_key") || ends("_no") || ends("_nr");
}

int time_name_rank(const std::string& name) {
  static const char* kNames[] = {"day", "days", "date", "time", "tstart", "start", "visit_day", "visit_date",
                                 "datetime", "timestamp", "hour", "hours", "week", "month", "t"};
  const std::string n = lower(name);
  for (size_t i = 0; i < std::size(kNames); ++i)
    if (n == kNames[i]) return static_cast<int>(i);
  if (n.find("date") != std::string::npos || n.find("day") != std::string::npos) return 50;
  return -1;
}

bool end_like_name(const std::string& name) {
  const std::string n = lower(name);
  for (const char* k : {"futime", "fu_time", "followup", "follow_up", "fu_days", "end", "stop", "last", "death", "exit"})
    if (n.find(k) != std::string::npos) return true;
  return false;
}

bool series_like_name(const std::string& name) {
  const std::string n = lower(name);
  for (const char* k : {"test", "code", "item", "lab", "analyte", "variable", "measure", "parameter", "series", "loinc", "name"})
    if (n == k || n.find(k) != std::string::npos) return true;
  return false;
}

bool value_like_name(const std::string& name) {
  const std::string n = lower(name);
  return n == "value" || n == "result" || n == "val" || n == "value_num" || n == "valuenum" || n == "measurement" ||
         n == "numeric_value";
}

struct FileInfo {
  std::string name, file;
  RawTable raw;
  Schema schema;
};

// Field texts of a column (missing left out).
std::vector<std::string_view> present(const RawTable& raw, size_t c, const CsvOptions& csv) {
  std::vector<std::string_view> out;
  out.reserve(raw.num_rows());
  for (size_t r = 0; r < raw.num_rows(); ++r) {
    std::string_view f = raw.field(r, c);
    if (std::find(csv.missing_tokens.begin(), csv.missing_tokens.end(), f) == csv.missing_tokens.end()) out.push_back(f);
  }
  return out;
}

void make_identifier(ColumnSchema* c) {
  ColumnSchema id;
  id.name = c->name;
  id.type = ColumnType::kIdentifier;
  *c = id;
}

}  // namespace

DatasetSchema infer_dataset(const std::string& folder, const DatasetInferOptions& options, std::vector<std::string>* notes) {
  auto note = [&](const std::string& s) {
    if (notes) notes->push_back(s);
  };
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) throw InvalidInput(folder + ": not a folder");
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    if (lower(entry.path().extension().string()) == ".csv") paths.push_back(entry.path().string());
  }
  if (ec) throw IoError(folder + ": cannot list the folder (" + ec.message() + ")");
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) throw InvalidInput(folder + ": no .csv files");
  if (paths.size() > 256) throw InvalidInput(folder + ": more than 256 .csv files");

  std::vector<FileInfo> files;
  std::set<std::string> used_names;
  for (const std::string& p : paths) {
    FileInfo fi;
    fi.file = std::filesystem::path(p).filename().string();
    fi.name = table_name(std::filesystem::path(p).stem().string());
    while (!used_names.insert(fi.name).second) fi.name += "_";
    fi.raw = read_csv(p, options.csv);
    fi.raw.source = fi.file;
    std::vector<std::string> w;
    fi.schema = infer_schema(fi.raw, options.csv, options.columns, &w);
    for (const std::string& s : w) note(fi.file + ": " + s);
    files.push_back(std::move(fi));
  }

  DatasetSchema ds;
  for (FileInfo& fi : files) {
    TableSchema ts;
    ts.name = fi.name;
    ts.file = fi.file;
    ts.schema = fi.schema;
    ds.tables.push_back(std::move(ts));
  }

  // 1. Primary keys: an id-like column whose values are all present and unique.
  std::vector<std::unordered_set<std::string>> pk_values(files.size());
  for (size_t t = 0; t < files.size(); ++t) {
    const RawTable& raw = files[t].raw;
    if (raw.num_rows() == 0) continue;
    for (size_t c = 0; c < raw.num_cols(); ++c) {
      if (!id_like_name(raw.names[c])) continue;
      const auto vals = present(raw, c, options.csv);
      if (vals.size() != raw.num_rows()) continue;
      std::unordered_set<std::string> set;
      for (std::string_view v : vals) set.emplace(v);
      if (set.size() != vals.size()) continue;
      ds.tables[t].primary_key = raw.names[c];
      make_identifier(&ds.tables[t].schema.columns[c]);
      pk_values[t] = std::move(set);
      note(files[t].file + ": primary key '" + raw.names[c] + "' (unique in every row)");
      break;
    }
  }

  // 2. Foreign keys: an id-like (or equally named) column whose values all appear in another
  // table's primary key. Equal names first; among several parents, the one with the fewest
  // rows above the child's distinct values (the tightest).
  for (size_t t = 0; t < files.size(); ++t) {
    const RawTable& raw = files[t].raw;
    for (size_t c = 0; c < raw.num_cols(); ++c) {
      if (raw.names[c] == ds.tables[t].primary_key) continue;
      const auto vals = present(raw, c, options.csv);
      if (vals.empty()) continue;
      std::unordered_set<std::string_view> distinct(vals.begin(), vals.end());
      int best = -1;
      int best_score = -100;
      size_t best_missing = 0;
      for (size_t p = 0; p < files.size(); ++p) {
        if (p == t || ds.tables[p].primary_key.empty()) continue;
        const bool same_name = lower(raw.names[c]) == lower(ds.tables[p].primary_key);
        // "patient_id" for table "patient", or "encounter" for table "encounters".
        const std::string cn = lower(raw.names[c]), tn = lower(ds.tables[p].name);
        const bool named_for = cn.find(tn) != std::string::npos || (cn.size() >= 3 && tn.rfind(cn, 0) == 0);
        if (!same_name && !named_for && !id_like_name(raw.names[c])) continue;
        size_t missing = 0;
        for (std::string_view v : distinct) missing += !pk_values[p].count(std::string(v));
        // Every value found; or, for a column named as the parent's key, most of them (the
        // data checks then name the dangling ones instead of the relation going unseen).
        if (missing > 0 && !(same_name && 2 * missing <= distinct.size())) continue;
        const int score = (same_name ? 2 : 0) + (named_for ? 1 : 0) - (missing > 0 ? 4 : 0);
        if (missing > 0 && score > best_score) best_missing = missing;
        else if (score > best_score) best_missing = 0;
        if (score > best_score) {
          best_score = score;
          best = static_cast<int>(p);
        }
      }
      if (best < 0) continue;
      const TableSchema& parent = ds.tables[static_cast<size_t>(best)];
      ds.tables[t].foreign_keys.push_back({raw.names[c], parent.name, parent.primary_key});
      make_identifier(&ds.tables[t].schema.columns[c]);
      note(files[t].file + ": foreign key '" + raw.names[c] + "' -> " + parent.name + "." + parent.primary_key +
           (best_missing ? " (named like it, but " + std::to_string(best_missing) +
                               " values are not there: reading the dataset will name them)"
                         : " (every value found there)"));
    }
  }
  // Two tables pointing at each other: keep the edge from the table with more rows.
  for (size_t t = 0; t < ds.tables.size(); ++t)
    for (size_t k = 0; k < ds.tables[t].foreign_keys.size();) {
      const int p = ds.find(ds.tables[t].foreign_keys[k].parent);
      bool back = false;
      for (const ForeignKey& fk : ds.tables[static_cast<size_t>(p)].foreign_keys) back = back || fk.parent == ds.tables[t].name;
      if (back && files[t].raw.num_rows() < files[static_cast<size_t>(p)].raw.num_rows()) {
        note(files[t].file + ": dropped foreign key '" + ds.tables[t].foreign_keys[k].column + "' (the tables refer to each other)");
        ds.tables[t].foreign_keys.erase(ds.tables[t].foreign_keys.begin() + static_cast<std::ptrdiff_t>(k));
      } else {
        ++k;
      }
    }

  // 3. Entities: a foreign key with repeated values (several rows per parent), or in a table
  // without parents and without a primary key, an id-like column with repeated values.
  for (size_t t = 0; t < ds.tables.size(); ++t) {
    TableSchema& ts = ds.tables[t];
    const RawTable& raw = files[t].raw;
    std::string ek;
    for (const ForeignKey& fk : ts.foreign_keys) {
      const int c = static_cast<int>(std::find(raw.names.begin(), raw.names.end(), fk.column) - raw.names.begin());
      const auto vals = present(raw, static_cast<size_t>(c), options.csv);
      std::unordered_set<std::string_view> d(vals.begin(), vals.end());
      if (d.size() < vals.size()) {
        ek = fk.column;
        break;
      }
    }
    if (ek.empty() && ts.foreign_keys.empty() && ts.primary_key.empty()) {
      for (size_t c = 0; c < raw.num_cols() && ek.empty(); ++c) {
        if (!id_like_name(raw.names[c])) continue;
        const auto vals = present(raw, c, options.csv);
        if (vals.size() != raw.num_rows()) continue;
        std::unordered_set<std::string_view> d(vals.begin(), vals.end());
        if (d.size() < vals.size() && d.size() >= 2) {
          ek = raw.names[c];
          make_identifier(&ts.schema.columns[c]);
        }
      }
    }
    if (ek.empty()) continue;
    ts.entity_key = ek;
    const size_t ekc = static_cast<size_t>(std::find(raw.names.begin(), raw.names.end(), ek) - raw.names.begin());
    note(ts.file + ": rows grouped into entities by '" + ek + "'" +
         (ts.foreign_keys.empty() ? " (no parent table: the entities are implicit, their attributes the static columns)" : ""));

    // Group rows by entity.
    std::unordered_map<std::string_view, std::vector<size_t>> groups;
    for (size_t r = 0; r < raw.num_rows(); ++r) groups[raw.field(r, ekc)].push_back(r);
    size_t multi = 0;
    for (auto& [k, rows] : groups) multi += rows.size() >= 2;
    const bool enough = groups.size() > 0 && static_cast<double>(multi) / static_cast<double>(groups.size()) >= options.static_min_multi;

    // Static columns: constant within every entity.
    std::vector<bool> is_static(raw.num_cols(), false);
    if (enough) {
      for (size_t c = 0; c < raw.num_cols(); ++c) {
        if (c == ekc || raw.names[c] == ts.primary_key || ts.foreign_key(raw.names[c])) continue;
        if (ts.schema.columns[c].type == ColumnType::kText || ts.schema.columns[c].type == ColumnType::kIdentifier) continue;
        bool constant = true;
        for (auto& [k, rows] : groups) {
          for (size_t i = 1; i < rows.size() && constant; ++i) constant = raw.field(rows[i], c) == raw.field(rows[0], c);
          if (!constant) break;
        }
        if (constant) {
          is_static[c] = true;
          ts.static_columns.push_back(raw.names[c]);
        }
      }
      if (!ts.static_columns.empty()) {
        std::string list;
        for (const std::string& s : ts.static_columns) list += (list.empty() ? "" : ", ") + s;
        note(ts.file + ": static columns (constant within every entity): " + list);
      }
    }

    // Time: a datetime column, or a numerical column with a time-like name, not static.
    int best = -1, best_rank = 1000;
    for (size_t c = 0; c < raw.num_cols(); ++c) {
      if (is_static[c]) continue;
      const ColumnSchema& cs = ts.schema.columns[c];
      int rank = time_name_rank(cs.name);
      if (cs.type == ColumnType::kDatetime) rank = rank < 0 ? 100 : rank;
      else if (cs.type != ColumnType::kNumerical) rank = -1;
      if (rank >= 0 && rank < best_rank) {
        best = static_cast<int>(c);
        best_rank = rank;
      }
    }
    if (best >= 0) {
      const ColumnSchema& tc = ts.schema.columns[static_cast<size_t>(best)];
      ts.time_column = tc.name;
      bool nonneg = true;
      if (tc.type == ColumnType::kNumerical) {
        nonneg = !(tc.min < 0);
        const std::string n = lower(tc.name);
        if (n.find("hour") != std::string::npos) ts.time_unit = "hour";
        note(ts.file + ": time column '" + tc.name + "' (numeric offsets in " + ts.time_unit +
             "s since the entity's entry; edit time.unit if they are not)");
      } else {
        note(ts.file + ": time column '" + tc.name + "' (dates)");
      }
      if (!nonneg) {
        note(ts.file + ": time column '" + tc.name + "' has negative values: not used as time (set time.origin to use it)");
        ts.time_column.clear();
      }
      // End of the timeline: a static column with an end-like name that no event passes.
      for (size_t c = 0; c < raw.num_cols() && !ts.time_column.empty(); ++c) {
        if (!is_static[c] || !end_like_name(raw.names[c])) continue;
        const ColumnSchema& cs = ts.schema.columns[c];
        if (cs.type != tc.type) continue;
        bool holds = true;
        for (size_t r = 0; r < raw.num_rows() && holds; ++r) {
          double tv, ev;
          std::string_view ft = raw.field(r, static_cast<size_t>(best)), fe = raw.field(r, c);
          if (tc.type == ColumnType::kDatetime) {
            holds = !parse_datetime(ft, tc.datetime_format, &tv) || !parse_datetime(fe, cs.datetime_format, &ev) || tv <= ev;
          } else {
            char* e1 = nullptr;
            char* e2 = nullptr;
            const std::string st(ft), se(fe);
            tv = std::strtod(st.c_str(), &e1);
            ev = std::strtod(se.c_str(), &e2);
            holds = st.empty() || se.empty() || *e1 || *e2 || tv <= ev;
          }
        }
        if (holds) {
          ts.end_column = ts.name + "." + raw.names[c];
          note(ts.file + ": end of each timeline '" + raw.names[c] + "' (no event after it)");
          break;
        }
      }
    }

    // Long format: a categorical series column and a numerical value column.
    for (size_t c = 0; c < raw.num_cols(); ++c) {
      const ColumnSchema& cs = ts.schema.columns[c];
      if (is_static[c] || cs.type != ColumnType::kCategorical || !series_like_name(cs.name)) continue;
      for (size_t v = 0; v < raw.num_cols(); ++v) {
        if (is_static[v] || ts.schema.columns[v].type != ColumnType::kNumerical || !value_like_name(raw.names[v])) continue;
        ts.series_column = cs.name;
        ts.value_column = raw.names[v];
        for (size_t u = 0; u < raw.num_cols(); ++u)
          if (lower(raw.names[u]) == "unit" || lower(raw.names[u]) == "units" || lower(raw.names[u]) == "valueuom")
            if (ts.schema.columns[u].type == ColumnType::kCategorical) ts.unit_column = raw.names[u];
        note(ts.file + ": long format: one series per level of '" + cs.name + "', values in '" + raw.names[v] + "'");
        break;
      }
      if (ts.is_long()) break;
    }
  }
  ds.validate();
  return ds;
}

}  // namespace medgen::records
