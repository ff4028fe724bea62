// NNI's Medianstop (the median stopping rule, Google Vizier): a trial at step
// S (S intermediate results, S >= start_step) is Bad when its best result so
// far is strictly worse than the median, over the trials that SUCCEEDED
// with at least S results, of their running averages at step S. Exactly
// NNI v2.10's medianstop_assessor.py: a trial enters the completed set only
// if it was assessed at least once (it reached start_step) and succeeded;
// the median is the lower one when maximizing and the upper one when
// minimizing (NNI's indices (n-1)//2 and n//2).
#ifndef ARCHER_ASSESSOR_MEDIANSTOP_ASSESSOR_H_
#define ARCHER_ASSESSOR_MEDIANSTOP_ASSESSOR_H_

#include <map>
#include <string>
#include <vector>

#include "archer/assessor.h"

namespace archer {

class MedianstopAssessor : public Assessor {
 public:
  MedianstopAssessor(OptimizeMode mode, int start_step)
      : maximize_(mode == OptimizeMode::kMaximize), start_step_(start_step) {}
  AssessResult assess_trial(const std::string& trial_id,
                            const std::vector<double>& history) override;
  void trial_end(const std::string& trial_id, bool success) override;
  std::string last_reason() const override { return reason_; }

 private:
  bool maximize_;
  int start_step_;
  std::map<std::string, std::vector<double>> running_;
  std::map<std::string, std::vector<double>> completed_avg_;
  std::string reason_;
};

// MedianstopAssessor's registry entry: NNI's name, classArgs and factory.
AssessorSpec medianstop_assessor_spec();

}  // namespace archer

#endif  // ARCHER_ASSESSOR_MEDIANSTOP_ASSESSOR_H_
