// What both Slurm modes (one job per trial, pilot workers) ask the
// scheduler, as plain functions for the service's background worker: sbatch
// (plain or --array), squeue over a set of jobs (array elements listed one by
// one), a job's final state from scontrol or sacct, and Slurm's time format.
// Every command is bounded in time; none runs on the manager's thread.
#ifndef ARCHER_TRAINING_SERVICE_SLURM_SLURM_JOBS_H_
#define ARCHER_TRAINING_SERVICE_SLURM_SLURM_JOBS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archer/status.h"
#include "training_service/background_worker.h"

namespace archer {

using SlurmEnv = std::map<std::string, std::string>;

// `s` without trailing newlines and spaces.
std::string trim_right(std::string s);

// A job state that waits for resources (PENDING, REQUEUED, ...).
bool slurm_waiting(const std::string& state);
// Waiting, running or completing: the job is still the scheduler's.
bool slurm_live(const std::string& state);

// Runs `argv` (an sbatch --parsable command line): the job id it printed
// ("<id>" of "<id>[;cluster]"), or why not (sbatch's own words).
StatusOr<std::string> run_sbatch(const std::vector<std::string>& argv,
                                 const SlurmEnv& env, const std::string& what);

struct SlurmJobState {
  std::string state, reason;
};
// squeue's state of each listed job still in the queue ("<id>" or
// "<array id>_<index>"); a job missing from the map has left it. An error
// when squeue itself failed (slurmctld away).
StatusOr<std::map<std::string, SlurmJobState>> squeue_states(
    const std::vector<std::string>& jobs, const SlurmEnv& env);

// A job's final state from scontrol (or sacct once scontrol forgot it),
// with scontrol's Reason; "" if neither knows it.
std::string slurm_final_state(const std::string& job, const SlurmEnv& env,
                              std::string* reason);

// `scancel <job>` as a BackgroundWorker job: a failure is logged (naming the
// job) when its completion runs.
BackgroundWorker::Job scancel_job(const std::string& job, const SlurmEnv& env);

// Slurm's time format ("30", "5:00", "1:00:00", "2-0", "2-12:30:00") in
// seconds; nullopt if it is not one (or "UNLIMITED").
std::optional<long long> slurm_time_seconds(const std::string& text);

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_SLURM_SLURM_JOBS_H_
