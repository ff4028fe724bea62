// archer create: run an experiment from a config file, with a live progress
// line.
#include <filesystem>
#include <random>

#include "archer/config.h"
#include "commands.h"
#include "common/log.h"
#include "common/nni_ids.h"
#include "experiment/experiment.h"
#include "experiment/experiment_index.h"
#include "experiment_runner.h"
#include "manager/experiment_manager.h"
#include "rest/rest_server.h"

namespace archer {
namespace cli {

namespace {

int run_create(const std::string& config_path, const RunOptions& options) {
  auto loaded = load_experiment_config(config_path);
  if (!loaded.is_ok()) throw Error(loaded.status().message());
  ExperimentConfig config = loaded.value();
  std::mt19937_64 rng(std::random_device{}());
  const std::string id = random_experiment_id(rng);
  // An experiment its own index could not record would be lost to every
  // command: a damaged index stops the create before anything runs.
  auto own = load_own_index(config.experiment_working_directory);
  if (!own.is_ok()) throw Error(own.status().message());
  const std::string dir = config.experiment_working_directory + "/" + id;
  Status made = make_experiment_directories(dir);
  if (!made.is_ok()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);  // a fresh id's: nothing else
    throw Error(made.message());
  }
  return run_maybe_detached(
      dir, options.foreground, "Stop it with: archer stop " + id,
      [&](int& ready_fd) {
        return run_experiment(id, dir, config, false, options, ready_fd);
      });
}

}  // namespace

void add_web_options(CLI::App* cmd, RunOptions* options) {
  cmd->add_option("-p,--port", options->port,
                  "REST API port on 127.0.0.1 (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--url_prefix", options->url_prefix,
                  "serve the web UI and the API under /<prefix> (as NNI's "
                  "--url_prefix, for a reverse proxy)")
      ->check([](const std::string& v) {
        auto p = normalize_url_prefix(v);
        if (p.is_ok()) return std::string();
        // CLI11 names the option itself.
        const std::string m = p.status().message(), own = "--url_prefix: ";
        return m.rfind(own, 0) == 0 ? m.substr(own.size()) : m;
      });
  cmd->add_option("--allowed_host", options->allowed_hosts,
                  "also accept requests addressed to this host name (a "
                  "reverse proxy's; 127.0.0.1, localhost and [::1] always "
                  "are); repeatable");
}

void add_server_options(CLI::App* cmd, RunOptions* options) {
  cmd->add_flag("-f,--foreground", options->foreground,
                "run in this terminal with a live progress line");
  add_web_options(cmd, options);
  cmd->add_flag("--no_server", options->no_server,
                "do not open a port (shared clusters); read-only commands read "
                "the store");
}

void add_create(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "create", "run an experiment from a config file (v1 or v2)");
  auto config = std::make_shared<std::string>();
  auto options = std::make_shared<RunOptions>();
  auto debug = std::make_shared<bool>(false);
  cmd->add_option("-c,--config", *config, "the experiment config (YAML)")
      ->required();
  add_server_options(cmd, options.get());
  cmd->add_flag("-d,--debug", *debug, "debug logging");
  cmd->callback([&run, config, options] {
    run = [config, options] { return run_create(*config, *options); };
  });
}

}  // namespace cli
}  // namespace archer
