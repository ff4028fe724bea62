// The Slurm pilot worker: a bash script (written once per experiment to
// <pilot>/worker.sh) that one Slurm job runs for as long as it holds its
// allocation, starting the trials the manager assigns to it. No server, no
// port: the manager and the worker talk through files in the worker's
// directory <pilot>/w<N>/, on the filesystem the nodes share with the
// manager (the trials' directories are there already):
//
//   ready        the worker's "<epoch ms> <host> <pid>" once it runs
//   s<i>.assign  manager -> worker: the trial directory for slot i
//   s<i>.run     the worker took it (renamed from .assign) and started
//                <trial>/run.sh in a process group of its own; removed when
//                that ends (its outcome is the trial's .nni/state, as on
//                every platform)
//   s<i>.cancel  manager -> worker: "<grace ms>": SIGTERM to the trial's
//                group, SIGKILL once the grace is over (or at once when the
//                trial's run.sh is gone and others in its group remain)
//   stop         manager -> worker: stop every trial and exit
//   gone         the worker's last word ("idle", "stopped") before it exits
//
// Slots split the allocation: slot i gets CUDA_VISIBLE_DEVICES = the i-th
// group of <gpus per trial> devices of the job's own list, and
// ARCHER_SLOT_CPUS = the job's CPUs / slots (run.sh's OMP_NUM_THREADS when
// cpusPerTrial is unset). A worker with nothing to run for <idle seconds>
// exits, so an allocation outlives its manager by at most that much. It
// checks its files every 10 ms without starting a process (a read with a
// timeout on a private FIFO), so a trial starts within ~10 ms of its
// assignment.
//
// Arguments: <pilot dir> <first worker number> <slots> <gpus per trial>
// <idle seconds>; worker N = first + SLURM_ARRAY_TASK_ID.
#ifndef ARCHER_TRAINING_SERVICE_SLURM_PILOT_WORKER_H_
#define ARCHER_TRAINING_SERVICE_SLURM_PILOT_WORKER_H_

#include <string>

namespace archer {

// The script's text. `prelude` (tests only) runs first.
std::string pilot_worker_script(const std::string& prelude = "");

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_SLURM_PILOT_WORKER_H_
