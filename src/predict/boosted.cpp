#include "medgen/predict/boosted.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <functional>

#include "medgen/core/error.h"

namespace medgen::predict {

using json = nlohmann::json;

namespace {

void check(int rc, const std::string& what) {
  if (rc != 0) throw InvalidInput(what + ": XGBoost: " + XGBGetLastError());
}

using DMatrix = std::unique_ptr<void, std::function<void(void*)>>;

DMatrix make_dmatrix(const std::vector<double>& x, size_t n, size_t p) {
  if (n == 0 || x.size() != n * p) throw InvalidInput("boosted trees: no rows, or rows of the wrong width");
  std::vector<float> f(x.begin(), x.end());
  DMatrixHandle dm = nullptr;
  check(XGDMatrixCreateFromMat(f.data(), n, p, NAN, &dm), "boosted trees");
  return DMatrix(dm, [](void* h) { XGDMatrixFree(h); });
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

json BoostParams::to_json() const {
  return json{{"rounds", rounds},       {"max_depth", max_depth},        {"eta", eta},       {"subsample", subsample},
              {"colsample", colsample}, {"min_child_weight", min_child_weight}, {"lambda", lambda}};
}

BoostParams BoostParams::from_json(const json& j) {
  BoostParams p;
  for (const auto& [k, v] : j.items()) {
    if (k == "rounds") p.rounds = v.get<int>();
    else if (k == "max_depth") p.max_depth = v.get<int>();
    else if (k == "eta") p.eta = v.get<double>();
    else if (k == "subsample") p.subsample = v.get<double>();
    else if (k == "colsample") p.colsample = v.get<double>();
    else if (k == "min_child_weight") p.min_child_weight = v.get<double>();
    else if (k == "lambda") p.lambda = v.get<double>();
    else
      throw InvalidInput("boosted trees: unknown parameter '" + k +
                         "' (rounds, max_depth, eta, subsample, colsample, min_child_weight, lambda)");
  }
  p.validate();
  return p;
}

void BoostParams::validate() const {
  if (rounds < 1 || rounds > 100000) throw InvalidInput("boosted trees: rounds must be in [1, 100000]");
  if (max_depth < 1 || max_depth > 16) throw InvalidInput("boosted trees: max_depth must be in [1, 16]");
  if (!(eta > 0 && eta <= 1)) throw InvalidInput("boosted trees: eta must be in (0, 1]");
  if (!(subsample > 0 && subsample <= 1)) throw InvalidInput("boosted trees: subsample must be in (0, 1]");
  if (!(colsample > 0 && colsample <= 1)) throw InvalidInput("boosted trees: colsample must be in (0, 1]");
  if (!(min_child_weight >= 0 && min_child_weight < 1e6)) throw InvalidInput("boosted trees: min_child_weight must be >= 0");
  if (!(lambda >= 0 && lambda < 1e6)) throw InvalidInput("boosted trees: lambda must be >= 0");
}

Booster::Booster() = default;
Booster::~Booster() {
  if (handle_) XGBoosterFree(handle_);
}
Booster::Booster(Booster&& o) noexcept : handle_(o.handle_), p_(o.p_) { o.handle_ = nullptr; }
Booster& Booster::operator=(Booster&& o) noexcept {
  if (this != &o) {
    if (handle_) XGBoosterFree(handle_);
    handle_ = o.handle_;
    p_ = o.p_;
    o.handle_ = nullptr;
  }
  return *this;
}

void Booster::fit(const std::vector<double>& x, size_t n, size_t p, bool survival, const std::vector<double>& y,
                  const std::vector<double>& time, const std::vector<int>& event, const BoostParams& params,
                  uint64_t seed, int threads) {
  params.validate();
  DMatrix dm = make_dmatrix(x, n, p);
  std::vector<float> label(n);
  for (size_t i = 0; i < n; ++i)
    label[i] = survival ? static_cast<float>(event[i] ? time[i] : -time[i]) : static_cast<float>(y[i]);
  check(XGDMatrixSetFloatInfo(dm.get(), "label", label.data(), n), "boosted trees");
  if (handle_) XGBoosterFree(handle_);
  handle_ = nullptr;
  DMatrixHandle h = dm.get();
  check(XGBoosterCreate(&h, 1, &handle_), "boosted trees");
  p_ = p;
  const std::pair<std::string, std::string> kv[] = {
      {"objective", survival ? "survival:cox" : "binary:logistic"},
      {"eval_metric", survival ? "cox-nloglik" : "logloss"},
      {"max_depth", std::to_string(params.max_depth)},
      {"eta", num(params.eta)},
      {"subsample", num(params.subsample)},
      {"colsample_bytree", num(params.colsample)},
      {"min_child_weight", num(params.min_child_weight)},
      {"lambda", num(params.lambda)},
      {"tree_method", "hist"},
      {"seed", std::to_string(seed & 0x7fffffff)},
      {"nthread", std::to_string(threads)},
      {"verbosity", "0"}};
  for (const auto& [k, v] : kv) check(XGBoosterSetParam(handle_, k.c_str(), v.c_str()), "boosted trees");
  for (int i = 0; i < params.rounds; ++i) check(XGBoosterUpdateOneIter(handle_, i, dm.get()), "boosted trees");
}

std::vector<double> Booster::margin(const std::vector<double>& x, size_t n) const {
  if (!handle_) throw InvalidInput("boosted trees: no model");
  DMatrix dm = make_dmatrix(x, n, p_);
  const char* cfg = R"({"type": 1, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  check(XGBoosterPredictFromDMatrix(handle_, dm.get(), cfg, &shape, &dim, &out), "boosted trees");
  return std::vector<double>(out, out + n);
}

std::vector<double> Booster::contributions(const std::vector<double>& x, size_t n) const {
  if (!handle_) throw InvalidInput("boosted trees: no model");
  DMatrix dm = make_dmatrix(x, n, p_);
  const char* cfg = R"({"type": 2, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  check(XGBoosterPredictFromDMatrix(handle_, dm.get(), cfg, &shape, &dim, &out), "boosted trees");
  bst_ulong total = 1;
  for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
  if (total != n * (p_ + 1)) throw InvalidInput("boosted trees: unexpected contribution shape");
  return std::vector<double>(out, out + total);
}

std::string Booster::save() const {
  if (!handle_) throw InvalidInput("boosted trees: no model");
  bst_ulong len = 0;
  const char* buf = nullptr;
  check(XGBoosterSaveModelToBuffer(handle_, R"({"format": "json"})", &len, &buf), "boosted trees");
  return std::string(buf, len);
}

void Booster::load(const std::string& model_json, size_t p, const std::string& where) {
  if (handle_) XGBoosterFree(handle_);
  handle_ = nullptr;
  // Parse first: XGBoost's own reader is not meant for hostile bytes.
  json j;
  try {
    j = json::parse(model_json);
    const std::string nf = j.at("learner").at("learner_model_param").at("num_feature").get<std::string>();
    if (std::stoul(nf) != p) throw InvalidInput(where + ": boosted trees: the model has " + nf + " features, the design " +
                                                std::to_string(p));
  } catch (const json::exception& e) {
    throw InvalidInput(where + ": boosted trees: not an XGBoost JSON model (" + e.what() + ")");
  } catch (const std::logic_error&) {
    throw InvalidInput(where + ": boosted trees: bad feature count");
  }
  check(XGBoosterCreate(nullptr, 0, &handle_), where);
  check(XGBoosterLoadModelFromBuffer(handle_, model_json.data(), model_json.size()), where);
  p_ = p;
}

}  // namespace medgen::predict
