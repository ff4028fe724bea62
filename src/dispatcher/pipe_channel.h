// The legacy form of NNI's tuner command channel: the dispatcher reads
// commands on its fd 3 and writes them on its fd 4 (NNI <= 2.6,
// nni/runtime/tuner_command_channel/legacy.py), framed as legacy_framing.h
// says. The channel owns the manager's ends of the two pipes; a reader
// thread decodes what arrives and a writer thread writes what send() queued,
// so a dispatcher that stops reading never blocks the manager.
#ifndef ARCHER_DISPATCHER_PIPE_CHANNEL_H_
#define ARCHER_DISPATCHER_PIPE_CHANNEL_H_

#include <memory>

#include "dispatcher/tuner_channel.h"

namespace archer {

class PipeChannel : public TunerChannel {
 public:
  // `from_dispatcher`: the read end of the pipe on its fd 4; `to_dispatcher`:
  // the write end of the pipe on its fd 3. Both are closed by the channel.
  PipeChannel(int from_dispatcher, int to_dispatcher);
  ~PipeChannel() override;

  void send(const TunerCommand& command) override;
  std::vector<TunerCommand> receive() override;
  int fd() const override;
  bool connected() const override;
  std::optional<std::string> failure() const override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace archer

#endif  // ARCHER_DISPATCHER_PIPE_CHANNEL_H_
