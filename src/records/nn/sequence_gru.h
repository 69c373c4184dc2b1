// The "gru" sequence model of the medgen_records_nn plugin (internal header).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "medgen/records/sequence.h"

namespace medgen::records::nnlib {

struct GruParams {
  int epochs = 120;              // passes over the entities (at most; see max_steps)
  int max_steps = 1500;          // optimiser steps at most: large datasets take fewer epochs (0: no cap)
  int hidden = 64;               // GRU state and head widths
  int batch_size = 32;           // entities per optimiser step
  double learning_rate = 3e-3;   // Adam
  int gap_components = 8;        // log-normal mixture components of the time gap
  int value_components = 3;      // Gaussian mixture components of each numerical value
  int chunk = 4096;              // entities sampled together (bounds memory)
  // "learned": where an entity has an end, the model ends its sequence itself (the next gap
  // would pass the end: a temporal point process with censoring at the end); the given length
  // only says whether there are any events. "given": exactly the given number of events.
  std::string lengths = "learned";
  // "quantile": after training, the model samples the training entities' records and fits, per
  // series and window of time since the start, a quantile map from its values onto the data's
  // (class shares and missing rates by logit shifts), and per gap index (first, second, third,
  // later) one for the gaps; sampling applies them. "none": the network's outputs as drawn.
  std::string calibration = "quantile";
  static GruParams from_json(const nlohmann::json& j);  // InvalidInput on unknown keys or bad values
  nlohmann::json to_json() const;
};

SequenceModel* make_gru(const nlohmann::json& params);

}  // namespace medgen::records::nnlib
