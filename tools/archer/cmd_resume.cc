// archer resume ID / archer view ID: continue a stopped (or crashed) experiment
// from its store, or serve it read-only.
#include <signal.h>

#include "archer/config.h"
#include "archer/store.h"
#include "commands.h"
#include "experiment/experiment.h"
#include "experiment_runner.h"
#include "manager/manager_lock.h"
#include "store/experiment_files.h"

namespace archer {
namespace cli {

namespace {

// The stored config of the experiment in `dir`, as resume and view use it.
ExperimentConfig stored_config_or_throw(const std::string& dir) {
  auto config = stored_config(dir);
  if (!config.is_ok()) throw Error(config.status().message());
  return config.value();
}

// Refuses to resume or view an experiment whose manager (or viewer) still
// holds its lock. (The runner takes the lock itself too: two resumes started
// together cannot both run.)
void check_not_running(const std::string& id, const std::string& working) {
  const std::string dir = find_experiment_dir(id, working);
  auto who = lock_holder(dir);
  if (!who) return;
  throw Error("experiment '" + id + "' is " +
              (who->role == "viewer" ? "being viewed" : "running") +
              (who->pid > 0 ? " (process " + std::to_string(who->pid) + ")"
                            : std::string()) +
              "; stop it first with `archer stop " + id + "`");
}

}  // namespace

void add_resume(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "resume",
      "continue a stopped experiment, or one whose manager was killed: "
      "running trials are adopted, ids continue, the tuner is rebuilt");
  auto id = std::make_shared<std::string>();
  auto options = std::make_shared<RunOptions>();
  auto working = std::make_shared<std::string>(default_working_dir());
  auto debug = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "experiment id (default: the most recent)");
  add_server_options(cmd, options.get());
  cmd->add_flag("-d,--debug", *debug, "debug logging");
  cmd->add_option("-e,--experiment_working_directory", *working,
                  "where experiments live")
      ->capture_default_str();
  cmd->callback([&run, id, options, working] {
    run = [id, options, working] {
      const ExperimentLocation at = locate_experiment(*id, *working);
      const std::string& eid = at.id;
      const std::string& dir = at.dir;
      check_not_running(eid, *working);
      ExperimentConfig config = stored_config_or_throw(dir);
      // Its status, pid and port go to the index that holds it (the
      // registry only points there).
      config.experiment_working_directory = at.working_dir;
      return run_maybe_detached(
          dir, options->foreground, "Stop it with: archer stop " + eid,
          [&](int& ready_fd) {
            return run_experiment(eid, dir, config, true, *options, ready_fd);
          });
    };
  });

  auto* view = app.add_subcommand(
      "view", "serve a stopped experiment's REST API read-only");
  auto vid = std::make_shared<std::string>();
  auto voptions = std::make_shared<RunOptions>();
  auto vworking = std::make_shared<std::string>(default_working_dir());
  view->add_option("id", *vid, "experiment id (default: the most recent)");
  view->add_flag("-f,--foreground", voptions->foreground,
                 "serve from this terminal until Ctrl-C");
  add_web_options(view, voptions.get());
  view->add_option("-e,--experiment_working_directory", *vworking,
                   "where experiments live")
      ->capture_default_str();
  view->callback([&run, vid, voptions, vworking] {
    run = [vid, voptions, vworking] {
      const ExperimentLocation at = locate_experiment(*vid, *vworking);
      const std::string& eid = at.id;
      const std::string& dir = at.dir;
      check_not_running(eid, *vworking);
      stored_config_or_throw(dir);  // fails clearly on a broken store
      return run_maybe_detached(
          dir, voptions->foreground, "Stop viewing with: archer stop " + eid,
          [&](int& ready_fd) {
            return run_viewer(eid, dir, at.working_dir, *voptions, ready_fd);
          });
    };
  });
}

}  // namespace cli
}  // namespace archer
