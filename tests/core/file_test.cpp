#include "medgen/core/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "medgen/core/error.h"

using medgen::IoError;

namespace {

// A fresh folder per test, removed afterwards.
class Dir {
 public:
  Dir() {
    std::string t = ::testing::TempDir() + "medgen-file-XXXXXX";
    path_ = ::mkdtemp(&t[0]) ? t : "";
  }
  ~Dir() { medgen::remove_path_recursively(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Names in the folder, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(path_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      ::closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t lmode(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
}

}  // namespace

TEST(FileWrite, ReplacesRegularFileAndLeavesNoTemporary) {
  Dir d;
  const std::string p = d.file("a.csv");
  medgen::write_file_atomic(p, "old\n");
  ASSERT_EQ(::chmod(p.c_str(), 0640), 0);
  struct stat before;
  ASSERT_EQ(::stat(p.c_str(), &before), 0);
  medgen::write_file_atomic(p, "new\n");
  EXPECT_EQ(slurp(p), "new\n");
  struct stat after;
  ASSERT_EQ(::stat(p.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino) << "replaced by rename, not rewritten in place";
  EXPECT_EQ(after.st_mode & 07777, 0640u) << "the replaced file's permissions are kept";
  EXPECT_EQ(d.names(), std::vector<std::string>{"a.csv"});
}

TEST(FileWrite, DevNullIsWrittenThroughAndStaysADevice) {
  medgen::write_file_atomic("/dev/null", "bytes\n");
  medgen::AtomicFileWriter w("/dev/null");
  w.write("more\n");
  w.commit();
  EXPECT_TRUE(S_ISCHR(lmode("/dev/null")));
}

TEST(FileWrite, DevFullIsAnIoErrorAndStaysADevice) {
  try {
    medgen::write_file_atomic("/dev/full", "bytes\n");
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '/dev/full': No space left on device");
  }
  EXPECT_TRUE(S_ISCHR(lmode("/dev/full")));
}

TEST(FileWrite, FifoIsWrittenThroughToItsReader) {
  Dir d;
  const std::string fifo = d.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = slurp(fifo); });
  const std::string text(200000, 'x');  // more than a pipe buffer
  medgen::write_file_atomic(fifo, text);
  reader.join();
  EXPECT_EQ(got, text);
  EXPECT_TRUE(S_ISFIFO(lmode(fifo)));
  EXPECT_EQ(d.names(), std::vector<std::string>{"pipe"});
}

// /dev/stdout and /dev/fd/N name an open descriptor: written through it, never replaced (a
// pipe's link reads "pipe:[...]"; a file opened for appending is appended to).
TEST(FileWrite, OpenDescriptorLinksAreWrittenThrough) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  medgen::write_file_atomic("/dev/fd/" + std::to_string(p[1]), "via pipe");
  char buf[16] = {};
  EXPECT_EQ(::read(p[0], buf, sizeof buf), 8);
  EXPECT_EQ(std::string(buf), "via pipe");
  ::close(p[0]);
  ::close(p[1]);

  Dir d;
  const std::string log = d.file("log");
  medgen::write_file_atomic(log, "a\n");
  struct stat before;
  ASSERT_EQ(::stat(log.c_str(), &before), 0);
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  medgen::write_file_atomic("/proc/self/fd/" + std::to_string(fd), "b\n");
  {
    medgen::TempOutput t("/dev/fd/" + std::to_string(fd), ".txt");
    std::ofstream(t.temp_path()) << "c\n";
    t.commit();
  }
  EXPECT_GE(::fcntl(fd, F_GETFD), 0) << "the descriptor stays open";
  ::close(fd);
  EXPECT_EQ(slurp(log), "a\nb\nc\n");
  struct stat after;
  ASSERT_EQ(::stat(log.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(d.names(), std::vector<std::string>{"log"});
}

TEST(FileWrite, SymlinkIsFollowedAndItsTargetReplacedAtomically) {
  Dir d;
  const std::string target = d.file("real.csv"), link = d.file("link.csv");
  medgen::write_file_atomic(target, "old\n");
  struct stat before;
  ASSERT_EQ(::stat(target.c_str(), &before), 0);
  ASSERT_EQ(::symlink("real.csv", link.c_str()), 0);  // relative, resolved beside the link
  medgen::write_file_atomic(link, "new\n");
  EXPECT_TRUE(S_ISLNK(lmode(link)));
  EXPECT_EQ(slurp(target), "new\n");
  struct stat after;
  ASSERT_EQ(::stat(target.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino) << "the target is replaced by a rename";
  EXPECT_EQ(d.names(), (std::vector<std::string>{"link.csv", "real.csv"}));
}

TEST(FileWrite, SymlinkChainIntoAnotherFolderPutsTheTemporaryBesideTheTarget) {
  Dir a, b;
  const std::string target = b.file("t.csv"), l1 = a.file("l1"), l2 = a.file("l2");
  ASSERT_EQ(::symlink(target.c_str(), l1.c_str()), 0);
  ASSERT_EQ(::symlink("l1", l2.c_str()), 0);
  medgen::AtomicFileWriter w(l2);
  w.write("x\n");
  // The temporary lies in the target's folder (a rename cannot cross file systems).
  ASSERT_EQ(b.names().size(), 1u);
  EXPECT_EQ(b.names()[0].rfind("t.csv.tmp-", 0), 0u) << b.names()[0];
  w.commit();
  EXPECT_EQ(slurp(target), "x\n");
  EXPECT_TRUE(S_ISLNK(lmode(l1)));
  EXPECT_TRUE(S_ISLNK(lmode(l2)));
  EXPECT_EQ(b.names(), std::vector<std::string>{"t.csv"});
}

TEST(FileWrite, DanglingSymlinkCreatesItsTarget) {
  Dir d;
  const std::string link = d.file("link.csv");
  ASSERT_EQ(::symlink("made.csv", link.c_str()), 0);
  medgen::write_file_atomic(link, "made\n");
  EXPECT_TRUE(S_ISLNK(lmode(link)));
  EXPECT_EQ(slurp(d.file("made.csv")), "made\n");
}

TEST(FileWrite, SymlinkLoopIsAnIoError) {
  Dir d;
  ASSERT_EQ(::symlink("b", d.file("a").c_str()), 0);
  ASSERT_EQ(::symlink("a", d.file("b").c_str()), 0);
  EXPECT_THROW(medgen::write_file_atomic(d.file("a"), "x"), IoError);
  EXPECT_EQ(d.names(), (std::vector<std::string>{"a", "b"}));
}

TEST(FileWrite, MissingParentFolderAndDirectoryTargetAreIoErrors) {
  Dir d;
  const std::string missing = d.file("no/such/folder/out.csv");
  try {
    medgen::write_file_atomic(missing, "x");
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '" + missing + "': No such file or directory");
  }
  try {
    medgen::write_file_atomic(d.path(), "x");
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '" + d.path() + "': Is a directory");
  }
  EXPECT_THROW(medgen::TempOutput(missing, ".nii"), IoError);
  EXPECT_THROW(medgen::TempOutput(d.path(), ".nii"), IoError);
  EXPECT_TRUE(d.names().empty());
}

TEST(FileWrite, WriterDestroyedWithoutCommitLeavesNothing) {
  Dir d;
  medgen::write_file_atomic(d.file("keep.csv"), "old\n");
  {
    medgen::AtomicFileWriter w(d.file("keep.csv"));
    w.write("partial");
    EXPECT_EQ(d.names().size(), 2u);  // the target and the temporary
  }
  EXPECT_EQ(slurp(d.file("keep.csv")), "old\n");
  EXPECT_EQ(d.names(), std::vector<std::string>{"keep.csv"});
}

TEST(FileWrite, SeveralFilesAllOrNothing) {
  Dir d;
  const std::string a = d.file("a.html"), b = d.file("missing/b.json");
  try {
    medgen::write_files_atomic({{a, "<html>"}, {b, "{}"}});
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(b), std::string::npos) << e.what();
  }
  EXPECT_TRUE(d.names().empty());
  // A failure while writing (a full device) after a temporary was complete: still nothing.
  EXPECT_THROW(medgen::write_files_atomic({{a, "<html>"}, {"/dev/full", "{}"}}), IoError);
  EXPECT_TRUE(d.names().empty());
  medgen::write_files_atomic({{a, "<html>"}, {d.file("c.json"), "{}"}, {"/dev/null", "x"}});
  EXPECT_EQ(slurp(a), "<html>");
  EXPECT_EQ(slurp(d.file("c.json")), "{}");
  EXPECT_EQ(d.names(), (std::vector<std::string>{"a.html", "c.json"}));
}

TEST(TempOutput, UncommittedLeavesNothingFileOrFolder) {
  Dir d;
  {
    medgen::TempOutput t(d.file("x.nii.gz"), ".nii.gz");
    EXPECT_EQ(t.target(), d.file("x.nii.gz"));
    EXPECT_EQ(t.temp_path().rfind(d.file("x.nii.gz.tmp-"), 0), 0u) << t.temp_path();
    EXPECT_EQ(t.temp_path().substr(t.temp_path().size() - 7), ".nii.gz");
    EXPECT_TRUE(d.names().empty()) << "the library creates the temporary";
    std::ofstream(t.temp_path()) << "partial";
  }
  EXPECT_TRUE(d.names().empty());
  {
    medgen::TempOutput t(d.file("series"));
    ASSERT_EQ(::mkdir(t.temp_path().c_str(), 0700), 0);
    std::ofstream(t.temp_path() + "/1.dcm") << "x";
  }
  EXPECT_TRUE(d.names().empty());
}

TEST(TempOutput, CommitReplacesExistingFileThroughASymlink) {
  Dir d;
  const std::string target = d.file("img.png"), link = d.file("link.png");
  medgen::write_file_atomic(target, "old");
  ASSERT_EQ(::symlink("img.png", link.c_str()), 0);
  medgen::TempOutput t(link, ".png");
  EXPECT_EQ(t.target(), target);
  std::ofstream(t.temp_path()) << "new";
  t.commit();
  EXPECT_EQ(slurp(target), "new");
  EXPECT_TRUE(S_ISLNK(lmode(link)));
  EXPECT_EQ(d.names(), (std::vector<std::string>{"img.png", "link.png"}));
}

TEST(TempOutput, CommitToADeviceCopiesTheBytes) {
  {
    medgen::TempOutput t("/dev/null", ".nii");
    std::ofstream(t.temp_path()) << "bytes";
    const std::string tmp = t.temp_path();
    t.commit();
    EXPECT_NE(::access(tmp.c_str(), F_OK), 0) << "the temporary is removed";
  }
  EXPECT_TRUE(S_ISCHR(lmode("/dev/null")));
  std::string tmp;
  {
    medgen::TempOutput t("/dev/full", ".nii");
    tmp = t.temp_path();
    std::ofstream(t.temp_path()) << "bytes";
    EXPECT_THROW(t.commit(), IoError);
  }
  EXPECT_NE(::access(tmp.c_str(), F_OK), 0);
  EXPECT_TRUE(S_ISCHR(lmode("/dev/full")));
}

TEST(TempOutput, CommitWithoutAnyOutputIsAnIoError) {
  Dir d;
  medgen::TempOutput t(d.file("never.nii"), ".nii");
  EXPECT_THROW(t.commit(), IoError);
  EXPECT_TRUE(d.names().empty());
}

TEST(FileRead, BoundedOnDevicesAndRegularFiles) {
  try {
    medgen::read_file("/dev/zero", 1 << 20);
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/zero: larger than 1048576 bytes");
  }
  Dir d;
  const std::string p = d.file("ten");
  medgen::write_file_atomic(p, "0123456789");
  EXPECT_EQ(medgen::read_file(p, 10), "0123456789");
  EXPECT_THROW(medgen::read_file(p, 9), IoError);
  ASSERT_EQ(::setenv("MEDGEN_MAX_INPUT_BYTES", "9", 1), 0);
  EXPECT_THROW(medgen::read_file(p), IoError);
  EXPECT_EQ(medgen::read_file(p, 10), "0123456789") << "an explicit bound wins";
  ASSERT_EQ(::setenv("MEDGEN_MAX_INPUT_BYTES", "10", 1), 0);
  EXPECT_EQ(medgen::read_file(p), "0123456789");
  ASSERT_EQ(::setenv("MEDGEN_MAX_INPUT_BYTES", "lots", 1), 0);
  EXPECT_THROW(medgen::read_file(p), medgen::InvalidInput);
  ASSERT_EQ(::unsetenv("MEDGEN_MAX_INPUT_BYTES"), 0);
  EXPECT_EQ(medgen::read_file(p), "0123456789");
  EXPECT_EQ(medgen::read_file("/dev/null", 0), "");
  // A FIFO: read up to the bound, exactly the bound is still accepted.
  const std::string fifo = d.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { medgen::write_file_atomic(fifo, std::string(100000, 'y')); });
  EXPECT_EQ(medgen::read_file(fifo, 100000).size(), 100000u);
  writer.join();
}

// A process killed by SIGINT, SIGTERM or SIGHUP (or crashing: SIGABRT) while writing leaves no
// temporary (and no registered folder), and still dies of that signal (exit status 128 + signo
// in a shell).
TEST(FileSignals, KilledWriterLeavesNoTemporary) {
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGABRT}) {
    Dir d;
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const rlimit no_core{0, 0};
      ::setrlimit(RLIMIT_CORE, &no_core);
      medgen::write_file_atomic(d.file("out.csv"), "old\n");
      medgen::AtomicFileWriter w(d.file("out.csv"));
      w.write("partial");
      medgen::TempOutput t(d.file("img.nii"), ".nii");
      ::mkdir(t.temp_path().c_str(), 0700);
      std::ofstream(t.temp_path() + "/part") << "x";
      const std::string folder = d.file("scratch");
      ::mkdir(folder.c_str(), 0700);
      std::ofstream(folder + "/f") << "x";
      medgen::TempPathGuard g(folder);
      ::kill(::getpid(), signo);
      ::_exit(99);  // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "signal " << signo << ", status " << status;
    EXPECT_EQ(WTERMSIG(status), signo);
    EXPECT_EQ(d.names(), std::vector<std::string>{"out.csv"}) << "signal " << signo;
    EXPECT_EQ(slurp(d.file("out.csv")), "old\n");
  }
}
