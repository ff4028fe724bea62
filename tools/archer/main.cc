// archer: the command-line interface, nnictl-compatible. main() maps every
// failure to one line
// ("archer: error: ...") and an exit code.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "archer/status.h"
#include "commands.h"
#include "output.h"
#ifdef ARCHER_HAS_PPO
#include <unistd.h>

#include <climits>

#include "tuner/ppo/ppo_plugin.h"
#endif

int main(int argc, char** argv) {
#ifdef ARCHER_HAS_PPO
  // PPOTuner's module is loaded when a PPOTuner is made, not at start.
  char exe[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  archer::register_ppo_plugin(archer::ppo_module_candidates(
      n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string(argv[0]),
      ARCHER_PPO_MODULE_DIR));
#endif
  CLI::App app{
      "Archer: neural architecture search (NNI classic-NAS compatible)",
      "archer"};
  app.set_version_flag("-v,--version", std::string("archer ") + ARCHER_VERSION);
  app.require_subcommand(0, 1);
  archer::cli::Action run;
  archer::cli::add_ss_gen(app, run);
  archer::cli::add_create(app, run);
  archer::cli::add_trial(app, run);
  archer::cli::add_experiment(app, run);
  archer::cli::add_stop(app, run);
  archer::cli::add_log(app, run);
  archer::cli::add_resume(app, run);
  archer::cli::add_update(app, run);
  archer::cli::add_top(app, run);
  try {
    app.parse(argc, argv);
    if (!run) {
      std::cout << app.help();
      return 0;
    }
    return run();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << archer::cli::error_prefix(archer::cli::color_enabled(2))
              << e.what() << std::endl;
    return 1;
  }
}
