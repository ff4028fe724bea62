// The per-trial overhead measurement shared by trial_overhead_bench (local,
// concurrency 1 and 2) and platform_overhead_bench (each platform): trials
// that only report a result, run by the manager through a training service.
#ifndef ARCHER_BENCH_OVERHEAD_RUN_H_
#define ARCHER_BENCH_OVERHEAD_RUN_H_

#include <memory>
#include <string>

#include "archer/config.h"
#include "archer/training_service.h"
#include "dispatcher/dispatcher_process.h"

namespace archer {
namespace bench {

struct OverheadResult {
  double seconds = 0, per_second = 0;
  double first_start_ms = 0;  // from start() to the first trial's start
  double gap_ms = 0;  // mean from a trial's exit to the next one's start
  int succeeded = 0;
};

// `trials` trials of a shell printf of one FINAL record, Random without
// repeats check, `concurrency` at once; code directory `dir`.
ExperimentConfig overhead_config(int trials, int concurrency,
                                 const std::string& dir);

// Runs `c` through `service` (store under <dir>/exp) until it is DONE; with
// `dispatcher`, NNI's dispatcher is the tuner (c.external_tuner).
OverheadResult run_overhead(const ExperimentConfig& c,
                            std::unique_ptr<TrainingService> service,
                            const std::string& dir,
                            const DispatcherOptions* dispatcher = nullptr);

}  // namespace bench
}  // namespace archer

#endif  // ARCHER_BENCH_OVERHEAD_RUN_H_
