// libFuzzer target: the JSON entry point never crashes, never recurses on the
// input's depth, and what it accepts respects its limits and round-trips.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "archer/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = archer::parse_json(text, "fuzz");
  if (!j.is_ok()) {
    if (j.status().message().size() > 1000) __builtin_trap();  // bounded
    return 0;
  }
  if (archer::json_depth(j.value()) > archer::kJsonMaxDepth) __builtin_trap();
  // What is accepted can be written and read back (NaN makes == false, so
  // only the success of the second parse is required).
  const std::string again = archer::dumps(j.value());
  if (!archer::parse_json(again, "again").is_ok()) __builtin_trap();
  (void)archer::json_excerpt(j.value());
  return 0;
}
