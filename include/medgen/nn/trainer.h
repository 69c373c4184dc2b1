// One training loop for the neural models (ctgan, tvae and the image models): the loop over
// epochs or steps, the progress line, the loss history, divergence checks, checkpoints and
// the stop signals. Each model supplies its step (one epoch or one optimiser step) and, when it
// has checkpoints, a function that writes one. Free of torch headers.
//
// Not thread-safe: the stop-signal state is process-wide, so one loop runs at a time.
#pragma once

#include <csignal>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/interrupted.h"
#include "medgen/core/progress.h"

namespace medgen::nn {

// SIGINT (Ctrl-C), SIGTERM or SIGHUP while the scope lives: the handler only records the
// signal (received() returns its number, 0 before); the loop acts on it at its next stop
// point. The previous handlers (core/file.h's temporary cleanup) come back afterwards; a
// signal ignored on purpose (nohup's SIGHUP) stays ignored.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  static int received();

 private:
  struct sigaction previous_[3];
};

// Named loss values of one recorded unit, in the order the history and messages show them.
using Losses = std::vector<std::pair<std::string, double>>;

struct TrainLoop {
  std::string task;              // the progress line's label ("training ctgan")
  std::string unit = "epoch";    // what one call of the step trains: the history's key and messages' word
  int64_t first = 0;             // units already trained (a resumed run starts there)
  int64_t total = 0;             // units in all
  int64_t record_every = 1;      // history row, progress update and divergence check every N units and the last
  bool timed_history = false;    // rows also get "seconds" since run() began (then the bytes depend on the machine)
  nlohmann::json history = nlohmann::json::array();  // earlier rows (a resumed run's)
  Progress* progress = nullptr;  // Context::progress; null for none
  // The progress line's detail after a recorded unit that took `seconds`; unset: none.
  std::function<std::string(const Losses& losses, double seconds)> detail;
  // Writes a checkpoint of `done` trained units with the history so far; unset: no checkpoints.
  std::function<void(int64_t done, const nlohmann::json& history)> checkpoint;
  int64_t checkpoint_every = 0;  // checkpoint after every N units; 0: only when a signal stops training
  std::string checkpoint_path;   // where `checkpoint` writes, named in messages
};

class Trainer {
 public:
  explicit Trainer(TrainLoop loop);

  // Trains units first..total-1: step(unit, record) trains one and returns its losses (it may
  // return none when `record` is false, sparing a host synchronisation). After a recorded
  // unit: every loss must be finite (else Error naming the unit and the loss), a history row
  // {unit: unit + 1, losses...} is added and the progress line updated; then a checkpoint when
  // one is due. Stop signals are watched for the whole run: see stop_point.
  void run(const std::function<Losses(int64_t unit, bool record)>& step);

  // Called before every unit, and by a step between its batches: when a stop signal has
  // arrived, writes the checkpoint (of `unit` trained units) if there is one and throws
  // Interrupted carrying the signal's number. Nothing else is written: a model that stops
  // without a checkpoint leaves no output.
  void stop_point(int64_t unit) const;

  const nlohmann::json& history() const { return loop_.history; }
  // Wall-clock seconds of the last run().
  double seconds() const { return seconds_; }

 private:
  TrainLoop loop_;
  double seconds_ = 0;
};

}  // namespace medgen::nn
