// pandas DataFrames <-> medgen tables. A frame enters as text (a RawTable, the same cells a CSV of
// it would hold), so that inference and typing are the library's own (schema.h): numbers are
// written in their shortest exact decimal form, datetimes in ISO 8601, booleans as False/True,
// categoricals as their categories' labels, and missing values (NaN, None, pd.NA, NaT) as the
// empty cell. A table leaves as a frame with one dtype per schema type (docs/python.md).
#pragma once

#include <string>

#include <pybind11/pybind11.h>

#include "medgen/core/csv.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen::python {

namespace py = pybind11;

// The missing-value convention for frames: only the empty cell (a string "NA" is a value).
CsvOptions frame_csv_options();

// A frame's cells as text; `source` names it in messages ("<DataFrame>"): a cell's line is
// its row + 2, as in the CSV that df.to_csv(index=False) writes. Booleans (True/False) are written
// as the labels of the column's boolean in `schema` where it has one ("0"/"1", "no"/"yes"), else
// as False/True. Needs the GIL.
RawTable frame_to_raw(const py::object& df, const std::string& source, const Schema* schema = nullptr);

// The library's inference on the frame's text, with the frame's own types where they are
// explicit: a pandas categorical is categorical with its categories (in order), a bool column
// boolean (False, True).
Schema infer_frame_schema(const py::object& df, const RawTable& raw, std::vector<std::string>* warnings);

// The frame for a table typed by `schema`: numbers float64 (NaN), whole numbers Int64 (pd.NA),
// datetimes datetime64[ns] (NaT), booleans pandas "boolean" (pd.NA), categoricals pd.Categorical
// with the schema's labels, numeric identifiers int64, other strings object. Float columns
// and codes are handed to NumPy without a copy. Consumes the table. Needs the GIL.
py::object table_to_frame(Table&& table, const Schema& schema);

// A Python schema argument: None, a dict (schema JSON) or a path to a schema file.
bool schema_given(const py::object& schema);
Schema schema_from_python(const py::object& schema);

}  // namespace medgen::python
