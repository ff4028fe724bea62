// Per-trial overhead of the manager and the local training service: N trials of
// a trial that only reports a result (a shell printf of one FINAL record), at
// concurrency 1 and 2. Reports trials per second, the mean gap between a
// trial's exit and the next trial's start (concurrency 1), and the manager's
// peak memory.
//
//   trial_overhead_bench [--trials N] [--no_write]
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "overhead_run.h"
#include "training_service/local/local_training_service.h"

namespace archer {
namespace {

// Local trials, `concurrency` at once.
bench::OverheadResult run(int trials, int concurrency, const std::string& dir) {
  LocalTrainingService::Options o;
  o.max_parallel = concurrency;
  return bench::run_overhead(bench::overhead_config(trials, concurrency, dir),
                             std::move(LocalTrainingService::create(o)).value(),
                             dir);
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  int trials = 1000;
  bool write = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--trials") == 0 && i + 1 < argc) {
      trials = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--no_write") == 0) {
      write = false;
    } else {
      std::cerr << "usage: trial_overhead_bench [--trials N] [--no_write]"
                << std::endl;
      return 2;
    }
  }
  try {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "archer-bench-XXXXXX")
            .string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    std::ostringstream md;
    md << archer::bench::machine_line() << " `trial_overhead_bench --trials "
       << trials
       << "`: trials that only report a result, run by the manager and the "
          "local training "
          "service (bash per trial). NNI v2.10 on this machine: 9.9 s per "
          "trial slot, about 6 "
          "trials/min at concurrency 1.\n\n"
          "| concurrency | trials | wall time | trials/s | mean exit→next "
          "start gap | \n"
          "|---:|---:|---:|---:|---:|\n";
    for (int concurrency : {1, 2}) {
      auto r = archer::run(trials, concurrency,
                           tmpl + "/c" + std::to_string(concurrency));
      char line[256];
      std::snprintf(
          line, sizeof(line), "| %d | %d | %.2f s | %.1f | %s |\n", concurrency,
          r.succeeded, r.seconds, r.per_second,
          concurrency == 1
              ? (std::to_string(r.gap_ms).substr(0, 5) + " ms").c_str()
              : "—");
      std::cout << line << std::flush;
      md << line;
    }
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    md << "\nManager peak memory (max RSS of the benchmark process): "
       << usage.ru_maxrss / 1024
       << " MiB. The gap is measured from the trial's own exit timestamp "
          "(`.nni/state`) to the "
          "next trial's start, so it includes process creation.\n";
    std::cout << "peak RSS " << usage.ru_maxrss / 1024 << " MiB" << std::endl;
    std::filesystem::remove_all(tmpl);
    if (write) {
      auto st = archer::bench::update_markdown_section(
          std::string(ARCHER_DOCS_DIR) + "/benchmarks.md", "trial_overhead",
          md.str());
      if (!st.is_ok()) throw std::runtime_error(st.message());
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "trial_overhead_bench: error: " << e.what() << std::endl;
    return 1;
  }
}
