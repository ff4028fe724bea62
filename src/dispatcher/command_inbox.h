// What a tuner channel's I/O thread received, for the caller's thread: the
// commands in order, the first failure, and an eventfd that is readable
// while something waits (TunerChannel::fd()). Thread-safe.
#ifndef ARCHER_DISPATCHER_COMMAND_INBOX_H_
#define ARCHER_DISPATCHER_COMMAND_INBOX_H_

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dispatcher/tuner_channel.h"

namespace archer {

class CommandInbox {
 public:
  CommandInbox();
  ~CommandInbox();
  CommandInbox(const CommandInbox&) = delete;
  CommandInbox& operator=(const CommandInbox&) = delete;

  void push(TunerCommand command);
  // Keeps the first reason until clear_failure() (a new connection).
  void fail(const std::string& why);
  void clear_failure();
  // Everything received since the last call; clears the eventfd.
  std::vector<TunerCommand> take();
  int fd() const { return fd_; }
  std::optional<std::string> failure() const;

 private:
  void notify();
  mutable std::mutex mu_;
  std::vector<TunerCommand> commands_;
  std::optional<std::string> failure_;
  int fd_;
};

}  // namespace archer

#endif  // ARCHER_DISPATCHER_COMMAND_INBOX_H_
