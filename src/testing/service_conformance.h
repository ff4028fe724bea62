// The conformance suite every training service passes (as every tuner passes
// tuner_conformance.h): submit, metrics while running and just before exit,
// exit codes, cancel of the whole process group (and SIGKILL after the
// grace period), maxTrialDuration through the manager, adoption after a
// manager restart, per-trial threads, and a host or scheduler that goes away
// and comes back. A platform gets the suite by writing a ServiceHarness and
// adding it to INSTANTIATE_TEST_SUITE_P in
// src/training_service/conformance_test.cc.
//
// Trials are described as TrialScripts; a harness turns one into the
// trialCommand its platform runs (bash_command() for every real platform).
#ifndef ARCHER_TESTING_SERVICE_CONFORMANCE_H_
#define ARCHER_TESTING_SERVICE_CONFORMANCE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archer/training_service.h"

namespace archer {
namespace testing {

// What a trial does, in order: writes `before` to .nni/metrics, sleeps
// `sleep_s` (leaving a child process in its group when `child` is set),
// writes `at_exit`, prints OMP_NUM_THREADS to stdout and exits `exit_code`.
// `ignore_term`: SIGTERM does not stop it (SIGKILL must).
struct TrialScript {
  struct Report {
    MetricType type;
    int sequence;
    std::string value;  // the metric JSON text
  };
  std::vector<Report> before;
  double sleep_s = 0;
  std::vector<Report> at_exit;
  int exit_code = 0;
  bool child = false;
  bool ignore_term = false;
};

// The bash trialCommand for `script`: NNI's metrics framing, the child's pid
// in $NNI_OUTPUT_DIR/child.pid.
std::string bash_command(const TrialScript& script);

class ServiceHarness {
 public:
  virtual ~ServiceHarness() = default;
  // "" when the platform can run here, else why not (the suite skips).
  virtual std::string unavailable() const { return ""; }
  // A service for the harness's one experiment; a second one made after
  // the first was destroyed is a restarted manager's.
  virtual std::unique_ptr<TrainingService> create(
      int max_parallel, std::chrono::milliseconds kill_grace) = 0;
  // The trialCommand that runs `script` on this platform.
  virtual std::string command(const TrialScript& script) {
    return bash_command(script);
  }
  // A spec for trial `id` (trial_dir: the experiment's local copy).
  virtual TrialSpec spec(const std::string& id, const std::string& command) = 0;
  // The experiment directory the manager would use (trials/<id> under it).
  virtual std::string experiment_dir() const = 0;
  // Whether the child a trial left (child.pid where it ran) is alive.
  virtual bool child_alive(const TrialSpec& spec) = 0;
  // The host or scheduler goes away / comes back; false if the platform has
  // nothing that can (local, the fake).
  virtual bool take_down() { return false; }
  virtual bool bring_back() { return false; }
  // While away: do its running trials end (SYS_CANCELED, a remote host), or
  // go on and end normally (jobs survive a Slurm controller restart)?
  virtual bool outage_ends_trials() const { return false; }
  // SIGKILL after the grace period is the service's (not the scheduler's,
  // whose KillWait decides on Slurm).
  virtual bool kills_after_grace() const { return true; }
  // How long the suite waits for a trial's events.
  virtual int timeout_seconds() const { return 30; }
  // Makes new trials wait in the platform's queue (Slurm: the node drained,
  // jobs PENDING) until release_queued(); false when the platform has no
  // queue.
  virtual bool hold_queued() { return false; }
  virtual void release_queued() {}
};

struct ServiceCase {
  std::string name;
  std::function<std::unique_ptr<ServiceHarness>()> make;
};
void PrintTo(const ServiceCase& c, std::ostream* os);
std::string service_case_name(
    const ::testing::TestParamInfo<ServiceCase>& info);

class ServiceConformanceTest : public ::testing::TestWithParam<ServiceCase> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Polls until `n` trials ended (or the harness's timeout; then the test
  // fails); every event seen.
  std::vector<TrialEvent> until_ended(TrainingService& ts, int n);
  std::unique_ptr<ServiceHarness> h_;
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_SERVICE_CONFORMANCE_H_
