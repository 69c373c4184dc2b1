#include "medgen/predict/neural.h"

#include <cmath>

#include "medgen/core/error.h"
#include "medgen/core/plugin.h"
#include "medgen/core/rng.h"

namespace medgen::predict {

using json = nlohmann::json;

json NeuralParams::to_json() const {
  return json{{"hidden", hidden},   {"dropout", dropout}, {"weight_decay", weight_decay},
              {"lr", lr},           {"epochs", epochs},   {"batch", batch},
              {"ties", ties},       {"validation", validation}, {"patience", patience}};
}

NeuralParams NeuralParams::from_json(const json& j) {
  NeuralParams p;
  for (const auto& [k, v] : j.items()) {
    if (k == "hidden") p.hidden = v.get<std::vector<int>>();
    else if (k == "dropout") p.dropout = v.get<double>();
    else if (k == "weight_decay") p.weight_decay = v.get<double>();
    else if (k == "lr") p.lr = v.get<double>();
    else if (k == "epochs") p.epochs = v.get<int>();
    else if (k == "batch") p.batch = v.get<int>();
    else if (k == "ties") p.ties = v.get<std::string>();
    else if (k == "validation") p.validation = v.get<double>();
    else if (k == "patience") p.patience = v.get<int>();
    else
      throw InvalidInput("neural survival: unknown parameter '" + k +
                         "' (hidden, dropout, weight_decay, lr, epochs, batch, ties, validation, patience)");
  }
  p.validate();
  return p;
}

void NeuralParams::validate() const {
  if (hidden.empty() || hidden.size() > 8) throw InvalidInput("neural survival: --hidden needs 1 to 8 layer widths");
  for (int h : hidden)
    if (h < 1 || h > 4096) throw InvalidInput("neural survival: every --hidden width must be in [1, 4096]");
  if (!(dropout >= 0 && dropout < 1)) throw InvalidInput("neural survival: --dropout must be in [0, 1)");
  if (!(weight_decay >= 0 && weight_decay < 10)) throw InvalidInput("neural survival: --weight-decay must be in [0, 10)");
  if (!(lr > 0 && lr <= 1)) throw InvalidInput("neural survival: --lr must be in (0, 1]");
  if (epochs < 1 || epochs > 100000) throw InvalidInput("neural survival: --epochs must be in [1, 100000]");
  if (batch < 0 || batch == 1 || batch > 10000000) throw InvalidInput("neural survival: --batch must be 0 (full batch) or >= 2");
  if (ties != "breslow" && ties != "efron") throw InvalidInput("neural survival: --ties must be breslow or efron, got '" + ties + "'");
  if (!(validation > 0 && validation <= 0.5)) throw InvalidInput("neural survival: --val-share must be in (0, 0.5]");
  if (patience < 1 || patience > 100000) throw InvalidInput("neural survival: --patience must be in [1, 100000]");
}

json NeuralTrainingLog::to_json() const {
  return json{{"epochs_run", epochs_run}, {"best_epoch", best_epoch}, {"train_loss", train_loss},
              {"validation_loss", validation_loss}};
}

std::shared_ptr<NeuralSurvival> create_neural_survival() {
  using CreateFn = NeuralSurvival* (*)();
  static CreateFn fn = reinterpret_cast<CreateFn>(
      load_plugin_symbol("libmedgen_predict_nn.so", "medgen_predict_nn_create", "the neural survival model"));
  return std::shared_ptr<NeuralSurvival>(fn());
}

std::vector<double> baseline_shapley(const std::function<std::vector<double>(const std::vector<double>&, size_t)>& f,
                                     const std::vector<double>& x, size_t n, size_t p, const std::vector<double>& r,
                                     const std::vector<double>& fx, double fr, uint64_t seed) {
  std::vector<double> out(n * (p + 1), 0.0);
  if (p == 0) return out;
  if (p <= kExactShapleyMax) {
    const size_t masks = size_t{1} << p;
    // w[s] = s! (p - s - 1)! / p!: the weight of a coalition of size s joined by one more feature.
    std::vector<double> w(p);
    for (size_t s = 0; s < p; ++s)
      w[s] = std::exp(std::lgamma(s + 1.0) + std::lgamma(static_cast<double>(p - s)) - std::lgamma(p + 1.0));
    std::vector<double> z(masks * p);
    for (size_t i = 0; i < n; ++i) {
      for (size_t m = 0; m < masks; ++m)
        for (size_t j = 0; j < p; ++j) z[m * p + j] = (m >> j) & 1 ? x[i * p + j] : r[j];
      std::vector<double> v = f(z, masks);
      // The empty and full coalitions take the caller's values, so that each row adds up to
      // fx[i] - fr however the batch was evaluated.
      v[0] = fr;
      v[masks - 1] = fx[i];
      for (size_t m = 0; m < masks; ++m) {
        const size_t s = static_cast<size_t>(__builtin_popcountll(m));
        for (size_t j = 0; j < p; ++j)
          if (!((m >> j) & 1)) out[i * (p + 1) + j] += w[s] * (v[m | (size_t{1} << j)] - v[m]);
      }
    }
    return out;
  }
  Rng rng(seed);
  const size_t P = kShapleyPermutations;
  std::vector<double> z(P * (p + 1) * p);
  std::vector<size_t> perm(p);
  std::vector<std::vector<size_t>> perms(P);
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < P; ++k) {
      for (size_t j = 0; j < p; ++j) perm[j] = j;
      for (size_t j = p; j > 1; --j) std::swap(perm[j - 1], perm[rng.next() % j]);
      perms[k] = perm;
      // Row t of this permutation: the first t features of the order set to x, the rest to r.
      for (size_t t = 0; t <= p; ++t) {
        double* row = &z[(k * (p + 1) + t) * p];
        for (size_t j = 0; j < p; ++j) row[j] = r[j];
        for (size_t u = 0; u < t; ++u) row[perm[u]] = x[i * p + perm[u]];
      }
    }
    std::vector<double> v = f(z, P * (p + 1));
    for (size_t k = 0; k < P; ++k) {
      v[k * (p + 1)] = fr;
      v[k * (p + 1) + p] = fx[i];
      for (size_t t = 0; t < p; ++t)
        out[i * (p + 1) + perms[k][t]] += (v[k * (p + 1) + t + 1] - v[k * (p + 1) + t]) / P;
    }
  }
  return out;
}

}  // namespace medgen::predict
