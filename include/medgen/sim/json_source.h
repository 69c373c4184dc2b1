// A JSON file read for strict validation: the parsed value plus where each value sits in the text,
// so that a wrong key or value deep in a condition file is reported as "file:line:column: ...".
// nlohmann::json reports only byte offsets of syntax errors; this converts them and adds positions
// for semantic errors by a second, position-recording scan of the (already valid) text.
#pragma once

#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace medgen::sim {

class JsonSource {
 public:
  // Reads and parses `path`; throws IoError if unreadable, InvalidInput("file:line:col: ...") on
  // a syntax error.
  static JsonSource load(const std::string& path);
  // Parses text already in memory; `name` is used in messages.
  static JsonSource parse(const std::string& name, const std::string& text);

  const nlohmann::json& root() const { return root_; }
  const std::string& name() const { return name_; }

  // "file:line:column: message" for the value at JSON pointer `ptr` (e.g. "/effects/2/target").
  // Falls back to the closest enclosing value that has a recorded position.
  std::string at(const std::string& ptr, const std::string& message) const;
  [[noreturn]] void fail(const std::string& ptr, const std::string& message) const;

  // Strict checks. Each throws InvalidInput located at the offending value.
  // Every key of the object at `ptr` must be in `allowed`; the ones in `required` must exist.
  void check_keys(const std::string& ptr, std::initializer_list<const char*> allowed,
                  std::initializer_list<const char*> required = {}) const;
  const nlohmann::json& object(const std::string& ptr) const;
  const nlohmann::json& array(const std::string& ptr) const;
  std::string string(const std::string& ptr) const;
  // A finite number in [lo, hi].
  double number(const std::string& ptr, double lo, double hi) const;
  double number_or(const std::string& ptr, double fallback, double lo, double hi) const;
  std::string string_or(const std::string& ptr, const std::string& fallback) const;
  bool has(const std::string& ptr) const;

 private:
  std::string name_, text_;
  nlohmann::json root_;
  std::map<std::string, size_t> offsets_;      // JSON pointer -> byte offset of the value
  std::map<std::string, size_t> key_offsets_;  // JSON pointer -> byte offset of its key (object members)
  void line_col(size_t offset, size_t* line, size_t* col) const;
};

// Escapes a key for use in a JSON pointer ("~" -> "~0", "/" -> "~1").
std::string pointer_key(const std::string& key);

}  // namespace medgen::sim
