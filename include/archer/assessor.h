// Assessors decide, from a running trial's intermediate results, whether it
// is worth finishing (NNI's Assessor: assess_trial / trial_end). The manager
// asks in the step that stores each intermediate result and stops a trial
// judged Bad as EARLY_STOPPED, through its training service.
//
// `history` is the trial's intermediate results from sequence 0 on, as
// scalars (NNI's extract_scalar_history), without gaps: the manager asks
// only when the reported sequences form a prefix (NNI's dispatcher skips a
// record that leaves a gap, and asks again once it is filled).
// Thread-safety: one caller.
#ifndef ARCHER_ASSESSOR_H_
#define ARCHER_ASSESSOR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archer/status.h"
#include "archer/tuner.h"

namespace archer {

enum class AssessResult { kGood, kBad };

class Assessor {
 public:
  virtual ~Assessor() = default;
  virtual AssessResult assess_trial(const std::string& trial_id,
                                    const std::vector<double>& history) = 0;
  // The trial ended; `success`: it SUCCEEDED.
  virtual void trial_end(const std::string& trial_id, bool success) = 0;
  // Why the last assess_trial() said Bad, for the trial's stored message.
  virtual std::string last_reason() const { return ""; }
};

// NNI's assessor names and classArgs ("Medianstop"), as the tuner registry:
// missing arguments take NNI's defaults; errors name the assessor, the
// argument and what is allowed.
StatusOr<std::unique_ptr<Assessor>> create_assessor(const std::string& name,
                                                    const Json& class_args);
// An assessor's registration: its classArgs table (a TunerSpec of kind
// "assessor", so arguments are checked and documented as the tuners' are)
// and a factory from validated classArgs.
struct AssessorSpec {
  TunerSpec args;  // name, doc, classArgs table, cross-argument check
  std::function<std::unique_ptr<Assessor>(const Json& args)> factory;
};
void register_assessor(AssessorSpec spec);
std::optional<AssessorSpec> find_assessor(const std::string& name);
std::vector<std::string> assessor_names();
// The registered assessors' classArgs as markdown (docs/assessors.md).
std::string assessors_markdown();

}  // namespace archer

#endif  // ARCHER_ASSESSOR_H_
