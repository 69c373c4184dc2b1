// What the API's job and request handlers share around a child process of the medgen program:
// a private scratch folder, the child's error line in the user's terms, and integer fields of a
// request body. Not a public header.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/server/jobs.h"

namespace medgen::server {

// A private scratch folder (mode 700), removed with everything in it. A job's folder (locked)
// is named by the job and may be left from an earlier attempt; its lock file is held by the
// job's child too (run_child's held_fd), so that a job restarted after the server died waits
// here until the old child has written its checkpoint and gone. A request's folder (not
// locked) must be new.
class Scratch {
 public:
  Scratch(const std::string& root, const std::string& name, bool locked);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  int lock_fd() const { return lock_; }
  std::string operator()(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int lock_ = -1;
};

// The child's last "medgen: error: ..." line, with the scratch files it names (children run in
// the scratch folder on relative names) replaced by what they hold (`names`: file -> the
// dataset's or upload's name), never a server path.
std::string child_error(const ChildResult& r, const Scratch& s, const std::map<std::string, std::string>& names);

// Reading an upload or drawing a preview runs while the client waits.
constexpr std::chrono::seconds kRequestChildLimit{120};

// run_child for a request: the client is waiting, so the child is stopped (SIGTERM) after
// `limit`; timed_out tells.
ChildResult run_request_child(const std::vector<std::string>& argv, const Scratch& s, std::chrono::seconds limit,
                              bool* timed_out);

// `bytes` random bytes as lower-case hex (names of scratch folders and uploads).
std::string random_hex(size_t bytes);

// A job child's progress lines (core/progress.h JSON) as the job's progress and message:
// "training ctgan 12/300 · G 0.713 D -0.120 5120 rows/s".
std::function<void(const nlohmann::json&)> job_progress(JobControl& control);

// An integer field of a request body within [lo, hi]; `def` when absent and not required.
// ApiError 400 naming the field otherwise.
int64_t int_field(const nlohmann::json& b, const char* key, int64_t def, int64_t lo, int64_t hi, bool required = false);

}  // namespace medgen::server
