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

}  // namespace

TvaeParams TvaeParams::from_json(const json& j) {
  TvaeParams p;
  if (j.is_null()) return p;
  if (!j.is_object()) throw InvalidInput("tvae options must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = *it;
    if (k == "epochs") p.train.epochs = int_in(v, k, 1, 1000000);
    else if (k == "batch_size") p.train.batch_size = int_in(v, k, 2, 1000000);
    else if (k == "lr") p.train.lr = number_in(v, k, 1e-8, 10);
    else if (k == "weight_decay") p.train.weight_decay = number_in(v, k, 0, 1);
    else if (k == "checkpoint_every") p.train.checkpoint_every = int_in(v, k, 0, 1000000);
    else if (k == "latent_dim") p.latent_dim = int_in(v, k, 1, 4096);
    else if (k == "loss_factor") p.loss_factor = number_in(v, k, 1e-3, 1e3);
    else if (k == "proposals_per_row") p.proposals_per_row = int_in(v, k, 1, 10000);
    else if (k == "max_categories") p.transformer.max_categories = int_in(v, k, 2, 100000);
    else if (k == "max_modes") p.transformer.gmm.max_components = int_in(v, k, 1, 100);
    else if (k == "device") {
      if (!v.is_string() || (v != "cpu" && v != "cuda")) throw InvalidInput("option 'device' must be \"cpu\" or \"cuda\"");
      p.train.device = v.get<std::string>();
    } else if (k == "hidden") {
      if (!v.is_array() || v.empty()) throw InvalidInput("option 'hidden' must be a non-empty array of widths");
      p.hidden.clear();
      for (const json& w : v) p.hidden.push_back(int_in(w, "hidden", 1, 65536));
    } else {
      throw InvalidInput("unknown tvae option '" + k +
                         "' (expected epochs, batch_size, lr, weight_decay, checkpoint_every, device, latent_dim, "
                         "hidden, loss_factor, proposals_per_row, max_categories, max_modes)");
    }
  }
  p.transformer.validate();
  return p;
}

json TvaeParams::to_json() const {
  return json{{"epochs", train.epochs},
              {"batch_size", train.batch_size},
              {"lr", train.lr},
              {"weight_decay", train.weight_decay},
              {"checkpoint_every", train.checkpoint_every},
              {"device", train.device},
              {"latent_dim", latent_dim},
              {"hidden", hidden},
              {"loss_factor", loss_factor},
              {"proposals_per_row", proposals_per_row},
              {"max_categories", transformer.max_categories},
              {"max_modes", transformer.gmm.max_components}};
}

}  // namespace medgen::tabular
