#include "rest/elastic_task_queue.h"

#include <algorithm>
#include <thread>

namespace archer {

struct TaskQueueState {
  mutable std::mutex mu;
  std::condition_variable work, done;
  std::deque<std::function<void()>> tasks;
  size_t threads = 0, idle = 0;
  size_t min_threads, max_threads;
  bool stopping = false;
};

namespace {

constexpr auto kIdleExit = std::chrono::seconds(10);

void worker(std::shared_ptr<TaskQueueState> s) {
  std::unique_lock<std::mutex> lock(s->mu);
  while (true) {
    ++s->idle;
    bool timed_out = !s->work.wait_for(
        lock, kIdleExit, [&] { return s->stopping || !s->tasks.empty(); });
    --s->idle;
    if (s->tasks.empty() &&
        (s->stopping || (timed_out && s->threads > s->min_threads)))
      break;
    if (s->tasks.empty()) continue;
    auto fn = std::move(s->tasks.front());
    s->tasks.pop_front();
    lock.unlock();
    fn();
    lock.lock();
  }
  --s->threads;
  s->done.notify_all();
}

}  // namespace

ElasticTaskQueue::ElasticTaskQueue(size_t min_threads, size_t max_threads,
                                   std::chrono::milliseconds grace)
    : state_(std::make_shared<TaskQueueState>()), grace_(grace) {
  state_->min_threads = min_threads;
  state_->max_threads = std::max(min_threads, max_threads);
}

ElasticTaskQueue::~ElasticTaskQueue() { shutdown(); }

void ElasticTaskQueue::enqueue(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->stopping) return;
  state_->tasks.push_back(std::move(fn));
  if (state_->idle < state_->tasks.size() &&
      state_->threads < state_->max_threads) {
    ++state_->threads;
    std::thread(worker, state_).detach();
  }
  state_->work.notify_one();
}

void ElasticTaskQueue::shutdown() {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->stopping = true;
  state_->work.notify_all();
  state_->done.wait_for(lock, grace_, [&] { return state_->threads == 0; });
}

size_t stragglers(const TaskQueueState& state) {
  std::lock_guard<std::mutex> lock(state.mu);
  return state.threads;
}

}  // namespace archer
