// The DeepSurv-style network of medgen/predict/neural.h, and the plugin's entry point (looked up
// with dlsym by create_neural_survival, src/predict/neural.cpp).
//
// Written from Katzman et al. 2018 (the loss is the negative Cox partial log-likelihood of the
// network's output) and Efron 1977 (tied times). The network runs in double precision: it is
// small, and explanations need its outputs to agree with themselves to ~1e-15 whatever the batch.
// The training loop is its own rather than nn::Trainer: early stopping ends it at a point the
// Trainer does not know, and it runs inside cross-validation where a progress line per fold
// would be noise.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "medgen/core/context.h"
#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/nn/device.h"
#include "medgen/predict/neural.h"

namespace medgen::predict::nnlib {

namespace {

using json = nlohmann::json;

struct NetImpl : torch::nn::Module {
  NetImpl(size_t p, const std::vector<int>& hidden, double dropout) : dropout_(dropout) {
    int64_t in = static_cast<int64_t>(p);
    for (size_t k = 0; k < hidden.size(); ++k) {
      layers_.push_back(register_module("fc" + std::to_string(k), torch::nn::Linear(in, hidden[k])));
      in = hidden[k];
    }
    // No bias: the partial likelihood does not see a constant added to every log-risk.
    out_ = register_module("out", torch::nn::Linear(torch::nn::LinearOptions(in, 1).bias(false)));
  }
  torch::Tensor forward(torch::Tensor x) {
    for (auto& l : layers_) {
      x = torch::relu(l->forward(x));
      if (dropout_ > 0) x = torch::dropout(x, dropout_, is_training());
    }
    return out_->forward(x).squeeze(1);
  }
  std::vector<torch::nn::Linear> layers_;
  torch::nn::Linear out_{nullptr};
  double dropout_;
};
TORCH_MODULE(Net);

// Index tensors for the partial likelihood of one set of rows (positions 0..m-1 of a batch).
struct CoxIndex {
  torch::Tensor order;      // positions by time, descending: a cumulative sum along it is a risk-set sum
  torch::Tensor events;     // positions of the events
  torch::Tensor risk_end;   // per event: index into `order` of the last row with time >= the event's
  torch::Tensor group;      // per event: its distinct event time
  torch::Tensor frac;       // per event: l / d, its rank among the d events at its time (Efron)
  int64_t groups = 0, n_events = 0;
};

CoxIndex cox_index(const std::vector<double>& time, const std::vector<int>& event, const std::vector<size_t>& rows) {
  const size_t m = rows.size();
  std::vector<int64_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return time[rows[a]] > time[rows[b]]; });
  std::vector<int64_t> ev, end, grp;
  std::vector<double> frac;
  int64_t g = 0;
  for (size_t a = 0; a < m;) {
    size_t b = a;
    while (b < m && time[rows[order[b]]] == time[rows[order[a]]]) ++b;  // tie group [a, b)
    std::vector<int64_t> here;
    for (size_t k = a; k < b; ++k)
      if (event[rows[order[k]]]) here.push_back(order[k]);
    for (size_t l = 0; l < here.size(); ++l) {
      ev.push_back(here[l]);
      end.push_back(static_cast<int64_t>(b - 1));
      grp.push_back(g);
      frac.push_back(static_cast<double>(l) / here.size());
    }
    if (!here.empty()) ++g;
    a = b;
  }
  CoxIndex c;
  auto li = torch::TensorOptions().dtype(torch::kInt64);
  c.order = torch::tensor(order, li);
  c.events = torch::tensor(ev, li);
  c.risk_end = torch::tensor(end, li);
  c.group = torch::tensor(grp, li);
  c.frac = torch::tensor(frac, torch::TensorOptions().dtype(torch::kFloat64));
  c.groups = g;
  c.n_events = static_cast<int64_t>(ev.size());
  return c;
}

// Negative partial log-likelihood per event of log-risks eta (one per position).
torch::Tensor cox_loss(const torch::Tensor& eta, const CoxIndex& c, bool efron) {
  const torch::Tensor shift = eta.max().detach();
  const torch::Tensor ex = torch::exp(eta - shift);
  const torch::Tensor risk = torch::cumsum(ex.index_select(0, c.order), 0).index_select(0, c.risk_end);
  torch::Tensor den = risk;
  if (efron) {
    const torch::Tensor d = torch::zeros({c.groups}, eta.options()).index_add(0, c.group, ex.index_select(0, c.events));
    den = risk - c.frac * d.index_select(0, c.group);
  }
  const torch::Tensor ll = eta.index_select(0, c.events).sum() - (torch::log(den) + shift).sum();
  return -ll / static_cast<double>(c.n_events);
}

class DeepSurv final : public NeuralSurvival {
 public:
  void fit(const std::vector<double>& x, size_t n, size_t p, const std::vector<double>& time,
           const std::vector<int>& event, const NeuralParams& params, uint64_t seed) override {
    params.validate();
    if (n == 0 || x.size() != n * p || time.size() != n || event.size() != n)
      throw InvalidInput("neural survival: rows of the wrong width");
    params_ = params;
    p_ = p;
    mean_.assign(p, 0);
    sd_.assign(p, 0);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < p; ++j) mean_[j] += x[i * p + j] / n;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < p; ++j) sd_[j] += (x[i * p + j] - mean_[j]) * (x[i * p + j] - mean_[j]) / n;
    for (double& s : sd_) s = s > 1e-24 ? std::sqrt(s) : 1.0;

    // Internal validation split, stratified by event.
    Rng rng(seed ^ 0xd1b54a32d192ed03ULL);
    std::vector<size_t> tr, va;
    for (int cls = 1; cls >= 0; --cls) {
      std::vector<size_t> idx;
      for (size_t i = 0; i < n; ++i)
        if ((event[i] != 0) == (cls == 1)) idx.push_back(i);
      for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.next() % i]);
      size_t k = static_cast<size_t>(std::lround(params.validation * idx.size()));
      if (cls == 1) {
        if (idx.size() < 2) throw InvalidInput("neural survival: needs at least 2 events (one to train on, one to validate)");
        k = std::clamp<size_t>(k, 1, idx.size() - 1);
      }
      for (size_t a = 0; a < idx.size(); ++a) (a < k ? va : tr).push_back(idx[a]);
    }
    std::sort(tr.begin(), tr.end());
    std::sort(va.begin(), va.end());

    Context ctx;
    ctx.seed = seed;
    ctx.threads = 1;
    nn::init_torch(ctx);
    net_ = Net(p, params.hidden, params.dropout);
    net_->to(torch::kFloat64);
    const torch::Tensor xall = standardised(x, n);
    const torch::Tensor xtr = xall.index_select(0, torch::tensor(std::vector<int64_t>(tr.begin(), tr.end())));
    const torch::Tensor xva = xall.index_select(0, torch::tensor(std::vector<int64_t>(va.begin(), va.end())));
    const CoxIndex cva = cox_index(time, event, va);
    const bool efron = params.ties == "efron";
    const bool full = params.batch == 0 || static_cast<size_t>(params.batch) >= tr.size();
    const CoxIndex ctr = cox_index(time, event, tr);

    torch::optim::Adam opt(net_->parameters(), torch::optim::AdamOptions(params.lr).weight_decay(params.weight_decay));
    std::vector<torch::Tensor> best;
    double best_loss = std::numeric_limits<double>::infinity();
    log_ = NeuralTrainingLog{};
    std::vector<size_t> order(tr.size());
    std::iota(order.begin(), order.end(), 0);
    for (int epoch = 1; epoch <= params.epochs; ++epoch) {
      net_->train();
      double train_sum = 0;
      int64_t train_events = 0;
      if (full) {
        opt.zero_grad();
        torch::Tensor loss = cox_loss(net_->forward(xtr), ctr, efron);
        loss.backward();
        opt.step();
        train_sum = loss.item<double>() * ctr.n_events;
        train_events = ctr.n_events;
      } else {
        for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
        for (size_t a = 0; a < order.size(); a += params.batch) {
          const size_t b = std::min(order.size(), a + params.batch);
          std::vector<size_t> rows;
          std::vector<int64_t> pos;
          for (size_t k = a; k < b; ++k) rows.push_back(tr[order[k]]), pos.push_back(static_cast<int64_t>(order[k]));
          const CoxIndex cb = cox_index(time, event, rows);
          if (cb.n_events == 0) continue;  // a batch without events has no partial likelihood
          opt.zero_grad();
          torch::Tensor loss = cox_loss(net_->forward(xtr.index_select(0, torch::tensor(pos))), cb, efron);
          loss.backward();
          opt.step();
          train_sum += loss.item<double>() * cb.n_events;
          train_events += cb.n_events;
        }
      }
      double val;
      {
        torch::NoGradGuard ng;
        net_->eval();
        val = cox_loss(net_->forward(xva), cva, efron).item<double>();
      }
      const double train = train_events ? train_sum / train_events : 0;
      if (!std::isfinite(val) || !std::isfinite(train))
        throw InvalidInput("neural survival: the loss is not finite at epoch " + std::to_string(epoch) +
                           " (try a lower --lr or a larger --weight-decay)");
      log_.epochs_run = epoch;
      if (val < best_loss - 1e-9) {
        best_loss = val;
        log_.best_epoch = epoch;
        log_.train_loss = train;
        log_.validation_loss = val;
        best.clear();
        for (const auto& t : net_->parameters()) best.push_back(t.detach().clone());
      } else if (epoch - log_.best_epoch >= params.patience) {
        break;
      }
    }
    torch::NoGradGuard ng;
    auto ps = net_->parameters();
    for (size_t k = 0; k < ps.size() && k < best.size(); ++k) ps[k].copy_(best[k]);
    net_->eval();
  }

  std::vector<double> log_risk(const std::vector<double>& x, size_t n) const override {
    if (!net_) throw InvalidInput("neural survival: the model is not fitted");
    if (x.size() != n * p_) throw InvalidInput("neural survival: rows of the wrong width");
    torch::NoGradGuard ng;
    net_->eval();
    std::vector<double> out(n);
    if (n == 0) return out;
    const torch::Tensor f = net_->forward(standardised(x, n)).contiguous();
    std::copy(f.data_ptr<double>(), f.data_ptr<double>() + n, out.begin());
    return out;
  }

  json state() const override {
    json tensors = json::array();
    for (const auto& kv : net_->named_parameters()) {
      const torch::Tensor t = kv.value().detach().contiguous();
      tensors.push_back({{"name", kv.key()},
                         {"shape", t.sizes().vec()},
                         {"values", std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel())}});
    }
    return json{{"input_mean", mean_}, {"input_sd", sd_}, {"tensors", tensors}, {"training", log_.to_json()}};
  }

  void load_state(const json& j, const NeuralParams& params, size_t p, const std::string& where) override {
    params.validate();
    params_ = params;
    p_ = p;
    mean_ = j.at("input_mean").get<std::vector<double>>();
    sd_ = j.at("input_sd").get<std::vector<double>>();
    if (mean_.size() != p || sd_.size() != p) throw InvalidInput(where + ": neural input normalisation has the wrong width");
    for (size_t k = 0; k < p; ++k)
      if (!std::isfinite(mean_[k]) || !(sd_[k] > 0 && std::isfinite(sd_[k])))
        throw InvalidInput(where + ": neural input normalisation is not finite and positive");
    net_ = Net(p, params.hidden, params.dropout);
    net_->to(torch::kFloat64);
    const json& ts = j.at("tensors");
    auto named = net_->named_parameters();
    if (!ts.is_array() || ts.size() != named.size())
      throw InvalidInput(where + ": the network has " + std::to_string(named.size()) + " tensors, the file another number");
    torch::NoGradGuard ng;
    for (const auto& t : ts) {
      const std::string name = t.at("name").get<std::string>();
      const torch::Tensor* dst = named.find(name);
      if (!dst) throw InvalidInput(where + ": unknown network tensor '" + name + "'");
      const std::vector<int64_t> shape = t.at("shape").get<std::vector<int64_t>>();
      if (shape != dst->sizes().vec()) throw InvalidInput(where + ": network tensor '" + name + "' has the wrong shape");
      const std::vector<double> v = t.at("values").get<std::vector<double>>();
      if (static_cast<int64_t>(v.size()) != dst->numel())
        throw InvalidInput(where + ": network tensor '" + name + "' has the wrong number of values");
      for (double a : v)
        if (!std::isfinite(a)) throw InvalidInput(where + ": network tensor '" + name + "' has a value that is not finite");
      dst->copy_(torch::tensor(v, torch::TensorOptions().dtype(torch::kFloat64)).reshape(shape));
    }
    if (j.contains("training")) {
      const json& l = j["training"];
      log_.epochs_run = l.value("epochs_run", 0);
      log_.best_epoch = l.value("best_epoch", 0);
      log_.train_loss = l.value("train_loss", 0.0);
      log_.validation_loss = l.value("validation_loss", 0.0);
    }
    net_->eval();
  }

  NeuralTrainingLog log() const override { return log_; }

  double partial_likelihood_loss(const std::vector<double>& eta, const std::vector<double>& time,
                                 const std::vector<int>& event, bool efron) const override {
    std::vector<size_t> rows(eta.size());
    std::iota(rows.begin(), rows.end(), 0);
    const CoxIndex c = cox_index(time, event, rows);
    if (c.n_events == 0) throw InvalidInput("neural survival: no events");
    return cox_loss(torch::tensor(eta, torch::TensorOptions().dtype(torch::kFloat64)), c, efron).item<double>();
  }

 private:
  torch::Tensor standardised(const std::vector<double>& x, size_t n) const {
    std::vector<double> z(x.size());
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < p_; ++j) z[i * p_ + j] = (x[i * p_ + j] - mean_[j]) / sd_[j];
    return torch::tensor(z, torch::TensorOptions().dtype(torch::kFloat64))
        .reshape({static_cast<int64_t>(n), static_cast<int64_t>(p_)});
  }

  NeuralParams params_;
  size_t p_ = 0;
  std::vector<double> mean_, sd_;
  mutable Net net_{nullptr};  // eval() and forward() are not const in LibTorch
  NeuralTrainingLog log_;
};

}  // namespace

}  // namespace medgen::predict::nnlib

extern "C" medgen::predict::NeuralSurvival* medgen_predict_nn_create() { return new medgen::predict::nnlib::DeepSurv(); }
