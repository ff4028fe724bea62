#include "archer/nn/runtime.h"

#include <malloc.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

namespace archer {

namespace {

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return *end == '\0' && n > 0 && n < 4096 ? static_cast<int>(n) : 0;
}

}  // namespace

std::string RuntimeSettings::describe() const {
  if (!enabled) return "runtime defaults off (ARCHER_RUNTIME_DEFAULTS=0)";
  return std::string(malloc_tuned ? "malloc mmap/trim thresholds 32/256 MiB"
                                  : "malloc as set by GLIBC_TUNABLES") +
         ", " + std::to_string(threads) +
         " LibTorch thread(s) (ARCHER_RUNTIME_DEFAULTS=0 turns this off)";
}

RuntimeSettings apply_runtime_defaults() {
  static std::once_flag once;
  static RuntimeSettings applied;
  std::call_once(once, [] {
    const char* off = std::getenv("ARCHER_RUNTIME_DEFAULTS");
    if (off && std::strcmp(off, "0") == 0) {
      applied.enabled = false;
      return;
    }
    applied.enabled = true;
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (!tunables || !std::strstr(tunables, "glibc.malloc.")) {
      applied.malloc_tuned = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 &&
                             mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
    }
    int threads = env_int("ARCHER_NUM_THREADS");
    if (!threads) threads = env_int("OMP_NUM_THREADS");
    if (!threads)
      threads =
          static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    applied.threads = threads;
    std::cerr << "archer: " << applied.describe() << std::endl;
  });
  return applied;
}

}  // namespace archer
