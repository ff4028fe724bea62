// Finding every process of a local trial, including descendants that left
// its process group (setsid(), a double fork): each carries the trial's
// NNI_EXP_ID, NNI_TRIAL_JOB_ID and NNI_SYS_DIR in its environment (run.sh
// exports them and children inherit them), which /proc shows for processes of
// the same user whatever their parent now is. The trial directory makes the
// match unique on the machine: two experiments (or tests) with the same
// experiment and trial ids never kill each other's processes. A process that
// also clears its environment escapes this (a cgroup would be needed; none is
// delegated here).
#ifndef ARCHER_TRAINING_SERVICE_LOCAL_TRIAL_PROCESSES_H_
#define ARCHER_TRAINING_SERVICE_LOCAL_TRIAL_PROCESSES_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace archer {

// The processes (other than this one) whose environment has
// NNI_EXP_ID=`experiment_id`, NNI_TRIAL_JOB_ID=`trial_id` and
// NNI_SYS_DIR=`trial_dir`.
std::vector<pid_t> trial_processes(const std::string& experiment_id,
                                   const std::string& trial_id,
                                   const std::string& trial_dir);

// SIGKILLs every process trial_processes() finds; returns how many.
int kill_trial_processes(const std::string& experiment_id,
                         const std::string& trial_id,
                         const std::string& trial_dir);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_LOCAL_TRIAL_PROCESSES_H_
