// An experiment, assembled: the one place that wires Archer's pieces — the
// experiment's ManagerLock, its store, the tuner (create_tuner), the training
// service (create_training_service), the ExperimentManager, the REST server
// with its command queue, and its entry in the experiments index. tools/archer
// only parses arguments, prints, and drives step() with its signals; tests
// and embedders do the same without a CLI.
//
//   auto e = Experiment::create(id, dir, config, server);   // or resume()
//   while (e->step(100ms).value() && !interrupted) {...}
//   if (interrupted || e->stop_requested()) e->stop();
//   e->finish();
#ifndef ARCHER_EXPERIMENT_EXPERIMENT_H_
#define ARCHER_EXPERIMENT_EXPERIMENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "archer/config.h"
#include "archer/store.h"
#include "manager/commands.h"
#include "manager/experiment_manager.h"
#include "manager/manager_lock.h"
#include "rest/rest_server.h"

namespace archer {

// The REST server of a manager or viewer.
struct ServerOptions {
  bool enabled = true;
  int port = 8080;                         // on 127.0.0.1; 0 = any free port
  std::string url_prefix;                  // NNI's --url_prefix
  std::vector<std::string> allowed_hosts;  // extra Host names (a proxy's)
};

// Makes an experiment's directory layout (db/, log/, trials/; see
// store/experiment_files.h).
Status make_experiment_directories(const std::string& experiment_dir);

// The config a manager stored (canonical JSON and search space), rebuilt and
// checked as a file would be; errors name the store.
StatusOr<ExperimentConfig> stored_config(const std::string& experiment_dir);

class Experiment {
 public:
  // Starts the new experiment `id` in `dir` from `config`.
  static StatusOr<std::unique_ptr<Experiment>> create(
      const std::string& id, const std::string& dir,
      const ExperimentConfig& config, const ServerOptions& server);
  // Continues the experiment stored in `dir` (stopped, or whose manager
  // died): its config rebuilt from the store, the tuner restored, running
  // trials adopted (ExperimentManager::resume). The index entry is kept in
  // `working_dir`.
  static StatusOr<std::unique_ptr<Experiment>> resume(
      const std::string& id, const std::string& dir,
      const std::string& working_dir, const ServerOptions& server);
  ~Experiment();  // stops the REST server if finish() did not

  // "Experiment <id> started: <dir>\nWeb UI: ...\nREST API: ...\n".
  const std::string& announcement() const { return announcement_; }
  // Carries out what REST clients asked (update, kill, stop), then one
  // manager step. False once the experiment is DONE, or a client asked it to
  // stop (stop_requested(); then call stop()). An error ends the experiment
  // as ERROR (ExperimentManager::fail, then finish()) and is returned.
  StatusOr<bool> step(std::chrono::milliseconds timeout);
  bool stop_requested() const { return stop_requested_; }
  // Cancels the running trials and waits for them (STOPPED).
  Status stop();
  // Stops the REST server and records the end in the index.
  Status finish();
  // Records the current status in the index (with the end time once it is
  // DONE), the REST server left running: a detached manager serves its web
  // UI on after the end, until `archer stop`.
  Status record_status();

  Progress progress() const { return manager_->progress(); }
  const ExperimentConfig& config() const { return manager_->config(); }
  const std::string& id() const { return id_; }
  const std::string& dir() const { return dir_; }

 private:
  Experiment(std::string id, std::string dir, ManagerLock lock);
  static StatusOr<std::unique_ptr<Experiment>> open(
      const std::string& id, const std::string& dir,
      const ExperimentConfig& config, bool resume, const ServerOptions& server);

  std::string id_, dir_, working_dir_;
  ManagerLock lock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ExperimentManager> manager_;
  CommandQueue commands_;
  std::unique_ptr<RestServer> rest_;
  std::string announcement_;
  bool stop_requested_ = false;
  bool finished_ = false;
};

// `archer view`: the stored experiment's REST API and web UI, read-only
// (writes 403), holding the experiment's lock as "viewer". Its index entry
// shows VIEWED until close() puts the previous status back.
class ExperimentViewer {
 public:
  static StatusOr<std::unique_ptr<ExperimentViewer>> open(
      const std::string& id, const std::string& dir,
      const std::string& working_dir, const ServerOptions& server);
  ~ExperimentViewer();
  const std::string& announcement() const { return announcement_; }
  Status close();

 private:
  ExperimentViewer(ManagerLock lock, std::string dir);
  ManagerLock lock_;
  std::string id_, working_dir_, previous_status_;
  std::unique_ptr<RestServer> rest_;
  std::string announcement_;
  bool closed_ = false;
};

}  // namespace archer

#endif  // ARCHER_EXPERIMENT_EXPERIMENT_H_
