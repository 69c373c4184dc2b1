// Synthetic survey responses: a generated response table, a tabular synthesizer fitted on it,
// and rows sampled from the fit.
#include <algorithm>
#include <cmath>

#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/ops/surveys/surveys.h"
#include "medgen/tabular/synthesizer.h"

using json = nlohmann::json;

namespace medgen::ops::surveys {

namespace {

// Comment templates by theme and tone (written for medgen).
const std::vector<std::string> kPositive = {
    "The nurses were kind and caring throughout my stay.",
    "Doctors explained everything clearly and answered my questions.",
    "Staff came quickly whenever I used the call bell.",
    "The ward was spotless and the bathroom was always clean.",
    "Very professional team, thank you for looking after me.",
    "Discharge was well organised and I was told what to watch for at home.",
    "My pain was well controlled and the staff were attentive.",
    "The food was good and the tea round was lovely.",
};
const std::vector<std::string> kNegative = {
    "It was too noisy at night to get any sleep.",
    "I waited ages for someone to answer the call bell.",
    "One of the doctors was dismissive and did not listen.",
    "The bathroom was dirty for most of my stay.",
    "Nobody explained my medication before I went home.",
    "The food was cold and arrived late.",
    "I was in pain for hours before anyone came.",
    "Discharge was delayed all day and the letter was confusing.",
};

double logistic(double x) { return 1 / (1 + std::exp(-x)); }

// An answer on scale s from a latent satisfaction y (about N(0, 1.3)).
int answer(const Scale& s, double y, Rng& rng) {
  if (s.is_integer()) {
    const double span = s.max - s.min;
    const double x = s.min + span * (0.80 + 0.14 * y);
    return static_cast<int>(std::clamp(std::lround(x), static_cast<long>(s.min), static_cast<long>(s.max)));
  }
  const int levels = static_cast<int>(s.options.size());
  if (levels == 2) return rng.uniform() < logistic(1.6 + 1.2 * y) ? 2 : 1;
  const double x = levels - 0.35 + 0.9 * y;
  return static_cast<int>(std::clamp(std::lround(x), 1L, static_cast<long>(levels)));
}

std::string comment_for(double mood, Rng& rng) {
  const bool positive = rng.uniform() < logistic(1.5 * mood);
  const auto& pool = positive ? kPositive : kNegative;
  return pool[rng.below(pool.size())];
}

}  // namespace

void SynthOptions::validate() const {
  if (n < 1 || n > 10000000) throw InvalidInput("-n must be between 1 and 10000000");
  if (base_rows < 50 || base_rows > 10000000) throw InvalidInput("--base-rows must be between 50 and 10000000");
  if (units.empty() || periods.empty()) throw InvalidInput("at least one unit and one period are needed");
  for (const auto& v : {units, periods})
    for (const auto& s : v)
      if (s.empty()) throw InvalidInput("unit and period names must not be empty");
  if (!(comment_rate >= 0 && comment_rate <= 1)) throw InvalidInput("--comment-rate must be in [0, 1]");
}

std::vector<Response> generate_base(const Questionnaire& q, const SynthOptions& o, uint64_t seed) {
  o.validate();
  Rng rng(seed);
  std::vector<double> unit_eff, period_eff, item_bias;
  for (size_t k = 0; k < o.units.size(); ++k) unit_eff.push_back(0.35 * rng.normal());
  for (size_t k = 0; k < o.periods.size(); ++k) period_eff.push_back(0.08 * static_cast<double>(k));
  for (const auto& it : q.items)
    item_bias.push_back(it.domain == "quietness" ? -0.6 : it.domain == "responsiveness" ? -0.4 : 0.15 * rng.normal());
  std::vector<Response> out;
  out.reserve(o.base_rows);
  for (size_t i = 0; i < o.base_rows; ++i) {
    Response r;
    const size_t u = rng.below(o.units.size()), p = rng.below(o.periods.size());
    r.id = "R" + std::to_string(i + 1);
    r.unit = o.units[u];
    r.period = o.periods[p];
    const double z = unit_eff[u] + period_eff[p] + rng.normal();
    r.values.assign(q.items.size(), kNoAnswer);
    for (size_t k = 0; k < q.items.size(); ++k) {
      if (rng.uniform() < 0.03) continue;  // item left blank
      r.values[k] = answer(q.scales.at(q.items[k].scale), z + item_bias[k] + 0.7 * rng.normal(), rng);
    }
    if (!q.comment_link_id.empty() && rng.uniform() < o.comment_rate) r.comment = comment_for(z, rng);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Response> synthesize(const Questionnaire& q, const SynthOptions& o, const Context& ctx, json* fit_summary) {
  o.validate();
  const std::vector<Response> base = generate_base(q, o, ctx.seed ^ 0x5eedULL);
  // The table the synthesizer learns: unit, period and one column per item (comments are not
  // learned; they are drawn again below from the sampled scores).
  // Answers go in as value indices (1-based option order, or the integer itself).
  std::string csv = "response_id,unit,period";
  for (const auto& it : q.items) csv += "," + it.link_id;
  csv += "\n";
  for (const auto& r : base) {
    csv += r.id + ",";
    append_csv_field(csv, r.unit);
    csv += ",";
    append_csv_field(csv, r.period);
    for (int v : r.values) csv += "," + (v == kNoAnswer ? std::string() : std::to_string(v));
    csv += "\n";
  }
  const RawTable raw = parse_csv(csv, "<generated survey responses>");
  Schema schema = infer_schema(raw);
  // response_id is an identifier (not learned); unit and period are categories.
  for (auto& c : schema.columns) {
    if (c.name == "response_id") c.type = ColumnType::kIdentifier;
    if (c.name == "unit" || c.name == "period") {
      if (c.type != ColumnType::kCategorical) {
        c.type = ColumnType::kCategorical;
        c.values.clear();
        for (size_t r = 0; r < raw.num_rows(); ++r) {
          const std::string v(raw.field(r, static_cast<size_t>(&c - &schema.columns[0])));
          if (std::find(c.values.begin(), c.values.end(), v) == c.values.end()) c.values.push_back(v);
        }
      }
    }
  }
  const Table table = to_table(raw, schema);
  auto synth = tabular::create_synthesizer(o.synthesizer);
  synth->fit(table, schema, ctx);
  const Table sample = synth->sample(o.n, {}, ctx);
  // output_columns drops nothing but text; write the sample with its schema and read it back.
  Schema out_schema;
  for (size_t c : output_columns(schema)) out_schema.columns.push_back(schema.columns[c]);
  const RawTable back = parse_csv(to_csv(sample, out_schema), "<synthetic survey responses>");
  std::vector<int> item_col(q.items.size(), -1);
  int c_unit = -1, c_period = -1;
  for (size_t c = 0; c < back.num_cols(); ++c) {
    if (back.names[c] == "unit") c_unit = static_cast<int>(c);
    else if (back.names[c] == "period") c_period = static_cast<int>(c);
    else if (const int k = q.item_index(back.names[c]); k >= 0) item_col[k] = static_cast<int>(c);
  }
  Rng rng(ctx.seed ^ 0xc0117e17ULL);
  std::vector<Response> out;
  out.reserve(back.num_rows());
  for (size_t r = 0; r < back.num_rows(); ++r) {
    Response x;
    x.id = "S" + std::to_string(r + 1);
    if (c_unit >= 0) x.unit = std::string(back.field(r, c_unit));
    if (c_period >= 0) x.period = std::string(back.field(r, c_period));
    x.values.assign(q.items.size(), kNoAnswer);
    double score = 0;
    int answered = 0;
    for (size_t k = 0; k < q.items.size(); ++k) {
      if (item_col[k] < 0) continue;
      const std::string v(back.field(r, item_col[k]));
      if (v.empty()) continue;
      const Scale& s = q.scales.at(q.items[k].scale);
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || !std::isfinite(d)) continue;
      const long lo = s.is_integer() ? s.min : 1, hi = s.is_integer() ? s.max : static_cast<long>(s.options.size());
      x.values[k] = static_cast<int>(std::clamp(std::lround(d), lo, hi));
      score += s.score(x.values[k]);
      ++answered;
    }
    if (!q.comment_link_id.empty() && rng.uniform() < o.comment_rate)
      x.comment = comment_for(answered ? (score / answered - 70) / 20 : 0, rng);
    out.push_back(std::move(x));
  }
  if (fit_summary) *fit_summary = {{"synthesizer", o.synthesizer}, {"base_rows", base.size()}, {"summary", synth->summary()}};
  return out;
}

}  // namespace medgen::ops::surveys
