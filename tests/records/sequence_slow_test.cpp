// The gru sequence model against the independent baseline on held-out patients of pbcseq
// (data/pbcseq.csv): it must keep each lab series' persistence within a patient (lag-1
// autocorrelation) and the size of visit-to-visit changes in bilirubin.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "medgen/core/csv.h"
#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/records/sequence.h"
#include "records/pbcseq_sequences.h"

namespace medgen::records {
namespace {

using json = nlohmann::json;

using pbcseq::kLabs;

double value(const Column& c, size_t r) {
  if (c.storage == Storage::kNumber) return c.valid[r] ? std::log1p(std::max(0.0, c.values[r])) : NAN;
  return c.codes[r] < 0 ? NAN : static_cast<double>(c.codes[r]);
}

// Pooled Pearson correlation of consecutive present values of a lab within entities.
double lag1(const SequenceData& d, const std::string& lab) {
  const Column& c = d.events.column(lab);
  std::vector<double> x, y;
  for (size_t e = 0; e < d.num_entities(); ++e)
    for (size_t i = d.offsets[e] + 1; i < d.offsets[e + 1]; ++i) {
      const double a = value(c, i - 1), b = value(c, i);
      if (!std::isnan(a) && !std::isnan(b)) {
        x.push_back(a);
        y.push_back(b);
      }
    }
  const double n = static_cast<double>(x.size());
  if (n < 3) return 0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
}

// Changes of log(bili) between consecutive visits, sorted.
std::vector<double> bili_changes(const SequenceData& d) {
  const Column& c = d.events.column("bili");
  std::vector<double> out;
  for (size_t e = 0; e < d.num_entities(); ++e)
    for (size_t i = d.offsets[e] + 1; i < d.offsets[e + 1]; ++i)
      if (c.valid[i] && c.valid[i - 1] && c.values[i] > 0 && c.values[i - 1] > 0)
        out.push_back(std::log(c.values[i]) - std::log(c.values[i - 1]));
  std::sort(out.begin(), out.end());
  return out;
}

// log(1 + gap) of every event after the first, sorted.
std::vector<double> log_gaps(const SequenceData& d) {
  std::vector<double> out;
  for (size_t e = 0; e < d.num_entities(); ++e)
    for (size_t i = d.offsets[e] + 1; i < d.offsets[e + 1]; ++i) out.push_back(std::log1p(d.time[i] - d.time[i - 1]));
  std::sort(out.begin(), out.end());
  return out;
}

// Wasserstein-1 distance of two sorted samples (on a common quantile grid).
double wasserstein(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return INFINITY;
  const int q = 200;
  double s = 0;
  for (int k = 0; k < q; ++k) {
    const double u = (k + 0.5) / q;
    s += std::fabs(a[static_cast<size_t>(u * a.size())] - b[static_cast<size_t>(u * b.size())]);
  }
  return s / q;
}

struct Scores {
  double lag1_error = 0;
  double change_w1 = 0;
  double gap_w1 = 0;  // reported, not asserted: the baseline draws gaps from their pooled distribution
};

Scores score(const SequenceData& real, const SequenceData& syn) {
  Scores s;
  for (const std::string& lab : kLabs) s.lag1_error += std::fabs(lag1(real, lab) - lag1(syn, lab)) / kLabs.size();
  s.change_w1 = wasserstein(bili_changes(real), bili_changes(syn));
  s.gap_w1 = wasserstein(log_gaps(real), log_gaps(syn));
  return s;
}

TEST(SequenceSlow, GruBeatsIndependentOnHeldOutPbcseq) {
  const RawTable raw = read_csv(std::string(MEDGEN_SOURCE_DIR) + "/data/pbcseq.csv");
  const Schema schema = infer_schema(raw);
  const Table table = to_table(raw, schema);
  std::vector<std::string> ids = pbcseq::patients(table);
  ASSERT_EQ(ids.size(), 312u);
  Rng rng(2024);
  for (size_t i = ids.size() - 1; i > 0; --i) std::swap(ids[i], ids[rng.below(i + 1)]);
  const size_t cut = ids.size() * 4 / 5;
  const SequenceData train = pbcseq::build(table, schema, std::vector<std::string>(ids.begin(), ids.begin() + cut));
  const SequenceData test = pbcseq::build(table, schema, std::vector<std::string>(ids.begin() + cut, ids.end()));
  std::vector<size_t> lengths;
  for (size_t e = 0; e < test.num_entities(); ++e) lengths.push_back(test.offsets[e + 1] - test.offsets[e]);

  std::map<std::string, Scores> got;
  for (const std::string& name : {"independent", "gru"}) {
    auto model = create_sequence_model(name);
    Context ctx;
    ctx.seed = 11;
    const auto t0 = std::chrono::steady_clock::now();
    model->fit(train, ctx);
    const double fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Average the scores over a few draws of the held-out patients.
    Scores s;
    const int draws = 5;
    for (int k = 0; k < draws; ++k) {
      ctx.seed = 100 + k;
      const SequenceData syn = model->sample(test.context, lengths, test.end, ctx);
      syn.check();
      const Scores one = score(test, syn);
      s.lag1_error += one.lag1_error / draws;
      s.change_w1 += one.change_w1 / draws;
      s.gap_w1 += one.gap_w1 / draws;
    }
    got[name] = s;
    if (name == "gru") {  // per lab, one draw: real vs synthetic lag-1 autocorrelation
      ctx.seed = 100;
      const SequenceData syn = model->sample(test.context, lengths, test.end, ctx);
      for (const std::string& lab : kLabs) std::printf("  %s real %.3f gru %.3f\n", lab.c_str(), lag1(test, lab), lag1(syn, lab));
    }
    std::printf("{\"model\": \"%s\", \"fit_seconds\": %.2f, \"lag1_error\": %.4f, \"bili_change_w1\": %.4f, \"log_gap_w1\": %.4f}\n",
                name.c_str(), fit_s, s.lag1_error, s.change_w1, s.gap_w1);
  }
  EXPECT_LT(got["gru"].lag1_error, got["independent"].lag1_error);
  EXPECT_LT(got["gru"].change_w1, got["independent"].change_w1);
}

}  // namespace
}  // namespace medgen::records
