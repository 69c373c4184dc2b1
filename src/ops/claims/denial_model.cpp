// The denial model on XGBoost's C API (as src/tabular/trees.cpp calls it).
#include "medgen/ops/claims/denial_model.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "medgen/core/error.h"
#include "medgen/core/file.h"

using json = nlohmann::json;

namespace medgen::ops::claims {

namespace {

void check(int rc, const std::string& what) {
  if (rc != 0) throw InvalidInput(what + ": XGBoost: " + XGBGetLastError());
}

using Handle = std::unique_ptr<void, std::function<void(void*)>>;

const std::vector<std::string> kNumeric = {"charge_ratio", "units", "diagnoses", "modifiers", "prior_auth",
                                           "days_into_coverage", "days_left_of_coverage", "age", "place_of_service"};

// Features of every line, row-major; group[f] names the feature a column belongs to.
struct Design {
  std::vector<float> x;
  size_t cols = 0;
  std::vector<std::string> group;
};

Design design(const std::vector<ClaimLine>& lines, const RuleSet& rules, const std::vector<std::string>& payers,
              const std::vector<std::string>& categories) {
  Design d;
  d.group = kNumeric;
  for (size_t k = 0; k < categories.size(); ++k) d.group.push_back("category");
  for (size_t k = 0; k < payers.size(); ++k) d.group.push_back("payer");
  d.cols = d.group.size();
  d.x.assign(lines.size() * d.cols, 0.f);
  for (size_t i = 0; i < lines.size(); ++i) {
    const ClaimLine& l = lines[i];
    float* r = &d.x[i * d.cols];
    const int p = rules.procedure_index(l.procedure);
    r[0] = p >= 0 ? static_cast<float>(l.charge / rules.procedures()[p].typical_charge) : NAN;
    r[1] = static_cast<float>(l.units);
    r[2] = static_cast<float>(l.diagnoses.size());
    r[3] = static_cast<float>(l.modifiers.size());
    r[4] = l.prior_auth.empty() ? 0.f : 1.f;
    const bool cs = l.has_coverage && l.coverage_start != kNoDay && l.coverage_start != INT32_MAX;
    const bool ce = l.has_coverage && l.coverage_end != kNoDay;
    r[5] = cs ? static_cast<float>(l.service_day - l.coverage_start) : NAN;
    r[6] = ce ? static_cast<float>(l.coverage_end - l.service_day) : NAN;
    r[7] = l.age >= 0 ? static_cast<float>(l.age) : NAN;
    r[8] = l.place_of_service > 0 ? static_cast<float>(l.place_of_service) : NAN;
    if (p >= 0) {
      auto it = std::find(categories.begin(), categories.end(), rules.procedures()[p].category);
      if (it != categories.end()) r[kNumeric.size() + (it - categories.begin())] = 1.f;
    }
    auto pit = std::find(payers.begin(), payers.end(), l.payer);
    if (pit != payers.end()) r[kNumeric.size() + categories.size() + (pit - payers.begin())] = 1.f;
  }
  return d;
}

Handle matrix(const Design& d, size_t rows) {
  void* dm = nullptr;
  check(XGDMatrixCreateFromMat(d.x.data(), rows, d.cols, NAN, &dm), "denial model");
  return Handle(dm, [](void* h) { XGDMatrixFree(h); });
}

}  // namespace

struct DenialModel::Impl {
  Handle booster{nullptr, [](void* h) {
                   if (h) XGBoosterFree(h);
                 }};
  std::vector<std::string> payers, categories;
};

DenialModel::DenialModel() : impl_(std::make_unique<Impl>()) {}
DenialModel::~DenialModel() = default;
DenialModel::DenialModel(DenialModel&&) noexcept = default;
DenialModel& DenialModel::operator=(DenialModel&&) noexcept = default;

void DenialModelParams::validate() const {
  if (rounds < 1 || rounds > 10000) throw InvalidInput("--rounds must be between 1 and 10000");
  if (max_depth < 1 || max_depth > 16) throw InvalidInput("--max-depth must be between 1 and 16");
  if (!(eta > 0 && eta <= 1)) throw InvalidInput("--eta must be in (0, 1]");
  if (!(subsample > 0 && subsample <= 1)) throw InvalidInput("--subsample must be in (0, 1]");
}

DenialModel DenialModel::train(const std::vector<ClaimLine>& lines, const RuleSet& rules,
                               const DenialModelParams& params) {
  params.validate();
  // The model learns the denials the rules do not explain: lines a rule flags are left out.
  ReviewOptions ro;
  ro.unknown_codes_as_findings = true;
  const std::vector<LineReview> flagged = rules.review(lines, ro);
  std::vector<ClaimLine> use;
  std::vector<float> y;
  for (size_t i = 0; i < lines.size(); ++i)
    if (const ClaimLine& l = lines[i]; l.denied >= 0 && !flagged[i].denied) {
      use.push_back(l);
      y.push_back(static_cast<float>(l.denied));
    }
  if (use.empty()) throw InvalidInput("claims train: no line that passes the rules carries a 'denied' label (0 or 1)");
  const size_t pos = static_cast<size_t>(std::count(y.begin(), y.end(), 1.f));
  if (pos == 0 || pos == y.size()) throw InvalidInput("claims train: the labels hold one class only");
  DenialModel m;
  m.impl_->payers = rules.payers();
  for (const auto& l : use)
    if (std::find(m.impl_->payers.begin(), m.impl_->payers.end(), l.payer) == m.impl_->payers.end())
      m.impl_->payers.push_back(l.payer);
  if (m.impl_->payers.size() > 1000) throw InvalidInput("claims train: more than 1000 payers");
  m.impl_->categories = rules.categories();
  const Design d = design(use, rules, m.impl_->payers, m.impl_->categories);
  Handle dm = matrix(d, use.size());
  check(XGDMatrixSetFloatInfo(dm.get(), "label", y.data(), y.size()), "denial model");
  void* b = nullptr;
  void* dmh = dm.get();
  check(XGBoosterCreate(&dmh, 1, &b), "denial model");
  m.impl_->booster.reset(b);
  const std::vector<std::pair<std::string, std::string>> p = {
      {"objective", "binary:logistic"},       {"eval_metric", "logloss"},
      {"max_depth", std::to_string(params.max_depth)}, {"eta", std::to_string(params.eta)},
      {"subsample", std::to_string(params.subsample)}, {"seed", std::to_string(params.seed % 2147483647)},
      {"nthread", "1"},                       {"tree_method", "hist"},
      {"verbosity", "0"}};
  for (const auto& [k, v] : p) check(XGBoosterSetParam(b, k.c_str(), v.c_str()), "denial model");
  for (int i = 0; i < params.rounds; ++i) check(XGBoosterUpdateOneIter(b, i, dm.get()), "denial model");
  m.info_ = {{"rows", use.size()},
             {"denied", pos},
             {"params",
              {{"rounds", params.rounds}, {"max_depth", params.max_depth}, {"eta", params.eta},
               {"subsample", params.subsample}, {"seed", params.seed}}}};
  return m;
}

void DenialModel::save(const std::string& path) const {
  bst_ulong len = 0;
  const char* buf = nullptr;
  check(XGBoosterSaveModelToBuffer(impl_->booster.get(), "{\"format\": \"json\"}", &len, &buf), "denial model");
  json booster = json::parse(std::string(buf, len));
  std::vector<std::string> features = kNumeric;
  for (const auto& c : impl_->categories) features.push_back("category=" + c);
  for (const auto& p : impl_->payers) features.push_back("payer=" + p);
  json j = {{"format", "medgen-claims-denial"}, {"version", 1},           {"features", features},
            {"payers", impl_->payers},          {"categories", impl_->categories},
            {"training", info_},                {"booster", booster}};
  write_file_atomic(path, j.dump() + "\n");
}

DenialModel DenialModel::load(const std::string& path) {
  json j;
  try {
    j = json::parse(read_file(path, uint64_t{512} << 20));
  } catch (const json::exception& e) {
    throw ModelFormat(path + ": not a denial model (" + e.what() + ")");
  }
  auto bad = [&](const std::string& what) { return ModelFormat(path + ": " + what); };
  if (!j.is_object() || j.value("format", json()) != "medgen-claims-denial") throw bad("not a medgen-claims-denial model");
  if (j.value("version", json()) != 1) throw bad("unsupported version " + j.value("version", json()).dump());
  DenialModel m;
  for (const char* k : {"payers", "categories"}) {
    if (!j.contains(k) || !j[k].is_array()) throw bad(std::string(k) + " must be an array of strings");
    for (const auto& s : j[k])
      if (!s.is_string()) throw bad(std::string(k) + " must be an array of strings");
  }
  m.impl_->payers = j["payers"].get<std::vector<std::string>>();
  m.impl_->categories = j["categories"].get<std::vector<std::string>>();
  if (!j.contains("booster") || !j["booster"].is_object()) throw bad("no booster");
  if (!j.contains("features") || !j["features"].is_array() ||
      j["features"].size() != kNumeric.size() + m.impl_->payers.size() + m.impl_->categories.size())
    throw bad("feature list does not match payers and categories");
  void* b = nullptr;
  check(XGBoosterCreate(nullptr, 0, &b), "denial model");
  m.impl_->booster.reset(b);
  const std::string text = j["booster"].dump();
  if (XGBoosterLoadModelFromBuffer(b, text.data(), text.size()) != 0)
    throw bad(std::string("XGBoost refused the booster: ") + XGBGetLastError());
  bst_ulong nf = 0;
  if (XGBoosterGetNumFeature(b, &nf) != 0 || nf != j["features"].size())
    throw bad("the booster's feature count does not match the feature list");
  m.info_ = j.value("training", json::object());
  return m;
}

std::vector<double> DenialModel::predict(const std::vector<ClaimLine>& lines, const RuleSet& rules, int top,
                                         std::vector<std::vector<std::pair<std::string, double>>>* reasons) const {
  if (lines.empty()) return {};
  const Design d = design(lines, rules, impl_->payers, impl_->categories);
  Handle dm = matrix(d, lines.size());
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* res = nullptr;
  check(XGBoosterPredictFromDMatrix(impl_->booster.get(), dm.get(),
                                    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})",
                                    &shape, &dim, &res),
        "denial model");
  std::vector<double> p(res, res + lines.size());
  if (top > 0 && reasons) {
    check(XGBoosterPredictFromDMatrix(impl_->booster.get(), dm.get(),
                                      R"({"type": 2, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})",
                                      &shape, &dim, &res),
          "denial model");
    const size_t w = d.cols + 1;  // contributions per feature plus the bias
    reasons->assign(lines.size(), {});
    for (size_t i = 0; i < lines.size(); ++i) {
      std::vector<std::pair<std::string, double>> g;
      for (size_t f = 0; f < d.cols; ++f) {
        const double c = res[i * w + f];
        if (c == 0) continue;
        std::string name = d.group[f];
        const float v = d.x[i * d.cols + f];
        if (name == "category" || name == "payer") {
          // The group's contribution, named by the line's own level.
          name += "=" + (name == "payer" ? lines[i].payer : [&] {
            const int pi = rules.procedure_index(lines[i].procedure);
            return pi >= 0 ? rules.procedures()[pi].category : std::string("?");
          }());
        } else {
          char buf[48];
          if (std::isnan(v)) std::snprintf(buf, sizeof buf, "=missing");
          else std::snprintf(buf, sizeof buf, "=%.3g", v);
          name += buf;
        }
        auto it = std::find_if(g.begin(), g.end(), [&](const auto& e) { return e.first == name; });
        if (it == g.end()) g.emplace_back(name, c);
        else it->second += c;
      }
      std::sort(g.begin(), g.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      for (const auto& e : g) {
        if (static_cast<int>((*reasons)[i].size()) >= top || e.second <= 0) break;
        (*reasons)[i].push_back(e);
      }
    }
  }
  return p;
}

std::vector<LineReview> review_claims(const std::vector<ClaimLine>& lines, const RuleSet& rules,
                                      const DenialModel* model, const ReviewOptions& options) {
  std::vector<LineReview> out = rules.review(lines, options);
  if (!model) return out;
  std::vector<std::vector<std::pair<std::string, double>>> reasons;
  const std::vector<double> p = model->predict(lines, rules, options.model_top_reasons, &reasons);
  for (size_t i = 0; i < lines.size(); ++i) {
    out[i].model_probability = p[i];
    out[i].model_reasons = reasons.empty() ? std::vector<std::pair<std::string, double>>{} : reasons[i];
    if (!out[i].denied && p[i] >= options.model_threshold) {
      std::string msg = "predicted denial";
      out[i].findings.push_back(Finding{Reason::kModel, rules.carc(Reason::kModel), "model", msg});
      out[i].denied = true;
    }
  }
  return out;
}

}  // namespace medgen::ops::claims
