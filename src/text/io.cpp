#include "medgen/text/io.h"

#include <algorithm>
#include <filesystem>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/text/utf8.h"

namespace fs = std::filesystem;

namespace medgen::text {

std::vector<std::string> list_note_files(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.path().extension() == ".txt" && e.is_regular_file(ec)) files.push_back(e.path().string());
      if (files.empty()) throw InvalidInput(p + ": no .txt notes in this folder");
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      throw InvalidInput(p + ": no such note file or folder");
    }
  }
  return out;
}

std::string read_note_text(const std::string& path, const NoteLimits& limits) {
  std::string text = read_file(path, limits.max_bytes);
  require_utf8(text, path);
  size_t line = 1, start = 0;
  bool visible = false;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      if (i - start > limits.max_line_bytes)
        throw InvalidInput(located(path, line, 0, "line longer than " + std::to_string(limits.max_line_bytes) +
                                                      " bytes (not a clinical note)"));
      ++line;
      start = i + 1;
    } else if (!visible && static_cast<unsigned char>(text[i]) > ' ') {
      visible = true;
    }
  }
  if (!visible) throw InvalidInput(path + ": empty note");
  return text;
}

void ids_from_path(const std::string& path, std::string* note_id, std::string* patient_id) {
  const std::string stem = fs::path(path).stem().string();
  *note_id = stem;
  const size_t u = stem.find('_');
  *patient_id = u == std::string::npos || u == 0 ? stem : stem.substr(0, u);
}

std::vector<ExtractedNote> extract_files(const std::vector<std::string>& files, const TextModel& model,
                                         const NoteLimits& limits) {
  std::vector<ExtractedNote> out;
  out.reserve(files.size());
  for (const std::string& f : files) {
    std::string id, pid;
    ids_from_path(f, &id, &pid);
    ExtractedNote en;
    en.note = model.parse(id, read_note_text(f, limits));
    en.note.patient_id = pid;
    en.concepts = extract(en.note, model);
    out.push_back(std::move(en));
  }
  return out;
}

}  // namespace medgen::text
