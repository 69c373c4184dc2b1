// Documents from data: discharge summaries, referral letters and lab reports rendered from FHIR R4
// resources through templates that are data files (data/text/templates/), to HTML and to PDF.
//
// Templates are Mustache (https://mustache.github.io/mustache.5.html), rendered by the packaged
// header-only kainjow::mustache (libkainjow-mustache-dev): `{{var}}` (HTML-escaped), `{{{var}}}`,
// `{{#list}}...{{/list}}`, `{{^list}}none{{/list}}`, `{{! comment}}`. Each document kind has two
// files: NAME.html.mustache (HTML) and NAME.pdf.mustache (a line markup that the PDF writer lays
// out with libharu: "# title", "## heading", "- bullet", "| a | b |" table rows, "---" rule, a
// blank line between paragraphs, any other line a paragraph's text).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::text::docs {

// The view model templates see, from a FHIR R4 Bundle (or one resource, or a JSON array of
// resources) for one patient:
//   patient {id, name, given, family, gender, birth_date, deceased_date, age}
//   encounters [{id, class, type, start, end}], admission {start, end, class, type} (the last encounter)
//   conditions [{display, code, system, onset, abatement, status, verification}]
//   medications [{display, code, start, end, status, dosage}]
//   observations [{display, code, value, unit, date, flag, low, high, range}] (newest first)
//   lab_panels [{date, results: [...observations of that date]}] (newest first)
//   procedures [{display, code, date}], allergies [{display, code, reaction, criticality, onset}]
//   counts {conditions, medications, observations, procedures, allergies}
//   has {conditions, medications, observations, procedures, allergies, encounters} (booleans)
//   latest_panel (lab_panels[0], or false)
//   document {date} plus every --set KEY=VALUE (document.KEY)
// Throws InvalidInput "FILE: ..." when no Patient is found, or "FILE: N patients; pick one with
// --patient ID" for a multi-patient bundle without `patient_id`.
nlohmann::json document_model(const nlohmann::json& fhir, const std::string& file, const std::string& patient_id = "");

// Renders a Mustache template. Syntax errors are InvalidInput "FILE:LINE:COLUMN: message".
std::string render_template(const std::string& tmpl, const nlohmann::json& model, const std::string& file);

// A PDF (bytes) from the line markup above; A4, Helvetica; characters outside Latin-1 are shown
// as '?'. `title` goes into the document information.
std::string markup_to_pdf(const std::string& markup, const std::string& title);

// The shipped templates folder (data/text/templates) and the document kinds found in it
// (names with both NAME.html.mustache and NAME.pdf.mustache).
std::string default_template_dir();
std::vector<std::string> template_kinds(const std::string& dir);

}  // namespace medgen::text::docs
