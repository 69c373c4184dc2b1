#include "medgen/sim/json_source.h"

#include <cmath>
#include <cstring>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"

namespace medgen::sim {

using json = nlohmann::json;

std::string pointer_key(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

namespace {

// Records the offset of every value. Runs only on text nlohmann has accepted, so it can be lax.
struct Scanner {
  const std::string& s;
  std::map<std::string, size_t>& out;
  std::map<std::string, size_t>& keys;
  size_t i = 0;

  void ws() {
    while (i < s.size() && std::strchr(" \t\r\n", s[i])) ++i;
  }
  std::string str() {  // at '"'; returns the decoded key well enough for pointers (escapes kept simple)
    std::string v;
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) {
        ++i;
        if (s[i] == 'u') {
          v += '?';
          i += 4;
        } else {
          v += s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i];
        }
      } else {
        v += s[i];
      }
      ++i;
    }
    ++i;
    return v;
  }
  void value(const std::string& ptr) {
    ws();
    out[ptr] = i;
    if (i >= s.size()) return;
    if (s[i] == '{') {
      ++i;
      ws();
      if (i < s.size() && s[i] == '}') {
        ++i;
        return;
      }
      for (;;) {
        ws();
        const size_t key_at = i;
        const std::string k = str();
        ws();
        ++i;  // ':'
        keys[ptr + "/" + pointer_key(k)] = key_at;
        value(ptr + "/" + pointer_key(k));
        ws();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        ++i;  // '}'
        return;
      }
    } else if (s[i] == '[') {
      ++i;
      ws();
      if (i < s.size() && s[i] == ']') {
        ++i;
        return;
      }
      for (size_t n = 0;; ++n) {
        value(ptr + "/" + std::to_string(n));
        ws();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        ++i;
        return;
      }
    } else if (s[i] == '"') {
      str();
    } else {
      while (i < s.size() && !std::strchr(",]} \t\r\n", s[i])) ++i;
    }
  }
};

}  // namespace

JsonSource JsonSource::load(const std::string& path) { return parse(path, read_file(path)); }

JsonSource JsonSource::parse(const std::string& name, const std::string& text) {
  JsonSource src;
  src.name_ = name;
  src.text_ = text;
  try {
    src.root_ = json::parse(text);
  } catch (const json::parse_error& e) {
    size_t line = 0, col = 0;
    // nlohmann's byte is 1-based and points just past the offending character.
    src.line_col(e.byte > 0 ? e.byte - 1 : 0, &line, &col);
    std::string what = e.what();
    const size_t p = what.find("syntax error");
    if (p != std::string::npos) what = what.substr(p);
    throw InvalidInput(located(name, line, col, "invalid JSON: " + what));
  } catch (const json::exception& e) {
    // A number too large for a double (out_of_range 406) carries no byte offset: locate the
    // first occurrence of the text nlohmann quotes.
    std::string what = e.what();
    const size_t q = what.find("parsing '");
    size_t line = 0, col = 0;
    if (q != std::string::npos) {
      const std::string number = what.substr(q + 9, what.find('\'', q + 9) - q - 9);
      const size_t at = number.empty() ? std::string::npos : text.find(number);
      if (at != std::string::npos) src.line_col(at, &line, &col);
    }
    const size_t p = what.find("] ");
    if (p != std::string::npos) what = what.substr(p + 2);
    throw InvalidInput(located(name, line, col, "invalid JSON: " + what));
  }
  Scanner sc{src.text_, src.offsets_, src.key_offsets_};
  sc.value("");
  return src;
}

void JsonSource::line_col(size_t offset, size_t* line, size_t* col) const {
  size_t l = 1, c = 1;
  for (size_t k = 0; k < offset && k < text_.size(); ++k) {
    if (text_[k] == '\n') {
      ++l;
      c = 1;
    } else if ((static_cast<unsigned char>(text_[k]) & 0xC0) != 0x80) {
      ++c;  // count UTF-8 characters, not bytes
    }
  }
  *line = l;
  *col = c;
}

std::string JsonSource::at(const std::string& ptr, const std::string& message) const {
  std::string p = ptr;
  for (;;) {
    auto it = offsets_.find(p);
    if (it != offsets_.end()) {
      size_t line = 0, col = 0;
      line_col(it->second, &line, &col);
      return located(name_, line, col, message);
    }
    if (p.empty()) return located(name_, 0, 0, message);
    p = p.substr(0, p.rfind('/'));
  }
}

void JsonSource::fail(const std::string& ptr, const std::string& message) const {
  throw InvalidInput(at(ptr, message));
}

bool JsonSource::has(const std::string& ptr) const { return root_.contains(json::json_pointer(ptr)); }

const json& JsonSource::object(const std::string& ptr) const {
  if (!has(ptr)) fail(ptr, "missing '" + ptr + "'");
  const json& v = root_.at(json::json_pointer(ptr));
  if (!v.is_object()) fail(ptr, "'" + ptr + "' must be an object");
  return v;
}

const json& JsonSource::array(const std::string& ptr) const {
  if (!has(ptr)) fail(ptr, "missing '" + ptr + "'");
  const json& v = root_.at(json::json_pointer(ptr));
  if (!v.is_array()) fail(ptr, "'" + ptr + "' must be an array");
  return v;
}

std::string JsonSource::string(const std::string& ptr) const {
  if (!has(ptr)) fail(ptr, "missing '" + ptr + "'");
  const json& v = root_.at(json::json_pointer(ptr));
  if (!v.is_string()) fail(ptr, "'" + ptr + "' must be a string");
  return v.get<std::string>();
}

std::string JsonSource::string_or(const std::string& ptr, const std::string& fallback) const {
  return has(ptr) ? string(ptr) : fallback;
}

double JsonSource::number(const std::string& ptr, double lo, double hi) const {
  if (!has(ptr)) fail(ptr, "missing '" + ptr + "'");
  const json& v = root_.at(json::json_pointer(ptr));
  if (!v.is_number()) fail(ptr, "'" + ptr + "' must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    char buf[128];
    std::snprintf(buf, sizeof buf, " = %g is outside [%g, %g]", x, lo, hi);
    fail(ptr, "'" + ptr + "'" + buf);
  }
  return x;
}

double JsonSource::number_or(const std::string& ptr, double fallback, double lo, double hi) const {
  return has(ptr) ? number(ptr, lo, hi) : fallback;
}

void JsonSource::check_keys(const std::string& ptr, std::initializer_list<const char*> allowed,
                            std::initializer_list<const char*> required) const {
  const json& o = object(ptr);
  for (auto it = o.begin(); it != o.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      const std::string kp = ptr + "/" + pointer_key(it.key());
      auto k = key_offsets_.find(kp);
      const std::string msg = "unknown key '" + it.key() + "' (expected one of: " + list + ")";
      if (k == key_offsets_.end()) fail(kp, msg);
      size_t line = 0, col = 0;
      line_col(k->second, &line, &col);
      throw InvalidInput(located(name_, line, col, msg));
    }
  }
  for (const char* r : required)
    if (!o.contains(r)) fail(ptr, "missing required key '" + std::string(r) + "'");
}

}  // namespace medgen::sim
