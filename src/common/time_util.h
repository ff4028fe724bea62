// Wall-clock time as the store and NNI's files record it.
#ifndef ARCHER_COMMON_TIME_UTIL_H_
#define ARCHER_COMMON_TIME_UTIL_H_

#include <chrono>
#include <cstdint>

namespace archer {

// Milliseconds since the Unix epoch.
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace archer

#endif  // ARCHER_COMMON_TIME_UTIL_H_
