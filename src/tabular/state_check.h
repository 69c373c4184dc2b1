// Checked reads of a model file's JSON state (internal header). Model files are untrusted
// input: a SHA-256 proves the bytes are intact, not that medgen wrote them. Every reader of
// model state goes through these helpers, which throw ModelFormat naming the field instead of
// letting a wrong type, a truncating integer or a non-finite number through.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"

namespace medgen::tabular::state {

[[noreturn]] inline void fail(const std::string& what) { throw ModelFormat(what); }

// obj[key] when obj is an object holding key; ModelFormat otherwise.
inline const nlohmann::json& member(const nlohmann::json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) fail(where + ": expected an object");
  const auto it = obj.find(key);
  if (it == obj.end()) fail(where + ": missing '" + key + "'");
  return *it;
}

inline const nlohmann::json& object(const nlohmann::json& v, const std::string& where) {
  if (!v.is_object()) fail(where + ": expected an object");
  return v;
}

inline const nlohmann::json& array(const nlohmann::json& v, const std::string& where) {
  if (!v.is_array()) fail(where + ": expected an array");
  return v;
}

// A whole number in [lo, hi] (JSON integers only: 2.5 and 2^64 are refused, not truncated).
inline int64_t integer(const nlohmann::json& v, int64_t lo, int64_t hi, const std::string& where) {
  int64_t x = 0;
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) fail(where + ": integer out of range");
    x = static_cast<int64_t>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    x = v.get<int64_t>();
  } else {
    fail(where + ": expected an integer");
  }
  if (x < lo || x > hi) fail(where + ": " + std::to_string(x) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

inline double finite(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number()) fail(where + ": expected a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) fail(where + ": not a finite number");
  return x;
}

inline std::vector<double> finite_array(const nlohmann::json& v, const std::string& where) {
  array(v, where);
  std::vector<double> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) out.push_back(finite(v[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

inline std::string string(const nlohmann::json& v, const std::string& where) {
  if (!v.is_string()) fail(where + ": expected a string");
  return v.get<std::string>();
}

inline std::vector<std::string> string_array(const nlohmann::json& v, const std::string& where) {
  array(v, where);
  std::vector<std::string> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) out.push_back(string(v[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace medgen::tabular::state
