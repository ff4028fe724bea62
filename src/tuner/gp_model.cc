#include "tuner/gp_model.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>

#include "tuner/ranks.h"

namespace archer {
namespace tuner {

namespace {

// The grid of the first tuning step: a common factor of every relevance
// (0.5 initially: two architectures one decision apart correlate by 0.61)
// and the noise ratio.
constexpr double kScales[] = {0.5, 1, 2};
constexpr double kNoiseRatios[] = {1e-3, 1e-2, 0.1, 0.3};
constexpr double kInitialRelevance = 0.5;
constexpr double kMinRelevance = 1e-3, kMaxRelevance = 20;

}  // namespace

ArchitectureEncoder::ArchitectureEncoder(const SearchSpace& space)
    : space_(&space) {
  const auto& choices = space.choices();
  for (size_t c = 0; c < choices.size(); ++c) {
    first_.push_back(choice_of_.size());
    const size_t n = choices[c].type == ChoiceType::kLayerChoice
                         ? 1
                         : choices[c].candidates.size();
    const double w = choices[c].type == ChoiceType::kLayerChoice ? 1.0 : 0.5;
    choice_of_.insert(choice_of_.end(), n, c);
    weight_.insert(weight_.end(), n, w);
  }
}

std::vector<int> ArchitectureEncoder::encode(const Architecture& arch) const {
  std::vector<int> out(choice_of_.size(), 0);
  const auto& choices = space_->choices();
  for (size_t c = 0; c < choices.size() && c < arch.size(); ++c) {
    if (choices[c].type == ChoiceType::kLayerChoice) {
      out[first_[c]] = arch[c].empty() ? -1 : arch[c][0];
      continue;
    }
    for (int v : arch[c]) {
      if (v >= 0 && static_cast<size_t>(v) < choices[c].candidates.size())
        out[first_[c] + static_cast<size_t>(v)] = 1;
    }
  }
  return out;
}

void ArchitectureEncoder::mismatches(const std::vector<int>& a,
                                     const std::vector<int>& b,
                                     std::vector<double>& out) const {
  out.assign(first_.size(), 0.0);
  for (size_t f = 0; f < choice_of_.size(); ++f) {
    if (a[f] != b[f]) out[choice_of_[f]] += weight_[f];
  }
}

GpModel::GpModel(const ArchitectureEncoder& encoder)
    : encoder_(&encoder), theta_(encoder.choices(), kInitialRelevance) {}

Eigen::MatrixXd GpModel::correlations(const std::vector<double>& theta) const {
  const Eigen::Index n = static_cast<Eigen::Index>(x_.size());
  Eigen::MatrixXd exponent = Eigen::MatrixXd::Zero(n, n);
  for (size_t c = 0; c < theta.size(); ++c) exponent -= theta[c] * mismatch_[c];
  return exponent.array().exp().matrix();
}

double GpModel::likelihood(const std::vector<double>& theta, double r) const {
  const Eigen::Index n = target_.size();
  Eigen::MatrixXd k = correlations(theta);
  k.diagonal().array() += r;
  Eigen::LLT<Eigen::MatrixXd> llt(k);
  if (llt.info() != Eigen::Success)
    return -std::numeric_limits<double>::infinity();
  const double quad = std::max(target_.dot(llt.solve(target_)), 1e-12);
  const double log_det = 2 * llt.matrixLLT().diagonal().array().log().sum();
  // With s at its maximum, quad / n (constants dropped).
  return -0.5 * static_cast<double>(n) *
             std::log(quad / static_cast<double>(n)) -
         0.5 * log_det;
}

void GpModel::fit(const std::vector<std::vector<int>>& x,
                  const std::vector<double>& y, bool tune_hyperparameters) {
  const Eigen::Index n = static_cast<Eigen::Index>(x.size());
  const size_t choices = encoder_->choices();
  x_ = x;
  mismatch_.assign(choices, Eigen::MatrixXd::Zero(n, n));
  std::vector<double> m;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < i; ++j) {
      encoder_->mismatches(x_[static_cast<size_t>(i)],
                           x_[static_cast<size_t>(j)], m);
      for (size_t c = 0; c < choices; ++c) {
        if (m[c] != 0) mismatch_[c](i, j) = mismatch_[c](j, i) = m[c];
      }
    }
  }
  target_.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) target_(i) = y[static_cast<size_t>(i)];
  mean_ = n > 0 ? target_.mean() : 0.0;
  target_.array() -= mean_;
  if (tune_hyperparameters && n > 1) {
    // A common scale and the noise ratio on a grid...
    std::vector<double> base = theta_, best_theta = theta_;
    double best = -std::numeric_limits<double>::infinity();
    for (double scale : kScales) {
      std::vector<double> t = base;
      for (double& v : t)
        v = std::clamp(v * scale, kMinRelevance, kMaxRelevance);
      for (double r : kNoiseRatios) {
        const double ll = likelihood(t, r);
        if (ll > best) {
          best = ll;
          best_theta = t;
          noise_ratio_ = r;
        }
      }
    }
    // ...then each relevance halved or doubled, kept if better.
    for (size_t c = 0; c < choices; ++c) {
      for (double f : {0.5, 2.0}) {
        std::vector<double> t = best_theta;
        t[c] = std::clamp(t[c] * f, kMinRelevance, kMaxRelevance);
        if (t[c] == best_theta[c]) continue;
        const double ll = likelihood(t, noise_ratio_);
        if (ll > best) {
          best = ll;
          best_theta = t;
          break;
        }
      }
    }
    theta_ = best_theta;
  }
  Eigen::MatrixXd k = correlations(theta_);
  k.diagonal().array() += noise_ratio_;
  llt_.compute(k);
  alpha_ = llt_.solve(target_);
  signal_ = n > 0
                ? std::max(target_.dot(alpha_) / static_cast<double>(n), 1e-12)
                : 1.0;
}

std::vector<GpModel::Prediction> GpModel::predict(
    const std::vector<std::vector<int>>& points) const {
  const Eigen::Index n = static_cast<Eigen::Index>(x_.size());
  const Eigen::Index m = static_cast<Eigen::Index>(points.size());
  Eigen::MatrixXd cross(n, m);  // correlations training x points
  std::vector<double> mm;
  for (Eigen::Index j = 0; j < m; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) {
      encoder_->mismatches(x_[static_cast<size_t>(i)],
                           points[static_cast<size_t>(j)], mm);
      double e = 0;
      for (size_t c = 0; c < mm.size(); ++c) e += theta_[c] * mm[c];
      cross(i, j) = std::exp(-e);
    }
  }
  const Eigen::VectorXd means = cross.transpose() * alpha_;
  const Eigen::MatrixXd v = llt_.matrixL().solve(cross);  // L^-1 k*
  std::vector<Prediction> out(static_cast<size_t>(m));
  for (Eigen::Index j = 0; j < m; ++j) {
    const double var = signal_ * std::max(0.0, 1.0 - v.col(j).squaredNorm());
    out[static_cast<size_t>(j)] = {mean_ + means(j), std::sqrt(var)};
  }
  return out;
}

double expected_improvement(double mean, double sd, double best) {
  const double gain = mean - best;
  if (sd <= 1e-12) return std::max(gain, 0.0);
  const double z = gain / sd;
  const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
  return gain * cdf + sd * pdf;
}

std::vector<double> normal_scores(const std::vector<double>& values) {
  const boost::math::normal standard;
  const double n = static_cast<double>(values.size());
  std::vector<double> out = mean_ranks(values);
  for (double& r : out) r = boost::math::quantile(standard, (r - 0.5) / n);
  return out;
}

}  // namespace tuner
}  // namespace archer
