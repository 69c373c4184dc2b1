// Datasets of several tables: patients and, under them, visits, lab series, diagnoses,
// prescriptions... joined by keys and ordered in time.
//
// A DatasetSchema names the tables, their columns (a core Schema each), their primary and
// foreign keys, and for a table of events its entity (the parent row the events belong to),
// its time column and the columns that are constant per entity. It is inferred from a folder
// of CSV files (every guess is reported), written as JSON, edited by the user and read back
// strictly (unknown keys are errors naming the JSON path).
//
// Ownership and thread safety: DatasetSchema and Dataset are values; the functions here are
// pure apart from the files they read or write, and safe to call concurrently.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/csv.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen::records {

// `column` of this table refers to `parent_column` (the primary key) of table `parent`.
struct ForeignKey {
  std::string column;
  std::string parent;
  std::string parent_column;
};

struct TableSchema {
  std::string name;  // unique in the dataset; [A-Za-z0-9_.-]+
  std::string file;  // CSV file in the dataset folder (default name + ".csv")
  Schema schema;     // every column of the file; key columns have type kIdentifier
  std::string primary_key;               // "" when the table has none
  std::vector<ForeignKey> foreign_keys;  // references to parent tables

  // ---- tables of events in time (children of an entity table). Empty entity_key: a plain
  // child table (rows per parent, no order).
  // The foreign key column naming the entity (the parent row). In a root table (no parent
  // table: one denormalised file such as cgd.csv), the column whose repeated values group
  // rows into entities; the entities are then implicit, their attributes the static columns.
  std::string entity_key;
  // The event time: a kDatetime column, or a kNumerical offset in `time_unit`s since
  // `time_origin` ("table.column": a datetime of the entity table or an ancestor; "" = since
  // the entity's entry, i.e. offsets as written, 0 at enrolment).
  std::string time_column;
  std::string time_unit = "day";  // "day" | "hour" | "minute" | "second" (numeric offsets)
  std::string time_origin;
  // Events never after this: "table.column" of an ancestor, a datetime or an offset in the
  // same unit and origin as time_column (e.g. "pbc.time": end of follow-up or death).
  std::string end_column;
  // Columns constant within each entity (copies of entity attributes in a denormalised
  // file): generated once per entity and repeated on each of its rows.
  std::vector<std::string> static_columns;
  // Long format (one row per measurement: entity, time, series, value[, unit]): each level of
  // series_column is its own series.
  std::string series_column;
  std::string value_column;
  std::string unit_column;

  bool is_sequence() const { return !entity_key.empty(); }
  bool is_long() const { return !series_column.empty(); }
  const ForeignKey* foreign_key(const std::string& column) const;  // nullptr if none
};

struct DatasetSchema {
  std::vector<TableSchema> tables;
  // How the dataset maps to FHIR R4 (records/fhir.h, FhirMapping; validated on reading), or
  // null: the default mapping.
  nlohmann::json fhir;

  int find(const std::string& name) const;  // -1 if absent
  const TableSchema& table(const std::string& name) const;  // InvalidInput if absent
  // Tables in an order where every parent comes before its children. InvalidInput naming
  // the tables of a cycle.
  std::vector<size_t> topological_order() const;
  // Tables without foreign keys (the top-level entities: patients).
  std::vector<size_t> roots() const;
  // Index of the parent a table's entity_key (or, for plain children, its first foreign key)
  // points to, or -1 for a root.
  int parent_of(size_t table) const;

  // Structural checks: names unique, keys and columns exist with the right types, foreign
  // keys point at primary keys, no cycles, time/origin/end/static/series columns valid.
  // InvalidInput naming the JSON path ("tables[1].foreign_keys[0].parent: ...").
  void validate() const;

  nlohmann::ordered_json to_json() const;
  static DatasetSchema from_json(const nlohmann::json& j, const std::string& source = "<dataset schema>");
  static DatasetSchema read(const std::string& path);
};

struct Dataset {
  DatasetSchema schema;
  std::vector<Table> tables;  // parallel to schema.tables

  const Table& table(const std::string& name) const;
  Table& table(const std::string& name);
  // Rows of the top-level table(s).
  size_t num_entities() const;
};

// ------------------------------------------------------------------ inference

struct DatasetInferOptions {
  InferOptions columns;   // per-column inference (core)
  CsvOptions csv;
  // A child column that is constant within every entity is proposed as static when at least
  // this share of entities has two or more rows.
  double static_min_multi = 0.2;
};

// Reads every *.csv of `folder` (sorted by name) and proposes keys (unique columns named
// id / *_id / ...), foreign keys (a column whose values all appear in another table's
// primary key, preferring equal names), entity and time columns, static columns and the long
// format (a categorical "test"-like column with a numeric value column). A single file with
// repeated entity ids becomes an entity table plus an event table of the same file (see
// docs/records.md). Every guess is appended to `notes` as one readable line.
DatasetSchema infer_dataset(const std::string& folder, const DatasetInferOptions& options = {},
                            std::vector<std::string>* notes = nullptr);

// ------------------------------------------------------------------ entities

// The records of some top-level entities with all their descendants. Entities are numbered as
// Dataset::num_entities counts them: the rows of each root table in order (for a root table of
// events, its distinct entity keys in order of first appearance), root tables in schema
// order. keep.size() must equal num_entities().
Dataset select_entities(const Dataset& dataset, const std::vector<bool>& keep);

// A random split of the entities: round(fraction * n) of them (at least one on each side when
// n >= 2) go to the second dataset (a holdout), the rest to the first. Deterministic from seed.
std::pair<Dataset, Dataset> split_dataset(const Dataset& dataset, double fraction, uint64_t seed);

// ------------------------------------------------------------------ reading and writing

// Reads the tables of `schema` from `folder` (file names from the schema), types them, and
// checks the data: duplicate primary keys, dangling foreign keys (count and first
// file:line), a child without its parent, unparsable or out-of-order times (before the
// origin, after end_column), static columns that vary within an entity. InvalidInput, one
// line, naming file and line.
Dataset read_dataset(const std::string& folder, const DatasetSchema& schema, const CsvOptions& csv = {});

// Data checks only (read_dataset calls it): the same errors as above, `source` prefixing the
// messages. Returns nothing; throws on the first failure.
void check_dataset(const Dataset& dataset);

// Writes every table as CSV (header, the schema's formats) into `folder` (created with its
// parents when missing; other files in it are left alone), all or nothing: each file goes to
// a temporary beside its target (core/file.h rules) and the temporaries are renamed into place
// only once every table is written. IoError naming the path.
void write_dataset(const Dataset& dataset, const std::string& folder);

// Streams tables chunk by chunk (bounded memory for any number of entities): open, append
// chunks (each a Dataset with the same schema: tables with the same columns and category
// labels), commit. Destruction without commit removes the temporaries (signals included).
class DatasetWriter {
 public:
  DatasetWriter(const DatasetSchema& schema, const std::string& folder);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;
  void append(const Dataset& chunk);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medgen::records
