// Ranks with ties averaged (the ranks Spearman's correlation and the normal
// scores of tuner/gp_model.h use).
#ifndef ARCHER_TUNER_RANKS_H_
#define ARCHER_TUNER_RANKS_H_

#include <vector>

namespace archer {
namespace tuner {

// The 1-based rank of each of `values` in increasing order; equal values
// share the mean of their ranks ({10, 3, 3, 7} -> {4, 1.5, 1.5, 3}).
std::vector<double> mean_ranks(const std::vector<double>& values);

}  // namespace tuner
}  // namespace archer

#endif  // ARCHER_TUNER_RANKS_H_
