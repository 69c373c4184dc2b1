// Writing sampled records (CSV or FHIR R4) and evaluating datasets; see records_output.h.
#include <cstdio>
#include <string>

#include "medgen/core/error.h"
#include "medgen/records/dataset.h"
#include "medgen/records/evaluate.h"
#include "medgen/records/fhir.h"
#include "commands.h"
#include "records_output.h"

namespace medgen::cli {

SampleCounts write_records(const records::RecordSynthesizer& rs, size_t n, const Context& ctx, const std::string& format,
                           const std::string& folder, const std::string& mapping_path) {
  SampleCounts counts;
  if (format == "fhir-bundle" || format == "fhir-ndjson") {
    // The dataset's own mapping (its schema's "fhir" object), or the default one.
    const records::FhirMapping mapping =
        !mapping_path.empty()       ? records::FhirMapping::read(mapping_path)
        : rs.schema().fhir.is_null() ? records::FhirMapping{}
                                     : records::FhirMapping::from_json(rs.schema().fhir, "model", "fhir");
    records::FhirWriteOptions wo;
    wo.format = format == "fhir-bundle" ? records::FhirFormat::kBundle : records::FhirFormat::kNdjson;
    records::FhirWriter writer(folder, wo);
    rs.sample(n, ctx, 1000, [&](const records::Dataset& chunk) {
      const records::Dataset clinical = records::to_clinical(chunk, mapping);
      writer.append(clinical);
      for (size_t t = 0; t < clinical.tables.size(); ++t)
        counts.rows[clinical.schema.tables[t].name] += clinical.tables[t].num_rows();
    });
    writer.commit();
    return counts;
  }
  if (format != "csv") throw InvalidInput("--format " + format + ": expected csv, fhir-bundle or fhir-ndjson");
  if (!mapping_path.empty()) throw InvalidInput("--fhir-mapping needs --format fhir-bundle or fhir-ndjson");
  records::DatasetWriter writer(rs.schema(), folder);
  rs.sample(n, ctx, 1000, [&](const records::Dataset& chunk) {
    writer.append(chunk);
    for (size_t t = 0; t < chunk.tables.size(); ++t) counts.rows[chunk.schema.tables[t].name] += chunk.tables[t].num_rows();
  });
  writer.commit();
  return counts;
}

namespace {

std::string option_value(CLI::App& cmd, const std::string& name) {
  CLI::Option* o = cmd.get_option_no_throw(name);
  if (!o) return "";
  if (o->count() == 0) return o->get_default_str();
  return o->as<std::string>();
}

bool option_given(CLI::App& cmd, const std::string& name) {
  CLI::Option* o = cmd.get_option_no_throw(name);
  return o && o->count() > 0;
}

std::string fixed(const nlohmann::ordered_json& j, int digits = 3) {
  if (!j.is_number()) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", digits, j.get<double>());
  return b;
}

}  // namespace

int records_evaluate(CLI::App& cmd, const CommonOptions& common) {
  for (const char* flag : {"--model", "--sensitive", "--quasi", "--spearman"})
    if (option_given(cmd, flag)) throw InvalidInput(std::string("evaluate: ") + flag + " is not available for datasets yet");
  const std::string real_dir = option_value(cmd, "--real"), syn_dir = option_value(cmd, "--synthetic"),
                    hold_dir = option_value(cmd, "--holdout"), schema_path = option_value(cmd, "--schema");
  for (const std::string* d : {&syn_dir, &hold_dir})
    if (!d->empty() && !is_folder(*d)) throw InvalidInput("evaluate: --real is a dataset folder, so '" + *d + "' must be one too");
  records::RecordEvalOptions o;
  o.outcome = option_value(cmd, "--target");
  if (option_given(cmd, "--window")) o.window = parse_real("--window", option_value(cmd, "--window"), 0, 1e9, true);
  CLI::Option* ex = cmd.get_option_no_throw("--exclude");
  if (ex && ex->count()) o.exclude = ex->as<std::vector<std::string>>();
  if (option_given(cmd, "--detection-rows"))
    o.table.detection_rows = parse_unsigned("--detection-rows", option_value(cmd, "--detection-rows"), 10, 100000000);
  if (option_given(cmd, "--privacy-queries"))
    o.table.privacy_queries = parse_unsigned("--privacy-queries", option_value(cmd, "--privacy-queries"), 10, 100000000);
  o.validate();
  // The gate is read before the work, so that a bad gate file fails in a second.
  const std::string gate_path = option_value(cmd, "--gate");
  const eval::Gate gate = gate_path.empty() ? eval::Gate{} : eval::Gate::read(gate_path);
  const records::DatasetSchema schema =
      schema_path.empty() ? records::infer_dataset(real_dir) : records::DatasetSchema::read(schema_path);
  const Context ctx = make_context(common);
  const records::Dataset real = records::read_dataset(real_dir, schema);
  const records::Dataset syn = records::read_dataset(syn_dir, schema);
  records::Dataset hold;
  if (!hold_dir.empty()) hold = records::read_dataset(hold_dir, schema);
  nlohmann::ordered_json report = records::evaluate_records(real, syn, hold_dir.empty() ? nullptr : &hold, o, ctx);
  report["inputs"]["real"] = real_dir;
  report["inputs"]["synthetic"] = syn_dir;
  if (!hold_dir.empty()) report["inputs"]["holdout"] = hold_dir;
  eval::GateResult verdict;
  if (!gate_path.empty()) verdict = records::apply_records_gate(report, gate);
  records::write_records_report(report, common.json_out, option_value(cmd, "--report"));
  // Exit 3 when the gate failed (the report is written either way), as for tables.
  auto gate_status = [&] {
    if (gate_path.empty()) return 0;
    if (!verdict.passed) {
      for (const std::string& f : verdict.failures()) std::fprintf(stderr, "medgen: gate failed: %s\n", f.c_str());
      return eval::kGateFailedExitCode;
    }
    note(common, "gate passed (" + std::to_string(verdict.checks.size()) + " checks)");
    return 0;
  };
  if (common.json) {
    std::printf("%s\n", report.dump(2).c_str());
    std::fflush(stdout);
    return gate_status();
  }
  // The headline numbers: each beside its holdout ceiling when there is one.
  std::string t;
  const auto& s = report["summary"];
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (it.value().is_object() && it.value().contains("tstr")) {
      const auto& u = it.value();
      const std::string label = "utility (" + u.value("metric", std::string("score")) + ") TSTR/TRTR";
      t += label + std::string(label.size() < 34 ? 34 - label.size() : 1, ' ');
      t += fixed(u["ratio"]) + "   (TSTR " + fixed(u["tstr"]) + ", TRTR " + fixed(u["trtr"]) + ")\n";
    } else if (it.key() == "entities") {
      t += "patients                          " + fixed(it.value()["synthetic"], 0) +
           (it.value().contains("holdout") ? "   (holdout " + fixed(it.value()["holdout"], 0) + ")" : "") + "\n";
    } else if (it.value().is_object()) {
      t += it.key();
      t.append(it.key().size() < 34 ? 34 - it.key().size() : 1, ' ');
      t += fixed(it.value().value("synthetic", nlohmann::ordered_json()));
      if (it.value().contains("holdout")) t += "   (holdout " + fixed(it.value()["holdout"]) + ")";
      t += "\n";
    } else if (it.value().is_number()) {
      t += it.key();
      t.append(it.key().size() < 34 ? 34 - it.key().size() : 1, ' ');
      t += fixed(it.value()) + "\n";
    }
  }
  if (report.contains("gate")) t += std::string("gate                              ") +
                                    (verdict.passed ? "passed" : "FAILED") + "\n";
  std::printf("%s", t.c_str());
  std::fflush(stdout);
  return gate_status();
}

}  // namespace medgen::cli
