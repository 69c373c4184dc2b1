// The lower-cased word sets of DeidResources (private to src/text/deid).
// Thread safety: read-only after loading.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include "medgen/text/deid/deid.h"

namespace medgen::text::deid {

class DeidResources::WordSet {
 public:
  void add(std::string_view w);  // stored lower-cased (ASCII letters only are folded)
  // `w` must already be lower-cased.
  bool has_lower(std::string_view w) const { return set_.count(std::string(w)) != 0; }
  // Lower-cases into a per-thread buffer first.
  bool has(std::string_view w) const;
  size_t size() const { return set_.size(); }
  template <class F>
  void for_each(F&& f) const {
    for (const std::string& w : set_) f(w);
  }

 private:
  std::unordered_set<std::string> set_;
};

// ASCII lower-casing (UTF-8 bytes above 0x7F are kept).
void lower_into(std::string_view w, std::string* out);

}  // namespace medgen::text::deid
