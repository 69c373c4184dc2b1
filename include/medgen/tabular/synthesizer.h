// The synthesizer interface, the registry that creates synthesizers by name, and model files.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen::tabular {

// column == value, on a categorical or boolean column.
struct Condition {
  std::string column;
  std::string value;
};

// Parses "col=value" (the first '=' splits). InvalidInput when there is no '='.
Condition parse_condition(const std::string& text);

// Ownership: a Synthesizer owns its learned state (and, for the neural ones, its LibTorch
// modules); create_synthesizer and load_model hand out unique_ptrs. fit and load_state
// replace the state and must not overlap any other call.
class Synthesizer {
 public:
  virtual ~Synthesizer() = default;

  virtual std::string name() const = 0;
  // The options this synthesizer was created with, defaults filled in.
  virtual nlohmann::json params() const = 0;

  // Learns from `table` (typed by `schema`, e.g. from to_table). Identifier and text columns
  // are not learned. InvalidInput for tables it cannot learn (no rows, ...).
  virtual void fit(const Table& table, const Schema& schema, const Context& ctx) = 0;

  // Exactly n rows with the schema's non-text columns (output_columns), in schema order.
  // Every row satisfies every condition; rows are drawn from the learned conditional
  // distribution. InvalidInput for n == 0, an unknown column, a column that is not
  // categorical/boolean, a value the model never saw, or two different values for one column.
  // Thread safety: `const` means the learned distribution does not change, not that calls may
  // overlap. The copula's sample uses only its own Rng and may run on several threads at once;
  // ctgan's and tvae's reseed LibTorch's global CPU generator from ctx.seed, set its
  // process-wide intra-op thread count (nn::init_torch) and run forward passes on shared
  // modules, and ctgan with sample_batchnorm "train" puts its generator in training mode, where
  // BatchNorm updates its running statistics: call those from one thread at a time, and not
  // while another LibTorch model in the process is seeded (a server holds one model per
  // worker process).
  virtual Table sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const = 0;

  // State for the model file: JSON-able parts and an opaque binary payload.
  virtual void save_state(nlohmann::json* state, std::string* payload) const = 0;
  virtual void load_state(const nlohmann::json& state, const std::string& payload) = 0;
  // Sets the schema, then load_state (what load_model does).
  void restore(Schema schema, const nlohmann::json& state, const std::string& payload) {
    schema_ = std::move(schema);
    load_state(state, payload);
  }

  // Where iterative trainers write checkpoints (every N epochs and on Ctrl-C), and whether
  // fit continues from that checkpoint. InvalidInput from synthesizers that do not train
  // iteratively when resume is asked for.
  virtual void set_checkpoint(const std::string& path, bool resume) {
    if (resume) throw InvalidInput("--resume: synthesizer '" + name() + "' does not train in epochs");
    (void)path;
  }

  // One-line human description of what was learned (e.g. chosen marginals), for `info`.
  virtual nlohmann::json summary() const { return nlohmann::json::object(); }

  const Schema& schema() const { return schema_; }
  // Columns in the training data (rows, and what was dropped) are recorded by fit.
  const std::vector<std::string>& warnings() const { return warnings_; }

 protected:
  // Checks conditions against the schema (and n > 0); shared by every synthesizer.
  void check_request(size_t n, const std::vector<Condition>& conditions) const;
  Schema schema_;
  std::vector<std::string> warnings_;
};

struct SynthesizerInfo {
  std::string name;
  std::string description;
};

// Creates a synthesizer by name with params (a JSON object; unknown keys are InvalidInput).
std::unique_ptr<Synthesizer> create_synthesizer(const std::string& name,
                                                const nlohmann::json& params = nlohmann::json::object());
std::vector<SynthesizerInfo> list_synthesizers();

// n rows spread evenly over the levels of a categorical/boolean column (the first n % k
// levels get one extra row), each part sampled conditionally; identifiers renumbered.
Table sample_balanced(const Synthesizer& synth, size_t n, const std::string& column,
                      const std::vector<Condition>& conditions, const Context& ctx);

// The levels of a categorical/boolean column that the model can produce under `conditions`
// (what --balance spreads rows over). InvalidInput for an unknown or non-categorical column,
// a column also conditioned on, or when no level can be produced.
std::vector<std::string> balance_levels(const Synthesizer& synth, const std::string& column,
                                        const std::vector<Condition>& conditions, const Context& ctx);

// Appends src's rows to dst (same columns, same dictionaries for categoricals).
void append_rows(Table* dst, const Table& src);

// ---------------------------------------------------------------------------- model files

struct Provenance {
  std::string input_name;     // file name as given
  std::string input_sha256;   // of the input file's bytes
  size_t rows = 0;
  size_t columns = 0;
  double train_seconds = 0;   // wall clock; 0 with --reproducible
  uint64_t seed = 0;
  int threads = 1;
};

void save_model(const Synthesizer& synth, const Provenance& provenance, const std::string& path);

struct LoadedModel {
  std::unique_ptr<Synthesizer> synthesizer;
  nlohmann::json header;  // everything in the file's JSON header
};
// ModelFormat on anything wrong with the file. Model files are untrusted input (a checksum
// proves integrity, not origin): the header, the schema and the synthesizer's state are
// validated field by field before anything is sampled. IoError when the file is unreadable.
LoadedModel load_model(const std::string& path);
// The same from the file's bytes, without touching the file system (fuzzing, servers);
// `source` names the bytes in messages.
LoadedModel load_model_bytes(const std::string& bytes, const std::string& source);

}  // namespace medgen::tabular
