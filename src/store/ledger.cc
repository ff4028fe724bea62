#include "store/ledger.h"

#include <algorithm>

namespace archer {

Ledger Ledger::of(OptimizeMode mode, const std::vector<TrialRow>& trials,
                  const std::map<std::string, TrialValue>& values) {
  Ledger ledger(mode);
  for (const auto& t : trials) {
    auto v = values.find(t.trial_id);
    if (v != values.end() && v->second.value) {
      ledger.result(t.trial_id, t.sequence_id, *v->second.value,
                    stored_parameters(t));
    }
    if (is_terminal(t.status))
      ledger.ended(t.trial_id, t.sequence_id, t.status, t.end_time);
  }
  return ledger;
}

bool Ledger::ranks_before(double value, std::int64_t end, std::int64_t sequence,
                          double other_value, std::int64_t other_end,
                          std::int64_t other_sequence) const {
  if (better_value(value, other_value, mode_)) return true;
  if (better_value(other_value, value, mode_)) return false;
  // Equal values: the one that ended first (not ended: after every end).
  const bool ended = end > 0, other_ended = other_end > 0;
  if (ended != other_ended) return ended;
  if (ended && end != other_end) return end < other_end;
  return sequence < other_sequence;
}

void Ledger::consider(const std::string& id, const Entry& e) {
  if (!e.value) return;
  if (best_ && best_id_ != id) {
    const Entry& b = entries_[best_id_];
    if (!ranks_before(*e.value, e.end_ms, e.sequence, *b.value, b.end_ms,
                      b.sequence))
      return;
  }
  best_id_ = id;
  best_ = Best{id, *e.value, e.parameters};
}

void Ledger::result(const std::string& trial_id, std::int64_t sequence,
                    double value, const Json& parameters) {
  Entry& e = entries_[trial_id];
  if (e.value) return;
  e.sequence = sequence;
  e.value = value;
  e.parameters = parameters;
  consider(trial_id, e);
}

void Ledger::ended(const std::string& trial_id, std::int64_t sequence,
                   TrialStatus status, std::int64_t end_ms) {
  Entry& e = entries_[trial_id];
  if (e.ended) return;
  e.ended = true;
  e.sequence = sequence;
  e.end_ms = std::max<std::int64_t>(end_ms, 1);
  if (status == TrialStatus::kSucceeded) {
    ++counts_.succeeded;
  } else if (status == TrialStatus::kEarlyStopped) {
    ++counts_.early_stopped;
  } else {
    ++counts_.failed;
  }
  last_end_ms_ = std::max(last_end_ms_, end_ms);
  // Its end can only move it up among equal values.
  consider(trial_id, e);
}

Json stored_record(const TrialRow& row) {
  auto record = parse_json(row.parameters, "trial " + row.trial_id);
  return record.is_ok() && record.value().is_object() ? record.value()
                                                      : Json::object();
}

Json stored_parameters(const TrialRow& row) {
  return stored_record(row).value("parameters", Json());
}

}  // namespace archer
