#include "training_service/run_script.h"

#include <sstream>

#include "common/bounded_file.h"

namespace archer {

std::string shell_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string local_run_script(const TrialSpec& spec, const std::string& platform,
                             const std::string& path_prefix) {
  RunScriptOptions options;
  options.platform = platform;
  options.path_prefix = path_prefix;
  return run_script(spec, options);
}

std::string run_script(const TrialSpec& spec, const RunScriptOptions& options) {
  const std::string& path_prefix = options.path_prefix;
  std::map<std::string, std::string> vars = spec.env;
  vars["NNI_PLATFORM"] = options.platform;
  vars["NNI_EXP_ID"] = spec.experiment_id;
  vars["NNI_SYS_DIR"] = spec.trial_dir;
  vars["NNI_TRIAL_JOB_ID"] = spec.trial_id;
  vars["NNI_OUTPUT_DIR"] = spec.trial_dir;
  vars["NNI_TRIAL_SEQ_ID"] = std::to_string(spec.sequence_id);
  vars["NNI_CODE_DIR"] = spec.code_dir;
  std::string s = "#!/bin/bash\n";
  for (const auto& [k, v] : vars)
    s += "export " + k + "=" + shell_quote(v) + "\n";
  for (const auto& line : options.raw_exports) s += "export " + line + "\n";
  if (!path_prefix.empty())
    s += "export PATH=" + shell_quote(path_prefix) + ":\"$PATH\"\n";
  // The pid lets a restarted manager find the trial even if it died before
  // storing it.
  s += "echo $$ >" + shell_quote(spec.trial_dir + "/.nni/pid") + "\n";
  // A restart (a requeued job, a trial started again in its directory): the
  // trial is told how many starts came before (ARCHER_TRIAL_RESTARTS), and an
  // earlier start's exit state is not this one's.
  const std::string starts = shell_quote(spec.trial_dir + "/.nni/starts");
  s += "restarts=0; [ -f " + starts + " ] && restarts=$(wc -l <" + starts +
       ")\n";
  s += "export ARCHER_TRIAL_RESTARTS=$((restarts))\n";
  s += "echo $$ >>" + starts + "\n";
  s += "rm -f " + shell_quote(spec.trial_dir + "/.nni/state") + "\n";
  s += "cd " + shell_quote(spec.code_dir) + " || exit 127\n";
  // A subshell, so that an `exit` in the command still lets the state line run.
  s += "(eval " + shell_quote(spec.command) + ") 1>" +
       shell_quote(spec.trial_dir + "/stdout") + " 2>" +
       shell_quote(spec.trial_dir + "/stderr") + "\n";
  s += "code=$?\n";
  s += "echo $code `date +%s%3N` >" +
       shell_quote(spec.trial_dir + "/.nni/state.tmp") + " && mv " +
       shell_quote(spec.trial_dir + "/.nni/state.tmp") + " " +
       shell_quote(spec.trial_dir + "/.nni/state") + "\n";
  s += "exit $code\n";
  return s;
}

std::optional<ExitState> read_exit_state(const std::string& trial_dir) {
  auto text = read_beneath(trial_dir, ".nni/state", 256);
  std::istringstream in(text.is_ok() ? text.value() : "");
  ExitState state;
  if (!(in >> state.code >> state.time_ms)) return std::nullopt;
  return state;
}

std::string read_trial_word(const std::string& trial_dir,
                            const std::string& relative) {
  auto text = read_beneath(trial_dir, relative, 64);
  std::istringstream in(text.is_ok() ? text.value() : "");
  std::string word;
  in >> word;
  return word;
}

}  // namespace archer
