#include "training_service/slurm/slurm_jobs.h"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "common/log.h"
#include "common/subprocess.h"

namespace archer {

std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool slurm_waiting(const std::string& st) {
  return st == "PENDING" || st == "CONFIGURING" || st == "REQUEUED" ||
         st == "REQUEUE_HOLD" || st == "REQUEUE_FED" || st == "SUSPENDED";
}

bool slurm_live(const std::string& st) {
  return slurm_waiting(st) || st == "RUNNING" || st == "COMPLETING" ||
         st == "RESIZING";
}

StatusOr<std::string> run_sbatch(const std::vector<std::string>& argv,
                                 const SlurmEnv& env, const std::string& what) {
  auto r = run_process(argv, env, "", std::chrono::seconds(60));
  if (!r.is_ok()) return r.status();
  const std::string out = trim_right(r.value().out);
  if (r.value().exit_code != 0 || out.empty()) {
    return Status::io_error("sbatch failed for " + what + ": " +
                            trim_right(r.value().err));
  }
  return out.substr(0, out.find(';'));  // "<id>[;cluster]"
}

StatusOr<std::map<std::string, SlurmJobState>> squeue_states(
    const std::vector<std::string>& jobs, const SlurmEnv& env) {
  std::map<std::string, SlurmJobState> state;
  std::string list;
  for (const auto& j : jobs) {
    if (!j.empty()) list += (list.empty() ? "" : ",") + j;
  }
  if (list.empty()) return state;
  // --array: pending array elements one per line ("12_3"), not "12_[3-5]".
  auto r = run_process({"squeue", "--noheader", "--array", "--format=%i %T %r",
                        "--states=all", "--jobs=" + list},
                       env, "", std::chrono::seconds(30));
  if (!r.is_ok()) return r.status();
  if (r.value().exit_code != 0) {
    // A job id Slurm forgot entirely makes squeue fail on some versions.
    const std::string err = trim_right(r.value().err);
    if (err.find("Invalid job id") == std::string::npos)
      return Status::io_error(err);
  }
  std::istringstream lines(r.value().out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string id, st, reason;
    f >> id >> st;
    std::getline(f, reason);
    state[id] = {st, trim_right(reason.empty() ? reason : reason.substr(1))};
  }
  return state;
}

std::string slurm_final_state(const std::string& job, const SlurmEnv& env,
                              std::string* reason) {
  auto r = run_process({"scontrol", "show", "job", job}, env, "",
                       std::chrono::seconds(30));
  if (r.is_ok() && r.value().exit_code == 0) {
    const std::string& out = r.value().out;
    auto field = [&](const std::string& key) {
      size_t p = out.find(" " + key + "=");
      if (p == std::string::npos) p = out.find("\n" + key + "=");
      if (p == std::string::npos) return std::string();
      p += key.size() + 2;
      return out.substr(p, out.find_first_of(" \n", p) - p);
    };
    *reason = field("Reason");
    return field("JobState");
  }
  auto acct = run_process({"sacct", "-n", "-X", "-P", "-o", "State", "-j", job},
                          env, "", std::chrono::seconds(30));
  if (acct.is_ok() && acct.value().exit_code == 0) {
    std::string state = trim_right(acct.value().out);
    return state.substr(0, state.find(' '));
  }
  return "";
}

BackgroundWorker::Job scancel_job(const std::string& job, const SlurmEnv& env) {
  return [job, env]() -> BackgroundWorker::Completion {
    auto r = run_process({"scancel", job}, env, "", std::chrono::seconds(30));
    if (r.is_ok() && r.value().exit_code == 0) return {};
    const std::string why =
        r.is_ok() ? trim_right(r.value().err) : r.status().message();
    return [job, why] { log_warning("archer", "scancel " + job + ": " + why); };
  };
}

std::optional<long long> slurm_time_seconds(const std::string& text) {
  long long days = 0;
  std::string rest = text;
  const size_t dash = text.find('-');
  std::vector<long long> parts;
  auto number = [](const std::string& s) -> std::optional<long long> {
    if (s.empty() || s.size() > 9) return std::nullopt;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    return std::atoll(s.c_str());
  };
  if (dash != std::string::npos) {
    auto d = number(text.substr(0, dash));
    if (!d) return std::nullopt;
    days = *d;
    rest = text.substr(dash + 1);
  }
  std::istringstream in(rest);
  for (std::string p; std::getline(in, p, ':');) {
    auto n = number(p);
    if (!n) return std::nullopt;
    parts.push_back(*n);
  }
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  long long s = 0;
  if (dash != std::string::npos) {  // days-hours[:minutes[:seconds]]
    const long long mul[] = {3600, 60, 1};
    for (size_t i = 0; i < parts.size(); ++i) s += parts[i] * mul[i];
    return days * 86400 + s;
  }
  if (parts.size() == 1) return parts[0] * 60;             // minutes
  if (parts.size() == 2) return parts[0] * 60 + parts[1];  // min:sec
  return parts[0] * 3600 + parts[1] * 60 + parts[2];       // h:m:s
}

}  // namespace archer
