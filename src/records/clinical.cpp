#include "medgen/records/clinical.h"

#include <algorithm>
#include <unordered_map>

#include "medgen/core/error.h"

namespace medgen::records {

namespace {

constexpr const char* kDatetimeFormat = "%Y-%m-%dT%H:%M:%S";
constexpr const char* kDateFormat = "%Y-%m-%d";
// Lab values: enough places for any unit in use; to_csv strips trailing zeros.
constexpr int kValueDecimals = 6;

ColumnSchema id_column(const char* name) {
  ColumnSchema c;
  c.name = name;
  c.type = ColumnType::kIdentifier;
  return c;
}

ColumnSchema label_column(const char* name) {
  ColumnSchema c;
  c.name = name;
  c.type = ColumnType::kCategorical;
  return c;
}

ColumnSchema time_column(const char* name, const char* format = kDatetimeFormat) {
  ColumnSchema c;
  c.name = name;
  c.type = ColumnType::kDatetime;
  c.datetime_format = format;
  return c;
}

void add_code(Schema* s) {
  s->columns.push_back(label_column("code_system"));
  s->columns.push_back(label_column("code"));
  s->columns.push_back(label_column("display"));
}

// An event table under patients: id, patient (FK, the entity), [encounter (FK)], ...
TableSchema event_table(const char* name, bool has_encounter, const char* time) {
  TableSchema t;
  t.name = name;
  t.file = std::string(name) + ".csv";
  t.primary_key = "id";
  t.schema.columns.push_back(id_column("id"));
  t.schema.columns.push_back(id_column("patient"));
  t.foreign_keys.push_back({"patient", "patients", "id"});
  if (has_encounter) {
    t.schema.columns.push_back(id_column("encounter"));
    t.foreign_keys.push_back({"encounter", "encounters", "id"});
  }
  t.entity_key = "patient";
  t.time_column = time;
  return t;
}

}  // namespace

DatasetSchema clinical_schema() {
  DatasetSchema ds;

  TableSchema patients;
  patients.name = "patients";
  patients.file = "patients.csv";
  patients.primary_key = "id";
  patients.schema.columns = {id_column("id"),        time_column("birth_date", kDateFormat),
                             label_column("gender"), time_column("deceased"),
                             label_column("race"),   label_column("ethnicity")};
  ds.tables.push_back(std::move(patients));

  TableSchema encounters = event_table("encounters", false, "start");
  encounters.schema.columns.push_back(time_column("start"));
  encounters.schema.columns.push_back(time_column("end"));
  encounters.schema.columns.push_back(label_column("class"));
  add_code(&encounters.schema);
  ds.tables.push_back(std::move(encounters));

  TableSchema conditions = event_table("conditions", true, "onset");
  conditions.schema.columns.push_back(time_column("onset"));
  conditions.schema.columns.push_back(time_column("abatement"));
  add_code(&conditions.schema);
  ds.tables.push_back(std::move(conditions));

  TableSchema observations = event_table("observations", true, "time");
  observations.schema.columns.push_back(time_column("time"));
  add_code(&observations.schema);
  ColumnSchema value;
  value.name = "value";
  value.type = ColumnType::kNumerical;
  value.decimals = kValueDecimals;
  observations.schema.columns.push_back(value);
  observations.schema.columns.push_back(label_column("unit"));
  observations.schema.columns.push_back(label_column("value_code"));
  ds.tables.push_back(std::move(observations));

  TableSchema medications = event_table("medications", true, "start");
  medications.schema.columns.push_back(time_column("start"));
  medications.schema.columns.push_back(time_column("end"));
  medications.schema.columns.push_back(label_column("status"));
  add_code(&medications.schema);
  ds.tables.push_back(std::move(medications));

  TableSchema procedures = event_table("procedures", true, "time");
  procedures.schema.columns.push_back(time_column("time"));
  add_code(&procedures.schema);
  ds.tables.push_back(std::move(procedures));

  TableSchema allergies = event_table("allergies", false, "onset");
  allergies.schema.columns.push_back(time_column("onset"));
  allergies.schema.columns.push_back(time_column("abatement"));
  add_code(&allergies.schema);
  ds.tables.push_back(std::move(allergies));

  TableSchema careplans = event_table("careplans", true, "start");
  careplans.schema.columns.push_back(time_column("start"));
  careplans.schema.columns.push_back(time_column("end"));
  add_code(&careplans.schema);
  ds.tables.push_back(std::move(careplans));

  return ds;
}

Dataset empty_clinical_dataset() {
  Dataset d;
  d.schema = clinical_schema();
  for (const TableSchema& t : d.schema.tables) {
    Table table;
    for (const ColumnSchema& c : t.schema.columns) {
      const bool number = c.type == ColumnType::kNumerical || c.type == ColumnType::kDatetime;
      table.columns.push_back(number ? Column::numbers(c.name, 0) : Column::strings(c.name, 0, {}));
    }
    d.tables.push_back(std::move(table));
  }
  return d;
}

void fill_categories(Dataset* dataset) {
  MEDGEN_ASSERT(dataset->tables.size() == dataset->schema.tables.size());
  for (size_t t = 0; t < dataset->tables.size(); ++t) {
    TableSchema& ts = dataset->schema.tables[t];
    Table& table = dataset->tables[t];
    for (ColumnSchema& cs : ts.schema.columns) {
      if (cs.type != ColumnType::kCategorical) continue;
      const int ci = table.find(cs.name);
      if (ci < 0) throw InvalidInput("table '" + ts.name + "': column '" + cs.name + "' is missing from the data");
      Column& col = table.columns[static_cast<size_t>(ci)];
      if (col.storage != Storage::kString)
        throw InvalidInput("table '" + ts.name + "': column '" + cs.name + "' holds numbers, not labels");
      // Labels in use (a dictionary may hold unused or repeated entries).
      std::vector<uint8_t> used(col.dictionary.size(), 0);
      for (int32_t code : col.codes)
        if (code >= 0) used[static_cast<size_t>(code)] = 1;
      std::vector<std::string> labels;
      for (size_t i = 0; i < col.dictionary.size(); ++i)
        if (used[i]) labels.push_back(col.dictionary[i]);
      std::sort(labels.begin(), labels.end());
      labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
      std::unordered_map<std::string, int32_t> index;
      index.reserve(labels.size() * 2);
      for (size_t i = 0; i < labels.size(); ++i) index.emplace(labels[i], static_cast<int32_t>(i));
      std::vector<int32_t> remap(col.dictionary.size(), -1);
      for (size_t i = 0; i < col.dictionary.size(); ++i)
        if (used[i]) remap[i] = index.at(col.dictionary[i]);
      for (int32_t& code : col.codes)
        if (code >= 0) code = remap[static_cast<size_t>(code)];
      col.dictionary = labels;
      cs.values = std::move(labels);
    }
  }
}

}  // namespace medgen::records
