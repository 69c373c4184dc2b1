// Shared by cmd_records*.cpp: writing sampled records (CSV tables or FHIR R4) chunk by chunk,
// and the evaluation of datasets.
#pragma once

#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "medgen/core/context.h"
#include "medgen/records/synthesizer.h"
#include "options.h"

namespace medgen::cli {

struct SampleCounts {
  std::map<std::string, size_t> rows;  // per table (csv) or per resource type (FHIR)
};

// Samples n entities in chunks and streams them to `folder` as "csv" (the dataset's tables),
// "fhir-bundle" (one Bundle per patient) or "fhir-ndjson" (one file per resource type); all
// or nothing (temporaries renamed at the end).
// `mapping_path` (a FHIR mapping JSON file) overrides the dataset schema's own mapping.
SampleCounts write_records(const records::RecordSynthesizer& rs, size_t n, const Context& ctx, const std::string& format,
                           const std::string& folder, const std::string& mapping_path = "");

// `medgen evaluate --real FOLDER --synthetic FOLDER [--holdout FOLDER]`.
int records_evaluate(CLI::App& cmd, const CommonOptions& common);

}  // namespace medgen::cli
