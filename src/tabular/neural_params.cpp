#include "medgen/tabular/ctgan.h"
#include "medgen/tabular/tvae.h"

#include "medgen/core/error.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

int int_in(const json& v, const std::string& key, int lo, int hi) {
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    throw InvalidInput("option '" + key + "' must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v.get<int>();
}

double number_in(const json& v, const std::string& key, double lo, double hi) {
  if (!v.is_number() || !(v.get<double>() >= lo) || !(v.get<double>() <= hi))
    throw InvalidInput("option '" + key + "' must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v.get<double>();
}

std::vector<int> widths(const json& v, const std::string& key) {
  if (!v.is_array() || v.empty()) throw InvalidInput("option '" + key + "' must be a non-empty array of widths");
  std::vector<int> out;
  for (const json& w : v) out.push_back(int_in(w, key, 1, 65536));
  return out;
}

// The options every neural synthesizer shares; false when k is not one of them.
bool read_common(const std::string& k, const json& v, TrainParams* t, TransformerParams* tr) {
  if (k == "epochs") t->epochs = int_in(v, k, 1, 1000000);
  else if (k == "batch_size") t->batch_size = int_in(v, k, 2, 1000000);
  else if (k == "lr") t->lr = number_in(v, k, 1e-8, 10);
  else if (k == "weight_decay") t->weight_decay = number_in(v, k, 0, 1);
  else if (k == "checkpoint_every") t->checkpoint_every = int_in(v, k, 0, 1000000);
  else if (k == "max_categories") tr->max_categories = int_in(v, k, 2, 100000);
  else if (k == "max_modes") tr->gmm.max_components = int_in(v, k, 1, 100);
  else if (k == "device") {
    if (!v.is_string() || (v != "cpu" && v != "cuda")) throw InvalidInput("option 'device' must be \"cpu\" or \"cuda\"");
    t->device = v.get<std::string>();
  } else {
    return false;
  }
  return true;
}

json common_json(const TrainParams& t, const TransformerParams& tr) {
  return json{{"epochs", t.epochs},
              {"batch_size", t.batch_size},
              {"lr", t.lr},
              {"weight_decay", t.weight_decay},
              {"checkpoint_every", t.checkpoint_every},
              {"device", t.device},
              {"max_categories", tr.max_categories},
              {"max_modes", tr.gmm.max_components}};
}

const char* const kCommonKeys = "epochs, batch_size, lr, weight_decay, checkpoint_every, device, max_categories, max_modes";

}  // namespace

TvaeParams TvaeParams::from_json(const json& j) {
  TvaeParams p;
  if (j.is_null()) return p;
  if (!j.is_object()) throw InvalidInput("tvae options must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = *it;
    if (read_common(k, v, &p.train, &p.transformer)) continue;
    if (k == "latent_dim") p.latent_dim = int_in(v, k, 1, 4096);
    else if (k == "loss_factor") p.loss_factor = number_in(v, k, 1e-3, 1e3);
    else if (k == "proposals_per_row") p.proposals_per_row = int_in(v, k, 1, 10000);
    else if (k == "hidden") p.hidden = widths(v, k);
    else
      throw InvalidInput("unknown tvae option '" + k + "' (expected " + kCommonKeys +
                         ", latent_dim, hidden, loss_factor, proposals_per_row)");
  }
  p.transformer.validate();
  return p;
}

json TvaeParams::to_json() const {
  json j = common_json(train, transformer);
  j["latent_dim"] = latent_dim;
  j["hidden"] = hidden;
  j["loss_factor"] = loss_factor;
  j["proposals_per_row"] = proposals_per_row;
  return j;
}

CtganParams CtganParams::from_json(const json& j) {
  CtganParams p;
  if (j.is_null()) return p;
  if (!j.is_object()) throw InvalidInput("ctgan options must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = *it;
    if (read_common(k, v, &p.train, &p.transformer)) continue;
    if (k == "embedding_dim") p.embedding_dim = int_in(v, k, 1, 4096);
    else if (k == "generator") p.generator = widths(v, k);
    else if (k == "discriminator") p.discriminator = widths(v, k);
    else if (k == "pac") p.pac = int_in(v, k, 1, 1000);
    else if (k == "gp_lambda") p.gp_lambda = number_in(v, k, 0, 1e4);
    else if (k == "discriminator_steps") p.discriminator_steps = int_in(v, k, 1, 100);
    else if (k == "tau") p.tau = number_in(v, k, 1e-3, 100);
    else if (k == "loss") {
      if (!v.is_string() || (v != "wgan-gp" && v != "minimax"))
        throw InvalidInput("option 'loss' must be \"wgan-gp\" or \"minimax\"");
      p.loss = v.get<std::string>();
    } else if (k == "sample_batchnorm") {
      if (!v.is_string() || (v != "eval" && v != "train"))
        throw InvalidInput("option 'sample_batchnorm' must be \"eval\" or \"train\"");
      p.sample_batchnorm = v.get<std::string>();
    } else {
      throw InvalidInput("unknown ctgan option '" + k + "' (expected " + kCommonKeys +
                         ", embedding_dim, generator, discriminator, pac, gp_lambda, loss, discriminator_steps, tau, "
                         "sample_batchnorm)");
    }
  }
  if (p.train.batch_size % p.pac != 0)
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
  return j;
}

}  // namespace medgen::tabular
