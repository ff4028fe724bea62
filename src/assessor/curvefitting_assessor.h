// NNI's Curvefitting assessor (learning-curve extrapolation, Domhan et al.
// 2015): a trial with at least start_step intermediate results, judged every
// `gap` results, is Bad when its curve extrapolated to epoch_num
// (assessor/curve_model.h) is at most threshold * the best last intermediate
// result of the trials that SUCCEEDED. Good while no trial has succeeded, and
// whenever the curve cannot be extrapolated (fewer than 4 curve families fit).
// Maximises (NNI: "Curve fitting does not support minimizing loss").
//
// Where Archer differs from NNI v2.10, on purpose:
// * a succeeded trial's best-performance candidate is its own last
//   intermediate result (NNI takes the last history assessed, which may be
//   another trial's), and a trial that never reported one counts for nothing;
// * a family whose fit fails starts from its defaults each time (NNI keeps
//   the last successful fit of any trial in module globals);
// * the weight sampling is seeded per trial and step, so decisions repeat;
// * it needs no NumPy: NNI v2.10's sampler uses np.float, removed in NumPy
//   1.24 (Debian 12's), where NNI's Curvefitting logs an exception and so
//   never stops a trial that enough curve families fit.
#ifndef ARCHER_ASSESSOR_CURVEFITTING_ASSESSOR_H_
#define ARCHER_ASSESSOR_CURVEFITTING_ASSESSOR_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archer/assessor.h"

namespace archer {

class CurvefittingAssessor : public Assessor {
 public:
  CurvefittingAssessor(int epoch_num, int start_step, double threshold, int gap)
      : epoch_num_(epoch_num),
        start_step_(start_step),
        threshold_(threshold),
        gap_(gap) {}
  AssessResult assess_trial(const std::string& trial_id,
                            const std::vector<double>& history) override;
  void trial_end(const std::string& trial_id, bool success) override;
  std::string last_reason() const override { return reason_; }

 private:
  int epoch_num_;
  int start_step_;
  double threshold_;
  int gap_;
  std::map<std::string, double> last_result_;    // running trials
  std::map<std::string, size_t> last_judgment_;  // steps judged at
  std::optional<double> best_;  // best last result of the succeeded trials
  std::string reason_;
};

// CurvefittingAssessor's registry entry: NNI's name, classArgs and factory.
AssessorSpec curvefitting_assessor_spec();

}  // namespace archer

#endif  // ARCHER_ASSESSOR_CURVEFITTING_ASSESSOR_H_
