// Small text helpers shared across the core.
#ifndef ARCHER_COMMON_TEXT_H_
#define ARCHER_COMMON_TEXT_H_

#include <cctype>
#include <string>

namespace archer {

// `s` with ASCII letters lower-cased (bytes >= 0x80 unchanged).
inline std::string ascii_lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace archer

#endif  // ARCHER_COMMON_TEXT_H_
