// Row links inside a Dataset (private to src/records): which parent row each child row
// belongs to, and each entity's events in time order. Used by the data checks, the
// synthesizer and the evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "medgen/records/dataset.h"

namespace medgen::records::detail {

// For table t: the row of its parent table (DatasetSchema::parent_of) that each row points to,
// -1 when the key is missing or dangling. For a root table: all -1.
std::vector<int64_t> parent_rows(const Dataset& d, size_t t);

// The events of a sequence table grouped by entity, each group in time order (stable: ties
// keep file order). Entities are the parent table's rows in order (empty groups included), or
// for a root table its distinct entity keys in order of first appearance.
struct EntityGroups {
  std::vector<size_t> order;       // row indices, grouped
  std::vector<size_t> offsets;     // entity e: order[offsets[e] .. offsets[e+1])
  std::vector<int64_t> entity_row; // parent row of entity e (-1 for implicit entities)
  size_t num_entities() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};
EntityGroups group_events(const Dataset& d, size_t t);

// Seconds in one time unit ("day" ...).
double unit_seconds(const std::string& unit);

// The event time of every row of sequence table t in its time unit since the entity's origin:
// numeric offsets as written; datetimes relative to the origin column (or, without one, the
// entity's first event). NaN where missing.
std::vector<double> event_offsets(const Dataset& d, size_t t, const EntityGroups& groups);

// The end of each entity's timeline (time.end) in the same unit and origin, NaN if none.
std::vector<double> entity_ends(const Dataset& d, size_t t, const EntityGroups& groups);

// Value of a referenced "table.column" for each entity of sequence table t (the referenced
// table is t itself (first row of the entity), its entity table or an ancestor). NaN if missing.
std::vector<double> ancestor_values(const Dataset& d, size_t t, const EntityGroups& groups, const std::string& ref);

}  // namespace medgen::records::detail
