// The autoregressive synthesizer in LibTorch. See include/medgen/tabular/autoregressive.h for
// the model, the training objective and the sampling scheme; autoregressive_encoding.h for the
// tokens.
#include "medgen/tabular/autoregressive.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "medgen/core/error.h"
#include "medgen/nn/device.h"
#include "medgen/nn/trainer.h"
#include "medgen/tabular/neural.h"
#include "medgen/tabular/param_table.h"
#include "autoregressive_encoding.h"
#include "common.h"
#include "load_check.h"
#include "../state_check.h"

namespace medgen::tabular {

using json = nlohmann::json;

using namespace nnlib;

namespace {

// Rows per forward pass when sampling and imputing: small enough that the activations stay in
// the allocator's arena (larger chunks paid page faults for every fresh buffer).
constexpr int64_t kChunk = 1024;

// Validation rows at least (fewer: no early stopping), and at most a quarter of the table.
constexpr int64_t kMinValidation = 32;
// Orders drawn per validation row: enough for about this many (row, order) draws in all.
constexpr int64_t kValidationDraws = 2000;

// Thrown by the training step to end training early (caught in fit).
struct EarlyStop {};

struct ArParams {
  json resolved;  // every option, defaults filled in (what params() returns)
  TrainParams train;
  int max_categories = 100;
  int bins = 64;
  std::vector<int> hidden;
  double fixed_order_share = 0.5;
  double validation_share = 0.1;
  int patience = 20;

  // Names, defaults and ranges: src/tabular/params_autoregressive.cpp.
  static ArParams from_json(const json& j) {
    ArParams p;
    p.resolved = resolve_params("autoregressive", j);
    const json& r = p.resolved;
    p.train.epochs = r["epochs"].get<int>();
    p.train.batch_size = r["batch_size"].get<int>();
    p.train.lr = r["lr"].get<double>();
    p.train.weight_decay = r["weight_decay"].get<double>();
    p.train.checkpoint_every = r["checkpoint_every"].get<int>();
    p.train.device = r["device"].get<std::string>();
    p.train.privacy = r["privacy"].get<std::string>();
    p.max_categories = r["max_categories"].get<int>();
    p.bins = r["bins"].get<int>();
    p.hidden = r["hidden"].get<std::vector<int>>();
    p.fixed_order_share = r["fixed_order_share"].get<double>();
    p.validation_share = r["validation_share"].get<double>();
    p.patience = r["patience"].get<int>();
    return p;
  }
};

// First layer: a learned vector per (column, token), summed over the known columns, plus a
// bias; then ReLU layers; then one linear map to the logits of every column's tokens.
struct ArNetImpl : torch::nn::Module {
  torch::Tensor embed, bias;
  std::vector<torch::nn::Linear> body;
  torch::nn::Linear out{nullptr};
  ArNetImpl(int64_t tokens, int64_t columns, const std::vector<int>& hidden) {
    embed = register_parameter("embed", torch::randn({tokens, hidden[0]}) / std::sqrt(static_cast<double>(columns)));
    bias = register_parameter("bias", torch::zeros({hidden[0]}));
    for (size_t i = 1; i < hidden.size(); ++i)
      body.push_back(register_module("body" + std::to_string(i), torch::nn::Linear(hidden[i - 1], hidden[i])));
    out = register_module("out", torch::nn::Linear(hidden.back(), tokens));
  }
  // The last hidden layer from the first layer's pre-activation.
  torch::Tensor features(const torch::Tensor& first) {
    torch::Tensor h = torch::relu(first);
    for (auto& layer : body) h = torch::relu(layer->forward(h));
    return h;
  }
};
TORCH_MODULE(ArNet);

// Parameters the network of `tokens` tokens and these widths holds (as a double: a hostile
// header must not overflow the count).
double parameter_count(int64_t tokens, const std::vector<int>& hidden) {
  double n = static_cast<double>(tokens) * hidden[0] + hidden[0];
  for (size_t i = 1; i < hidden.size(); ++i) n += static_cast<double>(hidden[i - 1]) * hidden[i] + hidden[i];
  return n + static_cast<double>(hidden.back()) * tokens + static_cast<double>(tokens);
}

// One draw per row from the softmax of `logits` (rows x k), by inverting its CDF.
torch::Tensor draw(const torch::Tensor& logits) {
  const int64_t k = logits.size(1);
  if (k == 1) return torch::zeros({logits.size(0)}, torch::kLong);
  const torch::Tensor cum = torch::softmax(logits, 1).cumsum(1);
  const torch::Tensor u = torch::rand({logits.size(0), 1}) * cum.narrow(1, k - 1, 1);
  return (cum < u).sum(1).clamp_max(k - 1);
}

class ArSynthesizer : public Synthesizer, public Imputer {
 public:
  explicit ArSynthesizer(ArParams p) : p_(std::move(p)) {}

  std::string name() const override { return "autoregressive"; }
  json params() const override { return p_.resolved; }
  void set_checkpoint(const std::string& path, bool resume) override {
    checkpoint_ = path;
    resume_ = resume;
    if (resume && path.empty()) throw InvalidInput("--resume needs a checkpoint path");
  }

  void fit(const Table& table, const Schema& schema, const Context& ctx) override;
  Table sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const override;
  Table impute(const Table& table, const Context& ctx) const override;
  void save_state(json* state, std::string* payload) const override;
  void load_state(const json& state, const std::string& payload) override;
  json summary() const override {
    json s{{"epochs_trained", history_.size()}, {"tokens", enc_.total_tokens()}, {"history", history_}};
    if (best_epoch_ > 0) s["best_epoch"] = best_epoch_;
    return s;
  }

 private:
  void build() {
    net_ = ArNet(enc_.total_tokens(), static_cast<int64_t>(enc_.columns()), p_.hidden);
  }
  // Logits of learned column c given first-layer inputs h0 (rows x hidden[0]).
  torch::Tensor logits(const torch::Tensor& h0, size_t c) const {
    const torch::Tensor h = net_->features(h0);
    const int64_t off = enc_.offset(c), k = enc_.code(c).tokens();
    return torch::addmm(net_->out->bias.narrow(0, off, k), h, net_->out->weight.narrow(0, off, k).t());
  }
  // logits() into buffers reused across columns and chunks (`scratch` holds one per hidden
  // layer, `out` one per column): fresh activation tensors cost a page fault per page.
  const torch::Tensor& logits_into(const torch::Tensor& h0, size_t c, std::vector<torch::Tensor>& scratch,
                                   std::vector<torch::Tensor>& out) const {
    const int64_t m = h0.size(0);
    if (scratch.empty()) {
      scratch.push_back(torch::empty({m, h0.size(1)}));
      for (auto& layer : net_->body) scratch.push_back(torch::empty({m, layer->weight.size(0)}));
      out.resize(enc_.columns());
    }
    torch::clamp_min_out(scratch[0], h0, 0);
    for (size_t i = 0; i < net_->body.size(); ++i) {
      torch::addmm_out(scratch[i + 1], net_->body[i]->bias, scratch[i], net_->body[i]->weight.t());
      scratch[i + 1].relu_();
    }
    const int64_t off = enc_.offset(c), k = enc_.code(c).tokens();
    if (!out[c].defined()) out[c] = torch::empty({m, k});
    torch::addmm_out(out[c], net_->out->bias.narrow(0, off, k), scratch.back(), net_->out->weight.narrow(0, off, k).t());
    return out[c];
  }
  // Adds the first-layer vectors of column c's tokens `local` to h0's rows.
  void add_tokens(torch::Tensor& h0, size_t c, const torch::Tensor& local) const {
    h0.add_(net_->embed.index_select(0, local + enc_.offset(c)));
  }
  // The best weights so far and their validation NLL travel with the checkpoint, so that a
  // resumed run stops and ends exactly as an uninterrupted one.
  void write_checkpoint(int64_t epoch, const json& history, torch::optim::Adam& opt, ArNet& best,
                        double best_nll) const {
    nnlib::write_checkpoint(checkpoint_, "autoregressive", p_.resolved,
                            json{{"epoch", epoch},
                                 {"history", history},
                                 {"seen_levels", seen_levels_},
                                 {"best_epoch", best_epoch_},
                                 {"best_nll", best_nll}},
                            {{"net", net_.ptr().get()}, {"best", best.ptr().get()}}, {{"optimizer", &opt}});
  }
  int read_checkpoint(torch::optim::Adam& opt, const torch::Device& dev, ArNet& best, double* best_nll) {
    const json h = nnlib::read_checkpoint(checkpoint_, "autoregressive", p_.resolved,
                                          {{"net", net_.ptr().get()}, {"best", best.ptr().get()}},
                                          {{"optimizer", &opt}}, dev);
    history_ = h.at("history");
    best_epoch_ = h.at("best_epoch").get<int>();
    *best_nll = h.at("best_nll").get<double>();
    return h.at("epoch").get<int>();
  }

  ArParams p_;
  ar::Encoding enc_;
  // mutable: LibTorch's forward() is not const; sampling is.
  mutable ArNet net_{nullptr};
  json history_ = json::array();
  json seen_levels_ = json::object();
  int best_epoch_ = 0;  // the epoch whose weights were kept (early stopping); 0: the last one
  std::string checkpoint_;
  bool resume_ = false;
};

void ArSynthesizer::fit(const Table& table, const Schema& schema, const Context& ctx) {
  schema_ = schema;
  warnings_.clear();
  const int64_t n = static_cast<int64_t>(table.num_rows());
  if (n == 0) throw InvalidInput("the table has no rows to learn from");
  const torch::Device dev = resolve_device(p_.train.device);
  Context tctx = ctx;
  tctx.device = dev.is_cuda() ? Device::kCuda : Device::kCpu;
  nn::init_torch(tctx);
  enc_.fit(table, schema, p_.bins, p_.max_categories, p_.train.privacy == "coarse", &warnings_);
  seen_levels_ = seen_levels(table, schema);
  const int64_t d = static_cast<int64_t>(enc_.columns());

  std::vector<int64_t> local = enc_.encode(table, schema);
  std::vector<std::pair<int64_t, int64_t>> spans;
  std::vector<int64_t> offsets;
  for (size_t c = 0; c < enc_.columns(); ++c) {
    spans.emplace_back(enc_.offset(c), enc_.code(c).tokens());
    offsets.push_back(enc_.offset(c));
  }
  torch::Tensor local_all = torch::tensor(local, torch::kLong).view({n, d}).to(dev);
  const torch::Tensor offset_row = torch::tensor(offsets, torch::kLong).to(dev);
  const SpanBlock block(spans, dev);
  const auto fopt = torch::TensorOptions().dtype(torch::kFloat32).device(dev);
  const auto lopt = torch::TensorOptions().dtype(torch::kLong).device(dev);
  const torch::Tensor schema_order = torch::arange(d, lopt).unsqueeze(0);

  // Early stopping: a share of the rows is held out; every epoch scores them, the best weights
  // are kept and training stops after `patience` epochs without improvement. The split and the
  // validation orders are drawn once (before a checkpoint restores the generator), so the
  // score changes only with the weights.
  int64_t n_val = 0;
  if (p_.validation_share > 0) {
    n_val = std::max<int64_t>(kMinValidation, std::llround(p_.validation_share * static_cast<double>(n)));
    if (4 * n_val > n) {
      n_val = 0;
      warnings_.push_back("autoregressive: too few rows to hold out a validation share; no early stopping");
    }
  }
  torch::Tensor val_local, val_known, val_weight;
  if (n_val > 0) {
    const torch::Tensor split = torch::randperm(n, torch::kLong).to(dev);
    const int64_t draws = std::max<int64_t>(1, (kValidationDraws + n_val - 1) / n_val);
    val_local = local_all.index_select(0, split.narrow(0, 0, n_val)).repeat({draws, 1});
    local_all = local_all.index_select(0, split.narrow(0, n_val, n - n_val));
    const int64_t v = val_local.size(0);
    // The training objective's mix of orders (random ones and the sampling order): the
    // model serves conditional sampling and imputation as well as the schema-order chain.
    torch::Tensor rank = torch::rand({v, d}, fopt).argsort(int64_t{1}, false).argsort(int64_t{1}, false);
    const torch::Tensor fixed = torch::rand({v, 1}, fopt) < p_.fixed_order_share;
    rank = torch::where(fixed, schema_order.expand({v, d}), rank);
    const torch::Tensor known_count = torch::randint(0, d, {v, 1}, lopt);
    val_known = (rank < known_count).to(torch::kFloat32);
    val_weight = static_cast<double>(d) / (d - known_count.squeeze(1)).to(torch::kFloat32);
  }
  const int64_t n_train = n - n_val;
  const torch::Tensor global_all = local_all + offset_row;

  build();
  net_->to(dev);
  ArNet best(enc_.total_tokens(), d, p_.hidden);
  best->to(dev);
  double best_nll = std::numeric_limits<double>::infinity();
  best_epoch_ = 0;
  torch::optim::Adam opt(net_->parameters(),
                         torch::optim::AdamOptions(p_.train.lr).weight_decay(p_.train.weight_decay));
  int start_epoch = 0;
  history_ = json::array();
  if (resume_) start_epoch = read_checkpoint(opt, dev, best, &best_nll);

  const int64_t batch = std::min<int64_t>(p_.train.batch_size, n_train);
  // Per-row loss: D / (D - known) times the unknown columns' cross-entropy, unbiased for the
  // full negative log-likelihood under a uniformly drawn order.
  auto row_nll = [&](const torch::Tensor& global, const torch::Tensor& targets, const torch::Tensor& known,
                     const torch::Tensor& weight) {
    // The known columns' vectors summed per row in one kernel (no rows x columns x width
    // intermediate, whose allocation and gradient dominated the step).
    namespace F = torch::nn::functional;
    const torch::Tensor h0 =
        F::embedding_bag(global, net_->embed, F::EmbeddingBagFuncOptions().mode(torch::kSum).per_sample_weights(known)) +
        net_->bias;
    const torch::Tensor out = net_->out->forward(net_->features(h0));
    const torch::Tensor logp = torch::log_softmax(block.gather(out), 2);
    const torch::Tensor nll = -logp.gather(2, targets.unsqueeze(2)).squeeze(2);
    return (nll * (1 - known)).sum(1) * weight;
  };
  auto validation_nll = [&]() {
    torch::NoGradGuard no_grad;
    torch::Tensor sum = torch::zeros({}, fopt);
    const int64_t v = val_local.size(0);
    for (int64_t b = 0; b < v; b += kChunk) {
      const int64_t m = std::min(kChunk, v - b);
      const torch::Tensor t = val_local.narrow(0, b, m);
      sum += row_nll(t + offset_row, t, val_known.narrow(0, b, m), val_weight.narrow(0, b, m)).sum();
    }
    return sum.item<double>() / static_cast<double>(v);
  };
  nn::TrainLoop loop = neural_train_loop("training autoregressive", p_.train, start_epoch, history_, ctx, checkpoint_,
                                         [&](int64_t done, const json& history) { write_checkpoint(done, history, opt, best, best_nll); });
  loop.detail = [&](const nn::Losses& l, double secs) {
    char detail[160];
    if (l.size() > 1)
      std::snprintf(detail, sizeof detail, "nll %.3f val %.3f (best epoch %d) %.0f rows/s", l[0].second, l[1].second,
                    best_epoch_, secs > 0 ? static_cast<double>(n_train) / secs : 0.0);
    else
      std::snprintf(detail, sizeof detail, "nll %.3f %.0f rows/s", l[0].second,
                    secs > 0 ? static_cast<double>(n_train) / secs : 0.0);
    return std::string(detail);
  };
  nn::Trainer trainer(std::move(loop));
  net_->train();
  auto step = [&](int64_t epoch, bool) -> nn::Losses {
    if (n_val > 0 && epoch - best_epoch_ >= p_.patience) throw EarlyStop{};
    const torch::Tensor perm = torch::randperm(n_train, torch::kLong).to(dev);
    torch::Tensor nll_sum = torch::zeros({}, fopt);
    for (int64_t b = 0; b < n_train; b += batch) {
      trainer.stop_point(epoch);
      const int64_t m = std::min(batch, n_train - b);
      const torch::Tensor idx = perm.narrow(0, b, m);
      // Each row's order: a random permutation, or the sampling order for a share of rows;
      // its first `known` columns are given, the others predicted.
      torch::Tensor rank = torch::rand({m, d}, fopt).argsort(int64_t{1}, false).argsort(int64_t{1}, false);
      const torch::Tensor fixed = torch::rand({m, 1}, fopt) < p_.fixed_order_share;
      rank = torch::where(fixed, schema_order.expand({m, d}), rank);
      const torch::Tensor known_count = torch::randint(0, d, {m, 1}, lopt);
      const torch::Tensor known = (rank < known_count).to(torch::kFloat32);
      const torch::Tensor per_row =
          row_nll(global_all.index_select(0, idx), local_all.index_select(0, idx), known,
                  static_cast<double>(d) / (d - known_count.squeeze(1)).to(torch::kFloat32));
      const torch::Tensor loss = per_row.mean();
      opt.zero_grad();
      loss.backward();
      opt.step();
      nll_sum += per_row.detach().sum();
    }
    // One host synchronisation per epoch; no timings in the history (the model file must not
    // depend on the machine's speed).
    const double train_nll = nll_sum.item<double>() / static_cast<double>(n_train);
    if (n_val == 0) return {{"nll", train_nll}};
    const double val = validation_nll();
    if (val < best_nll) {
      best_nll = val;
      best_epoch_ = static_cast<int>(epoch + 1);
      torch::NoGradGuard no_grad;
      const std::vector<torch::Tensor> from = net_->parameters(), to = best->parameters();
      for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
    }
    return {{"nll", train_nll}, {"val_nll", val}};
  };
  try {
    trainer.run(step);
  } catch (const EarlyStop&) {
  }
  history_ = trainer.history();
  if (n_val > 0 && best_epoch_ > 0) {
    // The best epoch's weights are the model.
    torch::NoGradGuard no_grad;
    const std::vector<torch::Tensor> from = best->parameters(), to = net_->parameters();
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  net_->to(torch::kCPU);
  net_->eval();
  if (p_.train.privacy == "coarse") enc_.coarsen(&schema_);
}

Table ArSynthesizer::sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const {
  check_request(n, conditions);
  if (!net_) throw InvalidInput("autoregressive: the model is not trained");
  torch::NoGradGuard no_grad;
  Context tctx = ctx;
  tctx.device = Device::kCpu;
  nn::init_torch(tctx);
  const size_t d = enc_.columns();
  // Conditioned columns first (their tokens fixed), then the others in schema order.
  std::vector<int64_t> fixed(d, -1);
  std::vector<int32_t> fixed_level(d, -1);
  for (const Condition& cond : conditions) {
    check_seen(seen_levels_, cond.column, cond.value);
    const int si = schema_.find(cond.column);
    const int c = enc_.column_of(si);
    const std::vector<std::string>& values = schema_.columns[static_cast<size_t>(si)].values;
    const int32_t level = static_cast<int32_t>(std::find(values.begin(), values.end(), cond.value) - values.begin());
    const ar::ColumnCode& code = enc_.code(static_cast<size_t>(c));
    const int32_t slot = code.level_slot[static_cast<size_t>(level)];
    if (slot < 0) throw InvalidInput("--condition " + cond.column + "=" + cond.value + ": the model never saw this value in training");
    fixed[static_cast<size_t>(c)] = slot;
    fixed_level[static_cast<size_t>(c)] = level;
  }
  torch::Tensor base = net_->bias.clone();
  std::vector<size_t> order;
  for (size_t c = 0; c < d; ++c) {
    if (fixed[c] >= 0)
      base += net_->embed[enc_.offset(c) + fixed[c]];
    else
      order.push_back(c);
  }
  const int64_t total = static_cast<int64_t>(n), width0 = p_.hidden[0];
  std::vector<int64_t> tokens(n * d);
  std::vector<torch::Tensor> scratch, buffers;  // reused by every full chunk
  for (int64_t done = 0; done < total; done += kChunk) {
    const int64_t m = std::min(kChunk, total - done);
    if (m < kChunk) scratch.clear(), buffers.clear();
    torch::Tensor h0 = base.unsqueeze(0).expand({m, width0}).clone();
    torch::Tensor tok = torch::empty({m, static_cast<int64_t>(d)}, torch::kLong);
    for (size_t c = 0; c < d; ++c)
      if (fixed[c] >= 0) tok.select(1, static_cast<int64_t>(c)).fill_(fixed[c]);
    for (size_t k = 0; k < order.size(); ++k) {
      const size_t c = order[k];
      const torch::Tensor t = draw(logits_into(h0, c, scratch, buffers));
      tok.select(1, static_cast<int64_t>(c)).copy_(t);
      if (k + 1 < order.size()) add_tokens(h0, c, t);
    }
    tok = tok.contiguous();
    std::copy(tok.data_ptr<int64_t>(), tok.data_ptr<int64_t>() + m * static_cast<int64_t>(d),
              tokens.begin() + done * static_cast<int64_t>(d));
  }
  Rng rng(ctx.seed ^ 0x5DEECE66DULL);
  Table out;
  for (size_t si : output_columns(schema_)) {
    const ColumnSchema& cs = schema_.columns[si];
    if (cs.type == ColumnType::kIdentifier) {
      out.columns.push_back(synthetic_identifiers(cs, n));
      continue;
    }
    const int c = enc_.column_of(static_cast<int>(si));
    Rng col_rng = rng.split(si);
    Column col = enc_.decode(static_cast<size_t>(c), tokens.data(), d, n, schema_, col_rng);
    // A condition on a level folded into "other": that level, not another folded one.
    if (fixed_level[static_cast<size_t>(c)] >= 0) std::fill(col.codes.begin(), col.codes.end(), fixed_level[static_cast<size_t>(c)]);
    out.columns.push_back(std::move(col));
  }
  return out;
}

Table ArSynthesizer::impute(const Table& table, const Context& ctx) const {
  if (!net_) throw InvalidInput("autoregressive: the model is not trained");
  torch::NoGradGuard no_grad;
  Context tctx = ctx;
  tctx.device = Device::kCpu;
  nn::init_torch(tctx);
  std::vector<uint8_t> present;
  std::vector<int64_t> tokens = enc_.encode(table, schema_, &present);
  const int64_t n = static_cast<int64_t>(table.num_rows()), d = static_cast<int64_t>(enc_.columns());
  const int64_t width0 = p_.hidden[0];
  // filled[r * d + c]: the cell was missing and now holds a drawn token.
  std::vector<uint8_t> filled(tokens.size(), 0);
  for (int64_t r0 = 0; r0 < n; r0 += kChunk) {
    const int64_t m = std::min(kChunk, n - r0);
    torch::Tensor h0 = net_->bias.unsqueeze(0).expand({m, width0}).clone();
    std::vector<int64_t> rows, ids;
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < d; ++c) {
        const size_t i = static_cast<size_t>((r0 + r) * d + c);
        if (present[i] && tokens[i] >= 0) {
          rows.push_back(r);
          ids.push_back(enc_.offset(static_cast<size_t>(c)) + tokens[i]);
        }
      }
    if (!rows.empty())
      h0.index_add_(0, torch::tensor(rows, torch::kLong), net_->embed.index_select(0, torch::tensor(ids, torch::kLong)));
    for (int64_t c = 0; c < d; ++c) {
      const ar::ColumnCode& code = enc_.code(static_cast<size_t>(c));
      const int64_t missing = code.missing_token();
      if (code.tokens() - (missing >= 0 ? 1 : 0) < 1) continue;  // nothing but "missing" to draw
      std::vector<int64_t> need;
      for (int64_t r = 0; r < m; ++r)
        if (!present[static_cast<size_t>((r0 + r) * d + c)]) need.push_back(r);
      if (need.empty()) continue;
      const torch::Tensor idx = torch::tensor(need, torch::kLong);
      torch::Tensor lg = logits(h0.index_select(0, idx), static_cast<size_t>(c));
      if (missing >= 0) lg.select(1, missing).fill_(-std::numeric_limits<float>::infinity());
      const torch::Tensor t = draw(lg).contiguous();
      h0.index_add_(0, idx, net_->embed.index_select(0, t + enc_.offset(static_cast<size_t>(c))));
      const int64_t* tp = t.data_ptr<int64_t>();
      for (size_t k = 0; k < need.size(); ++k) {
        const size_t i = static_cast<size_t>((r0 + need[k]) * d + c);
        tokens[i] = tp[k];
        filled[i] = 1;
      }
    }
  }
  Table out = table;
  Rng rng(ctx.seed ^ 0x1D1D1D1DULL);
  for (int64_t c = 0; c < d; ++c) {
    const ar::ColumnCode& code = enc_.code(static_cast<size_t>(c));
    const ColumnSchema& cs = schema_.columns[static_cast<size_t>(code.schema_index)];
    Column& col = out.columns[static_cast<size_t>(out.find(cs.name))];
    Rng col_rng = rng.split(static_cast<uint64_t>(code.schema_index));
    std::vector<size_t> cells;
    for (int64_t r = 0; r < n; ++r)
      if (filled[static_cast<size_t>(r * d + c)]) cells.push_back(static_cast<size_t>(r));
    if (cells.empty()) continue;
    if (code.numeric) {
      Column drawn = Column::numbers(cs.name, cells.size());
      for (size_t k = 0; k < cells.size(); ++k) {
        drawn.values[k] = code.numeric_value(tokens[cells[k] * static_cast<size_t>(d) + static_cast<size_t>(c)], col_rng);
        drawn.valid[k] = 1;
      }
      apply_constraints(drawn, cs);
      for (size_t k = 0; k < cells.size(); ++k) {
        col.values[cells[k]] = drawn.values[k];
        col.valid[cells[k]] = 1;
      }
    } else {
      for (size_t r : cells) {
        const int32_t level = code.level(tokens[r * static_cast<size_t>(d) + static_cast<size_t>(c)], col_rng);
        if (level < 0) continue;
        const std::string& label = cs.values[static_cast<size_t>(level)];
        auto it = std::find(col.dictionary.begin(), col.dictionary.end(), label);
        if (it == col.dictionary.end()) it = col.dictionary.insert(col.dictionary.end(), label);
        col.codes[r] = static_cast<int32_t>(it - col.dictionary.begin());
      }
    }
  }
  return out;
}

void ArSynthesizer::save_state(json* state, std::string* payload) const {
  torch::serialize::OutputArchive root, net;
  net_->save(net);
  root.write("net", net);
  *payload = archive_bytes(root);
  *state = json{{"encoding", enc_.to_json()}, {"history", history_}, {"seen_levels", seen_levels_}, {"warnings", warnings_}};
  if (best_epoch_ > 0) (*state)["best_epoch"] = best_epoch_;
}

void ArSynthesizer::load_state(const json& state, const std::string& payload) {
  load_model_state("autoregressive", [&] {
    namespace st = tabular::state;
    enc_ = ar::Encoding::from_json(st::member(state, "encoding", "autoregressive state"), schema_, p_.bins,
                                   p_.max_categories);
    history_ = checked_history(st::member(state, "history", "autoregressive state"));
    seen_levels_ = checked_seen_levels(st::member(state, "seen_levels", "autoregressive state"), schema_);
    warnings_ = state.contains("warnings") ? st::string_array(state["warnings"], "autoregressive state: warnings")
                                           : std::vector<std::string>{};
    best_epoch_ = 0;
    if (state.contains("best_epoch")) {
      const json& b = state["best_epoch"];
      if (!b.is_number_integer() || b.get<int64_t>() < 1 || b.get<int64_t>() > static_cast<int64_t>(history_.size()))
        throw ModelFormat("autoregressive state: best_epoch must be an epoch of the history");
      best_epoch_ = b.get<int>();
    }
    // Four bytes per weight at least: a header that implies more than the payload holds is
    // refused before anything is allocated.
    if (parameter_count(enc_.total_tokens(), p_.hidden) * 4 > static_cast<double>(payload.size()))
      throw ModelFormat("autoregressive weights: the payload is smaller than the header's network");
    build();
    torch::serialize::InputArchive root, net;
    load_archive(root, payload, torch::kCPU);
    root.read("net", net);
    load_checked(*net_, net, "autoregressive network");
    net_->eval();
  });
}

}  // namespace

Synthesizer* nnlib::make_autoregressive(const json& params) {
  return new ArSynthesizer(ArParams::from_json(params));
}

}  // namespace medgen::tabular
