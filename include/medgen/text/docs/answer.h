// Answers with citations: documents are cut into passages (a guideline item, a paragraph under
// its heading), indexed with Xapian (libxapian, BM25 ranking, English stemming), and a question
// is answered only with sentences taken from the best passages, each followed by its citation
// ("[n]" -> source file and line). No sentence is ever produced that does not come from a cited
// passage.
//
// Inputs: the simulator's guideline files (data/sim/guidelines/*.json: one passage per item,
// plus the title and sources), and text (.txt), Markdown (.md) and HTML (.html/.htm) files;
// folders are walked for those extensions. Each passage keeps its source path, 1-based line,
// and the heading it sits under.
// Thread safety: build_index writes one folder; ask() opens the index read-only and may run
// concurrently.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::text::docs {

struct Passage {
  std::string source;   // the file as given
  size_t line = 0;      // where the passage starts (1-based)
  std::string heading;  // the heading or guideline title it belongs to
  std::string text;
};

// The passages of one document. InvalidInput "FILE:LINE:COLUMN: ..." for text that is not
// UTF-8 (or binary), "FILE: empty document" for a file without text, and JSON errors for
// guideline files.
std::vector<Passage> split_document(const std::string& path, const std::string& content);

struct IndexStats {
  size_t files = 0, passages = 0;
};

// Reads and checks every input first, then writes the index to `dir` (replaced as a whole:
// built in a temporary folder beside it and renamed, so a failure leaves no index behind).
IndexStats build_index(const std::vector<std::string>& inputs, const std::string& dir);

struct Citation {
  int n = 0;  // the [n] the answer uses
  Passage passage;
  double score = 0;  // Xapian's BM25 weight
};

struct Answer {
  std::string question;
  std::vector<Citation> citations;  // best first
  // Sentences of the cited passages that share the most query terms, each "sentence [n]".
  std::vector<std::string> sentences;
  std::string text() const;         // the sentences, then "[n] source:line (heading)" lines
  nlohmann::json to_json() const;
};

// InvalidInput when `dir` is not an index built by build_index.
Answer ask(const std::string& dir, const std::string& question, int max_passages = 3);

}  // namespace medgen::text::docs
