// Overflow-checked size arithmetic for sizes that come from files (image dimensions, element
// counts, byte lengths): a product or sum that does not fit is bad input, never a wrap-around
// followed by a short allocation. Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "medgen/core/error.h"

namespace medgen {

// a * b; throws InvalidInput("<what>: size overflows ...") when it does not fit in uint64_t.
inline uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& what = "size") {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a)
    throw InvalidInput(what + ": size " + std::to_string(a) + " x " + std::to_string(b) + " overflows");
  return a * b;
}

// a + b; throws InvalidInput when it does not fit in uint64_t.
inline uint64_t checked_add(uint64_t a, uint64_t b, const std::string& what = "size") {
  if (b > std::numeric_limits<uint64_t>::max() - a)
    throw InvalidInput(what + ": size " + std::to_string(a) + " + " + std::to_string(b) + " overflows");
  return a + b;
}

}  // namespace medgen
