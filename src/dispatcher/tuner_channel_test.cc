// NNI's tuner command channel: the legacy pipe framing, and the WebSocket
// form with NNI v2.10's own dispatcher (../shared/nni) on the other end.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "archer/json.h"
#include "common/base64.h"
#include "common/subprocess.h"
#include "dispatcher/legacy_framing.h"
#include "dispatcher/websocket_channel.h"
#include "testing/channel_wait.h"
#include "testing/nni_code.h"

namespace archer {
namespace {

TEST(LegacyFraming, RoundTripsInPiecesOfAnySize) {
  const std::vector<TunerCommand> commands = {
      {"IN", "{\"x\": {\"_type\": \"choice\", \"_value\": [1, 2]}}"},
      {"GE", "2"},
      {"TE", ""},
      {"ME", std::string(100000, 'x')}};
  std::string stream;
  for (const auto& c : commands) stream += encode_legacy(c);
  EXPECT_EQ(encode_legacy({"GE", "1"}), "GE000000000000011");
  for (size_t piece : {size_t{1}, size_t{7}, stream.size()}) {
    LegacyDecoder d;
    std::vector<TunerCommand> got;
    for (size_t at = 0; at < stream.size(); at += piece) {
      auto r = d.feed(std::string_view(stream).substr(at, piece));
      ASSERT_TRUE(r.is_ok()) << r.status().message();
      got.insert(got.end(), r.value().begin(), r.value().end());
    }
    EXPECT_EQ(got, commands) << "pieces of " << piece;
  }
}

TEST(LegacyFraming, ABadHeaderOrAHugePayloadStopsTheStream) {
  LegacyDecoder d;
  auto bad = d.feed("G?00000000000001x");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("expected a header"),
            std::string::npos);
  EXPECT_FALSE(d.feed(encode_legacy({"GE", "1"})).is_ok());  // stays failed
  LegacyDecoder small(10);
  auto huge = small.feed("ME00000000000011");
  ASSERT_FALSE(huge.is_ok());
  EXPECT_NE(huge.status().message().find("11 bytes (at most 10)"),
            std::string::npos)
      << huge.status().message();
}

TEST(TunerMessage, ParsesTypeAndPayload) {
  auto ok = parse_tuner_message("TR{\"parameter_id\": 0}");
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(ok.value(), (TunerCommand{"TR", "{\"parameter_id\": 0}"}));
  EXPECT_TRUE(parse_tuner_message("NO").is_ok());
  for (const char* bad : {"", "T", "tr{}", "1A"})
    EXPECT_FALSE(parse_tuner_message(bad).is_ok()) << bad;
}

// An HTTP request to the channel's port; returns the status line.
std::string raw_request(int port, const std::string& request) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(s);
    return "no connection";
  }
  [[maybe_unused]] ssize_t w = ::write(s, request.data(), request.size());
  char buf[256] = {};
  ssize_t n = ::read(s, buf, sizeof(buf) - 1);
  ::close(s);
  std::string reply(buf, n > 0 ? static_cast<size_t>(n) : 0);
  return reply.substr(0, reply.find("\r\n"));
}

int port_of(const std::string& url) {
  const size_t colon = url.rfind(':');
  return std::stoi(url.substr(colon + 1, url.find('/', colon) - colon - 1));
}

TEST(WebSocketChannel, RefusesOtherPathsAndBrowserPages) {
  auto channel = WebSocketChannel::listen("t0ken");
  ASSERT_TRUE(channel.is_ok()) << channel.status().message();
  const std::string url = channel.value()->url();
  EXPECT_EQ(url.rfind("ws://127.0.0.1:", 0), 0u) << url;
  const int port = port_of(url);
  const std::string upgrade =
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
      "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n";
  EXPECT_EQ(raw_request(port, "GET /other/tuner" + upgrade + "\r\n"),
            "HTTP/1.1 403 Forbidden");
  EXPECT_EQ(raw_request(port, "GET /t0ken/tuner" + upgrade +
                                  "Origin: https://evil.example\r\n\r\n"),
            "HTTP/1.1 403 Forbidden");
  EXPECT_EQ(raw_request(port, "GET /t0ken/tuner HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 403 Forbidden");
  // The refusals left the channel waiting for its dispatcher. (Checked before
  // the upgrade below: that client closes at once, which the channel may
  // already have seen as its dispatcher going away.)
  EXPECT_FALSE(channel.value()->failure().has_value());
  EXPECT_EQ(raw_request(port, "GET /t0ken/tuner" + upgrade + "\r\n"),
            "HTTP/1.1 101 Switching Protocols");
}

TEST(WebSocketChannel, NnisOwnDispatcherAnswersOverIt) {
  if (!testing::nni_available())
    GTEST_SKIP() << "NNI's code is not at " << testing::nni_dir();
  auto made = WebSocketChannel::listen("exp123");
  ASSERT_TRUE(made.is_ok()) << made.status().message();
  WebSocketChannel& channel = *made.value();
  // Commands sent before the dispatcher connects wait for it.
  channel.send(
      {"IN", "{\"x\": {\"_type\": \"choice\", \"_value\": [1, 2, 3]}}"});
  channel.send({"GE", "2"});
  const std::string params =
      "{\"tuner\": {\"name\": \"Random\", \"classArgs\": {\"seed\": 1}}}";
  std::thread dispatcher([&] {
    auto r = run_process({testing::kNniPython, "-m", "nni", "--exp_params",
                          base64_encode(params)},
                         {{"PYTHONPATH", testing::nni_pythonpath()},
                          {"NNI_TUNER_COMMAND_CHANNEL", channel.url()}},
                         "", std::chrono::seconds(60));
    EXPECT_TRUE(r.is_ok());
    if (r.is_ok()) {
      EXPECT_EQ(r.value().exit_code, 0) << r.value().err;
    }
  });
  auto got = testing::await_commands(channel, 3, 30);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, "ID");
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(got[static_cast<size_t>(i)].type, "TR");
    auto job = parse_json(got[static_cast<size_t>(i)].payload, "TR");
    ASSERT_TRUE(job.is_ok()) << got[static_cast<size_t>(i)].payload;
    EXPECT_EQ(job.value()["parameter_id"], i - 1);
    const int x = job.value()["parameters"]["x"].get<int>();
    EXPECT_TRUE(x >= 1 && x <= 3) << job.value();
  }
  EXPECT_TRUE(channel.connected());
  channel.send({"TE", ""});  // the dispatcher exits
  dispatcher.join();
  for (int i = 0; i < 50 && !channel.failure(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(channel.failure().has_value());  // it closed the channel
  EXPECT_FALSE(channel.connected());
}

}  // namespace
}  // namespace archer
