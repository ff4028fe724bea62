// Levenshtein distance and "did you mean" suggestions for error messages.
#ifndef ARCHER_COMMON_EDIT_DISTANCE_H_
#define ARCHER_COMMON_EDIT_DISTANCE_H_

#include <string>
#include <vector>

namespace archer {

size_t edit_distance(const std::string& a, const std::string& b);

// " (did you mean 'x'?)" for the closest candidate within distance max(2,
// |word|/3) (case-insensitive), or "".
std::string did_you_mean(const std::string& word,
                         const std::vector<std::string>& candidates);

}  // namespace archer

#endif  // ARCHER_COMMON_EDIT_DISTANCE_H_
