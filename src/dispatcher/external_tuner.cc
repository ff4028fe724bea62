#include "dispatcher/external_tuner.h"

#include <algorithm>

namespace archer {

StatusOr<std::unique_ptr<ExternalTuner>> ExternalTuner::start(
    const DispatcherOptions& options, DispatcherClient::Timeouts timeouts,
    const Json& search_space, Resume resume) {
  auto process = DispatcherProcess::start(options);
  if (!process.is_ok()) return process.status();
  std::unique_ptr<ExternalTuner> t(new ExternalTuner());
  t->client_ =
      std::make_unique<DispatcherClient>(std::move(process).value(), timeouts);
  t->resume_ = std::move(resume);
  t->client_->initialize(search_space);
  return t;
}

Status ExternalTuner::poll() {
  auto events = client_->poll();
  if (!events.is_ok()) return events.status();
  DispatcherEvents& ev = events.value();
  if (ev.initialized && !initialized_) {
    initialized_ = true;
    if (!resume_.proposed.empty())
      client_->add_customized_trials(resume_.proposed);
    if (!resume_.finished.empty()) client_->import_data(resume_.finished);
    resume_ = Resume();
    const int w = wanted_;
    wanted_ = 0;
    want(w);
  }
  for (Json& t : ev.new_trials) {
    queue_.push_back(std::move(t));
    if (requested_ > 0) --requested_;
    no_more_ = false;
  }
  if (ev.no_more_trials) {
    no_more_ = true;
    requested_ = 0;
    settled_ = last_request_ - last_end_ >= kSettle;
  }
  for (auto& k : ev.kill_trials) kills_.push_back(std::move(k));
  if (initialized_) release_ends(false);
  return Status::ok();
}

void ExternalTuner::want(int wanted) {
  if (!initialized_) {
    wanted_ = std::max(wanted_, wanted);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (no_more_ && !settled_ && now - last_end_ >= kSettle) no_more_ = false;
  const int coming = static_cast<int>(queue_.size()) + requested_;
  if (wanted <= coming || no_more_) return;
  client_->request_trials(wanted - coming);
  requested_ += wanted - coming;
  last_request_ = now;
}

std::vector<Json> ExternalTuner::take(int n) {
  std::vector<Json> out;
  while (n-- > 0 && !queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

std::vector<std::string> ExternalTuner::take_kills() {
  std::vector<std::string> out;
  out.swap(kills_);
  return out;
}

void ExternalTuner::metric(const std::string& trial_id,
                           const Json& parameter_id, const std::string& type,
                           std::int64_t sequence, const std::string& value) {
  client_->report_metric(dumps(Json{{"parameter_id", parameter_id},
                                    {"trial_job_id", trial_id},
                                    {"type", type},
                                    {"sequence", sequence},
                                    {"value", value}}));
}

void ExternalTuner::trial_end(const std::string& trial_id,
                              const std::string& status,
                              const std::string& record) {
  held_.push_back({trial_id, status, record, std::chrono::steady_clock::now()});
}

void ExternalTuner::release_ends(bool all) {
  const auto now = std::chrono::steady_clock::now();
  while (!held_.empty() &&
         (all || (requested_ == 0 && now - held_.front().since >= kEndDelay))) {
    const HeldEnd& e = held_.front();
    client_->trial_end(e.trial_id, e.status, e.record);
    held_.pop_front();
    no_more_ = false;  // an advisor may have more to propose now
    last_end_ = now;
  }
}

void ExternalTuner::update_search_space(const Json& space) {
  client_->update_search_space(space);
  no_more_ = false;
}

void ExternalTuner::import_data(const Json& records) {
  client_->import_data(records);
}

void ExternalTuner::terminate(std::chrono::milliseconds grace) {
  if (initialized_) release_ends(true);
  client_->terminate(grace);
}

}  // namespace archer
