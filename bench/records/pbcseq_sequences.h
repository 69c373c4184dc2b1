// pbcseq (data/pbcseq.csv) as sequence data, for the sequence model's slow test and bench:
// per patient, context = trt, age, sex, futime, status and n_events; events = the lab columns
// at each visit in day order; time = day; end = futime.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "medgen/core/schema.h"
#include "medgen/core/table.h"
#include "medgen/records/sequence.h"

namespace medgen::records::pbcseq {

inline const std::vector<std::string> kContext = {"trt", "age", "sex", "futime", "status"};
inline const std::vector<std::string> kLabs = {"ascites", "hepato",  "spiders",  "edema",    "bili",   "chol",
                                        "albumin", "alk.phos", "ast",     "platelet", "protime", "stage"};

// Rows of `src` picked by `rows`, in that order.
inline Column pick(const Column& src, const std::vector<size_t>& rows) {
  Column c = src;
  if (c.storage == Storage::kNumber) {
    c.values.clear();
    c.valid.clear();
    for (size_t r : rows) {
      c.values.push_back(src.values[r]);
      c.valid.push_back(src.valid[r]);
    }
  } else {
    c.codes.clear();
    for (size_t r : rows) c.codes.push_back(src.codes[r]);
  }
  return c;
}

inline std::string key(const Column& c, size_t r) {
  return c.storage == Storage::kNumber ? std::to_string(c.values[r]) : c.dictionary[static_cast<size_t>(c.codes[r])];
}

// The patients `ids` of pbcseq as sequence data: context = kContext + n_events, events = kLabs
// at each visit, time = day, end = futime.
inline SequenceData build(const Table& t, const Schema& s, const std::vector<std::string>& ids) {
  const Column& id = t.column("id");
  const Column& day = t.column("day");
  std::map<std::string, std::vector<size_t>> by_id;
  for (size_t r = 0; r < t.num_rows(); ++r) by_id[key(id, r)].push_back(r);
  SequenceData d;
  std::vector<size_t> first, events;
  d.offsets.push_back(0);
  for (const std::string& p : ids) {
    std::vector<size_t> rows = by_id.at(p);
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return day.values[a] < day.values[b]; });
    first.push_back(rows.front());
    for (size_t r : rows) {
      events.push_back(r);
      d.time.push_back(day.values[r]);
    }
    d.offsets.push_back(events.size());
    d.end.push_back(t.column("futime").values[rows.front()]);
  }
  for (const std::string& c : kContext) {
    d.context_schema.columns.push_back(s.column(c));
    d.context.columns.push_back(pick(t.column(c), first));
  }
  ColumnSchema n;
  n.name = "n_events";
  n.integer = true;
  Column nc = Column::numbers("n_events", ids.size());
  for (size_t e = 0; e < ids.size(); ++e) {
    nc.values[e] = static_cast<double>(d.offsets[e + 1] - d.offsets[e]);
    nc.valid[e] = 1;
  }
  d.context_schema.columns.push_back(n);
  d.context.columns.push_back(nc);
  for (const std::string& c : kLabs) {
    d.event_schema.columns.push_back(s.column(c));
    d.events.columns.push_back(pick(t.column(c), events));
  }
  return d;
}

// The distinct patient ids, sorted.
inline std::vector<std::string> patients(const Table& t) {
  std::vector<std::string> ids;
  for (size_t r = 0; r < t.num_rows(); ++r) ids.push_back(key(t.column("id"), r));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace medgen::records::pbcseq
