#include "medgen/nn/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>

#include "medgen/core/error.h"
#include "medgen/core/file.h"

namespace medgen::nn {

namespace {

constexpr int kStopSignals[3] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<int> g_received{0};
extern "C" void on_stop_signal(int signo) { g_received.store(signo); }

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Ends the progress line on every way out of the loop.
struct ProgressTask {
  ProgressTask(Progress* p, const std::string& task, int64_t total) : progress(p) {
    if (progress) progress->begin(task, static_cast<size_t>(total));
  }
  ~ProgressTask() {
    if (progress) progress->end();
  }
  ProgressTask(const ProgressTask&) = delete;
  ProgressTask& operator=(const ProgressTask&) = delete;
  Progress* progress;
};

}  // namespace

StopSignals::StopSignals() {
  g_received.store(0);
  // Outside the scope, temporaries are removed on these signals: make sure that handler is
  // what comes back afterwards.
  install_temp_cleanup_handlers();
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int i = 0; i < 3; ++i) {
    sigaction(kStopSignals[i], nullptr, &previous_[i]);
    if (previous_[i].sa_handler != SIG_IGN || (previous_[i].sa_flags & SA_SIGINFO)) sigaction(kStopSignals[i], &sa, nullptr);
  }
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 3; ++i) sigaction(kStopSignals[i], &previous_[i], nullptr);
}

int StopSignals::received() { return g_received.load(); }

Trainer::Trainer(TrainLoop loop) : loop_(std::move(loop)) {
  MEDGEN_ASSERT(loop_.record_every > 0 && loop_.first >= 0 && loop_.history.is_array());
}

void Trainer::stop_point(int64_t unit) const {
  const int signo = StopSignals::received();
  if (signo == 0) return;
  std::string what = "interrupted at " + loop_.unit + " " + std::to_string(unit + 1);
  if (loop_.checkpoint) {
    loop_.checkpoint(unit, loop_.history);
    what += "; checkpoint saved to " + loop_.checkpoint_path + " (continue with --resume)";
  }
  throw Interrupted(what, signo);
}

void Trainer::run(const std::function<Losses(int64_t unit, bool record)>& step) {
  StopSignals signals;
  ProgressTask progress(loop_.progress, loop_.task, loop_.total);
  const Clock::time_point start = Clock::now();
  const bool checkpoints = loop_.checkpoint && loop_.checkpoint_every > 0;
  for (int64_t unit = loop_.first; unit < loop_.total; ++unit) {
    stop_point(unit);
    const Clock::time_point unit_start = Clock::now();
    const bool record = unit % loop_.record_every == 0 || unit + 1 == loop_.total;
    const Losses losses = step(unit, record);
    if (!record) continue;
    for (const auto& [name, value] : losses)
      if (!std::isfinite(value))
        throw Error("training diverged: non-finite loss at " + loop_.unit + " " + std::to_string(unit + 1) + " (" +
                    name + " " + std::to_string(value) + ")" +
                    (checkpoints ? "; the last good checkpoint is " + loop_.checkpoint_path + " (lower --lr, then --resume)"
                                 : std::string("; lower --lr")));
    nlohmann::json row = nlohmann::json::object();
    row[loop_.unit] = unit + 1;
    for (const auto& [name, value] : losses) row[name] = value;
    if (loop_.timed_history) row["seconds"] = seconds_since(start);
    loop_.history.push_back(std::move(row));
    if (progress.progress)
      progress.progress->update(static_cast<size_t>(unit + 1), loop_.detail ? loop_.detail(losses, seconds_since(unit_start)) : "");
    if (checkpoints && (unit + 1) % loop_.checkpoint_every == 0) loop_.checkpoint(unit + 1, loop_.history);
  }
  seconds_ = seconds_since(start);
}

}  // namespace medgen::nn
