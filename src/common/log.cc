#include "common/log.h"

#include <ctime>

namespace archer {

void log_line(std::FILE* stream, const char* level, const std::string& logger,
              const std::string& message) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
  std::string line = std::string("[") + stamp + "] " + level + " (" + logger +
                     ") " + message + "\n";
  std::fputs(line.c_str(), stream);
  std::fflush(stream);
}

}  // namespace archer
