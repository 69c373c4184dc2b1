// Reading notes from files: the checks every command applies to its inputs.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "medgen/text/extract.h"
#include "medgen/text/output.h"

namespace medgen::text {

struct NoteLimits {
  uint64_t max_bytes = uint64_t{16} << 20;  // per note file
  uint64_t max_line_bytes = uint64_t{1} << 20;  // a longer line is not a clinical note
};

// Files named by `paths`: a file as is, a folder's *.txt files (sorted, not recursive).
// InvalidInput when a path does not exist or a folder holds no .txt file.
std::vector<std::string> list_note_files(const std::vector<std::string>& paths);

// A note's text, checked: IoError over max_bytes; InvalidInput "file:line:column: ..." for
// bytes that are not UTF-8 (or NUL: binary), "file: empty note" for a note with no
// visible character, "file:line: line longer than N bytes" for an overlong line.
std::string read_note_text(const std::string& path, const NoteLimits& limits = {});

// Note id and patient id from a file name: id = the stem; patient = the stem up to its first
// '_' ("p001_2024-03-01.txt" -> "p001"), or the stem when it has none.
void ids_from_path(const std::string& path, std::string* note_id, std::string* patient_id);

// Reads, parses and extracts every file (in order).
std::vector<ExtractedNote> extract_files(const std::vector<std::string>& files, const TextModel& model,
                                         const NoteLimits& limits = {});

}  // namespace medgen::text
