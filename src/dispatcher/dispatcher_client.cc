#include "dispatcher/dispatcher_client.h"

#include <thread>

#include "common/text.h"

namespace archer {

namespace {
using Clock = std::chrono::steady_clock;
}

DispatcherClient::DispatcherClient(std::unique_ptr<DispatcherProcess> process,
                                   Timeouts timeouts)
    : process_(std::move(process)),
      timeouts_(timeouts),
      started_(Clock::now()),
      last_sent_(started_) {}

void DispatcherClient::send(const std::string& type,
                            const std::string& payload) {
  process_->channel().send({type, payload});
  last_sent_ = Clock::now();
}

void DispatcherClient::initialize(const Json& search_space) {
  send("IN", dumps(search_space));
  waiting_.push_back({Clock::now(), "IN", 0});
}

void DispatcherClient::request_trials(int n) {
  if (n < 1) return;
  send("GE", std::to_string(n));
  waiting_.push_back({Clock::now(), "GE", n});
}

void DispatcherClient::report_metric(const std::string& record) {
  send("ME", record);
}

void DispatcherClient::trial_end(const std::string& trial_job_id,
                                 const std::string& status,
                                 const std::string& parameter_record) {
  send("EN", dumps(Json{{"trial_job_id", trial_job_id},
                        {"event", status},
                        {"hyper_params", parameter_record}}));
}

void DispatcherClient::update_search_space(const Json& search_space) {
  send("SS", dumps(search_space));
}

void DispatcherClient::import_data(const Json& records) {
  send("FD", dumps(records));
}

void DispatcherClient::add_customized_trials(const Json& records) {
  send("AD", dumps(records));
}

void DispatcherClient::terminate(std::chrono::milliseconds grace) {
  terminated_ = true;
  send("TE", "");
  const auto limit = Clock::now() + grace;
  while (!process_->exited() && Clock::now() < limit)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  process_->stop(std::chrono::milliseconds(500));
}

// The oldest request of `type` got (all of) its answer.
void DispatcherClient::answered(const std::string& type, bool all) {
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->type != type) continue;
    if (all || --it->remaining <= 0) waiting_.erase(it);
    return;
  }
}

Status DispatcherClient::failed(const std::string& what) {
  std::string tail = process_->log_tail();
  error_ = Status::internal(
      "NNI's dispatcher " + what +
      (tail.empty() ? std::string() : "; the end of its log:\n" + tail));
  return *error_;
}

StatusOr<DispatcherEvents> DispatcherClient::poll() {
  if (error_) return *error_;
  DispatcherEvents ev;
  TunerChannel& channel = process_->channel();
  for (const TunerCommand& c : channel.receive()) {
    if (c.type == "ID") {
      ev.initialized = true;
      answered("IN", true);
    } else if (c.type == "TR" || c.type == "NO") {
      auto job = parse_json(c.payload, c.type);
      if (!job.is_ok()) return failed("sent " + job.status().message());
      if (!job.value().is_object())
        return failed("sent " + c.type + " without a JSON object: " +
                      printable_text(c.payload, 200));
      if (c.type == "TR") {
        ev.new_trials.push_back(job.value());
      } else {
        ev.no_more_trials = true;
      }
      answered("GE", c.type == "NO");  // NO answers the rest of the request
    } else if (c.type == "KI") {
      auto id = parse_json(c.payload, "KI");
      ev.kill_trials.push_back(id.is_ok() && id.value().is_string()
                                   ? id.value().get<std::string>()
                                   : c.payload);
    } else if (c.type == "ER") {
      return failed("reported an error: " + printable_text(c.payload, 4000));
    } else {
      return failed("sent an unknown command '" + printable_text(c.type, 20) +
                    "'");
    }
  }
  if (channel.connected()) ever_connected_ = true;
  if (terminated_) return ev;
  if (Clock::now() - last_sent_ > std::chrono::seconds(5)) send("PI", "");
  if (auto how = process_->exited()) return failed("exited (" + *how + ")");
  if (auto why = channel.failure(); why && ever_connected_) {
    // A dispatcher that exits closes its channel first: say how it ended.
    for (int i = 0; i < 50 && !process_->exited(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (auto how = process_->exited()) return failed("exited (" + *how + ")");
    return failed("is unreachable: " + *why);
  }
  const auto now = Clock::now();
  if (!ever_connected_ && now - started_ > timeouts_.connect)
    return failed("did not connect within " +
                  std::to_string(timeouts_.connect.count() / 1000) + " s");
  if (!waiting_.empty() && now - waiting_.front().sent > timeouts_.answer)
    return failed("did not answer within " +
                  std::to_string(timeouts_.answer.count() / 1000) +
                  " s (hung?)");
  return ev;
}

}  // namespace archer
