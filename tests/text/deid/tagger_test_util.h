// Shared by the tagger's fast and slow tests: the shipped rules (loaded once) and the annotated
// evaluation sets.
#pragma once

#include <string>
#include <vector>

#include "medgen/core/context.h"
#include "medgen/text/deid/tagger.h"

namespace medgen::text::deid::test {

inline const std::string kDir = std::string(MEDGEN_SOURCE_DIR) + "/data/text/deid";

inline const Deidentifier& rules() {
  static const Deidentifier d = [] {
    // liblinear calls BLAS on the whole weight vector: one thread (OpenBLAS's would spin)
    medgen::apply_threads(medgen::Context{});
    return Deidentifier(DeidResources::load_default(kDir));
  }();
  return d;
}

inline std::vector<AnnotatedNote> notes_of(const std::string& set) {
  return read_annotated_notes(kDir + "/eval/" + set + ".txt");
}

}  // namespace medgen::text::deid::test
