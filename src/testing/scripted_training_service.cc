#include "testing/scripted_training_service.h"

#include <filesystem>
#include <thread>

#include "common/time_util.h"

namespace archer {
namespace testing {

namespace {

const char kPrefix[] = "#scripted ";

Json to_json(const TrialScript& s) {
  auto reports = [](const std::vector<TrialScript::Report>& rs) {
    Json out = Json::array();
    for (const auto& r : rs)
      out.push_back({to_string(r.type), r.sequence, r.value});
    return out;
  };
  return {{"before", reports(s.before)},
          {"sleep", s.sleep_s},
          {"at_exit", reports(s.at_exit)},
          {"exit", s.exit_code},
          {"child", s.child},
          {"ignore_term", s.ignore_term}};
}

TrialScript from_json(const Json& j) {
  auto reports = [](const Json& rs) {
    std::vector<TrialScript::Report> out;
    for (const auto& r : rs) {
      out.push_back({parse_metric_type(r[0].get<std::string>()).value(),
                     r[1].get<int>(), r[2].get<std::string>()});
    }
    return out;
  };
  TrialScript s;
  s.before = reports(j["before"]);
  s.sleep_s = j["sleep"].get<double>();
  s.at_exit = reports(j["at_exit"]);
  s.exit_code = j["exit"].get<int>();
  s.child = j["child"].get<bool>();
  s.ignore_term = j["ignore_term"].get<bool>();
  return s;
}

}  // namespace

std::string script_command(const TrialScript& script) {
  return kPrefix + dumps(to_json(script));
}

int ScriptedTrainingService::free_slots() const {
  return std::max(0, max_parallel_ - static_cast<int>(trials_.size()));
}

Status ScriptedTrainingService::set_max_parallel(int max_parallel) {
  if (max_parallel < 1) return Status::invalid_argument("max_parallel < 1");
  max_parallel_ = max_parallel;
  return Status::ok();
}

Status ScriptedTrainingService::track(const TrialSpec& spec,
                                      std::int64_t start_ms, bool started) {
  if (spec.command.rfind(kPrefix, 0) != 0)
    return Status::invalid_argument("not a scripted trial: " + spec.command);
  Trial t;
  t.spec = spec;
  t.script = from_json(Json::parse(spec.command.substr(sizeof(kPrefix) - 1)));
  t.start_ms = start_ms;
  if (started) {
    report(t, t.script.before);
  }
  trials_.emplace(spec.trial_id, std::move(t));
  return Status::ok();
}

Status ScriptedTrainingService::submit(const TrialSpec& requested) {
  if (trials_.count(requested.trial_id))
    return Status::invalid_argument("already running");
  TrialSpec spec = requested;
  set_trial_threads(spec, std::max(1u, std::thread::hardware_concurrency()),
                    max_parallel_);
  Status st = write_trial_directory(spec.trial_dir, spec.parameter_record, "");
  const std::int64_t start = now_ms();
  if (st.is_ok())
    st = write_text_file(spec.trial_dir + "/fake.json",
                         dumps(Json{{"start", start}}));
  if (st.is_ok())
    st = write_text_file(spec.trial_dir + "/stdout",
                         "threads=" + spec.env["OMP_NUM_THREADS"] + "\n");
  // The "child" it leaves in its group lives as long as the trial.
  if (st.is_ok() && spec.command.rfind(kPrefix, 0) == 0 &&
      from_json(Json::parse(spec.command.substr(sizeof(kPrefix) - 1))).child)
    st = write_text_file(spec.trial_dir + "/child.alive", "");
  if (!st.is_ok()) return st;
  ready_.push_back(started_event(spec.trial_id, "fake-" + spec.trial_id));
  return track(spec, start, true);
}

Status ScriptedTrainingService::adopt(const TrialSpec& spec,
                                      const std::string&) {
  auto state = load_json_file(spec.trial_dir + "/fake.json");
  if (!state.is_ok()) {
    ready_.push_back(ended_event(spec.trial_id, TrialStatus::kSysCanceled,
                                 std::nullopt, 0, "no fake.json"));
    return Status::ok();
  }
  // Its metrics are delivered again from the first one.
  return track(spec, state.value()["start"].get<std::int64_t>(), true);
}

Status ScriptedTrainingService::cancel(const std::string& trial_id,
                                       TrialStatus status) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end())
    return Status::not_found("trial '" + trial_id + "' is not running");
  it->second.cancel.request(status, kill_grace_);
  return Status::ok();
}

void ScriptedTrainingService::report(
    const Trial& t, const std::vector<TrialScript::Report>& reports) {
  for (const auto& r : reports) {
    TrialEvent ev;
    ev.kind = TrialEvent::Kind::kMetric;
    ev.trial_id = t.spec.trial_id;
    ev.time_ms = now_ms();
    ev.metric_type = r.type;
    ev.metric_sequence = r.sequence;
    ev.parameter_id = 1;
    ev.metric_value = r.value;
    ready_.push_back(std::move(ev));
  }
}

void ScriptedTrainingService::advance() {
  const std::int64_t now = now_ms();
  const auto steady = std::chrono::steady_clock::now();
  std::vector<std::string> ended;
  for (auto& [id, t] : trials_) {
    const bool over =
        now >= t.start_ms + static_cast<std::int64_t>(t.script.sleep_s * 1000);
    // SIGTERM ends it at once unless ignored; SIGKILL after the grace.
    const bool killed =
        t.cancel.status && (!t.script.ignore_term || t.cancel.kill_due(steady));
    if (!over && !killed) continue;
    TrialEvent ev;
    if (killed) {
      ev = ended_event(id, TrialStatus::kFailed, std::nullopt, 0, "");
    } else {
      report(t, t.script.at_exit);
      ev = exit_state_event(id, ExitState{t.script.exit_code, now});
    }
    t.cancel.apply(ev);
    std::error_code ec;
    std::filesystem::remove(t.spec.trial_dir + "/child.alive", ec);
    ready_.push_back(std::move(ev));
    ended.push_back(id);
  }
  for (const auto& id : ended) trials_.erase(id);
}

StatusOr<std::vector<TrialEvent>> ScriptedTrainingService::poll(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    advance();
    if (!ready_.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return take_events(ready_);
}

}  // namespace testing
}  // namespace archer
