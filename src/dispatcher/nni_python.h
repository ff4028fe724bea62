// The Python that runs NNI's dispatcher: the configured one, or the first of
// `python3` (PATH) and /usr/bin/python3 that can `import nni` (with this
// process's environment, so PYTHONPATH counts). A failure says what was tried,
// why each failed (the import's last error line), and what to install.
// The same probe tells the channel NNI's version speaks: a WebSocket from
// NNI 2.7 on (nni.runtime.tuner_command_channel.websocket), pipes before.
#ifndef ARCHER_DISPATCHER_NNI_PYTHON_H_
#define ARCHER_DISPATCHER_NNI_PYTHON_H_

#include <string>

#include "archer/status.h"
#include "dispatcher/dispatcher_process.h"

namespace archer {

struct NniPython {
  std::string python;
  DispatcherOptions::Channel channel = DispatcherOptions::Channel::kWebSocket;
};
StatusOr<NniPython> find_nni_python(const std::string& configured);

}  // namespace archer

#endif  // ARCHER_DISPATCHER_NNI_PYTHON_H_
