#include "common/nni_ids.h"

namespace archer {

namespace {

const char kAlphabet[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

}  // namespace

std::string random_experiment_id(std::mt19937_64& rng) {
  std::string pool(kAlphabet);
  std::string id;
  for (int i = 0; i < 8; ++i) {  // without repetition, as nnictl
    size_t k = std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng);
    id += pool[k];
    pool.erase(k, 1);
  }
  return id;
}

std::string random_trial_id(std::mt19937_64& rng) {
  std::string id(1, kAlphabet[std::uniform_int_distribution<int>(0, 51)(rng)]);
  for (int i = 0; i < 4; ++i)
    id += kAlphabet[std::uniform_int_distribution<int>(0, 61)(rng)];
  return id;
}

}  // namespace archer
