// Minimal logging in NNI's line format: "[YYYY-mm-dd HH:MM:SS] LEVEL (logger)
// message".
#ifndef ARCHER_COMMON_LOG_H_
#define ARCHER_COMMON_LOG_H_

#include <cstdio>
#include <string>

namespace archer {

// Writes one line to `stream` (stdout or stderr) and flushes it. Thread-safe
// (one fputs).
void log_line(std::FILE* stream, const char* level, const std::string& logger,
              const std::string& message);

inline void log_info(const std::string& logger, const std::string& message) {
  log_line(stdout, "INFO", logger, message);
}

inline void log_warning(const std::string& logger, const std::string& message) {
  log_line(stderr, "WARNING", logger, message);
}

inline void log_error(const std::string& logger, const std::string& message) {
  log_line(stderr, "ERROR", logger, message);
}

}  // namespace archer

#endif  // ARCHER_COMMON_LOG_H_
