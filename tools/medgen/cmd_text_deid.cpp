// `medgen text deid` and `medgen text deid-eval`: de-identification of notes (docs/text-deid.md).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cmd_text.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/deid/deid.h"
#include "medgen/text/deid/eval.h"
#include "medgen/text/utf8.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace medgen;
using namespace medgen::text::deid;

namespace medgen::cli {

namespace {

struct DeidCli {
  std::vector<std::string> inputs;
  std::string out, out_dir, report, key_file, patient, data_dir;
  bool tags = false, day_first = false, per_file_patient = false;
  int max_shift = 365;
  CommonOptions common;
};

std::string read_key(const std::string& path) {
  std::string k = read_file(path, 1 << 16);
  while (!k.empty() && (k.back() == '\n' || k.back() == '\r')) k.pop_back();
  if (k.size() < 16) throw InvalidInput(path + ": the secret key must be at least 16 bytes");
  return k;
}

std::string read_note(const std::string& path) {
  std::string t = read_file(path, uint64_t{1} << 30);
  text::require_utf8(t, path);
  bool blank = true;
  for (char c : t)
    if (!std::isspace(static_cast<unsigned char>(c))) blank = false;
  if (blank) throw InvalidInput(path + ": empty note");
  return t;
}

int run_deid(DeidCli& o) {
  if (o.inputs.size() > 1 && !o.out.empty() && o.out != "-")
    throw InvalidInput("text deid: several notes need --out-dir DIR, not -o");
  if (!o.out.empty() && !o.out_dir.empty()) throw InvalidInput("text deid: give -o or --out-dir, not both");
  DeidOptions opt;
  opt.tags = o.tags;
  opt.date_order = o.day_first ? DateOrder::kDayFirst : DateOrder::kMonthFirst;
  opt.max_shift_days = o.max_shift;
  if (!o.key_file.empty())
    opt.key = read_key(o.key_file);
  else if (const char* k = std::getenv("MEDGEN_DEID_KEY"); k && *k)
    opt.key = k;
  opt.patient = o.patient;
  opt.validate();
  // Inputs are all read and checked before anything is written.
  std::vector<std::string> notes;
  for (const std::string& p : o.inputs) notes.push_back(read_note(p));
  if (!o.out_dir.empty() && !fs::is_directory(o.out_dir)) throw IoError(o.out_dir + ": output folder not found");
  const Deidentifier d(DeidResources::load_default(o.data_dir));
  std::vector<std::pair<std::string, std::string>> files;
  json report = json::array();
  std::string to_stdout;
  for (size_t i = 0; i < notes.size(); ++i) {
    DeidOptions oi = opt;
    if (o.patient.empty()) oi.patient = fs::path(o.inputs[i]).stem().string();
    const DeidResult r = d.deidentify(notes[i], oi);
    json rep = r.report();
    rep["input"] = o.inputs[i];
    if (!oi.tags) rep["patient"] = oi.patient;
    if (!o.out_dir.empty()) {
      const std::string dst = (fs::path(o.out_dir) / fs::path(o.inputs[i]).filename()).string();
      rep["output"] = dst;
      files.emplace_back(dst, r.text);
    } else if (!o.out.empty() && o.out != "-") {
      rep["output"] = o.out;
      files.emplace_back(o.out, r.text);
    } else {
      to_stdout += r.text;
    }
    report.push_back(rep);
  }
  if (!o.report.empty()) files.emplace_back(o.report, json{{"notes", report}}.dump(2) + "\n");
  write_files_atomic(files);
  if (!to_stdout.empty()) write_output("", to_stdout);
  if (o.common.json && (!o.out.empty() || !o.out_dir.empty())) {
    json summary = json::array();
    for (const json& r : report) summary.push_back({{"input", r["input"]}, {"counts", r["counts"]}});
    write_output("", summary.dump(2) + "\n");
  } else if (!o.common.quiet) {
    for (const json& r : report) {
      std::string line = r["input"].get<std::string>() + ":";
      for (auto& [k, v] : r["counts"].items())
        if (v.get<int>() > 0) line += " " + k + "=" + std::to_string(v.get<int>());
      note(o.common, line);
    }
  }
  return 0;
}

struct EvalCli {
  std::vector<std::string> inputs;
  std::string data_dir, json_out;
  bool show_missed = false;
  CommonOptions common;
};

int run_eval(EvalCli& o) {
  std::vector<AnnotatedNote> notes;
  json per_file = json::object();
  const Deidentifier d(DeidResources::load_default(o.data_dir));
  std::string text;
  std::vector<AnnotatedNote> all;
  for (const std::string& p : o.inputs) {
    std::vector<AnnotatedNote> n = read_annotated_notes(p);
    if (n.empty()) throw InvalidInput(p + ": no '### note' in this file");
    const DeidScores s = evaluate_deid(d, n);
    per_file[p] = s.to_json();
    text += p + " (" + std::to_string(n.size()) + " notes)\n" + s.table() + "\n";
    if (o.show_missed)
      for (const std::string& m : s.missed) text += "  missed: " + m + "\n";
    for (auto& x : n) all.push_back(std::move(x));
  }
  const DeidScores total = evaluate_deid(d, all);
  json j{{"files", per_file}, {"total", total.to_json()}, {"resources", d.resources().sources}};
  if (!o.json_out.empty()) write_file_atomic(o.json_out, j.dump(2) + "\n");
  if (o.common.json)
    write_output("", j.dump(2) + "\n");
  else
    write_output("", text + (o.inputs.size() > 1 ? "all files (" + std::to_string(all.size()) + " notes)\n" + total.table() : ""));
  return 0;
}

}  // namespace

std::vector<Command> add_text_deid_commands(CLI::App& text) {
  std::vector<Command> out;
  {
    auto o = std::make_shared<DeidCli>();
    CLI::App* c = text.add_subcommand("deid", "de-identify notes: HIPAA Safe Harbor identifiers replaced by surrogates or tags");
    c->add_option("notes", o->inputs, "note files (UTF-8 text)")->required();
    c->add_option("-o,--output", o->out, "the de-identified note (one input; default stdout)");
    c->add_option("--out-dir", o->out_dir, "folder for the de-identified notes (same file names)");
    c->add_option("--report", o->report, "JSON report: counts per type and spans (never the original text)");
    c->add_flag("--tags", o->tags, "replace by [NAME], [DATE], ... instead of surrogates");
    c->add_option("--key-file", o->key_file,
                  "secret key (>= 16 bytes) the surrogates are keyed by; else $MEDGEN_DEID_KEY");
    c->add_option("--patient", o->patient,
                  "patient id: surrogates and the date shift are consistent within it (default: each file's name)");
    c->add_flag("--day-first", o->day_first, "read 03/04/2020 as 3 April (default: month first)");
    add_integer(c, "--max-shift-days", &o->max_shift, "dates move by a keyed offset in [-N, N] days, never 0 [365]", 1, 3650);
    c->add_option("--data-dir", o->data_dir, "folder with names.txt and medical_stop.txt (default data/text/deid)");
    add_common(c, &o->common, kNone, "print per-note counts as JSON on stdout (with -o/--out-dir)");
    out.push_back({c, [o] { return run_deid(*o); }});
  }
  {
    auto o = std::make_shared<EvalCli>();
    CLI::App* c = text.add_subcommand("deid-eval", "score the de-identifier on annotated notes (precision, recall, F1 per PHI type)");
    c->add_option("files", o->inputs, "annotated note files (### note ID, ⟦TYPE|text⟧)")->required();
    c->add_option("--data-dir", o->data_dir, "folder with names.txt and medical_stop.txt");
    c->add_option("--json-out", o->json_out, "write the scores as JSON to this file");
    c->add_flag("--missed", o->show_missed, "list the gold identifiers not fully covered");
    add_common(c, &o->common, kNone, "print the scores as JSON");
    out.push_back({c, [o] { return run_eval(*o); }});
  }
  return out;
}

}  // namespace medgen::cli
