// The ledger of trial outcomes: what counts as a trial's end and which trial
// is the experiment's best, defined once for the manager (live), resume,
// REST, the web UI and the CLI (from the store).
//
// * A trial's value is its first usable FINAL (store/trial_value.h); the
//   direction is the experiment's one (optimize_mode_of).
// * The best trial has the best value; among equal values the one that ended
//   first (a trial not ended yet ranks after every ended one), then the lower
//   sequence id. So the progress line, REST, the web UI and `experiment show`
//   name the same trial, whatever order they read the trials in.
// * Ends are counted as SUCCEEDED, EARLY_STOPPED (not a failure) and failed
//   (every other terminal status).
#ifndef ARCHER_STORE_LEDGER_H_
#define ARCHER_STORE_LEDGER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/store.h"
#include "store/trial_value.h"

namespace archer {

class Ledger {
 public:
  struct Counts {
    int succeeded = 0, failed = 0, early_stopped = 0;
    int ended() const { return succeeded + failed + early_stopped; }
  };
  struct Best {
    std::string trial_id;
    double value = 0;  // in the user's units
    Json parameters;   // what the trial was given
  };

  explicit Ledger(OptimizeMode mode = OptimizeMode::kMaximize) : mode_(mode) {}
  // The ledger of stored trials with their values (trial_values()).
  static Ledger of(OptimizeMode mode, const std::vector<TrialRow>& trials,
                   const std::map<std::string, TrialValue>& values);
  // The same from the metrics (FINAL ones are used, in reported order).
  static Ledger of(OptimizeMode mode, const std::vector<TrialRow>& trials,
                   const std::vector<MetricRow>& metrics) {
    return of(mode, trials, trial_values(metrics));
  }

  OptimizeMode mode() const { return mode_; }
  // The trial `trial_id` (sequence id `sequence`) has the value `value`,
  // given `parameters`. Later values of the same trial are ignored.
  void result(const std::string& trial_id, std::int64_t sequence, double value,
              const Json& parameters);
  // The trial ended as `status` (terminal) at `end_ms`; counted once.
  void ended(const std::string& trial_id, std::int64_t sequence,
             TrialStatus status, std::int64_t end_ms);

  const Counts& counts() const { return counts_; }
  const std::optional<Best>& best() const { return best_; }
  // The latest end time seen (0 before any end).
  std::int64_t last_end_ms() const { return last_end_ms_; }
  // True when a trial with (value, end, sequence) ranks before one with
  // (other_value, other_end, other_sequence); end 0 = not ended.
  bool ranks_before(double value, std::int64_t end, std::int64_t sequence,
                    double other_value, std::int64_t other_end,
                    std::int64_t other_sequence) const;

 private:
  struct Entry {
    std::int64_t sequence = 0;
    std::optional<double> value;
    std::int64_t end_ms = 0;  // 0 until it ended
    bool ended = false;
    Json parameters;
  };
  // Makes `id` the best if it ranks before the current best.
  void consider(const std::string& id, const Entry& e);

  OptimizeMode mode_;
  std::map<std::string, Entry> entries_;
  Counts counts_;
  std::optional<Best> best_;
  std::string best_id_;
  std::int64_t last_end_ms_ = 0;
};

// A stored trial's parameter record, as an object (empty if unreadable), and
// its "parameters" (null if absent).
Json stored_record(const TrialRow& row);
Json stored_parameters(const TrialRow& row);

}  // namespace archer

#endif  // ARCHER_STORE_LEDGER_H_
