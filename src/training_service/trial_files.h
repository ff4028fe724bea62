// The trial bookkeeping every platform shares: NNI's trial directory
// (parameter.cfg, run.sh, .nni/metrics; run_script.h writes the script and
// reads what it leaves: .nni/state, .nni/pid), the events a service reports,
// the end reason from an exit state, cancel with a grace period, and the
// per-trial thread count. A service keeps only what is specific to where
// its processes run.
#ifndef ARCHER_TRAINING_SERVICE_TRIAL_FILES_H_
#define ARCHER_TRAINING_SERVICE_TRIAL_FILES_H_

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "archer/training_service.h"
#include "training_service/run_script.h"

namespace archer {

// Writes `text` to `path` (created or truncated, mode `mode`).
Status write_text_file(const std::string& path, const std::string& text,
                       mode_t mode = 0644);

// NNI's trial directory at `dir`: .nni/ with an empty metrics file,
// parameter.cfg (the record, verbatim) and run.sh (`script`, executable).
// Errors name the file.
Status write_trial_directory(const std::string& dir,
                             const std::string& parameter_record,
                             const std::string& script);

TrialEvent started_event(const std::string& trial_id,
                         const std::string& handle);
TrialEvent ended_event(const std::string& trial_id, TrialStatus status,
                       std::optional<int> exit_code, std::int64_t time_ms,
                       const std::string& message);
// The end a trial's run.sh reported ("<code> <ms>" in .nni/state): SUCCEEDED
// for 0, else FAILED "exit code N"; the time is the state's.
TrialEvent exit_state_event(const std::string& trial_id,
                            const ExitState& state);

// A cancel in progress: the status the trial ends with, and when SIGKILL
// follows the SIGTERM.
struct CancelState {
  std::optional<TrialStatus> status;
  std::optional<std::chrono::steady_clock::time_point> kill_at;
  // Records the request; false if one was made already (nothing to do).
  bool request(TrialStatus reason, std::chrono::milliseconds grace);
  // True once, when the grace period is over.
  bool kill_due(std::chrono::steady_clock::time_point now);
  // A cancelled trial ends with the cancel's status, whatever it exited with.
  void apply(TrialEvent& ended) const;
};
constexpr std::chrono::milliseconds kDefaultKillGrace{5000};

// A service's poll() loop: waits until one of `fds` is readable or `until`
// (at least 1 ms, at most until then), and hands out the events gathered.
// Negative fds are ignored.
void wait_readable(std::initializer_list<int> fds,
                   std::chrono::steady_clock::time_point until);
// True if `fd` (>= 0) is readable now.
bool fd_readable(int fd);
std::vector<TrialEvent> take_events(std::deque<TrialEvent>& ready);

// OMP_NUM_THREADS for a trial on a host with `cores` cores shared by up to
// `sharing` trials: cores / sharing, at least 1; the manager's own
// OMP_NUM_THREADS, when set, wins. Sets it in `spec.env` unless the spec has
// one.
void set_trial_threads(TrialSpec& spec, unsigned cores, int sharing);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_TRIAL_FILES_H_
