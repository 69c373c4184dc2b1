#include "common.h"
#include "load_check.h"
#include "../state_check.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <type_traits>

#include "medgen/core/error.h"
#include "medgen/core/model_file.h"
#include "medgen/nn/device.h"

namespace medgen::tabular::nnlib {

torch::Device resolve_device(const std::string& device) {
  Context c;
  c.device = nn::parse_device(device);
  nn::check_device(c);
  return c.device == Device::kCuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

torch::nn::Sequential mlp(int64_t in, const std::vector<int>& widths) {
  torch::nn::Sequential seq;
  for (int w : widths) {
    seq->push_back(torch::nn::Linear(in, w));
    seq->push_back(torch::nn::ReLU());
    in = w;
  }
  return seq;
}

torch::Tensor cpu_rng_state() { return torch::globalContext().defaultGenerator(torch::kCPU).get_state(); }

void set_cpu_rng_state(const torch::Tensor& state) {
  at::Generator gen = torch::globalContext().defaultGenerator(torch::kCPU);
  gen.set_state(state.cpu());
}

nlohmann::json seen_levels(const Table& table, const Schema& schema) {
  nlohmann::json out = nlohmann::json::object();
  for (const ColumnSchema& cs : schema.columns) {
    if (cs.type != ColumnType::kCategorical && cs.type != ColumnType::kBoolean) continue;
    const Column& col = table.column(cs.name);
    std::vector<uint8_t> seen(col.dictionary.size(), 0);
    for (int32_t c : col.codes)
      if (c >= 0) seen[static_cast<size_t>(c)] = 1;
    nlohmann::json vals = nlohmann::json::array();
    for (size_t k = 0; k < seen.size(); ++k)
      if (seen[k]) vals.push_back(col.dictionary[k]);
    out[cs.name] = vals;
  }
  return out;
}

void check_seen(const nlohmann::json& seen, const std::string& column, const std::string& value) {
  const nlohmann::json vals = seen.contains(column) ? seen[column] : nlohmann::json::array();
  if (std::find(vals.begin(), vals.end(), value) == vals.end())
    throw InvalidInput("--condition " + column + "=" + value + ": the model never saw this value in training");
}

void index_spans(const DataTransformer& tr, std::vector<int64_t>* scalars,
                 std::vector<std::pair<int64_t, int64_t>>* softmax) {
  for (const Span& s : tr.spans()) {
    if (s.kind == SpanKind::kScalar)
      scalars->push_back(static_cast<int64_t>(s.start));
    else
      softmax->emplace_back(static_cast<int64_t>(s.start), static_cast<int64_t>(s.width));
  }
}

SpanBlock::SpanBlock(const std::vector<std::pair<int64_t, int64_t>>& spans, const torch::Device& device) {
  spans_ = static_cast<int64_t>(spans.size());
  for (const auto& sp : spans) width_ = std::max(width_, sp.second);
  std::vector<int64_t> source(spans_ * width_, 0), slot, columns;
  std::vector<uint8_t> pad(spans_ * width_, 1);
  for (int64_t i = 0; i < spans_; ++i)
    for (int64_t k = 0; k < spans[i].second; ++k) {
      source[i * width_ + k] = spans[i].first + k;
      pad[i * width_ + k] = 0;
      slot.push_back(i * width_ + k);
      columns.push_back(spans[i].first + k);
    }
  const auto lopt = torch::TensorOptions().dtype(torch::kLong);
  source_ = torch::tensor(source, lopt).to(device);
  pad_ = torch::tensor(std::vector<int64_t>(pad.begin(), pad.end()), lopt).to(torch::kBool).to(device);
  slot_ = torch::tensor(slot, lopt).to(device);
  columns_ = torch::tensor(columns, lopt).to(device);
}

torch::Tensor SpanBlock::gather(const torch::Tensor& x) const {
  return x.index_select(1, source_)
      .masked_fill(pad_, -std::numeric_limits<float>::infinity())
      .view({-1, spans_, width_});
}

torch::Tensor SpanBlock::flatten(const torch::Tensor& block) const {
  return block.reshape({block.size(0), spans_ * width_}).index_select(1, slot_);
}

nlohmann::json resumable_options(nlohmann::json params) {
  // The run's length, and how the same step is launched.
  for (const char* k : {"epochs", "checkpoint_every", "cuda_graph"}) params.erase(k);
  if (params.value("privacy", "exact") == "exact") params.erase("privacy");  // checkpoints from before the option
  return params;
}

namespace {

// The device a fit runs on, with LibTorch's threads and seed set for it.
torch::Device start_torch(const Context& ctx, const std::string& device) {
  const torch::Device d = resolve_device(device);
  Context tctx = ctx;
  tctx.device = d.is_cuda() ? Device::kCuda : Device::kCpu;
  nn::init_torch(tctx);
  return d;
}

}  // namespace

TrainingData prepare_training(const Table& table, const Schema& schema, const Context& ctx, const std::string& device,
                              const TransformerParams& params, DataTransformer* tr) {
  const int64_t n = static_cast<int64_t>(table.num_rows());
  if (n == 0) throw InvalidInput("the table has no rows to learn from");
  TrainingData d;
  d.device = start_torch(ctx, device);
  Rng rng(ctx.seed);
  tr->fit(table, schema, params, rng);
  const std::vector<float> data = tr->transform(table, rng);
  d.x = torch::from_blob(const_cast<float*>(data.data()), {n, static_cast<int64_t>(tr->output_dim())}, torch::kFloat32)
            .clone();
  d.seen = seen_levels(table, schema);
  return d;
}

TrainingData prepare_training_distributed(const Table& table, const Schema& schema, const Context& ctx,
                                          const std::string& device, const TransformerParams& params,
                                          DataTransformer* tr, nn::ProcessGroup& group) {
  const int64_t n = static_cast<int64_t>(table.num_rows());
  if (n == 0) throw InvalidInput("the table has no rows to learn from");
  static_assert(std::is_trivially_copyable_v<Rng>, "the random stream is handed over as bytes");
  TrainingData d;
  d.device = start_torch(ctx, device);
  Rng rng(ctx.seed);
  std::string payload;
  if (group.rank() == 0) {
    tr->fit(table, schema, params, rng);
    payload.assign(reinterpret_cast<const char*>(&rng), sizeof rng);
    payload += tr->to_json().dump();
  }
  payload = group.broadcast_bytes(payload);
  if (group.rank() != 0) {
    MEDGEN_ASSERT(payload.size() > sizeof rng);
    std::memcpy(static_cast<void*>(&rng), payload.data(), sizeof rng);
    *tr = DataTransformer::from_json(nlohmann::json::parse(payload.substr(sizeof rng)));
  }
  const std::vector<float> data = tr->transform(table, rng);
  const auto all = torch::from_blob(const_cast<float*>(data.data()), {n, static_cast<int64_t>(tr->output_dim())},
                                    torch::kFloat32);
  d.x = all.index_select(0, torch::arange(group.rank(), n, group.size(), torch::kLong)).clone();
  d.seen = seen_levels(table, schema);
  return d;
}

TrainingData prepare_training_dp(const Table& table, const Schema& schema, const Context& ctx, const std::string& device,
                                 const TransformerParams& params, int bins, double rho, DataTransformer* tr,
                                 DpRelease* release) {
  const size_t n = table.num_rows();
  if (n == 0) throw InvalidInput("the table has no rows to learn from");
  MEDGEN_ASSERT(rho > 0 && bins >= 1);
  TrainingData d;
  d.device = start_torch(ctx, device);
  Rng rng(ctx.seed);
  Rng noise = rng.split(0x44505F68697374ULL);  // the histograms' noise: its own stream
  auto numeric = [](const ColumnSchema& cs) { return cs.type == ColumnType::kNumerical || cs.type == ColumnType::kDatetime; };
  auto categorical = [](const ColumnSchema& cs) { return cs.type == ColumnType::kCategorical || cs.type == ColumnType::kBoolean; };
  std::vector<size_t> learned;
  for (size_t si : output_columns(schema))
    if (numeric(schema.columns[si]) || categorical(schema.columns[si])) learned.push_back(si);
  const double stddev = std::sqrt(static_cast<double>(learned.size()) / (2 * rho));
  const size_t rows = static_cast<size_t>(kDpProxyRows) + 1;
  Table proxy, rows_in = table;  // rows_in: the rows with the missing values of slot-less columns imputed
  nlohmann::json seen = nlohmann::json::object();
  for (size_t si : learned) {
    const ColumnSchema& cs = schema.columns[si];
    const Column& col = table.column(cs.name);
    std::vector<double> counts;
    if (numeric(cs)) {
      if (!std::isfinite(cs.min) || !std::isfinite(cs.max) || cs.min > cs.max)
        throw InvalidInput("differential privacy: column '" + cs.name +
                           "' needs finite min and max in the schema (the histogram's public bounds)");
      if (col.storage != Storage::kNumber) throw InvalidInput("column '" + cs.name + "' is not stored as numbers");
      const size_t k = cs.max > cs.min ? static_cast<size_t>(bins) : 1;
      counts.assign(k + 1, 0.0);
      for (size_t r = 0; r < n; ++r) {
        if (!col.valid[r]) {
          counts[k] += 1;
          continue;
        }
        const double pos = k > 1 ? (col.values[r] - cs.min) / (cs.max - cs.min) * static_cast<double>(k) : 0;
        counts[static_cast<size_t>(std::clamp(std::floor(pos), 0.0, static_cast<double>(k - 1)))] += 1;
      }
    } else {
      if (col.storage != Storage::kString) throw InvalidInput("column '" + cs.name + "' is not stored as labels");
      const size_t k = cs.values.size();
      std::vector<int64_t> level(col.dictionary.size(), -1);
      for (size_t c = 0; c < col.dictionary.size(); ++c) {
        const auto it = std::find(cs.values.begin(), cs.values.end(), col.dictionary[c]);
        if (it != cs.values.end()) level[c] = it - cs.values.begin();
      }
      counts.assign(k + 1, 0.0);
      for (size_t r = 0; r < n; ++r) {
        const int32_t code = col.codes[r];
        if (code < 0) {
          counts[k] += 1;
          continue;
        }
        const int64_t l = level[static_cast<size_t>(code)];
        if (l < 0)
          throw InvalidInput("column '" + cs.name + "': label '" + col.dictionary[static_cast<size_t>(code)] +
                             "' is not among the schema's values");
        counts[static_cast<size_t>(l)] += 1;
      }
      seen[cs.name] = cs.values;
    }
    // The release; from here on only the noisy counts are used.
    for (double& c : counts) c = std::max(0.0, c + stddev * noise.normal());
    // A missing slot only where the noisy count of missing values stands 3 standard deviations
    // above 0: otherwise the network would have to learn (under noise) that the slot is empty.
    const size_t k = counts.size() - 1;
    const bool with_missing = k == 0 || counts[k] > 3 * stddev;
    if (!with_missing) counts[k] = 0;
    double total = 0;
    for (double c : counts) total += c;
    if (!(total > 0)) {
      std::fill(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(k), 1.0);
      total = static_cast<double>(k);
    }
    Rng draw = noise.split(si);
    auto draw_cell = [&] {
      double u = draw.uniform() * total;
      size_t cell = 0;
      for (; cell < k; ++cell) {
        u -= counts[cell];
        if (u < 0) break;
      }
      return cell < k || with_missing ? cell : k - 1;  // rounding past the last value cell
    };
    auto draw_value = [&](size_t cell) {
      return k > 1 ? cs.min + (static_cast<double>(cell) + draw.uniform()) * (cs.max - cs.min) / static_cast<double>(k)
                   : cs.min;
    };
    // The proxy column: with a missing slot row 0 is missing, the others drawn from the noisy histogram.
    Column pc = numeric(cs) ? Column::numbers(cs.name, rows) : Column::strings(cs.name, rows, cs.values);
    for (size_t r = 0; r < rows; ++r) {
      const size_t cell = r == 0 && with_missing ? k : draw_cell();
      const bool missing = cell == k;
      if (!numeric(cs)) {
        pc.codes[r] = missing ? -1 : static_cast<int32_t>(cell);
      } else if (!missing) {
        pc.valid[r] = 1;
        pc.values[r] = draw_value(cell);
      }
    }
    proxy.columns.push_back(std::move(pc));
    // Without a missing slot, a row's missing value is replaced by a draw from the noisy
    // histogram (a function of that row and of released counts only).
    if (!with_missing) {
      Column& rc = rows_in.columns[static_cast<size_t>(rows_in.find(cs.name))];
      for (size_t r = 0; r < n; ++r) {
        if (!rc.is_missing(r)) continue;
        const size_t cell = draw_cell();
        if (numeric(cs)) {
          rc.valid[r] = 1;
          rc.values[r] = draw_value(cell);
        } else {
          // The schema's level as a code of the column's own dictionary.
          const std::string& label = cs.values[cell];
          auto it = std::find(rc.dictionary.begin(), rc.dictionary.end(), label);
          if (it == rc.dictionary.end()) it = rc.dictionary.insert(rc.dictionary.end(), label);
          rc.codes[r] = static_cast<int32_t>(it - rc.dictionary.begin());
        }
      }
    }
  }
  tr->fit(proxy, schema, params, rng);
  const std::vector<float> data = tr->transform(rows_in, rng);
  d.x = torch::from_blob(const_cast<float*>(data.data()),
                         {static_cast<int64_t>(n), static_cast<int64_t>(tr->output_dim())}, torch::kFloat32)
            .clone();
  d.seen = seen;
  const std::vector<float> pdata = tr->transform(proxy, rng);
  d.proxy = torch::from_blob(const_cast<float*>(pdata.data()),
                             {static_cast<int64_t>(rows), static_cast<int64_t>(tr->output_dim())}, torch::kFloat32)
                .clone();
  release->rho = rho;
  release->stddev = stddev;
  release->columns = static_cast<int64_t>(learned.size());
  return d;
}

DpPlan plan_dp_sgd(const std::string& synth, const DpParams& dp, int64_t n, int64_t batch_size, int64_t epochs,
                   int64_t updates_per_batch) {
  if (n == 0) throw InvalidInput("the table has no rows to learn from");
  if (!(dp.delta < 1.0 / static_cast<double>(n))) {
    char b[200];
    std::snprintf(b, sizeof b, "%s: delta must be below 1 / rows = %.3g for %lld rows (a larger delta can reveal a row), got %g",
                  synth.c_str(), 1.0 / static_cast<double>(n), static_cast<long long>(n), dp.delta);
    throw InvalidInput(b);
  }
  DpPlan pl;
  pl.batch = std::min<int64_t>(batch_size, n);
  pl.q = static_cast<double>(pl.batch) / static_cast<double>(n);
  pl.steps_per_epoch = (n + pl.batch - 1) / pl.batch;
  pl.steps = epochs * pl.steps_per_epoch * updates_per_batch;
  pl.rho_transformer = privacy::zcdp_rho(dp.transformer_share * dp.epsilon, dp.delta);
  try {
    pl.sigma = dp.noise_multiplier > 0 ? dp.noise_multiplier
                                       : privacy::calibrate_sigma_with_zcdp(dp.epsilon, dp.delta, pl.q, pl.steps, pl.rho_transformer);
  } catch (const InvalidInput& e) {
    throw InvalidInput(synth + ": no noise multiplier fits the budget: " + e.what());
  }
  pl.spent = privacy::epsilon_spent_with_zcdp({{pl.q, pl.sigma, pl.steps}}, pl.rho_transformer, dp.delta);
  if (pl.spent.epsilon > dp.epsilon * (1 + 1e-9)) {
    char b[360];
    std::snprintf(b, sizeof b,
                  "%s: the requested training would spend epsilon %.4g, more than --epsilon %g (%lld steps at noise "
                  "multiplier %g, sampling rate %.4g, transformer share %g): raise dp_noise_multiplier, or train fewer epochs",
                  synth.c_str(), pl.spent.epsilon, dp.epsilon, static_cast<long long>(pl.steps), pl.sigma, pl.q,
                  dp.transformer_share);
    throw InvalidInput(b);
  }
  return pl;
}

nlohmann::json dp_budget(const DpPlan& plan, const DpParams& dp, const DpRelease& release) {
  return nlohmann::json{{"mechanism", "dp-sgd"},
                        {"epsilon", plan.spent.epsilon},
                        {"epsilon_target", dp.epsilon},
                        {"delta", dp.delta},
                        {"order", plan.spent.order},
                        {"noise_multiplier", plan.sigma},
                        {"clip", dp.clip},
                        {"sampling_rate", plan.q},
                        {"expected_batch", plan.batch},
                        {"steps", plan.steps},
                        {"transformer_share", dp.transformer_share},
                        {"transformer_rho", release.rho},
                        {"histogram_stddev", release.stddev},
                        {"histograms", release.columns},
                        {"domain", "schema"}};
}

void keep_only_epochs(nlohmann::json* history) {
  for (nlohmann::json& row : *history)
    for (auto it = row.begin(); it != row.end();) it = it.key() == "epoch" ? std::next(it) : row.erase(it);
}

nlohmann::json checked_budget(const nlohmann::json& budget, const std::string& synth) {
  namespace st = tabular::state;
  const std::string where = synth + " state: privacy";
  const nlohmann::json& b = st::object(budget, where);
  for (const char* key : {"epsilon", "delta", "noise_multiplier", "clip", "sampling_rate"})
    if (!(st::finite(st::member(b, key, where), where + "." + key) >= 0)) st::fail(where + "." + key + ": negative");
  return b;
}

std::vector<ConditionTarget> resolve_conditions(const DataTransformer& tr, const nlohmann::json& seen,
                                                const std::vector<Condition>& conditions) {
  std::vector<ConditionTarget> out;
  for (const Condition& c : conditions) {
    check_seen(seen, c.column, c.value);
    const auto cs = tr.category_slot(c.column, c.value);
    const Span& span = tr.spans()[cs.span];
    out.push_back({static_cast<int64_t>(span.start), static_cast<int64_t>(span.width), static_cast<int64_t>(cs.slot),
                   cs.level, c.column});
  }
  return out;
}

void set_targets(torch::Tensor& x, const std::vector<ConditionTarget>& targets) {
  for (const ConditionTarget& t : targets) {
    x.narrow(1, t.start, t.width).zero_();
    x.narrow(1, t.start + t.slot, 1).fill_(1.0);
  }
}

DataTransformer::Inverse start_rows(const DataTransformer& tr, size_t n, uint64_t seed) {
  Rng rng(seed ^ 0x5DEECE66DULL);
  return DataTransformer::Inverse(tr, n, rng);
}

Table finish_table(DataTransformer::Inverse& inv, const std::vector<ConditionTarget>& targets) {
  Table t = inv.finish();
  for (const ConditionTarget& tg : targets) {
    Column& col = t.columns[static_cast<size_t>(t.find(tg.column))];
    std::fill(col.codes.begin(), col.codes.end(), tg.level);
  }
  return t;
}

Table finish_rows(const DataTransformer& tr, const float* rows, size_t n, const std::vector<ConditionTarget>& targets,
                  uint64_t seed) {
  DataTransformer::Inverse inv = start_rows(tr, n, seed);
  inv.write(rows, 0, n);
  return finish_table(inv, targets);
}

void write_checkpoint(const std::string& path, const std::string& kind, const nlohmann::json& params,
                      nlohmann::json header, const NamedModules& modules, const NamedOptimizers& optimizers) {
  if (path.empty()) return;
  torch::serialize::OutputArchive root;
  for (const auto& [name, module] : modules) {
    torch::serialize::OutputArchive ar;
    module->save(ar);
    root.write(name, ar);
  }
  for (const auto& [name, opt] : optimizers) {
    torch::serialize::OutputArchive ar;
    opt->save(ar);
    root.write(name, ar);
  }
  root.write("rng", cpu_rng_state());
  header["checkpoint_of"] = kind;
  header["params"] = params;
  ModelFile m;
  m.header = std::move(header);
  m.payload = archive_bytes(root);
  m.save(path);
}

nlohmann::json read_checkpoint(const std::string& path, const std::string& kind, const nlohmann::json& params,
                               const NamedModules& modules, const NamedOptimizers& optimizers,
                               const torch::Device& device) {
  ModelFile m = ModelFile::load(path);
  try {
    if (m.header.at("checkpoint_of") != kind) throw ModelFormat(path + ": not a " + kind + " checkpoint");
    // Everything but the length of training must match; more epochs extend the run.
    if (resumable_options(m.header.at("params")) != resumable_options(params))
      throw InvalidInput("--resume: " + path + " was written with other options: " + m.header.at("params").dump());
    const int64_t done = tabular::state::integer(m.header.at("epoch"), 0, 1000000, path + ": epoch");
    try {
      checked_history(m.header.at("history"));  // the trainer appends to it
    } catch (const ModelFormat& e) {
      throw ModelFormat(path + ": " + e.what());
    }
    const int64_t want = params.at("epochs").get<int64_t>();
    // Resuming cannot shorten a run: the result would be the checkpoint's longer-trained model.
    if (done > want)
      throw InvalidInput("--resume: " + path + " has already trained " + std::to_string(done) + " epochs, more than --epochs " +
                         std::to_string(want) + "; ask for more than " + std::to_string(done) +
                         " epochs to continue training, or fit again without --resume");
    torch::serialize::InputArchive root;
    load_archive(root, m.payload, device);
    for (const auto& [name, module] : modules) {
      torch::serialize::InputArchive ar;
      root.read(name, ar);
      module->load(ar);
    }
    for (const auto& [name, opt] : optimizers) {
      torch::serialize::InputArchive ar;
      root.read(name, ar);
      opt->load(ar);
    }
    torch::Tensor rng;
    root.read("rng", rng);
    set_cpu_rng_state(rng);
  } catch (const nlohmann::json::exception& e) {
    throw ModelFormat(path + ": corrupted checkpoint: " + e.what());
  } catch (const c10::Error& e) {
    throw ModelFormat(path + ": corrupted checkpoint: " + e.what_without_backtrace());
  }
  return m.header;
}

nn::TrainLoop neural_train_loop(const std::string& task, const TrainParams& p, int64_t first,
                                const nlohmann::json& history, const Context& ctx, const std::string& path,
                                std::function<void(int64_t done, const nlohmann::json& history)> write) {
  nn::TrainLoop loop;
  loop.task = task;
  loop.first = first;
  loop.total = p.epochs;
  loop.history = history;
  loop.progress = ctx.progress;
  if (!path.empty()) loop.checkpoint = std::move(write);
  loop.checkpoint_every = p.checkpoint_every;
  loop.checkpoint_path = path;
  return loop;
}

}  // namespace medgen::tabular::nnlib
