#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "archer/states.h"
#include "archer/trial.h"
#include "common/bounded_file.h"
#include "common/log.h"
#include "common/metric_stream.h"
#include "trial/parameter_record.h"

extern char** environ;

namespace archer {

namespace {

constexpr const char* kVariables[] = {
    "NNI_PLATFORM",         "NNI_EXP_ID",           "NNI_SYS_DIR",
    "NNI_TRIAL_JOB_ID",     "NNI_OUTPUT_DIR",       "NNI_TRIAL_SEQ_ID",
    "NNI_CODE_DIR",         "NNI_GEN_SEARCH_SPACE", "ARCHER_COST_PROBE",
    "ARCHER_TRIAL_RESTARTS"};
constexpr auto kParameterPollInterval = std::chrono::milliseconds(50);

TrialContext::Platform platform_of(const TrialContext::Env& env) {
  auto it = env.find("NNI_PLATFORM");
  if (it == env.end()) return TrialContext::Platform::kStandalone;
  if (it->second == "unittest") return TrialContext::Platform::kUnittest;
  return TrialContext::Platform::kLocal;
}

TrialContext::Env filter(TrialContext::Env env) {
  TrialContext::Env out;
  for (const char* name : kVariables) {
    auto it = env.find(name);
    if (it != env.end()) out.insert(*it);
  }
  return out;
}

// False while the file does not exist; throws if it cannot be read (not a
// regular file, over the JSON size limit).
bool read_file(const std::string& path, std::string* out) {
  auto text = read_regular_file(path, kJsonMaxBytes);
  if (!text.is_ok()) {
    if (text.status().code() == Status::Code::kNotFound) return false;
    throw Error(text.status().message());
  }
  *out = std::move(text).value();
  return true;
}

void mkdir_p(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') {
      ::mkdir(dir.substr(0, pos).c_str(),
              0777);  // EEXIST is fine; open() reports real errors
    }
  }
}

}  // namespace

StatusOr<Json> parse_parameter_record(std::string_view text,
                                      const std::string& path) {
  auto json = parse_json(text, path);
  if (!json.is_ok()) return json.status();
  Json record = std::move(json).value();
  if (!record.is_object() || !record.contains("parameters")) {
    return Status::invalid_argument(
        path +
        ": expected a parameter record {\"parameter_id\": ..., "
        "\"parameters\": ...}");
  }
  if (record.contains("parameter_id") && !record["parameter_id"].is_null() &&
      !record["parameter_id"].is_number_integer()) {
    return Status::invalid_argument(
        path + ": \"parameter_id\" must be an integer or null, got " +
        json_excerpt(record["parameter_id"]));
  }
  return record;
}

void check_metric(const Json& metric, const char* api) {
  if (metric.is_number()) return;
  if (!metric.is_object() || !metric.contains("default") ||
      !metric["default"].is_number()) {
    throw Error(std::string(api) +
                ": a metric must be a number or a JSON object with a numeric "
                "\"default\", got " +
                json_excerpt(metric));
  }
  if (json_depth(metric) > kJsonMaxDepth) {
    throw Error(std::string(api) + ": a metric nested " +
                std::to_string(json_depth(metric)) +
                " levels deep; the manager accepts at most " +
                std::to_string(kJsonMaxDepth));
  }
}

TrialContext::TrialContext(Env env)
    : env_(filter(std::move(env))), platform_(platform_of(env_)) {}

TrialContext TrialContext::from_process_env() {
  Env env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos)
      env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return TrialContext(std::move(env));
}

std::optional<std::string> TrialContext::env(const std::string& name) const {
  auto it = env_.find(name);
  if (it == env_.end()) return std::nullopt;
  return it->second;
}

std::string TrialContext::required_env(const std::string& name) const {
  auto v = env(name);
  if (!v || v->empty()) {
    throw Error("environment variable " + name +
                " is not set, but NNI_PLATFORM is '" +
                env("NNI_PLATFORM").value_or("") +
                "': the trial must be started by an experiment (or unset "
                "NNI_PLATFORM)");
  }
  return *v;
}

Json TrialContext::read_parameter_record() {
  const std::string path = required_env("NNI_SYS_DIR") + "/parameter.cfg";
  std::string text;
  bool announced = false;
  while (!read_file(path, &text) || text.empty()) {
    if (!announced) {
      // NNI sends REQUEST_PARAMETER when the file is missing, then waits for
      // it.
      Json request = Json::object();
      request["trial_job_id"] = env("NNI_TRIAL_JOB_ID").value_or("");
      request["type"] = "REQUEST_PARAMETER";
      request["sequence"] = 0;
      request["parameter_index"] = 0;
      write_frame(dumps(request));
      log_warning(
          "archer",
          path + " does not exist yet; waiting for the experiment to write it");
      announced = true;
    }
    std::this_thread::sleep_for(kParameterPollInterval);
  }
  auto record = parse_parameter_record(text, path);
  if (!record.is_ok()) throw Error(record.status().message());
  return std::move(record).value();
}

Json TrialContext::get_next_parameter() {
  std::lock_guard<std::mutex> lock(mu_);
  if (requested_) {
    log_warning("archer",
                "get_next_parameter() was already called; this trial has one "
                "parameter set, "
                "returning null (the first result stays available via "
                "get_current_parameter())");
    return Json();
  }
  switch (platform_) {
    case Platform::kStandalone:
      log_warning(
          "archer",
          "Running trial code without an experiment (NNI_PLATFORM is not set); "
          "get_next_parameter() returns an empty object");
      record_ = Json::object();
      record_["parameter_id"] = Json();
      record_["parameters"] = Json::object();
      break;
    case Platform::kUnittest:
      record_ = Json::object();
      record_["parameter_id"] = 0;
      record_["parameters"] = test_parameters_;
      break;
    case Platform::kLocal:
      record_ = read_parameter_record();
      break;
  }
  requested_ = true;
  return record_["parameters"];
}

Json TrialContext::get_current_parameter() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requested_ ? record_["parameters"] : Json();
}

std::optional<std::int64_t> TrialContext::parameter_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!requested_ || !record_.contains("parameter_id") ||
      record_["parameter_id"].is_null()) {
    return std::nullopt;
  }
  return record_["parameter_id"].get<std::int64_t>();
}

void TrialContext::write_frame(const std::string& payload) {
  if (platform_ == Platform::kUnittest) {
    sent_.push_back(payload);
    return;
  }
  auto frame = frame_metric(payload);
  if (!frame.is_ok()) throw Error(frame.status().message());
  const std::string dir = required_env("NNI_OUTPUT_DIR") + "/.nni";
  mkdir_p(dir);
  const std::string path = dir + "/metrics";
  int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw Error(path + ": cannot open for appending: " + std::strerror(errno));
  // One write() per record: with O_APPEND a concurrent reader never sees
  // interleaving.
  if (!write_all(fd, frame.value())) {
    int err = errno;
    ::close(fd);
    throw Error(path + ": write failed: " + std::strerror(err));
  }
  ::close(fd);
}

void TrialContext::send(const std::string& type, std::int64_t sequence,
                        const Json& metric) {
  if (platform_ == Platform::kStandalone) {
    std::string msg = type == to_string(MetricType::kFinal)
                          ? "Final result: " + dumps(metric)
                          : "Intermediate result: " + dumps(metric) +
                                " (Index " + std::to_string(sequence) + ")";
    log_line(stdout, "INFO", "nni/MainThread", msg);
    return;
  }
  std::optional<std::int64_t> pid;
  if (requested_ && record_.contains("parameter_id") &&
      !record_["parameter_id"].is_null()) {
    pid = record_["parameter_id"].get<std::int64_t>();
  }
  write_frame(metric_payload(pid, env("NNI_TRIAL_JOB_ID").value_or(""), type,
                             sequence, metric));
}

int TrialContext::restart_count() const {
  const std::string s = env("ARCHER_TRIAL_RESTARTS").value_or("0");
  char* end = nullptr;
  const long n = std::strtol(s.c_str(), &end, 10);
  return !s.empty() && *end == '\0' && n > 0 && n < (1L << 30)
             ? static_cast<int>(n)
             : 0;
}

// After a restart: the sequence after the PERIODICAL results the earlier
// starts wrote to this trial's metrics file (0 when there are none).
std::int64_t TrialContext::reported_sequences() const {
  if (restart_count() == 0 || platform_ != Platform::kLocal) return 0;
  auto text = read_regular_file(
      required_env("NNI_OUTPUT_DIR") + "/.nni/metrics", std::size_t{1} << 30);
  if (!text.is_ok()) return 0;
  MetricStreamDecoder decoder;
  decoder.feed(text.value());
  std::int64_t next = 0;
  for (;;) {
    auto record = decoder.next();
    if (!record.is_ok()) continue;  // a damaged record: skipped, as the manager
    if (!record.value()) break;
    if (record.value()->type == to_string(MetricType::kPeriodical))
      next = std::max(next, record.value()->sequence + 1);
  }
  return next;
}

void TrialContext::report_intermediate_result(const Json& metric) {
  check_metric(metric, "report_intermediate_result");
  std::lock_guard<std::mutex> lock(mu_);
  if (!intermediate_sequence_) intermediate_sequence_ = reported_sequences();
  send(to_string(MetricType::kPeriodical), *intermediate_sequence_, metric);
  ++*intermediate_sequence_;
}

void TrialContext::report_final_result(const Json& metric) {
  check_metric(metric, "report_final_result");
  std::lock_guard<std::mutex> lock(mu_);
  if (final_extras_.empty()) {
    send(to_string(MetricType::kFinal), 0, metric);
    return;
  }
  Json merged = metric.is_object() ? metric : Json{{"default", metric}};
  for (auto it = final_extras_.begin(); it != final_extras_.end(); ++it) {
    if (!merged.contains(it.key())) merged[it.key()] = it.value();
  }
  send(to_string(MetricType::kFinal), 0, merged);
}

void TrialContext::set_final_metric_extras(Json extras) {
  if (!extras.is_object())
    throw Error("set_final_metric_extras: expected a JSON object, got " +
                json_excerpt(extras, 60));
  std::lock_guard<std::mutex> lock(mu_);
  final_extras_ = std::move(extras);
}

Json TrialContext::final_metric_extras() const {
  std::lock_guard<std::mutex> lock(mu_);
  return final_extras_;
}

std::string TrialContext::experiment_id() const {
  switch (platform_) {
    case Platform::kStandalone:
      return "STANDALONE";
    case Platform::kUnittest:
      return "fakeidex";
    case Platform::kLocal:
      break;
  }
  return env("NNI_EXP_ID").value_or("");
}

std::string TrialContext::trial_id() const {
  switch (platform_) {
    case Platform::kStandalone:
      return "STANDALONE";
    case Platform::kUnittest:
      return "fakeidtr";
    case Platform::kLocal:
      break;
  }
  return env("NNI_TRIAL_JOB_ID").value_or("");
}

std::int64_t TrialContext::sequence_id() const {
  if (platform_ != Platform::kLocal) return 0;
  std::string s = env("NNI_TRIAL_SEQ_ID").value_or("0");
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') {
    throw Error(
        "environment variable NNI_TRIAL_SEQ_ID must be a decimal integer, got "
        "'" +
        s + "'");
  }
  return v;
}

void TrialContext::set_test_parameters(Json parameters) {
  std::lock_guard<std::mutex> lock(mu_);
  test_parameters_ = std::move(parameters);
}

std::vector<std::string> TrialContext::sent_metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

TrialContext& default_trial_context() {
  static TrialContext* context =
      new TrialContext(TrialContext::from_process_env());
  return *context;
}

Json get_next_parameter() {
  return default_trial_context().get_next_parameter();
}
Json get_current_parameter() {
  return default_trial_context().get_current_parameter();
}
void report_intermediate_result(const Json& metric) {
  default_trial_context().report_intermediate_result(metric);
}
void report_final_result(const Json& metric) {
  default_trial_context().report_final_result(metric);
}
std::string get_experiment_id() {
  return default_trial_context().experiment_id();
}
std::string get_trial_id() { return default_trial_context().trial_id(); }
std::int64_t get_sequence_id() { return default_trial_context().sequence_id(); }
int trial_restart_count() { return default_trial_context().restart_count(); }

}  // namespace archer
