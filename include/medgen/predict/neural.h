// A neural survival model in the manner of DeepSurv (Katzman et al., BMC Med Res Methodol 2018):
// a multilayer perceptron whose single output is a log-risk f(x), trained by minimising the
// negative Cox partial log-likelihood (Breslow's or Efron's handling of tied times) with Adam,
// L2 weight decay, dropout and early stopping on an internal validation split. The network lives
// in the LibTorch plugin libmedgen_predict_nn.so (src/predict/nn/), loaded on first use, so that
// commands which use no network never load LibTorch; this header is free of torch.
//
// Explanations (baseline Shapley values, Sundararajan & Najmi 2020): the game is
// v(S) = f(x_S, r_rest) with r the mean training patient, so the contributions add up exactly to
// f(x) - f(r). Exact (every subset, 2^p evaluations per row) for p <= kExactShapleyMax features,
// otherwise estimated from kShapleyPermutations random permutations per row (Castro et al. 2009;
// each permutation's marginal contributions telescope, so the sum is still exact, the split
// between features is an estimate).
//
// CPU only, double precision, one LibTorch thread (the network is small; bit-for-bit reproducible).
// Thread safety: fitting reseeds LibTorch's global generator and sets its thread count; fit one
// model at a time. A fitted model's log_risk is const and may be called from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace medgen::predict {

struct NeuralParams {
  std::vector<int> hidden = {32, 32};  // widths of the hidden layers (ReLU, then dropout)
  double dropout = 0.1;                // dropout probability after every hidden layer
  double weight_decay = 1e-3;          // L2 penalty on the weights (Adam's coupled weight decay)
  double lr = 1e-3;                    // Adam's learning rate
  int epochs = 500;                    // most passes over the training rows
  int batch = 0;                       // rows per mini-batch (0 = the whole training part at once)
  std::string ties = "efron";          // breslow | efron
  double validation = 0.2;             // share of rows held out (stratified by event) for early stopping
  int patience = 50;                   // stop after this many epochs without a better validation loss

  nlohmann::json to_json() const;
  static NeuralParams from_json(const nlohmann::json& j);  // unknown keys are errors listing the valid ones
  void validate() const;                                   // InvalidInput naming the parameter
};

// What training did: epochs run, the epoch whose weights were kept, and the losses there.
struct NeuralTrainingLog {
  int epochs_run = 0;
  int best_epoch = 0;
  double train_loss = 0, validation_loss = 0;  // negative partial log-likelihood per event
  nlohmann::json to_json() const;
};

class NeuralSurvival {
 public:
  virtual ~NeuralSurvival() = default;
  // x: n x p row-major, no NaN; time > 0; event 0/1 with at least one event. Inputs are
  // standardised with their training means and standard deviations (kept in the state).
  virtual void fit(const std::vector<double>& x, size_t n, size_t p, const std::vector<double>& time,
                   const std::vector<int>& event, const NeuralParams& params, uint64_t seed) = 0;
  // f(x) for n rows (evaluation mode: no dropout).
  virtual std::vector<double> log_risk(const std::vector<double>& x, size_t n) const = 0;
  // Weights and normalisation as JSON (shapes and values); load_state checks every field against
  // `params` and p (untrusted input) and throws InvalidInput naming `where`.
  virtual nlohmann::json state() const = 0;
  virtual void load_state(const nlohmann::json& j, const NeuralParams& params, size_t p, const std::string& where) = 0;
  virtual NeuralTrainingLog log() const = 0;
  // The training loss for given log-risks eta (one per row): the negative Cox partial
  // log-likelihood divided by the number of events, Efron's or Breslow's. For tests against
  // fit_cox's log-likelihood.
  virtual double partial_likelihood_loss(const std::vector<double>& eta, const std::vector<double>& time,
                                         const std::vector<int>& event, bool efron) const = 0;
};

// A new, unfitted network (loads libmedgen_predict_nn.so on first use; InvalidInput when it
// cannot be loaded).
std::shared_ptr<NeuralSurvival> create_neural_survival();

constexpr size_t kExactShapleyMax = 10;
constexpr int kShapleyPermutations = 64;

// Baseline Shapley values of `f` (a batch function: m rows of width p -> m values) for the n
// rows of x against the reference r: n x (p + 1), the last column 0; row i sums to
// f(x_i) - f(r), where those two values are taken from `fx` and `fr`. Permutations (p >
// kExactShapleyMax) are drawn from `seed`.
std::vector<double> baseline_shapley(const std::function<std::vector<double>(const std::vector<double>&, size_t)>& f,
                                     const std::vector<double>& x, size_t n, size_t p, const std::vector<double>& r,
                                     const std::vector<double>& fx, double fr, uint64_t seed);

}  // namespace medgen::predict
