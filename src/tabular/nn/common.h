// Pieces shared by the neural synthesizers in this library (internal header).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"
#include "medgen/core/schema.h"
#include "draw.h"
#include "medgen/nn/archive.h"
#include "medgen/nn/distributed.h"
#include "medgen/nn/trainer.h"
#include "medgen/core/table.h"
#include "medgen/privacy/accountant.h"
#include "medgen/tabular/neural.h"
#include "medgen/tabular/neural.h"
#include "medgen/tabular/synthesizer.h"
#include "medgen/tabular/transformer.h"

namespace medgen::tabular::nnlib {

// "cpu"/"cuda" to a torch device; InvalidInput when CUDA is asked for and not usable.
torch::Device resolve_device(const std::string& device);

// Linear + ReLU layers of the given widths.
torch::nn::Sequential mlp(int64_t in, const std::vector<int>& widths);

// A whole archive as bytes, and back (medgen_nn).
using medgen::nn::archive_bytes;
using medgen::nn::load_archive;

// The CPU generator's state (saved in checkpoints so a resumed run continues the same stream).
torch::Tensor cpu_rng_state();
void set_cpu_rng_state(const torch::Tensor& state);

// For each categorical/boolean column, the values that occur in the table.
nlohmann::json seen_levels(const Table& table, const Schema& schema);

// Throws InvalidInput when a condition names a value never seen in training.
void check_seen(const nlohmann::json& seen, const std::string& column, const std::string& value);

// Scalar output dimensions, and softmax spans as (start, width).
void index_spans(const DataTransformer& tr, std::vector<int64_t>* scalars,
                 std::vector<std::pair<int64_t, int64_t>>* softmax);

// Several one-hot spans of a (rows x dim) matrix laid out as one padded (rows, spans, width)
// block, so that a softmax, a Gumbel-max draw or a cross-entropy covers every span in one call
// instead of one small call per span (per-op overhead dominated the training step).
// Padding slots hold -inf, which softmax maps to 0 with zero gradient.
class SpanBlock {
 public:
  SpanBlock() = default;
  SpanBlock(const std::vector<std::pair<int64_t, int64_t>>& spans, const torch::Device& device);
  bool empty() const { return spans_ == 0; }
  int64_t spans() const { return spans_; }
  int64_t width() const { return width_; }
  // (rows, dim) -> (rows, spans, width), padding -inf.
  torch::Tensor gather(const torch::Tensor& x) const;
  // (rows, spans, width) -> (rows, total span width): the spans' columns in span order.
  torch::Tensor flatten(const torch::Tensor& block) const;
  // The source columns of flatten()'s output, in order.
  const torch::Tensor& columns() const { return columns_; }

 private:
  int64_t spans_ = 0, width_ = 0;
  torch::Tensor source_, pad_, slot_, columns_;
};

// Options that must agree between a checkpoint and a resumed run: all but the run's length.
nlohmann::json resumable_options(nlohmann::json params);

// What every trainer does before its first step: refuses an empty table, resolves and seeds
// the device, fits the transformer from ctx.seed (so a resumed run rebuilds the same data) and
// transforms the table. x is the (rows x dim) float matrix on the host.
struct TrainingData {
  torch::Device device{torch::kCPU};
  torch::Tensor x;
  nlohmann::json seen;  // seen_levels of the table
  torch::Tensor proxy;  // prepare_training_dp: the proxy rows, transformed (released data only)
};
TrainingData prepare_training(const Table& table, const Schema& schema, const Context& ctx, const std::string& device,
                              const TransformerParams& params, DataTransformer* tr);

// prepare_training for data-parallel training (rank `group.rank()` of `group.size()`): rank 0
// fits the transformer and hands it, with its random stream, to the others, so that every
// process encodes every row with the draws one process makes (rows are encoded whole, then
// each process keeps its shard: the rows r with r % size == rank, at local index r / size).
TrainingData prepare_training_distributed(const Table& table, const Schema& schema, const Context& ctx,
                                          const std::string& device, const TransformerParams& params,
                                          DataTransformer* tr, nn::ProcessGroup& group);

// prepare_training under differential privacy (DpParams): the transformer never sees the rows.
// Every learned column's histogram (a numeric column: dp.bins equal-width bins between the
// schema's min and max; a categorical one: the schema's labels; each with a missing cell) is
// released with Gaussian noise of standard deviation sqrt(columns / (2 rho)) (L2 sensitivity
// sqrt(columns): a row adds one count per column), i.e. rho-zCDP. A column keeps a missing slot
// when its noisy missing count exceeds 3 standard deviations; elsewhere a row's missing value is
// replaced by a draw from the column's noisy histogram before encoding. The transformer is
// fitted on a proxy table of kDpProxyRows (+ 1) rows drawn from the noisy histograms, column by
// column, then transforms the real rows. `seen` lists every schema label. InvalidInput for a
// numeric column without finite bounds in the schema.
struct DpRelease {
  double rho = 0;      // zCDP spent
  double stddev = 0;   // of each count's noise
  int64_t columns = 0; // histograms released
};
constexpr int64_t kDpProxyRows = 4000;
TrainingData prepare_training_dp(const Table& table, const Schema& schema, const Context& ctx, const std::string& device,
                                 const TransformerParams& params, int bins, double rho, DataTransformer* tr,
                                 DpRelease* release);

// DP-SGD's plan for n rows (DpParams): Poisson sampling at rate q = min(batch, n) / n,
// ceil(n / batch) batches per epoch with `updates_per_batch` private updates each, the
// transformer's share of the budget as zCDP, and the noise multiplier (calibrated, or the
// given one checked). InvalidInput, naming `synth`, when delta >= 1 / n or when the run would
// spend more than epsilon.
struct DpPlan {
  double q = 0, sigma = 0, rho_transformer = 0;
  int64_t batch = 0, steps_per_epoch = 0, steps = 0;
  privacy::PrivacySpent spent;
};
DpPlan plan_dp_sgd(const std::string& synth, const DpParams& dp, int64_t n, int64_t batch_size, int64_t epochs,
                   int64_t updates_per_batch);

// After a DP-SGD fit: what the model records of the budget (summary "privacy": mechanism,
// epsilon spent and target, delta, order, noise multiplier, clip, sampling rate, expected batch,
// steps, the transformer's share and release), and the history cut to its epoch numbers (its
// losses were computed from the rows without noise).
nlohmann::json dp_budget(const DpPlan& plan, const DpParams& dp, const DpRelease& release);
void keep_only_epochs(nlohmann::json* history);
// The recorded budget read back from a model's state (`synth` names it in errors): an object
// whose epsilon, delta, noise multiplier, clip and sampling rate are finite and not negative.
nlohmann::json checked_budget(const nlohmann::json& budget, const std::string& synth);

// A condition resolved against the transformer: the one-hot span it fixes, the slot in it,
// and the schema level (a level folded into "other" shares the other slot, so the level is
// set on the output afterwards).
struct ConditionTarget {
  int64_t start = 0, width = 0, slot = 0;
  int32_t level = 0;
  std::string column;
};
// InvalidInput for values never seen in training.
std::vector<ConditionTarget> resolve_conditions(const DataTransformer& tr, const nlohmann::json& seen,
                                                const std::vector<Condition>& conditions);
// Sets each target's span of the (rows x dim) float tensor x to the target's one-hot.
void set_targets(torch::Tensor& x, const std::vector<ConditionTarget>& targets);
// Inverse-transforms n generated rows (n x output_dim floats) and sets the conditioned columns'
// levels exactly.
Table finish_rows(const DataTransformer& tr, const float* rows, size_t n, const std::vector<ConditionTarget>& targets,
                  uint64_t seed);
// The same in pieces: start_rows before the first chunk, inv.write(chunk, first, m) for each,
// then finish_table; byte for byte what finish_rows gives on the whole block.
DataTransformer::Inverse start_rows(const DataTransformer& tr, size_t n, uint64_t seed);
Table finish_table(DataTransformer::Inverse& inv, const std::vector<ConditionTarget>& targets);

// Training checkpoints: named modules and optimizers, the CPU generator's state, and a JSON
// header (which must carry "epoch"), in a medgen model-file container.
using NamedModules = std::vector<std::pair<std::string, torch::nn::Module*>>;
using NamedOptimizers = std::vector<std::pair<std::string, torch::optim::Optimizer*>>;
void write_checkpoint(const std::string& path, const std::string& kind, const nlohmann::json& params,
                      nlohmann::json header, const NamedModules& modules, const NamedOptimizers& optimizers);
// Loads them back into the given objects and returns the header. ModelFormat for a damaged or
// foreign file; InvalidInput when it was written with other options (resumable_options).
nlohmann::json read_checkpoint(const std::string& path, const std::string& kind, const nlohmann::json& params,
                               const NamedModules& modules, const NamedOptimizers& optimizers,
                               const torch::Device& device);

// The training loop of a neural synthesizer: epochs [first, p.epochs) after `history`, progress
// to ctx.progress, and, when `path` is set, checkpoints there by `write` every
// p.checkpoint_every epochs and on a stop signal. The caller adds its progress detail.
nn::TrainLoop neural_train_loop(const std::string& task, const TrainParams& p, int64_t first,
                                const nlohmann::json& history, const Context& ctx, const std::string& path,
                                std::function<void(int64_t done, const nlohmann::json& history)> write);

// Runs a synthesizer's load_state body: a model file is untrusted input, so a JSON error
// becomes ModelFormat("<name> state: ...") and a LibTorch error while reading the weights
// ModelFormat("<name> weights: ...").
template <class Body>
void load_model_state(const std::string& name, Body&& body) {
  try {
    body();
  } catch (const nlohmann::json::exception& e) {
    throw ModelFormat(name + " state: " + e.what());
  } catch (const c10::Error& e) {
    throw ModelFormat(name + " weights: " + e.what_without_backtrace());
  }
}

// The synthesizers of this library (plugin.cpp hands them out).
Synthesizer* make_tvae(const nlohmann::json& params);
Synthesizer* make_ctgan(const nlohmann::json& params);
Synthesizer* make_diffusion(const nlohmann::json& params);       // diffusion.cpp
Synthesizer* make_autoregressive(const nlohmann::json& params);  // autoregressive.cpp

}  // namespace medgen::tabular::nnlib
