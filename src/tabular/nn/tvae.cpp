// TVAE in LibTorch. See include/medgen/tabular/tvae.h for the model and the sampling scheme.
#include "medgen/tabular/tvae.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/privacy/accountant.h"
#include "medgen/nn/device.h"
#include "medgen/core/distributed.h"
#include "medgen/nn/distributed.h"
#include "medgen/nn/dp_sgd.h"
#include "medgen/nn/trainer.h"
#include "medgen/tabular/neural.h"
#include "common.h"
#include "load_check.h"
#include "../state_check.h"

namespace medgen::tabular {

using json = nlohmann::json;

using namespace nnlib;

namespace {

struct EncoderImpl : torch::nn::Module {
  torch::nn::Sequential body{nullptr};
  torch::nn::Linear mu{nullptr}, logvar{nullptr};
  EncoderImpl(int64_t in, const std::vector<int>& hidden, int64_t latent) {
    body = register_module("body", mlp(in, hidden));
    mu = register_module("mu", torch::nn::Linear(hidden.back(), latent));
    logvar = register_module("logvar", torch::nn::Linear(hidden.back(), latent));
  }
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    const auto h = body->forward(x);
    return {mu->forward(h), logvar->forward(h)};
  }
};
TORCH_MODULE(Encoder);

struct DecoderImpl : torch::nn::Module {
  torch::nn::Sequential body{nullptr};
  torch::nn::Linear out{nullptr};
  torch::Tensor sigma;  // per output dimension; only the scalar dimensions use it
  DecoderImpl(int64_t latent, const std::vector<int>& hidden, int64_t dim) {
    const std::vector<int> widths(hidden.rbegin(), hidden.rend());
    body = register_module("body", mlp(latent, widths));
    out = register_module("out", torch::nn::Linear(widths.back(), dim));
    sigma = register_parameter("sigma", torch::full({dim}, 0.1));
  }
  torch::Tensor forward(const torch::Tensor& z) { return out->forward(body->forward(z)); }
};
TORCH_MODULE(Decoder);

class TvaeSynthesizer : public Synthesizer {
 public:
  explicit TvaeSynthesizer(TvaeParams p) : p_(std::move(p)) {}

  std::string name() const override { return "tvae"; }
  json params() const override { return p_.to_json(); }
  void set_checkpoint(const std::string& path, bool resume) override {
    checkpoint_ = path;
    resume_ = resume;
    if (resume && path.empty()) throw InvalidInput("--resume needs a checkpoint path");
  }

  void fit(const Table& table, const Schema& schema, const Context& ctx) override;
  Table sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const override;
  void save_state(json* state, std::string* payload) const override;
  void load_state(const json& state, const std::string& payload) override;
  json summary() const override {
    json s{{"epochs_trained", history_.size()}, {"output_dim", transformer_.output_dim()}, {"history", history_}};
    if (!budget_.is_null()) s["privacy"] = budget_;
    if (!parallel_.is_null()) s["data_parallel"] = parallel_;
    return s;
  }

 private:
  void build(int64_t dim) {
    encoder_ = Encoder(dim, p_.hidden, p_.latent_dim);
    decoder_ = Decoder(p_.latent_dim, p_.hidden, dim);
  }
  // Reconstruction term (summed over the batch) for decoder output `out` and data `x`.
  torch::Tensor reconstruction(const torch::Tensor& out, const torch::Tensor& x) const;
  // The same per row (rows), with sigma given per row (rows x dim): DP-SGD's per-example losses.
  torch::Tensor reconstruction_rows(const torch::Tensor& out, const torch::Tensor& x, const torch::Tensor& sigma_rows) const;
  void write_checkpoint(int64_t epoch, const json& history, torch::optim::Adam& opt) const;
  int read_checkpoint(torch::optim::Adam& opt, const torch::Device& dev);

  TvaeParams p_;
  DataTransformer transformer_;
  // mutable: LibTorch's forward() and eval() are not const, sampling is.
  mutable Encoder encoder_{nullptr};
  mutable Decoder decoder_{nullptr};
  json history_ = json::array();
  json seen_levels_ = json::object();  // column -> values present in the training data
  json budget_;                        // DP-SGD: what was spent (null without differential privacy)
  json parallel_;                      // data-parallel training: processes and rows (null alone)
  std::string checkpoint_;
  bool resume_ = false;
  // Spans split for the loss: scalar dimensions, and softmax spans as (start, width).
  torch::Tensor scalar_idx_;
  std::vector<std::pair<int64_t, int64_t>> softmax_spans_;
};

torch::Tensor TvaeSynthesizer::reconstruction(const torch::Tensor& out, const torch::Tensor& x) const {
  const int64_t batch = x.size(0);
  torch::Tensor loss = torch::zeros({}, out.options());
  if (scalar_idx_.numel() > 0) {
    const auto sig = decoder_->sigma.index_select(0, scalar_idx_);
    const auto diff = x.index_select(1, scalar_idx_) - torch::tanh(out.index_select(1, scalar_idx_));
    loss = loss + (diff * diff / (2 * sig * sig)).sum() + batch * torch::log(sig).sum();
  }
  for (const auto& [start, width] : softmax_spans_) {
    const auto target = x.narrow(1, start, width).argmax(1);
    loss = loss + torch::nn::functional::cross_entropy(
                      out.narrow(1, start, width), target,
                      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }
  return loss;
}

torch::Tensor TvaeSynthesizer::reconstruction_rows(const torch::Tensor& out, const torch::Tensor& x,
                                                  const torch::Tensor& sigma_rows) const {
  torch::Tensor loss = torch::zeros({x.size(0)}, out.options());
  if (scalar_idx_.numel() > 0) {
    const auto sig = sigma_rows.index_select(1, scalar_idx_);
    const auto diff = x.index_select(1, scalar_idx_) - torch::tanh(out.index_select(1, scalar_idx_));
    loss = loss + (diff * diff / (2 * sig * sig) + torch::log(sig)).sum(1);
  }
  for (const auto& [start, width] : softmax_spans_) {
    const auto target = x.narrow(1, start, width).argmax(1);
    loss = loss + torch::nn::functional::cross_entropy(
                      out.narrow(1, start, width), target,
                      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  }
  return loss;
}

void TvaeSynthesizer::write_checkpoint(int64_t epoch, const json& history, torch::optim::Adam& opt) const {
  nnlib::write_checkpoint(checkpoint_, "tvae", p_.to_json(),
                          json{{"epoch", epoch}, {"history", history}, {"seen_levels", seen_levels_}},
                          {{"encoder", encoder_.ptr().get()}, {"decoder", decoder_.ptr().get()}}, {{"optimizer", &opt}});
}

int TvaeSynthesizer::read_checkpoint(torch::optim::Adam& opt, const torch::Device& dev) {
  const json h = nnlib::read_checkpoint(checkpoint_, "tvae", p_.to_json(),
                                        {{"encoder", encoder_.ptr().get()}, {"decoder", decoder_.ptr().get()}},
                                        {{"optimizer", &opt}}, dev);
  history_ = h.at("history");
  seen_levels_ = h.at("seen_levels");
  return h.at("epoch").get<int>();
}

void TvaeSynthesizer::fit(const Table& table, const Schema& schema, const Context& ctx) {
  schema_ = schema;
  const DpParams& dp = p_.dp;
  DpPlan plan;
  DpRelease release;
  budget_ = json();
  parallel_ = json();
  TrainingData td;
  const DistributedConfig& dist = distributed();
  std::unique_ptr<nn::ProcessGroup> group;
  if (dist.enabled()) {
    if (dp.enabled())
      throw InvalidInput("tvae: data-parallel training (--world-size) cannot be combined with differential privacy yet");
    if (resume_) throw InvalidInput("tvae: --resume cannot continue a data-parallel run; fit again");
    group = std::make_unique<nn::ProcessGroup>(dist);
    td = prepare_training_distributed(table, schema, ctx, p_.train.device, p_.transformer, &transformer_, *group);
    parallel_ = json{{"world_size", group->size()}, {"backend", "gloo"}, {"rank0_rows", td.x.size(0)}};
  } else if (dp.enabled()) {
    if (resume_)
      throw InvalidInput("tvae: --resume cannot continue a differentially private run (its budget is planned for one run); fit again");
    plan = plan_dp_sgd("tvae", dp, static_cast<int64_t>(table.num_rows()), p_.train.batch_size, p_.train.epochs, 1);
    td = prepare_training_dp(table, schema, ctx, p_.train.device, p_.transformer, dp.bins, plan.rho_transformer,
                             &transformer_, &release);
  } else {
    td = prepare_training(table, schema, ctx, p_.train.device, p_.transformer, &transformer_);
  }
  const torch::Device dev = td.device;
  // n: the table's rows (every process's, when data-parallel); td.x holds this process's shard.
  const int64_t n = static_cast<int64_t>(table.num_rows()), dim = td.x.size(1);
  warnings_ = transformer_.warnings();
  seen_levels_ = td.seen;
  std::vector<int64_t> scalars;
  softmax_spans_.clear();
  index_spans(transformer_, &scalars, &softmax_spans_);
  scalar_idx_ = torch::tensor(scalars, torch::kLong).to(dev);

  build(dim);
  encoder_->to(dev);
  decoder_->to(dev);
  std::vector<torch::Tensor> params = encoder_->parameters();
  for (auto& t : decoder_->parameters()) params.push_back(t);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(p_.train.lr).weight_decay(p_.train.weight_decay));

  int start_epoch = 0;
  history_ = json::array();
  if (resume_) start_epoch = read_checkpoint(opt, dev);
  if (group) group->broadcast(params);  // the same start everywhere (the same seed gives it too)

  const torch::Tensor x_all = td.x.to(dev);
  const int64_t batch = std::min<int64_t>(p_.train.batch_size, n);
  nn::TrainLoop loop = neural_train_loop("training tvae", p_.train, start_epoch, history_, ctx, checkpoint_,
                                         [&](int64_t done, const json& history) {
                                           if (!group || group->rank() == 0) write_checkpoint(done, history, opt);
                                         });
  loop.detail = [&](const nn::Losses& l, double secs) {
    char detail[160];
    std::snprintf(detail, sizeof detail, "recon %.3f kl %.3f %.0f rows/s", l[0].second, l[1].second,
                  secs > 0 ? n / secs : 0.0);
    return std::string(detail);
  };
  nn::Trainer trainer(std::move(loop));
  encoder_->train();
  decoder_->train();
  trainer.run([&](int64_t epoch, bool) -> nn::Losses {
    if (dp.enabled()) {
      // DP-SGD: Poisson-sampled batches, each row's gradient clipped, Gaussian noise on the sum.
      torch::Tensor rec_sum = torch::zeros({}, x_all.options()), kl_sum = torch::zeros({}, x_all.options());
      int64_t rows_seen = 0;
      for (int64_t s = 0; s < plan.steps_per_epoch; ++s) {
        trainer.stop_point(epoch);
        const auto idx = nn::poisson_sample(n, plan.q).to(dev);
        const int64_t rows = idx.size(0);
        if (rows > 0) {
          const auto x = x_all.index_select(0, idx);
          nn::PerExampleGrads tape(rows);
          const auto h = tape.sequential(encoder_->body, x);
          const auto mu = tape.linear(*encoder_->mu, h);
          const auto logvar = tape.linear(*encoder_->logvar, h);
          const auto z = mu + torch::randn_like(mu) * torch::exp(0.5 * logvar);
          const auto out = tape.linear(*decoder_->out, tape.sequential(decoder_->body, z));
          const auto rec = reconstruction_rows(out, x, tape.per_example(decoder_->sigma));
          const auto kl = -0.5 * (1 + logvar - mu * mu - torch::exp(logvar)).sum(1);
          MEDGEN_ASSERT(tape.parameters().size() == params.size());  // every weight's gradient is clipped
          tape.clip_and_sum(p_.loss_factor * rec + kl, dp.clip);
          rec_sum += rec.detach().sum();
          kl_sum += kl.detach().sum();
          rows_seen += rows;
        } else {
          for (auto& t : params) t.mutable_grad() = torch::zeros_like(t);
        }
        nn::add_noise(params, plan.sigma, dp.clip, static_cast<double>(plan.batch));
        opt.step();
        torch::NoGradGuard guard;
        decoder_->sigma.clamp_(0.01, 1.0);
      }
      const double m = std::max<double>(1, static_cast<double>(rows_seen));
      const double rec_per_row = rec_sum.item<double>() / m, kl_per_row = kl_sum.item<double>() / m;
      return {{"reconstruction", rec_per_row}, {"kl", kl_per_row}, {"elbo", -(rec_per_row + kl_per_row)}};
    }
    const auto perm = torch::randperm(n, torch::kLong).to(dev);
    torch::Tensor rec_sum = torch::zeros({}, x_all.options()), kl_sum = torch::zeros({}, x_all.options());
    if (group) {
      // Data-parallel: every process walks the same global batches (the same permutation and
      // noise draws as one process), computes the loss of the batch's rows it holds, and the
      // gradients are summed over the processes before the (identical) optimizer steps.
      const int64_t world = group->size(), rank = group->rank();
      for (int64_t b = 0; b < n; b += batch) {
        trainer.stop_point(epoch);
        const int64_t len = std::min(batch, n - b);
        const auto idx = perm.narrow(0, b, len);
        const auto noise = torch::randn({len, static_cast<int64_t>(p_.latent_dim)}, x_all.options());
        const auto mine = (idx.remainder(world) == rank).nonzero().view({-1});
        const auto x = x_all.index_select(0, idx.index_select(0, mine).div(world, "floor"));
        auto [mu, logvar] = encoder_->forward(x);
        const auto z = mu + noise.index_select(0, mine) * torch::exp(0.5 * logvar);
        const auto out = decoder_->forward(z);
        const auto rec = reconstruction(out, x);
        const auto kl = -0.5 * (1 + logvar - mu * mu - torch::exp(logvar)).sum();
        const auto loss = (p_.loss_factor * rec + kl) / static_cast<double>(len);
        opt.zero_grad();
        loss.backward();
        std::vector<torch::Tensor> grads;
        for (auto& t : params) {
          if (!t.grad().defined()) t.mutable_grad() = torch::zeros_like(t);
          grads.push_back(t.grad());
        }
        group->all_reduce_sum(grads);
        opt.step();
        {
          torch::NoGradGuard guard;
          decoder_->sigma.clamp_(0.01, 1.0);
        }
        rec_sum += rec.detach();
        kl_sum += kl.detach();
      }
      group->all_reduce_sum({rec_sum, kl_sum});
      const double rec_per_row = rec_sum.item<double>() / n, kl_per_row = kl_sum.item<double>() / n;
      return {{"reconstruction", rec_per_row}, {"kl", kl_per_row}, {"elbo", -(rec_per_row + kl_per_row)}};
    }
    for (int64_t b = 0; b < n; b += batch) {
      trainer.stop_point(epoch);
      const auto idx = perm.narrow(0, b, std::min(batch, n - b));
      const auto x = x_all.index_select(0, idx);
      auto [mu, logvar] = encoder_->forward(x);
      const auto z = mu + torch::randn_like(mu) * torch::exp(0.5 * logvar);
      const auto out = decoder_->forward(z);
      const auto rec = reconstruction(out, x);
      const auto kl = -0.5 * (1 + logvar - mu * mu - torch::exp(logvar)).sum();
      const auto loss = (p_.loss_factor * rec + kl) / x.size(0);
      opt.zero_grad();
      loss.backward();
      opt.step();
      {
        torch::NoGradGuard guard;
        decoder_->sigma.clamp_(0.01, 1.0);
      }
      rec_sum += rec.detach();
      kl_sum += kl.detach();
    }
    // One host synchronisation per epoch: the epoch's loss terms.
    const double rec_per_row = rec_sum.item<double>() / n, kl_per_row = kl_sum.item<double>() / n;
    // No timings in the history: the model file must not depend on the machine's speed.
    return {{"reconstruction", rec_per_row}, {"kl", kl_per_row}, {"elbo", -(rec_per_row + kl_per_row)}};
  });
  history_ = trainer.history();
  if (dp.enabled()) {
    keep_only_epochs(&history_);
    budget_ = dp_budget(plan, dp, release);
  }
  encoder_->to(torch::kCPU);
  decoder_->to(torch::kCPU);
  scalar_idx_ = scalar_idx_.cpu();
  if (p_.train.privacy == "coarse") {
    transformer_.coarsen();
    schema_ = transformer_.schema();
  }
}

Table TvaeSynthesizer::sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const {
  check_request(n, conditions);
  if (!decoder_) throw InvalidInput("tvae: the model is not trained");
  torch::NoGradGuard no_grad;
  decoder_->eval();
  Context tctx = ctx;
  tctx.device = Device::kCpu;
  nn::init_torch(tctx);
  const std::vector<ConditionTarget> targets = resolve_conditions(transformer_, seen_levels_, conditions);
  const int64_t dim = static_cast<int64_t>(transformer_.output_dim());
  const int64_t total = static_cast<int64_t>(n);
  const int64_t chunk = 1024;  // small buffers stay in the allocator's arena
  // Each chunk goes into rows while it is still in cache (no n x dim block of floats).
  DataTransformer::Inverse inv = start_rows(transformer_, n, ctx.seed);
  std::vector<float> rows_chunk(static_cast<size_t>(std::min(chunk, total) * dim));
  std::vector<int64_t> scalars(scalar_idx_.data_ptr<int64_t>(), scalar_idx_.data_ptr<int64_t>() + scalar_idx_.numel());
  const torch::Tensor sigma = decoder_->sigma.detach().to(torch::kFloat).contiguous();
  Rng rng(ctx.seed ^ 0x7A3E5D1C0B9F8E27ULL);
  for (int64_t done = 0; done < total; done += chunk) {
    const int64_t m = std::min(chunk, total - done);
    torch::Tensor out;
    if (targets.empty()) {
      out = decoder_->forward(torch::randn({m, p_.latent_dim}));
    } else {
      // Importance resampling of z by prod_i p(c_i | z).
      const int64_t proposals = m * p_.proposals_per_row;
      const auto z = torch::randn({proposals, p_.latent_dim});
      const auto o = decoder_->forward(z);
      auto logw = torch::zeros({proposals});
      for (const ConditionTarget& t : targets)
        logw += torch::log_softmax(o.narrow(1, t.start, t.width), 1).select(1, t.slot);
      const auto w = torch::exp(logw - logw.max());
      if (!(w.sum().item<double>() > 0))
        throw InvalidInput("--condition: the model gives this combination of values (numerically) zero probability");
      out = o.index_select(0, torch::multinomial(w, m, /*replacement=*/true));
    }
    out = out.contiguous();
    float* dst = rows_chunk.data();
    draw_rows(out.data_ptr<float>(), m, dim, scalars, sigma.data_ptr<float>(), softmax_spans_, rng, dst);
    if (!targets.empty()) {
      auto x = torch::from_blob(dst, {m, dim}, torch::kFloat);
      set_targets(x, targets);
    }
    inv.write(dst, static_cast<size_t>(done), static_cast<size_t>(m));
  }
  return finish_table(inv, targets);
}

void TvaeSynthesizer::save_state(json* state, std::string* payload) const {
  torch::serialize::OutputArchive root, enc, dec;
  encoder_->save(enc);
  decoder_->save(dec);
  root.write("encoder", enc);
  root.write("decoder", dec);
  *payload = archive_bytes(root);
  *state = json{{"transformer", transformer_.to_json()}, {"history", history_}, {"seen_levels", seen_levels_},
                {"warnings", warnings_}};
  if (!budget_.is_null()) (*state)["privacy"] = budget_;
  if (!parallel_.is_null()) (*state)["data_parallel"] = parallel_;
}

void TvaeSynthesizer::load_state(const json& state, const std::string& payload) {
  load_model_state("tvae", [&] {
    transformer_ = DataTransformer::from_json(state.at("transformer"));
    check_same_schema(transformer_, schema_);
    history_ = checked_history(state.at("history"));
    seen_levels_ = checked_seen_levels(state.at("seen_levels"), schema_);
    warnings_ = state.contains("warnings") ? tabular::state::string_array(state["warnings"], "tvae state: warnings")
                                           : std::vector<std::string>{};
    parallel_ = json();
    if (state.contains("data_parallel")) {
      namespace st = tabular::state;
      const json& d = st::object(state["data_parallel"], "tvae state: data_parallel");
      if (!(st::finite(st::member(d, "world_size", "tvae state: data_parallel"), "tvae state: data_parallel.world_size") >= 2))
        st::fail("tvae state: data_parallel.world_size: below 2");
      parallel_ = d;
    }
    budget_ = json();
    if (state.contains("privacy")) budget_ = checked_budget(state["privacy"], "tvae");
    std::vector<int64_t> scalars;
    softmax_spans_.clear();
    index_spans(transformer_, &scalars, &softmax_spans_);
    scalar_idx_ = torch::tensor(scalars, torch::kLong);
    build(static_cast<int64_t>(transformer_.output_dim()));
    torch::serialize::InputArchive root, enc, dec;
    load_archive(root, payload, torch::kCPU);
    root.read("encoder", enc);
    root.read("decoder", dec);
    load_checked(*encoder_, enc, "tvae encoder");
    load_checked(*decoder_, dec, "tvae decoder");
  });
}

}  // namespace

Synthesizer* nnlib::make_tvae(const json& params) { return new TvaeSynthesizer(TvaeParams::from_json(params)); }

}  // namespace medgen::tabular

