#include "training_service/background_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace archer {

BackgroundWorker::BackgroundWorker()
    : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      thread_([this] { loop(); }) {}

BackgroundWorker::~BackgroundWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  thread_.join();
  if (event_fd_ >= 0) ::close(event_fd_);
}

void BackgroundWorker::post(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

int BackgroundWorker::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(jobs_.size()) + busy_;
}

int BackgroundWorker::run_completions() {
  std::deque<Completion> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready.swap(done_);
    std::uint64_t count;
    ssize_t ignored = ::read(event_fd_, &count, sizeof(count));
    (void)ignored;
  }
  for (auto& c : ready) c();
  return static_cast<int>(ready.size());
}

void BackgroundWorker::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    ++busy_;
    lock.unlock();
    Completion c = job();
    lock.lock();
    --busy_;
    if (c && !stopping_) {
      done_.push_back(std::move(c));
      std::uint64_t one = 1;
      ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
      (void)ignored;
    }
  }
}

}  // namespace archer
