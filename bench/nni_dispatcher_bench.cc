// Archer's manager with NNI's algorithms through NNI's own dispatcher
// (../shared/nni, v2.10, Debian's python3) against Archer's native Random:
// N trials that only report a result, one at a time, on the local platform.
// Reports trials per second, the mean gap from a trial's exit to the next
// trial's start, and the time from start() to the first trial's start (for
// the dispatcher: its start-up, IN/ID, GE/TR); rewrites the
// "nni_dispatcher" section of docs/benchmarks.md.
//
//   nni_dispatcher_bench [--trials N] [--no_write]
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "bench_util.h"
#include "overhead_run.h"
#include "testing/nni_code.h"
#include "testing/temp_dir.h"
#include "training_service/local/local_training_service.h"

int main(int argc, char** argv) {
  using namespace archer;
  int trials = 40;
  bool write = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--trials") == 0 && i + 1 < argc) {
      trials = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--no_write") == 0) {
      write = false;
    } else {
      std::cerr << "usage: nni_dispatcher_bench [--trials N] [--no_write]"
                << std::endl;
      return 2;
    }
  }
  if (!testing::nni_available()) {
    std::cerr << "NNI's code is not at " << testing::nni_dir() << std::endl;
    return 1;
  }
  try {
    testing::TempDir dir;
    std::ostringstream md;
    md << bench::machine_line() << " `nni_dispatcher_bench --trials " << trials
       << "`: trials that only report a result, one at a time, local "
          "platform; NNI's algorithms run by NNI v2.10's own dispatcher "
          "(Debian's python3) over its WebSocket channel. NNI's own manager "
          "polls every 5 s: about 6 trials per minute per slot.\n\n"
          "| tuner | trials | wall time | trials/s | mean exit→next start gap "
          "| start() → first trial start |\n|---|---:|---:|---:|---:|---:|\n";
    auto row = [&](const std::string& name, const bench::OverheadResult& r) {
      char line[256];
      std::snprintf(line, sizeof(line),
                    "| %s | %d | %.1f s | %.2f | %.0f ms | %.0f ms |\n",
                    name.c_str(), r.succeeded, r.seconds, r.per_second,
                    r.gap_ms, r.first_start_ms);
      std::cout << line << std::flush;
      md << line;
    };
    auto service = [] {
      return std::move(LocalTrainingService::create({})).value();
    };
    int k = 0;
    {
      ExperimentConfig c =
          bench::overhead_config(trials, 1, dir.file(std::to_string(k++)));
      row("Archer's Random (native)",
          bench::run_overhead(c, service(), dir.file(std::to_string(k))));
    }
    for (const auto& [name, tuner] :
         std::vector<std::pair<std::string, std::string>>{
             {"NNI's Random (dispatcher)",
              "{className: nni.algorithms.hpo.random_tuner.RandomTuner, "
              "classArgs: {seed: 1}}"},
             {"NNI's TPE (dispatcher)", "{name: TPE, classArgs: {seed: 1}}"}}) {
      const std::string d = dir.file(std::to_string(k++));
      std::filesystem::create_directories(d);
      ExperimentConfig base = bench::overhead_config(trials, 1, d);
      auto parsed = parse_experiment_config(
          "searchSpace: {op: {_type: choice, _value: [a, b, c]}, x: {_type: "
          "uniform, _value: [0, 1]}}\ntrialCommand: x\ntrialConcurrency: 1\n"
          "maxTrialNumber: " +
              std::to_string(trials) + "\ntuner: " + tuner + "\n",
          "bench", d);
      if (!parsed.is_ok()) throw std::runtime_error(parsed.status().message());
      ExperimentConfig c = parsed.value();
      c.trial_command = base.trial_command;
      c.trial_code_directory = d;
      DispatcherOptions o;
      o.python = testing::kNniPython;
      o.exp_params = c.dispatcher_params;
      o.log_path = d + "/dispatcher.log";
      o.env["PYTHONPATH"] = testing::nni_pythonpath();
      row(name, bench::run_overhead(c, service(), d + "/run", &o));
    }
    if (write) {
      Status st = bench::update_markdown_section(
          std::string(ARCHER_DOCS_DIR) + "/benchmarks.md", "nni_dispatcher",
          md.str());
      if (!st.is_ok()) throw std::runtime_error(st.message());
    }
  } catch (const std::exception& e) {
    std::cerr << "nni_dispatcher_bench: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
