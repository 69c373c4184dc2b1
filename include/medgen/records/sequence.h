// Sequence models: the events of one entity (visits, lab draws, infections) in time order,
// with their gaps and values, conditioned on the entity's static attributes.
//
// The multi-table synthesizer (records/synthesizer.h) prepares SequenceData from a table of
// events: one row of `context` per entity (its static attributes, the parent's columns, and
// the number of events, which the parent synthesizer learned with the rest), and the events'
// value columns in time order. A long-format table is pivoted to one column per series before
// it gets here (a series not measured at an event is missing there).
//
// Models by name: "gru" (an autoregressive GRU over events with mixture outputs for gaps and
// values, LibTorch, in the medgen_records_nn plugin) and "independent" (the baseline: every
// event drawn on its own, gaps from the pooled gap distribution; no LibTorch).
//
// Ownership and thread safety: a SequenceModel owns its learned state; fit and load_state
// replace it and must not overlap any other call. sample is const in the sense of
// Synthesizer::sample (see tabular/synthesizer.h): the gru model reseeds LibTorch's global
// generator; call it from one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen::records {

struct SequenceData {
  // One row per entity: the attributes the sequence is conditioned on. Columns of kText or
  // kIdentifier type are ignored.
  Table context;
  Schema context_schema;
  // The events' value columns (numerical, categorical, boolean; missing allowed), rows
  // grouped by entity and in time order within each entity.
  Table events;
  Schema event_schema;
  // Per event: its time since the entity's origin (time units, >= 0, non-decreasing within
  // an entity).
  std::vector<double> time;
  // Per entity: the end of its timeline in the same units (NaN: no end). No event lies after it.
  std::vector<double> end;
  // Entity e owns events [offsets[e], offsets[e + 1]); offsets.size() == entities + 1.
  std::vector<size_t> offsets;
  // The context column that holds each entity's number of events, when there is one (the
  // parent's summary). A model that learns lengths does not condition on it.
  std::string length_column;

  size_t num_entities() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  // What a model's sample fills in: context, schemas and ends copied in, offsets from the
  // number of events per entity, every time 0, no event columns yet.
  static SequenceData frame(const Table& context, const Schema& context_schema, const Schema& event_schema,
                            const std::vector<double>& end, const std::vector<size_t>& counts);
  // Throws InvalidInput when the parts disagree (sizes, offsets, times decreasing or negative,
  // times after end).
  void check() const;
};

class SequenceModel {
 public:
  virtual ~SequenceModel() = default;
  virtual std::string name() const = 0;
  virtual nlohmann::json params() const = 0;
  // Whether sample decides the number of events of entities that have an end (see sample).
  virtual bool learns_lengths() const { return false; }

  // Learns from data (data.check() holds). InvalidInput when there is nothing to learn.
  virtual void fit(const SequenceData& data, const Context& ctx) = 0;

  // For every row e of `context` (the columns given to fit, same schema), lengths[e] events,
  // with times >= 0, non-decreasing, and <= end[e] when end[e] is not NaN (end may be empty: no
  // ends). A model that learns lengths (learns_lengths()) returns, for an entity with an end,
  // none where lengths[e] is 0 and otherwise at least one, as many as its own gaps fit before
  // the end. Returns the events with offsets and times filled; context is copied in.
  virtual SequenceData sample(const Table& context, const std::vector<size_t>& lengths,
                              const std::vector<double>& end, const Context& ctx) const = 0;

  // State for the model file (validated as untrusted input by load_state: ModelFormat).
  virtual void save_state(nlohmann::json* state, std::string* payload) const = 0;
  virtual void load_state(const nlohmann::json& state, const std::string& payload) = 0;
};

// "gru" or "independent"; unknown names or unknown params keys are InvalidInput.
std::unique_ptr<SequenceModel> create_sequence_model(const std::string& name,
                                                     const nlohmann::json& params = nlohmann::json::object());

}  // namespace medgen::records
