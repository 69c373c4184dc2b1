#include "medgen/core/progress.h"

#include <cstdio>

#include <unistd.h>

namespace medgen {

Progress::Progress(bool enabled) : enabled_(enabled) {}
Progress::~Progress() { end(); }

bool Progress::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

void Progress::begin(const std::string& task, size_t total) {
  if (!enabled_) return;
  end();
  task_ = task;
  total_ = total;
  start_ = last_ = std::chrono::steady_clock::now();
  active_ = true;
}

void Progress::update(size_t done, const std::string& detail) {
  if (!enabled_ || !active_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100) && done < total_) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  if (total_ > 0) {
    const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
    std::fprintf(stderr, "\r%s %zu/%zu %s %.0f/s ETA %.0fs\x1b[K", task_.c_str(), done, total_, detail.c_str(), rate,
                 eta);
  } else {
    std::fprintf(stderr, "\r%s %zu %s %.0f/s\x1b[K", task_.c_str(), done, detail.c_str(), rate);
  }
  std::fflush(stderr);
}

void Progress::stage(const std::string& what) {
  if (!enabled_) return;
  std::fprintf(stderr, "\r%s ...\x1b[K", what.c_str());
  std::fflush(stderr);
  active_ = true;
}

void Progress::end() {
  if (!enabled_ || !active_) return;
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
  active_ = false;
}

}  // namespace medgen
