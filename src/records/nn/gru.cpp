// An autoregressive GRU over an entity's events. Per step it reads the previous event (its
// encoded values and missing flags, its gap, how many events and how much time remain) and
// predicts the next event: the gap as a zero/positive switch plus a log-normal mixture
// truncated to the time left (the intensity-free temporal point process of Shchur et al.,
// 2020), then each value given the state and that gap: numerical values as Gaussian mixtures
// on a standardised (log for skewed positive columns) scale with a missing logit, categorical
// values as a softmax with a missing class. The initial state is an MLP of the entity's static
// attributes. Teacher forcing for training; sampling steps all entities of a chunk together.
// With calibration "quantile" (default) the sampled values and gaps pass through quantile maps
// fitted after training from the model's own samples of the training entities onto the data
// (see Calibration).
#include "sequence_gru.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "../../tabular/state_check.h"
#include "../calibration.h"
#include "medgen/core/error.h"
#include "medgen/nn/archive.h"
#include "medgen/nn/device.h"
#include "medgen/nn/trainer.h"

namespace medgen::records::nnlib {

using json = nlohmann::json;
namespace st = tabular::state;

namespace {

constexpr int kFormat = 2;  // 1: lengths always given (still read)
constexpr int kStepFeatures = 7;  // first, prev gap, index, events left, time left, has end, elapsed
constexpr double kLog2Pi = 1.8378770664093453;
constexpr size_t kMaxDiscrete = 12;  // numerical columns with at most this many values are classes

// Calibration: windows of time since the start (each with this many training events at
// least), knots per quantile map, values per map at least, gap classes (step 0, 1, 2, later),
// logit shifts at most.
constexpr size_t kCalWindows = 6, kCalMinPerWindow = 200, kCalKnots = 50, kCalMinValues = 40, kCalGapClasses = 4;
constexpr double kCalShiftLimit = 3.0;
// Gap maps are coarser (deciles): with 50 knots they fitted the training gaps' tails and the
// held-out patients' log-gap distance rose (0.061 against 0.051 with 10, sequence_slow_test).
constexpr size_t kCalGapKnots = 10;
constexpr size_t kCalEndBands = 4;  // bands of the end (follow-up) for the end adjustment
constexpr size_t kCalSimEvents = 20000, kCalMaxReps = 10;  // simulated events aimed at, repeats of the data at most

bool numeric_type(ColumnType t) { return t == ColumnType::kNumerical || t == ColumnType::kDatetime; }
bool level_type(ColumnType t) { return t == ColumnType::kCategorical || t == ColumnType::kBoolean; }

// One context column's encoding: numeric standardised with a missing flag, or one-hot levels.
struct CtxFeature {
  std::string name;
  bool numeric = true;
  double mean = 0, sd = 1;
  std::vector<std::string> levels;
  int64_t width() const { return numeric ? 2 : static_cast<int64_t>(levels.size()); }
};

// One event value column: numeric (optionally log) standardised, or levels plus "missing".
struct ValueFeature {
  std::string name;
  bool numeric = true;
  bool log = false;
  double mean = 0, sd = 1;  // of the (log) values
  double lo = 0, hi = 0;    // standardised range seen in training (samples are clipped to it)
  std::vector<std::string> levels;
  // A numerical column with few distinct values (0/1 flags, stages): numeric is false and
  // the values seen are classes of a softmax, like categories.
  std::vector<double> points;
  int64_t classes() const { return static_cast<int64_t>(points.empty() ? levels.size() : points.size()); }
  int64_t in_width() const { return numeric ? 2 : classes() + 1; }
};

struct Encoding {
  std::vector<CtxFeature> ctx;
  std::vector<ValueFeature> values;
  double gap_mean = 0, gap_sd = 1;  // of log positive gaps
  double time_scale = 1;            // median positive gap: the unit of time features
  size_t max_events = 0;            // the longest training sequence (learned lengths stop at 1.5x)

  int64_t ctx_dim() const {
    int64_t d = 1;
    for (const auto& f : ctx) d += f.width();
    return d;
  }
  int64_t value_in_dim() const {
    int64_t d = 0;
    for (const auto& f : values) d += f.in_width();
    return d;
  }
  int64_t numeric_count() const {
    return std::count_if(values.begin(), values.end(), [](const ValueFeature& f) { return f.numeric; });
  }
  int64_t level_out_dim() const {
    int64_t d = 0;
    for (const auto& f : values)
      if (!f.numeric) d += f.classes() + 1;
    return d;
  }
};

// Maps from the network's outputs onto the training data, fitted after training (empty when
// calibration is "none" or the model file predates it).
struct Calibration {
  std::vector<double> cuts;  // upper bounds of the time windows but the last (time since the start)
  std::vector<std::vector<detail::QuantileMap>> values;  // [value feature][window]; numeric features only
  // [value feature][window]: logit shifts, one per class (missing last) of a level feature, one
  // for the missing logit of a numeric feature.
  std::vector<std::vector<std::vector<double>>> shift;
  std::vector<detail::QuantileMap> gaps;  // [min(step, kCalGapClasses - 1)], positive gaps
  std::vector<double> zero_shift;         // [min(step, kCalGapClasses - 1)]: logit shift of the zero-gap switch
  // [band of the end][step i >= 1] of an entity that ends its own sequence, after the maps
  // above: q > 0 ends one that would go on with probability q, q < 0 lets one that would end
  // go on (a gap drawn within the time left) with probability -q, so that the share ending
  // after i events matches the data's among entities whose end falls in the same band
  // (end_cuts: upper bounds of the bands but the last, quantiles of the training ends).
  std::vector<double> end_cuts;
  std::vector<std::vector<double>> end_adjust;
  size_t end_band(double end) const {
    return static_cast<size_t>(std::upper_bound(end_cuts.begin(), end_cuts.end(), end) - end_cuts.begin());
  }
  bool active() const { return !values.empty(); }
  size_t windows() const { return cuts.size() + 1; }
  size_t window(double t) const { return static_cast<size_t>(std::upper_bound(cuts.begin(), cuts.end(), t) - cuts.begin()); }
};

// dictionary code -> index in `levels` (-1 when the label is not a level).
std::vector<int32_t> remap(const Column& col, const std::vector<std::string>& levels) {
  std::vector<int32_t> out(col.dictionary.size(), -1);
  for (size_t i = 0; i < col.dictionary.size(); ++i) {
    const auto it = std::find(levels.begin(), levels.end(), col.dictionary[i]);
    if (it != levels.end()) out[i] = static_cast<int32_t>(it - levels.begin());
  }
  return out;
}

void mean_sd(const std::vector<double>& v, double* mean, double* sd) {
  *mean = 0;
  *sd = 1;
  if (v.empty()) return;
  *mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double var = 0;
  for (double x : v) var += (x - *mean) * (x - *mean);
  var /= std::max<size_t>(1, v.size() - 1);
  *sd = var > 1e-24 ? std::sqrt(var) : 1.0;
}

// Context rows as a (rows, ctx_dim) matrix; the last feature is a constant 1.
torch::Tensor encode_context(const Encoding& enc, const Table& context, size_t rows) {
  const int64_t dim = enc.ctx_dim();
  std::vector<float> x(rows * dim, 0.f);
  int64_t off = 0;
  for (const CtxFeature& f : enc.ctx) {
    const int ci = context.find(f.name);
    if (ci < 0) throw InvalidInput("sequence sample: the context lacks column '" + f.name + "' that the model was fitted with");
    const Column& col = context.columns[static_cast<size_t>(ci)];
    if (col.size() != rows) throw InvalidInput("sequence sample: context column '" + f.name + "' has the wrong length");
    if (f.numeric) {
      if (col.storage != Storage::kNumber) throw InvalidInput("sequence sample: context column '" + f.name + "' is not numeric");
      for (size_t r = 0; r < rows; ++r) {
        if (col.valid[r] && std::isfinite(col.values[r]))
          x[r * dim + off] = static_cast<float>(std::clamp((col.values[r] - f.mean) / f.sd, -10.0, 10.0));
        else
          x[r * dim + off + 1] = 1.f;
      }
    } else {
      if (col.storage != Storage::kString) throw InvalidInput("sequence sample: context column '" + f.name + "' is not categorical");
      const std::vector<int32_t> map = remap(col, f.levels);
      for (size_t r = 0; r < rows; ++r)
        if (col.codes[r] >= 0 && map[static_cast<size_t>(col.codes[r])] >= 0)
          x[r * dim + off + map[static_cast<size_t>(col.codes[r])]] = 1.f;
    }
    off += f.width();
  }
  for (size_t r = 0; r < rows; ++r) x[r * dim + off] = 1.f;
  return torch::from_blob(x.data(), {static_cast<int64_t>(rows), dim}, torch::kFloat32).clone();
}

struct NetImpl : torch::nn::Module {
  NetImpl(const Encoding& enc, const GruParams& p) {
    const int64_t h = p.hidden;
    const int64_t nnum = enc.numeric_count(), kv = p.value_components;
    init = register_module("init", torch::nn::Sequential(torch::nn::Linear(enc.ctx_dim(), h), torch::nn::ReLU(),
                                                         torch::nn::Linear(h, h), torch::nn::Tanh()));
    gru = register_module(
        "gru", torch::nn::GRU(torch::nn::GRUOptions(enc.value_in_dim() + kStepFeatures, h).batch_first(true)));
    gap = register_module("gap", torch::nn::Linear(h, 1 + 3 * p.gap_components));
    value = register_module("value", torch::nn::Sequential(torch::nn::Linear(h + 3, h), torch::nn::ReLU(),
                                                           torch::nn::Linear(h, nnum * (1 + 3 * kv) + enc.level_out_dim())));
  }
  torch::nn::Sequential init{nullptr};
  torch::nn::GRU gru{nullptr};
  torch::nn::Linear gap{nullptr};
  torch::nn::Sequential value{nullptr};
};
TORCH_MODULE(Net);

// Features of a gap for the value head: log1p(gap / scale), standardised log gap (0 for a
// zero gap), zero flag.
torch::Tensor gap_features(const torch::Tensor& gap, const Encoding& enc) {
  const auto zero = gap <= 0;
  const auto lg = ((gap.clamp_min(1e-30).log() - enc.gap_mean) / enc.gap_sd).masked_fill(zero, 0.0);
  return torch::stack({torch::log1p(gap / enc.time_scale), lg, zero.to(torch::kFloat32)}, -1);
}

// log Phi(x), stable far into the left tail.
torch::Tensor log_ndtr(const torch::Tensor& x) { return torch::log((0.5 * torch::erfc(-x / std::sqrt(2.0))).clamp_min(1e-37)); }

class GruModel : public SequenceModel {
 public:
  explicit GruModel(GruParams p) : p_(p) {}
  std::string name() const override { return "gru"; }
  json params() const override { return p_.to_json(); }
  void fit(const SequenceData& data, const Context& ctx) override;
  SequenceData sample(const Table& context, const std::vector<size_t>& lengths, const std::vector<double>& end,
                      const Context& ctx) const override;
  void save_state(json* state, std::string* payload) const override;
  void load_state(const json& state, const std::string& payload) override;

 private:
  // Mean negative log-likelihood per event of a padded batch (entities x steps).
  // term marks the step after an entity's last event where the model ends sequences itself:
  // its term is the probability that the next gap passes the end (lrem there: the time left).
  torch::Tensor loss(const torch::Tensor& ctx, const torch::Tensor& in, const torch::Tensor& step_mask,
                     const torch::Tensor& term, const torch::Tensor& gap, const torch::Tensor& gap_trunc,
                     const torch::Tensor& lrem, const torch::Tensor& num_y, const torch::Tensor& num_miss,
                     const torch::Tensor& lvl) const;
  bool learns_lengths() const override { return p_.lengths == "learned"; }
  // The calibration maps from samples of the training entities (calib_ empty meanwhile), then
  // the end adjustments from samples with those maps applied (calib_ holding them).
  Calibration calibrate(const SequenceData& data, const Context& ctx) const;
  void calibrate_ends(const SequenceData& data, const Context& ctx, Calibration* cal) const;
  // The training entities' contexts, lengths and ends, repeated to about kCalSimEvents events,
  // sampled with calib_ as it is.
  SequenceData simulate(const SequenceData& data, const Context& ctx, uint64_t salt) const;

  GruParams p_;
  Encoding enc_;
  Calibration calib_;
  Schema context_schema_, event_schema_;
  json history_ = json::array();
  mutable Net net_{nullptr};
};

void encode_events(const Encoding& enc, const SequenceData& d, std::vector<float>* vin, std::vector<float>* num_y,
                   std::vector<float>* num_miss, std::vector<int64_t>* lvl) {
  const size_t rows = d.time.size();
  const int64_t vdim = enc.value_in_dim(), nnum = enc.numeric_count();
  const int64_t nlvl = static_cast<int64_t>(enc.values.size()) - nnum;
  vin->assign(rows * vdim, 0.f);
  num_y->assign(rows * nnum, 0.f);
  num_miss->assign(rows * nnum, 0.f);
  lvl->assign(rows * nlvl, 0);
  int64_t off = 0, ni = 0, li = 0;
  for (const ValueFeature& f : enc.values) {
    const Column& col = d.events.column(f.name);
    if (f.numeric) {
      for (size_t r = 0; r < rows; ++r) {
        const bool ok = col.valid[r] && std::isfinite(col.values[r]) && (!f.log || col.values[r] > 0);
        if (ok) {
          const double y = std::clamp(((f.log ? std::log(col.values[r]) : col.values[r]) - f.mean) / f.sd, f.lo, f.hi);
          (*vin)[r * vdim + off] = static_cast<float>(y);
          (*num_y)[r * nnum + ni] = static_cast<float>(y);
        } else {
          (*vin)[r * vdim + off + 1] = 1.f;
          (*num_miss)[r * nnum + ni] = 1.f;
        }
      }
      ++ni;
    } else {
      const std::vector<int32_t> map = f.points.empty() ? remap(col, f.levels) : std::vector<int32_t>{};
      const int64_t k = f.classes();
      for (size_t r = 0; r < rows; ++r) {
        int32_t c = -1;
        if (!f.points.empty()) {
          const auto it = std::lower_bound(f.points.begin(), f.points.end(), col.values[r]);
          if (col.valid[r] && it != f.points.end() && *it == col.values[r]) c = static_cast<int32_t>(it - f.points.begin());
        } else if (col.codes[r] >= 0) {
          c = map[static_cast<size_t>(col.codes[r])];
        }
        (*vin)[r * vdim + off + (c >= 0 ? c : k)] = 1.f;
        (*lvl)[r * nlvl + li] = c >= 0 ? c : k;
      }
      ++li;
    }
    off += f.in_width();
  }
}

// The step features at event i: owed is the number of events still to come, this one included
// (0: not known, the model ends the sequence itself); prev_time is the previous event's time (0
// before the first), prev_gap its gap.
void step_features(float* out, const Encoding& enc, size_t i, size_t owed, double prev_time, double prev_gap,
                   double end) {
  const double s = enc.time_scale;
  out[0] = i == 0 ? 1.f : 0.f;
  out[1] = static_cast<float>(std::log1p(prev_gap / s));
  out[2] = static_cast<float>(std::log1p(static_cast<double>(i)));
  out[3] = static_cast<float>(std::log1p(static_cast<double>(owed)));
  const bool has_end = !std::isnan(end);
  out[4] = has_end ? static_cast<float>(std::log1p(std::max(0.0, end - prev_time) / s)) : 0.f;
  out[5] = has_end ? 1.f : 0.f;
  out[6] = static_cast<float>(std::log1p(prev_time / s));
}

torch::Tensor GruModel::loss(const torch::Tensor& ctx, const torch::Tensor& in, const torch::Tensor& step_mask,
                             const torch::Tensor& term, const torch::Tensor& gap, const torch::Tensor& gap_trunc,
                             const torch::Tensor& lrem, const torch::Tensor& num_y, const torch::Tensor& num_miss,
                             const torch::Tensor& lvl) const {
  namespace F = torch::nn::functional;
  const int64_t kg = p_.gap_components, kv = p_.value_components, nnum = enc_.numeric_count();
  const auto h0 = net_->init->forward(ctx).unsqueeze(0);
  const auto h = std::get<0>(net_->gru->forward(in, h0));  // (B, T, H)
  const auto g = net_->gap->forward(h);
  const auto zero = gap <= 0;
  const auto pos = (~zero).to(torch::kFloat32);
  // Gap: zero vs positive, then the truncated log-normal mixture on the standardised log gap.
  auto lp = -F::binary_cross_entropy_with_logits(g.select(-1, 0), zero.to(torch::kFloat32),
                                                 F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  const auto w = torch::log_softmax(g.narrow(-1, 1, kg), -1);
  const auto m = g.narrow(-1, 1 + kg, kg);
  const auto ls = g.narrow(-1, 1 + 2 * kg, kg).clamp(-5.0, 3.0);
  const auto lg = ((gap.clamp_min(1e-30).log() - enc_.gap_mean) / enc_.gap_sd).unsqueeze(-1);
  const auto zc = (lg - m) / ls.exp();
  const auto dens = torch::logsumexp(w - 0.5 * zc * zc - ls - 0.5 * kLog2Pi, -1);
  const auto trunc = torch::logsumexp(w + log_ndtr((lrem.unsqueeze(-1) - m) / ls.exp()), -1);
  lp = lp + pos * (dens - gap_trunc * trunc);
  // The end: no event at gap 0 and the positive gap beyond the time left (all of it when
  // none is left).
  const auto beyond = torch::logsumexp(w + log_ndtr((m - lrem.unsqueeze(-1)) / ls.exp()), -1);
  const auto ended = F::logsigmoid(-g.select(-1, 0)) + gap_trunc * beyond;  // Values, given the state and the event's own gap.
  const auto v = net_->value->forward(torch::cat({h, gap_features(gap, enc_)}, -1));
  int64_t off = 0;
  if (nnum > 0) {
    const auto miss_logit = v.narrow(-1, 0, nnum);
    lp = lp - F::binary_cross_entropy_with_logits(miss_logit, num_miss,
                                                  F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                  .sum(-1);
    const auto sizes = std::vector<int64_t>{v.size(0), v.size(1), nnum, kv};
    const auto vw = torch::log_softmax(v.narrow(-1, nnum, nnum * kv).reshape(sizes), -1);
    const auto vm = v.narrow(-1, nnum * (1 + kv), nnum * kv).reshape(sizes);
    const auto vls = v.narrow(-1, nnum * (1 + 2 * kv), nnum * kv).reshape(sizes).clamp(-6.0, 3.0);
    const auto vz = (num_y.unsqueeze(-1) - vm) / vls.exp();
    const auto vd = torch::logsumexp(vw - 0.5 * vz * vz - vls - 0.5 * kLog2Pi, -1);
    lp = lp + ((1 - num_miss) * vd).sum(-1);
    off = nnum * (1 + 3 * kv);
  }
  int64_t li = 0;
  for (const ValueFeature& f : enc_.values) {
    if (f.numeric) continue;
    const int64_t k = f.classes() + 1;
    const auto logits = v.narrow(-1, off, k);
    lp = lp + torch::log_softmax(logits, -1).gather(-1, lvl.select(-1, li).unsqueeze(-1)).squeeze(-1);
    off += k;
    ++li;
  }
  lp = (1 - term) * lp + term * ended;
  return -(lp * step_mask).sum() / step_mask.sum().clamp_min(1.0);
}

void GruModel::fit(const SequenceData& data, const Context& ctx) {
  data.check();
  const size_t entities = data.num_entities();
  if (entities == 0 || data.time.empty()) throw InvalidInput("sequence model 'gru': there are no events to learn from");
  Context c = ctx;
  c.device = Device::kCpu;  // small recurrent steps: the CPU is faster than a launch per step
  nn::init_torch(c);

  // ---- encodings
  Encoding enc;
  const bool learned = learns_lengths();
  for (const ColumnSchema& cs : data.context_schema.columns) {
    if (!numeric_type(cs.type) && !level_type(cs.type)) continue;
    if (learned && cs.name == data.length_column) continue;  // the lengths are the model's own
    CtxFeature f;
    f.name = cs.name;
    f.numeric = numeric_type(cs.type);
    const Column& col = data.context.column(cs.name);
    if (f.numeric) {
      std::vector<double> v;
      for (size_t r = 0; r < col.size(); ++r)
        if (col.valid[r] && std::isfinite(col.values[r])) v.push_back(col.values[r]);
      mean_sd(v, &f.mean, &f.sd);
    } else {
      f.levels = cs.values;
    }
    enc.ctx.push_back(std::move(f));
  }
  for (const ColumnSchema& cs : data.event_schema.columns) {
    if (!numeric_type(cs.type) && !level_type(cs.type)) continue;
    ValueFeature f;
    f.name = cs.name;
    f.numeric = numeric_type(cs.type);
    const Column& col = data.events.column(cs.name);
    if (f.numeric) {
      std::vector<double> v;
      for (size_t r = 0; r < col.size(); ++r)
        if (col.valid[r] && std::isfinite(col.values[r])) v.push_back(col.values[r]);
      std::vector<double> distinct = v;
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      if (!distinct.empty() && distinct.size() <= kMaxDiscrete) {
        f.numeric = false;
        f.points = distinct;
        enc.values.push_back(std::move(f));
        continue;
      }
      double mean, sd;
      mean_sd(v, &mean, &sd);
      double skew = 0;
      for (double x : v) skew += std::pow((x - mean) / sd, 3);
      skew /= std::max<size_t>(1, v.size());
      const bool positive = !v.empty() && *std::min_element(v.begin(), v.end()) > 0;
      f.log = positive && skew > 1.0 && cs.type == ColumnType::kNumerical;
      if (f.log)
        for (double& x : v) x = std::log(x);
      mean_sd(v, &f.mean, &f.sd);
      f.lo = f.hi = 0;
      if (!v.empty()) {
        f.lo = (*std::min_element(v.begin(), v.end()) - f.mean) / f.sd;
        f.hi = (*std::max_element(v.begin(), v.end()) - f.mean) / f.sd;
      }
    } else {
      f.levels = cs.values;
    }
    enc.values.push_back(std::move(f));
  }
  std::vector<double> lgaps;
  for (size_t e = 0; e < entities; ++e)
    for (size_t i = data.offsets[e]; i < data.offsets[e + 1]; ++i) {
      const double gp = data.time[i] - (i == data.offsets[e] ? 0.0 : data.time[i - 1]);
      if (gp > 0) lgaps.push_back(gp);
    }
  if (!lgaps.empty()) {
    std::vector<double> sorted = lgaps;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    enc.time_scale = sorted[sorted.size() / 2];
    for (double& x : lgaps) x = std::log(x);
    mean_sd(lgaps, &enc.gap_mean, &enc.gap_sd);
  }
  enc_ = enc;
  context_schema_ = data.context_schema;
  event_schema_ = data.event_schema;

  // ---- padded tensors (entities, longest + 1 for the end step, ...)
  size_t longest = 0;
  for (size_t e = 0; e < entities; ++e) longest = std::max(longest, data.offsets[e + 1] - data.offsets[e]);
  enc_.max_events = longest;
  // Entities whose sequence the model ends itself: learned lengths, an end, and events.
  auto ends_itself = [&](size_t e) {
    return learned && !data.end.empty() && !std::isnan(data.end[e]) && data.offsets[e + 1] > data.offsets[e];
  };
  const int64_t E = static_cast<int64_t>(entities), T = static_cast<int64_t>(longest) + (learned ? 1 : 0);
  const int64_t vdim = enc.value_in_dim(), idim = vdim + kStepFeatures, nnum = enc.numeric_count();
  const int64_t nlvl = static_cast<int64_t>(enc.values.size()) - nnum;
  std::vector<float> vin, ny, nm;
  std::vector<int64_t> lv;
  encode_events(enc, data, &vin, &ny, &nm, &lv);
  std::vector<float> in(E * T * idim, 0.f), mask(E * T, 0.f), term(E * T, 0.f), gap(E * T, 0.f), trunc(E * T, 0.f),
      lrem(E * T, 0.f);
  std::vector<float> pny(E * T * nnum, 0.f), pnm(E * T * nnum, 0.f);
  std::vector<int64_t> plv(E * T * nlvl, 0);
  for (size_t e = 0; e < entities; ++e) {
    const size_t n = data.offsets[e + 1] - data.offsets[e];
    const double stop = data.end.empty() ? NAN : data.end[e];
    const bool own = ends_itself(e);
    double prev_time = 0, prev_gap = 0;
    for (size_t i = 0; i < n + (own ? 1 : 0); ++i) {
      const size_t r = data.offsets[e] + i, s = e * T + i;
      float* x = &in[s * idim];
      if (i > 0) std::copy(&vin[(r - 1) * vdim], &vin[r * vdim], x);
      step_features(x + vdim, enc, i, own ? 0 : n - i, prev_time, prev_gap, stop);
      mask[s] = 1.f;
      // Truncated to the time left: every gap of a given length, the first of an own one (it
      // has at least one event); its end step's term is the mass beyond the time left.
      if (!std::isnan(stop) && stop - prev_time > 0 && (!own || i == 0 || i == n)) {
        trunc[s] = 1.f;
        lrem[s] = static_cast<float>((std::log(stop - prev_time) - enc.gap_mean) / enc.gap_sd);
      }
      if (i == n) {
        term[s] = 1.f;
        break;
      }
      const double gp = data.time[r] - prev_time;
      gap[s] = static_cast<float>(gp);
      std::copy(&ny[r * nnum], &ny[(r + 1) * nnum], &pny[s * nnum]);
      std::copy(&nm[r * nnum], &nm[(r + 1) * nnum], &pnm[s * nnum]);
      std::copy(&lv[r * nlvl], &lv[(r + 1) * nlvl], &plv[s * nlvl]);
      prev_gap = gp;
      prev_time = data.time[r];
    }
  }
  auto f32 = [](std::vector<float>& v, std::vector<int64_t> shape) {
    return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
  };
  const auto t_ctx = encode_context(enc, data.context, entities);
  const auto t_in = f32(in, {E, T, idim}), t_mask = f32(mask, {E, T}), t_term = f32(term, {E, T});
  const auto t_gap = f32(gap, {E, T});
  const auto t_trunc = f32(trunc, {E, T}), t_lrem = f32(lrem, {E, T});
  const auto t_ny = f32(pny, {E, T, nnum}), t_nm = f32(pnm, {E, T, nnum});
  const auto t_lv = torch::from_blob(plv.data(), {E, T, nlvl}, torch::kLong).clone();
  std::vector<int64_t> lengths(entities);
  for (size_t e = 0; e < entities; ++e)
    lengths[e] = static_cast<int64_t>(data.offsets[e + 1] - data.offsets[e]) + (ends_itself(e) ? 1 : 0);

  // ---- training
  net_ = Net(enc_, p_);
  torch::optim::Adam opt(net_->parameters(), torch::optim::AdamOptions(p_.learning_rate));
  nn::TrainLoop loop;
  loop.task = "training gru sequence model";
  // Epochs, capped by the step budget: 312 pbcseq patients take 120 epochs of 10 steps; 17,000
  // patients take 3 epochs of 532 steps (each step sees batch_size entities either way).
  const int64_t batches_per_epoch = (E + std::min<int64_t>(p_.batch_size, E) - 1) / std::min<int64_t>(p_.batch_size, E);
  int epochs = p_.epochs;
  if (p_.max_steps > 0)
    epochs = static_cast<int>(std::clamp<int64_t>((p_.max_steps + batches_per_epoch - 1) / batches_per_epoch, 1, p_.epochs));
  loop.total = epochs;
  loop.record_every = std::max(1, epochs / 20);
  loop.progress = ctx.progress;
  loop.detail = [](const nn::Losses& l, double) { return "nll=" + std::to_string(l[0].second); };
  nn::Trainer trainer(loop);
  const int64_t bs = std::min<int64_t>(p_.batch_size, E);
  net_->train();
  trainer.run([&](int64_t unit, bool) -> nn::Losses {
    const auto perm = torch::randperm(E, torch::kLong);
    double total = 0;
    int64_t batches = 0;
    for (int64_t b = 0; b < E; b += bs) {
      trainer.stop_point(unit);
      const auto idx = perm.narrow(0, b, std::min(bs, E - b));
      int64_t tb = 1;
      const auto* ip = idx.data_ptr<int64_t>();
      for (int64_t j = 0; j < idx.size(0); ++j) tb = std::max(tb, lengths[static_cast<size_t>(ip[j])]);
      auto pick = [&](const torch::Tensor& t) { return t.index_select(0, idx).narrow(1, 0, tb); };
      const auto l = loss(t_ctx.index_select(0, idx), pick(t_in), pick(t_mask), pick(t_term), pick(t_gap), pick(t_trunc),
                          pick(t_lrem), pick(t_ny), pick(t_nm), pick(t_lv));
      opt.zero_grad();
      l.backward();
      torch::nn::utils::clip_grad_norm_(net_->parameters(), 5.0);
      opt.step();
      total += l.item<double>();
      ++batches;
    }
    return {{"nll", total / std::max<int64_t>(1, batches)}};
  });
  history_ = trainer.history();
  net_->eval();
  calib_ = Calibration{};
  if (p_.calibration == "quantile") {
    calib_ = calibrate(data, ctx);
    if (calib_.active() && learned) {
      Calibration with_ends = calib_;
      calibrate_ends(data, ctx, &with_ends);
      calib_ = std::move(with_ends);
    }
  }
}

SequenceData GruModel::simulate(const SequenceData& data, const Context& ctx, uint64_t salt) const {
  const size_t entities = data.num_entities(), events = data.time.size();
  const size_t reps = std::clamp<size_t>((kCalSimEvents + events - 1) / std::max<size_t>(1, events), 1, kCalMaxReps);
  std::vector<size_t> rows, lengths;
  std::vector<double> ends;
  for (size_t k = 0; k < reps; ++k)
    for (size_t e = 0; e < entities; ++e) {
      rows.push_back(e);
      lengths.push_back(data.offsets[e + 1] - data.offsets[e]);
      if (!data.end.empty()) ends.push_back(data.end[e]);
    }
  Context c = ctx;
  c.seed = ctx.seed ^ salt;
  c.progress = nullptr;
  return sample(data.context.take(rows), lengths, ends, c);
}

void GruModel::calibrate_ends(const SequenceData& data, const Context& ctx, Calibration* cal) const {
  // Bands: quantiles of the ends of the entities that end their own sequences.
  std::vector<double> ends;
  for (size_t e = 0; e < data.num_entities(); ++e)
    if (!data.end.empty() && !std::isnan(data.end[e]) && data.offsets[e + 1] > data.offsets[e]) ends.push_back(data.end[e]);
  if (ends.empty()) return;
  std::sort(ends.begin(), ends.end());
  std::vector<double> cuts;
  for (size_t b = 1; b < kCalEndBands; ++b) {
    const double c = ends[b * (ends.size() - 1) / kCalEndBands];
    if (cuts.empty() || c > cuts.back()) cuts.push_back(c);
  }
  Calibration bands;
  bands.end_cuts = cuts;
  const size_t nb = cuts.size() + 1;
  // Per band and step i: entities with at least i events, and with exactly i.
  auto hazards = [&](const SequenceData& d, std::vector<std::vector<double>>* at_risk, std::vector<std::vector<double>>* ending) {
    at_risk->assign(nb, {});
    ending->assign(nb, {});
    for (size_t e = 0; e < d.num_entities(); ++e) {
      if (d.end.empty() || std::isnan(d.end[e])) continue;
      const size_t n = d.offsets[e + 1] - d.offsets[e];
      if (n == 0) continue;
      const size_t b = bands.end_band(d.end[e]);
      if ((*at_risk)[b].size() <= n) {
        (*at_risk)[b].resize(n + 1, 0.0);
        (*ending)[b].resize(n + 1, 0.0);
      }
      for (size_t i = 1; i <= n; ++i) (*at_risk)[b][i] += 1;
      (*ending)[b][n] += 1;
    }
  };
  std::vector<std::vector<double>> dr, de, mr, me;
  hazards(data, &dr, &de);
  hazards(simulate(data, ctx, 0xE4D5ULL), &mr, &me);
  std::vector<std::vector<double>> q(nb);
  for (size_t b = 0; b < nb; ++b) {
    q[b].assign(dr[b].size(), 0.0);
    for (size_t i = 1; i < dr[b].size(); ++i) {
      if (dr[b][i] < kCalMinValues / 2 || i >= mr[b].size() || mr[b][i] < kCalMinValues / 2) continue;
      const double hd = de[b][i] / dr[b][i], hm = me[b][i] / mr[b][i];
      q[b][i] = std::clamp(hd > hm ? (hd - hm) / std::max(1e-9, 1 - hm) : -(hm - hd) / std::max(1e-9, hm), -0.9, 0.9);
    }
  }
  cal->end_cuts = std::move(cuts);
  cal->end_adjust = std::move(q);
}

// Samples the training entities' records (reps times, to about kCalSimEvents events) and
// compares them with the data, window by window: a quantile map per numeric series, logit
// shifts for class shares and missing rates, and a quantile map per gap class.
Calibration GruModel::calibrate(const SequenceData& data, const Context& ctx) const {
  Calibration cal;
  const size_t events = data.time.size();
  // Windows: quantiles of the training events' times.
  const size_t windows = std::clamp<size_t>(events / kCalMinPerWindow, 1, kCalWindows);
  std::vector<double> times = data.time;
  std::sort(times.begin(), times.end());
  for (size_t w = 1; w < windows; ++w) {
    const double c = times[w * (times.size() - 1) / windows];
    if (cal.cuts.empty() || c > cal.cuts.back()) cal.cuts.push_back(c);
  }
  const SequenceData sim = simulate(data, ctx, 0xC411B4A7E5ULL);

  struct Side {
    std::vector<float> vin, ny, nm;
    std::vector<int64_t> lv;
  } real, model;
  encode_events(enc_, data, &real.vin, &real.ny, &real.nm, &real.lv);
  encode_events(enc_, sim, &model.vin, &model.ny, &model.nm, &model.lv);
  const int64_t nnum = enc_.numeric_count(), nlvl = static_cast<int64_t>(enc_.values.size()) - nnum;
  const size_t W = cal.windows();
  std::vector<size_t> wr(data.time.size()), wm(sim.time.size());
  for (size_t r = 0; r < wr.size(); ++r) wr[r] = cal.window(data.time[r]);
  for (size_t r = 0; r < wm.size(); ++r) wm[r] = cal.window(sim.time[r]);

  int64_t ni = 0, li = 0;
  for (const ValueFeature& f : enc_.values) {
    std::vector<detail::QuantileMap> maps(W);
    std::vector<std::vector<double>> shifts(W);
    if (f.numeric) {
      const Column &dc = data.events.column(f.name), &mc = sim.events.column(f.name);
      std::vector<std::vector<double>> dv(W), mv(W);
      std::vector<std::vector<double>> dmiss(W, std::vector<double>(2, 0.0)), mmiss(W, std::vector<double>(2, 0.0));
      for (size_t r = 0; r < wr.size(); ++r) {
        if (dc.valid[r] && std::isfinite(dc.values[r])) dv[wr[r]].push_back(dc.values[r]);
        dmiss[wr[r]][real.nm[r * nnum + ni] > 0.5 ? 1 : 0] += 1;
      }
      for (size_t r = 0; r < wm.size(); ++r) {
        if (mc.valid[r] && std::isfinite(mc.values[r])) mv[wm[r]].push_back(mc.values[r]);
        mmiss[wm[r]][model.nm[r * nnum + ni] > 0.5 ? 1 : 0] += 1;
      }
      for (size_t w = 0; w < W; ++w) {
        maps[w] = detail::QuantileMap::fit(mv[w], dv[w], kCalKnots, kCalMinValues);
        const bool enough = dmiss[w][0] + dmiss[w][1] >= kCalMinValues;
        shifts[w] = {enough ? detail::odds_shift(dmiss[w], mmiss[w], kCalShiftLimit) : 0.0};
      }
      ++ni;
    } else {
      const size_t k = static_cast<size_t>(f.classes()) + 1;
      std::vector<std::vector<double>> dcount(W, std::vector<double>(k, 0.0)), mcount(W, std::vector<double>(k, 0.0));
      for (size_t r = 0; r < wr.size(); ++r) dcount[wr[r]][static_cast<size_t>(real.lv[r * nlvl + li])] += 1;
      for (size_t r = 0; r < wm.size(); ++r) mcount[wm[r]][static_cast<size_t>(model.lv[r * nlvl + li])] += 1;
      for (size_t w = 0; w < W; ++w) {
        const double n = std::accumulate(dcount[w].begin(), dcount[w].end(), 0.0);
        shifts[w] = n >= kCalMinValues ? detail::share_shift(dcount[w], mcount[w], kCalShiftLimit) : std::vector<double>(k, 0.0);
      }
      ++li;
    }
    cal.values.push_back(std::move(maps));
    cal.shift.push_back(std::move(shifts));
  }
  // Gaps by step: positive gaps of the data and of the model.
  // zeros[k]: {positive, zero} gaps of class k.
  auto gaps_of = [](const SequenceData& d, std::vector<std::vector<double>>* zeros) {
    std::vector<std::vector<double>> g(kCalGapClasses);
    zeros->assign(kCalGapClasses, std::vector<double>(2, 0.0));
    for (size_t e = 0; e < d.num_entities(); ++e)
      for (size_t r = d.offsets[e]; r < d.offsets[e + 1]; ++r) {
        const double gp = d.time[r] - (r == d.offsets[e] ? 0.0 : d.time[r - 1]);
        const size_t k = std::min(r - d.offsets[e], kCalGapClasses - 1);
        (*zeros)[k][gp > 0 ? 0 : 1] += 1;
        if (gp > 0) g[k].push_back(gp);
      }
    return g;
  };
  std::vector<std::vector<double>> dz, mz;
  const auto dg = gaps_of(data, &dz), mg = gaps_of(sim, &mz);
  for (size_t k = 0; k < kCalGapClasses; ++k) {
    cal.gaps.push_back(detail::QuantileMap::fit(mg[k], dg[k], kCalGapKnots, kCalMinValues));
    // Same-day events: a logit shift on the zero-gap switch (a model that leaks a few zero
    // gaps where the data has none stops doing so).
    const bool enough = dz[k][0] + dz[k][1] >= kCalMinValues;
    cal.zero_shift.push_back(enough ? detail::odds_shift(dz[k], mz[k], kCalShiftLimit) : 0.0);
  }
  return cal;
}

SequenceData GruModel::sample(const Table& context, const std::vector<size_t>& lengths, const std::vector<double>& end,
                              const Context& ctx) const {
  if (!net_) throw InvalidInput("sequence model 'gru': sample before fit");
  const size_t entities = lengths.size();
  if (context.num_cols() > 0 && context.num_rows() != entities)
    throw InvalidInput("sequence sample: " + std::to_string(context.num_rows()) + " context rows for " +
                       std::to_string(entities) + " lengths");
  if (!end.empty() && end.size() != entities)
    throw InvalidInput("sequence sample: " + std::to_string(end.size()) + " ends for " + std::to_string(entities) + " lengths");
  Context c = ctx;
  c.device = Device::kCpu;
  nn::init_torch(c);
  torch::NoGradGuard no_grad;
  net_->eval();

  const torch::Tensor all_ctx = encode_context(enc_, context, entities);
  const int64_t kg = p_.gap_components, kv = p_.value_components, nnum = enc_.numeric_count();
  const int64_t vdim = enc_.value_in_dim();
  std::vector<float> lo, hi;
  for (const ValueFeature& f : enc_.values)
    if (f.numeric) {
      lo.push_back(static_cast<float>(f.lo));
      hi.push_back(static_cast<float>(f.hi));
    }
  const auto t_lo = torch::tensor(lo, torch::kFloat32), t_hi = torch::tensor(hi, torch::kFloat32);
  // Calibration shifts per window: the numeric features' missing logits (W, nnum) and each level
  // feature's classes (W, classes + 1).
  const bool cal = calib_.active();
  torch::Tensor miss_shift;
  std::vector<torch::Tensor> level_shift;
  if (cal) {
    const int64_t W = static_cast<int64_t>(calib_.windows());
    std::vector<float> ms(static_cast<size_t>(W * nnum), 0.f);
    int64_t ni = 0;
    for (size_t vi = 0; vi < enc_.values.size(); ++vi) {
      const ValueFeature& f = enc_.values[vi];
      if (f.numeric) {
        for (int64_t w = 0; w < W; ++w) ms[static_cast<size_t>(w * nnum + ni)] = static_cast<float>(calib_.shift[vi][static_cast<size_t>(w)][0]);
        ++ni;
        continue;
      }
      const int64_t k = f.classes() + 1;
      std::vector<float> ls(static_cast<size_t>(W * k));
      for (int64_t w = 0; w < W; ++w)
        for (int64_t j = 0; j < k; ++j)
          ls[static_cast<size_t>(w * k + j)] = static_cast<float>(calib_.shift[vi][static_cast<size_t>(w)][static_cast<size_t>(j)]);
      level_shift.push_back(torch::tensor(ls, torch::kFloat32).reshape({W, k}));
    }
    miss_shift = torch::tensor(ms, torch::kFloat32).reshape({W, nnum});
  }
  auto gumbel_argmax = [](const torch::Tensor& logits) {
    return (logits - torch::log(-torch::log(torch::rand_like(logits).clamp(1e-10, 1.0 - 1e-7)))).argmax(-1);
  };
  const bool learned = learns_lengths();
  // An entity ends its own sequence when the model learns lengths and it has an end; it then
  // has at most 1.5 times the longest training sequence.
  const size_t cap = std::max<size_t>(1, (enc_.max_events * 3 + 1) / 2);
  auto has_end = [&](size_t e) { return !end.empty() && !std::isnan(end[e]); };
  auto own = [&](size_t e) { return learned && has_end(e); };
  std::vector<size_t> count(entities, 0);  // events drawn per entity

  // Per chunk and step: the entities (positions in the chunk) that have an event at the step,
  // with the event's gap, values, missing flags and levels.
  struct Steps {
    size_t first = 0;
    std::vector<torch::Tensor> who, gaps, ys, misses, lvls;
  };
  std::vector<Steps> chunks;
  for (size_t first = 0; first < entities; first += static_cast<size_t>(p_.chunk)) {
    const size_t nb = std::min(entities - first, static_cast<size_t>(p_.chunk));
    Steps st;
    st.first = first;
    std::vector<float> endv(nb), hasend(nb), nev(nb), ownv(nb), limit(nb);
    size_t longest = 0;
    for (size_t j = 0; j < nb; ++j) {
      const size_t e = first + j;
      hasend[j] = has_end(e) ? 1.f : 0.f;
      endv[j] = has_end(e) ? static_cast<float>(std::max(0.0, end[e])) : 0.f;
      nev[j] = static_cast<float>(lengths[e]);
      ownv[j] = own(e) ? 1.f : 0.f;
      const size_t lim = own(e) ? (lengths[e] > 0 ? cap : 0) : lengths[e];
      limit[j] = static_cast<float>(lim);
      longest = std::max(longest, lim);
    }
    auto t_end = torch::tensor(endv), t_has = torch::tensor(hasend) > 0.5, t_n = torch::tensor(nev);
    auto t_own = torch::tensor(ownv) > 0.5, t_limit = torch::tensor(limit);
    auto pos = torch::arange(static_cast<int64_t>(nb), torch::kLong);
    auto h = net_->init->forward(all_ctx.narrow(0, static_cast<int64_t>(first), static_cast<int64_t>(nb))).unsqueeze(0);
    auto prev_vals = torch::zeros({static_cast<int64_t>(nb), vdim});
    auto prev_time = torch::zeros({static_cast<int64_t>(nb)}), prev_gap = torch::zeros({static_cast<int64_t>(nb)});
    // Keeps the rows `idx` of every per-entity tensor of the step loop.
    auto keep_rows = [&](const torch::Tensor& idx) {
      h = h.index_select(1, idx);
      for (torch::Tensor* t : {&prev_vals, &prev_time, &prev_gap, &t_end, &t_has, &t_n, &t_own, &t_limit, &pos})
        *t = t->index_select(0, idx);
    };
    for (size_t i = 0; i < longest && pos.size(0) > 0; ++i) {
      const double fi = static_cast<double>(i);
      const auto due = t_limit > static_cast<float>(fi);
      if (!due.all().item<bool>()) keep_rows(due.nonzero().squeeze(-1));
      const int64_t B = pos.size(0);
      if (B == 0) break;
      const auto rem = (t_end - prev_time).clamp_min(0.0);
      const auto owed = torch::where(t_own, torch::zeros({B}), (t_n - fi).clamp_min(0.0));
      const auto step = torch::stack({torch::full({B}, i == 0 ? 1.f : 0.f), torch::log1p(prev_gap / enc_.time_scale),
                                      torch::full({B}, static_cast<float>(std::log1p(fi))), torch::log1p(owed),
                                      torch::where(t_has, torch::log1p(rem / enc_.time_scale), torch::zeros({B})),
                                      t_has.to(torch::kFloat32), torch::log1p(prev_time / enc_.time_scale)},
                                     -1);
      auto res = net_->gru->forward(torch::cat({prev_vals, step}, -1).unsqueeze(1), h);
      h = std::get<1>(res);
      const auto hs = std::get<0>(res).squeeze(1);  // (B, H)
      // ---- gap: truncated to the time left where the entity must have this event (a given
      // length, or the first event of an own one); an own entity's later gap that passes its
      // end ends it.
      const auto trunc = t_has & (i == 0 ? torch::ones_like(t_own) : ~t_own);
      const auto g = net_->gap->forward(hs);
      const auto w = torch::log_softmax(g.narrow(-1, 1, kg), -1);
      const auto m = g.narrow(-1, 1 + kg, kg);
      const auto s = g.narrow(-1, 1 + 2 * kg, kg).clamp(-5.0, 3.0).exp();
      const auto lrem = ((rem.clamp_min(1e-30).log() - enc_.gap_mean) / enc_.gap_sd).unsqueeze(-1);
      const auto logF = torch::where(trunc.unsqueeze(-1), log_ndtr((lrem - m) / s), torch::zeros_like(m));
      const auto comp = gumbel_argmax(w + logF).unsqueeze(-1);
      const auto Fk = logF.gather(-1, comp).squeeze(-1).exp();
      const auto u = (torch::rand({B}) * Fk).clamp(1e-12, 1.0 - 1e-7);
      const auto z = std::sqrt(2.0) * torch::erfinv(2 * u - 1);
      const auto lg = m.gather(-1, comp).squeeze(-1) + s.gather(-1, comp).squeeze(-1) * z;
      auto gp = torch::exp(lg * enc_.gap_sd + enc_.gap_mean);
      if (cal && !calib_.gaps[std::min<size_t>(i, kCalGapClasses - 1)].identity()) {
        // The calibrated gap, unless it would pass the time left of an entity that must have
        // this event (there the drawn one stays).
        const detail::QuantileMap& qm = calib_.gaps[std::min<size_t>(i, kCalGapClasses - 1)];
        gp = gp.contiguous();
        const auto tr = trunc.contiguous();
        const auto rm = rem.contiguous();
        auto ga = gp.accessor<float, 1>();
        const auto ta = tr.accessor<bool, 1>();
        const auto ra = rm.accessor<float, 1>();
        for (int64_t j = 0; j < B; ++j) {
          const double mapped = qm(ga[j]);
          if (mapped > 0 && !(ta[j] && mapped > ra[j])) ga[j] = static_cast<float>(mapped);
        }
      }
      const auto no_mass = trunc & (torch::logsumexp(w + logF, -1) < std::log(1e-6));
      gp = torch::where(no_mass, rem * torch::rand({B}), gp);
      const double zshift = cal ? calib_.zero_shift[std::min<size_t>(i, kCalGapClasses - 1)] : 0.0;
      const auto zero = (torch::rand({B}) < torch::sigmoid(g.select(-1, 0) + zshift)) | (trunc & (rem <= 0));
      gp = torch::where(zero, torch::zeros({B}), gp);
      gp = torch::where(trunc, torch::minimum(gp, rem), gp);
      auto ended = t_own & ~trunc & (gp > rem);
      if (cal && !calib_.end_adjust.empty()) {
        // The adjustment of each entity's band at this step.
        const auto te = t_end.contiguous();
        const auto tea = te.accessor<float, 1>();
        std::vector<float> qv(static_cast<size_t>(B), 0.f);
        for (int64_t j = 0; j < B; ++j) {
          const std::vector<double>& qb = calib_.end_adjust[calib_.end_band(tea[j])];
          if (i < qb.size()) qv[static_cast<size_t>(j)] = static_cast<float>(qb[i]);
        }
        const auto q = torch::tensor(qv, torch::kFloat32);
        const auto u = torch::rand({B});
        ended = ended | (t_own & ~trunc & (u < q));
        {
          // Go on after all: a gap within the time left, from the mixture truncated there.
          const auto go_on = ended & (u < -q) & (rem > 0);
          if (go_on.any().item<bool>()) {
            const auto lF = log_ndtr((lrem - m) / s);
            const auto c2 = gumbel_argmax(w + lF).unsqueeze(-1);
            const auto u2 = (torch::rand({B}) * lF.gather(-1, c2).squeeze(-1).exp()).clamp(1e-12, 1.0 - 1e-7);
            const auto z2 = std::sqrt(2.0) * torch::erfinv(2 * u2 - 1);
            const auto g2 = torch::exp((m.gather(-1, c2).squeeze(-1) + s.gather(-1, c2).squeeze(-1) * z2) * enc_.gap_sd + enc_.gap_mean);
            gp = torch::where(go_on, torch::minimum(g2, rem), gp);
            ended = ended & ~go_on;
          }
        }
      }
      // The window of each event's time (calibration).
      torch::Tensor win;
      if (cal) {
        const auto te = (prev_time + gp).contiguous();
        const auto tea = te.accessor<float, 1>();
        std::vector<int64_t> wv(static_cast<size_t>(B));
        for (int64_t j = 0; j < B; ++j) wv[static_cast<size_t>(j)] = static_cast<int64_t>(calib_.window(tea[j]));
        win = torch::tensor(wv, torch::kLong);
      }
      // ---- values given the gap
      const auto v = net_->value->forward(torch::cat({hs, gap_features(gp, enc_)}, -1));
      std::vector<torch::Tensor> enc_parts;
      int64_t off = 0;
      torch::Tensor y, miss;
      if (nnum > 0) {
        auto miss_logit = v.narrow(-1, 0, nnum);
        if (cal) miss_logit = miss_logit + miss_shift.index_select(0, win);
        miss = torch::rand({B, nnum}) < torch::sigmoid(miss_logit);
        const auto vw = v.narrow(-1, nnum, nnum * kv).reshape({B, nnum, kv});
        const auto vm = v.narrow(-1, nnum * (1 + kv), nnum * kv).reshape({B, nnum, kv});
        const auto vs = v.narrow(-1, nnum * (1 + 2 * kv), nnum * kv).reshape({B, nnum, kv}).clamp(-6.0, 3.0).exp();
        const auto vc = gumbel_argmax(vw).unsqueeze(-1);
        y = vm.gather(-1, vc).squeeze(-1) + vs.gather(-1, vc).squeeze(-1) * torch::randn({B, nnum});
        y = torch::max(torch::min(y, t_hi), t_lo).masked_fill(miss, 0.0);
        off = nnum * (1 + 3 * kv);
      }
      std::vector<torch::Tensor> lv;
      for (const ValueFeature& f : enc_.values) {
        if (f.numeric) continue;
        const int64_t k = f.classes() + 1;
        auto logits = v.narrow(-1, off, k);
        if (cal) logits = logits + level_shift[lv.size()].index_select(0, win);
        lv.push_back(gumbel_argmax(logits));
        off += k;
      }
      // The event's encoding, as the next step reads it (the layout of encode_events).
      int64_t ni = 0, li = 0;
      for (const ValueFeature& f : enc_.values) {
        if (f.numeric) {
          enc_parts.push_back(y.narrow(-1, ni, 1));
          enc_parts.push_back(miss.narrow(-1, ni, 1).to(torch::kFloat32));
          ++ni;
        } else {
          enc_parts.push_back(torch::one_hot(lv[static_cast<size_t>(li)], f.classes() + 1).to(torch::kFloat32));
          ++li;
        }
      }
      prev_vals = enc_parts.empty() ? torch::zeros({B, 0}) : torch::cat(enc_parts, -1);
      torch::Tensor lvl = lv.empty() ? torch::Tensor() : torch::stack(lv, -1);
      if (ended.any().item<bool>()) {
        const auto idx = (~ended).nonzero().squeeze(-1);
        keep_rows(idx);
        gp = gp.index_select(0, idx);
        if (nnum > 0) {
          y = y.index_select(0, idx);
          miss = miss.index_select(0, idx);
        }
        if (lvl.defined()) lvl = lvl.index_select(0, idx);
      }
      st.who.push_back(pos);
      st.gaps.push_back(gp);
      if (nnum > 0) {
        st.ys.push_back(y);
        st.misses.push_back(miss);
      }
      if (lvl.defined()) st.lvls.push_back(lvl);
      const auto pa = pos.accessor<int64_t, 1>();
      for (int64_t j = 0; j < pos.size(0); ++j) ++count[first + static_cast<size_t>(pa[j])];
      prev_time = prev_time + gp;
      prev_gap = gp;
    }
    chunks.push_back(std::move(st));
  }

  // ---- the events: entity e's event i was drawn at step i
  SequenceData out = SequenceData::frame(context, context_schema_, event_schema_, end, count);
  const size_t rows = out.time.size();
  std::vector<Column> cols;
  for (const ColumnSchema& cs : event_schema_.columns) {
    if (cs.type == ColumnType::kIdentifier)
      cols.push_back(synthetic_identifiers(cs, rows));
    else if (numeric_type(cs.type))
      cols.push_back(Column::numbers(cs.name, rows));
    else
      cols.push_back(Column::strings(cs.name, rows, cs.values));
  }
  for (const Steps& st : chunks) {
    for (size_t i = 0; i < st.gaps.size(); ++i) {
      const auto W = st.who[i].contiguous();
      const auto wa = W.accessor<int64_t, 1>();
      const auto G = st.gaps[i].to(torch::kFloat64).contiguous();
      const auto ga = G.accessor<double, 1>();
      torch::Tensor Y = torch::zeros({1, 1}, torch::kFloat64), M = torch::ones({1, 1}, torch::kUInt8);
      torch::Tensor L = torch::zeros({1, 1}, torch::kLong);
      if (!st.ys.empty()) {
        Y = st.ys[i].to(torch::kFloat64).contiguous();
        M = st.misses[i].to(torch::kUInt8).contiguous();
      }
      if (!st.lvls.empty()) L = st.lvls[i].contiguous();
      const auto ya = Y.accessor<double, 2>();
      const auto ma = M.accessor<uint8_t, 2>();
      const auto la = L.accessor<int64_t, 2>();
      for (int64_t j = 0; j < G.size(0); ++j) {
        const size_t e = st.first + static_cast<size_t>(wa[j]);
        const double stop = has_end(e) ? std::max(0.0, end[e]) : INFINITY;
        const size_t r = out.offsets[e] + i;
        out.time[r] = std::min(stop, (i == 0 ? 0.0 : out.time[r - 1]) + std::max(0.0, ga[j]));
        int64_t ni = 0, li = 0;
        size_t vi = 0;
        for (size_t ci = 0; ci < event_schema_.columns.size(); ++ci) {
          const ColumnSchema& cs = event_schema_.columns[ci];
          if (!numeric_type(cs.type) && !level_type(cs.type)) continue;
          const ValueFeature& f = enc_.values[vi++];
          Column& col = cols[ci];
          if (f.numeric) {
            if (!ma[j][ni]) {
              const double yv = ya[j][ni] * f.sd + f.mean;
              const double x = f.log ? std::exp(yv) : yv;
              col.values[r] = cal ? calib_.values[vi - 1][calib_.window(out.time[r])](x) : x;
              col.valid[r] = 1;
            }
            ++ni;
          } else {
            const int64_t k = la[j][li];
            if (f.points.empty()) {
              col.codes[r] = k < f.classes() ? static_cast<int32_t>(k) : -1;
            } else if (k < f.classes()) {
              col.values[r] = f.points[static_cast<size_t>(k)];
              col.valid[r] = 1;
            }
            ++li;
          }
        }
      }
    }
  }
  for (size_t ci = 0; ci < event_schema_.columns.size(); ++ci)
    if (numeric_type(event_schema_.columns[ci].type)) apply_constraints(cols[ci], event_schema_.columns[ci]);
  out.events.columns = std::move(cols);
  return out;
}

void GruModel::save_state(json* state, std::string* payload) const {
  if (!net_) throw InvalidInput("sequence model 'gru': save before fit");
  json ctx = json::array(), vals = json::array();
  for (const CtxFeature& f : enc_.ctx)
    ctx.push_back(json{{"name", f.name}, {"numeric", f.numeric}, {"mean", f.mean}, {"sd", f.sd}, {"levels", f.levels}});
  for (const ValueFeature& f : enc_.values)
    vals.push_back(json{{"name", f.name}, {"numeric", f.numeric}, {"log", f.log}, {"mean", f.mean}, {"sd", f.sd},
                        {"lo", f.lo}, {"hi", f.hi}, {"levels", f.levels}, {"points", f.points}});
  *state = json{{"format", kFormat},
                {"params", p_.to_json()},
                {"context_schema", context_schema_.to_json()},
                {"event_schema", event_schema_.to_json()},
                {"context_features", ctx},
                {"value_features", vals},
                {"gap_mean", enc_.gap_mean},
                {"gap_sd", enc_.gap_sd},
                {"time_scale", enc_.time_scale},
                {"max_events", enc_.max_events},
                {"history", history_}};
  if (calib_.active()) {
    json values = json::array(), gaps = json::array();
    for (const auto& per : calib_.values) {
      json w = json::array();
      for (const detail::QuantileMap& m : per) w.push_back(m.to_json());
      values.push_back(std::move(w));
    }
    for (const detail::QuantileMap& m : calib_.gaps) gaps.push_back(m.to_json());
    (*state)["calibration"] = json{{"cuts", calib_.cuts}, {"values", values}, {"shift", calib_.shift}, {"gaps", gaps},
                                   {"zero_shift", calib_.zero_shift}, {"end_cuts", calib_.end_cuts}, {"end_adjust", calib_.end_adjust}};
  }
  torch::serialize::OutputArchive ar;
  net_->save(ar);
  *payload = nn::archive_bytes(ar);
}

// Loads the weights, then checks every tensor against the shape the header implies.
void load_checked(torch::nn::Module& module, torch::serialize::InputArchive& ar) {
  std::map<std::string, std::vector<int64_t>> expected;
  for (const auto& p : module.named_parameters(true)) expected[p.key()] = p.value().sizes().vec();
  module.load(ar);
  for (const auto& p : module.named_parameters(true)) {
    if (p.value().sizes().vec() != expected.at(p.key()))
      st::fail("gru state: tensor '" + p.key() + "' does not have the shape the header implies");
    if (p.value().scalar_type() != torch::kFloat32) st::fail("gru state: tensor '" + p.key() + "' has the wrong element type");
    if (!torch::isfinite(p.value()).all().item<bool>()) st::fail("gru state: tensor '" + p.key() + "' holds non-finite values");
  }
}

void GruModel::load_state(const json& state, const std::string& payload) {
  const std::string w = "gru state";
  try {
    const int64_t format = st::integer(st::member(state, "format", w), 1, kFormat, w + ": format");
    GruParams p = GruParams::from_json(st::member(state, "params", w));
    if (format == 1) p.lengths = "given";  // format 1 had no other
    Schema cs = Schema::from_json(st::member(state, "context_schema", w), w + ": context_schema");
    Schema es = Schema::from_json(st::member(state, "event_schema", w), w + ": event_schema");
    Encoding enc;
    const json& cf = st::array(st::member(state, "context_features", w), w + ": context_features");
    for (size_t i = 0; i < cf.size(); ++i) {
      const std::string at = w + ": context_features[" + std::to_string(i) + "]";
      CtxFeature f;
      f.name = st::string(st::member(cf[i], "name", at), at + ".name");
      const int ci = cs.find(f.name);
      if (ci < 0) st::fail(at + ": '" + f.name + "' is not a column of the context schema");
      const ColumnSchema& col = cs.columns[static_cast<size_t>(ci)];
      f.numeric = numeric_type(col.type);
      if (!f.numeric && !level_type(col.type)) st::fail(at + ": column '" + f.name + "' is not learned");
      f.mean = st::finite(st::member(cf[i], "mean", at), at + ".mean");
      f.sd = st::finite(st::member(cf[i], "sd", at), at + ".sd");
      if (!(f.sd > 0)) st::fail(at + ".sd: not positive");
      f.levels = st::string_array(st::member(cf[i], "levels", at), at + ".levels");
      if (!f.numeric && f.levels != col.values) st::fail(at + ".levels: not the column's values");
      enc.ctx.push_back(std::move(f));
    }
    const json& vf = st::array(st::member(state, "value_features", w), w + ": value_features");
    for (size_t i = 0; i < vf.size(); ++i) {
      const std::string at = w + ": value_features[" + std::to_string(i) + "]";
      ValueFeature f;
      f.name = st::string(st::member(vf[i], "name", at), at + ".name");
      const int ci = es.find(f.name);
      if (ci < 0) st::fail(at + ": '" + f.name + "' is not a column of the event schema");
      const ColumnSchema& col = es.columns[static_cast<size_t>(ci)];
      f.points = st::finite_array(st::member(vf[i], "points", at), at + ".points");
      f.numeric = numeric_type(col.type) && f.points.empty();
      if (!numeric_type(col.type) && !level_type(col.type)) st::fail(at + ": column '" + f.name + "' is not learned");
      if (!f.points.empty() && (!numeric_type(col.type) || f.points.size() > kMaxDiscrete ||
                                !std::is_sorted(f.points.begin(), f.points.end()) ||
                                std::adjacent_find(f.points.begin(), f.points.end()) != f.points.end()))
        st::fail(at + ".points: not a short increasing list for a numerical column");
      const json& lg = st::member(vf[i], "log", at);
      if (!lg.is_boolean()) st::fail(at + ".log: expected true or false");
      f.log = lg.get<bool>();
      f.mean = st::finite(st::member(vf[i], "mean", at), at + ".mean");
      f.sd = st::finite(st::member(vf[i], "sd", at), at + ".sd");
      f.lo = st::finite(st::member(vf[i], "lo", at), at + ".lo");
      f.hi = st::finite(st::member(vf[i], "hi", at), at + ".hi");
      if (!(f.sd > 0) || f.lo > f.hi) st::fail(at + ": sd not positive or lo above hi");
      f.levels = st::string_array(st::member(vf[i], "levels", at), at + ".levels");
      if (level_type(col.type) && f.levels != col.values) st::fail(at + ".levels: not the column's values");
      enc.values.push_back(std::move(f));
    }
    // Every learned event column in schema order, as fit builds them (sample relies on it).
    size_t vi = 0;
    for (const ColumnSchema& col : es.columns)
      if (numeric_type(col.type) || level_type(col.type))
        if (vi >= enc.values.size() || enc.values[vi++].name != col.name) st::fail(w + ": value_features do not follow the event schema");
    if (vi != enc.values.size()) st::fail(w + ": value_features do not follow the event schema");
    enc.gap_mean = st::finite(st::member(state, "gap_mean", w), w + ": gap_mean");
    enc.gap_sd = st::finite(st::member(state, "gap_sd", w), w + ": gap_sd");
    enc.time_scale = st::finite(st::member(state, "time_scale", w), w + ": time_scale");
    if (!(enc.gap_sd > 0) || !(enc.time_scale > 0)) st::fail(w + ": gap_sd and time_scale must be positive");
    if (format >= 2)
      enc.max_events = static_cast<size_t>(st::integer(st::member(state, "max_events", w), 1, 100000000, w + ": max_events"));
    const json& hist = st::array(st::member(state, "history", w), w + ": history");
    Calibration cal;
    if (state.contains("calibration")) {
      const std::string at = w + ": calibration";
      const json& cj = st::object(state.at("calibration"), at);
      cal.cuts = st::finite_array(st::member(cj, "cuts", at), at + ".cuts");
      if (cal.cuts.size() >= 64 || !std::is_sorted(cal.cuts.begin(), cal.cuts.end()) ||
          std::adjacent_find(cal.cuts.begin(), cal.cuts.end()) != cal.cuts.end())
        st::fail(at + ".cuts: not an increasing list of at most 63 times");
      const size_t W = cal.windows();
      const json& vj = st::array(st::member(cj, "values", at), at + ".values");
      const json& sj = st::array(st::member(cj, "shift", at), at + ".shift");
      const json& gj = st::array(st::member(cj, "gaps", at), at + ".gaps");
      if (vj.size() != enc.values.size() || sj.size() != enc.values.size() || gj.size() != kCalGapClasses)
        st::fail(at + ": one entry per value feature (values, shift) and " + std::to_string(kCalGapClasses) + " gap maps expected");
      for (size_t i = 0; i < enc.values.size(); ++i) {
        const ValueFeature& f = enc.values[i];
        const std::string vi = at + ".values[" + std::to_string(i) + "]", si = at + ".shift[" + std::to_string(i) + "]";
        if (!vj[i].is_array() || vj[i].size() != W || !sj[i].is_array() || sj[i].size() != W)
          st::fail(vi + ": one entry per window expected");
        std::vector<detail::QuantileMap> maps;
        std::vector<std::vector<double>> shifts;
        const size_t k = f.numeric ? 1 : static_cast<size_t>(f.classes()) + 1;
        for (size_t win = 0; win < W; ++win) {
          maps.push_back(detail::QuantileMap::from_json(vj[i][win], kCalKnots, vi + "[" + std::to_string(win) + "]"));
          if (!f.numeric && !maps.back().identity()) st::fail(vi + ": a level feature has no quantile maps");
          std::vector<double> sh = st::finite_array(sj[i][win], si + "[" + std::to_string(win) + "]");
          if (sh.size() != k) st::fail(si + ": " + std::to_string(k) + " shifts per window expected");
          for (double x : sh)
            if (std::fabs(x) > kCalShiftLimit) st::fail(si + ": a shift beyond the limit");
          shifts.push_back(std::move(sh));
        }
        cal.values.push_back(std::move(maps));
        cal.shift.push_back(std::move(shifts));
      }
      for (size_t k = 0; k < kCalGapClasses; ++k)
        cal.gaps.push_back(detail::QuantileMap::from_json(gj[k], kCalKnots, at + ".gaps[" + std::to_string(k) + "]"));
      if (cal.values.empty()) st::fail(at + ": no value features to calibrate");
      cal.zero_shift = st::finite_array(st::member(cj, "zero_shift", at), at + ".zero_shift");
      if (cal.zero_shift.size() != kCalGapClasses) st::fail(at + ".zero_shift: one shift per gap class expected");
      for (double x : cal.zero_shift)
        if (std::fabs(x) > kCalShiftLimit) st::fail(at + ".zero_shift: a shift beyond the limit");
      cal.end_cuts = st::finite_array(st::member(cj, "end_cuts", at), at + ".end_cuts");
      if (cal.end_cuts.size() >= 64 || !std::is_sorted(cal.end_cuts.begin(), cal.end_cuts.end()) ||
          std::adjacent_find(cal.end_cuts.begin(), cal.end_cuts.end()) != cal.end_cuts.end())
        st::fail(at + ".end_cuts: not an increasing list of at most 63 ends");
      const json& ea = st::array(st::member(cj, "end_adjust", at), at + ".end_adjust");
      if (!ea.empty() && ea.size() != cal.end_cuts.size() + 1) st::fail(at + ".end_adjust: one list per band of the end expected");
      for (size_t b = 0; b < ea.size(); ++b) {
        cal.end_adjust.push_back(st::finite_array(ea[b], at + ".end_adjust[" + std::to_string(b) + "]"));
        if (cal.end_adjust.back().size() > 100000000) st::fail(at + ".end_adjust: too long");
        for (double q : cal.end_adjust.back())
          if (std::fabs(q) > 0.9) st::fail(at + ".end_adjust: an adjustment outside [-0.9, 0.9]");
      }
    }
    // The weights the header implies must be in the payload before anything is allocated.
    const double h = p.hidden, kg = p.gap_components, kv = p.value_components;
    const double vout = static_cast<double>(enc.numeric_count()) * (1 + 3 * kv) + enc.level_out_dim();
    const double in = static_cast<double>(enc.value_in_dim() + kStepFeatures);
    const double weights = enc.ctx_dim() * h + 2 * h + h * h + 3 * h * (in + h + 2) + (h + 1) * (1 + 3 * kg) +
                           (h + 3) * h + h + (h + 1) * vout;
    if (4 * weights > static_cast<double>(payload.size()))
      st::fail(w + ": the payload is too small for the weights the header implies");
    Net net(enc, p);
    torch::serialize::InputArchive ar;
    nn::load_archive(ar, payload, torch::kCPU);
    load_checked(*net, ar);
    net->eval();
    p_ = p;
    enc_ = std::move(enc);
    context_schema_ = std::move(cs);
    event_schema_ = std::move(es);
    history_ = hist;
    calib_ = std::move(cal);
    net_ = net;
  } catch (const json::exception& e) {
    throw ModelFormat(w + ": " + e.what());
  } catch (const c10::Error& e) {
    throw ModelFormat(w + ": weights: " + e.what_without_backtrace());
  } catch (const InvalidInput& e) {
    throw ModelFormat(w + ": " + e.what());
  }
}

}  // namespace

GruParams GruParams::from_json(const json& j) {
  if (!j.is_object()) throw InvalidInput("sequence model 'gru': params must be a JSON object");
  GruParams p;
  auto whole = [](const json& v, const std::string& key, int lo, int hi) {
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      throw InvalidInput("sequence model 'gru': " + key + " must be an integer in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "]");
    return v.get<int>();
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "epochs") p.epochs = whole(*it, k, 1, 100000);
    else if (k == "max_steps") p.max_steps = whole(*it, k, 0, 100000000);
    else if (k == "hidden") p.hidden = whole(*it, k, 4, 4096);
    else if (k == "batch_size") p.batch_size = whole(*it, k, 1, 1 << 20);
    else if (k == "gap_components") p.gap_components = whole(*it, k, 1, 64);
    else if (k == "value_components") p.value_components = whole(*it, k, 1, 64);
    else if (k == "chunk") p.chunk = whole(*it, k, 1, 1 << 20);
    else if (k == "lengths") {
      if (!it->is_string() || (it->get<std::string>() != "learned" && it->get<std::string>() != "given"))
        throw InvalidInput("sequence model 'gru': lengths must be \"learned\" or \"given\"");
      p.lengths = it->get<std::string>();
    }
    else if (k == "calibration") {
      if (!it->is_string() || (it->get<std::string>() != "quantile" && it->get<std::string>() != "none"))
        throw InvalidInput("sequence model 'gru': calibration must be \"quantile\" or \"none\"");
      p.calibration = it->get<std::string>();
    }
    else if (k == "learning_rate") {
      if (!it->is_number() || !(it->get<double>() > 0) || it->get<double>() > 1)
        throw InvalidInput("sequence model 'gru': learning_rate must be a number in (0, 1]");
      p.learning_rate = it->get<double>();
    } else {
      throw InvalidInput("sequence model 'gru': unknown param '" + k + "'");
    }
  }
  return p;
}

json GruParams::to_json() const {
  return json{{"epochs", epochs},
              {"max_steps", max_steps},
              {"hidden", hidden},
              {"batch_size", batch_size},
              {"learning_rate", learning_rate},
              {"gap_components", gap_components},
              {"value_components", value_components},
              {"chunk", chunk},
              {"lengths", lengths},
              {"calibration", calibration}};
}

SequenceModel* make_gru(const json& params) { return new GruModel(GruParams::from_json(params)); }

}  // namespace medgen::records::nnlib
