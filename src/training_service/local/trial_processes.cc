#include "training_service/local/trial_processes.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include "common/bounded_file.h"

namespace archer {

namespace {

bool has_var(const std::string& environ, const std::string& entry) {
  size_t pos = 0;
  while (pos < environ.size()) {
    size_t end = environ.find('\0', pos);
    if (end == std::string::npos) end = environ.size();
    if (environ.compare(pos, end - pos, entry) == 0) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

std::vector<pid_t> trial_processes(const std::string& experiment_id,
                                   const std::string& trial_id,
                                   const std::string& trial_dir) {
  std::vector<pid_t> out;
  if (experiment_id.empty() || trial_id.empty() || trial_dir.empty())
    return out;
  const std::string exp = "NNI_EXP_ID=" + experiment_id;
  const std::string trial = "NNI_TRIAL_JOB_ID=" + trial_id;
  const std::string dir = "NNI_SYS_DIR=" + trial_dir;
  const pid_t self = ::getpid();
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (dirent* e = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(e->d_name));
    if (pid == self) continue;
    auto environ = read_regular_file(
        std::string("/proc/") + e->d_name + "/environ", size_t{1} << 20);
    if (!environ.is_ok()) continue;  // gone, or another user's
    if (has_var(environ.value(), trial) && has_var(environ.value(), exp) &&
        has_var(environ.value(), dir))
      out.push_back(pid);
  }
  ::closedir(proc);
  return out;
}

int kill_trial_processes(const std::string& experiment_id,
                         const std::string& trial_id,
                         const std::string& trial_dir) {
  int killed = 0;
  for (pid_t pid : trial_processes(experiment_id, trial_id, trial_dir)) {
    if (::kill(pid, SIGKILL) == 0) ++killed;
  }
  return killed;
}

}  // namespace archer
