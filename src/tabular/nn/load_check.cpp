#include "load_check.h"

#include <algorithm>
#include <map>

#include "../state_check.h"
#include "medgen/core/error.h"

namespace medgen::tabular::nnlib {

namespace {

std::string shape_text(torch::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

void load_checked(torch::nn::Module& module, torch::serialize::InputArchive& ar, const std::string& what) {
  struct Expect {
    std::vector<int64_t> shape;
    torch::ScalarType dtype;
  };
  std::map<std::string, Expect> expected;
  for (const auto& p : module.named_parameters(true)) expected[p.key()] = {p.value().sizes().vec(), p.value().scalar_type()};
  for (const auto& b : module.named_buffers(true)) expected[b.key()] = {b.value().sizes().vec(), b.value().scalar_type()};
  module.load(ar);
  auto check = [&](const std::string& name, const torch::Tensor& t) {
    const Expect& e = expected.at(name);
    if (t.sizes().vec() != e.shape)
      throw ModelFormat(what + ": tensor '" + name + "' has shape " + shape_text(t.sizes()) + " but the header implies " +
                        shape_text(e.shape));
    if (t.scalar_type() != e.dtype) throw ModelFormat(what + ": tensor '" + name + "' has the wrong element type");
    if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
      throw ModelFormat(what + ": tensor '" + name + "' holds non-finite values");
  };
  for (const auto& p : module.named_parameters(true)) check(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) check(b.key(), b.value());
}

nlohmann::json checked_seen_levels(const nlohmann::json& seen, const Schema& schema) {
  state::object(seen, "seen_levels");
  for (auto it = seen.begin(); it != seen.end(); ++it) {
    const int ci = schema.find(it.key());
    if (ci < 0) state::fail("seen_levels: unknown column '" + it.key() + "'");
    const ColumnSchema& cs = schema.columns[static_cast<size_t>(ci)];
    if (cs.type != ColumnType::kCategorical && cs.type != ColumnType::kBoolean)
      state::fail("seen_levels: column '" + it.key() + "' is not categorical");
    for (const std::string& v : state::string_array(it.value(), "seen_levels." + it.key()))
      if (std::find(cs.values.begin(), cs.values.end(), v) == cs.values.end())
        state::fail("seen_levels." + it.key() + ": '" + v + "' is not a value of the column");
  }
  return seen;
}

nlohmann::json checked_history(const nlohmann::json& history) {
  state::array(history, "history");
  for (size_t i = 0; i < history.size(); ++i) {
    const std::string where = "history[" + std::to_string(i) + "]";
    state::object(history[i], where);
    for (auto it = history[i].begin(); it != history[i].end(); ++it) {
      if (!it.value().is_number()) state::fail(where + "." + it.key() + ": expected a number");
    }
  }
  return history;
}

void check_same_schema(const DataTransformer& transformer, const Schema& schema) {
  if (transformer.schema().to_json() != schema.to_json())
    state::fail("the data transformer's schema differs from the model's schema");
}

}  // namespace medgen::tabular::nnlib
