#include "medgen/records/sequence.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"

namespace medgen::records {
namespace {

using json = nlohmann::json;

// Entities with an age and a sex; events with a skewed positive lab that drifts upwards along
// each entity's own level, a sometimes-missing score, and a grade; irregular gaps; an end after
// the last event for most entities, none for some.
SequenceData toy(size_t entities, uint64_t seed) {
  Rng rng(seed);
  SequenceData d;
  ColumnSchema age{"age"}, sex{"sex", ColumnType::kCategorical};
  sex.values = {"f", "m"};
  d.context_schema.columns = {age, sex};
  Column a = Column::numbers("age", entities), s = Column::strings("sex", entities, {"f", "m"});
  ColumnSchema lab{"lab"}, score{"score"}, grade{"grade", ColumnType::kCategorical};
  lab.min = 0.1, lab.max = 50, lab.decimals = 1;
  score.integer = true, score.min = 0, score.max = 10;
  grade.values = {"a", "b", "c"};
  d.event_schema.columns = {lab, score, grade};
  Column l = Column::numbers("lab", 0), sc = Column::numbers("score", 0), g = Column::strings("grade", 0, {"a", "b", "c"});
  d.offsets.push_back(0);
  for (size_t e = 0; e < entities; ++e) {
    a.values[e] = 40 + 20 * rng.uniform();
    a.valid[e] = e % 11 != 3;
    s.codes[e] = static_cast<int32_t>(rng.below(2));
    const size_t n = 1 + rng.below(7);
    const double level = std::exp(rng.normal() * 0.7);
    double t = 0;
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) t += std::round(30 + 300 * rng.uniform());
      d.time.push_back(t);
      const double v = std::clamp(std::round(10 * level * std::exp(0.1 * i + 0.2 * rng.normal())) / 10, 0.1, 50.0);
      l.values.push_back(v);
      l.valid.push_back(1);
      sc.values.push_back(std::round(rng.uniform() * 10));
      sc.valid.push_back(rng.uniform() < 0.8);
      g.codes.push_back(rng.uniform() < 0.1 ? -1 : static_cast<int32_t>(std::min<size_t>(2, i / 2)));
    }
    d.offsets.push_back(d.time.size());
    d.end.push_back(e % 5 == 0 ? NAN : t + std::round(400 * rng.uniform()));
  }
  d.context.columns = {a, s};
  d.events.columns = {l, sc, g};
  return d;
}

// learned: the model ends the sequences of entities with an end itself (at least one event
// where the given length is positive, none where it is 0).
void expect_valid(const SequenceData& out, const std::vector<size_t>& lengths, const std::vector<double>& end,
                  bool learned = false) {
  ASSERT_EQ(out.num_entities(), lengths.size());
  out.check();
  for (size_t e = 0; e < lengths.size(); ++e) {
    const size_t n = out.offsets[e + 1] - out.offsets[e];
    if (learned && !std::isnan(end[e]))
      ASSERT_TRUE(lengths[e] == 0 ? n == 0 : n >= 1) << "entity " << e << ": " << n << " events";
    else
      ASSERT_EQ(n, lengths[e]);
    for (size_t i = out.offsets[e]; i < out.offsets[e + 1]; ++i) {
      EXPECT_GE(out.time[i], 0);
      if (i > out.offsets[e]) EXPECT_GE(out.time[i], out.time[i - 1]);
      if (!std::isnan(end[e])) EXPECT_LE(out.time[i], end[e]);
    }
  }
  const Column& lab = out.events.column("lab");
  const Column& score = out.events.column("score");
  const Column& grade = out.events.column("grade");
  ASSERT_EQ(lab.size(), out.time.size());
  size_t present = 0;
  for (size_t r = 0; r < lab.size(); ++r) {
    if (lab.valid[r]) {
      ++present;
      EXPECT_GE(lab.values[r], 0.1);
      EXPECT_LE(lab.values[r], 50);
      EXPECT_DOUBLE_EQ(lab.values[r], std::round(lab.values[r] * 10) / 10);
    }
    if (score.valid[r]) {
      EXPECT_GE(score.values[r], 0);
      EXPECT_LE(score.values[r], 10);
      EXPECT_EQ(score.values[r], std::round(score.values[r]));
    }
    EXPECT_LT(grade.codes[r], 3);
  }
  EXPECT_GT(present, lab.size() / 2);
}

std::string digest(const SequenceData& d) {
  std::string s;
  for (double t : d.time) s += std::to_string(t) + ",";
  for (const Column& c : d.events.columns)
    for (size_t r = 0; r < c.size(); ++r)
      s += c.storage == Storage::kNumber ? (c.valid[r] ? std::to_string(c.values[r]) : "NA") : std::to_string(c.codes[r]);
  return s;
}

TEST(SequenceData, CheckCatchesBadParts) {
  SequenceData d = toy(10, 1);
  EXPECT_NO_THROW(d.check());
  SequenceData bad = d;
  bad.offsets[3] = bad.offsets[2] - 1;
  EXPECT_THROW(bad.check(), InvalidInput);
  bad = d;
  bad.offsets.back() += 1;
  EXPECT_THROW(bad.check(), InvalidInput);
  bad = d;
  bad.offsets.clear();
  EXPECT_THROW(bad.check(), InvalidInput);
  bad = d;
  bad.time[0] = -1;
  EXPECT_THROW(bad.check(), InvalidInput);
  bad = d;
  for (size_t e = 0; e < 10; ++e)
    if (bad.offsets[e + 1] - bad.offsets[e] >= 2) {
      bad.time[bad.offsets[e] + 1] = bad.time[bad.offsets[e]] - 1;
      break;
    }
  EXPECT_THROW(bad.check(), InvalidInput);
  bad = d;
  bad.end[1] = bad.time[bad.offsets[2] - 1] - 1;
  EXPECT_THROW(bad.check(), InvalidInput);
  bad = d;
  bad.end.pop_back();
  EXPECT_THROW(bad.check(), InvalidInput);
  bad = d;
  bad.events.columns[0].values.pop_back();
  bad.events.columns[0].valid.pop_back();
  EXPECT_THROW(bad.check(), InvalidInput);
}

TEST(SequenceModel, UnknownNamesAndParams) {
  EXPECT_THROW(create_sequence_model("lstm"), InvalidInput);
  EXPECT_THROW(create_sequence_model("independent", json{{"nope", 1}}), InvalidInput);
  EXPECT_THROW(create_sequence_model("gru", json{{"nope", 1}}), InvalidInput);
  EXPECT_THROW(create_sequence_model("gru", json{{"epochs", 0}}), InvalidInput);
}

class Models : public ::testing::TestWithParam<std::string> {};

TEST_P(Models, LengthsTimesRangesRoundTripAndSeeds) {
  const SequenceData data = toy(80, 7);
  const json params = GetParam() == "gru" ? json{{"epochs", 5}, {"hidden", 16}} : json::object();
  auto model = create_sequence_model(GetParam(), params);
  Context ctx;
  ctx.seed = 3;
  model->fit(data, ctx);
  // Ask for other lengths and ends than the data's, some tight, one zero-length entity.
  std::vector<size_t> lengths;
  std::vector<double> end;
  for (size_t e = 0; e < 80; ++e) {
    lengths.push_back(e == 4 ? 0 : (e * 7) % 12);
    end.push_back(e % 3 == 0 ? NAN : (e % 3 == 1 ? 5.0 : 2000.0));
  }
  const SequenceData a = model->sample(data.context, lengths, end, ctx);
  expect_valid(a, lengths, end, model->learns_lengths());
  EXPECT_EQ(model->learns_lengths(), GetParam() == "gru");
  EXPECT_EQ(digest(a), digest(model->sample(data.context, lengths, end, ctx)));
  Context other = ctx;
  other.seed = 4;
  EXPECT_NE(digest(a), digest(model->sample(data.context, lengths, end, other)));

  json state;
  std::string payload;
  model->save_state(&state, &payload);
  auto loaded = create_sequence_model(GetParam(), params);
  loaded->load_state(json::parse(state.dump()), payload);
  EXPECT_EQ(digest(a), digest(loaded->sample(data.context, lengths, end, ctx)));

  // Fitting again from the same seed learns the same model.
  auto again = create_sequence_model(GetParam(), params);
  again->fit(data, ctx);
  EXPECT_EQ(digest(a), digest(again->sample(data.context, lengths, end, ctx)));

  // A damaged state is a ModelFormat error, never a crash.
  json broken = state;
  if (GetParam() == "gru") {
    broken["value_features"][0]["sd"] = -1;
    EXPECT_THROW(loaded->load_state(broken, payload), ModelFormat);
    EXPECT_THROW(loaded->load_state(state, payload.substr(0, payload.size() / 2)), ModelFormat);
    broken = state;
    broken["params"]["hidden"] = 17;
    EXPECT_THROW(loaded->load_state(broken, payload), ModelFormat);
    broken["params"]["hidden"] = 4096;  // refused before allocating gigabytes of weights
    EXPECT_THROW(loaded->load_state(broken, payload), ModelFormat);
  } else {
    broken["gaps"] = json::array({-1.0});
    EXPECT_THROW(loaded->load_state(broken, payload), ModelFormat);
  }
  broken = state;
  broken.erase("event_schema");
  EXPECT_THROW(loaded->load_state(broken, payload), ModelFormat);
}

INSTANTIATE_TEST_SUITE_P(SequenceModels, Models, ::testing::Values("independent", "gru"));

// Visits every 100 days (+-10) from day 0 until an end between 300 and 3,000 days: with learned
// lengths the gru ends each sequence itself, so a longer follow-up gets proportionally more
// events (about end / 100 + 1); with given lengths it writes exactly the count asked for.
TEST(Gru, LearnsHowManyEventsFitBeforeTheEnd) {
  Rng rng(5);
  SequenceData d;
  ColumnSchema age{"age"}, lab{"lab"};
  d.context_schema.columns = {age};
  d.event_schema.columns = {lab};
  const size_t entities = 160;
  Column a = Column::numbers("age", entities), l = Column::numbers("lab", 0);
  d.offsets.push_back(0);
  for (size_t e = 0; e < entities; ++e) {
    a.values[e] = 50 + 10 * rng.normal();
    a.valid[e] = 1;
    const double stop = std::round(300 + 2700 * rng.uniform());
    for (double t = 0; t <= stop; t += std::round(90 + 20 * rng.uniform())) {
      d.time.push_back(t);
      l.values.push_back(1 + rng.uniform());
      l.valid.push_back(1);
    }
    d.offsets.push_back(d.time.size());
    d.end.push_back(stop);
  }
  d.context.columns = {a};
  d.events.columns = {l};
  Context ctx;
  ctx.seed = 9;
  auto learned = create_sequence_model("gru", json{{"epochs", 40}, {"hidden", 16}});
  learned->fit(d, ctx);
  Table context;
  context.columns = {Column::numbers("age", 100)};
  for (size_t e = 0; e < 100; ++e) {
    context.columns[0].values[e] = 50;
    context.columns[0].valid[e] = 1;
  }
  auto mean_count = [&](const SequenceModel& m, double stop, size_t asked) {
    const SequenceData out = m.sample(context, std::vector<size_t>(100, asked), std::vector<double>(100, stop), ctx);
    return static_cast<double>(out.time.size()) / 100.0;
  };
  const double short_fu = mean_count(*learned, 500, 1), long_fu = mean_count(*learned, 2500, 1);
  EXPECT_GT(short_fu, 3.5);  // about 6 events in 500 days
  EXPECT_LT(short_fu, 8.5);
  EXPECT_GT(long_fu, 18);  // about 26 in 2,500 days
  EXPECT_LT(long_fu, 34);
  EXPECT_EQ(mean_count(*learned, 2500, 0), 0.0);  // no events asked: none

  auto given = create_sequence_model("gru", json{{"epochs", 2}, {"hidden", 16}, {"lengths", "given"}});
  given->fit(d, ctx);
  EXPECT_FALSE(given->learns_lengths());
  EXPECT_EQ(mean_count(*given, 2500, 3), 3.0);
  EXPECT_THROW(create_sequence_model("gru", json{{"lengths", "some"}}), InvalidInput);
}

// Two-sample Kolmogorov-Smirnov distance of the present values of a numeric event column.
double ks(const SequenceData& a, const SequenceData& b, const std::string& column) {
  auto values = [&](const SequenceData& d) {
    std::vector<double> v;
    const Column& c = d.events.column(column);
    for (size_t r = 0; r < c.size(); ++r)
      if (c.valid[r]) v.push_back(c.values[r]);
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<double> x = values(a), y = values(b);
  double d = 0;
  size_t i = 0, j = 0;
  while (i < x.size() && j < y.size()) {
    const double t = std::min(x[i], y[j]);
    while (i < x.size() && x[i] <= t) ++i;
    while (j < y.size() && y[j] <= t) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / x.size() - static_cast<double>(j) / y.size()));
  }
  return d;
}

// An undertrained gru (3 epochs) draws the grade's shares far off the data (total variation
// about 0.2); its calibration (quantile maps and shifts fitted after training) brings its
// records for the training entities back near them (about 0.02) and keeps the lab's values near. The calibration travels with the model state and a
// damaged one is refused.
TEST(Gru, CalibrationBringsAnUndertrainedModelOntoTheData) {
  const SequenceData data = toy(300, 21);
  Context ctx;
  ctx.seed = 4;
  auto raw = create_sequence_model("gru", json{{"epochs", 3}, {"hidden", 8}, {"calibration", "none"}});
  auto cal = create_sequence_model("gru", json{{"epochs", 3}, {"hidden", 8}});
  raw->fit(data, ctx);
  cal->fit(data, ctx);
  std::vector<size_t> lengths;
  for (size_t e = 0; e < data.num_entities(); ++e) lengths.push_back(data.offsets[e + 1] - data.offsets[e]);
  ctx.seed = 5;
  const SequenceData a = raw->sample(data.context, lengths, data.end, ctx);
  const SequenceData b = cal->sample(data.context, lengths, data.end, ctx);
  const double ks_raw = ks(a, data, "lab"), ks_cal = ks(b, data, "lab");
  // The lab is learned fairly well even raw (KS 0.03 here): calibrated, it must stay near the
  // data and not get worse; the grade's shares below are where raw is far off.
  EXPECT_LT(ks_cal, 0.06);
  EXPECT_LT(ks_cal, ks_raw + 0.01);
  auto grade_tv = [&](const SequenceData& d) {
    std::vector<double> p(4, 0.0), q(4, 0.0);
    const Column &x = d.events.column("grade"), &y = data.events.column("grade");
    for (int32_t c : x.codes) p[static_cast<size_t>(c + 1)] += 1.0 / static_cast<double>(x.size());
    for (int32_t c : y.codes) q[static_cast<size_t>(c + 1)] += 1.0 / static_cast<double>(y.size());
    double tv = 0;
    for (size_t k = 0; k < 4; ++k) tv += std::fabs(p[k] - q[k]) / 2;
    return tv;
  };
  EXPECT_LT(grade_tv(b), 0.08) << "raw " << grade_tv(a);  // raw: about 0.2
  EXPECT_LT(grade_tv(b), 0.5 * grade_tv(a));

  json state;
  std::string payload;
  cal->save_state(&state, &payload);
  ASSERT_TRUE(state.contains("calibration"));
  auto loaded = create_sequence_model("gru");
  loaded->load_state(json::parse(state.dump()), payload);
  EXPECT_EQ(digest(b), digest(loaded->sample(data.context, lengths, data.end, ctx)));
  const std::vector<std::function<void(json&)>> damage = {
      [](json& c) { c["cuts"] = {5.0, 1.0}; },
      [](json& c) { c["values"].erase(0); },
      [](json& c) { c["shift"][2][0] = json::array({1.0}); },
      [](json& c) { c["shift"][2][0][0] = 99.0; },
      [](json& c) { c["gaps"][1] = json{{"from", {2.0, 1.0}}, {"to", {1.0, 2.0}}}; },
      [](json& c) { c["end_adjust"][0] = {0.0, 1.5}; },
      [](json& c) { c["end_adjust"].push_back(json::array()); },
      [](json& c) { c["end_cuts"] = {3.0, 2.0}; },
      [](json& c) { c["zero_shift"] = {0.0}; },
      [](json& c) { c["zero_shift"][0] = 50.0; },
      [](json& c) { c.erase("end_adjust"); },
  };
  for (size_t k = 0; k < damage.size(); ++k) {
    json broken = state;
    damage[k](broken["calibration"]);
    EXPECT_THROW(loaded->load_state(broken, payload), ModelFormat) << "damage " << k;
  }
  // A state without calibration (a model file from before it, or "none") samples raw.
  json plain = state;
  plain.erase("calibration");
  loaded->load_state(plain, payload);
  EXPECT_NE(digest(b), digest(loaded->sample(data.context, lengths, data.end, ctx)));
}

}  // namespace
}  // namespace medgen::records
