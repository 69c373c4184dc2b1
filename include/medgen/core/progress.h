// Progress reporting for long operations: a line on stderr, rewritten in place, only when
// stderr is a terminal and the caller did not ask for quiet. Rate-limited to ~10 updates/s.
// A process started with MEDGEN_PROGRESS_FD=N (an open descriptor, e.g. a pipe from medgen
// serve's job runner) also gets one JSON line per update on descriptor N, whether or not the
// terminal line is enabled: {"task":"training ctgan","done":12,"total":300} (total 0: unknown),
// {"stage":"reading x.csv"}, at most ~4 per second and always the last step of a task.
// Thread safety: a Progress is used by one thread at a time (it keeps the current task and
// writes to stderr); Context holds a non-owning pointer to it, owned by the caller.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace medgen {

// What a listener hears (Progress(listener)): a task's start (done 0), its updates, a stage, the end.
struct ProgressEvent {
  enum class Kind { kBegin, kUpdate, kStage, kEnd };
  Kind kind = Kind::kUpdate;
  std::string task;    // kBegin/kUpdate: the task; kStage: what is being done
  size_t done = 0;     // steps done
  size_t total = 0;    // steps in all (0: unknown)
  std::string detail;  // kUpdate: the detail ("g=0.71 d=-0.12")
  double elapsed_s = 0;  // kUpdate: seconds since the task began
};

class Progress {
 public:
  // enabled=false makes every call a no-op (e.g. --quiet, or stderr not a terminal).
  explicit Progress(bool enabled);
  // Reports to `listener` instead of the terminal (the Python package draws its own bar), with the
  // same rate limit (~10 updates/s, and always a task's last step). MEDGEN_PROGRESS_FD still applies.
  explicit Progress(std::function<void(const ProgressEvent&)> listener);
  ~Progress();
  static bool stderr_is_terminal();

  // Starts a task with `total` steps (0 = unknown).
  void begin(const std::string& task, size_t total);
  // Reports `done` steps with an optional detail ("g=0.71 d=-0.12"); prints rate and ETA.
  void update(size_t done, const std::string& detail = "");
  void end();
  // A named step of unknown length ("reading x.csv"); shown until the next stage or end().
  void stage(const std::string& what);

 private:
  void json_line(const std::string& line);
  bool enabled_;
  std::function<void(const ProgressEvent&)> listener_;
  int json_fd_ = -1;  // MEDGEN_PROGRESS_FD, -1 for none
  std::chrono::steady_clock::time_point json_last_;
  bool active_ = false;
  std::string task_;
  size_t total_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace medgen
