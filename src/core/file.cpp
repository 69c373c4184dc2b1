#include "medgen/core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "medgen/core/error.h"

namespace medgen {

namespace {

[[noreturn]] void throw_io(const char* what, const std::string& path, int err) {
  throw IoError(std::string("cannot ") + what + " '" + path + "': " + std::strerror(err));
}

// ---- the signal registry -------------------------------------------------------------------
// A fixed array, so that the handler touches no allocator and no lock: a slot is claimed with
// a compare-and-swap (0 free, 1 being filled, 2 live) and its path copied in before it is
// marked live; the handler reads only live slots.

constexpr int kSlots = 64;
constexpr size_t kSlotPath = 4096;
struct Slot {
  std::atomic<int> state{0};
  char path[kSlotPath];
};
Slot g_slots[kSlots];
std::atomic<bool> g_installed{false};
// The three that end a run on purpose, and the crashes (whose default action then dumps core).
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE};

// Removes path (a file, a symlink or a folder tree) with system calls only. Trees deeper than
// 8 levels are left: temporaries are at most a folder of files.
void remove_tree_signal_safe(const char* path, int depth) {
  if (::unlink(path) == 0 || errno == ENOENT) return;
  if (::rmdir(path) == 0 || depth >= 8) return;
  const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[2048];
  char child[kSlotPath];
  const size_t plen = ::strlen(path);
  for (;;) {
    const long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
      unsigned short reclen;
      ::memcpy(&reclen, buf + off + 16, sizeof reclen);
      const char* name = buf + off + 19;
      off += reclen;
      if (::strcmp(name, ".") == 0 || ::strcmp(name, "..") == 0) continue;
      if (::unlinkat(fd, name, 0) == 0) continue;
      const size_t nlen = ::strlen(name);
      if (plen + 1 + nlen + 1 > sizeof child) continue;
      ::memcpy(child, path, plen);
      child[plen] = '/';
      ::memcpy(child + plen + 1, name, nlen + 1);
      remove_tree_signal_safe(child, depth + 1);
    }
  }
  ::close(fd);
  ::rmdir(path);
}

extern "C" void on_cleanup_signal(int signo) {
  const int saved = errno;
  for (Slot& s : g_slots) {
    if (s.state.load() == 2) remove_tree_signal_safe(s.path, 0);
  }
  // The default action once the handler returns (the signal is blocked until then), so the
  // exit status is the signal's, as if we had not caught it.
  struct sigaction sa;
  ::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  ::sigaction(signo, &sa, nullptr);
  ::raise(signo);
  errno = saved;
}

int register_temp(const std::string& path) {
  install_temp_cleanup_handlers();
  if (path.size() >= kSlotPath) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_slots[i].state.compare_exchange_strong(expected, 1)) {
      ::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
      g_slots[i].state.store(2);
      return i;
    }
  }
  return -1;  // full: the temporary is still removed on every exit but a signal
}

void unregister_temp(int& slot) noexcept {
  if (slot >= 0) g_slots[slot].state.store(0);
  slot = -1;
}

// ---- paths ---------------------------------------------------------------------------------

// "/dev/fd/N", "/proc/self/fd/N" or "/proc/<pid>/fd/N" naming one of our open descriptors: N,
// else -1. Such a link names whatever the descriptor is open on (a pipe reads "pipe:[...]"),
// so it is used as it is, never resolved by name: /dev/stdout writes to descriptor 1 and keeps
// its offset and append mode.
int inherited_fd(const std::string& p) {
  std::string rest;
  const std::string self = "/proc/" + std::to_string(static_cast<long>(::getpid())) + "/fd/";
  for (const std::string& prefix : {std::string("/dev/fd/"), std::string("/proc/self/fd/"), self}) {
    if (p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0) rest = p.substr(prefix.size());
  }
  if (rest.empty() || rest.size() > 9 || rest.find_first_not_of("0123456789") != std::string::npos) return -1;
  const int fd = std::stoi(rest);
  return ::fcntl(fd, F_GETFD) == -1 ? -1 : fd;
}

// Follows `path` while it is a symlink; a dangling link yields the file it names. *fd gets an
// inherited descriptor the chain leads to (see inherited_fd), else -1.
std::string resolve_output(const std::string& path, int* fd) {
  std::string p = path;
  for (int hops = 0;; ++hops) {
    if ((*fd = inherited_fd(p)) >= 0) return p;
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    if (hops == 40) throw_io("write", path, ELOOP);
    std::string link(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    const ssize_t n = ::readlink(p.c_str(), &link[0], link.size());
    if (n < 0) throw_io("write", path, errno);
    if (static_cast<size_t>(n) == link.size()) throw_io("write", path, ENAMETOOLONG);  // changed under us
    link.resize(static_cast<size_t>(n));
    if (!link.empty() && link[0] == '/') {
      p = link;
    } else {
      const size_t slash = p.rfind('/');
      p = (slash == std::string::npos ? std::string() : p.substr(0, slash + 1)) + link;
    }
  }
}

std::atomic<unsigned> g_counter{0};

std::string fresh_suffix() {
  return ".tmp-" + std::to_string(static_cast<long>(::getpid())) + "-" + std::to_string(g_counter.fetch_add(1));
}

std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? std::string(t) : std::string("/tmp");
}

// Creates a fresh temporary "<base>.tmp-<pid>-<n><suffix>" (O_EXCL: never an existing file or
// a planted symlink) and returns its descriptor; IoError naming `shown` when it cannot. The
// name is registered (*slot) before the file exists, so no moment has an unregistered
// temporary on disk.
int create_temp(const std::string& base, const std::string& suffix, const std::string& shown, std::string* tmp,
                int* slot) {
  for (int attempt = 0;; ++attempt) {
    *tmp = base + fresh_suffix() + suffix;
    *slot = register_temp(*tmp);
    const int fd = ::open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    const int err = errno;
    unregister_temp(*slot);
    if (err != EEXIST || attempt == 100) throw_io("write", shown, err);
  }
}

void write_all(int fd, const char* p, size_t left, const std::string& shown) {
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io("write", shown, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// A replaced regular file keeps its permission bits.
void keep_mode(const std::string& tmp, const std::string& target, const std::string& shown) {
  struct stat st;
  if (::stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  if (::chmod(tmp.c_str(), st.st_mode & 07777) != 0) throw_io("write", shown, errno);
}

}  // namespace

void install_temp_cleanup_handlers() {
  if (g_installed.exchange(true)) return;
  for (int signo : kCleanupSignals) {
    struct sigaction old;
    if (::sigaction(signo, nullptr, &old) != 0) continue;
    // SIG_IGN (nohup) and handlers installed by others are left as they are.
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_cleanup_signal;
    sigemptyset(&sa.sa_mask);
    for (int s : kCleanupSignals) sigaddset(&sa.sa_mask, s);  // one cleanup at a time
    ::sigaction(signo, &sa, nullptr);
  }
}

void remove_path_recursively(const std::string& path) noexcept {
  if (path.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

// ---- reading -------------------------------------------------------------------------------

uint64_t default_max_read_bytes(bool regular) {
  if (const char* env = std::getenv("MEDGEN_MAX_INPUT_BYTES")) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(env, &end, 10);
    if (*env >= '0' && *env <= '9' && end && *end == '\0' && errno == 0) return v;
    throw InvalidInput("MEDGEN_MAX_INPUT_BYTES='" + std::string(env) + "': not a number of bytes");
  }
  return regular ? kDefaultMaxReadBytes : kDefaultMaxStreamBytes;
}

std::string read_file(const std::string& path, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io("read", path, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_io("read", path, errno);
  // open() succeeds on a directory; read() would fail with EISDIR anyway, but say so first.
  if (S_ISDIR(st.st_mode)) throw_io("read", path, EISDIR);
  const bool regular = S_ISREG(st.st_mode);
  if (max_bytes == kDefaultReadLimit) max_bytes = default_max_read_bytes(regular);
  const std::string too_large = path + ": larger than " + std::to_string(max_bytes) + " bytes";
  if (regular && static_cast<uint64_t>(st.st_size) > max_bytes) throw IoError(too_large);
  // One byte past the bound tells "exactly max_bytes" from "more".
  const uint64_t limit = std::min<uint64_t>(max_bytes, SIZE_MAX / 2) + 1;
  auto read_some = [&](char* to, uint64_t room) -> size_t {
    for (;;) {
      const ssize_t n = ::read(fd, to, static_cast<size_t>(std::min<uint64_t>(room, 1 << 30)));
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) throw_io("read", path, errno);
    }
  };
  std::string out;
  uint64_t len = 0;
  if (regular) {
    // The size is known: one allocation and usually one read.
    out.resize(static_cast<size_t>(std::min<uint64_t>(limit, static_cast<uint64_t>(st.st_size) + 1)));
    while (len < out.size()) {
      const size_t n = read_some(&out[len], out.size() - len);
      if (n == 0) break;
      len += n;
    }
    out.resize(static_cast<size_t>(len));
    if (len <= static_cast<uint64_t>(st.st_size)) return out;  // EOF reached: the common case
  }
  // Pipes and devices (and a file that grew while read): 1 MiB chunks, joined only once the
  // end is reached within the bound, so that memory follows what was read.
  std::vector<std::string> chunks;
  for (bool eof = false; !eof && len < limit;) {
    std::string c(static_cast<size_t>(std::min<uint64_t>(limit - len, 1 << 20)), '\0');
    size_t got = 0;
    while (got < c.size()) {
      const size_t n = read_some(&c[got], c.size() - got);
      if (n == 0) {
        eof = true;
        break;
      }
      got += n;
    }
    c.resize(got);
    len += got;
    chunks.push_back(std::move(c));
  }
  if (len > max_bytes) throw IoError(too_large);
  out.reserve(static_cast<size_t>(len));
  for (const std::string& c : chunks) out += c;
  return out;
}

// ---- AtomicFileWriter ----------------------------------------------------------------------

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_ == "-") {
    inherited_ = through_ = true;
    fd_ = STDOUT_FILENO;
    return;
  }
  int fd = -1;
  target_ = resolve_output(path_, &fd);
  if (fd >= 0) {
    inherited_ = through_ = true;
    fd_ = fd;
    return;
  }
  struct stat st;
  if (::stat(target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw_io("write", path_, EISDIR);
    if (!S_ISREG(st.st_mode)) {
      through_ = true;
      fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
      if (fd_ < 0) throw_io("write", path_, errno);
      return;
    }
  }
  fd_ = create_temp(target_, "", path_, &tmp_, &slot_);
}

AtomicFileWriter::~AtomicFileWriter() { discard(); }

void AtomicFileWriter::discard() noexcept {
  if (fd_ >= 0 && !inherited_) ::close(fd_);
  fd_ = -1;
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  tmp_.clear();
  unregister_temp(slot_);
}

void AtomicFileWriter::write(std::string_view bytes) {
  if (fd_ < 0) throw_io("write", path_, EBADF);
  write_all(fd_, bytes.data(), bytes.size(), path_.empty() || path_ == "-" ? std::string("<stdout>") : path_);
}

void AtomicFileWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (inherited_) return;
  const int fd = fd_;
  fd_ = -1;
  // fsync and close report delayed write errors (NFS, full disks), so their results matter.
  // Devices and FIFOs have nothing to sync (fsync fails with EINVAL there).
  if ((!through_ && ::fsync(fd) != 0) || ::close(fd) != 0) {
    const int err = errno;
    discard();
    throw_io("write", path_, err);
  }
}

void AtomicFileWriter::publish() {
  finish();
  if (through_) return;
  try {
    keep_mode(tmp_, target_, path_);
  } catch (...) {
    discard();
    throw;
  }
  if (std::rename(tmp_.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    discard();
    throw_io("write", path_, err);
  }
  tmp_.clear();
  unregister_temp(slot_);
}

void AtomicFileWriter::commit() {
  finish();
  publish();
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  if (path.empty() || path == "-") throw IoError("cannot write '" + path + "': not a file name");
  AtomicFileWriter w(path);
  w.write(contents);
  w.commit();
}

void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::unique_ptr<AtomicFileWriter>> w;
  w.reserve(files.size());
  for (const auto& f : files) {
    if (f.first.empty() || f.first == "-") throw IoError("cannot write '" + f.first + "': not a file name");
    w.push_back(std::make_unique<AtomicFileWriter>(f.first));
  }
  for (int pass = 0; pass < 2; ++pass) {  // temporaries first, then write-through targets
    for (size_t i = 0; i < files.size(); ++i) {
      if (w[i]->through() != (pass == 1)) continue;
      w[i]->write(files[i].second);
      w[i]->finish();
    }
  }
  for (auto& x : w) x->publish();
}

// ---- TempOutput ----------------------------------------------------------------------------

TempOutput::TempOutput(const std::string& path, const std::string& suffix) : path_(path) {
  if (path.empty()) throw IoError("cannot write '': not a file name");
  target_ = resolve_output(path, &fd_);
  struct stat st;
  if (fd_ >= 0) {
    through_ = true;
  } else if (::stat(target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw_io("write", path_, EISDIR);
    through_ = !S_ISREG(st.st_mode);
  }
  // Creating the name proves the folder exists and is writable (IoError here, before any work);
  // the library then creates it again, as a file or a folder.
  const int fd = create_temp(through_ ? temp_dir() + "/medgen" : target_, suffix, path_, &tmp_, &slot_);
  ::close(fd);
  ::unlink(tmp_.c_str());
}

TempOutput::~TempOutput() {
  if (!committed_) remove_path_recursively(tmp_);
  unregister_temp(slot_);
}

void TempOutput::commit() {
  if (committed_) return;
  struct stat st;
  if (::lstat(tmp_.c_str(), &st) != 0) throw_io("write", path_, errno);
  if (through_) {
    if (!S_ISREG(st.st_mode)) throw_io("write", path_, EISDIR);
    const int in = ::open(tmp_.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) throw_io("write", path_, errno);
    struct Closer {
      int fd;
      ~Closer() {
        if (fd >= 0) ::close(fd);
      }
    } cin{in};
    // An inherited descriptor (/dev/stdout) is written but stays open.
    Closer cout{fd_ >= 0 ? ::dup(fd_) : ::open(target_.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY)};
    if (cout.fd < 0) throw_io("write", path_, errno);
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(in, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_io("write", path_, errno);
      }
      if (n == 0) break;
      write_all(cout.fd, buf, static_cast<size_t>(n), path_);
    }
    const int fd = cout.fd;
    cout.fd = -1;
    if (::close(fd) != 0) throw_io("write", path_, errno);
    remove_path_recursively(tmp_);
  } else {
    if (S_ISREG(st.st_mode)) {
      // The library closed the file; its bytes reach the disk before the rename makes it the
      // target, so a crash leaves the old file or the new one, never a torn one.
      const int fd = ::open(tmp_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw_io("write", path_, errno);
      const bool synced = ::fsync(fd) == 0;
      const int err = errno;
      if (::close(fd) != 0 || !synced) throw_io("write", path_, synced ? errno : err);
      keep_mode(tmp_, target_, path_);
    }
    if (std::rename(tmp_.c_str(), target_.c_str()) != 0) throw_io("write", path_, errno);
  }
  committed_ = true;
  unregister_temp(slot_);
}

// ---- TempPathGuard -------------------------------------------------------------------------

TempPathGuard::TempPathGuard(std::string path) : slot_(register_temp(path)) {}

TempPathGuard::~TempPathGuard() { release(); }

void TempPathGuard::release() { unregister_temp(slot_); }

}  // namespace medgen
