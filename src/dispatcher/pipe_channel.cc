#include "dispatcher/pipe_channel.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "dispatcher/command_inbox.h"
#include "dispatcher/legacy_framing.h"

namespace archer {

struct PipeChannel::Impl {
  Impl(int in, int out)
      : in_fd(in), out_fd(out), stop_fd(::eventfd(0, EFD_CLOEXEC)) {}
  int in_fd, out_fd, stop_fd;
  CommandInbox inbox;
  std::mutex mu;  // outbox, stopping
  std::condition_variable cv;
  std::deque<std::string> outbox;
  bool stopping = false;
  std::thread reader, writer;

  void fail(const std::string& why) { inbox.fail(why); }

  void read_loop() {
    LegacyDecoder decoder;
    char buf[65536];
    for (;;) {
      pollfd p[2] = {{in_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
      if (p[1].revents) return;
      if (!p[0].revents) continue;
      const ssize_t n = ::read(in_fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fail("the dispatcher closed its command pipe");
        return;
      }
      auto commands =
          decoder.feed(std::string_view(buf, static_cast<size_t>(n)));
      if (!commands.is_ok()) {
        fail(commands.status().message());
        return;
      }
      for (auto& c : commands.value()) inbox.push(std::move(c));
    }
  }

  void write_loop() {
    for (;;) {
      std::string frame;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stopping || !outbox.empty(); });
        if (stopping) return;
        frame = std::move(outbox.front());
        outbox.pop_front();
      }
      size_t at = 0;
      while (at < frame.size()) {
        pollfd p[2] = {{out_fd, POLLOUT, 0}, {stop_fd, POLLIN, 0}};
        if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
        if (p[1].revents) return;
        const ssize_t n = ::write(out_fd, frame.data() + at, frame.size() - at);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) {
          fail(std::string("the dispatcher's command pipe: ") +
               std::strerror(errno));
          return;
        }
        at += static_cast<size_t>(n);
      }
    }
  }
};

PipeChannel::PipeChannel(int from_dispatcher, int to_dispatcher)
    : impl_(std::make_unique<Impl>(from_dispatcher, to_dispatcher)) {
  Impl* impl = impl_.get();
  impl->reader = std::thread([impl] { impl->read_loop(); });
  impl->writer = std::thread([impl] { impl->write_loop(); });
}

PipeChannel::~PipeChannel() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(impl_->stop_fd, &one, sizeof(one));
  impl_->reader.join();
  impl_->writer.join();
  for (int fd : {impl_->in_fd, impl_->out_fd, impl_->stop_fd})
    if (fd >= 0) ::close(fd);
}

void PipeChannel::send(const TunerCommand& command) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->outbox.push_back(encode_legacy(command));
  }
  impl_->cv.notify_all();
}

std::vector<TunerCommand> PipeChannel::receive() { return impl_->inbox.take(); }

int PipeChannel::fd() const { return impl_->inbox.fd(); }

bool PipeChannel::connected() const { return !impl_->inbox.failure(); }

std::optional<std::string> PipeChannel::failure() const {
  return impl_->inbox.failure();
}

}  // namespace archer
