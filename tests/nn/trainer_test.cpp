// The shared training loop (nn/trainer.h) with stand-in steps: the history it records, the
// units it runs on resume, divergence, checkpoints, progress, and a stop signal.
#include "medgen/nn/trainer.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using medgen::Error;
using medgen::Interrupted;
using medgen::Progress;
using medgen::nn::Losses;
using medgen::nn::StopSignals;
using medgen::nn::Trainer;
using medgen::nn::TrainLoop;
using json = nlohmann::json;

namespace {

TrainLoop loop_of(int64_t total) {
  TrainLoop loop;
  loop.task = "test";
  loop.total = total;
  return loop;
}

// Checkpoints written through TrainLoop::checkpoint: (units done, history rows then).
struct Checkpoints {
  std::vector<std::pair<int64_t, size_t>> written;
  void attach(TrainLoop* loop, int64_t every) {
    loop->checkpoint = [this](int64_t done, const json& history) { written.emplace_back(done, history.size()); };
    loop->checkpoint_every = every;
    loop->checkpoint_path = "run.ckpt";
  }
};

// SIGTERM at its default disposition for the test's length (a runner may have changed it).
struct DefaultSigterm {
  struct sigaction saved;
  DefaultSigterm() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &sa, &saved);
  }
  ~DefaultSigterm() { sigaction(SIGTERM, &saved, nullptr); }
};

}  // namespace

TEST(Trainer, RecordsOneHistoryRowPerEpochAndUpdatesProgress) {
  TrainLoop loop = loop_of(4);
  Progress progress(false);  // disabled: prints nothing, but the trainer still asks for details
  loop.progress = &progress;
  std::vector<double> detail_seconds;
  loop.detail = [&](const Losses& l, double seconds) {
    detail_seconds.push_back(seconds);
    return "a=" + std::to_string(l[0].second);
  };
  Trainer t(loop);
  std::vector<int64_t> ran;
  t.run([&](int64_t unit, bool record) -> Losses {
    EXPECT_TRUE(record);
    ran.push_back(unit);
    return {{"a", 0.5 * static_cast<double>(unit)}, {"b", -1.0}};
  });
  EXPECT_EQ(ran, (std::vector<int64_t>{0, 1, 2, 3}));
  ASSERT_EQ(t.history().size(), 4u);
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(t.history()[k], (json{{"epoch", k + 1}, {"a", 0.5 * k}, {"b", -1.0}})) << t.history()[k].dump();
  }
  EXPECT_EQ(detail_seconds.size(), 4u);
  for (double s : detail_seconds) EXPECT_GE(s, 0.0);
  EXPECT_GE(t.seconds(), 0.0);
}

TEST(Trainer, RecordsEveryNthStepAndTheLastWithTimes) {
  TrainLoop loop = loop_of(8);
  loop.unit = "step";
  loop.record_every = 3;
  loop.timed_history = true;
  Trainer t(loop);
  std::vector<int64_t> recorded;
  t.run([&](int64_t unit, bool record) -> Losses {
    if (!record) return {};
    recorded.push_back(unit);
    return {{"mse", 1.0 / static_cast<double>(unit + 1)}};
  });
  EXPECT_EQ(recorded, (std::vector<int64_t>{0, 3, 6, 7}));
  ASSERT_EQ(t.history().size(), 4u);
  double last = 0;
  for (size_t i = 0; i < 4; ++i) {
    const json& row = t.history()[i];
    EXPECT_EQ(row.at("step").get<int64_t>(), recorded[i] + 1);
    EXPECT_DOUBLE_EQ(row.at("mse").get<double>(), 1.0 / static_cast<double>(recorded[i] + 1));
    const double s = row.at("seconds").get<double>();
    EXPECT_GE(s, last);
    last = s;
  }
}

TEST(Trainer, ResumedRunStartsAtItsEpochAndKeepsTheEarlierHistory) {
  TrainLoop loop = loop_of(5);
  loop.first = 2;
  loop.history = json::array({json{{"epoch", 1}, {"a", 9.0}}, json{{"epoch", 2}, {"a", 8.0}}});
  Trainer t(loop);
  std::vector<int64_t> ran;
  t.run([&](int64_t unit, bool) -> Losses {
    ran.push_back(unit);
    return {{"a", 1.0}};
  });
  EXPECT_EQ(ran, (std::vector<int64_t>{2, 3, 4}));
  ASSERT_EQ(t.history().size(), 5u);
  EXPECT_EQ(t.history()[1].at("a").get<double>(), 8.0);
  EXPECT_EQ(t.history()[4].at("epoch").get<int64_t>(), 5);
}

TEST(Trainer, WritesACheckpointEveryNEpochs) {
  TrainLoop loop = loop_of(5);
  Checkpoints ck;
  ck.attach(&loop, 2);
  Trainer t(loop);
  t.run([&](int64_t, bool) -> Losses { return {{"a", 1.0}}; });
  EXPECT_EQ(ck.written, (std::vector<std::pair<int64_t, size_t>>{{2, 2}, {4, 4}}));
}

TEST(Trainer, NonFiniteLossIsAnErrorNamingTheEpochAndTheLoss) {
  for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    TrainLoop loop = loop_of(10);
    Checkpoints ck;
    ck.attach(&loop, 1);
    Trainer t(loop);
    std::vector<int64_t> ran;
    try {
      t.run([&](int64_t unit, bool) -> Losses {
        ran.push_back(unit);
        return {{"generator", 0.1}, {"discriminator", unit == 2 ? bad : 0.2}};
      });
      ADD_FAILURE() << "no error for a non-finite loss";
    } catch (const Interrupted&) {
      ADD_FAILURE() << "Interrupted instead of a divergence error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("training diverged: non-finite loss at epoch 3"), std::string::npos) << what;
      EXPECT_NE(what.find("discriminator"), std::string::npos) << what;
      EXPECT_NE(what.find("the last good checkpoint is run.ckpt"), std::string::npos) << what;
    }
    EXPECT_EQ(ran, (std::vector<int64_t>{0, 1, 2})) << "training stops at the diverged epoch";
    // Only the good epochs were recorded and checkpointed.
    EXPECT_EQ(ck.written, (std::vector<std::pair<int64_t, size_t>>{{1, 1}, {2, 2}}));
    EXPECT_EQ(t.history().size(), 2u);
  }
}

TEST(Trainer, DivergenceWithoutCheckpointsAdvisesALowerRate) {
  TrainLoop loop = loop_of(3);
  loop.unit = "step";
  Trainer t(loop);
  try {
    t.run([&](int64_t, bool) -> Losses { return {{"mse", std::numeric_limits<double>::quiet_NaN()}}; });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("non-finite loss at step 1 (mse"), std::string::npos) << what;
    EXPECT_NE(what.find("lower --lr"), std::string::npos) << what;
    EXPECT_EQ(what.find("checkpoint"), std::string::npos) << what;
  }
}

TEST(Trainer, StopSignalInsideAnEpochWritesACheckpointAndThrowsInterrupted) {
  DefaultSigterm sigterm;
  TrainLoop loop = loop_of(100);
  Checkpoints ck;
  ck.attach(&loop, 0);
  Trainer t(loop);
  struct sigaction during;
  std::vector<int64_t> batches_run;
  try {
    t.run([&](int64_t epoch, bool) -> Losses {
      for (int batch = 0; batch < 4; ++batch) {
        t.stop_point(epoch);
        batches_run.push_back(epoch * 10 + batch);
        if (epoch == 2 && batch == 1) {
          sigaction(SIGTERM, nullptr, &during);
          std::raise(SIGTERM);  // recorded by the trainer's handler, acted on at the next stop point
          EXPECT_EQ(StopSignals::received(), SIGTERM);
        }
      }
      return {{"loss", 1.0}};
    });
    ADD_FAILURE() << "no Interrupted";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signo(), SIGTERM);
    const std::string what = e.what();
    EXPECT_NE(what.find("interrupted at epoch 3; checkpoint saved to run.ckpt"), std::string::npos) << what;
  }
  EXPECT_EQ(batches_run.back(), 21) << "the loop stopped at the first stop point after the signal";
  // The checkpoint holds the two finished epochs and their history.
  EXPECT_EQ(ck.written, (std::vector<std::pair<int64_t, size_t>>{{2, 2}}));
  EXPECT_EQ(t.history().size(), 2u);
  // Outside the run, the trainer's handler is gone again.
  struct sigaction after;
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_NE(after.sa_handler, during.sa_handler);
}

TEST(Trainer, StopSignalWithoutCheckpointsStopsBeforeTheNextStepWithNothingWritten) {
  DefaultSigterm sigterm;
  TrainLoop loop = loop_of(50);
  loop.unit = "step";
  Trainer t(loop);
  int64_t last = -1;
  try {
    t.run([&](int64_t unit, bool) -> Losses {
      last = unit;
      if (unit == 4) std::raise(SIGTERM);
      return {{"mse", 0.1}};
    });
    ADD_FAILURE() << "no Interrupted";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signo(), SIGTERM);
    EXPECT_EQ(std::string(e.what()), "interrupted at step 6");
  }
  EXPECT_EQ(last, 4);
}
