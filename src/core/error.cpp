#include "medgen/core/error.h"

#include <cstdio>
#include <cstdlib>

namespace medgen {

std::string located(const std::string& file, size_t line, size_t column, const std::string& message) {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  return out + ": " + message;
}

void assert_fail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "medgen: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace medgen
