#include "medgen/tabular/param_table.h"

#include <cstdio>
#include <map>

#include "medgen/core/error.h"
#include "medgen/tabular/synthesizer.h"
#include "param_builders.h"

namespace medgen::tabular {

using json = nlohmann::json;

namespace {

std::vector<ParamSpec> copula_table(bool dependence) {
  std::vector<ParamSpec> t = {
      choice_param("marginals", {"auto", "empirical", "parametric"},
                   "numeric marginals: a parametric family when it fits (auto), the quantile table, or the family"),
      {"dependence", ParamKind::kBool, dependence, 0, 0, {}, "model the correlations (false: independent columns)"},
      int_param("max_quantiles", 10000, 16, 1000000, "size cap of an empirical quantile table"),
      int_param("discrete_max_levels", 32, 0, 10000, "numeric columns with at most this many values are discrete"),
      choice_param("privacy", {"exact", "coarse"}, kPrivacyHelp),
  };
  if (!dependence) {
    t[1].choices = {"false"};
    t[1].help = "only false: each column on its own";
  }
  return t;
}

std::vector<ParamSpec> tvae_table() {
  std::vector<ParamSpec> t = neural_common(1e-3, 1e-5);
  t.push_back(int_param("latent_dim", 128, 1, 4096, "size of the latent code"));
  t.push_back(widths_param("hidden", {128, 128}, "encoder layer widths (the decoder mirrors them)"));
  t.push_back(real_param("loss_factor", 1.0, 1e-3, 1e3, "weight of the reconstruction term (1: the ELBO)"));
  t.push_back(int_param("proposals_per_row", 20, 1, 10000, "conditional sampling: importance proposals per row"));
  for (ParamSpec& p : dp_sgd_params()) t.push_back(std::move(p));
  return t;
}

std::vector<ParamSpec> ctgan_table() {
  std::vector<ParamSpec> t = neural_common(2e-4, 1e-6);
  t.push_back(int_param("embedding_dim", 128, 1, 4096, "noise size"));
  t.push_back(widths_param("generator", {256, 256}, "generator residual block widths"));
  t.push_back(widths_param("discriminator", {256, 256}, "discriminator layer widths"));
  t.push_back(int_param("pac", 10, 1, 1000, "rows per discriminator decision (batch_size must be a multiple)"));
  t.push_back(real_param("gp_lambda", 10.0, 0, 1e4, "gradient penalty weight (wgan-gp)"));
  t.push_back(choice_param("loss", {"wgan-gp", "minimax"}, "adversarial loss (--loss)"));
  t.push_back(int_param("discriminator_steps", 1, 1, 100, "discriminator updates per generator update"));
  t.push_back(real_param("tau", 0.2, 1e-3, 100, "Gumbel-softmax temperature"));
  t.push_back(choice_param("sample_batchnorm", {"eval", "train"},
                           "BatchNorm when sampling: running statistics (eval) or the batch's (train)"));
  t.push_back(choice_param("cuda_graph", {"auto", "off"},
                           "on CUDA, capture the training step as a CUDA graph (auto) or launch each kernel (off)"));
  for (ParamSpec& p : dp_sgd_params()) t.push_back(std::move(p));
  return t;
}

const std::map<std::string, std::vector<ParamSpec>>& tables() {
  static const std::map<std::string, std::vector<ParamSpec>> kTables = {
      {"copula", copula_table(true)},
      {"independent", copula_table(false)},
      {"tvae", tvae_table()},
      {"ctgan", ctgan_table()},
      {"diffusion", diffusion_param_table()},
      {"autoregressive", autoregressive_param_table()},
      {"cart", cart_param_table()},
      {"mst", mst_param_table()},
  };
  return kTables;
}

std::string number_text(double x) {
  char b[32];
  // Whole numbers in full (1000000, not 1e+06); others as %g (0.0002, 1e-08).
  std::snprintf(b, sizeof b, x < 1e15 && x > -1e15 && x == static_cast<double>(static_cast<int64_t>(x)) ? "%.0f" : "%g", x);
  return b;
}

std::string value_text(const json& v) {
  if (v.is_number_float()) return number_text(v.get<double>());
  if (v.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + value_text(v[i]);
    return s + "]";
  }
  return v.dump();
}

// What a bad value was, for the error line (bounded: a value can be a megabyte of JSON).
std::string got(const json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return ", got " + s;
}

bool int_in(const json& v, const ParamSpec& p) {
  if (!v.is_number_integer()) return false;
  // Compared as doubles: the bounds are small integers, exact in a double.
  const double x = v.is_number_unsigned() ? static_cast<double>(v.get<uint64_t>()) : static_cast<double>(v.get<int64_t>());
  return x >= p.min && x <= p.max;
}

void check_value(const std::string& synthesizer, const ParamSpec& p, const json& v) {
  const std::string what = synthesizer + " option '" + p.name + "' must be ";
  switch (p.kind) {
    case ParamKind::kInt:
      if (!int_in(v, p)) throw InvalidInput(what + "an integer in " + param_range_text(p) + got(v));
      break;
    case ParamKind::kDouble:
      if (!v.is_number() || !(v.get<double>() >= p.min) || !(v.get<double>() <= p.max))
        throw InvalidInput(what + "a number in " + param_range_text(p) + got(v));
      break;
    case ParamKind::kString: {
      bool ok = v.is_string();
      if (ok) {
        ok = false;
        for (const auto& c : p.choices) ok = ok || v.get<std::string>() == c;
      }
      if (!ok) throw InvalidInput(what + "one of " + param_range_text(p) + got(v));
      break;
    }
    case ParamKind::kBool: {
      bool ok = v.is_boolean();
      if (ok && !p.choices.empty()) {
        ok = false;
        for (const auto& c : p.choices) ok = ok || v.dump() == c;
      }
      if (!ok) throw InvalidInput(what + param_range_text(p) + got(v));
      break;
    }
    case ParamKind::kIntList: {
      bool ok = v.is_array() && !v.empty();
      if (ok)
        for (const json& w : v) ok = ok && int_in(w, p);
      if (!ok) throw InvalidInput(what + "a non-empty array of integers in " + param_range_text(p) + got(v));
      break;
    }
  }
}

std::string kind_text(ParamKind k) {
  switch (k) {
    case ParamKind::kInt: return "integer";
    case ParamKind::kDouble: return "number";
    case ParamKind::kString: return "string";
    case ParamKind::kBool: return "boolean";
    case ParamKind::kIntList: return "integers";
  }
  return "";
}

// The allowed values in the tables: a list's range applies to each element.
std::string allowed_text(const ParamSpec& p) {
  return (p.kind == ParamKind::kIntList ? "each in " : "") + param_range_text(p);
}

// A table cell: a literal '|' escaped.
std::string markdown_cell(const std::string& text) {
  std::string s;
  for (char c : text) {
    if (c == '|') s += '\\';
    s += c;
  }
  return s;
}

std::string pad(std::string s, size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

}  // namespace

const std::vector<ParamSpec>& param_table(const std::string& synthesizer) {
  const auto it = tables().find(synthesizer);
  if (it == tables().end()) throw InvalidInput("no parameter table for synthesizer '" + synthesizer + "'");
  return it->second;
}

json resolve_params(const std::string& synthesizer, const json& params) {
  const std::vector<ParamSpec>& table = param_table(synthesizer);
  if (!params.is_null() && !params.is_object()) throw InvalidInput(synthesizer + " options must be a JSON object");
  json out = json::object();
  for (const ParamSpec& p : table) out[p.name] = p.default_value;
  if (params.is_null()) return out;
  for (auto it = params.begin(); it != params.end(); ++it) {
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& p : table)
      if (p.name == it.key()) spec = &p;
    if (!spec) {
      std::string keys;
      for (const ParamSpec& p : table) keys += (keys.empty() ? "" : ", ") + p.name;
      throw InvalidInput("unknown " + synthesizer + " option '" + it.key() + "' (expected " + keys + ")");
    }
    check_value(synthesizer, *spec, *it);
    out[it.key()] = *it;
  }
  return out;
}

std::string param_range_text(const ParamSpec& p) {
  switch (p.kind) {
    case ParamKind::kInt:
    case ParamKind::kDouble:
    case ParamKind::kIntList:
      return "[" + number_text(p.min) + ", " + number_text(p.max) + "]";
    case ParamKind::kString: {
      std::string s;
      for (const auto& c : p.choices) s += (s.empty() ? "" : " | ") + c;
      return s;
    }
    case ParamKind::kBool: {
      if (p.choices.empty()) return "true | false";
      std::string s;
      for (const auto& c : p.choices) s += (s.empty() ? "" : " | ") + c;
      return s;
    }
  }
  return "";
}

std::string param_tables_text() {
  std::string s = "Synthesizer options (--params JSON; unknown keys are errors; `medgen params` prints this):\n";
  for (const SynthesizerInfo& info : list_synthesizers()) {
    s += "\n" + info.name + ":\n";
    for (const ParamSpec& p : param_table(info.name))
      s += "  " + pad(p.name, 20) + " " + pad(value_text(p.default_value), 11) + " " +
           pad(allowed_text(p), 30) + " " + p.help + "\n";
  }
  return s;
}

std::string param_tables_markdown() {
  std::string s;
  for (const SynthesizerInfo& info : list_synthesizers()) {
    s += "`" + info.name + "`:\n\n";
    s += "| option | type | default | allowed | meaning |\n|---|---|---|---|---|\n";
    for (const ParamSpec& p : param_table(info.name))
      s += "| `" + p.name + "` | " + kind_text(p.kind) + " | `" + value_text(p.default_value) + "` | " +
           markdown_cell(allowed_text(p)) + " | " + markdown_cell(p.help) + " |\n";
    s += "\n";
  }
  s.pop_back();  // one newline at the end
  return s;
}

}  // namespace medgen::tabular
