// The REST server's workers: an httplib::TaskQueue that never lets slow
// clients starve the others. It keeps `min_threads` workers and starts
// another whenever a connection arrives while all are busy (up to
// `max_threads`), so a client that trickles its request in (slowloris) holds
// one thread, never the server. Extra workers exit after idling. shutdown()
// waits at most `grace` for workers to finish, then leaves the stragglers
// (each still stuck on a slow client) detached; stragglers() tells the owner
// not to destroy what they may still touch.
#ifndef ARCHER_REST_ELASTIC_TASK_QUEUE_H_
#define ARCHER_REST_ELASTIC_TASK_QUEUE_H_

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace archer {

// The workers' shared state (opaque).
struct TaskQueueState;
// Workers still running a task after shutdown() gave up waiting.
size_t stragglers(const TaskQueueState& state);

class ElasticTaskQueue : public httplib::TaskQueue {
 public:
  ElasticTaskQueue(size_t min_threads, size_t max_threads,
                   std::chrono::milliseconds grace);
  ~ElasticTaskQueue() override;
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;
  // Shared with the workers; outlives the queue while a straggler runs.
  std::shared_ptr<TaskQueueState> state() const { return state_; }

 private:
  std::shared_ptr<TaskQueueState> state_;
  std::chrono::milliseconds grace_{0};
};

}  // namespace archer

#endif  // ARCHER_REST_ELASTIC_TASK_QUEUE_H_
