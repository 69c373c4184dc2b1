// Error policy (see docs/architecture.md):
//  - InvalidInput: the user's data, schema, options or paths are wrong. The CLI prints the
//    message on one line and exits with 2.
//  - IoError: a file could not be read or written (exit 2 as well: it is the user's path).
//  - ModelFormat: a model file is not a medgen model, is truncated or corrupted (exit 2).
//  - anything else escaping the library is an internal error (exit 1).
// Internal invariants use MEDGEN_ASSERT, never on user input.
// Thread safety: the exceptions are values; MEDGEN_ASSERT has no state.
#pragma once

#include <stdexcept>
#include <string>

namespace medgen {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InvalidInput : public Error {
 public:
  using Error::Error;
};

class IoError : public Error {
 public:
  using Error::Error;
};

class ModelFormat : public Error {
 public:
  using Error::Error;
};

// "file:line:column: message"; line/column 0 are left out.
std::string located(const std::string& file, size_t line, size_t column, const std::string& message);

[[noreturn]] void assert_fail(const char* expr, const char* file, int line);

}  // namespace medgen

#define MEDGEN_ASSERT(x) \
  do {                   \
    if (!(x)) ::medgen::assert_fail(#x, __FILE__, __LINE__); \
  } while (0)
