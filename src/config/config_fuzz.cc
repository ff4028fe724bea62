// libFuzzer target: experiment configs (YAML, v1 and v2) never crash, hang
// on aliases or recurse without bound; errors stay short.
#include <cstddef>
#include <cstdint>
#include <string>

#include "archer/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = archer::parse_experiment_config(text, "fuzz.yml", "/tmp");
  if (!c.is_ok() && c.status().message().size() > 2000) __builtin_trap();
  return 0;
}
