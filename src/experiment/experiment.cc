#include "experiment/experiment.h"

#include <unistd.h>

#include <filesystem>

#include "common/log.h"
#include "common/time_util.h"
#include "experiment/experiment_index.h"
#include "store/experiment_files.h"
#include "training_service/platform.h"

namespace archer {

namespace {

// Starts `rest` unless disabled; the lines announcing it.
StatusOr<std::string> start_server(RestServer& rest,
                                   const ServerOptions& server) {
  if (!server.enabled) return std::string();
  Status prefix = rest.set_url_prefix(server.url_prefix);
  if (!prefix.is_ok()) return prefix;
  for (const auto& h : server.allowed_hosts) rest.allow_host(h);
  Status listening = rest.start(server.port);
  if (!listening.is_ok()) return listening;
  const std::string base =
      "http://127.0.0.1:" + std::to_string(rest.port()) + rest.url_prefix();
  return "Web UI: " + base + "/\nREST API: " + base + "/api/v1/nni\n";
}

}  // namespace

Status make_experiment_directories(const std::string& dir) {
  for (const std::string& d :
       {dir + "/db", files::log_dir(dir), files::trials_dir(dir)}) {
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec) return Status::io_error(d + ": cannot create: " + ec.message());
  }
  return Status::ok();
}

StatusOr<ExperimentConfig> stored_config(const std::string& dir) {
  const std::string db = files::store_path(dir);
  auto store = Store::open(db);
  if (!store.is_ok()) return store.status();
  auto canonical = store.value()->get_value(store_keys::kConfig);
  if (!canonical.is_ok()) return canonical.status();
  auto space = store.value()->get_value(store_keys::kSearchSpace);
  if (!space.is_ok()) return space.status();
  if (canonical.value().is_null() || space.value().is_null()) {
    return Status::invalid_argument(
        db +
        ": no stored config or search space (the experiment never "
        "started)");
  }
  return config_from_canonical(canonical.value(), space.value(), db);
}

Experiment::Experiment(std::string id, std::string dir, ManagerLock lock)
    : id_(std::move(id)), dir_(std::move(dir)), lock_(std::move(lock)) {}

Experiment::~Experiment() {
  if (rest_) rest_->stop();
}

StatusOr<std::unique_ptr<Experiment>> Experiment::create(
    const std::string& id, const std::string& dir,
    const ExperimentConfig& config, const ServerOptions& server) {
  return open(id, dir, config, false, server);
}

StatusOr<std::unique_ptr<Experiment>> Experiment::resume(
    const std::string& id, const std::string& dir,
    const std::string& working_dir, const ServerOptions& server) {
  auto config = stored_config(dir);
  if (!config.is_ok()) return config.status();
  ExperimentConfig c = std::move(config).value();
  c.experiment_working_directory = working_dir;  // where it was found
  return open(id, dir, c, true, server);
}

StatusOr<std::unique_ptr<Experiment>> Experiment::open(
    const std::string& id, const std::string& dir,
    const ExperimentConfig& config, bool resume, const ServerOptions& server) {
  if (!resume) {
    Status made = make_experiment_directories(dir);
    if (!made.is_ok()) return made;
  }
  // One manager per experiment, held until this object goes.
  auto lock = ManagerLock::acquire(dir, "manager");
  if (!lock.is_ok()) return lock.status();
  std::unique_ptr<Experiment> e(
      new Experiment(id, dir, std::move(lock).value()));
  e->working_dir_ = config.experiment_working_directory;
  const std::string db = files::store_path(dir);
  auto store = Store::open(db);
  if (!store.is_ok()) return store.status();
  e->store_ = std::move(store).value();
  // Errors name the file the user wrote (or the store, on resume).
  const std::string source =
      resume || config.config_path.empty() ? db : config.config_path;
  // Archer's own tuner, or NNI's dispatcher (started by the manager).
  auto proposer = make_proposer(config, id, dir, e->store_.get());
  if (!proposer.is_ok()) return proposer.status().with_context(source);
  PlatformContext platform;
  platform.experiment_id = id;
  platform.experiment_dir = dir;
  auto service = create_training_service(config, platform);
  if (!service.is_ok()) return service.status().with_context(source);
  e->manager_ = std::make_unique<ExperimentManager>(
      config, id, dir, std::move(proposer).value(), std::move(service).value(),
      e->store_.get());
  // The port first: a busy one fails the create before any trial starts.
  e->rest_ = std::make_unique<RestServer>(db);
  e->rest_->set_commands(&e->commands_);
  auto served = start_server(*e->rest_, server);
  if (!served.is_ok()) return served.status();
  Status st = resume ? e->manager_->resume() : e->manager_->start();
  if (!st.is_ok()) return st.with_context(source);
  e->announcement_ = "Experiment " + id + " " +
                     (resume ? "resumed" : "started") + ": " + dir + "\n" +
                     served.value();
  const int port = server.enabled ? e->rest_->port() : 0;
  const std::string prefix = e->rest_->url_prefix();
  st = update_index_entry(e->working_dir_, id, [&](Json& entry) {
    entry["id"] = id;
    entry["dir"] = dir;
    if (!resume) {
      entry["config"] = config.config_path;
      entry["startTime"] = now_ms();
    } else {
      entry["resumeTime"] = now_ms();
    }
    entry["experimentName"] = config.experiment_name;
    entry["pid"] = static_cast<std::int64_t>(::getpid());
    entry["status"] = ExperimentStatus::kRunning;
    entry.erase("endTime");
    if (server.enabled) {
      entry["port"] = port;
      entry["urlPrefix"] = prefix;
    } else {
      entry.erase("port");
    }
  });
  if (!st.is_ok()) log_warning("archer", st.message());
  if (!resume) {
    // Found by id from anywhere once it runs (a failed create leaves no
    // pointer behind).
    Status registered = register_experiment(e->working_dir_, id, dir);
    if (!registered.is_ok()) log_warning("archer", registered.message());
  }
  Status published = e->lock_.publish(port, prefix);
  if (!published.is_ok()) log_warning("archer", published.message());
  return e;
}

StatusOr<bool> Experiment::step(std::chrono::milliseconds timeout) {
  commands_.drain([&](const std::string& op, const Json& args) {
    return run_command(*manager_, op, args, &stop_requested_);
  });
  if (stop_requested_) return false;
  auto more = manager_->step(timeout);
  if (!more.is_ok()) {
    // The experiment cannot go on: ERROR, with why, in the store and index.
    Status failed = manager_->fail(more.status());
    if (!failed.is_ok()) log_warning("archer", failed.message());
    Status finished = finish();
    if (!finished.is_ok()) log_warning("archer", finished.message());
  }
  return more;
}

Status Experiment::stop() { return manager_->stop(); }

Status Experiment::finish() {
  if (finished_) return Status::ok();
  finished_ = true;
  if (rest_) rest_->stop();
  const Progress p = manager_->progress();
  return update_index_entry(working_dir_, id_, [&](Json& entry) {
    entry["status"] = p.status;
    entry["endTime"] = now_ms();
  });
}

Status Experiment::record_status() {
  const Progress p = manager_->progress();
  return update_index_entry(working_dir_, id_, [&](Json& entry) {
    entry["status"] = p.status;
    if (p.status == ExperimentStatus::kDone) {
      entry["endTime"] = now_ms();
    } else {
      entry.erase("endTime");
    }
  });
}

ExperimentViewer::ExperimentViewer(ManagerLock lock, std::string dir)
    : lock_(std::move(lock)),
      rest_(std::make_unique<RestServer>(files::store_path(dir))) {}

ExperimentViewer::~ExperimentViewer() {
  Status st = close();
  if (!st.is_ok()) log_warning("archer", st.message());
}

StatusOr<std::unique_ptr<ExperimentViewer>> ExperimentViewer::open(
    const std::string& id, const std::string& dir,
    const std::string& working_dir, const ServerOptions& server) {
  auto checked = stored_config(dir);  // fails clearly on a broken store
  if (!checked.is_ok()) return checked.status();
  auto lock = ManagerLock::acquire(dir, "viewer");
  if (!lock.is_ok()) return lock.status();
  std::unique_ptr<ExperimentViewer> v(
      new ExperimentViewer(std::move(lock).value(), dir));
  v->id_ = id;
  v->working_dir_ = working_dir;
  ServerOptions serving = server;
  serving.enabled = true;
  auto served = start_server(*v->rest_, serving);  // no commands: read-only
  if (!served.is_ok()) return served.status();
  v->announcement_ = "Viewing experiment " + id + " (read-only): " + dir +
                     "\n" + served.value();
  Status published = v->lock_.publish(v->rest_->port(), v->rest_->url_prefix());
  if (!published.is_ok()) log_warning("archer", published.message());
  Status st = update_index_entry(working_dir, id, [&](Json& e) {
    const Json previous = e.value("status", Json());
    v->previous_status_ =
        previous.is_string() ? previous.get<std::string>() : "STOPPED";
    e["status"] = ExperimentStatus::kViewed;
    e["pid"] = static_cast<std::int64_t>(::getpid());
    e["port"] = v->rest_->port();
    e["urlPrefix"] = v->rest_->url_prefix();
  });
  if (!st.is_ok()) log_warning("archer", st.message());
  return v;
}

Status ExperimentViewer::close() {
  if (closed_) return Status::ok();
  closed_ = true;
  rest_->stop();
  return update_index_entry(working_dir_, id_, [&](Json& e) {
    e["status"] = previous_status_;
    e.erase("port");
  });
}

}  // namespace archer
