// Process settings that make CPU LibTorch trials fast (measured in
// docs/benchmarks.md), applied by get_and_apply_next_architecture() unless
// ARCHER_RUNTIME_DEFAULTS=0, and callable directly:
//
//  * glibc malloc: M_MMAP_THRESHOLD 32 MiB and M_TRIM_THRESHOLD 256 MiB, so
//    large tensors are reused from the heap instead of being mmap'ed and
//    page-faulted on every allocation (about 3x CNN training throughput with
//    Debian's LibTorch). Skipped when GLIBC_TUNABLES already sets malloc
//    tunables (Archer's local training service sets exactly these for every
//    trial process, Python ones too).
//  * LibTorch intra-op threads: OMP_NUM_THREADS if set (Archer's local service
//    sets cores / trialConcurrency so concurrent trials do not oversubscribe
//    the cores), else every core; ARCHER_NUM_THREADS overrides both.
//
// Neither changes what is computed, only how fast (thread count may change
// the rounding of parallel reductions, as any LibTorch thread setting does).
// What was applied is logged once on stderr.
#ifndef ARCHER_NN_RUNTIME_H_
#define ARCHER_NN_RUNTIME_H_

#include <string>

namespace archer {

struct RuntimeSettings {
  bool enabled = false;       // false: ARCHER_RUNTIME_DEFAULTS=0
  bool malloc_tuned = false;  // mallopt applied here
  int threads = 0;            // LibTorch intra-op threads set
  std::string describe() const;
};

// Applies the settings once per process (later calls return the first
// result).
RuntimeSettings apply_runtime_defaults();

}  // namespace archer

#endif  // ARCHER_NN_RUNTIME_H_
