#include "medgen/tabular/ctgan.h"
#include "medgen/tabular/tvae.h"

#include "medgen/core/error.h"
#include "medgen/tabular/param_table.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

std::vector<int> widths(const json& v) { return v.get<std::vector<int>>(); }

// The options every neural synthesizer shares, from resolve_params' complete object.
void read_common(const json& r, TrainParams* t, TransformerParams* tr) {
  t->epochs = r["epochs"].get<int>();
  t->batch_size = r["batch_size"].get<int>();
  t->lr = r["lr"].get<double>();
  t->weight_decay = r["weight_decay"].get<double>();
  t->checkpoint_every = r["checkpoint_every"].get<int>();
  t->device = r["device"].get<std::string>();
  t->privacy = r["privacy"].get<std::string>();
  tr->max_categories = r["max_categories"].get<int>();
  tr->gmm.max_components = r["max_modes"].get<int>();
}

json common_json(const TrainParams& t, const TransformerParams& tr) {
  return json{{"epochs", t.epochs},
              {"batch_size", t.batch_size},
              {"lr", t.lr},
              {"weight_decay", t.weight_decay},
              {"checkpoint_every", t.checkpoint_every},
              {"device", t.device},
              {"privacy", t.privacy},
              {"max_categories", tr.max_categories},
              {"max_modes", tr.gmm.max_components}};
}

// The DP-SGD options (dp_sgd_params): read only when epsilon is given, which `raw` (the caller's
// object) tells apart from the default 0.
void read_dp(const std::string& synth, const json& raw, const json& r, DpParams* dp) {
  const bool given = raw.is_object() && raw.contains("epsilon");
  if (!given) {
    for (const char* k : {"delta", "dp_clip", "dp_transformer_share", "dp_bins", "dp_noise_multiplier"})
      if (raw.is_object() && raw.contains(k))
        throw InvalidInput(synth + ": option '" + k + "' needs 'epsilon' (--epsilon): differential privacy is off without it");
    return;
  }
  dp->epsilon = r["epsilon"].get<double>();
  if (!(dp->epsilon > 0))
    throw InvalidInput(synth + ": epsilon must be > 0 (leave it out to train without differential privacy), got " +
                       r["epsilon"].dump());
  dp->delta = r["delta"].get<double>();
  if (!(dp->delta > 0 && dp->delta < 1)) throw InvalidInput(synth + ": delta must be in (0, 1), got " + r["delta"].dump());
  dp->clip = r["dp_clip"].get<double>();
  dp->transformer_share = r["dp_transformer_share"].get<double>();
  dp->bins = r["dp_bins"].get<int>();
  dp->noise_multiplier = r["dp_noise_multiplier"].get<double>();
}

// Written only when differential privacy is on, so that other models' files stay as they were.
void write_dp(const DpParams& dp, json* j) {
  if (!dp.enabled()) return;
  (*j)["epsilon"] = dp.epsilon;
  (*j)["delta"] = dp.delta;
  (*j)["dp_clip"] = dp.clip;
  (*j)["dp_transformer_share"] = dp.transformer_share;
  (*j)["dp_bins"] = dp.bins;
  (*j)["dp_noise_multiplier"] = dp.noise_multiplier;
}

}  // namespace

// Names, defaults and ranges: the tables in param_table.cpp.
TvaeParams TvaeParams::from_json(const json& j) {
  const json r = resolve_params("tvae", j);
  TvaeParams p;
  read_common(r, &p.train, &p.transformer);
  p.latent_dim = r["latent_dim"].get<int>();
  p.loss_factor = r["loss_factor"].get<double>();
  p.proposals_per_row = r["proposals_per_row"].get<int>();
  p.hidden = widths(r["hidden"]);
  read_dp("tvae", j, r, &p.dp);
  p.transformer.validate();
  return p;
}

json TvaeParams::to_json() const {
  json j = common_json(train, transformer);
  j["latent_dim"] = latent_dim;
  j["hidden"] = hidden;
  j["loss_factor"] = loss_factor;
  j["proposals_per_row"] = proposals_per_row;
  write_dp(dp, &j);
  return j;
}

CtganParams CtganParams::from_json(const json& j) {
  const json r = resolve_params("ctgan", j);
  CtganParams p;
  read_common(r, &p.train, &p.transformer);
  p.embedding_dim = r["embedding_dim"].get<int>();
  p.generator = widths(r["generator"]);
  p.discriminator = widths(r["discriminator"]);
  p.pac = r["pac"].get<int>();
  p.gp_lambda = r["gp_lambda"].get<double>();
  p.discriminator_steps = r["discriminator_steps"].get<int>();
  p.tau = r["tau"].get<double>();
  p.loss = r["loss"].get<std::string>();
  p.sample_batchnorm = r["sample_batchnorm"].get<std::string>();
  p.cuda_graph = r["cuda_graph"].get<std::string>();
  read_dp("ctgan", j, r, &p.dp);
  if (!p.dp.enabled() && p.train.batch_size % p.pac != 0)  // under DP-SGD one row per decision
    throw InvalidInput("option 'batch_size' (" + std::to_string(p.train.batch_size) + ") must be a multiple of 'pac' (" +
                       std::to_string(p.pac) + ")");
  p.transformer.validate();
  return p;
}

json CtganParams::to_json() const {
  json j = common_json(train, transformer);
  j["embedding_dim"] = embedding_dim;
  j["generator"] = generator;
  j["discriminator"] = discriminator;
  j["pac"] = pac;
  j["gp_lambda"] = gp_lambda;
  j["loss"] = loss;
  j["discriminator_steps"] = discriminator_steps;
  j["tau"] = tau;
  j["sample_batchnorm"] = sample_batchnorm;
  j["cuda_graph"] = cuda_graph;
  write_dp(dp, &j);
  return j;
}

}  // namespace medgen::tabular
