// The experiment store: one SQLite database per experiment ("the store is the
// truth"), at experiment_files.h's store_path(). States and metric types are
// stored in NNI's spellings; a row with a spelling Archer does not know is
// an error naming the trial (never silently another state). WAL mode; the
// manager is the only writer, the CLI and the web UI read. Schema changes are
// numbered migrations applied on open (PRAGMA user_version).
//
// Invariant: a trial in a terminal state (SUCCEEDED, FAILED, USER_CANCELED,
// SYS_CANCELED, EARLY_STOPPED) never changes again; metrics are unique per
// (trial, type, sequence), so replaying a metrics file after a crash adds
// nothing twice.
#ifndef ARCHER_STORE_H_
#define ARCHER_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/states.h"
#include "archer/status.h"

namespace archer {

struct TrialRow {
  std::string trial_id;
  std::int64_t sequence_id = 0;
  std::optional<std::int64_t> parameter_id;
  std::string
      parameters;  // the parameter record, exactly as written to parameter.cfg
  TrialStatus status = TrialStatus::kWaiting;
  std::int64_t submit_time = 0;  // epoch milliseconds; 0 = not yet
  std::int64_t start_time = 0;
  std::int64_t end_time = 0;
  std::optional<int> exit_code;
  std::string message;
  std::string trial_dir;
  // Where the training service finds the trial again after a manager restart
  // (local: the run.sh process id); "" until the trial started.
  std::string handle;
  // The search-space generation the trial was proposed in: 0 for the
  // experiment's first space, +1 for each `update searchspace`. Never
  // changes after insertion.
  int generation = 0;
};

struct MetricRow {
  std::string trial_id;
  std::optional<std::int64_t> parameter_id;
  MetricType type = MetricType::kPeriodical;  // FINAL or PERIODICAL
  std::int64_t sequence = 0;
  std::string value;  // the metric JSON text (NNI's double-encoded "value"
                      // string, decoded once)
  std::int64_t timestamp = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens (creating if needed) the database at `path` (":memory:" for tests)
  // and applies pending migrations. Fails with the path and SQLite's message.
  static StatusOr<std::unique_ptr<Store>> open(const std::string& path);
  // Reads one experiment-level value of the store at `path` without opening
  // it for writing (read-only, no migration, the file itself not a symlink):
  // for checking what a file is before acting on it. Null when the key is
  // absent; an error when `path` is not a readable Archer store.
  static StatusOr<Json> peek_value(const std::string& path,
                                   const std::string& key);

  virtual int schema_version() = 0;
  // A number that changes whenever a trial is added, changes state (its
  // start or end time is set) or gets a metric; readers cache on it.
  virtual std::int64_t trials_revision() = 0;
  // Changes whenever anything was committed since the last call (by this
  // connection or another); cheaper than trials_revision().
  virtual std::int64_t data_version() = 0;

  // Experiment-level values (config, status, counters, tuner checkpoint), as
  // JSON.
  virtual Status put_value(const std::string& key, const Json& value) = 0;
  // The value, or null when unset.
  virtual StatusOr<Json> get_value(const std::string& key) = 0;

  // Adds a trial. Fails if the id exists.
  virtual Status insert_trial(const TrialRow& trial) = 0;
  // Replaces a trial's mutable fields (status, times, exit code, message,
  // handle).
  // Fails if the trial is unknown or already terminal.
  virtual Status update_trial(const TrialRow& trial) = 0;
  virtual StatusOr<std::optional<TrialRow>> trial(
      const std::string& trial_id) = 0;
  // All trials by sequence id.
  virtual StatusOr<std::vector<TrialRow>> trials() = 0;
  // The trials with a sequence id above `sequence_id`, by sequence id.
  virtual StatusOr<std::vector<TrialRow>> trials_after(
      std::int64_t sequence_id) = 0;

  // Adds a metric; returns false (and changes nothing) if the same (trial,
  // type, sequence) is already stored.
  virtual StatusOr<bool> insert_metric(const MetricRow& metric) = 0;
  // The stored value of one metric (one indexed lookup), nullopt if absent.
  virtual StatusOr<std::optional<std::string>> metric_value(
      const std::string& trial_id, MetricType type, std::int64_t sequence) = 0;
  // Metrics of one trial (or all with ""), in insertion order.
  virtual StatusOr<std::vector<MetricRow>> metrics(
      const std::string& trial_id) = 0;

  // Metrics of one type (FINAL or PERIODICAL) of every trial, in insertion
  // order.
  virtual StatusOr<std::vector<MetricRow>> metrics_of_type(MetricType type) = 0;
  // How many metrics of `type` each trial has (trials without any absent).
  virtual StatusOr<std::map<std::string, int>> metric_counts(
      MetricType type) = 0;

  // Runs `body` in one transaction (committed if it returns OK, rolled back
  // otherwise).
  virtual Status transaction(const std::function<Status()>& body) = 0;
};

}  // namespace archer

#endif  // ARCHER_STORE_H_
