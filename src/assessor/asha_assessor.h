// ASHA: asynchronous successive halving (Li et al., "A System for Massively
// Parallel Hyperparameter Tuning", MLSys 2020) as an assessor, for any tuner
// (Archer's; NNI has none). Rungs are at min_step * eta^k intermediate
// results (k = 0, 1, ...; up to max_step). A trial reaching a rung records
// its result there and goes on only if that result is in the top 1/eta of
// the results recorded at that rung so far (itself included): no waiting
// for a full bracket. While a rung has fewer than eta results nobody is
// stopped there for lack of peers. Past max_step a trial is never stopped.
// With `brackets` > 1, Hyperband-style: a trial runs in bracket b (its id's
// hash mod brackets, so a resume assigns it again), whose rungs start at
// min_step * eta^b; each bracket ranks its own trials (bracket 0 is the
// aggressive one, higher brackets give every trial more steps first).
#ifndef ARCHER_ASSESSOR_ASHA_ASSESSOR_H_
#define ARCHER_ASSESSOR_ASHA_ASSESSOR_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "archer/assessor.h"

namespace archer {

class AshaAssessor : public Assessor {
 public:
  // `best_so_far`: a trial's result at a rung is its best result up to
  // that step rather than the one at that step (for noisy curves).
  AshaAssessor(OptimizeMode mode, int reduction_factor, int min_step,
               int max_step, int brackets = 1, bool best_so_far = false);
  AssessResult assess_trial(const std::string& trial_id,
                            const std::vector<double>& history) override;
  void trial_end(const std::string&, bool) override {}
  std::string last_reason() const override { return reason_; }
  // The rungs' steps of a bracket (tests, docs).
  const std::vector<int>& rungs(int bracket = 0) const {
    return rungs_[static_cast<size_t>(bracket)];
  }
  int bracket_of(const std::string& trial_id) const;

 private:
  bool maximize_;
  int eta_;
  bool best_so_far_;
  std::vector<std::vector<int>> rungs_;  // per bracket
  // Per bracket and rung: each trial's result there (recorded once).
  std::vector<std::vector<std::map<std::string, double>>> recorded_;
  std::string reason_;
};

// AshaAssessor's registry entry: NNI's name, classArgs and factory.
AssessorSpec asha_assessor_spec();

}  // namespace archer

#endif  // ARCHER_ASSESSOR_ASHA_ASSESSOR_H_
