// NNI's run.sh for a local trial (spec §3.2), with values quoted safely (NNI
// bug #14).
#ifndef ARCHER_TRAINING_SERVICE_RUN_SCRIPT_H_
#define ARCHER_TRAINING_SERVICE_RUN_SCRIPT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archer/training_service.h"

namespace archer {

// 'value' for bash, with embedded single quotes escaped.
std::string shell_quote(const std::string& value);

// The script: exports NNI's variables (NNI_PLATFORM=local, NNI_EXP_ID,
// NNI_SYS_DIR, NNI_TRIAL_JOB_ID, NNI_OUTPUT_DIR, NNI_TRIAL_SEQ_ID,
// NNI_CODE_DIR) and spec.env, cds to the code directory, runs the command with
// stdout/stderr to the trial directory and writes
// "<exit code> <epoch ms>" to .nni/state when the command ends (so the outcome
// outlives the manager). Each start is counted in .nni/starts: a trial started
// again in its directory (a requeued Slurm job) gets ARCHER_TRIAL_RESTARTS =
// the starts before it (0 the first time), so it can resume from what it saved
// in its output directory; an earlier start's .nni/state is removed.
// `platform` is NNI_PLATFORM's value; `path_prefix` (may be empty) is put in
// front of PATH (NNI's pythonPath on remote hosts).
std::string local_run_script(const TrialSpec& spec,
                             const std::string& platform = "local",
                             const std::string& path_prefix = "");

// The same with every option: `raw_exports` are written as `export <line>`
// unquoted, after spec.env, for values the shell computes where the trial
// runs (the Slurm job's CPUs); only Archer's own constants go there, never
// user input.
struct RunScriptOptions {
  std::string platform = "local";
  std::string path_prefix;
  std::vector<std::string> raw_exports;
};
std::string run_script(const TrialSpec& spec, const RunScriptOptions& options);

// What run.sh left in .nni/state: "<exit code> <epoch ms>".
struct ExitState {
  long long code = -1;
  long long time_ms = 0;
};
// Read as the trial's own file (open_beneath: no symlink, regular file, a
// bounded read); nullopt if missing or malformed.
std::optional<ExitState> read_exit_state(const std::string& trial_dir);

// The first whitespace-separated word of a small file in the trial
// directory (.nni/pid, .nni/jobid), read the same way; "" if there is none.
std::string read_trial_word(const std::string& trial_dir,
                            const std::string& relative);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_RUN_SCRIPT_H_
