// An experiment's status as NNI's check-status reports it, read from its
// store: defined once for REST (GET /check-status) and `archer experiment
// status`.
#ifndef ARCHER_STORE_STATUS_REPORT_H_
#define ARCHER_STORE_STATUS_REPORT_H_

#include "archer/json.h"
#include "archer/store.h"

namespace archer {

// {"status": the ExperimentStatus name ("INITIALIZED" before the manager
// wrote one), "errors": [why it ended ERROR, if it did]} — NNI's keys — plus
// "message" when the manager said why it ended or stopped proposing
// ("search space exhausted: all 3 architectures tried"). A value the store
// cannot read counts as absent.
Json status_json(Store& store);

}  // namespace archer

#endif  // ARCHER_STORE_STATUS_REPORT_H_
