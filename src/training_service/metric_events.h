// Turning a trial's metrics file into TrialEvents, for the training services.
#ifndef ARCHER_TRAINING_SERVICE_METRIC_EVENTS_H_
#define ARCHER_TRAINING_SERVICE_METRIC_EVENTS_H_

#include <deque>
#include <string>

#include "archer/training_service.h"
#include "common/metric_stream.h"

namespace archer {

// Reads what `reader`'s file gained (a bounded amount per call) and appends a
// kMetric event per record to `out`; corrupt records are logged (naming the
// file and offset) and skipped, as is an unreadable file. `ended`: the trial
// has exited, so the rest of the file is read (up to kMaxTrailingBytes) and an
// incomplete last record is reported and searched for the records after it.
void read_metric_events(MetricFileReader& reader, const std::string& trial_id,
                        std::deque<TrialEvent>* out, bool ended = false);
constexpr size_t kMaxTrailingBytes = size_t{256} << 20;

}  // namespace archer

#endif  // ARCHER_TRAINING_SERVICE_METRIC_EVENTS_H_
