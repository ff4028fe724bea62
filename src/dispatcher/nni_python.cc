#include "dispatcher/nni_python.h"

#include <vector>

#include "common/subprocess.h"
#include "common/text.h"

namespace archer {

namespace {

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

StatusOr<NniPython> find_nni_python(const std::string& configured) {
  // Prints the channel on success (an ImportError's message otherwise).
  static const char kProbe[] =
      "import importlib.util, sys, nni\n"
      "if getattr(nni, '__archer_compat__', False):\n"
      "    sys.exit('ModuleNotFoundError: NNI is not installed (its `nni` is "
      "Archer\\'s stand-in for trials, which runs no NNI algorithm)')\n"
      "try:\n"
      "    ws = importlib.util.find_spec("
      "'nni.runtime.tuner_command_channel.websocket') is not None\n"
      "except ImportError:\n"
      "    ws = False\n"
      "print('websocket' if ws else 'pipes')\n";
  const std::vector<std::string> candidates =
      configured.empty()
          ? std::vector<std::string>{"python3", "/usr/bin/python3"}
          : std::vector<std::string>{configured};
  std::string tried;
  for (const auto& python : candidates) {
    auto r =
        run_process({python, "-c", kProbe}, {}, "", std::chrono::seconds(60));
    std::string why;
    if (!r.is_ok()) {
      why = r.status().message();
    } else if (r.value().exit_code == 0) {
      NniPython found{python, DispatcherOptions::Channel::kWebSocket};
      if (r.value().out.find("pipes") != std::string::npos)
        found.channel = DispatcherOptions::Channel::kPipes;
      return found;
    } else if (r.value().timed_out) {
      why = "timed out after 60 s";
    } else {
      const ProcessResult& p = r.value();
      const std::string said =
          printable_text(last_line(p.err.empty() ? p.out : p.err), 300);
      why = (p.exit_code < 0
                 ? std::string("killed by a signal")
                 : "exited with status " + std::to_string(p.exit_code)) +
            (said.empty() ? " and printed nothing (is it a Python?)"
                          : ": " + said);
    }
    tried += "\n  " + python + ": " + why;
  }
  return Status::invalid_argument(
      "NNI's algorithms need a Python that can `import nni`; tried:" + tried +
      "\nInstall NNI's Python package (pip install nni==2.10, or put NNI's "
      "source folder on PYTHONPATH) and what it imports (Debian 12: apt-get "
      "install python3-numpy python3-scipy python3-yaml python3-json-tricks "
      "python3-schema python3-typeguard python3-filelock python3-prettytable "
      "python3-psutil python3-requests python3-websockets python3-colorama "
      "python3-pandas python3-astor python3-cloudpickle python3-tqdm "
      "python3-packaging python3-typing-extensions), or name the Python with "
      "pythonInterpreter in the config");
}

}  // namespace archer
