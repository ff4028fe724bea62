// Learning-curve extrapolation (Domhan et al. 2015, as NNI's Curvefitting
// assessor does it): predicts a trial's result at a later step from its
// intermediate results so far.
//
// predict_curve(history, target_step, rng):
// 1. fits each of the 12 curve families (vap, pow3, linear, logx_linear,
//    dr_hill_zero_background, log_power, pow4, mmf, exp4, ilog2, weibull,
//    janoschek) to the points (1, history[0]) ... (n, history[n-1]) by least
//    squares: MINPACK's Levenberg-Marquardt (Eigen's port; scipy's curve_fit
//    runs the same algorithm) from all-ones parameters; a fit that fails or
//    leaves a non-finite value takes the family's published default
//    parameters;
// 2. keeps the families whose squared error is below n * mean(history)^2,
//    then of those the ones whose prediction at `target_step` is within
//    n/10 * std of the median of their predictions at step n (NNI's filter);
// 3. with fewer than 4 families left there is no prediction (nullopt);
// 4. otherwise weights the families by 20 Metropolis steps of 10 chains
//    (step 0.0005 from equal weights; likelihood of the residuals, prior:
//    positive weights and a curve that rises from step 1 to the target) and
//    returns the mean over the chains of the weighted prediction.
// Deterministic for a given `rng` state. Costs well under a millisecond for
// histories of tens of points.
#ifndef ARCHER_ASSESSOR_CURVE_MODEL_H_
#define ARCHER_ASSESSOR_CURVE_MODEL_H_

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace archer {

struct CurvePrediction {
  double value = 0;
  std::vector<std::string> families;  // the ones that were combined
};

std::optional<CurvePrediction> predict_curve(const std::vector<double>& history,
                                             int target_step,
                                             std::mt19937_64& rng);

// The family names, in NNI's order (for tests and messages).
const std::vector<std::string>& curve_family_names();

}  // namespace archer

#endif  // ARCHER_ASSESSOR_CURVE_MODEL_H_
