#include "scratch.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <sodium.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "api_impl.h"
#include "medgen/core/error.h"

namespace fs = std::filesystem;

namespace medgen::server {

Scratch::Scratch(const std::string& root, const std::string& name, bool locked) : dir_(root + "/" + name) {
  std::error_code ec;
  const bool made = locked ? (fs::create_directories(dir_, ec), !ec) : fs::create_directory(dir_, ec);
  if (!made) throw IoError(dir_ + ": cannot create a scratch folder" + (ec ? " (" + ec.message() + ")" : ""));
  fs::permissions(dir_, fs::perms::owner_all, ec);
  if (!locked) return;
  lock_ = ::open((dir_ + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_ < 0) {
    fs::remove_all(dir_, ec);
    throw IoError("cannot create a job's lock file");
  }
  while (::flock(lock_, LOCK_EX) != 0 && errno == EINTR) {
  }
}

Scratch::~Scratch() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (lock_ >= 0) ::close(lock_);
}

std::string child_error(const ChildResult& r, const Scratch& s, const std::map<std::string, std::string>& names) {
  std::string tail = r.err_tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  const size_t nl = tail.rfind('\n');
  std::string line = nl == std::string::npos ? tail : tail.substr(nl + 1);
  // Longer names first: "data-dir/dataset.json" before "data-dir".
  std::vector<std::pair<std::string, std::string>> order(names.begin(), names.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [file, name] : order) {
    const std::string full = s(file);  // in case a message resolved the name
    for (size_t at; (at = line.find(full)) != std::string::npos;) line.replace(at, full.size(), name);
    // Only where the name stands on its own ("in" is not replaced inside "missing").
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
    for (size_t at = 0; (at = line.find(file, at)) != std::string::npos;) {
      const size_t end = at + file.size();
      if ((at > 0 && word(line[at - 1])) || (end < line.size() && word(line[end]))) {
        at = end;
        continue;
      }
      line.replace(at, file.size(), name);
      at += name.size();
    }
  }
  if (line.rfind("medgen: error: ", 0) == 0) line = line.substr(15);
  if (line.empty()) line = "the job's process ended with status " + std::to_string(r.exit_code);
  return line;
}

int64_t int_field(const nlohmann::json& b, const char* key, int64_t def, int64_t lo, int64_t hi, bool required) {
  if (!b.contains(key)) {
    if (required) throw ApiError{400, "bad_request", std::string(key) + ": required"};
    return def;
  }
  const nlohmann::json& v = b[key];
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    throw ApiError{400, "bad_request", std::string(key) + ": an integer from " + std::to_string(lo) + " to " +
                                           std::to_string(hi)};
  return v.get<int64_t>();
}

ChildResult run_request_child(const std::vector<std::string>& argv, const Scratch& s, std::chrono::seconds limit,
                              bool* timed_out) {
  JobControl control;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, limit, [&] { return done; })) control.cancel = true;
  });
  auto stop = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    cv.notify_one();
    watchdog.join();
  };
  ChildResult r;
  try {
    r = run_child(argv, {}, control, {}, uint64_t{16} << 20, -1, s.dir());
  } catch (...) {
    stop();
    throw;
  }
  stop();
  *timed_out = control.cancel;
  return r;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(2 * bytes + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  hex.pop_back();
  return hex;
}

}  // namespace medgen::server
