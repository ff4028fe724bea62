// Slow platform work off the manager's thread: a service posts a job (an SSH
// command, a scheduler query) that runs on one worker thread, in order, and
// returns a completion; the service runs the completions on its own thread
// in poll(), so its state is only ever touched there. fd() becomes readable
// when completions are waiting, for poll()'s wait.
//
// Jobs must bound their own time (every command has a timeout). Destruction
// waits for the running job and drops the queued ones, whose completions
// never run.
#ifndef ARCHER_TRAINING_SERVICE_BACKGROUND_WORKER_H_
#define ARCHER_TRAINING_SERVICE_BACKGROUND_WORKER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace archer {

class BackgroundWorker {
 public:
  using Completion = std::function<void()>;
  using Job = std::function<Completion()>;

  BackgroundWorker();
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Queues `job`; its completion (if not empty) runs in run_completions().
  void post(Job job);
  // Runs the completions of finished jobs, in order; returns how many ran.
  int run_completions();
  // Jobs queued or running.
  int pending() const;
  // Readable while completions are waiting (an eventfd).
  int fd() const { return event_fd_; }

 private:
  void loop();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::deque<Completion> done_;
  int busy_ = 0;
  bool stopping_ = false;
  int event_fd_ = -1;
  std::thread thread_;
};

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_BACKGROUND_WORKER_H_
