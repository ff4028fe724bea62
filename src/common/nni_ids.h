// NNI's ids: an 8-character experiment id (NNI's alphabet, no character
// twice, as nnictl) and a 5-character trial id (a letter first).
#ifndef ARCHER_COMMON_NNI_IDS_H_
#define ARCHER_COMMON_NNI_IDS_H_

#include <random>
#include <string>

namespace archer {

std::string random_experiment_id(std::mt19937_64& rng);
std::string random_trial_id(std::mt19937_64& rng);

}  // namespace archer

#endif  // ARCHER_COMMON_NNI_IDS_H_
