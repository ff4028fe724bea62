// Tests of tuner command channels: waiting for what a dispatcher sends.
#ifndef ARCHER_TESTING_CHANNEL_WAIT_H_
#define ARCHER_TESTING_CHANNEL_WAIT_H_

#include <poll.h>

#include <chrono>
#include <vector>

#include "dispatcher/tuner_channel.h"

namespace archer {
namespace testing {

// The commands `channel` receives within `seconds`, up to `n` of them.
inline std::vector<TunerCommand> await_commands(TunerChannel& channel, size_t n,
                                                int seconds) {
  std::vector<TunerCommand> got;
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (got.size() < n && std::chrono::steady_clock::now() < limit) {
    pollfd p{channel.fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    for (auto& m : channel.receive()) got.push_back(m);
  }
  return got;
}

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_CHANNEL_WAIT_H_
