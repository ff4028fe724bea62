// Uses the installed archer::core: parses a search space and prints NNI's dump
// of it.
#include <archer/search_space.h>
#include <archer/trial.h>

#include <iostream>

int main() {
  auto space = archer::SearchSpace::from_json(
      archer::Json::parse(
          R"({"op": {"_type": "layer_choice", "_value": ["a", "b"]}})"),
      "inline");
  if (!space.is_ok()) {
    std::cerr << space.status().message() << std::endl;
    return 1;
  }
  std::cout << archer::dumps(archer::architecture_to_json(
                   space.value(), archer::first_architecture(space.value())))
            << " " << archer::get_trial_id() << std::endl;
  return 0;
}
