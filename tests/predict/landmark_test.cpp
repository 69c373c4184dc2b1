// Features from a record (landmark.h): visit summaries by hand on a small record, the landmark's
// exclusions and clock, and the bad inputs the issue names (unknown id or time column, absurd
// window) refused with the file and the column.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/predict/landmark.h"
#include "medgen/tabular/pipeline.h"

using namespace medgen;
using namespace medgen::predict;

namespace {

tabular::Dataset csv(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return tabular::load_dataset(path, "");
}

struct Fixture {
  tabular::Dataset base = csv("lm_base.csv",
                              "id,time,status,age\n"
                              "1,100,1,50\n"    // event before the landmark: left out
                              "2,500,0,60\n"
                              "3,800,1,70\n"
                              "4,300,1,40\n");  // no visit: left out
  tabular::Dataset visits = csv("lm_visits.csv",
                                "id,day,bili\n"
                                "2,0,1.0\n2,100,2.0\n2,300,9.0\n"
                                "3,200,3.0\n3,0,5.0\n3,150,\n"
                                "1,0,4.0\n");
  OutcomeSpec outcome() const {
    OutcomeSpec o;
    o.time = "time";
    o.event = "status";
    return o;
  }
  LandmarkOptions options() const {
    LandmarkOptions l;
    l.id = "id";
    l.time = "day";
    l.window = 200;
    l.columns = {"bili"};
    l.summaries = {"last", "mean", "slope", "count"};
    l.slope_per = 365.25;
    return l;
  }
  LandmarkTable run(const LandmarkOptions& l) const {
    return landmark_table(base.table, base.schema, "base.csv", visits.table, visits.schema, "visits.csv", outcome(), l);
  }
};

double at(const LandmarkTable& t, const std::string& col, size_t row) {
  const Column& c = t.table.column(col);
  return c.valid[row] ? c.values[row] : NAN;
}

}  // namespace

TEST(Landmark, SummariesExclusionsAndClock) {
  Fixture f;
  const LandmarkTable t = f.run(f.options());
  ASSERT_EQ(t.table.num_rows(), 2u);
  EXPECT_EQ(t.report["left_out_event_or_censored_by_landmark"], 1);
  EXPECT_EQ(t.report["left_out_no_visit_in_window"], 1);
  EXPECT_EQ(t.added, (std::vector<std::string>{"bili_last", "bili_mean", "bili_slope", "visit_count"}));
  // Patient 2: visits at 0 and 100 (300 is after the landmark).
  EXPECT_EQ(at(t, "time", 0), 300);
  EXPECT_EQ(at(t, "bili_last", 0), 2.0);
  EXPECT_EQ(at(t, "bili_mean", 0), 1.5);
  EXPECT_NEAR(at(t, "bili_slope", 0), 0.01 * 365.25, 1e-12);
  EXPECT_EQ(at(t, "visit_count", 0), 2);
  // Patient 3: visits out of order in the file, one without bilirubin.
  EXPECT_EQ(at(t, "time", 1), 600);
  EXPECT_EQ(at(t, "bili_last", 1), 3.0);
  EXPECT_EQ(at(t, "bili_mean", 1), 4.0);
  EXPECT_NEAR(at(t, "bili_slope", 1), -0.01 * 365.25, 1e-12);
  EXPECT_EQ(at(t, "visit_count", 1), 3);
}

TEST(Landmark, OneVisitHasNoSlope) {
  Fixture f;
  LandmarkOptions l = f.options();
  l.window = 50;
  const LandmarkTable t = f.run(l);
  ASSERT_EQ(t.table.num_rows(), 3u);  // patient 1 (event at 100) is at risk at 50 now
  for (size_t r = 0; r < 3; ++r) EXPECT_TRUE(std::isnan(at(t, "bili_slope", r)));
  EXPECT_EQ(at(t, "bili_last", 0), 4.0);
  EXPECT_EQ(at(t, "bili_last", 1), 1.0);
  EXPECT_EQ(at(t, "time", 0), 50);
}

TEST(Landmark, BadInputsNameTheFileAndColumn) {
  Fixture f;
  auto message = [&](const LandmarkOptions& l) {
    try {
      f.run(l);
    } catch (const InvalidInput& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  LandmarkOptions l = f.options();
  l.id = "patient";
  EXPECT_NE(message(l).find("base.csv: no column 'patient' (--id)"), std::string::npos) << message(l);
  l = f.options();
  l.time = "visit_day";
  EXPECT_NE(message(l).find("visits.csv: no column 'visit_day' (--visit-time)"), std::string::npos) << message(l);
  l = f.options();
  l.columns = {"albumin"};
  EXPECT_NE(message(l).find("visits.csv: no column 'albumin'"), std::string::npos);
  l = f.options();
  l.window = 5000;
  EXPECT_NE(message(l).find("beyond every patient's follow-up"), std::string::npos) << message(l);
  l = f.options();
  l.window = -1;
  EXPECT_NE(message(l).find("--window must be > 0"), std::string::npos);
  l = f.options();
  l.summaries = {"median"};
  EXPECT_NE(message(l).find("unknown summary 'median'"), std::string::npos);
}
