#include "assessor/curve_model.h"

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <unsupported/Eigen/NonLinearOptimization>
#include <utility>

namespace archer {

namespace {

using Params = std::vector<double>;

struct Family {
  std::string name;
  Params defaults;  // the published starting values (Domhan et al., NNI)
  std::function<double(double x, const Params& p)> f;
};

const std::vector<Family>& families() {
  static const std::vector<Family>* all = new std::vector<Family>{
      {"vap",
       {-0.622028, -0.470050, 0.042322},
       [](double x, const Params& p) {
         return std::exp(p[0] + p[1] / x + p[2] * std::log(x));
       }},
      {"pow3",
       {0.84, 0.52, 0.01},
       [](double x, const Params& p) {
         return p[0] - p[1] * std::pow(x, -p[2]);
       }},
      {"linear",
       {1., 0.},
       [](double x, const Params& p) { return p[0] * x + p[1]; }},
      {"logx_linear",
       {0.378106, 0.046506},
       [](double x, const Params& p) { return p[0] * std::log(x) + p[1]; }},
      {"dr_hill_zero_background",
       {0.772320, 0.586449, 2.460843},
       [](double x, const Params& p) {
         return p[0] * std::pow(x, p[1]) /
                (std::pow(p[2], p[1]) + std::pow(x, p[1]));
       }},
      {"log_power",
       {0.77, 2.98, -0.51},
       [](double x, const Params& p) {
         return p[0] / (1. + std::pow(x / std::exp(p[1]), p[2]));
       }},
      {"pow4",
       {0.1, 200, 0., 0.8},
       [](double x, const Params& p) {
         return p[3] - std::pow(p[1] * x + p[2], -p[0]);
       }},
      {"mmf",
       {0.7, 0.1, 0.01, 5},
       [](double x, const Params& p) {
         return p[0] - (p[0] - p[1]) / (1. + std::pow(p[2] * x, p[3]));
       }},
      {"exp4",
       {0.7, 0.8, -0.8, 0.3},
       [](double x, const Params& p) {
         return p[0] - std::exp(-p[1] * std::pow(x, p[3]) + p[2]);
       }},
      {"ilog2",
       {0.78, 0.43},
       [](double x, const Params& p) { return p[0] - p[1] / std::log(x); }},
      {"weibull",
       {0.7, 0.1, 0.01, 1},
       [](double x, const Params& p) {
         return p[0] - (p[0] - p[1]) * std::exp(-std::pow(p[2] * x, p[3]));
       }},
      {"janoschek",
       {0.73, 0.07, 0.355, 0.46},
       [](double x, const Params& p) {
         return p[0] - (p[0] - p[1]) * std::exp(-p[2] * std::pow(x, p[3]));
       }},
  };
  return *all;
}

// Residuals of one family at the points (1, y[0]) ... (n, y[n-1]), in the
// shape Eigen's MINPACK port wants, with MINPACK lmdif's forward-difference
// Jacobian (fdjac2: step sqrt(eps) * |p_j|, f(p) reused), so evaluations
// count as scipy's curve_fit counts them.
struct Residuals {
  using Scalar = double;
  enum {
    InputsAtCompileTime = Eigen::Dynamic,
    ValuesAtCompileTime = Eigen::Dynamic
  };
  using InputType = Eigen::VectorXd;
  using ValueType = Eigen::VectorXd;
  using JacobianType = Eigen::MatrixXd;

  const Family* family;
  const std::vector<double>* y;
  // The last points evaluated (the Jacobian is asked at one of them).
  std::vector<std::pair<Eigen::VectorXd, Eigen::VectorXd>> recent;

  void eval(const Eigen::VectorXd& p, Eigen::VectorXd& out) const {
    const Params params(p.data(), p.data() + p.size());
    for (size_t i = 0; i < y->size(); ++i)
      out[static_cast<Eigen::Index>(i)] =
          family->f(static_cast<double>(i + 1), params) - (*y)[i];
  }
  int operator()(const Eigen::VectorXd& p, Eigen::VectorXd& out) {
    eval(p, out);
    recent.emplace_back(p, out);
    if (recent.size() > 4) recent.erase(recent.begin());
    return 0;
  }
  int df(const Eigen::VectorXd& p, Eigen::MatrixXd& jac) {
    Eigen::VectorXd f0(values());
    int calls = 0;
    auto hit = std::find_if(recent.rbegin(), recent.rend(),
                            [&](const auto& r) { return r.first == p; });
    if (hit != recent.rend()) {
      f0 = hit->second;
    } else {
      eval(p, f0);
      ++calls;
    }
    const double eps = std::sqrt(std::numeric_limits<double>::epsilon());
    Eigen::VectorXd q = p, f1(values());
    for (Eigen::Index j = 0; j < p.size(); ++j) {
      double h = eps * std::abs(p[j]);
      if (h == 0) h = eps;
      q[j] = p[j] + h;
      eval(q, f1);
      ++calls;
      q[j] = p[j];
      jac.col(j) = (f1 - f0) / h;
    }
    return calls;
  }
  int inputs() const { return static_cast<int>(family->defaults.size()); }
  int values() const { return static_cast<int>(y->size()); }
};

bool all_finite(const Params& p) {
  return std::all_of(p.begin(), p.end(),
                     [](double v) { return std::isfinite(v); });
}

// Least squares from all ones (curve_fit's start, its 200 * (n + 1)
// evaluations); the defaults on failure.
Params fit(const Family& family, const std::vector<double>& y) {
  const size_t n = family.defaults.size();
  Residuals residuals{&family, &y, {}};
  Eigen::VectorXd p = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(n));
  Eigen::VectorXd start(static_cast<Eigen::Index>(y.size()));
  residuals.eval(p, start);
  if (y.size() < n || !start.allFinite()) return family.defaults;
  Eigen::LevenbergMarquardt<Residuals> lm(residuals);
  lm.parameters.maxfev = static_cast<int>(200 * (n + 1));
  const auto status = lm.minimize(p);
  using S = Eigen::LevenbergMarquardtSpace::Status;
  const bool converged = status == S::RelativeReductionTooSmall ||
                         status == S::RelativeErrorTooSmall ||
                         status == S::RelativeErrorAndReductionTooSmall ||
                         status == S::CosinusTooSmall;
  Params out(p.data(), p.data() + p.size());
  return converged && all_finite(out) ? out : family.defaults;
}

constexpr int kChains = 10;
constexpr int kSteps = 20;
constexpr double kStepSize = 0.0005;
constexpr size_t kLeastFamilies = 4;

// The families' values at steps 1..n (rows 0..n-1) and at the target (row n).
using Table = std::vector<std::vector<double>>;

double combined(const Table& values, size_t row, const std::vector<double>& w) {
  double sum = 0;
  for (size_t k = 0; k < w.size(); ++k) sum += w[k] * values[k][row];
  return sum;
}

// The unnormalised posterior of one weight vector (NNI's likelihood * prior,
// its density written as it is: exp(-d^2 / 2s^2) / sqrt(2 pi sqrt(s^2))).
double posterior(const Table& values, const std::vector<double>& y,
                 const std::vector<double>& w) {
  const size_t n = y.size();
  for (double v : w) {
    if (!(v > 0)) return 0;
  }
  if (combined(values, 0, w) >= combined(values, n, w)) return 0;
  double sigma_sq = 0;
  std::vector<double> delta(n);
  for (size_t j = 0; j < n; ++j) {
    delta[j] = y[j] - combined(values, j, w);
    sigma_sq += delta[j] * delta[j];
  }
  sigma_sq /= static_cast<double>(n);
  const double norm = std::sqrt(2 * M_PI * std::sqrt(sigma_sq));
  double likelihood = 1;
  for (size_t j = 0; j < n; ++j)
    likelihood *= std::exp(delta[j] * delta[j] / (-2.0 * sigma_sq)) / norm;
  return likelihood;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

double population_std(const std::vector<double>& v) {
  const double mean =
      std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

}  // namespace

const std::vector<std::string>& curve_family_names() {
  static const std::vector<std::string>* names = [] {
    auto* out = new std::vector<std::string>;
    for (const Family& f : families()) out->push_back(f.name);
    return out;
  }();
  return *names;
}

std::optional<CurvePrediction> predict_curve(const std::vector<double>& y,
                                             int target_step,
                                             std::mt19937_64& rng) {
  const size_t n = y.size();
  if (n == 0) return std::nullopt;
  const double avg =
      std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
  const double standard = avg * avg * static_cast<double>(n);
  // Fit, then the squared-error filter.
  std::vector<size_t> fitting;
  std::vector<Params> params(families().size());
  std::vector<double> at_last;
  for (size_t k = 0; k < families().size(); ++k) {
    const Family& family = families()[k];
    params[k] = fit(family, y);
    double var = 0;
    for (size_t j = 0; j < n; ++j) {
      const double d = family.f(static_cast<double>(j + 1), params[k]) - y[j];
      var += d * d;
    }
    if (var < standard) {
      fitting.push_back(k);
      at_last.push_back(family.f(static_cast<double>(n), params[k]));
    }
  }
  if (fitting.empty()) return std::nullopt;
  // The consistency filter: predictions at the target near the median of the
  // predictions at the last step.
  const double median = median_of(at_last);
  const double epsilon = static_cast<double>(n) / 10 * population_std(at_last);
  CurvePrediction out;
  Table values;  // per kept family: steps 1..n, then the target
  for (size_t k : fitting) {
    const Family& family = families()[k];
    const double at_target =
        family.f(static_cast<double>(target_step), params[k]);
    if (!(at_target < median + epsilon && at_target > median - epsilon))
      continue;
    std::vector<double> row;
    for (size_t j = 1; j <= n; ++j)
      row.push_back(family.f(static_cast<double>(j), params[k]));
    row.push_back(at_target);
    values.push_back(std::move(row));
    out.families.push_back(family.name);
  }
  if (out.families.size() < kLeastFamilies) return std::nullopt;
  // Metropolis over the weights.
  const size_t k = values.size();
  std::vector<std::vector<double>> chains(
      kChains, std::vector<double>(k, 1.0 / static_cast<double>(k)));
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (int step = 0; step < kSteps; ++step) {
    std::vector<std::vector<double>> proposals = chains;
    for (auto& w : proposals) {
      for (double& v : w) v += normal(rng) * kStepSize;
      const double total = std::accumulate(w.begin(), w.end(), 0.0);
      for (double& v : w) v /= total;
    }
    for (int c = 0; c < kChains; ++c) {
      const double ratio =
          posterior(values, y, proposals[c]) / posterior(values, y, chains[c]);
      const double alpha = std::isnan(ratio) ? ratio : std::min(1.0, ratio);
      if (uniform(rng) < alpha) chains[c] = proposals[c];
    }
  }
  double sum = 0;
  for (const auto& w : chains) sum += combined(values, n, w);
  out.value = sum / kChains;
  return out;
}

}  // namespace archer
