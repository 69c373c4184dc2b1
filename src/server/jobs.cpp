#include "medgen/server/jobs.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "medgen/core/error.h"

extern char** environ;

namespace medgen::server {

namespace {

constexpr int kProgressFd = 10;  // MEDGEN_PROGRESS_FD in the child
constexpr size_t kErrTail = 4096;

void close_fd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// Pipes whose ends we close ourselves; both ends close-on-exec in the parent.
void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) throw IoError(std::string("cannot create a pipe: ") + std::strerror(errno));
}

}  // namespace

ChildResult run_child(const std::vector<std::string>& argv, const std::vector<ChildInput>& inputs,
                      JobControl& control, const std::function<void(const nlohmann::json&)>& on_progress,
                      uint64_t max_out_bytes, int held_fd, const std::string& cwd) {
  MEDGEN_ASSERT(!argv.empty() && argv[0].size() > 0 && argv[0][0] == '/');
  for (const ChildInput& in : inputs) MEDGEN_ASSERT(in.fd == 0 || (in.fd >= 3 && in.fd <= 9));

  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, "MEDGEN_PROGRESS_FD=", 19) != 0) env_text.emplace_back(*e);
  env_text.push_back("MEDGEN_PROGRESS_FD=" + std::to_string(kProgressFd));
  std::vector<char*> envp;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  struct Pipe {
    int child_fd;
    int fds[2] = {-1, -1};
  };
  std::vector<Pipe> in_pipes(inputs.size());
  Pipe out{1}, err{2}, prog{kProgressFd};
  auto close_all = [&] {
    for (Pipe& p : in_pipes) close_fd(&p.fds[0]), close_fd(&p.fds[1]);
    for (Pipe* p : {&out, &err, &prog}) close_fd(&p->fds[0]), close_fd(&p->fds[1]);
  };
  try {
    for (size_t i = 0; i < inputs.size(); ++i) {
      in_pipes[i].child_fd = inputs[i].fd;
      make_pipe(in_pipes[i].fds);
    }
    make_pipe(out.fds);
    make_pipe(err.fds);
    make_pipe(prog.fds);
  } catch (...) {
    close_all();
    throw;
  }
  // (child end, target descriptor) pairs.
  std::vector<std::pair<int, int>> mapping;
  for (const Pipe& p : in_pipes) mapping.push_back({p.fds[0], p.child_fd});
  mapping.push_back({out.fds[1], 1});
  mapping.push_back({err.fds[1], 2});
  mapping.push_back({prog.fds[1], kProgressFd});
  if (held_fd >= 0) mapping.push_back({held_fd, 11});
  const bool has_stdin = std::any_of(inputs.begin(), inputs.end(), [](const ChildInput& c) { return c.fd == 0; });
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    close_all();
    throw IoError(std::string("cannot start a job process: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The child: die with the server's worker (SIGTERM: training checkpoints first).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) ::signal(s, SIG_DFL);
    // Move the child ends out of the way first, so that no dup2 overwrites a source.
    for (auto& m : mapping) m.first = ::fcntl(m.first, F_DUPFD, 64);
    if (!has_stdin) {
      const int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
    }
    for (const auto& m : mapping)
      if (m.first < 0 || ::dup2(m.first, m.second) < 0) ::_exit(127);
    // Nothing else of the server's reaches the child (Asio's sockets are not close-on-exec).
    for (int fd = 3; fd <= 11; ++fd) {
      bool keep = false;
      for (const auto& m : mapping) keep = keep || m.second == fd;
      if (!keep) ::close(fd);
    }
    ::close_range(12, ~0U, 0);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }

  // The parent: feed the inputs, drain the outputs, watch for cancel.
  for (Pipe& p : in_pipes) close_fd(&p.fds[0]);
  close_fd(&out.fds[1]);
  close_fd(&err.fds[1]);
  close_fd(&prog.fds[1]);
  std::vector<size_t> written(inputs.size(), 0);
  for (Pipe& p : in_pipes) ::fcntl(p.fds[1], F_SETFL, O_NONBLOCK);
  ChildResult result;
  std::string err_all, prog_buf;
  bool too_large = false;
  bool signalled = false;
  std::chrono::steady_clock::time_point term_at;
  char buf[65536];
  // On any exception below the child is killed and reaped and every pipe closed.
  struct Reaper {
    pid_t pid;
    std::function<void()> close_all;
    bool armed = true;
    ~Reaper() {
      if (!armed) return;
      ::kill(pid, SIGKILL);
      int st = 0;
      while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      close_all();
    }
  } reaper{pid, close_all};
  while (true) {
    std::vector<pollfd> fds;
    std::vector<int> which;  // index into in_pipes, or -1 out, -2 err, -3 progress
    for (size_t i = 0; i < in_pipes.size(); ++i)
      if (in_pipes[i].fds[1] >= 0) fds.push_back({in_pipes[i].fds[1], POLLOUT, 0}), which.push_back(static_cast<int>(i));
    if (out.fds[0] >= 0) fds.push_back({out.fds[0], POLLIN, 0}), which.push_back(-1);
    if (err.fds[0] >= 0) fds.push_back({err.fds[0], POLLIN, 0}), which.push_back(-2);
    if (prog.fds[0] >= 0) fds.push_back({prog.fds[0], POLLIN, 0}), which.push_back(-3);
    if (fds.empty()) break;
    const int n = ::poll(fds.data(), fds.size(), 200);
    if (n < 0 && errno != EINTR) break;
    if ((control.cancel || control.shutdown || too_large) && !signalled) {
      ::kill(pid, SIGTERM);
      signalled = true;
      term_at = std::chrono::steady_clock::now();
    }
    if (signalled && std::chrono::steady_clock::now() - term_at > std::chrono::seconds(30)) ::kill(pid, SIGKILL);
    if (n <= 0) continue;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!fds[k].revents) continue;
      const int w = which[k];
      if (w >= 0) {
        Pipe& p = in_pipes[static_cast<size_t>(w)];
        const std::string& bytes = inputs[static_cast<size_t>(w)].bytes;
        if (fds[k].revents & (POLLERR | POLLHUP)) {
          close_fd(&p.fds[1]);
          continue;
        }
        const ssize_t r = ::write(p.fds[1], bytes.data() + written[w], bytes.size() - written[w]);
        if (r > 0) written[w] += static_cast<size_t>(r);
        if ((r < 0 && errno != EAGAIN && errno != EINTR) || written[w] == bytes.size()) close_fd(&p.fds[1]);
        continue;
      }
      Pipe& p = w == -1 ? out : w == -2 ? err : prog;
      const ssize_t r = ::read(p.fds[0], buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        close_fd(&p.fds[0]);
        continue;
      }
      if (r < 0) continue;
      if (w == -1) {
        if (result.out.size() + static_cast<size_t>(r) > max_out_bytes)
          too_large = true;
        else
          result.out.append(buf, static_cast<size_t>(r));
      } else if (w == -2) {
        err_all.append(buf, static_cast<size_t>(r));
        if (err_all.size() > 4 * kErrTail) err_all.erase(0, err_all.size() - kErrTail);
      } else {
        prog_buf.append(buf, static_cast<size_t>(r));
        size_t nl;
        while ((nl = prog_buf.find('\n')) != std::string::npos) {
          const std::string line = prog_buf.substr(0, nl);
          prog_buf.erase(0, nl + 1);
          const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
          if (!j.is_discarded() && j.is_object() && on_progress) on_progress(j);
        }
        if (prog_buf.size() > 65536) prog_buf.clear();
      }
    }
  }
  reaper.armed = false;
  close_all();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  result.err_tail = err_all.size() > kErrTail ? err_all.substr(err_all.size() - kErrTail) : err_all;
  if (too_large) throw IoError("the job's output is larger than " + std::to_string(max_out_bytes) + " bytes");
  return result;
}

// ---------------------------------------------------------------------------- JobRunner

JobRunner::JobRunner(Store& store, int workers, size_t queue_capacity, Work work, std::string runner_id, int lease_s)
    : store_(store), capacity_(queue_capacity), work_(std::move(work)), runner_id_(std::move(runner_id)), lease_s_(lease_s) {
  if (workers < 1 || workers > 64) throw InvalidInput("--workers: between 1 and 64");
  if (queue_capacity < 1 || queue_capacity > 100000) throw InvalidInput("--queue: between 1 and 100000");
  if (lease_s < 4 || lease_s > 86400) throw InvalidInput("--job-lease: between 4 and 86400 seconds");
  if (runner_id_.size() > 200) throw InvalidInput("--runner-id: at most 200 characters");
  if (runner_id_.empty()) {
    char host[256] = {0};
    if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
    std::random_device rd;
    char tail[32];
    std::snprintf(tail, sizeof tail, "%08x", rd());
    runner_id_ = std::string(host) + ":" + std::to_string(::getpid()) + ":" + tail;
  }
  // A child that exits before reading its input must not end the server with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { worker(); });
  keeper_ = std::thread([this] { keeper(); });
}

void JobRunner::keeper() {
  const auto beat = std::chrono::milliseconds(lease_s_ * 1000 / 4);
  auto next_reap = std::chrono::steady_clock::now() + std::chrono::seconds(lease_s_) / 2;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    keeper_cv_.wait_for(lock, beat, [this] { return stopping_; });
    if (stopping_) break;
    const bool busy = !running_.empty();
    const bool reap = std::chrono::steady_clock::now() >= next_reap;
    lock.unlock();
    try {
      if (busy) store_.heartbeat_jobs(runner_id_);
      if (reap) {
        next_reap = std::chrono::steady_clock::now() + std::chrono::seconds(lease_s_) / 2;
        if (!store_.single_process() && !store_.requeue_abandoned_jobs(runner_id_, lease_s_, false, false).empty()) {
          std::lock_guard<std::mutex> relock(mu_);
          refill_locked();
          cv_.notify_all();
        }
      }
    } catch (const std::exception&) {
      // A busy or unreachable database: the next beat tries again.
    }
    lock.lock();
  }
}

JobRunner::~JobRunner() { shutdown(); }

bool JobRunner::submit(int64_t job_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return true;  // stays "queued" in the store: the next start runs it
    if (queue_.size() >= capacity_) return false;
    queue_.push_back(job_id);
  }
  cv_.notify_one();
  return true;
}

bool JobRunner::cancel(int64_t job_id) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = running_.find(job_id);
  if (it != running_.end()) {
    it->second->cancel = true;
    return true;
  }
  auto q = std::find(queue_.begin(), queue_.end(), job_id);
  const std::optional<Job> job = store_.job(job_id);
  if (!job || job->state != "queued") return false;
  if (q != queue_.end()) queue_.erase(q);
  store_.set_job_state(job_id, "cancelled", "cancelled before it started");
  lock.unlock();
  publish(job_id, {{"job", job_id}, {"state", "cancelled"}, {"progress", job->progress}, {"message", "cancelled"}});
  return true;
}

void JobRunner::recover() {
  store_.requeue_abandoned_jobs(runner_id_, lease_s_, store_.single_process());
  std::lock_guard<std::mutex> lock(mu_);
  refill_locked();
  cv_.notify_all();
}

void JobRunner::refill_locked() {
  if (stopping_ || queue_.size() >= capacity_) return;
  std::vector<Job> waiting = store_.jobs_in_state("queued");
  std::sort(waiting.begin(), waiting.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
  for (const Job& j : waiting) {
    if (queue_.size() >= capacity_) break;
    if (running_.count(j.id) || std::find(queue_.begin(), queue_.end(), j.id) != queue_.end()) continue;
    queue_.push_back(j.id);
  }
}

void JobRunner::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
    for (auto& [id, control] : running_) control->shutdown = true;
  }
  cv_.notify_all();
  keeper_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  if (keeper_.joinable()) keeper_.join();
}

size_t JobRunner::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t JobRunner::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.size();
}

int JobRunner::subscribe(int64_t job_id, std::function<void(const nlohmann::json&)> callback) {
  std::lock_guard<std::mutex> lock(sub_mu_);
  const int id = next_sub_++;
  subs_[id] = {job_id, std::move(callback)};
  return id;
}

void JobRunner::unsubscribe(int id) {
  std::lock_guard<std::mutex> lock(sub_mu_);
  subs_.erase(id);
}

void JobRunner::publish(int64_t job_id, const nlohmann::json& event) {
  std::lock_guard<std::mutex> lock(sub_mu_);
  for (auto& [id, sub] : subs_)
    if (sub.first == job_id) sub.second(event);
}

void JobRunner::worker() {
  while (true) {
    int64_t id = 0;
    std::shared_ptr<JobControl> control;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
      control = std::make_shared<JobControl>();
      running_[id] = control;
    }
    std::optional<Job> job;
    try {
      job = store_.job(id);
      if (job && job->state == "queued") {
        store_.start_job(id, runner_id_);
        job->attempts += 1;  // this attempt: the fencing token of finish_job
      }
    } catch (const std::exception&) {
      job.reset();
    }
    if (job && job->state == "queued") {
      job->state = "running";
      control->progress = [this, id](double p, const std::string& message) {
        try {
          store_.set_job_progress(id, p, message);
        } catch (const std::exception&) {
          // A progress line lost to a busy or full disk is not worth failing the job for.
        }
        publish(id, {{"job", id}, {"state", "running"}, {"progress", p}, {"message", message}});
      };
      publish(id, {{"job", id}, {"state", "running"}, {"progress", job->progress}, {"message", "started"}});
      std::string state, message;
      nlohmann::json result;
      try {
        result = work_(*job, *control);
        state = control->cancel ? "cancelled" : "succeeded";
        message = control->cancel ? "cancelled" : "done";
      } catch (const JobPostponed&) {
        state = control->cancel ? "cancelled" : "queued";
        message = control->cancel ? "cancelled" : "stopped by a server shutdown; resumes at the next start";
      } catch (const std::exception& e) {
        state = control->cancel ? "cancelled" : "failed";
        message = control->cancel ? "cancelled" : e.what();
      }
      try {
        // Written only while the job is still this attempt's: if its heartbeat lapsed and another
        // process took it over, that process's outcome stands.
        const std::string dumped = result.dump();
        if (!store_.finish_job(id, runner_id_, job->attempts, state, state == "succeeded" ? "done" : message,
                               state == "succeeded" ? &dumped : nullptr))
          message = "taken over by another server; its outcome stands";
      } catch (const std::exception&) {
        // The store refuses (disk full): the job stays "running" and is requeued at the next start.
      }
      publish(id, {{"job", id}, {"state", state}, {"progress", state == "succeeded" ? 1.0 : job->progress},
                   {"message", message}});
    }
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(id);
    refill_locked();
  }
}

}  // namespace medgen::server
