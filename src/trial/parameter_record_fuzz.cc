// libFuzzer target: parameter.cfg as the trial SDK reads it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trial/parameter_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = archer::parse_parameter_record(
      std::string_view(reinterpret_cast<const char*>(data), size),
      "parameter.cfg");
  if (r.is_ok() && !r.value().contains("parameters")) __builtin_trap();
  return 0;
}
