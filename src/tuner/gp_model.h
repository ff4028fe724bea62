// A Gaussian-process surrogate over the architectures of one classic-NAS space
// (for LocalBOTuner; tuner-internal).
//
// An architecture is encoded as one int per layer choice (its candidate index)
// and one 0/1 int per input-choice candidate (chosen or not). Two
// architectures differ in choice c by m_c: 1 for a different layer candidate,
// half the number of differing input candidates for an input choice (one
// swapped input counts 1). The kernel is
//     k(a, b) = s * exp(-sum_c theta_c * m_c(a, b))
// (a product of exponential Hamming kernels, one relevance theta_c > 0 per
// choice: positive definite), plus observation noise r * s.
//
// fit() takes the targets as given (the tuner normalises them). With
// `tune_hyperparameters`, it improves the relevances and the noise ratio r by
// the marginal likelihood (s at its closed-form maximum): a grid over a common
// scale of all relevances and r, then one pass that halves or doubles each
// relevance in turn, keeping what raises the likelihood. It starts from the
// last fit's values, so relevances keep improving from one fit to the next.
// Costs: fit O((20 + 2C) * n^3) when tuning (C choices, n observations),
// O(n^3) otherwise; predict O(m * n * (C + n)) for m points. The tuner bounds
// n.
#ifndef ARCHER_TUNER_GP_MODEL_H_
#define ARCHER_TUNER_GP_MODEL_H_

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "archer/search_space.h"

namespace archer {
namespace tuner {

// An architecture's encoding (see above).
class ArchitectureEncoder {
 public:
  explicit ArchitectureEncoder(const SearchSpace& space);
  std::vector<int> encode(const Architecture& arch) const;
  // m_c(a, b) for each choice c, written into `out` (size choices()).
  void mismatches(const std::vector<int>& a, const std::vector<int>& b,
                  std::vector<double>& out) const;
  size_t choices() const { return first_.size(); }
  size_t features() const { return choice_of_.size(); }

 private:
  const SearchSpace* space_;
  std::vector<size_t> first_;      // per choice: its first feature
  std::vector<size_t> choice_of_;  // per feature: its choice
  std::vector<double> weight_;     // per feature: 1 (layer) or 0.5 (input)
};

class GpModel {
 public:
  struct Prediction {
    double mean = 0;
    double sd = 0;
  };

  explicit GpModel(const ArchitectureEncoder& encoder);

  // Fits to `x` (encodings) and `y` (same length, >= 1).
  void fit(const std::vector<std::vector<int>>& x, const std::vector<double>& y,
           bool tune_hyperparameters);
  // Posterior mean and standard deviation of the latent function at each of
  // `points`. REQUIRES: fit() was called.
  std::vector<Prediction> predict(
      const std::vector<std::vector<int>>& points) const;

  const std::vector<double>& relevances() const { return theta_; }
  double noise_ratio() const { return noise_ratio_; }

 private:
  // Correlations of the training points for relevances `theta`.
  Eigen::MatrixXd correlations(const std::vector<double>& theta) const;
  // The profiled log marginal likelihood for `theta` and ratio `r` (-inf if
  // the matrix is not positive definite).
  double likelihood(const std::vector<double>& theta, double r) const;

  const ArchitectureEncoder* encoder_;
  std::vector<std::vector<int>> x_;
  std::vector<Eigen::MatrixXd> mismatch_;  // per choice, between x_
  Eigen::VectorXd target_;                 // y minus its mean
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;  // (R + r I)^-1 target
  double mean_ = 0;        // the constant prior mean (mean of y)
  double signal_ = 1;      // s
  std::vector<double> theta_;
  double noise_ratio_ = 0.01;
};

// Expected improvement over `best` of a Gaussian(mean, sd) (maximising).
double expected_improvement(double mean, double sd, double best);

// Normal scores of `values`: the i-th becomes the standard normal quantile of
// (rank_i - 0.5) / n, ties sharing their mean rank. Scale-free and robust to
// a long tail of bad results.
std::vector<double> normal_scores(const std::vector<double>& values);

}  // namespace tuner
}  // namespace archer

#endif  // ARCHER_TUNER_GP_MODEL_H_
