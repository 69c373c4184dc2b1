#include "medgen/core/progress.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace medgen {

Progress::Progress(std::function<void(const ProgressEvent&)> listener)
    : Progress(static_cast<bool>(listener)) {
  listener_ = std::move(listener);
}

Progress::Progress(bool enabled) : enabled_(enabled) {
  if (const char* fd = std::getenv("MEDGEN_PROGRESS_FD")) {
    char* end = nullptr;
    const long n = std::strtol(fd, &end, 10);
    if (end != fd && *end == '\0' && n > 2 && n < 1024 && fcntl(static_cast<int>(n), F_GETFD) != -1)
      json_fd_ = static_cast<int>(n);
  }
}

// One write per line, so a reader of a pipe sees whole lines; a reader that went away
// (EPIPE, with SIGPIPE ignored by the job runner's child setup) just stops the lines.
void Progress::json_line(const std::string& line) {
  const std::string out = line + "\n";
  size_t off = 0;
  while (off < out.size()) {
    const ssize_t w = ::write(json_fd_, out.data() + off, out.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      json_fd_ = -1;
      return;
    }
    off += static_cast<size_t>(w);
  }
}
Progress::~Progress() { end(); }

bool Progress::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

void Progress::begin(const std::string& task, size_t total) {
  if (json_fd_ >= 0) {
    json_line(nlohmann::json{{"task", task}, {"done", 0}, {"total", total}}.dump());
    json_last_ = std::chrono::steady_clock::now();
    task_ = task;
    total_ = total;
  }
  if (!enabled_) return;
  end();
  task_ = task;
  total_ = total;
  start_ = last_ = std::chrono::steady_clock::now();
  active_ = true;
  if (listener_) listener_({ProgressEvent::Kind::kBegin, task_, 0, total_, "", 0.0});
}

void Progress::update(size_t done, const std::string& detail) {
  const auto now = std::chrono::steady_clock::now();
  if (json_fd_ >= 0 && (now - json_last_ >= std::chrono::milliseconds(250) || done >= total_)) {
    json_last_ = now;
    nlohmann::json line{{"task", task_}, {"done", done}, {"total", total_}};
    if (!detail.empty()) line["detail"] = detail;
    json_line(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  if (!enabled_ || !active_) return;
  if (now - last_ < std::chrono::milliseconds(100) && done < total_) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (listener_) {
    listener_({ProgressEvent::Kind::kUpdate, task_, done, total_, detail, elapsed});
    return;
  }
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
  if (json_fd_ >= 0) json_line(nlohmann::json{{"stage", what}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!enabled_) return;
  active_ = true;
  if (listener_) {
    listener_({ProgressEvent::Kind::kStage, what, 0, 0, "", 0.0});
    return;
  }
  std::fprintf(stderr, "\r%s ...\x1b[K", what.c_str());
  std::fflush(stderr);
  active_ = true;
}

void Progress::end() {
  if (!enabled_ || !active_) return;
  active_ = false;
  if (listener_) {
    listener_({ProgressEvent::Kind::kEnd, task_, 0, total_, "", 0.0});
    return;
  }
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
  active_ = false;
}

}  // namespace medgen
