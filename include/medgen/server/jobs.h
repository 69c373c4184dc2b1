// Long work for `medgen serve`: a bounded queue in front of a fixed pool of worker threads, each
// running one job at a time as a child process of the medgen program itself (run_child). A
// crash, a leak or LibTorch's process-wide state in one job never reaches the server, a cancel
// is a SIGTERM (training writes its checkpoint on the way out), and a child whose server dies
// gets SIGTERM too (PR_SET_PDEATHSIG), so that even `kill -9` of the server leaves a
// checkpoint to resume from.
//
// Job states live in the Store (store.h); the runner moves them: queued -> running ->
// succeeded | failed | cancelled. At start, recover() puts jobs left "running" by a previous
// server back in the queue. shutdown() stops the running children (they checkpoint), puts
// their jobs back to "queued" for the next start and joins the workers.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/server/store.h"

namespace medgen::server {

// What a running job can see and be told.
struct JobControl {
  std::atomic<bool> cancel{false};    // the user asked to cancel
  std::atomic<bool> shutdown{false};  // the server is stopping: checkpoint and come back later
  // Reports progress (0..1) with a short message; stored and broadcast to subscribers.
  std::function<void(double progress, const std::string& message)> progress;
};

// Thrown by a job's work when it stopped because of JobControl::shutdown (the runner then puts
// the job back in the queue rather than failing it).
struct JobPostponed {};

struct ChildInput {
  int fd = 0;          // 0 (stdin) or 3..9 in the child
  std::string bytes;   // written to a pipe on that descriptor, then closed
};

struct ChildResult {
  int exit_code = -1;    // the child's exit status; 128 + signal when a signal ended it
  std::string out;       // stdout (bounded by max_out_bytes: a larger output fails the job)
  std::string err_tail;  // the last 4 KiB of stderr
};

// Runs `argv` (argv[0] is an absolute path) with the given inputs on pipes, captures stdout
// and stderr, and passes every JSON progress line the child writes (core/progress.h,
// MEDGEN_PROGRESS_FD) to `on_progress`. Sends SIGTERM when control.cancel or control.shutdown
// becomes true (SIGKILL 30 s later). IoError when it cannot start the child or stdout exceeds
// max_out_bytes. `held_fd` (when >= 0) is kept open in the child as descriptor 11: a lock the
// child holds for as long as it lives, even past the server that started it. `cwd` (when not
// empty) is the child's working folder, so that it can be given relative file names and its
// messages name no server path.
ChildResult run_child(const std::vector<std::string>& argv, const std::vector<ChildInput>& inputs,
                      JobControl& control, const std::function<void(const nlohmann::json&)>& on_progress,
                      uint64_t max_out_bytes = uint64_t{2} << 30, int held_fd = -1, const std::string& cwd = "");

class JobRunner {
 public:
  // Does a job: returns its result JSON; throws InvalidInput/IoError/Error for failure (the
  // message is stored), JobPostponed when it stopped for a shutdown. Cancellation is seen by
  // the runner through JobControl::cancel.
  using Work = std::function<nlohmann::json(const Job& job, JobControl& control)>;

  // runner_id names this process in the store (jobs it runs carry it, with a heartbeat every
  // lease_s / 4 seconds); "" draws one (host, pid and a random part). Every lease_s / 2 seconds
  // the runner also requeues running jobs whose heartbeat is older than lease_s (their process
  // died), so several processes can run the jobs of one database.
  JobRunner(Store& store, int workers, size_t queue_capacity, Work work, std::string runner_id = "", int lease_s = 60);
  ~JobRunner();  // shutdown()

  // Puts a queued job in the queue. false when the queue is full (the caller answers 429 and
  // leaves or fails the job).
  bool submit(int64_t job_id);
  // Cancels a queued or running job; false when it is in neither state.
  bool cancel(int64_t job_id);
  // Requeues jobs left "running" by an earlier server: with a single-process store every one;
  // otherwise those of this runner id and those without a recent heartbeat (Store::
  // requeue_abandoned_jobs). Then queues the waiting ones (oldest first; those beyond the
  // queue's capacity stay "queued" in the store and are picked up as room frees).
  void recover();
  const std::string& runner_id() const { return runner_id_; }
  void shutdown();

  size_t queued() const;
  size_t running() const;
  size_t capacity() const { return capacity_; }

  // Progress events of one job ({"job":id,"state":..,"progress":..,"message":..}); the
  // callback runs on a worker thread and must not block. Returns an id for unsubscribe.
  int subscribe(int64_t job_id, std::function<void(const nlohmann::json&)> callback);
  void unsubscribe(int id);

 private:
  void worker();
  void keeper();  // heartbeats and the requeueing of abandoned jobs
  void publish(int64_t job_id, const nlohmann::json& event);
  void refill_locked();

  Store& store_;
  size_t capacity_;
  Work work_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int64_t> queue_;
  std::map<int64_t, std::shared_ptr<JobControl>> running_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::string runner_id_;
  int lease_s_;
  std::thread keeper_;
  std::condition_variable keeper_cv_;  // its own: a notify_one for the workers must never wake it
  std::mutex sub_mu_;
  int next_sub_ = 1;
  std::map<int, std::pair<int64_t, std::function<void(const nlohmann::json&)>>> subs_;
};

}  // namespace medgen::server
