// NNI's tuner command channel, the manager's side: the commands the manager
// and NNI's dispatcher (`python3 -m nni`) exchange. A command is a two-letter
// type (NNI's CommandType: IN, GE, ME, SS, FD, AD, EN, TE, PI from the
// manager; ID, TR, SP, NO, KI, ER from the dispatcher) and a text payload
// (JSON, or a number for GE).
//
// Two transports, as NNI has them: a WebSocket the dispatcher connects to
// (NNI v2.7+, NNI_TUNER_COMMAND_CHANNEL; websocket_channel.h) and the pipes
// on the dispatcher's fds 3 and 4 (earlier versions; legacy_framing.h).
// Channels never block the caller: send() queues, receive() returns what
// arrived, fd() becomes readable when something did (for the manager's poll).
// Thread-safety: one caller; the channel's own thread does the I/O.
#ifndef ARCHER_DISPATCHER_TUNER_CHANNEL_H_
#define ARCHER_DISPATCHER_TUNER_CHANNEL_H_

#include <optional>
#include <string>
#include <vector>

#include "archer/status.h"

namespace archer {

struct TunerCommand {
  std::string type;  // two letters
  std::string payload;
  bool operator==(const TunerCommand& o) const {
    return type == o.type && payload == o.payload;
  }
};

class TunerChannel {
 public:
  virtual ~TunerChannel() = default;
  // Queues a command; sent once the dispatcher is connected.
  virtual void send(const TunerCommand& command) = 0;
  // The commands received since the last call, in order.
  virtual std::vector<TunerCommand> receive() = 0;
  // Readable while received commands wait (an eventfd).
  virtual int fd() const = 0;
  virtual bool connected() const = 0;
  // Why the channel cannot go on (the peer closed it, sent something that is
  // not a command, ...), once that happened.
  virtual std::optional<std::string> failure() const = 0;
};

// "XX" + payload, as a WebSocket message carries it; a message shorter than
// two letters, or whose type is not two capital letters, is an error naming
// what came.
StatusOr<TunerCommand> parse_tuner_message(const std::string& message);

}  // namespace archer

#endif  // ARCHER_DISPATCHER_TUNER_CHANNEL_H_
