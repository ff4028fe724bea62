#include "manager/dispatcher_proposer.h"

#include "common/nni_search_space.h"

namespace archer {

DispatcherProposer::DispatcherProposer(DispatcherOptions options,
                                       DispatcherClient::Timeouts timeouts,
                                       Json search_space,
                                       std::string tuner_name,
                                       std::string experiment_id)
    : options_(std::move(options)),
      timeouts_(timeouts),
      space_(std::move(search_space)),
      tuner_name_(std::move(tuner_name)),
      experiment_id_(std::move(experiment_id)) {}

Status DispatcherProposer::launch(ExternalTuner::Resume resume) {
  DispatcherOptions options = options_;
  options.env["NNI_MODE"] = resume.proposed.empty() ? "start" : "resume";
  auto started =
      ExternalTuner::start(options, timeouts_, space_, std::move(resume));
  if (!started.is_ok())
    return started.status().with_context("starting NNI's dispatcher");
  external_ = std::move(started).value();
  return Status::ok();
}

Status DispatcherProposer::start() { return launch(ExternalTuner::Resume()); }

// NNI's dispatcher learns the history as NNI's manager tells it on resume
// (AD: every trial proposed, so its ids continue; FD: the results).
StatusOr<size_t> DispatcherProposer::restore(const ProposerHistory& h) {
  ExternalTuner::Resume resume;
  for (const auto& r : h.imported) {
    resume.finished.push_back(
        {{"parameter", r["parameter"]}, {"value", r["value"]}});
  }
  for (const TrialRow* t : h.ended) {
    auto v = h.values.find(t->trial_id);
    if (t->generation != h.generation || v == h.values.end() ||
        !v->second.value)
      continue;
    resume.finished.push_back(
        {{"parameter", stored_parameters(*t)}, {"value", *v->second.value}});
  }
  for (const auto& t : *h.trials) {
    Json packed = stored_record(t);
    if (packed.empty()) continue;
    packed["parameter_source"] = "resumed";
    resume.proposed.push_back(packed);
  }
  const size_t n = resume.finished.size();
  Status st = launch(std::move(resume));
  if (!st.is_ok()) return st;
  return n;
}

Status DispatcherProposer::poll() {
  return external_ ? external_->poll() : Status::ok();
}

StatusOr<std::vector<Proposed>> DispatcherProposer::propose(int n) {
  std::vector<Proposed> out;
  if (!external_) return out;
  for (Json& record : external_->take(n)) {
    if (!record.is_object() || !record.contains("parameters")) {
      return Status::internal(
          "NNI's dispatcher proposed a trial without \"parameters\": " +
          json_excerpt(record, 200));
    }
    Proposed p;
    const Json& pid = record["parameter_id"];
    if (pid.is_number_integer()) p.parameter_id = pid.get<std::int64_t>();
    p.record = std::move(record);
    out.push_back(std::move(p));
  }
  external_->want(n - static_cast<int>(out.size()));
  return out;
}

Outlook DispatcherProposer::outlook() const {
  if (!external_ || !external_->exhausted()) return {};
  // NNI's tuners say NO_MORE_TRIAL when their space is used up (a grid).
  return {Outlook::Kind::kExhausted, "search space exhausted: the tuner (" +
                                         tuner_name_ +
                                         ") has no more trials to propose"};
}

void DispatcherProposer::metric(const std::string& trial_id, const Proposed& p,
                                const TrialEvent& e) {
  external_->metric(trial_id, p.record.value("parameter_id", Json()),
                    to_string(e.metric_type), e.metric_sequence,
                    e.metric_value);
}

void DispatcherProposer::ended(const std::string& trial_id, const Proposed& p,
                               TrialStatus status, bool) {
  if (external_)
    external_->trial_end(trial_id, to_string(status), dumps(p.record));
}

std::vector<std::string> DispatcherProposer::take_kills() {
  return external_ ? external_->take_kills() : std::vector<std::string>();
}

Status DispatcherProposer::revive() {
  return Status::invalid_argument(
      "the experiment is DONE and NNI's dispatcher has exited; stop it and "
      "resume it (`archer resume " +
      experiment_id_ + "`) to go on with a larger budget");
}

StatusOr<Json> DispatcherProposer::update_search_space(
    const Json& space, const std::string& source) {
  Status valid = validate_nni_search_space(space, source);
  if (!valid.is_ok()) return valid;
  external_->update_search_space(space);
  space_ = space;
  return space;
}

Status DispatcherProposer::check_imported(const Json& parameter,
                                          const std::string& where) const {
  if (parameter.is_object()) return Status::ok();
  return Status::invalid_argument(where +
                                  ": parameter: expected a mapping of the "
                                  "search space's keys to values");
}

// NNI's FD: {parameter, value} (the metric; the dispatcher's tuner applies
// optimize_mode).
void DispatcherProposer::import_data(const Json& records) {
  Json fed = Json::array();
  for (const auto& r : records)
    fed.push_back({{"parameter", r["parameter"]}, {"value", r["value"]}});
  external_->import_data(fed);
}

void DispatcherProposer::terminate(std::chrono::milliseconds grace) {
  if (external_) external_->terminate(grace);
}

}  // namespace archer
