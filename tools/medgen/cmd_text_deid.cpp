// `medgen text deid` and `medgen text deid-eval`: de-identification of notes (docs/text-deid.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cmd_text.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/model_file.h"
#include "medgen/text/deid/deid.h"
#include "medgen/text/deid/eval.h"
#include "medgen/text/deid/tagger.h"
#include "medgen/text/utf8.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace medgen;
using namespace medgen::text::deid;

namespace medgen::cli {

namespace {

// The detector: the rules, plus the learned tagger unless --no-model (its file: --model, else
// tagger.model in the data folder; a missing or damaged model is an error, never a silent fall
// back to the rules alone).
// --threshold TYPE=P (repeatable): the model's threshold for one class, replacing the one stored
// in the model file.
std::vector<std::pair<PhiType, double>> parse_thresholds(const std::vector<std::string>& given) {
  std::vector<std::pair<PhiType, double>> out;
  for (const std::string& g : given) {
    const size_t eq = g.find('=');
    PhiType t;
    const auto& classes = TaggerModel::class_types();
    if (eq == std::string::npos || !parse_phi_type(g.substr(0, eq), &t) ||
        std::find(classes.begin(), classes.end(), t) == classes.end())
      throw InvalidInput("--threshold '" + g + "': want TYPE=P with TYPE one of NAME, DATE, AGE, LOCATION, PHONE, ID " +
                         "(SSN and IP are ID's)");
    const std::string v = g.substr(eq + 1);
    char* end = nullptr;
    const double p = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !(p > 0 && p <= 2))
      throw InvalidInput("--threshold '" + g + "': P must be a number in (0, 1] (above 1, up to 2: the class off)");
    out.emplace_back(t, p);
  }
  return out;
}

Deidentifier make_deidentifier(const std::string& data_dir, const std::string& model, bool no_model,
                               const std::vector<std::string>& thresholds = {}) {
  if (no_model && !model.empty()) throw InvalidInput("give --model FILE or --no-model, not both");
  if (no_model && !thresholds.empty()) throw InvalidInput("--threshold sets the model's thresholds: not with --no-model");
  const auto th = parse_thresholds(thresholds);
  DeidResources r = DeidResources::load_default(data_dir);
  if (no_model) return Deidentifier(std::move(r));
  const std::string path = model.empty() ? DeidResources::data_dir(data_dir) + "/tagger.model" : model;
  if (!fs::is_regular_file(path))
    throw InvalidInput(path + ": de-identification model not found (--model FILE, or --no-model for the rules alone)");
  auto m = std::make_shared<TaggerModel>(*TaggerModel::load(path));
  for (const auto& [type, p] : th) m->set_threshold(type, p);
  return Deidentifier(std::move(r), std::move(m));
}

struct DeidCli {
  std::vector<std::string> inputs, thresholds;
  std::string out, out_dir, report, key_file, patient, data_dir, model;
  bool tags = false, day_first = false, per_file_patient = false, no_model = false;
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
  const Deidentifier d = make_deidentifier(o.data_dir, o.model, o.no_model, o.thresholds);
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
  std::vector<std::string> inputs, thresholds;
  std::string data_dir, json_out, model;
  bool show_missed = false, no_model = false;
  CommonOptions common;
};

int run_eval(EvalCli& o) {
  std::vector<AnnotatedNote> notes;
  json per_file = json::object();
  const Deidentifier d = make_deidentifier(o.data_dir, o.model, o.no_model, o.thresholds);
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
  json j{{"files", per_file}, {"total", total.to_json()}, {"resources", d.resources().sources},
         {"model", d.model() ? json(o.model.empty() ? "tagger.model" : o.model) : json(nullptr)}};
  if (d.model()) {
    json th = json::object();
    for (int c = 0; c < TaggerModel::kClasses; ++c)
      th[phi_type_name(TaggerModel::class_types()[c])] = d.model()->thresholds()[c];
    j["thresholds"] = th;
  }
  if (!o.json_out.empty()) write_file_atomic(o.json_out, j.dump(2) + "\n");
  if (o.common.json)
    write_output("", j.dump(2) + "\n");
  else
    write_output("", text + (o.inputs.size() > 1 ? "all files (" + std::to_string(all.size()) + " notes)\n" + total.table() : ""));
  return 0;
}

struct TrainCli {
  std::vector<std::string> inputs;
  std::string out, data_dir, cv_out, oof_out;
  bool cv = false;
  TaggerParams params;
  CommonOptions common;
};

int run_train(TrainCli& o) {
  o.params.seed = o.common.seed;
  o.params.validate();
  // liblinear's vector operations call BLAS on 2^hash_bits entries: OpenBLAS's threads only
  // wait on each other there (4x the CPU time for the same model); --threads 1 is the default.
  make_context(o.common);
  if (o.out.empty() && !o.cv && o.oof_out.empty())
    throw InvalidInput("text deid-train: give -o MODEL, --cv or --oof-out FILE");
  std::vector<AnnotatedNote> notes;
  std::vector<std::string> group;
  json files_in = json::array();
  for (const std::string& p : o.inputs) {
    std::vector<AnnotatedNote> n = read_annotated_notes(p);
    if (n.empty()) throw InvalidInput(p + ": no '### note' in this file");
    files_in.push_back({{"file", fs::path(p).filename().string()}, {"notes", n.size()}, {"sha256", sha256_file_hex(p)}});
    for (auto& x : n) {
      notes.push_back(std::move(x));
      group.push_back(fs::path(p).filename().string());
    }
  }
  const Deidentifier rules(DeidResources::load_default(o.data_dir));
  std::string text;
  json summary{{"notes", notes.size()}, {"files", files_in}};
  std::vector<std::pair<std::string, std::string>> files;  // written together at the end
  if (o.cv) {
    const TaggerCvReport r = cross_validate_tagger(rules, notes, group, o.params);
    text += std::to_string(o.params.folds) + "-fold cross-validation by note (seed " + std::to_string(o.params.seed) +
            "): each fold scored by a model trained without it\n\n" + r.table();
    summary["cv"] = r.to_json();
    if (!o.cv_out.empty()) files.emplace_back(o.cv_out, r.to_json().dump(2) + "\n");
  }
  if (!o.oof_out.empty()) {
    // one line per training token: its file, note, gold class, whether a rule covers it, and the
    // out-of-fold probability of each class (what the thresholds are chosen from)
    std::string tsv = "file\tnote\tlabel\tcovered";
    for (PhiType t : TaggerModel::class_types()) tsv += std::string("\t") + phi_type_name(t);
    tsv += "\n";
    char buf[32];
    for (const TaggerOofSample& s : tagger_out_of_fold(rules, notes, o.params)) {
      tsv += group[s.note] + "\t" + notes[s.note].id + "\t" +
             (s.label < 0 ? "-" : phi_type_name(TaggerModel::class_types()[s.label])) + "\t" + (s.covered ? "1" : "0");
      for (double p : s.prob) {
        std::snprintf(buf, sizeof buf, "\t%.5g", p);
        tsv += buf;
      }
      tsv += "\n";
    }
    files.emplace_back(o.oof_out, tsv);
  }
  if (!o.out.empty()) {
    // the word lists the features read (paths in the data folder written relative to it, so that
    // the file does not depend on where the checkout is)
    json word_lists = json::array();
    const std::string dir = DeidResources::data_dir(o.data_dir) + "/";
    for (const std::string& w : rules.resources().sources)
      word_lists.push_back(w.rfind(dir, 0) == 0 ? "<data-dir>/" + w.substr(dir.size()) : w);
    json prov{{"trained_on", files_in},
              {"command", "medgen text deid-train <files> -o <model> --seed " + std::to_string(o.params.seed) +
                              " --folds " + std::to_string(o.params.folds) + " --hash-bits " +
                              std::to_string(o.params.hash_bits) + " --c " + json(o.params.c).dump() + " --beta " +
                              json(o.params.beta).dump() + " --recall " + json(o.params.recall).dump() +
                              " --min-precision " + json(o.params.min_precision).dump()},
              {"word_lists", word_lists}};
    const TaggerModel m = train_tagger(rules, notes, o.params, prov, group);
    files.emplace_back(o.out, m.serialize());
    std::string th;
    for (int c = 0; c < TaggerModel::kClasses; ++c)
      th += std::string(c ? ", " : "") + phi_type_name(TaggerModel::class_types()[c]) + " " +
            json(m.thresholds()[c]).dump();
    text += "model: " + o.out + " (" + std::to_string(notes.size()) + " notes; thresholds " + th + ")\n";
    summary["model"] = o.out;
  }
  write_files_atomic(files);
  if (o.common.json)
    write_output("", summary.dump(2) + "\n");
  else
    write_output("", text);
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
    c->add_option("--model", o->model, "the learned tagger's model (default: tagger.model in the data folder)");
    c->add_flag("--no-model", o->no_model, "the rules alone, without the learned tagger");
    c->add_option("--threshold", o->thresholds,
                  "TYPE=P: the model's probability threshold for one class instead of the model file's (repeatable; "
                  "lower P finds more, tags more in error)");
    add_common(c, &o->common, kNone, "print per-note counts as JSON on stdout (with -o/--out-dir)");
    out.push_back({c, [o] { return run_deid(*o); }});
  }
  {
    auto o = std::make_shared<EvalCli>();
    CLI::App* c = text.add_subcommand("deid-eval", "score the de-identifier on annotated notes (precision, recall, F1 per PHI type)");
    c->add_option("files", o->inputs, "annotated note files (### note ID, ⟦TYPE|text⟧)")->required();
    c->add_option("--data-dir", o->data_dir, "folder with names.txt and medical_stop.txt");
    c->add_option("--model", o->model, "the learned tagger's model (default: tagger.model in the data folder)");
    c->add_flag("--no-model", o->no_model, "score the rules alone, without the learned tagger");
    c->add_option("--threshold", o->thresholds,
                  "TYPE=P: the model's probability threshold for one class instead of the model file's (repeatable; "
                  "lower P finds more, tags more in error)");
    c->add_option("--json-out", o->json_out, "write the scores as JSON to this file");
    c->add_flag("--missed", o->show_missed, "list the gold identifiers not fully covered");
    add_common(c, &o->common, kNone, "print the scores as JSON");
    out.push_back({c, [o] { return run_eval(*o); }});
  }
  {
    auto o = std::make_shared<TrainCli>();
    CLI::App* c = text.add_subcommand(
        "deid-train", "train the de-identification tagger on annotated notes (and cross-validate it by note)");
    c->add_option("files", o->inputs, "annotated note files (### note ID, ⟦TYPE|text⟧)")->required();
    c->add_option("-o,--output", o->out, "the model file to write");
    c->add_flag("--cv", o->cv, "K-fold cross-validation by note: rules vs rules + model per file and type");
    c->add_option("--cv-out", o->cv_out, "write the cross-validation scores as JSON to this file");
    c->add_option("--oof-out", o->oof_out,
                  "write every training token's out-of-fold probabilities (the thresholds' source) as TSV to this file");
    add_integer(c, "--folds", &o->params.folds, "folds by note, for the thresholds and for --cv [5]", 2, 50);
    add_integer(c, "--hash-bits", &o->params.hash_bits, "the weight table has 2^N rows [18]", 12, 22);
    add_real(c, "--c", &o->params.c, "liblinear's C, the inverse L2 penalty [0.5]", 0, 1e6, true);
    add_real(c, "--beta", &o->params.beta, "AGE's and LOCATION's thresholds maximise F_beta of the model out of fold [2]",
             0, 100, true);
    add_real(c, "--recall", &o->params.recall,
             "NAME, DATE, PHONE, ID: the highest threshold whose out-of-fold recall reaches this, within --min-precision "
             "(0: F_beta for all) [0.99]",
             0, 1, false);
    add_real(c, "--min-precision", &o->params.min_precision,
             "the out-of-fold precision those thresholds may not fall below (else the lowest threshold that keeps it) [0.8]",
             0, 1, false);
    c->add_option("--data-dir", o->data_dir, "folder with names.txt and medical_stop.txt");
    add_common(c, &o->common, kNone, "print a JSON summary (and the cross-validation scores)");
    out.push_back({c, [o] { return run_train(*o); }});
  }
  return out;
}

}  // namespace medgen::cli
