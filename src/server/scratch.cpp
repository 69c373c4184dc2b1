#include "scratch.h"

#include <cerrno>
#include <filesystem>

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
  for (const auto& [file, name] : names) {
    const std::string full = s(file);  // in case a message resolved the name
    for (size_t at; (at = line.find(full)) != std::string::npos;) line.replace(at, full.size(), name);
    for (size_t at = 0; (at = line.find(file, at)) != std::string::npos; at += name.size())
      line.replace(at, file.size(), name);
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

}  // namespace medgen::server
