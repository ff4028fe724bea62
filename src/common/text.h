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

// Untrusted text (a child's output, a peer's message) made safe to print:
// terminal escape sequences (ESC [ ... letter) dropped, other control
// characters (NUL included) but newline and tab replaced by '?', cut to
// `max_bytes` (+ "..."). Bytes >= 0x80 are kept (UTF-8 text).
inline std::string printable_text(const std::string& raw,
                                  size_t max_bytes = std::string::npos) {
  std::string out;
  for (size_t i = 0; i < raw.size() && out.size() < max_bytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == 0x1b) {
      if (i + 1 < raw.size() && raw[i + 1] == '[') {
        i += 2;
        while (i < raw.size() &&
               !std::isalpha(static_cast<unsigned char>(raw[i])))
          ++i;
      }
      continue;
    }
    out += (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : raw[i];
  }
  if (out.size() >= max_bytes && max_bytes < raw.size()) out += "...";
  return out;
}

}  // namespace archer

#endif  // ARCHER_COMMON_TEXT_H_
