// Loading the detector's word lists from installed packages and data/text/deid/.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/core/version.h"
#include "wordset.h"

namespace fs = std::filesystem;

namespace medgen::text::deid {

void lower_into(std::string_view w, std::string* out) {
  out->assign(w.data(), w.size());
  for (char& c : *out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

void DeidResources::WordSet::add(std::string_view w) {
  std::string s;
  lower_into(w, &s);
  if (!s.empty()) set_.insert(std::move(s));
}

bool DeidResources::WordSet::has(std::string_view w) const {
  thread_local std::string buf;
  lower_into(w, &buf);
  return set_.count(buf) != 0;
}

namespace {

using WordSet = DeidResources::WordSet;

// Faker's person providers: the quoted strings of every `first_names...`/`last_names...`
// assignment (plain tuples, or OrderedDict pairs whose second member is a weight).
size_t load_faker_file(const std::string& path, WordSet* first, WordSet* last) {
  std::ifstream in(path);
  std::string line;
  WordSet* target = nullptr;
  int depth = 0;
  size_t n = 0;
  while (std::getline(in, line)) {
    size_t from = 0;
    if (!target) {
      size_t p = line.find_first_not_of(' ');
      if (p == std::string::npos) continue;
      std::string_view v(line.c_str() + p);
      const bool f = v.rfind("first_names", 0) == 0, l = v.rfind("last_names", 0) == 0;
      const size_t eq = line.find('=');
      if ((!f && !l) || eq == std::string::npos || line.find('(', eq) == std::string::npos) continue;
      target = f ? first : last;
      depth = 0;
      from = eq + 1;
    }
    for (size_t i = from; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (--depth <= 0) {
          target = nullptr;
          break;
        }
      } else if (c == '\'' || c == '"') {
        const size_t e = line.find(c, i + 1);
        if (e == std::string::npos) break;
        std::string_view w(line.data() + i + 1, e - i - 1);
        if (w.size() >= 2) {
          target->add(w);
          ++n;
        }
        i = e;
      } else if (c == '#') {
        break;
      }
    }
  }
  return n;
}

// Faker for PHP (php-faker): the single-quoted strings of every `static $firstName...`,
// `$middleName...` and `$lastName...` array of a Person.php provider ("$lastNameChinese" of
// ms_MY holds romanised Chinese surnames; en_IN, en_NG, en_UG, en_ZA, vi_VN... have their own).
// Format, suffix and kana arrays are not names; entries shorter than three bytes are skipped.
size_t load_php_faker_file(const std::string& path, WordSet* first, WordSet* last) {
  std::ifstream in(path);
  std::string line;
  WordSet* target = nullptr;
  int depth = 0;
  size_t n = 0;
  while (std::getline(in, line)) {
    size_t from = 0;
    if (!target) {
      const size_t d = line.find("static $");
      if (d == std::string::npos) continue;
      const size_t nb = d + 8;
      size_t ne = nb;
      while (ne < line.size() && std::isalnum(static_cast<unsigned char>(line[ne]))) ++ne;
      const std::string var = line.substr(nb, ne - nb);
      const bool f = var.rfind("firstName", 0) == 0 || var.rfind("middleName", 0) == 0;
      const bool l = var.rfind("lastName", 0) == 0;
      if ((!f && !l) || var.find("Format") != std::string::npos || var.find("Suffix") != std::string::npos ||
          var.find("Kana") != std::string::npos)
        continue;
      const size_t eq = line.find('=', ne);
      if (eq == std::string::npos) continue;
      target = f ? first : last;
      depth = 0;
      from = eq + 1;
    }
    for (size_t i = from; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '[' || c == '(') {
        ++depth;
      } else if (c == ']' || c == ')') {
        if (--depth <= 0) {
          target = nullptr;
          break;
        }
      } else if (c == '\'') {
        std::string w;
        size_t e = i + 1;
        for (; e < line.size() && line[e] != '\''; ++e) {
          if (line[e] == '\\' && e + 1 < line.size()) ++e;  // \' inside a string
          w += line[e];
        }
        if (e >= line.size()) break;
        // two-letter entries ("Na", "Le") are mostly syllables that clash with abbreviations
        if (w.size() >= 3) {
          target->add(w);
          ++n;
        }
        i = e;
      } else if (c == '/' && i + 1 < line.size() && line[i + 1] == '/') {
        break;
      }
    }
  }
  return n;
}

// Hunspell .dic: first line a count, then WORD[/FLAGS]. lower_only: only all-lower-case entries.
size_t load_hunspell(const std::string& path, WordSet* set, bool lower_only, WordSet* capitalised = nullptr) {
  std::ifstream in(path);
  if (!in) return 0;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    const size_t slash = line.find('/');
    std::string_view w(line.data(), slash == std::string::npos ? line.size() : slash);
    while (!w.empty() && (w.back() == '\r' || w.back() == ' ' || w.back() == '\t')) w.remove_suffix(1);
    if (w.empty() || !std::isalpha(static_cast<unsigned char>(w[0]))) continue;
    if (w.size() >= 2 && w.substr(w.size() - 2) == "'s") w.remove_suffix(2);
    if (lower_only && !std::all_of(w.begin(), w.end(), [](char c) { return !(c >= 'A' && c <= 'Z'); })) {
      if (capitalised) capitalised->add(w);
      continue;
    }
    set->add(w);
    ++n;
  }
  return n;
}

}  // namespace

std::string DeidResources::data_dir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* e = std::getenv("MEDGEN_TEXT_DATA"); e && *e) return std::string(e) + "/deid";
  if (fs::is_directory(std::string(MEDGEN_DATA_DIR) + "/text/deid")) return std::string(MEDGEN_DATA_DIR) + "/text/deid";
  return "data/text/deid";
}

DeidResources DeidResources::load_default(const std::string& data_dir_in) {
  DeidResources r;
  auto first = std::make_shared<WordSet>(), last = std::make_shared<WordSet>(),
       english = std::make_shared<WordSet>(), medical = std::make_shared<WordSet>(),
       proper = std::make_shared<WordSet>();
  const std::string dir = data_dir(data_dir_in);
  // Our own list: sections "# first", "# last", "# city", "# street"; also the surrogates.
  const std::string own = dir + "/names.txt";
  if (!fs::is_regular_file(own)) throw InvalidInput(own + ": de-identification name list not found");
  {
    std::istringstream in(read_file(own, 1 << 24));
    std::string line, section;
    size_t ln = 0, n = 0;
    while (std::getline(in, line)) {
      ++ln;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      if (line[0] == '#') {
        section = line.size() > 2 ? line.substr(2) : "";
        continue;
      }
      ++n;
      if (section == "first") {
        first->add(line);
        r.surrogate_first.push_back(line);
      } else if (section == "last") {
        last->add(line);
        r.surrogate_last.push_back(line);
      } else if (section == "city") {
        r.surrogate_cities.push_back(line);
      } else if (section == "street") {
        r.surrogate_streets.push_back(line);
      } else {
        throw InvalidInput(located(own, ln, 1, "entry outside a '# first|last|city|street' section"));
      }
    }
    if (r.surrogate_first.empty() || r.surrogate_last.empty() || r.surrogate_cities.empty() ||
        r.surrogate_streets.empty())
      throw InvalidInput(own + ": needs non-empty '# first', '# last', '# city' and '# street' sections");
    r.sources.push_back(own + " (" + std::to_string(n) + " entries)");
  }
  const std::string faker = "/usr/lib/python3/dist-packages/faker/providers/person";
  if (fs::is_directory(faker)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(faker))
      if (e.is_directory() && fs::is_regular_file(e.path() / "__init__.py")) files.push_back(e.path() / "__init__.py");
    std::sort(files.begin(), files.end());
    size_t n = 0;
    for (const auto& f : files) n += load_faker_file(f.string(), first.get(), last.get());
    r.sources.push_back(faker + "/*/__init__.py (" + std::to_string(n) + " names, " + std::to_string(files.size()) +
                        " locales)");
  }
  const std::string php_faker = "/usr/share/php/Faker/Provider";
  if (fs::is_directory(php_faker)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(php_faker))
      if (e.is_directory() && fs::is_regular_file(e.path() / "Person.php")) files.push_back(e.path() / "Person.php");
    std::sort(files.begin(), files.end());
    size_t n = 0;
    for (const auto& f : files) n += load_php_faker_file(f.string(), first.get(), last.get());
    r.sources.push_back(php_faker + "/*/Person.php (" + std::to_string(n) + " names, " + std::to_string(files.size()) +
                        " locales)");
  }
  const std::string en = "/usr/share/hunspell/en_US.dic", med = "/usr/share/hunspell/en_med_glut.dic";
  if (size_t n = load_hunspell(en, english.get(), true, proper.get())) r.sources.push_back(en + " (" + std::to_string(n) + " words)");
  if (size_t n = load_hunspell(med, medical.get(), true, proper.get()))
    r.sources.push_back(med + " (" + std::to_string(n) + " words)");
  const std::string stop = dir + "/medical_stop.txt";
  if (fs::is_regular_file(stop)) {
    std::istringstream in(read_file(stop, 1 << 24));
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      medical->add(line);
      ++n;
    }
    r.sources.push_back(stop + " (" + std::to_string(n) + " words)");
  }
  r.first_names = first;
  r.last_names = last;
  r.english = english;
  r.medical = medical;
  r.proper = proper;
  return r;
}

}  // namespace medgen::text::deid
