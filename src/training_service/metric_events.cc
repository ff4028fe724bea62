#include "training_service/metric_events.h"

#include "common/log.h"
#include "common/time_util.h"

namespace archer {

void read_metric_events(MetricFileReader& reader, const std::string& trial_id,
                        std::deque<TrialEvent>* out) {
  std::vector<Status> errors;
  auto records = reader.poll(&errors);
  for (const auto& e : errors)
    log_warning("archer", e.message() + " (record skipped)");
  if (!records.is_ok()) {
    log_warning("archer", records.status().message());
    return;
  }
  for (auto& r : records.value()) {
    TrialEvent ev;
    ev.kind = TrialEvent::Kind::kMetric;
    ev.trial_id = trial_id;
    ev.time_ms = now_ms();
    ev.metric_type = r.type;
    ev.metric_sequence = r.sequence;
    ev.parameter_id = r.parameter_id;
    ev.metric_value = r.value;
    out->push_back(std::move(ev));
  }
}

}  // namespace archer
