// `medgen text render | soap | index | ask`: documents from FHIR data, SOAP drafts from
// transcripts, cited answers from a local corpus (docs/documents.md).
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cmd_text.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/docs/answer.h"
#include "medgen/text/docs/render.h"
#include "medgen/text/docs/soap.h"
#include "medgen/text/utf8.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace medgen;
using namespace medgen::text::docs;

namespace medgen::cli {

namespace {

struct RenderCli {
  std::string input, kind = "discharge_summary", templates, html, pdf, patient;
  std::vector<std::string> sets;
  CommonOptions common;
};

std::string read_template(const std::string& path) {
  if (!fs::is_regular_file(path)) throw InvalidInput(path + ": template not found");
  std::string t = read_file(path, 16 << 20);
  text::require_utf8(t, path);
  return t;
}

int run_render(RenderCli& o) {
  const std::string dir = o.templates.empty() ? default_template_dir() : o.templates;
  const std::vector<std::string> kinds = template_kinds(dir);
  if (std::find(kinds.begin(), kinds.end(), o.kind) == kinds.end()) {
    std::string list;
    for (const auto& k : kinds) list += (list.empty() ? "" : ", ") + k;
    throw InvalidInput("unknown document kind '" + o.kind + "' in " + dir + " (have: " + list + ")");
  }
  const std::string raw = read_file(o.input, uint64_t{512} << 20);
  text::require_utf8(raw, o.input);
  json fhir;
  try {
    fhir = json::parse(raw);
  } catch (const json::parse_error& e) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i + 1 < e.byte && i < raw.size(); ++i) {
      if (raw[i] == '\n') ++line, col = 1;
      else ++col;
    }
    throw InvalidInput(located(o.input, line, col, "invalid JSON"));
  }
  json model = document_model(fhir, o.input, o.patient);
  for (const std::string& kv : o.sets) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw InvalidInput("--set wants KEY=VALUE, got '" + kv + "'");
    model["document"][kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  const std::string html_path = dir + "/" + o.kind + ".html.mustache", pdf_path = dir + "/" + o.kind + ".pdf.mustache";
  std::vector<std::pair<std::string, std::string>> files;
  const std::string html = render_template(read_template(html_path), model, html_path);
  std::string pdf;
  if (!o.pdf.empty()) pdf = markup_to_pdf(render_template(read_template(pdf_path), model, pdf_path),
                                          o.kind + ": " + model["patient"]["name"].get<std::string>());
  if (!o.html.empty()) files.emplace_back(o.html, html);
  if (!o.pdf.empty()) files.emplace_back(o.pdf, pdf);
  write_files_atomic(files);
  if (o.html.empty() && o.pdf.empty()) write_output("", html);
  else if (o.common.json)
    write_output("", json{{"kind", o.kind}, {"patient", model["patient"]["id"]}, {"html", o.html}, {"pdf", o.pdf},
                          {"counts", model["counts"]}}.dump(2) + "\n");
  return 0;
}

struct SoapCli {
  std::string input, out, json_out, llm_endpoint, llm_model = "default", llm_key_env = "MEDGEN_LLM_API_KEY";
  int llm_timeout = 60;
  CommonOptions common;
};

int run_soap(SoapCli& o) {
  const std::string t = read_file(o.input, uint64_t{64} << 20);
  const text::TextModel model = text::TextModel::load();
  const SoapDraft d = draft_soap(t, o.input, model);
  json rec = d.to_json();
  std::string out = d.text();
  if (!o.llm_endpoint.empty()) {
    LlmOptions lo;
    lo.endpoint = o.llm_endpoint;
    lo.model = o.llm_model;
    lo.timeout_s = o.llm_timeout;
    if (const char* k = std::getenv(o.llm_key_env.c_str()); k) lo.api_key = k;
    const GroundingResult g = rewrite_with_llm(d, lo, model);
    rec["rewrite"] = g.to_json();
    if (g.accepted) out = g.text + (g.text.empty() || g.text.back() == '\n' ? "" : "\n");
    else if (!o.common.quiet)
      for (const std::string& v : g.violations) note(o.common, "rewrite rejected: " + v);
  }
  std::vector<std::pair<std::string, std::string>> files;
  if (!o.out.empty() && o.out != "-") files.emplace_back(o.out, out);
  if (!o.json_out.empty()) files.emplace_back(o.json_out, rec.dump(2) + "\n");
  write_files_atomic(files);
  if (o.common.json) write_output("", rec.dump(2) + "\n");
  else if (o.out.empty() || o.out == "-") write_output("", out);
  return 0;
}

struct IndexCli {
  std::vector<std::string> inputs;
  std::string index;
  CommonOptions common;
};

int run_index(IndexCli& o) {
  const IndexStats s = build_index(o.inputs, o.index);
  if (o.common.json)
    write_output("", json{{"index", o.index}, {"files", s.files}, {"passages", s.passages}}.dump(2) + "\n");
  else
    note(o.common, "indexed " + std::to_string(s.passages) + " passages from " + std::to_string(s.files) + " files into " + o.index);
  return 0;
}

struct AskCli {
  std::string index, question;
  int passages = 3;
  CommonOptions common;
};

int run_ask(AskCli& o) {
  const Answer a = ask(o.index, o.question, o.passages);
  write_output("", o.common.json ? a.to_json().dump(2) + "\n" : a.text());
  return 0;
}

}  // namespace

std::vector<Command> add_text_docs_commands(CLI::App& text) {
  std::vector<Command> out;
  {
    auto o = std::make_shared<RenderCli>();
    CLI::App* c = text.add_subcommand("render", "a discharge summary, referral letter or lab report from FHIR R4, to HTML and PDF");
    c->add_option("fhir", o->input, "FHIR R4 JSON: a Bundle (e.g. from 'medgen sample --format fhir-bundle'), a resource or an array")->required();
    c->add_option("-k,--kind", o->kind, "document kind: a NAME with NAME.html.mustache and NAME.pdf.mustache in the templates folder [discharge_summary]");
    c->add_option("--templates", o->templates, "templates folder (default data/text/templates)");
    c->add_option("--html", o->html, "write the HTML here (without --html or --pdf: HTML on stdout)");
    c->add_option("--pdf", o->pdf, "write the PDF here");
    c->add_option("--patient", o->patient, "the Patient id, for a bundle with several patients");
    c->add_option("--set", o->sets, "KEY=VALUE for the template's document.KEY (to, reason, author, follow_up...)");
    add_common(c, &o->common, kNone, "print a JSON summary (with --html/--pdf)");
    out.push_back({c, [o] { return run_render(*o); }});
  }
  {
    auto o = std::make_shared<SoapCli>();
    CLI::App* c = text.add_subcommand("soap", "a draft SOAP note from a speaker-labelled consultation transcript");
    c->add_option("transcript", o->input, "transcript: lines 'Doctor: ...', 'Patient: ...'")->required();
    c->add_option("-o,--output", o->out, "the draft (or the accepted rewrite) as text (default stdout)");
    c->add_option("--json-out", o->json_out, "the draft with each sentence's transcript span, and the rewrite check, as JSON");
    c->add_option("--llm-endpoint", o->llm_endpoint,
                  "OpenAI-compatible chat-completions URL (off by default); its rewrite is kept only if grounded in the facts");
    c->add_option("--llm-model", o->llm_model, "model name sent to the endpoint [default]");
    c->add_option("--llm-key-env", o->llm_key_env, "environment variable holding the API key [MEDGEN_LLM_API_KEY]");
    add_integer(c, "--llm-timeout", &o->llm_timeout, "seconds for the whole request [60]", 1, 3600);
    add_common(c, &o->common, kNone, "print the draft as JSON");
    out.push_back({c, [o] { return run_soap(*o); }});
  }
  {
    auto o = std::make_shared<IndexCli>();
    CLI::App* c = text.add_subcommand("index", "index documents (guideline JSON, .md, .txt, .html; folders walked) with Xapian");
    c->add_option("documents", o->inputs, "files or folders")->required();
    c->add_option("--index", o->index, "the index folder (replaced as a whole)")->required();
    add_common(c, &o->common, kNone, "print counts as JSON");
    out.push_back({c, [o] { return run_index(*o); }});
  }
  {
    auto o = std::make_shared<AskCli>();
    CLI::App* c = text.add_subcommand("ask", "answer a question with cited passages from an index");
    c->add_option("question", o->question, "the question")->required();
    c->add_option("--index", o->index, "the index folder from 'medgen text index'")->required();
    add_integer(c, "-n,--passages", &o->passages, "passages to cite [3]", 1, 50);
    add_common(c, &o->common, kNone, "print the answer and its citations as JSON");
    out.push_back({c, [o] { return run_ask(*o); }});
  }
  return out;
}

}  // namespace medgen::cli
