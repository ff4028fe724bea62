#include "common/base64.h"

#include <cstdint>
#include <vector>

namespace archer {

namespace {

const char kBase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string base64_encode(const std::string& in) {
  std::string out;
  // Only the low 24 bits matter; keeping just those avoids overflow.
  std::uint32_t val = 0;
  int bits = -6;
  for (unsigned char c : in) {
    val = ((val << 8) | c) & 0xFFFFFFu;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kBase64[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(kBase64[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

std::string base64_decode(const std::string& in) {
  std::string out;
  std::vector<int> table(256, -1);
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kBase64[i])] = i;
  std::uint32_t val = 0;
  int bits = -8;
  for (unsigned char c : in) {
    if (table[c] == -1) break;
    val = ((val << 6) | static_cast<std::uint32_t>(table[c])) & 0xFFFFFFu;
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace archer
