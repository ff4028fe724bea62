#include "overhead_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "archer/store.h"
#include "archer/tuner.h"
#include "common/time_util.h"
#include "manager/experiment_manager.h"

namespace archer {
namespace bench {

namespace {

const char* kTrial =
    "m='{\"parameter_id\": 0, \"trial_job_id\": \"'$NNI_TRIAL_JOB_ID'\", "
    "\"type\": \"FINAL\", \"sequence\": 0, \"value\": \"0.5\"}'; "
    "printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> "
    "\"$NNI_OUTPUT_DIR/.nni/metrics\"";

}  // namespace

ExperimentConfig overhead_config(int trials, int concurrency,
                                 const std::string& dir) {
  const std::string yaml =
      "searchSpace: {op: {_type: layer_choice, _value: [a, b, c]}}\n"
      "trialCommand: x\ntrialConcurrency: " +
      std::to_string(concurrency) +
      "\nmaxTrialNumber: " + std::to_string(trials) +
      "\ntuner: {name: Random, classArgs: {dedup: false, seed: 1}}\n";
  std::filesystem::create_directories(dir);
  ExperimentConfig c = parse_experiment_config(yaml, "bench", dir).value();
  c.trial_command = kTrial;
  c.trial_code_directory = dir;
  return c;
}

OverheadResult run_overhead(const ExperimentConfig& c,
                            std::unique_ptr<TrainingService> service,
                            const std::string& dir,
                            const DispatcherOptions* dispatcher) {
  std::filesystem::create_directories(dir + "/exp");
  auto store = std::move(Store::open(dir + "/exp/db.sqlite")).value();
  ExperimentManager m(
      c, "bench", dir + "/exp",
      dispatcher
          ? nullptr
          : std::move(create_tuner("Random", c.tuner_class_args)).value(),
      std::move(service), store.get(), 1);
  if (dispatcher) m.use_dispatcher(*dispatcher, DispatcherClient::Timeouts());
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t t0_ms = now_ms();
  Status started = m.start();
  if (!started.is_ok()) throw std::runtime_error(started.message());
  while (true) {
    auto more = m.step(std::chrono::milliseconds(1000));
    if (!more.is_ok()) throw std::runtime_error(more.status().message());
    if (!more.value()) break;
  }
  OverheadResult r;
  r.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  r.succeeded = m.progress().succeeded;
  auto rows = store->trials().value();
  // Until the last trial ended (not the tuner's own shutdown after it).
  std::int64_t last_end = 0;
  for (const auto& row : rows) last_end = std::max(last_end, row.end_time);
  if (last_end > t0_ms) r.seconds = (last_end - t0_ms) / 1000.0;
  r.per_second = r.succeeded / r.seconds;
  double gaps = 0;
  int n = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].start_time && rows[i - 1].end_time) {
      gaps += static_cast<double>(rows[i].start_time - rows[i - 1].end_time);
      ++n;
    }
  }
  r.gap_ms = n ? gaps / n : 0;
  if (!rows.empty() && rows[0].start_time)
    r.first_start_ms = static_cast<double>(rows[0].start_time - t0_ms);
  return r;
}

}  // namespace bench
}  // namespace archer
