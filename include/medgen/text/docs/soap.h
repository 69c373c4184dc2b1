// SOAP drafts from consultation transcripts, and an optional, off-by-default rewrite by an
// OpenAI-compatible chat endpoint that is accepted only when grounded in the extracted facts.
//
// A transcript is speaker-labelled text: each turn starts a line with "Label: words" (Doctor,
// Dr, Clinician, Physician, Nurse, NP, PA, Provider -> clinician; Patient, Pt -> patient; any
// other label, e.g. Mother or Interpreter, -> other); lines without a label continue the turn.
// The facts are the concepts the text module extracts (medgen/text/extract.h) from the whole
// transcript, with their context (negated, uncertain, historical, hypothetical, family), placed:
//   S  problems the patient or a companion reports (negated: "Denies ..."), medications they
//      take, allergies, past history, family history;
//   O  laboratory results and vital signs, with their values;
//   A  problems the clinician names (uncertain: "Possible ..."; negated: "No ...");
//   P  medications and procedures the clinician orders or continues.
// Each draft sentence carries the span [begin, end) of the transcript text it came from, its
// line and speaker.
// Thread safety: pure functions of their arguments (the TextModel is shared read-only).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/text/extract.h"

namespace medgen::text::docs {

struct Turn {
  std::string speaker;  // as written
  std::string role;     // "clinician", "patient" or "other"
  size_t begin = 0, end = 0;  // the words of the turn in the transcript (after "Label:")
  size_t line = 0;
};

// InvalidInput "FILE: no speaker-labelled turn ('Doctor: ...', 'Patient: ...')" when none;
// "FILE:LINE:COLUMN: not UTF-8 ..." for bad bytes; "FILE: empty transcript".
std::vector<Turn> parse_transcript(const std::string& text, const std::string& file);

struct SoapSentence {
  char section = 'S';           // 'S', 'O', 'A', 'P'
  std::string text;             // the draft sentence
  size_t begin = 0, end = 0;    // the transcript span it came from
  size_t line = 0;
  std::string speaker;
  nlohmann::json fact;          // the concept (medgen::text::to_json)
};

struct SoapDraft {
  std::string source;  // the transcript's file name
  std::vector<SoapSentence> sentences;
  // "SUBJECTIVE\n- sentence [line 3]\n..." with each sentence's transcript line
  std::string text() const;
  nlohmann::json to_json() const;  // {"source", "sections": {"S": [{text, begin, end, line, speaker, fact}]...}}
};

SoapDraft draft_soap(const std::string& transcript, const std::string& file, const TextModel& model);

// ---- the optional language-model rewrite ----
struct LlmOptions {
  std::string endpoint;   // e.g. "http://127.0.0.1:8080/v1/chat/completions" ("" = off)
  std::string model = "default";
  std::string api_key;    // sent as "Authorization: Bearer ..." when not empty
  int timeout_s = 60;     // whole request
  double temperature = 0; // sampling temperature sent to the endpoint
};

struct GroundingResult {
  bool accepted = false;
  std::string text;                     // the rewrite when accepted, else the draft's text()
  std::string rewrite;                  // what the endpoint returned ("" when it failed)
  std::vector<std::string> violations;  // why it was rejected: "value '40 mg' not in the facts", ...
  nlohmann::json to_json() const;
};

// Checks a rewrite against the draft: every number (value, dose, strength) in `rewrite` must
// appear in a draft sentence; every medication the text model finds in `rewrite` must be a
// medication of the draft; every negated concept in `rewrite` must be negated in the draft, and
// no concept negated in the draft may appear affirmed.
GroundingResult check_grounding(const SoapDraft& draft, const std::string& rewrite, const TextModel& model);

// Sends the draft to options.endpoint (POST, OpenAI chat-completions JSON, libcurl) asking for
// fluent prose that adds nothing, and returns check_grounding of the reply. Network and protocol
// failures are IoError naming the endpoint.
GroundingResult rewrite_with_llm(const SoapDraft& draft, const LlmOptions& options, const TextModel& model);

}  // namespace medgen::text::docs
