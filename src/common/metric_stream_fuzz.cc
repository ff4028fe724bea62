// libFuzzer target: the metric decoder (what a trial writes to .nni/metrics)
// never crashes or loops, whatever the bytes and however they are split.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/metric_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  archer::MetricStreamDecoder d;
  // The first byte picks a split point, so partial records are exercised.
  const size_t split = size ? data[0] % (size + 1) : 0;
  d.feed(bytes.substr(0, split));
  size_t steps = 0;
  auto drain = [&] {
    while (true) {
      auto r = d.next();
      if (++steps > 4 * size + 16) __builtin_trap();  // must make progress
      if (r.is_ok() && !r.value()) break;
      if (r.is_ok() && r.value()->type.empty()) __builtin_trap();
    }
  };
  drain();
  d.feed(bytes.substr(split));
  drain();
  while (d.pending_bytes() > 0) {
    (void)d.finish();
    drain();
  }
  return 0;
}
