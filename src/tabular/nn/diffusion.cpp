// Denoising diffusion on the mode-normalized table, after TabDDPM (Kotelnikov et al. 2023,
// "TabDDPM: Modelling Tabular Data with Diffusion Models"), implemented from the paper.
//
// Data: the DataTransformer's layout (transformer.h). Each scalar (x - mu_k) / (4 sigma_k) is
// multiplied by 4, so that within its mode it is about N(0, 1), and takes Gaussian diffusion
// (Ho et al. 2020). Every one-hot span (a numeric column's mode, its missing indicator, a
// categorical or boolean column with its missing slot) takes multinomial diffusion
// (Hoogeboom et al. 2021): q(x_t | x_{t-1}) = Cat((1 - beta_t) x_{t-1} + beta_t / K).
// Both chains share one cosine schedule (Nichol & Dhariwal 2021) of T steps.
//
// One MLP denoiser sees the noisy row (scalars and one-hots) and a sinusoidal embedding of t;
// it predicts the Gaussian noise of the scalars and the logits of the clean one-hots. Loss per
// row: MSE of the noise + the mean over spans of KL(q(x_{t-1} | x_t, x_0) || q(x_{t-1} | x_t,
// softmax(logits))), at t = 0 the negative log-likelihood of x_0, t uniform.
//
// Sampling runs a respaced subsequence of sample_steps of the T steps (the posterior of a jump
// t -> s has the same closed form with alpha_{t|s} = abar_t / abar_s, for both chains), from
// N(0, I) and uniform categories. Conditions (col = value): rejection from unconditional draws
// (up to 64 per requested row), then inpainting (the conditioned spans held at their value at
// every reverse step) for the rows still missing; the output carries the values exactly.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "medgen/core/error.h"
#include "medgen/nn/device.h"
#include "medgen/nn/trainer.h"
#include "medgen/tabular/neural.h"
#include "medgen/tabular/param_table.h"
#include "common.h"
#include "load_check.h"
#include "../state_check.h"

namespace medgen::tabular {

using json = nlohmann::json;

using namespace nnlib;

namespace {

constexpr double kScalarScale = 4.0;  // the transformer's scalars are (x - mu) / (4 sigma)
constexpr double kClip = 8.0;         // |predicted clean scalar| at most, in sigmas of its mode
constexpr int64_t kTimeDim = 128;     // width of the sinusoidal time embedding
constexpr int64_t kSampleChunk = 256;  // rows per sampling pass

struct DiffusionParams {
  TrainParams train;
  TransformerParams transformer;
  int timesteps = 100;
  int sample_steps = 25;
  std::vector<int> hidden = {128, 128};
  int epoch_rows = 5000;
  json resolved;  // every option, defaults filled in (what params() reports)

  static DiffusionParams from_json(const json& j) {
    const json r = resolve_params("diffusion", j);
    DiffusionParams p;
    p.train.epochs = r["epochs"].get<int>();
    p.train.batch_size = r["batch_size"].get<int>();
    p.train.lr = r["lr"].get<double>();
    p.train.weight_decay = r["weight_decay"].get<double>();
    p.train.checkpoint_every = r["checkpoint_every"].get<int>();
    p.train.device = r["device"].get<std::string>();
    p.train.privacy = r["privacy"].get<std::string>();
    p.transformer.max_categories = r["max_categories"].get<int>();
    p.transformer.gmm.max_components = r["max_modes"].get<int>();
    p.timesteps = r["timesteps"].get<int>();
    p.sample_steps = r["sample_steps"].get<int>();
    p.hidden = r["hidden"].get<std::vector<int>>();
    p.epoch_rows = r["epoch_rows"].get<int>();
    p.transformer.validate();
    p.resolved = r;
    return p;
  }
};

// abar_t = prod_{i <= t} (1 - beta_i), t = 0..T-1, from the cosine schedule with beta <= 0.999.
std::vector<double> cosine_abar(int T) {
  auto f = [T](double t) {
    const double s = 0.008;
    const double c = std::cos((t / T + s) / (1 + s) * M_PI / 2);
    return c * c;
  };
  std::vector<double> abar(static_cast<size_t>(T));
  double prod = 1;
  for (int t = 0; t < T; ++t) {
    const double beta = std::min(1 - f(t + 1) / f(t), 0.999);
    prod *= 1 - beta;
    abar[static_cast<size_t>(t)] = prod;
  }
  return abar;
}

// (rows) timesteps -> (rows, kTimeDim) sinusoidal features.
torch::Tensor time_features(const torch::Tensor& t) {
  const int64_t half = kTimeDim / 2;
  const auto freq = torch::exp(-std::log(10000.0) * torch::arange(half, t.options().dtype(torch::kFloat)) / half);
  const auto arg = t.to(torch::kFloat).unsqueeze(1) * freq.unsqueeze(0);
  return torch::cat({torch::sin(arg), torch::cos(arg)}, 1);
}

struct DenoiserImpl : torch::nn::Module {
  torch::nn::Linear proj{nullptr}, out{nullptr};
  torch::nn::Sequential time{nullptr}, body{nullptr};
  DenoiserImpl(int64_t dim, const std::vector<int>& hidden) {
    proj = register_module("proj", torch::nn::Linear(dim, hidden.front()));
    time = register_module("time", torch::nn::Sequential(torch::nn::Linear(kTimeDim, kTimeDim), torch::nn::SiLU(),
                                                          torch::nn::Linear(kTimeDim, hidden.front())));
    body = register_module("body", mlp(hidden.front(), std::vector<int>(hidden.begin() + 1, hidden.end())));
    out = register_module("out", torch::nn::Linear(hidden.back(), dim));
  }
  // x: (rows, dim) noisy rows in the model layout; t: (rows) or (1) timesteps.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) {
    auto h = torch::relu(proj->forward(x) + time->forward(time_features(t)));
    if (!body->is_empty()) h = body->forward(h);
    return out->forward(h);
  }
};
TORCH_MODULE(Denoiser);

// Parameters a Denoiser of this shape holds (checked against the payload before building one).
int64_t denoiser_size(int64_t dim, const std::vector<int>& hidden) {
  int64_t n = dim * hidden.front() + hidden.front();
  n += kTimeDim * kTimeDim + kTimeDim + kTimeDim * hidden.front() + hidden.front();
  for (size_t i = 1; i < hidden.size(); ++i) n += int64_t{hidden[i - 1]} * hidden[i] + hidden[i];
  n += int64_t{hidden.back()} * dim + dim;
  return n;
}

// Where the transformer's spans go in the model's layout: [scalars (knum) | one-hot slots in
// span order]; the one-hots as one padded (rows, spans, width) block.
struct Layout {
  int64_t knum = 0, slots = 0, dim = 0;
  torch::Tensor scalar_cols;  // transformer columns of the scalars
  torch::Tensor slot_cols;    // transformer columns of the one-hot slots, in span order
  SpanBlock block;            // over the model layout
  torch::Tensor uniform;      // (spans, width): 1/K on a span's K slots, 0 on padding
  std::map<int64_t, int64_t> span_of_start;  // transformer start of a one-hot span -> its index
  int64_t learned_spans = 1;                  // spans of 2 or more slots (at least 1: a divisor)
  std::vector<int64_t> span_offset;           // first slot of each span in the model layout
  std::vector<int64_t> span_width;            // its slots
  std::vector<int64_t> span_source;           // its first column in the transformer layout

  Layout() = default;
  Layout(const DataTransformer& tr, const torch::Device& dev) {
    std::vector<int64_t> scalars;
    std::vector<std::pair<int64_t, int64_t>> spans;
    index_spans(tr, &scalars, &spans);
    knum = static_cast<int64_t>(scalars.size());
    std::vector<int64_t> cols;
    std::vector<std::pair<int64_t, int64_t>> model_spans;
    for (size_t i = 0; i < spans.size(); ++i) {
      span_of_start[spans[i].first] = static_cast<int64_t>(i);
      model_spans.emplace_back(knum + static_cast<int64_t>(cols.size()), spans[i].second);
      span_offset.push_back(model_spans.back().first);
      span_width.push_back(spans[i].second);
      span_source.push_back(spans[i].first);
      for (int64_t k = 0; k < spans[i].second; ++k) cols.push_back(spans[i].first + k);
    }
    slots = static_cast<int64_t>(cols.size());
    learned_spans = std::max<int64_t>(
        1, std::count_if(spans.begin(), spans.end(), [](const std::pair<int64_t, int64_t>& sp) { return sp.second > 1; }));
    dim = knum + slots;
    const auto lopt = torch::TensorOptions().dtype(torch::kLong);
    scalar_cols = torch::tensor(scalars, lopt).to(dev);
    slot_cols = torch::tensor(cols, lopt).to(dev);
    block = SpanBlock(model_spans, dev);
    std::vector<float> u(static_cast<size_t>(block.spans() * block.width()), 0.0f);
    for (size_t i = 0; i < spans.size(); ++i)
      for (int64_t k = 0; k < spans[i].second; ++k)
        u[i * static_cast<size_t>(block.width()) + static_cast<size_t>(k)] = 1.0f / static_cast<float>(spans[i].second);
    uniform = torch::tensor(u).view({block.spans(), block.width()}).to(dev);
  }
  // Transformer rows -> model-layout rows (scalars scaled to unit spread within their mode).
  torch::Tensor to_model(const torch::Tensor& x) const {
    return torch::cat({x.index_select(1, scalar_cols) * kScalarScale, x.index_select(1, slot_cols)}, 1);
  }
  // (rows, spans, width) one-hot block of category indices (rows, spans).
  torch::Tensor one_hot(const torch::Tensor& idx) const {
    return torch::one_hot(idx, block.width()).to(torch::kFloat);
  }
};

// One draw per span from probabilities (rows, spans, width) (padding 0), as one-hot.
torch::Tensor draw_one_hot(const torch::Tensor& probs, const Layout& lay) {
  const auto u = torch::rand_like(probs).clamp_(1e-10, 1 - 1e-7);
  const auto gumbel = -torch::log(-torch::log(u));
  return lay.one_hot((torch::log(probs) + gumbel).argmax(-1));
}

// q(x_s | x_t, x_0) of the multinomial chain for a jump t -> s (alpha_ts = abar_t / abar_s),
// with x0 a one-hot or a distribution; all (rows, spans, width), the scalars (rows, 1, 1).
torch::Tensor multinomial_posterior(const torch::Tensor& xt, const torch::Tensor& x0, const torch::Tensor& alpha_ts,
                                    const torch::Tensor& abar_s, const torch::Tensor& uniform) {
  const auto theta = (alpha_ts * xt + (1 - alpha_ts) * uniform) * (abar_s * x0 + (1 - abar_s) * uniform);
  return theta / theta.sum(-1, true).clamp_min(1e-30);
}

class DiffusionSynthesizer : public Synthesizer {
 public:
  explicit DiffusionSynthesizer(DiffusionParams p) : p_(std::move(p)), abar_(cosine_abar(p_.timesteps)) {}

  std::string name() const override { return "diffusion"; }
  json params() const override { return p_.resolved; }
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
    return json{{"epochs_trained", history_.size()},
                {"output_dim", transformer_.output_dim()},
                {"timesteps", p_.timesteps},
                {"history", history_}};
  }

 private:
  // The reverse timesteps of sampling, ascending, ending at T - 1.
  std::vector<int64_t> sampling_steps() const;
  // m rows in the transformer's layout into out (m x output_dim), the spans with cond_slot >= 0
  // held at that slot (inpainting); random numbers from torch's generator and from seed.
  void generate(int64_t m, const std::vector<int64_t>& cond_slot, uint64_t seed, float* out) const;

  DiffusionParams p_;
  std::vector<double> abar_;
  DataTransformer transformer_;
  Layout layout_;
  mutable Denoiser denoiser_{nullptr};  // LibTorch's forward() is not const, sampling is
  json history_ = json::array();
  json seen_levels_ = json::object();
  std::string checkpoint_;
  bool resume_ = false;
};

std::vector<int64_t> DiffusionSynthesizer::sampling_steps() const {
  const int64_t T = p_.timesteps;
  const int64_t S = (p_.sample_steps <= 0 || p_.sample_steps >= T) ? T : p_.sample_steps;
  if (S == 1) return {T - 1};
  std::vector<int64_t> steps;
  for (int64_t i = 0; i < S; ++i) {
    const int64_t t = static_cast<int64_t>(std::llround(double(i) * double(T - 1) / double(S - 1)));
    if (steps.empty() || t > steps.back()) steps.push_back(t);
  }
  return steps;
}

void DiffusionSynthesizer::fit(const Table& table, const Schema& schema, const Context& ctx) {
  schema_ = schema;
  TrainingData td = prepare_training(table, schema, ctx, p_.train.device, p_.transformer, &transformer_);
  const torch::Device dev = td.device;
  const int64_t n = td.x.size(0);
  warnings_ = transformer_.warnings();
  seen_levels_ = td.seen;
  layout_ = Layout(transformer_, dev);
  const Layout& lay = layout_;
  const int64_t spans = lay.block.spans();
  if (lay.dim == 0) throw InvalidInput("diffusion: the table has no column to learn (only identifiers or text)");

  denoiser_ = Denoiser(lay.dim, p_.hidden);
  denoiser_->to(dev);
  torch::optim::Adam opt(denoiser_->parameters(),
                         torch::optim::AdamOptions(p_.train.lr).weight_decay(p_.train.weight_decay));
  int start_epoch = 0;
  history_ = json::array();
  if (resume_) {
    const json h = nnlib::read_checkpoint(checkpoint_, "diffusion", p_.resolved, {{"denoiser", denoiser_.ptr().get()}},
                                          {{"optimizer", &opt}}, dev);
    history_ = h.at("history");
    seen_levels_ = h.at("seen_levels");
    start_epoch = h.at("epoch").get<int>();
  }

  // The clean data once: scalars (n, knum) and each span's category (n, spans).
  const torch::Tensor xm = lay.to_model(td.x.to(dev));
  const torch::Tensor z_all = xm.narrow(1, 0, lay.knum).contiguous();
  const torch::Tensor cat_all =
      spans > 0 ? lay.block.gather(xm).argmax(-1).contiguous() : torch::zeros({n, 0}, torch::TensorOptions().dtype(torch::kLong).device(dev));
  const auto fopt = torch::TensorOptions().dtype(torch::kFloat).device(dev);
  std::vector<double> abar_prev(abar_.size());
  for (size_t t = 0; t < abar_.size(); ++t) abar_prev[t] = t == 0 ? 1.0 : abar_[t - 1];
  const torch::Tensor abar = torch::tensor(abar_, torch::kDouble).to(torch::kFloat).to(dev);
  const torch::Tensor abar_s_all = torch::tensor(abar_prev, torch::kDouble).to(torch::kFloat).to(dev);

  const int64_t passes = std::max<int64_t>(1, (p_.epoch_rows + n - 1) / n);
  const int64_t rows_per_epoch = passes * n;
  const int64_t batch = std::min<int64_t>(p_.train.batch_size, rows_per_epoch);

  nn::TrainLoop loop = neural_train_loop(
      "training diffusion", p_.train, start_epoch, history_, ctx, checkpoint_, [&](int64_t done, const json& history) {
        nnlib::write_checkpoint(checkpoint_, "diffusion", p_.resolved,
                                json{{"epoch", done}, {"history", history}, {"seen_levels", seen_levels_}},
                                {{"denoiser", denoiser_.ptr().get()}}, {{"optimizer", &opt}});
      });
  loop.detail = [&](const nn::Losses& l, double secs) {
    char detail[160];
    std::snprintf(detail, sizeof detail, "mse %.3f kl %.3f %.0f rows/s", l[0].second, l[1].second,
                  secs > 0 ? rows_per_epoch / secs : 0.0);
    return std::string(detail);
  };
  nn::Trainer trainer(std::move(loop));
  denoiser_->train();
  trainer.run([&](int64_t epoch, bool) -> nn::Losses {
    std::vector<torch::Tensor> perms;
    for (int64_t k = 0; k < passes; ++k) perms.push_back(torch::randperm(n, torch::kLong));
    const auto perm = torch::cat(perms).to(dev);
    torch::Tensor mse_sum = torch::zeros({}, fopt), kl_sum = torch::zeros({}, fopt);
    int64_t batches = 0;
    for (int64_t b = 0; b < rows_per_epoch; b += batch, ++batches) {
      trainer.stop_point(epoch);
      const int64_t m = std::min(batch, rows_per_epoch - b);
      const auto idx = perm.narrow(0, b, m);
      const auto t = torch::randint(0, p_.timesteps, {m}, torch::TensorOptions().dtype(torch::kLong).device(dev));
      const auto ab_t = abar.index_select(0, t).unsqueeze(1);
      const auto ab_s = abar_s_all.index_select(0, t).unsqueeze(1);
      std::vector<torch::Tensor> input;
      torch::Tensor eps, x0, xt;
      if (lay.knum > 0) {
        eps = torch::randn({m, lay.knum}, fopt);
        input.push_back(torch::sqrt(ab_t) * z_all.index_select(0, idx) + torch::sqrt(1 - ab_t) * eps);
      }
      if (spans > 0) {
        const auto a = ab_t.unsqueeze(2);
        x0 = lay.one_hot(cat_all.index_select(0, idx));
        xt = draw_one_hot(a * x0 + (1 - a) * lay.uniform, lay);
        input.push_back(lay.block.flatten(xt));
      }
      const auto out = denoiser_->forward(torch::cat(input, 1), t);
      torch::Tensor mse = torch::zeros({}, fopt), kl = torch::zeros({}, fopt);
      if (lay.knum > 0) mse = (out.narrow(1, 0, lay.knum) - eps).pow(2).mean();
      if (spans > 0) {
        const auto a_s = ab_s.unsqueeze(2), a_ts = (ab_t / ab_s).unsqueeze(2);
        const auto q = multinomial_posterior(xt, x0, a_ts, a_s, lay.uniform);
        const auto p = multinomial_posterior(xt, torch::softmax(lay.block.gather(out), -1), a_ts, a_s, lay.uniform);
        // T x KL_t: the Monte Carlo estimate of the sum over t of the ELBO's terms (t uniform),
        // averaged over the spans with more than one slot (a one-slot span has nothing to learn).
        kl = (q * (torch::log(q.clamp_min(1e-12)) - torch::log(p.clamp_min(1e-12)))).sum({1, 2}).mean() *
             (static_cast<double>(p_.timesteps) / static_cast<double>(lay.learned_spans));
      }
      const auto loss = mse + kl;
      opt.zero_grad();
      loss.backward();
      opt.step();
      mse_sum += mse.detach();
      kl_sum += kl.detach();
    }
    // One host synchronisation per epoch; no timings (the model file must not depend on speed).
    return {{"mse", mse_sum.item<double>() / batches}, {"kl", kl_sum.item<double>() / batches}};
  });
  history_ = trainer.history();
  denoiser_->to(torch::kCPU);
  layout_ = Layout(transformer_, torch::kCPU);
  if (p_.train.privacy == "coarse") {
    transformer_.coarsen();
    schema_ = transformer_.schema();
  }
}

// splitmix64's finaliser: the random numbers of the categorical draws come from a hash of
// (seed, step, row, span), so they do not depend on the thread that draws them.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// One reverse step of the multinomial chains of rows [0, m), fused in one pass (a chain of
// tensor operations on the padded block cost more than the denoiser itself). For a free span
// with current category c and predicted clean distribution p0 = softmax(logits) (uniform when
// logits is null), the next category is drawn from (a [k == c] + (1 - a)/K)(b p0_k + (1 - b)/K);
// a conditioned span is held at its value (inpainting).
// cat (m x spans) is updated and the one-hots written to input's slots (m x dim, model layout).
void categorical_step(const Layout& lay, const float* logits, int32_t* cat, float* input, int64_t m,
                      const std::vector<int64_t>& cond_slot, double a, double b, uint64_t key, int64_t first_row) {
  const int64_t spans = static_cast<int64_t>(lay.span_width.size()), dim = lay.dim;
  at::parallel_for(0, m, 64, [&](int64_t begin, int64_t end) {
    std::vector<double> theta(static_cast<size_t>(lay.block.width()));
    for (int64_t r = begin; r < end; ++r) {
      const uint64_t row_key = mix64(key ^ mix64(static_cast<uint64_t>(first_row + r)));
      float* in = input + r * dim;
      for (int64_t j = 0; j < spans; ++j) {
        const int64_t off = lay.span_offset[j], K = lay.span_width[j];
        int32_t& c = cat[r * spans + j];
        const double uk = 1.0 / static_cast<double>(K);
        double total = 0;
        if (cond_slot[j] >= 0) {
          c = static_cast<int32_t>(cond_slot[j]);
          std::fill(in + off, in + off + K, 0.0f);
          in[off + c] = 1.0f;
          continue;
        }
        {
          const float* l = logits ? logits + r * dim + off : nullptr;
          double z = 1;
          if (l) {
            float mx = l[0];
            for (int64_t k = 1; k < K; ++k) mx = std::max(mx, l[k]);
            z = 0;
            for (int64_t k = 0; k < K; ++k) z += theta[k] = std::exp(l[k] - mx);
          }
          for (int64_t k = 0; k < K; ++k) {
            const double p0 = l ? theta[k] / z : uk;
            theta[k] = ((k == c ? a : 0.0) + (1 - a) * uk) * (b * p0 + (1 - b) * uk);
            total += theta[k];
          }
        }
        double u = static_cast<double>(mix64(row_key + static_cast<uint64_t>(j)) >> 11) * 0x1.0p-53 * total;
        int64_t pick = K - 1;
        for (int64_t k = 0; k < K; ++k) {
          u -= theta[k];
          if (u < 0) {
            pick = k;
            break;
          }
        }
        c = static_cast<int32_t>(pick);
        std::fill(in + off, in + off + K, 0.0f);
        in[off + pick] = 1.0f;
      }
    }
  });
}

void DiffusionSynthesizer::generate(int64_t total, const std::vector<int64_t>& cond_slot, uint64_t seed,
                                    float* out) const {
  const Layout& lay = layout_;
  const int64_t spans = lay.block.spans();
  const std::vector<int64_t> steps = sampling_steps();
  const int64_t dim = static_cast<int64_t>(transformer_.output_dim());
  // Rows per pass. Every buffer below is allocated once and reused: with 4,096-row passes the
  // per-operation temporaries (2 MB each) went back to the OS and were page-faulted in again at
  // every step, which cost more than the arithmetic (docs/benchmarks.md).
  const int64_t chunk = std::min<int64_t>(kSampleChunk, std::max<int64_t>(total, 1));
  const int64_t knum = lay.knum;
  std::vector<int32_t> cat(static_cast<size_t>(chunk * spans));
  const std::vector<int64_t> scalar_cols(lay.scalar_cols.data_ptr<int64_t>(),
                                         lay.scalar_cols.data_ptr<int64_t>() + knum);
  // The denoiser as transposed weights for addmm_out: proj, the body's Linear layers, out.
  struct Dense {
    torch::Tensor wt, b, h;  // weight^T, bias, output buffer (chunk x width)
  };
  std::vector<Dense> body;
  for (const auto& child : denoiser_->body->children())
    if (const auto* lin = child->as<torch::nn::LinearImpl>())
      body.push_back({lin->weight.t().contiguous(), lin->bias, torch::empty({chunk, lin->weight.size(0)})});
  const torch::Tensor proj_wt = denoiser_->proj->weight.t().contiguous();
  const torch::Tensor out_wt = denoiser_->out->weight.t().contiguous();
  torch::Tensor h0 = torch::empty({chunk, proj_wt.size(1)}), o_buf = torch::empty({chunk, lay.dim});
  torch::Tensor input = torch::zeros({chunk, lay.dim}), z = torch::empty({chunk, knum}), noise = torch::empty({chunk, knum});
  // Per step: the time embedding folded into the first layer's bias.
  std::vector<torch::Tensor> first_bias(steps.size());
  for (size_t i = 0; i < steps.size(); ++i)
    first_bias[i] = (denoiser_->proj->bias +
                     denoiser_->time->forward(time_features(torch::full({1}, steps[i], torch::kLong))).squeeze(0))
                        .contiguous();

  std::fill(out, out + total * dim, 0.0f);
  for (int64_t done = 0; done < total; done += chunk) {
    const int64_t m = std::min(chunk, total - done);
    torch::Tensor in_m = input.narrow(0, 0, m), z_m = z.narrow(0, 0, m), noise_m = noise.narrow(0, 0, m);
    in_m.zero_();
    z_m.normal_();
    const uint64_t chunk_key = mix64(seed ^ static_cast<uint64_t>(done));
    // x_T: uniform categories (the chain's stationary law).
    if (spans > 0)
      categorical_step(lay, nullptr, cat.data(), in_m.data_ptr<float>(), m, cond_slot, 0.0, abar_.back(),
                       mix64(chunk_key), done);
    float* zp = z_m.data_ptr<float>();
    float* inp = in_m.data_ptr<float>();
    for (int64_t r = 0; r < m; ++r)
      for (int64_t q = 0; q < knum; ++q) inp[r * lay.dim + q] = zp[r * knum + q];
    for (size_t i = steps.size(); i-- > 0;) {
      const int64_t t = steps[i];
      const double ab_t = abar_[static_cast<size_t>(t)];
      const double ab_s = i > 0 ? abar_[static_cast<size_t>(steps[i - 1])] : 1.0;
      const double a_ts = ab_t / ab_s;
      // The denoiser: relu(x W1^T + b1 + time(t)), the body's Linear + ReLU layers, out.
      torch::Tensor h = h0.narrow(0, 0, m);
      torch::addmm_out(h, first_bias[i], in_m, proj_wt).relu_();
      for (Dense& l : body) {
        torch::Tensor hn = l.h.narrow(0, 0, m);
        torch::addmm_out(hn, l.b, h, l.wt).relu_();
        h = hn;
      }
      torch::Tensor o = o_buf.narrow(0, 0, m);
      torch::addmm_out(o, denoiser_->out->bias, h, out_wt);
      const float* op = o.data_ptr<float>();
      if (knum > 0) {
        // Gaussian step, fused: x0 = clip((z - sqrt(1 - ab_t) eps) / sqrt(ab_t)), then the
        // posterior mean c0 x0 + ct z plus its noise (the last step keeps x0); the new z also
        // goes into the next input.
        const float se = static_cast<float>(std::sqrt(1 - ab_t)), sa = static_cast<float>(1 / std::sqrt(ab_t));
        const bool last = i == 0;
        const float c0 = last ? 1.f : static_cast<float>(std::sqrt(ab_s) * (1 - a_ts) / (1 - ab_t));
        const float ct = last ? 0.f : static_cast<float>(std::sqrt(a_ts) * (1 - ab_s) / (1 - ab_t));
        const float sd = last ? 0.f : static_cast<float>(std::sqrt((1 - a_ts) * (1 - ab_s) / (1 - ab_t)));
        if (!last) noise_m.normal_();
        const float* np = noise_m.data_ptr<float>();
        const float clip = static_cast<float>(kClip);
        for (int64_t r = 0; r < m; ++r)
          for (int64_t q = 0; q < knum; ++q) {
            float& zz = zp[r * knum + q];
            const float x0 = std::clamp((zz - se * op[r * lay.dim + q]) * sa, -clip, clip);
            zz = c0 * x0 + ct * zz + (last ? 0.f : sd * np[r * knum + q]);
            inp[r * lay.dim + q] = zz;
          }
      }
      if (spans > 0)
        categorical_step(lay, op, cat.data(), inp, m, cond_slot, a_ts, ab_s, mix64(chunk_key + 1 + i), done);
    }
    // Back to the transformer's layout.
    const float inv = static_cast<float>(1 / kScalarScale);
    for (int64_t r = 0; r < m; ++r) {
      float* row = out + (done + r) * dim;
      for (int64_t q = 0; q < knum; ++q) row[scalar_cols[q]] = zp[r * knum + q] * inv;
      for (int64_t j = 0; j < spans; ++j) row[lay.span_source[j] + cat[r * spans + j]] = 1.0f;
    }
  }
}

Table DiffusionSynthesizer::sample(size_t n, const std::vector<Condition>& conditions, const Context& ctx) const {
  check_request(n, conditions);
  if (!denoiser_) throw InvalidInput("diffusion: the model is not trained");
  torch::NoGradGuard no_grad;
  denoiser_->eval();
  Context tctx = ctx;
  tctx.device = Device::kCpu;
  nn::init_torch(tctx);
  const Layout& lay = layout_;
  const std::vector<ConditionTarget> targets = resolve_conditions(transformer_, seen_levels_, conditions);
  const int64_t spans = lay.block.spans();
  const std::vector<int64_t> free_slots(static_cast<size_t>(spans), -1);
  const uint64_t seed = static_cast<uint64_t>(torch::randint(0, int64_t{1} << 62, {1}, torch::kLong).item<int64_t>());
  const int64_t dim = static_cast<int64_t>(transformer_.output_dim());
  const int64_t total = static_cast<int64_t>(n);
  std::vector<float> rows_out(static_cast<size_t>(total * dim));
  if (targets.empty()) {
    generate(total, free_slots, seed, rows_out.data());
    return finish_rows(transformer_, rows_out.data(), n, targets, ctx.seed);
  }
  // Conditions: rejection first. Unconditional rows that carry the values are draws from the
  // learned conditional law; inpainting alone (holding the values at every reverse step) was
  // measured to follow it only weakly (the other columns settle while the model still reads
  // the held values as noise). Up to 64 unconditional rows per requested row are drawn; rows
  // still missing then are inpainted, so a rare combination costs bounded time.
  int64_t accepted = 0, drawn = 0, round = 0;
  const int64_t budget = 64 * total + 4096;
  std::vector<float> pool;
  while (accepted < total && drawn < budget) {
    const int64_t m = std::min<int64_t>({budget - drawn, std::max<int64_t>(4096, 2 * (total - accepted)), 65536});
    pool.resize(static_cast<size_t>(m * dim));
    generate(m, free_slots, mix64(seed + static_cast<uint64_t>(++round)), pool.data());
    drawn += m;
    for (int64_t r = 0; r < m && accepted < total; ++r) {
      const float* row = pool.data() + r * dim;
      bool ok = true;
      for (const ConditionTarget& t : targets) ok = ok && row[t.start + t.slot] > 0.5f;
      if (ok) std::copy(row, row + dim, rows_out.begin() + accepted++ * dim);
    }
  }
  if (accepted < total) {
    std::vector<int64_t> cond_slot = free_slots;  // the conditioned slot of each span
    for (const ConditionTarget& t : targets) cond_slot[static_cast<size_t>(lay.span_of_start.at(t.start))] = t.slot;
    generate(total - accepted, cond_slot, mix64(seed), rows_out.data() + accepted * dim);
  }
  return finish_rows(transformer_, rows_out.data(), n, targets, ctx.seed);
}

void DiffusionSynthesizer::save_state(json* state, std::string* payload) const {
  torch::serialize::OutputArchive root, den;
  denoiser_->save(den);
  root.write("denoiser", den);
  *payload = archive_bytes(root);
  *state = json{{"transformer", transformer_.to_json()}, {"history", history_}, {"seen_levels", seen_levels_},
                {"warnings", warnings_}};
}

void DiffusionSynthesizer::load_state(const json& state, const std::string& payload) {
  load_model_state("diffusion", [&] {
    transformer_ = DataTransformer::from_json(tabular::state::member(state, "transformer", "diffusion state"));
    check_same_schema(transformer_, schema_);
    history_ = checked_history(tabular::state::member(state, "history", "diffusion state"));
    seen_levels_ = checked_seen_levels(tabular::state::member(state, "seen_levels", "diffusion state"), schema_);
    warnings_ = state.contains("warnings") ? tabular::state::string_array(state["warnings"], "diffusion state: warnings")
                                           : std::vector<std::string>{};
    std::vector<int64_t> scalars;
    std::vector<std::pair<int64_t, int64_t>> spans;
    index_spans(transformer_, &scalars, &spans);
    int64_t widest = 0;
    for (const auto& sp : spans) widest = std::max(widest, sp.second);
    if (scalars.empty() && spans.empty()) throw ModelFormat("diffusion state: the transformer has no output");
    // The padded category block is spans x widest: bounded before it is allocated.
    if (widest > 0 && static_cast<int64_t>(spans.size()) > (int64_t{1} << 26) / widest)
      throw ModelFormat("diffusion state: " + std::to_string(spans.size()) + " category spans of up to " +
                        std::to_string(widest) + " slots are more than a model holds");
    layout_ = Layout(transformer_, torch::kCPU);
    // Each float parameter takes 4 bytes of the payload: a header asking for more than the
    // payload can hold is refused before anything that size is allocated.
    const int64_t size = denoiser_size(layout_.dim, p_.hidden);
    if (size > static_cast<int64_t>(payload.size() / 4))
      throw ModelFormat("diffusion weights: the header implies " + std::to_string(size) +
                        " parameters, more than the payload holds");
    denoiser_ = Denoiser(layout_.dim, p_.hidden);
    torch::serialize::InputArchive root, den;
    load_archive(root, payload, torch::kCPU);
    root.read("denoiser", den);
    load_checked(*denoiser_, den, "diffusion denoiser");
  });
}

}  // namespace

Synthesizer* nnlib::make_diffusion(const json& params) {
  return new DiffusionSynthesizer(DiffusionParams::from_json(params));
}

}  // namespace medgen::tabular
