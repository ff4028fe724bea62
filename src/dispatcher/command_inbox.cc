#include "dispatcher/command_inbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace archer {

CommandInbox::CommandInbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

CommandInbox::~CommandInbox() {
  if (fd_ >= 0) ::close(fd_);
}

void CommandInbox::notify() {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof(one));
}

void CommandInbox::push(TunerCommand command) {
  std::lock_guard<std::mutex> lock(mu_);
  commands_.push_back(std::move(command));
  notify();
}

void CommandInbox::fail(const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_) failure_ = why;
  notify();
}

void CommandInbox::clear_failure() {
  std::lock_guard<std::mutex> lock(mu_);
  failure_.reset();
}

std::vector<TunerCommand> CommandInbox::take() {
  std::uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(fd_, &count, sizeof(count));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TunerCommand> out;
  out.swap(commands_);
  return out;
}

std::optional<std::string> CommandInbox::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

}  // namespace archer
