// CTGAN in LibTorch. See include/medgen/tabular/ctgan.h for the model.
#include "medgen/tabular/ctgan.h"

#include <torch/torch.h>

#include <cmath>
#include <numeric>

#include "common.h"
#include "load_check.h"
#include "../privacy.h"
#include "../state_check.h"
#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/nn/cuda_graph.h"
#include "medgen/nn/device.h"
#include "medgen/nn/device_adam.h"
#include "medgen/nn/dp_sgd.h"
#include "medgen/nn/gan.h"
#include "medgen/nn/trainer.h"

namespace medgen::tabular {

using json = nlohmann::json;
using namespace nnlib;
namespace F = torch::nn::functional;

namespace {

// Eager training steps before a CUDA graph is captured.
constexpr int64_t kGraphWarmupSteps = 3;

// Linear -> BatchNorm -> ReLU, output concatenated to the input.
struct ResidualImpl : torch::nn::Module {
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  ResidualImpl(int64_t in, int64_t out) {
    fc = register_module("fc", torch::nn::Linear(in, out));
    bn = register_module("bn", torch::nn::BatchNorm1d(out));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::cat({torch::relu(bn->forward(fc->forward(x))), x}, 1); }
};
TORCH_MODULE(Residual);

struct GeneratorImpl : torch::nn::Module {
  torch::nn::Sequential body{nullptr};
  torch::nn::Linear out{nullptr};
  GeneratorImpl(int64_t in, const std::vector<int>& widths, int64_t dim) {
    body = register_module("body", torch::nn::Sequential());
    for (int w : widths) {
      body->push_back(Residual(in, w));
      in += w;
    }
    out = register_module("out", torch::nn::Linear(in, dim));
  }
  torch::Tensor forward(const torch::Tensor& x) { return out->forward(body->forward(x)); }
};
TORCH_MODULE(Generator);

struct DiscriminatorImpl : torch::nn::Module {
  torch::nn::Sequential body{nullptr};
  int64_t pac;
  DiscriminatorImpl(int64_t in, const std::vector<int>& widths, int64_t pac_) : pac(pac_) {
    body = register_module("body", torch::nn::Sequential());
    int64_t d = in * pac;
    for (int w : widths) {
      body->push_back(torch::nn::Linear(d, w));
      body->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
      body->push_back(torch::nn::Dropout(0.5));
      d = w;
    }
    body->push_back(torch::nn::Linear(d, 1));
  }
  // x: (batch, in) with batch a multiple of pac -> (batch / pac, 1)
  torch::Tensor forward(const torch::Tensor& x) { return body->forward(x.reshape({-1, x.size(1) * pac})); }
};
TORCH_MODULE(Discriminator);

// A discrete (categorical/boolean) column: its one-hot span in the data and in the cond vector.
struct DiscreteSpan {
  int64_t start = 0, width = 0, cond_offset = 0;
};

// Where the generator's outputs go, on one device: tanh on the scalar columns, one padded
// softmax block over every one-hot span, and the block of the discrete columns' spans (in
// discrete_ order) for the conditional cross-entropy. `inverse` puts [scalars, spans] back in
// output order.
struct OutputLayout {
  torch::Tensor scalars, inverse;
  SpanBlock soft, cond;
};

class CtganSynthesizer : public Synthesizer {
 public:
  explicit CtganSynthesizer(CtganParams p) : p_(std::move(p)) {}

  std::string name() const override { return "ctgan"; }
  json params() const override { return p_.to_json(); }
  void set_checkpoint(const std::string& path, bool resume) override {
    if (resume && path.empty()) throw InvalidInput("--resume needs a checkpoint path");
    checkpoint_ = path;
    resume_ = resume;
  }
  void fit(const Table& table, const Schema& schema, const Context& ctx) override;
  Table sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const override;
  void save_state(json* state, std::string* payload) const override;
  void load_state(const json& state, const std::string& payload) override;
  json summary() const override {
    json s{{"epochs_trained", history_.size()}, {"output_dim", transformer_.output_dim()},
           {"cond_dim", cond_dim_}, {"history", history_}};
    if (!budget_.is_null()) s["privacy"] = budget_;
    return s;
  }

 private:
  void index(const DataTransformer& tr);
  void build(int64_t pac);
  OutputLayout layout(const torch::Device& dev) const;
  // tanh on scalars, Gumbel-softmax on one-hot spans.
  torch::Tensor activate(const torch::Tensor& raw, const OutputLayout& l) const;
  void write_checkpoint(int64_t epoch, const json& history, torch::optim::Adam& og, torch::optim::Adam& od) const;
  int read_checkpoint(torch::optim::Adam& og, torch::optim::Adam& od, const torch::Device& dev);

  CtganParams p_;
  DataTransformer transformer_;
  mutable Generator generator_{nullptr};
  Discriminator discriminator_{nullptr};
  std::vector<int64_t> scalars_;
  std::vector<std::pair<int64_t, int64_t>> softmax_;
  std::vector<DiscreteSpan> discrete_;
  int64_t cond_dim_ = 0;
  std::vector<std::vector<double>> frequency_;  // per discrete column: share of each category
  json history_ = json::array();
  json seen_levels_ = json::object();
  json budget_;  // DP-SGD: what was spent (null without differential privacy)
  std::string checkpoint_;
  bool resume_ = false;
};

void CtganSynthesizer::index(const DataTransformer& tr) {
  scalars_.clear();
  softmax_.clear();
  discrete_.clear();
  index_spans(tr, &scalars_, &softmax_);
  cond_dim_ = 0;
  for (const Span& s : tr.spans()) {
    if (s.role != Span::Role::kCategory) continue;
    discrete_.push_back({static_cast<int64_t>(s.start), static_cast<int64_t>(s.width), cond_dim_});
    cond_dim_ += static_cast<int64_t>(s.width);
  }
}

void CtganSynthesizer::build(int64_t pac) {
  const int64_t dim = static_cast<int64_t>(transformer_.output_dim());
  generator_ = Generator(p_.embedding_dim + cond_dim_, p_.generator, dim);
  discriminator_ = Discriminator(dim + cond_dim_, p_.discriminator, pac);
}

OutputLayout CtganSynthesizer::layout(const torch::Device& dev) const {
  OutputLayout l;
  const auto lopt = torch::TensorOptions().dtype(torch::kLong);
  l.scalars = torch::tensor(scalars_, lopt).to(dev);
  l.soft = SpanBlock(softmax_, dev);
  std::vector<std::pair<int64_t, int64_t>> disc;
  for (const auto& d : discrete_) disc.emplace_back(d.start, d.width);
  l.cond = SpanBlock(disc, dev);
  const auto order = torch::cat({l.scalars, l.soft.columns()}).cpu();
  std::vector<int64_t> inverse(static_cast<size_t>(order.numel()));
  for (int64_t i = 0; i < order.numel(); ++i) inverse[static_cast<size_t>(order[i].item<int64_t>())] = i;
  l.inverse = torch::tensor(inverse, lopt).to(dev);
  return l;
}

torch::Tensor CtganSynthesizer::activate(const torch::Tensor& raw, const OutputLayout& l) const {
  std::vector<torch::Tensor> parts;
  if (l.scalars.numel() > 0) parts.push_back(torch::tanh(raw.index_select(1, l.scalars)));
  if (!l.soft.empty()) {
    // Gumbel noise on the unpadded outputs: the padded block can be several times larger.
    const auto gumbel = -torch::empty_like(raw).exponential_().log();
    parts.push_back(l.soft.flatten(torch::softmax(l.soft.gather(raw + gumbel) / p_.tau, -1)));
  }
  return torch::cat(parts, 1).index_select(1, l.inverse);
}

void CtganSynthesizer::write_checkpoint(int64_t epoch, const json& history, torch::optim::Adam& og,
                                        torch::optim::Adam& od) const {
  nnlib::write_checkpoint(checkpoint_, "ctgan", p_.to_json(), json{{"epoch", epoch}, {"history", history}},
                          {{"generator", generator_.ptr().get()}, {"discriminator", discriminator_.ptr().get()}},
                          {{"opt_g", &og}, {"opt_d", &od}});
}

int CtganSynthesizer::read_checkpoint(torch::optim::Adam& og, torch::optim::Adam& od, const torch::Device& dev) {
  const json h = nnlib::read_checkpoint(checkpoint_, "ctgan", p_.to_json(),
                                        {{"generator", generator_.ptr().get()}, {"discriminator", discriminator_.ptr().get()}},
                                        {{"opt_g", &og}, {"opt_d", &od}}, dev);
  history_ = h.at("history");
  return h.at("epoch").get<int>();
}

void CtganSynthesizer::fit(const Table& table, const Schema& schema, const Context& ctx) {
  schema_ = schema;
  const DpParams& dp = p_.dp;
  DpPlan plan;
  DpRelease release;
  budget_ = json();
  TrainingData td;
  if (dp.enabled()) {
    if (resume_)
      throw InvalidInput("ctgan: --resume cannot continue a differentially private run (its budget is planned for one run); fit again");
    plan = plan_dp_sgd("ctgan", dp, static_cast<int64_t>(table.num_rows()), p_.train.batch_size, p_.train.epochs,
                       p_.discriminator_steps);
    td = prepare_training_dp(table, schema, ctx, p_.train.device, p_.transformer, dp.bins, plan.rho_transformer,
                             &transformer_, &release);
  } else {
    td = prepare_training(table, schema, ctx, p_.train.device, p_.transformer, &transformer_);
  }
  const torch::Device dev = td.device;
  const torch::Tensor x_all = td.x;
  const int64_t n = x_all.size(0);
  warnings_ = transformer_.warnings();
  seen_levels_ = td.seen;
  index(transformer_);

  // Training-by-sampling tables, built once on the host, then kept on the device:
  // rows grouped by (discrete column, category); the log-frequency sampling weights. Under
  // differential privacy the frequencies come from the released proxy rows (scaled to n rows)
  // and no real row is picked by its category.
  const torch::Tensor freq_rows = dp.enabled() ? td.proxy : x_all;
  const int64_t m_rows = freq_rows.size(0);
  const int64_t n_disc = static_cast<int64_t>(discrete_.size());
  int64_t max_w = 1;
  for (const auto& d : discrete_) max_w = std::max(max_w, d.width);
  std::vector<int64_t> grouped;                                   // row indices, grouped
  std::vector<int64_t> group_start(n_disc * max_w, 0), group_count(n_disc * max_w, 0);
  std::vector<float> log_weight(n_disc * max_w, 0.0f);
  frequency_.assign(discrete_.size(), {});
  for (int64_t c = 0; c < n_disc; ++c) {
    const auto cat = freq_rows.narrow(1, discrete_[c].start, discrete_[c].width).argmax(1);
    const int64_t* cp = cat.data_ptr<int64_t>();
    std::vector<std::vector<int64_t>> rows(discrete_[c].width);
    for (int64_t r = 0; r < m_rows; ++r) rows[cp[r]].push_back(r);
    frequency_[c].resize(discrete_[c].width);
    for (int64_t k = 0; k < discrete_[c].width; ++k) {
      group_start[c * max_w + k] = static_cast<int64_t>(grouped.size());
      group_count[c * max_w + k] = static_cast<int64_t>(rows[k].size());
      grouped.insert(grouped.end(), rows[k].begin(), rows[k].end());
      log_weight[c * max_w + k] = static_cast<float>(
          std::log1p(static_cast<double>(rows[k].size()) * static_cast<double>(n) / static_cast<double>(m_rows)));
      frequency_[c][k] = static_cast<double>(rows[k].size()) / static_cast<double>(m_rows);
    }
  }
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(dev);
  const auto x_dev = x_all.to(dev);
  const auto grouped_t = torch::tensor(grouped.empty() ? std::vector<int64_t>{0} : grouped, torch::kLong).to(dev);
  const auto start_t = torch::tensor(group_start, torch::kLong).to(dev).view({n_disc, max_w});
  const auto count_t = torch::tensor(group_count, torch::kLong).to(dev).view({n_disc, max_w});
  const auto logw_t = torch::tensor(log_weight, torch::kFloat32).to(dev).view({n_disc, max_w});
  std::vector<int64_t> offsets;
  for (const auto& d : discrete_) offsets.push_back(d.cond_offset);
  const auto cond_offset_t = torch::tensor(offsets.empty() ? std::vector<int64_t>{0} : offsets, torch::kLong).to(dev);

  build(dp.enabled() ? 1 : p_.pac);
  generator_->to(dev);
  discriminator_->to(dev);
  torch::optim::Adam opt_g(generator_->parameters(), torch::optim::AdamOptions(p_.train.lr).betas({0.5, 0.9}).weight_decay(p_.train.weight_decay));
  torch::optim::Adam opt_d(discriminator_->parameters(), torch::optim::AdamOptions(p_.train.lr).betas({0.5, 0.9}).weight_decay(p_.train.weight_decay));
  int start_epoch = 0;
  history_ = json::array();
  if (resume_) start_epoch = read_checkpoint(opt_g, opt_d, dev);

  const int64_t batch = p_.train.batch_size;
  const int64_t steps = dp.enabled() ? plan.steps_per_epoch : std::max<int64_t>(1, n / batch);
  const auto fopts = torch::TensorOptions().dtype(torch::kFloat32).device(dev);

  // A batch of conditions (all on the device, no host synchronisation): the cond vectors,
  // the picked column and category per row, and a real row matching each.
  struct CondBatch {
    torch::Tensor cond, column, category, real_rows;
  };
  auto sample_conditions = [&]() -> CondBatch {
    CondBatch b;
    if (n_disc == 0) {
      b.cond = torch::zeros({batch, 0}, fopts);
      b.real_rows = torch::randint(0, n, {batch}, long_opts);
      return b;
    }
    b.column = torch::randint(0, n_disc, {batch}, long_opts);
    // A category per row with probability proportional to its weight: the exponential race
    // argmax(w / E), E ~ Exp(1), which is multinomial's own one-draw method without its host-side
    // check of the weights (a synchronisation, which a CUDA graph cannot hold).
    const auto w = torch::softmax(logw_t.index_select(0, b.column).masked_fill(count_t.index_select(0, b.column) == 0, -1e9), 1);
    b.category = (w / torch::empty_like(w).exponential_().clamp_min_(1e-30)).argmax(1);
    const auto st = start_t.index_select(0, b.column).gather(1, b.category.unsqueeze(1)).squeeze(1);
    const auto cnt = count_t.index_select(0, b.column).gather(1, b.category.unsqueeze(1)).squeeze(1);
    const auto pick = (torch::rand({batch}, fopts) * cnt.to(torch::kFloat32)).to(torch::kLong).clamp_max(cnt - 1);
    b.real_rows = grouped_t.index_select(0, st + pick);
    b.cond = torch::zeros({batch, cond_dim_}, fopts);
    b.cond.scatter_(1, (cond_offset_t.index_select(0, b.column) + b.category).unsqueeze(1), 1.0);
    return b;
  };
  // Cross-entropy between the generator's logits on each row's picked column and its category.
  const OutputLayout lay = layout(dev);
  auto cond_loss = [&](const torch::Tensor& raw, const CondBatch& b) {
    const int64_t w = lay.cond.width();
    const auto picked = lay.cond.gather(raw).gather(1, b.column.view({-1, 1, 1}).expand({-1, 1, w})).squeeze(1);
    return F::cross_entropy(picked, b.category);
  };
  const bool wgan = p_.loss == "wgan-gp";

  // On CUDA the step is captured once as a graph and replayed (cuda_graph "auto").
  const bool use_graph = !dp.enabled() && dev.is_cuda() && p_.cuda_graph == "auto" && nn::CudaStepGraph::supported();
  std::unique_ptr<nn::CudaStepGraph> graph;
  std::unique_ptr<nn::DeviceAdam> dadam_g, dadam_d;  // the optimizers' updates inside the graph

  nn::TrainLoop loop = neural_train_loop("training ctgan", p_.train, start_epoch, history_, ctx, checkpoint_,
                                         [&](int64_t done, const json& history) {
                                           if (dadam_g) {
                                             dadam_g->sync_back();
                                             dadam_d->sync_back();
                                           }
                                           write_checkpoint(done, history, opt_g, opt_d);
                                         });
  loop.detail = [&](const nn::Losses& l, double secs) {
    char detail[160];
    std::snprintf(detail, sizeof detail, "G %.3f D %.3f %.0f rows/s", l[0].second, l[1].second,
                  secs > 0 ? steps * batch / secs : 0.0);
    return std::string(detail);
  };
  nn::Trainer trainer(std::move(loop));
  generator_->train();
  discriminator_->train();
  if (use_graph) graph = std::make_unique<nn::CudaStepGraph>(dev);  // its stream is current from here
  // Per-epoch loss sums, on the device; read once per epoch.
  torch::Tensor g_sum = torch::zeros({}, fopts), d_sum = torch::zeros({}, fopts), ce_sum = torch::zeros({}, fopts);
  // One update: gradients of `loss`, then the optimizer's step (on the device inside a graph).
  auto optimise = [](torch::optim::Adam& opt, nn::DeviceAdam* on_device, const torch::Tensor& loss) {
    opt.zero_grad();
    loss.backward();
    if (on_device)
      on_device->step();
    else
      opt.step();
  };
  // DP-SGD's discriminator update: a Poisson sample of rows, each with its cond vector from
  // itself and its own fake; each row's loss (the critic on the real row and on its fake, and
  // with wgan-gp the penalty at their interpolate) is one clipped gradient. The fakes come from
  // the generator with its BatchNorm on running statistics, so that a row's fake depends on that
  // row alone (batch statistics would mix the rows' cond vectors) and the running statistics
  // never see a row's cond. Returns the sum of the rows' losses (0 without rows).
  torch::Tensor disc_cats;  // rows x discrete columns: each row's category
  if (dp.enabled() && n_disc > 0) {
    std::vector<torch::Tensor> cats;
    for (const auto& d : discrete_) cats.push_back(x_dev.narrow(1, d.start, d.width).argmax(1));
    disc_cats = torch::stack(cats, 1);
  }
  const std::vector<torch::Tensor> params_d = discriminator_->parameters();
  auto private_discriminator_update = [&]() -> torch::Tensor {
    const auto idx = nn::poisson_sample(n, plan.q).to(dev);
    const int64_t rows = idx.size(0);
    torch::Tensor loss_sum = torch::zeros({}, fopts);
    if (rows > 0) {
      const auto real = x_dev.index_select(0, idx);
      auto cond = torch::zeros({rows, cond_dim_}, fopts);
      if (n_disc > 0) {
        const auto col = torch::randint(0, n_disc, {rows}, long_opts);
        const auto cat = disc_cats.index_select(0, idx).gather(1, col.unsqueeze(1)).squeeze(1);
        cond.scatter_(1, (cond_offset_t.index_select(0, col) + cat).unsqueeze(1), 1.0);
      }
      torch::Tensor fake;
      {
        torch::NoGradGuard no_grad;
        generator_->eval();
        fake = activate(generator_->forward(torch::cat({torch::randn({rows, p_.embedding_dim}, fopts), cond}, 1)), lay);
        generator_->train();
      }
      const auto real_in = torch::cat({real, cond}, 1), fake_in = torch::cat({fake, cond}, 1);
      nn::PerExampleGrads tape(rows);
      const auto y_real = tape.sequential(discriminator_->body, real_in).squeeze(1);
      const auto y_fake = tape.sequential(discriminator_->body, fake_in).squeeze(1);
      torch::Tensor losses;
      if (wgan) {
        const auto a = torch::rand({rows, 1}, fopts);
        const auto mixed = (a * real_in + (1 - a) * fake_in).detach();
        const auto grad_x = tape.critic_with_input_gradient(discriminator_->body, mixed).second;
        const auto norm = (grad_x.pow(2).sum(1) + 1e-12).sqrt();
        losses = -y_real + y_fake + p_.gp_lambda * (norm - 1).pow(2);
      } else {
        losses = F::softplus(-y_real) + F::softplus(y_fake);
      }
      MEDGEN_ASSERT(tape.parameters().size() == params_d.size());  // every weight's gradient is clipped
      loss_sum = losses.detach().sum();
      tape.clip_and_sum(losses, dp.clip);
    } else {
      for (const auto& t : params_d) const_cast<torch::Tensor&>(t).mutable_grad() = torch::zeros_like(t);
    }
    nn::add_noise(params_d, plan.sigma, dp.clip, static_cast<double>(plan.batch));
    opt_d.step();
    return loss_sum / static_cast<double>(plan.batch);
  };
  // One training step: discriminator_steps updates of D, then one of G. Device work only (no
  // host synchronisation), so that it can be captured.
  auto train_step = [&]() {
    torch::Tensor loss_d;
    for (int k = 0; k < p_.discriminator_steps; ++k) {
      if (dp.enabled()) {
        loss_d = private_discriminator_update();
        continue;
      }
      const CondBatch b = sample_conditions();
      const auto noise = torch::randn({batch, p_.embedding_dim}, fopts);
      const auto fake = activate(generator_->forward(torch::cat({noise, b.cond}, 1)), lay).detach();
      const auto real = x_dev.index_select(0, b.real_rows);
      const auto fake_in = torch::cat({fake, b.cond}, 1), real_in = torch::cat({real, b.cond}, 1);
      // One pass over real and fake rows together (packs of pac rows never straddle the two).
      const auto y_both = discriminator_->forward(torch::cat({real_in, fake_in}, 0));
      const int64_t packs = batch / p_.pac;
      const auto y_real = y_both.narrow(0, 0, packs), y_fake = y_both.narrow(0, packs, packs);
      if (wgan) {
        const auto gp = nn::gradient_penalty([&](const torch::Tensor& x) { return discriminator_->forward(x); },
                                             real_in, fake_in, torch::rand({batch / p_.pac}, fopts), p_.pac,
                                             p_.gp_lambda);
        loss_d = -(y_real.mean() - y_fake.mean()) + gp;
      } else {
        loss_d = F::softplus(-y_real).mean() + F::softplus(y_fake).mean();
      }
      optimise(opt_d, dadam_d.get(), loss_d);
    }
    const CondBatch b = sample_conditions();
    const auto noise = torch::randn({batch, p_.embedding_dim}, fopts);
    const auto raw = generator_->forward(torch::cat({noise, b.cond}, 1));
    // The discriminator's weight gradients from this loss would be discarded (its optimizer
    // zeroes them before its next step): not computing them saves a third of its backward.
    for (auto& w : discriminator_->parameters()) w.requires_grad_(false);
    const auto y_fake = discriminator_->forward(torch::cat({activate(raw, lay), b.cond}, 1));
    const auto ce = n_disc > 0 ? cond_loss(raw, b) : torch::zeros({}, fopts);
    const auto loss_g = (wgan ? -y_fake.mean() : F::softplus(-y_fake).mean()) + ce;
    optimise(opt_g, dadam_g.get(), loss_g);
    for (auto& w : discriminator_->parameters()) w.requires_grad_(true);
    g_sum += loss_g.detach();
    d_sum += loss_d.detach();
    ce_sum += ce.detach();
  };
  trainer.run([&](int64_t epoch, bool) -> nn::Losses {
    int64_t step = 0;
    if (use_graph && !dadam_g) {
      // A few eager steps on the graph's stream (they create the optimizers' state, the
      // gradients and the libraries' workspaces), then the capture, which runs nothing.
      for (; step < std::min<int64_t>(kGraphWarmupSteps, steps); ++step) {
        trainer.stop_point(epoch);
        train_step();
      }
      dadam_g = std::make_unique<nn::DeviceAdam>(opt_g);
      dadam_d = std::make_unique<nn::DeviceAdam>(opt_d);
      graph->capture(train_step);
    }
    for (; step < steps; ++step) {
      trainer.stop_point(epoch);
      if (graph)
        graph->replay();
      else
        train_step();
    }
    // One host synchronisation per epoch (on the graph's stream when there is one).
    const double g = g_sum.item<double>() / steps, d = d_sum.item<double>() / steps, c = ce_sum.item<double>() / steps;
    g_sum.zero_();
    d_sum.zero_();
    ce_sum.zero_();
    return {{"generator", g}, {"discriminator", d}, {"cond_ce", c}};
  });
  graph.reset();
  history_ = trainer.history();
  if (dp.enabled()) {
    keep_only_epochs(&history_);
    budget_ = dp_budget(plan, dp, release);
    budget_["private_part"] = "discriminator";
    budget_["pac"] = 1;
  }
  generator_->to(torch::kCPU);
  discriminator_ = Discriminator{nullptr};  // not needed for sampling
  if (p_.train.privacy == "coarse") {
    transformer_.coarsen();
    schema_ = transformer_.schema();
    for (auto& f : frequency_)
      for (double& x : f) x = x > 0 ? std::max(privacy::round_share(x), 0.005) : 0.0;
  }
}

Table CtganSynthesizer::sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const {
  check_request(n, conditions);
  if (!generator_) throw InvalidInput("ctgan: the model is not trained");
  torch::NoGradGuard no_grad;
  if (p_.sample_batchnorm == "eval")
    generator_->eval();
  else
    generator_->train();
  Context tctx = ctx;
  tctx.device = Device::kCpu;
  nn::init_torch(tctx);
  const std::vector<ConditionTarget> targets = resolve_conditions(transformer_, seen_levels_, conditions);
  std::vector<int64_t> target_cond;  // each target's position in the cond vector
  for (const ConditionTarget& t : targets)
    for (const auto& d : discrete_)
      if (d.start == t.start) target_cond.push_back(d.cond_offset + t.slot);
  const int64_t dim = static_cast<int64_t>(transformer_.output_dim());
  const int64_t total = static_cast<int64_t>(n);
  // In "train" batch-norm mode the statistics come from each batch: use the training size.
  // Modest chunks keep the buffers in the allocator's arena (large ones page-faulted anew each time).
  const int64_t chunk = p_.sample_batchnorm == "train" ? p_.train.batch_size : 512;
  // Unconditional cond vectors follow the training frequencies of a uniformly picked column:
  // drawn here by inverse CDF over each column's cumulative frequencies.
  std::vector<std::vector<double>> cumulative(discrete_.size());
  for (size_t c = 0; c < discrete_.size(); ++c) {
    double run = 0.0;
    for (double f : frequency_[c]) cumulative[c].push_back(run += f);
  }
  Rng rng(ctx.seed ^ 0x2545F4914F6CDD1DULL);
  // Fills the generator's (m x (embedding + cond)) input: standard normal noise, then the cond vector.
  // Rows are `stride` floats apart (the input can sit inside a wider buffer).
  auto fill_input = [&](int64_t m, float* in, int64_t stride) {
    for (int64_t r = 0; r < m; ++r) {
      float* row = in + r * stride;
      for (int64_t k = 0; k < p_.embedding_dim; ++k) row[k] = static_cast<float>(rng.normal());
      float* cond = row + p_.embedding_dim;
      std::fill(cond, cond + cond_dim_, 0.0f);
      if (!targets.empty()) {
        for (int64_t c : target_cond) cond[c] = 1.0f;
      } else if (!discrete_.empty()) {
        const size_t c = static_cast<size_t>(rng.below(discrete_.size()));
        const std::vector<double>& cum = cumulative[c];
        const double u = rng.uniform() * cum.back();
        const size_t k = std::min<size_t>(std::upper_bound(cum.begin(), cum.end(), u) - cum.begin(), cum.size() - 1);
        cond[discrete_[c].cond_offset + static_cast<int64_t>(k)] = 1.0f;
      }
    }
  };
  // With running statistics, BatchNorm is an affine map: fold it into the preceding Linear
  // (W' = W * g / sqrt(v + eps) row-wise, b' = (b - mu) * g / sqrt(v + eps) + beta), leaving
  // one addmm and one relu per block.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> folded;
  if (p_.sample_batchnorm == "eval") {
    for (const auto& child : generator_->body->children()) {
      const auto* block = child->as<ResidualImpl>();
      MEDGEN_ASSERT(block != nullptr);
      const auto& bn = block->bn;
      const auto scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
      folded.emplace_back((block->fc->weight * scale.unsqueeze(1)).t().contiguous(),
                          (block->fc->bias - bn->running_mean) * scale + bn->bias);
    }
  }
  // Generates m rows into out (m x dim): one forward pass, then draw_rows's one pass. With the
  // folded blocks, every block's input and output live in one buffer laid out as the residual
  // concatenation leaves them ([r_k, ..., r_1, input] per row): each block writes its output
  // just left of its input, in place, so nothing is concatenated or copied.
  // The output layer likewise: its weight transposed once, its output in a buffer reused by
  // every chunk (a fresh one per chunk went back to the OS and was page-faulted in again).
  const int64_t in0 = p_.embedding_dim + cond_dim_;
  int64_t buffer_width = in0;
  for (const auto& fw : folded) buffer_width += fw.first.size(1);
  torch::Tensor out_weight, out_raw;
  if (!folded.empty()) out_weight = generator_->out->weight.t().contiguous();
  torch::Tensor buffer;
  auto generate_into = [&](int64_t m, float* out) {
    if (!buffer.defined() || buffer.size(0) < m) {
      buffer = torch::empty({std::max(m, chunk), buffer_width}, torch::kFloat);
      if (out_weight.defined()) out_raw = torch::empty({buffer.size(0), dim}, torch::kFloat);
    }
    const auto h = buffer.narrow(0, 0, m);
    int64_t offset = buffer_width - in0;
    fill_input(m, h.data_ptr<float>() + offset, buffer_width);
    torch::Tensor raw;
    if (folded.empty()) {
      raw = generator_->forward(h.narrow(1, offset, in0));
    } else {
      int64_t width = in0;
      for (const auto& [w, b] : folded) {
        const int64_t o = w.size(1);
        auto dst = h.narrow(1, offset - o, o);
        torch::addmm_out(dst, b, h.narrow(1, offset, width), w);
        dst.relu_();
        offset -= o;
        width += o;
      }
      raw = out_raw.narrow(0, 0, m);
      torch::addmm_out(raw, generator_->out->bias, h, out_weight);
    }
    raw = raw.contiguous();
    draw_rows(raw.data_ptr<float>(), m, dim, scalars_, nullptr, softmax_, rng, out);
  };
  // Batch-norm statistics from a batch need two rows at least.
  const int64_t least = p_.sample_batchnorm == "train" ? 2 : 1;
  auto generate = [&](int64_t m) {
    auto x = torch::empty({std::max(m, least), dim}, torch::kFloat);
    generate_into(x.size(0), x.data_ptr<float>());
    return x.narrow(0, 0, m);
  };
  auto honours = [&](const torch::Tensor& x) {
    auto ok = torch::ones({x.size(0)}, torch::kBool);
    for (const ConditionTarget& t : targets) ok &= x.narrow(1, t.start, t.width).argmax(1) == t.slot;
    return ok;
  };
  // Each chunk goes into rows while it is still in cache (no n x dim block of floats).
  DataTransformer::Inverse inv = start_rows(transformer_, n, ctx.seed);
  std::vector<float> rows_chunk(static_cast<size_t>(std::min(chunk, std::max<int64_t>(total, least)) * dim));
  for (int64_t done = 0; done < total; done += chunk) {
    const int64_t m = std::min(chunk, total - done);
    float* dst = rows_chunk.data();
    if (m >= least) {
      generate_into(m, dst);
    } else {
      const auto x = generate(m).contiguous();
      std::copy(x.data_ptr<float>(), x.data_ptr<float>() + m * dim, dst);
    }
    if (!targets.empty()) {
      auto x = torch::from_blob(dst, {m, dim}, torch::kFloat);
      // Keep rows that honour every condition; regenerate the rest a few times.
      for (int round = 0; round < 20; ++round) {
        const auto bad = (~honours(x)).nonzero().squeeze(1);
        if (bad.numel() == 0) break;
        x.index_copy_(0, bad, generate(bad.numel()));
      }
      set_targets(x, targets);  // the rows the generator still got wrong
    }
    inv.write(dst, static_cast<size_t>(done), static_cast<size_t>(m));
  }
  return finish_table(inv, targets);
}

void CtganSynthesizer::save_state(json* state, std::string* payload) const {
  torch::serialize::OutputArchive root, g;
  generator_->save(g);
  root.write("generator", g);
  *payload = archive_bytes(root);
  *state = json{{"transformer", transformer_.to_json()}, {"history", history_}, {"seen_levels", seen_levels_},
                {"frequency", frequency_}, {"warnings", warnings_}};
  if (!budget_.is_null()) (*state)["privacy"] = budget_;
}

void CtganSynthesizer::load_state(const json& state, const std::string& payload) {
  load_model_state("ctgan", [&] {
    transformer_ = DataTransformer::from_json(state.at("transformer"));
    check_same_schema(transformer_, schema_);
    history_ = checked_history(state.at("history"));
    seen_levels_ = checked_seen_levels(state.at("seen_levels"), schema_);
    warnings_ = state.contains("warnings") ? tabular::state::string_array(state["warnings"], "ctgan state: warnings")
                                           : std::vector<std::string>{};
    budget_ = json();
    if (state.contains("privacy")) budget_ = checked_budget(state["privacy"], "ctgan");
    index(transformer_);
    const json& freq = tabular::state::array(state.at("frequency"), "ctgan state: frequency");
    if (freq.size() != discrete_.size()) throw ModelFormat("ctgan state: frequency table does not match the spans");
    frequency_.clear();
    for (size_t c = 0; c < discrete_.size(); ++c) {
      // One share per slot of the column's span, none negative, some positive (the
      // unconditional cond vector is drawn from them).
      const std::string where = "ctgan state: frequency[" + std::to_string(c) + "]";
      frequency_.push_back(tabular::state::finite_array(freq[c], where));
      const auto& f = frequency_.back();
      if (static_cast<int64_t>(f.size()) != discrete_[c].width) throw ModelFormat(where + ": wrong length");
      if (std::any_of(f.begin(), f.end(), [](double x) { return x < 0; }) ||
          !(std::accumulate(f.begin(), f.end(), 0.0) > 0))
        throw ModelFormat(where + ": shares must be non-negative with a positive sum");
    }
    build(p_.pac);
    torch::serialize::InputArchive root, g;
    load_archive(root, payload, torch::kCPU);
    root.read("generator", g);
    load_checked(*generator_, g, "ctgan generator");
    discriminator_ = Discriminator{nullptr};
  });
}

}  // namespace

Synthesizer* nnlib::make_ctgan(const json& params) { return new CtganSynthesizer(CtganParams::from_json(params)); }

}  // namespace medgen::tabular
