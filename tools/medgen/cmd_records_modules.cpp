// medgen modules: module-driven synthesis (Synthea-format disease modules) into the clinical
// tables. Thin: parses flags, calls medgen/records/modules.h, prints.
//   medgen modules run --modules DIR_OR_FILES... --patients N --seed S [--out FOLDER]
//                      [--fhir FOLDER [--fhir-format bundle|ndjson]] [--start-date D]
//                      [--end-date D] [--demographics CSV] [--chunk N]
//   medgen modules check FILE_OR_DIR...
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "medgen/core/error.h"
#include "medgen/records/clinical.h"
#include "medgen/records/dataset.h"
#include "medgen/records/fhir.h"
#include "medgen/records/modules.h"
#include "options.h"

using json = nlohmann::ordered_json;
using namespace medgen;
using namespace medgen::records;

namespace {

struct ModulesOptions {
  std::vector<std::string> modules;  // run: --modules; check: positional
  std::string out, demographics, fhir, fhir_format = "bundle";
  PopulationOptions population;
  cli::CommonOptions common;
};

int run_modules(ModulesOptions& o) {
  const ModuleSet set = load_modules(o.modules);
  Demographics demo;
  if (!o.demographics.empty()) {
    demo = read_demographics(o.demographics);
    o.population.demographics = &demo.table;
    o.population.demographics_schema = &demo.schema;
  }
  o.population.validate();
  if (o.out.empty() && o.fhir.empty()) throw InvalidInput("modules run: give --out FOLDER (CSV) and/or --fhir FOLDER");
  if (o.fhir_format != "bundle" && o.fhir_format != "ndjson")
    throw InvalidInput("--fhir-format must be bundle or ndjson, got '" + o.fhir_format + "'");
  const Context ctx = cli::make_context(o.common);
  // Both outputs stream the same chunks; each is all or nothing.
  std::unique_ptr<DatasetWriter> csv;
  std::unique_ptr<FhirWriter> fhir;
  if (!o.out.empty()) csv = std::make_unique<DatasetWriter>(clinical_schema(), o.out);
  if (!o.fhir.empty()) {
    FhirWriteOptions fo;
    fo.format = o.fhir_format == "ndjson" ? FhirFormat::kNdjson : FhirFormat::kBundle;
    fhir = std::make_unique<FhirWriter>(o.fhir, fo);
  }
  const PopulationSummary s = run_population(set, o.population, ctx, [&](const Dataset& chunk) {
    if (csv) csv->append(chunk);
    if (fhir) fhir->append(chunk);
  });
  if (csv) csv->commit();
  if (fhir) fhir->commit();
  if (o.common.json) {
    json j;
    j["output"] = o.out;
    if (!o.fhir.empty()) j["fhir"] = o.fhir;
    j["modules"] = set.names();
    j["patients"] = s.patients;
    j["deceased"] = s.deceased;
    j["rows"] = s.rows;
    j["seed"] = o.common.seed;
    cli::write_output("", j.dump(2) + "\n");
  } else if (!o.common.quiet) {
    std::string rows;
    for (const auto& [t, n] : s.rows)
      if (t != "patients") rows += (rows.empty() ? "" : ", ") + std::to_string(n) + " " + t;
    std::printf("%zu patients (%zu deceased) from %zu modules -> %s: %s\n", s.patients, s.deceased, set.modules.size(),
                (o.out.empty() ? o.fhir : o.out).c_str(), rows.c_str());
  }
  return 0;
}

int check_modules(const ModulesOptions& o) {
  const ModuleSet set = load_modules(o.modules);
  if (o.common.json) {
    json j;
    j["modules"] = set.names();
    std::vector<std::string> subs;
    for (const auto& [k, m] : set.submodules) subs.push_back(k);
    j["submodules"] = subs;
    cli::write_output("", j.dump(2) + "\n");
  } else if (!o.common.quiet) {
    std::printf("ok: %zu modules", set.modules.size());
    if (!set.submodules.empty()) std::printf(", %zu submodules", set.submodules.size());
    std::printf(" (");
    const auto names = set.names();
    for (size_t i = 0; i < names.size(); ++i) std::printf("%s%s", i ? ", " : "", names[i].c_str());
    std::printf(")\n");
  }
  return 0;
}

cli::Command add_modules_command(CLI::App& app) {
  static ModulesOptions o;
  CLI::App* mod = app.add_subcommand(
      "modules", "module-driven synthesis: disease modules (Synthea generic-module JSON) run over a population");
  mod->require_subcommand(1);

  CLI::App* run = mod->add_subcommand("run", "simulate patients through the modules and write the clinical tables (CSV)");
  run->add_option("--modules,-m", o.modules, "module files or folders (a folder's subfolders hold submodules)")
      ->required()
      ->expected(1, -1);
  cli::add_integer<size_t>(run, "--patients,-n", &o.population.patients,
                           "patients to simulate (default: 100, or every row of --demographics)", 0, 100000000)
      ->default_str("100");
  run->add_option("--out,-o", o.out, "output folder for the clinical tables as CSV (created; all or nothing)");
  run->add_option("--fhir", o.fhir, "output folder for FHIR R4 (created; all or nothing)");
  run->add_option("--fhir-format", o.fhir_format, "bundle (one Bundle per patient) or ndjson (bulk data)")
      ->capture_default_str();
  run->add_option("--start-date", o.population.start_date,
                  "leave out events before this date (YYYY-MM-DD); what is still active then is kept");
  run->add_option("--end-date", o.population.end_date, "simulation end and age reference (YYYY-MM-DD)")
      ->capture_default_str();
  run->add_option("--demographics", o.demographics,
                  "CSV of patients (birth_date or age, gender or sex, other columns as attributes), e.g. sampled "
                  "by a learned synthesizer");
  cli::add_real(run, "--min-age", &o.population.min_age, "youngest age at the end date", 0, 130)->default_str("0");
  cli::add_real(run, "--max-age", &o.population.max_age, "oldest age at the end date", 0, 130)->default_str("90");
  cli::add_real(run, "--female-fraction", &o.population.female_fraction, "share of women", 0, 1)->default_str("0.51");
  cli::add_integer<size_t>(run, "--chunk", &o.population.chunk_patients, "patients per chunk written (bounds memory)",
                           1, 10000000)
      ->default_str("1000");
  cli::add_common(run, &o.common, cli::kNone, "print {output, modules, patients, deceased, rows, seed} as JSON");

  CLI::App* check = mod->add_subcommand("check", "validate module files (strict: unknown keys and missing states are errors)");
  check->add_option("modules", o.modules, "module files or folders")->required()->expected(1, -1);
  cli::add_common(check, &o.common, cli::kNone, "print the modules' names as JSON");

  cli::Command c;
  c.app = mod;
  c.run = [run, check]() {
    if (run->parsed()) {
      if (run->count("--patients") == 0 && !o.demographics.empty()) o.population.patients = 0;
      return run_modules(o);
    }
    if (check->parsed()) return check_modules(o);
    return 1;
  };
  return c;
}

}  // namespace

MEDGEN_CLI_COMMAND(add_modules_command);
