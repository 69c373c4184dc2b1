// `medgen text extract | evaluate | negex`: concepts with context out of clinical notes, FHIR
// and registry output, evaluation on annotated notes (docs/text.md). Thin: parses flags, calls
// medgen/text, prints.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cmd_text.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/evaluate.h"
#include "medgen/text/io.h"
#include "medgen/text/output.h"

using json = nlohmann::json;
using namespace medgen;
using namespace medgen::text;

namespace {

struct ExtractOptions {
  std::vector<std::string> inputs;
  std::string out, fhir_out, registry_out, mapping;
  std::vector<std::string> lexicons, rules;
  std::string sections, sig;
  bool no_packaged = false, errors = false;
  cli::CommonOptions common;
};

void add_model_options(CLI::App* c, ExtractOptions* o) {
  c->add_option("--lexicon", o->lexicons, "a lexicon TSV of your own (repeatable; see docs/text.md)");
  c->add_option("--rules", o->rules, "context rules TSV added to the shipped ones (repeatable)");
  c->add_option("--sections", o->sections, "section headings TSV instead of data/text/sections.tsv");
  c->add_option("--sig", o->sig, "units/routes/frequencies TSV instead of data/text/sig.tsv");
  c->add_flag("--no-packaged", o->no_packaged,
              "do not read the packaged code lists (gnumed-server ATC/ICPC-2, hunspell-en-med)");
}

TextModel load_model(const ExtractOptions& o) {
  TextModelOptions mo;
  mo.lexicon.packaged = !o.no_packaged;
  mo.lexicon.user_files = o.lexicons;
  mo.extra_rules = o.rules;
  mo.sections = o.sections;
  mo.sig = o.sig;
  return TextModel::load(mo);
}

std::string context_text(const Concept& c) {
  std::string s;
  for (int i = 0; i < kContextCategories; ++i)
    if (c.context.get(static_cast<ContextCategory>(i))) s += std::string(s.empty() ? "" : ",") + to_string(static_cast<ContextCategory>(i));
  return s.empty() ? "-" : s;
}

int run_extract(const ExtractOptions& o) {
  const TextModel model = load_model(o);
  RegistryMapping mapping = o.mapping.empty() ? RegistryMapping::default_mapping() : RegistryMapping::load(o.mapping);
  const std::vector<std::string> files = list_note_files(o.inputs);
  const std::vector<ExtractedNote> notes = extract_files(files, model);

  json doc{{"format", "medgen-text-concepts"}, {"version", 1}, {"sources", model.sources()}};
  json jn = json::array();
  size_t total = 0;
  for (const ExtractedNote& n : notes) {
    json cs = json::array();
    for (const Concept& c : n.concepts) cs.push_back(to_json(c));
    total += n.concepts.size();
    json sections = json::array();
    for (const Section& s : n.note.sections)
      if (!s.code.empty()) sections.push_back({{"code", s.code}, {"heading", s.heading}, {"begin", s.begin}, {"end", s.end}});
    jn.push_back({{"id", n.note.id}, {"patient_id", n.note.patient_id}, {"sections", sections},
                  {"sentences", n.note.sentences.size()}, {"concepts", cs}});
  }
  doc["notes"] = jn;
  std::vector<std::pair<std::string, std::string>> outputs;
  if (!o.out.empty()) outputs.emplace_back(o.out, doc.dump(2) + "\n");
  if (!o.fhir_out.empty()) outputs.emplace_back(o.fhir_out, fhir_bundle(notes).dump(2) + "\n");
  if (!o.registry_out.empty()) outputs.emplace_back(o.registry_out, registry_csv(notes, mapping));
  write_files_atomic(outputs);

  if (o.common.json) {
    if (o.out.empty()) {
      cli::write_output("", doc.dump(2) + "\n");
    } else {
      json summary{{"notes", notes.size()}, {"concepts", total}, {"output", o.out}};
      if (!o.fhir_out.empty()) summary["fhir"] = o.fhir_out;
      if (!o.registry_out.empty()) summary["registry"] = o.registry_out;
      cli::write_output("", summary.dump(2) + "\n");
    }
    return 0;
  }
  if (o.out.empty()) {
    for (const ExtractedNote& n : notes) {
      std::printf("%s (patient %s): %zu concepts\n", n.note.id.c_str(), n.note.patient_id.c_str(), n.concepts.size());
      for (const Concept& c : n.concepts) {
        std::string extra;
        if (c.value) {
          char b[64];
          std::snprintf(b, sizeof b, " = %s%g", c.value->comparator.c_str(), c.value->value);
          extra = b;
          if (c.value2) {
            std::snprintf(b, sizeof b, "/%g", c.value2->value);
            extra += b;
          }
          extra += " " + c.value->unit;
        }
        if (c.type == ConceptType::kMedication) {
          if (c.sig.strength) extra += " " + std::to_string(c.sig.strength->value).substr(0, 6) + " " + c.sig.strength->unit;
          if (!c.sig.route.empty()) extra += " " + c.sig.route;
          if (!c.sig.frequency_text.empty()) extra += " " + c.sig.frequency_text;
          if (c.sig.as_needed) extra += " PRN";
        }
        std::printf("  %-10s %-28s %-22s %s%s\n", to_string(c.type), c.text.c_str(), context_text(c).c_str(),
                    c.preferred.c_str(), extra.c_str());
      }
    }
  }
  cli::note(o.common, "extracted " + std::to_string(total) + " concepts from " + std::to_string(notes.size()) + " notes");
  return 0;
}

int run_evaluate(const ExtractOptions& o) {
  const TextModel model = load_model(o);
  std::vector<AnnotatedNote> notes;
  for (const std::string& f : list_note_files(o.inputs)) {
    std::string id, pid;
    ids_from_path(f, &id, &pid);
    notes.push_back(parse_annotated(read_note_text(f), f, id));
  }
  const EvalReport r = evaluate(notes, model);
  json j = r.to_json();
  if (o.errors) j["errors"] = r.errors;
  if (!o.out.empty()) write_file_atomic(o.out, j.dump(2) + "\n");
  if (o.common.json) {
    cli::write_output("", j.dump(2) + "\n");
    return 0;
  }
  auto line = [](const char* name, const Counts& c) {
    std::printf("  %-14s P %.3f  R %.3f  F1 %.3f   (tp %zu fp %zu fn %zu)\n", name, c.precision(), c.recall(), c.f1(), c.tp,
                c.fp, c.fn);
  };
  std::printf("%zu notes, %zu bytes\nconcepts (overlapping spans):\n", r.notes, r.bytes);
  line("all", r.overall);
  for (int t = 0; t < kConceptTypes; ++t) line(to_string(static_cast<ConceptType>(t)), r.by_type[t]);
  std::printf("concepts (exact spans):\n");
  line("all", r.overall_exact);
  std::printf("context (on matched concepts):\n");
  for (int c = 0; c < kContextCategories; ++c) line(to_string(static_cast<ContextCategory>(c)), r.by_context[c]);
  if (o.errors)
    for (const auto& e : r.errors) std::printf("%s\n", e.c_str());
  return 0;
}

int run_negex(const ExtractOptions& o) {
  const TextModel model = load_model(o);
  const json j = evaluate_negex(o.inputs.at(0), model);
  if (o.common.json) {
    cli::write_output("", j.dump(2) + "\n");
    return 0;
  }
  std::printf("%zu rows (%zu located): sensitivity %.3f  PPV %.3f  specificity %.3f  NPV %.3f  accuracy %.3f\n",
              j["rows"].get<size_t>(), j["located"].get<size_t>(), j["sensitivity"].get<double>(), j["ppv"].get<double>(),
              j["specificity"].get<double>(), j["npv"].get<double>(), j["accuracy"].get<double>());
  return 0;
}

}  // namespace

namespace medgen::cli {

std::vector<Command> add_text_extract_commands(CLI::App& text) {
  auto o = std::make_shared<ExtractOptions>();
  std::vector<Command> cmds;

  CLI::App* ex = text.add_subcommand("extract", "problems, medications, allergies, procedures, labs and vitals with context");
  ex->add_option("notes", o->inputs, "note files (UTF-8 text) or folders of *.txt notes")->required();
  ex->add_option("-o,--out", o->out, "write the concepts as JSON to this file");
  ex->add_option("--fhir-out", o->fhir_out, "write a FHIR R4 Bundle (JSON) to this file");
  ex->add_option("--registry-out", o->registry_out, "write the registry CSV to this file");
  ex->add_option("--mapping", o->mapping, "registry mapping TSV (columns; rows per note or patient)");
  add_model_options(ex, o.get());
  add_common(ex, &o->common, kNone, "print the concepts as JSON (a summary when -o is given)");
  cmds.push_back({ex, [o] { return run_extract(*o); }});

  CLI::App* ev = text.add_subcommand("evaluate", "precision, recall and F1 on annotated notes ([[words|type|flags]] marks)");
  ev->add_option("notes", o->inputs, "annotated note files or folders of *.txt")->required();
  ev->add_option("-o,--out", o->out, "write the report as JSON to this file");
  ev->add_flag("--errors", o->errors, "list false positives and negatives");
  add_model_options(ev, o.get());
  add_common(ev, &o->common, kNone, "print the report as JSON");
  cmds.push_back({ev, [o] { return run_evaluate(*o); }});

  CLI::App* ng = text.add_subcommand("negex", "negation figures on a file in the NegEx annotated test set format");
  ng->add_option("file", o->inputs, "the annotations file (TSV: number, concept, sentence, Negated/Affirmed)")
      ->required()
      ->expected(1);
  add_model_options(ng, o.get());
  add_common(ng, &o->common, kNone, "print the figures as JSON");
  cmds.push_back({ng, [o] { return run_negex(*o); }});
  return cmds;
}

}  // namespace medgen::cli
