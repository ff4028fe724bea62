#include "rest/rest_server.h"

#include <httplib.h>

#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "archer/store.h"
#include "manager/commands.h"
#include "manager/update_table.h"
#include "rest/elastic_task_queue.h"
#include "rest/http_reply.h"
#include "rest/trial_index.h"
#include "rest/webui_routes.h"
#include "store/experiment_files.h"
#include "store/pareto_report.h"
#include "store/status_report.h"

namespace archer {

namespace {

// NNI's TrialJobInfo.
Json trial_job(const TrialRow& t, const std::vector<MetricRow>& metrics) {
  Json j = {{"trialJobId", t.trial_id},
            {"sequenceId", t.sequence_id},
            {"status", t.status},
            {"hyperParameters", Json::array({t.parameters})},
            {"logPath", "file://localhost:" + t.trial_dir}};
  if (t.start_time) j["startTime"] = t.start_time;
  if (t.end_time) j["endTime"] = t.end_time;
  if (!t.message.empty()) j["message"] = t.message;
  Json finals = Json::array();
  for (const auto& m : metrics) {
    if (m.trial_id == t.trial_id && m.type == MetricType::kFinal) {
      finals.push_back(
          {{"timestamp", m.timestamp},
           {"trialJobId", m.trial_id},
           {"parameterId",
            m.parameter_id ? Json(std::to_string(*m.parameter_id)) : Json()},
           {"type", m.type},
           {"sequence", m.sequence},
           {"data", dumps(Json(m.value))}});
    }
  }
  j["finalMetricData"] = finals;
  return j;
}

Json metric_record(const MetricRow& m) {
  // NNI stores `data` as the JSON encoding of the already-JSON value string.
  return {{"timestamp", m.timestamp},
          {"trialJobId", m.trial_id},
          {"parameterId",
           m.parameter_id ? Json(std::to_string(*m.parameter_id)) : Json()},
          {"type", m.type},
          {"sequence", m.sequence},
          {"data", dumps(Json(m.value))}};
}

int http_status(const Status& st) {
  switch (st.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kCorruption:
      return 400;
    case Status::Code::kNotFound:
      return 404;
    default:
      return 503;
  }
}

// The new value of an update: {"value": v}, or NNI's profile with the value
// under the config key (v2 name, or v1 for the numbers).
Json update_value(const std::string& type, const Json& body) {
  if (body.is_object() && body.contains("value")) return body["value"];
  const Json params =
      body.is_object() ? body.value("params", Json::object()) : Json::object();
  const UpdateKind* kind = find_update(type);
  if (!kind || !params.is_object()) return Json();
  for (const char* k : kind->keys) {
    if (params.contains(k)) return params[k];
  }
  return Json();
}

}  // namespace

RestServer::RestServer(std::string db_path, std::string host)
    : db_path_(std::move(db_path)),
      host_(std::move(host)),
      guard_(host_),
      server_(new httplib::Server()) {}

RestServer::~RestServer() { stop(); }

Status RestServer::set_url_prefix(const std::string& prefix) {
  auto p = normalize_url_prefix(prefix);
  if (!p.is_ok()) return p.status();
  url_prefix_ = p.value();
  return Status::ok();
}

StatusOr<std::string> normalize_url_prefix(const std::string& prefix) {
  std::string p = prefix;
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  // Pasted into route patterns: only characters that mean nothing there.
  for (unsigned char c : p) {
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '~' && c != '/') {
      return Status::invalid_argument(
          "--url_prefix: expected letters, digits, '-', '_', '~' and '/', "
          "got '" +
          prefix.substr(0, 100) + "'");
    }
  }
  if (p.find("//") != std::string::npos)
    return Status::invalid_argument("--url_prefix: empty path segment in '" +
                                    prefix.substr(0, 100) + "'");
  return p.empty() ? std::string() : "/" + p;
}

Status RestServer::start(int port) {
  const std::string db = db_path_;
  const std::string kPrefix = url_prefix_ + "/api/v1/nni";
  add_webui_routes(*server_, url_prefix_, kPrefix,
                   std::make_shared<WebUiData>(db_path_), commands_ != nullptr);
  auto with_store = [db](httplib::Response& res,
                         const std::function<void(Store&)>& body) {
    auto store = Store::open(db);
    if (!store.is_ok()) return reply_error(res, store.status().message(), 500);
    body(*store.value());
  };
  httplib::Server& s = *server_;
  s.Get(kPrefix + "/check-status", [with_store](const httplib::Request&,
                                                httplib::Response& res) {
    with_store(res, [&](Store& store) { reply_json(res, status_json(store)); });
  });
  s.Get(kPrefix + "/version",
        [](const httplib::Request&, httplib::Response& res) {
          reply_json(res, Json("archer-" ARCHER_VERSION_STRING));
        });
  s.Get(kPrefix + "/experiment",
        [with_store](const httplib::Request&, httplib::Response& res) {
          with_store(res, [&](Store& store) {
            Json profile = Json::object();
            for (const char* key :
                 {"experiment_id", "config", "start_time", "end_time",
                  "next_sequence_id", "status", "elapsed_seconds"}) {
              auto v = store.get_value(key);
              if (v.is_ok() && !v.value().is_null()) profile[key] = v.value();
            }
            Json out = {
                {"id", profile.value("experiment_id", Json(""))},
                {"params", profile.value("config", Json::object())},
                {"startTime", profile.value("start_time", Json())},
                {"endTime", profile.value("end_time", Json())},
                {"nextSequenceId", profile.value("next_sequence_id", Json(0))},
                {"status", profile.value("status", Json())},
                {"execDuration", profile.value("elapsed_seconds", Json(0))}};
            reply_json(res, out);
          });
        });
  s.Get(kPrefix + "/job-statistics", [with_store](const httplib::Request&,
                                                  httplib::Response& res) {
    with_store(res, [&](Store& store) {
      auto trials = store.trials();
      if (!trials.is_ok())
        return reply_error(res, trials.status().message(), 500);
      std::map<std::string, int> counts;
      for (const auto& t : trials.value()) ++counts[to_string(t.status)];
      Json out = Json::array();
      for (const auto& [status, n] : counts)
        out.push_back({{"trialJobStatus", status}, {"trialJobNumber", n}});
      reply_json(res, out);
    });
  });
  auto trial_jobs = [with_store](const httplib::Request& req,
                                 httplib::Response& res) {
    with_store(res, [&](Store& store) {
      const std::string id =
          req.matches.size() > 1 ? std::string(req.matches[1]) : "";
      if (!id.empty()) {  // one trial: read only its row and metrics
        auto row = store.trial(id);
        auto own = store.metrics(id);
        if (!row.is_ok() || !own.is_ok())
          return reply_error(res, "cannot read the store", 500);
        if (!row.value())
          return reply_error(res, "trial '" + id + "' not found", 404);
        return reply_json(res, trial_job(*row.value(), own.value()));
      }
      auto trials = store.trials();
      auto metrics = store.metrics_of_type(MetricType::kFinal);
      if (!trials.is_ok() || !metrics.is_ok())
        return reply_error(res, "cannot read the store", 500);
      const std::string status =
          req.has_param("status") ? req.get_param_value("status") : "";
      Json out = Json::array();
      std::map<std::string, std::vector<MetricRow>> finals;
      for (auto& m : metrics.value()) finals[m.trial_id].push_back(m);
      const std::vector<MetricRow> none;
      for (const auto& t : trials.value()) {
        if (!status.empty() && to_string(t.status) != status) continue;
        auto f = finals.find(t.trial_id);
        out.push_back(trial_job(t, f == finals.end() ? none : f->second));
      }
      reply_json(res, out);
    });
  };
  s.Get(kPrefix + "/trial-jobs", trial_jobs);
  s.Get(kPrefix + R"(/trial-jobs/([A-Za-z0-9]+))", trial_jobs);
  auto metric_data = [with_store](const httplib::Request& req,
                                  httplib::Response& res) {
    with_store(res, [&](Store& store) {
      const std::string id =
          req.matches.size() > 1 ? std::string(req.matches[1]) : "";
      auto metrics = store.metrics(id);
      if (!metrics.is_ok())
        return reply_error(res, metrics.status().message(), 500);
      const std::string type =
          req.has_param("type") ? req.get_param_value("type") : "";
      Json out = Json::array();
      for (const auto& m : metrics.value()) {
        if (type.empty() || to_string(m.type) == type)
          out.push_back(metric_record(m));
      }
      reply_json(res, out);
    });
  };
  // Archer's: the Pareto front of a multi-objective experiment
  // (store/pareto_report.h) and the cost probe's totals.
  s.Get(kPrefix + "/pareto-front",
        [with_store](const httplib::Request&, httplib::Response& res) {
          with_store(res, [&](Store& store) {
            auto report = pareto_report_of_store(store);
            if (!report.is_ok())
              return reply_error(res, report.status().message(), 500);
            reply_json(res, report.value());
          });
        });
  s.Get(kPrefix + "/metric-data", metric_data);
  s.Get(kPrefix + R"(/metric-data/([A-Za-z0-9]+))", metric_data);
  CommandQueue* commands = commands_;
  // Forwards a write to the manager and replies with its answer.
  auto command = [commands](httplib::Response& res, const std::string& op,
                            const Json& args) {
    if (!commands) {
      return reply_error(
          res,
          "this experiment is viewed read-only (no manager runs it); "
          "resume it with `archer resume` to change it",
          403);
    }
    auto answer = commands->call(op, args, std::chrono::seconds(30));
    if (!answer.is_ok())
      return reply_error(res, answer.status().message(),
                         http_status(answer.status()));
    reply_json(res, answer.value());
  };
  auto body_json = [](const httplib::Request& req, httplib::Response& res,
                      Json* out) {
    JsonLimits limits;
    limits.max_bytes = kMaxRequestBody;
    auto parsed = parse_json(req.body, "request body", limits);
    if (!parsed.is_ok()) {
      reply_error(res, parsed.status().message(), 400);
      return false;
    }
    *out = parsed.value();
    return true;
  };
  s.Put(kPrefix + "/experiment",
        [command, body_json](const httplib::Request& req,
                             httplib::Response& res) {
          const std::string type = req.get_param_value("update_type");
          Json body;
          if (!body_json(req, res, &body)) return;
          command(res, "update",
                  Json{{"type", type}, {"value", update_value(type, body)}});
        });
  s.Delete(kPrefix + "/experiment",
           [command](const httplib::Request&, httplib::Response& res) {
             command(res, "stop", Json::object());
           });
  s.Delete(kPrefix + R"(/trial-jobs/([A-Za-z0-9]+))",
           [command](const httplib::Request& req, httplib::Response& res) {
             command(res, "kill", Json{{"trial_id", req.matches[1].str()}});
           });
  s.Post(kPrefix + "/experiment/import-data", [command, body_json](
                                                  const httplib::Request& req,
                                                  httplib::Response& res) {
    Json body;
    if (!body_json(req, res, &body)) return;
    command(res, "import", Json{{"records", body}, {"source", "import-data"}});
  });
  s.Get(kPrefix + "/experiment/imported-data",
        [with_store](const httplib::Request&, httplib::Response& res) {
          with_store(res, [&](Store& store) {
            auto v = store.get_value(store_keys::kImportedData);
            Json out = Json::array();
            if (v.is_ok() && v.value().is_array()) {
              for (const auto& r : v.value())
                out.push_back({{"parameter", r["parameter"]},
                               {"value", dumps(r["value"])}});
            }
            reply_json(res, out);
          });
        });
  const RequestGuard guard = guard_;
  s.set_pre_routing_handler(
      [guard](const httplib::Request& req, httplib::Response& res) {
        // Refused before its body is read (one request per connection,
        // below: the unread body is never taken for a next request).
        if (!guard.check(req, res))
          return httplib::Server::HandlerResponse::Handled;
        prefer_gzip(req);
        return httplib::Server::HandlerResponse::Unhandled;
      });
  s.set_payload_max_length(kMaxRequestBody);
  auto queue_state = std::make_shared<std::shared_ptr<TaskQueueState>>();
  workers_ = queue_state;
  s.new_task_queue = [queue_state] {
    auto* q = new ElasticTaskQueue(kMinWorkers, kMaxWorkers, kStopGrace);
    *queue_state = q->state();
    return q;
  };
  s.set_post_routing_handler(compress_reply);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would
  // let a second experiment share (and steal requests of) a busy port.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<void*>(&yes),
               sizeof(yes));
  });
  s.set_read_timeout(5, 0);
  s.set_write_timeout(5, 0);
  s.set_keep_alive_timeout(2);
  // One request per connection: httplib reads the next request of a
  // keep-alive connection line by line without a bound, so the unread body
  // of a request refused before routing (any web page can send a text/plain
  // POST) would be buffered whole as the "next request line".
  s.set_keep_alive_max_count(1);
  if (port == 0) {
    port_ = s.bind_to_any_port(host_);
    if (port_ < 0) return Status::io_error("cannot listen on " + host_);
  } else {
    if (!s.bind_to_port(host_, port)) {
      return Status::io_error("cannot listen on " + host_ + ":" +
                              std::to_string(port) +
                              " (is it in use? choose another with --port)");
    }
    port_ = port;
  }
  listening_ended_ = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([this, ended = listening_ended_] {
    server_->listen_after_bind();
    *ended = true;
  });
  // stop() is a no-op until httplib's loop runs: wait for it, so a stop
  // right after start cannot leave the loop running for ever.
  const auto deadline = std::chrono::steady_clock::now() + kStartWait;
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return Status::ok();
}

void RestServer::stop() {
  if (!server_) return;
  if (thread_.joinable()) {
    // The loop may still be starting: repeat stop() until it ended (the
    // queue's shutdown inside it waits at most kStopGrace).
    while (!*listening_ended_) {
      server_->stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    thread_.join();
  }
  auto state = workers_ ? *workers_ : nullptr;
  if (state && stragglers(*state) > 0) {
    // A worker is still stuck on a slow client and uses the server: keep it
    // alive for the rest of the process (reachable, so it is not a leak);
    // never hang here.
    static auto* const kept = new std::vector<std::unique_ptr<httplib::Server>>;
    static std::mutex kept_mu;
    std::lock_guard<std::mutex> lock(kept_mu);
    kept->push_back(std::move(server_));
  }
}

}  // namespace archer
