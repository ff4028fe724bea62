#include "training_service/metric_events.h"

#include "common/log.h"
#include "common/time_util.h"

namespace archer {

namespace {

void append_events(std::vector<MetricRecord>& records,
                   const std::string& trial_id, std::deque<TrialEvent>* out) {
  for (auto& r : records) {
    const std::optional<MetricType> type = parse_metric_type(r.type);
    if (!type) continue;  // the decoder admits only NNI's three
    TrialEvent ev;
    ev.kind = TrialEvent::Kind::kMetric;
    ev.trial_id = trial_id;
    ev.time_ms = now_ms();
    ev.metric_type = *type;
    ev.metric_sequence = r.sequence;
    ev.parameter_id = r.parameter_id;
    ev.metric_value = r.value;
    out->push_back(std::move(ev));
  }
}

void log_skipped(const std::vector<Status>& errors) {
  for (const auto& e : errors)
    log_warning("archer", e.message() + " (record skipped)");
}

}  // namespace

void read_metric_events(MetricFileReader& reader, const std::string& trial_id,
                        std::deque<TrialEvent>* out, bool ended) {
  size_t read = 0;
  do {
    std::vector<Status> errors;
    auto records = reader.poll(&errors);
    log_skipped(errors);
    if (!records.is_ok()) {
      if (reader.first_time(records.status()))
        log_warning("archer", records.status().message() +
                                  " (its metrics are not read while it is)");
      return;
    }
    append_events(records.value(), trial_id, out);
    read += MetricFileReader::kPollBytes;
  } while (ended && !reader.caught_up() && read < kMaxTrailingBytes);
  if (!ended) return;
  if (!reader.caught_up()) {
    log_warning("archer", reader.path() + ": more than " +
                              std::to_string(kMaxTrailingBytes) +
                              " bytes of metrics; the rest is not read");
  }
  std::vector<Status> errors;
  auto rest = reader.finish(&errors);
  log_skipped(errors);
  append_events(rest, trial_id, out);
}

}  // namespace archer
