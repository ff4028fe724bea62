// NNI's legacy (fd 3/4 pipe) framing of tuner commands
// (nni/runtime/tuner_command_channel/legacy.py): two letters of type, the
// payload's length in bytes as 14 decimal digits, then the payload
// ("GE00000000000001" + "1").
#ifndef ARCHER_DISPATCHER_LEGACY_FRAMING_H_
#define ARCHER_DISPATCHER_LEGACY_FRAMING_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dispatcher/tuner_channel.h"

namespace archer {

std::string encode_legacy(const TunerCommand& command);

// Decodes a byte stream fed in pieces of any size. A bad header (not two
// capital letters and 14 digits) or a payload over `max_payload` bytes is an
// error; the decoder then stays failed (the stream has lost its framing).
class LegacyDecoder {
 public:
  explicit LegacyDecoder(size_t max_payload = 64u << 20)
      : max_payload_(max_payload) {}
  // The commands completed by `bytes`.
  StatusOr<std::vector<TunerCommand>> feed(std::string_view bytes);

 private:
  size_t max_payload_;
  std::string pending_;
  Status failed_;
};

}  // namespace archer

#endif  // ARCHER_DISPATCHER_LEGACY_FRAMING_H_
