// Learned synthesis of whole records: the top-level entities (patients) by any tabular
// synthesizer, each entity row augmented with summaries of its children (how many rows each
// child table has for it, and the child's static columns); then, level by level, every child
// table's rows in time order by a sequence model (records/sequence.h) conditioned on the
// synthetic parent row. Keys are regenerated; every foreign key resolves; times stay within
// [origin, end]; static columns are constant per entity. Long-format tables are pivoted to one
// column per series for learning and written back long.
//
// Ownership and thread safety: a RecordSynthesizer owns its models. fit and load replace them
// and must not overlap any other call; sample follows Synthesizer::sample's rules (one thread
// at a time when a LibTorch model is involved).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/records/dataset.h"

namespace medgen::records {

inline constexpr int kRecordsCartMinLeaf = 20;

struct RecordOptions {
  std::string synthesizer = "cart";  // tabular synthesizer for the top-level tables
  // Its options. For cart, min_leaf defaults to kRecordsCartMinLeaf here (20, not the table
  // default 5): patients drawn from larger leaves sit as far from the training patients as
  // fresh real ones do (docs/records.md).
  nlohmann::json synthesizer_params = nlohmann::json::object();
  std::string sequence_model = "gru";  // "gru" | "independent" for child tables
  nlohmann::json sequence_params = nlohmann::json::object();
  // "detector": generated top-level rows pass a density-ratio filter learned at fit (boosted
  // trees telling real rows from generated ones; a row is kept with probability
  // min(1, r / cap), r the estimated real/generated density ratio). "none": as generated.
  std::string parent_filter = "none";
};

struct RecordProvenance {
  std::string input_name;    // the dataset folder as given
  std::string input_sha256;  // of the tables' bytes, in schema order
  size_t entities = 0;
  double train_seconds = 0;
  uint64_t seed = 0;
  int threads = 1;
};

class RecordSynthesizer {
 public:
  RecordSynthesizer();
  ~RecordSynthesizer();
  RecordSynthesizer(RecordSynthesizer&&) noexcept;
  RecordSynthesizer& operator=(RecordSynthesizer&&) noexcept;

  // Learns from a checked dataset (read_dataset). InvalidInput for datasets it cannot learn
  // (no entities; a time origin or end further up than the entity's own table or parent).
  void fit(const Dataset& data, const RecordOptions& options, const Context& ctx);

  // n entities of every top-level table with all their descendants, handed to `sink` in
  // chunks of at most `chunk` top-level entities (memory bounded by the chunk, not n). Each
  // chunk is a Dataset with the fitted schema; keys continue across chunks. Deterministic
  // from ctx.seed (and independent of how the sink consumes the chunks).
  void sample(size_t n, const Context& ctx, size_t chunk, const std::function<void(const Dataset&)>& sink) const;
  Dataset sample(size_t n, const Context& ctx) const;

  const DatasetSchema& schema() const;
  const RecordOptions& options() const;
  // What was learned, per table (for `info`).
  nlohmann::json summary() const;
  const std::vector<std::string>& warnings() const;

  // Model files (core/model_file.h) with header "kind": "records". Loading validates every
  // part as untrusted input (ModelFormat).
  void save(const std::string& path, const RecordProvenance& provenance) const;
  static RecordSynthesizer load(const std::string& path, nlohmann::json* header = nullptr);
  static RecordSynthesizer load_bytes(const std::string& bytes, const std::string& source,
                                      nlohmann::json* header = nullptr);
  // True when the bytes of a model file hold a records model (its header's "kind").
  static bool is_records_header(const nlohmann::json& header);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medgen::records
