// Reading and writing whole files, with the output rules every command follows.
//
// Outputs: the path is first resolved through symlinks (a dangling symlink names the file to
// create; the link stays a link). If the resolved target is an existing file that is not a
// regular file (a character or block device, a FIFO, a terminal), the bytes are written
// straight through to it, with no temporary and no rename. /dev/stdout, /dev/fd/N and
// /proc/self/fd/N write to that open descriptor (keeping its offset and append mode). Otherwise
// (a regular file, or nothing yet) the bytes go to a temporary file beside the resolved target,
// "<target>.tmp-<pid>-<n>", which is renamed over the target once everything is written,
// flushed and closed. A target that is a directory, a missing or unwritable parent folder and
// every failed write, fsync, close or rename are IoError naming the path (exit 2); the
// temporary is then removed.
//
// Temporaries never outlive the process: they are removed by the destructors on every exit
// path, and each is registered with a small async-signal-safe registry whose SIGINT, SIGTERM
// and SIGHUP handlers (and SIGSEGV, SIGBUS, SIGABRT, SIGFPE ones, for crashes), installed on
// the first registration where the signal's disposition is the default, remove every
// registered path and then re-raise the signal with its default action, so the exit status
// stays 128 + signo.
//
// Thread safety: each object is used by one thread; distinct objects (and the registry) may be
// used from several threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medgen {

// read_file's bounds when the caller gives none: 2 GiB for a regular file, 256 MiB for a pipe or
// device (read before its size is known); the environment variable MEDGEN_MAX_INPUT_BYTES
// replaces both (InvalidInput when it is not a number).
constexpr uint64_t kDefaultMaxReadBytes = uint64_t{2} << 30;
constexpr uint64_t kDefaultMaxStreamBytes = uint64_t{256} << 20;
constexpr uint64_t kDefaultReadLimit = UINT64_MAX;  // "use the defaults above"

// Reads a whole file. IoError naming the path when it cannot be read, is a directory, or holds
// more than max_bytes ("PATH: larger than N bytes"); a regular file is refused from its size
// before anything is read, a pipe or device is read up to the bound, so `/dev/zero` is refused
// instead of filling memory. Callers that know their inputs are smaller pass less.
std::string read_file(const std::string& path, uint64_t max_bytes = kDefaultReadLimit);

// Writes `contents` to `path` by the output rules above. IoError naming the path.
void write_file_atomic(const std::string& path, std::string_view contents);

// Writes several files all or nothing: every target is opened first, the contents go to their
// temporaries, and only when all are written and flushed are they renamed into place. On any
// failure the temporaries are removed and no target is replaced. (Write-through targets such
// as devices are written after every temporary is complete and before the renames; bytes that
// reached a device cannot be taken back.) IoError naming the failing path.
void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files);

// Streams a file into place by the output rules above: bytes go to the temporary (or straight
// to a device); commit() flushes, closes and renames it; destruction without commit() (an
// exception on the way) removes the temporary. Path "" or "-" writes to stdout (no atomicity
// there). IoError naming the path.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  void write(std::string_view bytes);
  void commit();

  // commit() in two steps, for write_files_atomic: finish() flushes and closes (the temporary
  // stays); publish() renames it over the target. through(): bytes go straight to the target.
  void finish();
  void publish();
  bool through() const { return through_; }

 private:
  void discard() noexcept;
  std::string path_;    // as given, for messages
  std::string target_;  // resolved through symlinks
  std::string tmp_;     // "" when writing through
  int fd_ = -1;
  int slot_ = -1;  // in the signal registry
  bool through_ = false;
  bool inherited_ = false;  // fd_ is stdout or another descriptor we did not open: never closed
  bool finished_ = false;
};

// For writers that must hand a file name to a library (nifticlib, GDCM): the library writes
// temp_path(), commit() puts the result in place by the output rules above.
//  - The constructor resolves `path` through symlinks (IoError when the target is a directory
//    or its folder is missing or not writable) and picks a fresh name beside the resolved
//    target ending with `suffix` (e.g. ".nii.gz", so the library picks the format). For an
//    existing non-regular target (a device, a FIFO) the temporary lies in $TMPDIR (or /tmp).
//    temp_path() does not exist yet: the library creates it, as a file or a folder.
//  - The temporary is registered for removal on SIGINT/SIGTERM/SIGHUP.
//  - commit() renames the temporary over the target; for an existing non-regular target it
//    copies the temporary's bytes into it and removes the temporary. IoError naming the path.
//  - The destructor removes the temporary (file or folder, recursively) unless committed.
class TempOutput {
 public:
  explicit TempOutput(const std::string& path, const std::string& suffix = "");
  ~TempOutput();
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;
  const std::string& temp_path() const { return tmp_; }
  const std::string& target() const { return target_; }  // the resolved target
  void commit();

 private:
  std::string path_, target_, tmp_;
  int fd_ = -1;  // an inherited descriptor the target names (/dev/stdout: 1), else -1
  int slot_ = -1;
  bool through_ = false, committed_ = false;
};

// Registers an extra path (e.g. a temporary folder) for removal (file or folder, recursively)
// if the process is killed by SIGINT, SIGTERM or SIGHUP. The guard itself removes nothing: its
// destructor, or release(), only ends the registration; the owner removes the path on normal
// exits.
class TempPathGuard {
 public:
  explicit TempPathGuard(std::string path);
  ~TempPathGuard();
  TempPathGuard(const TempPathGuard&) = delete;
  TempPathGuard& operator=(const TempPathGuard&) = delete;
  void release();

 private:
  int slot_ = -1;
};

// Installs the registry's handlers now where a signal's disposition is the default (idempotent; also done on the first registration). Code that installs its own
// handlers for a while (training's checkpoint-on-signal) calls this first and restores the
// previous handlers afterwards, so that temporaries are still removed outside its scope.
void install_temp_cleanup_handlers();

// Removes a file or a folder with everything in it; errors are ignored (cleanup paths).
void remove_path_recursively(const std::string& path) noexcept;

}  // namespace medgen
