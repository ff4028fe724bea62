// The trial SDK: NNI's `nni.*` trial functions for C++ trials (spec §2, §3.3,
// §3.4).
//
// Which platform a trial runs on is read from the environment on first use:
//   NNI_PLATFORM unset       -> standalone: get_next_parameter() returns {}
//   with a warning,
//                               reports are logged to stdout, ids are
//                               "STANDALONE", sequence 0;
//   NNI_PLATFORM=unittest    -> test stub: ids "fakeidex"/"fakeidtr",
//   parameters injected with
//                               set_test_parameters(), metrics kept in memory;
//   any other value ("local") -> reads $NNI_SYS_DIR/parameter.cfg, appends
//   metrics to
//                               $NNI_OUTPUT_DIR/.nni/metrics in NNI's framing.
// A metric is a number, or a JSON object with a numeric "default" (other keys
// are kept). Misuse (a metric of another shape, a missing NNI_SYS_DIR, an
// unreadable parameter file) throws archer::Error with a message naming the
// variable or file.
#ifndef ARCHER_TRIAL_H_
#define ARCHER_TRIAL_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {

// One trial's view of its environment and protocol state. The free functions
// below use default_trial_context(); tests build their own with a fake
// environment. Thread-safety: all methods may be called from any thread.
class TrialContext {
 public:
  using Env = std::map<std::string, std::string>;
  enum class Platform { kStandalone, kUnittest, kLocal };

  // Snapshots `env` (the variables named above; others are ignored).
  explicit TrialContext(Env env);
  // A context over the current process environment.
  static TrialContext from_process_env();

  Platform platform() const { return platform_; }
  // The value of an environment variable of the snapshot, if set.
  std::optional<std::string> env(const std::string& name) const;

  // First call: the "parameters" member of the parameter record (standalone:
  // {}). When the parameter file does not exist yet it sends a
  // REQUEST_PARAMETER record and waits for the file (NNI semantics; NNI polls
  // every 3 s, Archer every 50 ms). Later calls return null (no multi-phase)
  // but, unlike NNI, keep the record so reports still work.
  Json get_next_parameter();
  // The parameters returned by the first get_next_parameter(), or null before
  // it.
  Json get_current_parameter() const;
  // The parameter_id of the record (null for customized trials or before it is
  // read).
  std::optional<std::int64_t> parameter_id() const;

  // Sends a PERIODICAL metric (sequence 0, 1, 2, ...; after a restart,
  // continuing the earlier starts' sequence).
  void report_intermediate_result(const Json& metric);
  // How many times this trial was started before, in its directory (0: its
  // first start; ARCHER_TRIAL_RESTARTS). A requeued Slurm job starts its trial
  // again with the same id and output directory: a trial that saves
  // checkpoints in NNI_OUTPUT_DIR resumes from the last one when this is > 0.
  int restart_count() const;
  // Sends the FINAL metric (sequence 0), with the extras below merged in.
  void report_final_result(const Json& metric);
  // Keys the FINAL metric gains (get_and_apply_next_architecture sets the
  // applied architecture's costs: archer/nn/costs.h). A number metric is then
  // sent as {"default": metric, <extras>}; an object gains the keys it does
  // not have (the trial's own values win). REQUIRES: `extras` is an object
  // of numbers; an empty one restores NNI's bytes.
  void set_final_metric_extras(Json extras);
  Json final_metric_extras() const;

  std::string experiment_id() const;
  std::string trial_id() const;
  std::int64_t sequence_id() const;

  // Unittest platform: the record parameters get_next_parameter() returns.
  void set_test_parameters(Json parameters);
  // Unittest platform: the metric payloads sent so far (the JSON text,
  // unframed).
  std::vector<std::string> sent_metrics() const;

 private:
  void send(const std::string& type, std::int64_t sequence, const Json& metric);
  void write_frame(const std::string& payload);
  std::string required_env(const std::string& name) const;
  Json read_parameter_record();

  Env env_;
  Platform platform_;
  mutable std::mutex mu_;
  bool requested_ = false;
  Json record_;  // the whole parameter record once read
  Json test_parameters_;
  std::vector<std::string> sent_;
  std::int64_t reported_sequences() const;
  // Unset until the first intermediate result (reported_sequences()).
  std::optional<std::int64_t> intermediate_sequence_;
  Json final_extras_ = Json::object();
};

// The process-wide context, built from the environment on first use.
TrialContext& default_trial_context();

// NNI's trial API on the default context (see TrialContext for the contracts).
Json get_next_parameter();
Json get_current_parameter();
void report_intermediate_result(const Json& metric);
void report_final_result(const Json& metric);
std::string get_experiment_id();
std::string get_trial_id();
std::int64_t get_sequence_id();
// TrialContext::restart_count() of the default context.
int trial_restart_count();

// Throws archer::Error unless `metric` is a number or an object with a numeric
// "default".
void check_metric(const Json& metric, const char* api);

}  // namespace archer

#endif  // ARCHER_TRIAL_H_
