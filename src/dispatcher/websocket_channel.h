// The WebSocket form of NNI's tuner command channel: Archer listens on
// 127.0.0.1 (a port of its own), NNI's dispatcher connects to url() (given
// to it as NNI_TUNER_COMMAND_CHANNEL) and exchanges one text message per
// command ("IN{...}"). Boost.Beast on the channel's own thread.
//
// Untrusted clients: only a WebSocket upgrade of the exact path (a random
// token in it, unguessable by other local processes) is accepted, and no
// request that carries an Origin header (every browser sends one; NNI's
// client does not), so a web page cannot reach the tuner. A new connection
// on the path replaces the previous one (NNI's dispatcher reconnects after
// an error, as NNI's manager allows). Messages are at most 64 MiB.
#ifndef ARCHER_DISPATCHER_WEBSOCKET_CHANNEL_H_
#define ARCHER_DISPATCHER_WEBSOCKET_CHANNEL_H_

#include <memory>
#include <string>

#include "dispatcher/tuner_channel.h"

namespace archer {

class WebSocketChannel : public TunerChannel {
 public:
  // Listens on 127.0.0.1, a free port; the dispatcher's URL path is
  // "/<token>/tuner" (NNI's "ws://host:port/<url prefix>/tuner" form).
  static StatusOr<std::unique_ptr<WebSocketChannel>> listen(
      const std::string& token);
  ~WebSocketChannel() override;

  std::string url() const;
  void send(const TunerCommand& command) override;
  std::vector<TunerCommand> receive() override;
  int fd() const override;
  bool connected() const override;
  std::optional<std::string> failure() const override;

  struct Impl;

 private:
  explicit WebSocketChannel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace archer

#endif  // ARCHER_DISPATCHER_WEBSOCKET_CHANNEL_H_
