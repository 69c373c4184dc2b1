#include "medgen/core/progress.h"

#include <gtest/gtest.h>

#include <vector>

using namespace medgen;

TEST(Progress, ListenerHearsBeginUpdatesStageAndEnd) {
  std::vector<ProgressEvent> heard;
  {
    Progress p([&](const ProgressEvent& e) { heard.push_back(e); });
    p.begin("training", 3);
    p.update(1, "loss=1");  // within 100 ms of begin: rate-limited away
    p.update(3, "loss=0.5");  // the last step always reported
    p.end();
    p.end();  // a second end is not heard
    p.stage("reading x.csv");
  }  // the destructor ends the stage
  ASSERT_EQ(heard.size(), 5u);
  EXPECT_EQ(heard[0].kind, ProgressEvent::Kind::kBegin);
  EXPECT_EQ(heard[0].task, "training");
  EXPECT_EQ(heard[0].total, 3u);
  EXPECT_EQ(heard[1].kind, ProgressEvent::Kind::kUpdate);
  EXPECT_EQ(heard[1].done, 3u);
  EXPECT_EQ(heard[1].detail, "loss=0.5");
  EXPECT_GE(heard[1].elapsed_s, 0.0);
  EXPECT_EQ(heard[2].kind, ProgressEvent::Kind::kEnd);
  EXPECT_EQ(heard[3].kind, ProgressEvent::Kind::kStage);
  EXPECT_EQ(heard[3].task, "reading x.csv");
  EXPECT_EQ(heard[4].kind, ProgressEvent::Kind::kEnd);
}
