#include "overhead_run.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "archer/store.h"
#include "archer/tuner.h"
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
                            const std::string& dir) {
  std::filesystem::create_directories(dir + "/exp");
  auto store = std::move(Store::open(dir + "/exp/db.sqlite")).value();
  ExperimentManager m(
      c, "bench", dir + "/exp",
      std::move(create_tuner("Random", c.tuner_class_args)).value(),
      std::move(service), store.get(), 1);
  if (!m.start().is_ok()) throw std::runtime_error("start");
  const auto t0 = std::chrono::steady_clock::now();
  while (m.step(std::chrono::milliseconds(1000)).value()) {
  }
  OverheadResult r;
  r.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  r.succeeded = m.progress().succeeded;
  r.per_second = r.succeeded / r.seconds;
  auto rows = store->trials().value();
  double gaps = 0;
  int n = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].start_time && rows[i - 1].end_time) {
      gaps += static_cast<double>(rows[i].start_time - rows[i - 1].end_time);
      ++n;
    }
  }
  r.gap_ms = n ? gaps / n : 0;
  return r;
}

}  // namespace bench
}  // namespace archer
