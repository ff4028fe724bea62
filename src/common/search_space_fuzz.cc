// libFuzzer target: a search space (from ss_gen, a file or `update
// searchspace`) and an architecture checked against it (from a tuner, an
// import or the store) never crash; what is accepted round-trips.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "archer/search_space.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // "space\n\narchitecture": the first part is the space.
  const size_t cut = text.find("\n\n");
  auto json = archer::parse_json(text.substr(0, cut), "space");
  if (!json.is_ok()) return 0;
  auto space = archer::SearchSpace::from_json(json.value(), "space");
  if (!space.is_ok()) return 0;
  auto first = archer::first_architecture(space.value());
  auto as_json = archer::architecture_to_json(space.value(), first);
  auto back = archer::architecture_from_json(space.value(), as_json, "first");
  if (!back.is_ok() || !(back.value() == first)) __builtin_trap();
  if (cut != std::string_view::npos) {
    auto arch = archer::parse_json(text.substr(cut + 2), "arch");
    if (arch.is_ok()) {
      auto a = archer::architecture_from_json(space.value(), arch.value(), "a");
      if (a.is_ok())
        (void)archer::architecture_to_json(space.value(), a.value());
    }
  }
  (void)space.value().dump();
  return 0;
}
