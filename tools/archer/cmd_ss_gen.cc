// archer ss_gen: run a trial in search-space mode and check that it wrote the
// file (nnictl ss_gen, but failing when the trial fails or the file was not
// written afresh).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "archer/search_space.h"
#include "commands.h"

namespace archer {
namespace cli {

namespace fs = std::filesystem;

void add_ss_gen(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "ss_gen", "generate the search space of a classic-NAS trial");
  auto command = std::make_shared<std::string>();
  auto trial_dir = std::make_shared<std::string>("./");
  auto file = std::make_shared<std::string>("nni_auto_gen_search_space.json");
  cmd->add_option("-t,--trial_command", *command, "the trial command")
      ->required();
  cmd->add_option("-d,--trial_dir", *trial_dir, "where the command runs")
      ->capture_default_str();
  cmd->add_option("-f,--file", *file, "the search space file to write")
      ->capture_default_str();
  cmd->callback([&run, command, trial_dir, file] {
    run = [command, trial_dir, file]() -> int {
      std::string dir = *trial_dir;
      if (dir.rfind("~", 0) == 0)
        dir = std::string(std::getenv("HOME")) + dir.substr(1);
      if (!fs::is_directory(dir))
        throw Error("--trial_dir " + dir + " is not a directory");
      const std::string path = fs::absolute(*file).lexically_normal().string();
      if (fs::exists(path)) {
        std::cerr << "archer: " << path << " exists and will be overwritten"
                  << std::endl;
        fs::remove(path);
      }
      pid_t pid = fork();
      if (pid == 0) {
        if (chdir(dir.c_str()) != 0) _exit(127);
        setenv("NNI_GEN_SEARCH_SPACE", path.c_str(), 1);
        unsetenv("NNI_PLATFORM");
        execl("/bin/bash", "bash", "-c", command->c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
      }
      int status = 0;
      while (waitpid(pid, &status, 0) < 0) {
      }
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw Error("the trial command exited with " +
                    (WIFEXITED(status)
                         ? "status " + std::to_string(WEXITSTATUS(status))
                         : "signal " + std::to_string(WTERMSIG(status))) +
                    "; no search space generated (see its output above)");
      }
      if (!fs::exists(path)) {
        throw Error("the trial ended without writing " + path +
                    ": does it call get_and_apply_next_architecture(model)?");
      }
      auto space = SearchSpace::load(path);
      if (!space.is_ok()) throw Error(space.status().message());
      std::cerr << "Generate search space done: " << path << " ("
                << space.value().size() << " choices)" << std::endl;
      return 0;
    };
  });
}

}  // namespace cli
}  // namespace archer
