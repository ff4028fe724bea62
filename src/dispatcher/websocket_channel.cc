#include "dispatcher/websocket_channel.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <thread>

#include "dispatcher/command_inbox.h"

namespace archer {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {
constexpr size_t kMaxMessage = 64u << 20;
constexpr unsigned kMaxHeader = 16u << 10;
}  // namespace

struct WebSocketChannel::Impl {
  net::io_context ioc;  // first: destroyed last
  tcp::acceptor acceptor{ioc};
  std::string path;
  unsigned short port = 0;
  CommandInbox inbox;
  std::thread thread;

  // The channel's thread only.
  struct Conn {
    explicit Conn(tcp::socket s) : ws(std::move(s)) {}
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
  };
  struct Upgrade {
    explicit Upgrade(tcp::socket s) : socket(std::move(s)) {
      parser.header_limit(kMaxHeader);
      parser.body_limit(0);
    }
    tcp::socket socket;
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
  };
  std::shared_ptr<Conn> conn;
  std::deque<std::string> outbox;
  bool writing = false;

  std::atomic<bool> is_connected{false};

  ~Impl() {
    ioc.stop();
    if (thread.joinable()) thread.join();
  }

  void fail(const std::string& why) {
    is_connected = false;
    inbox.fail(why);
  }

  void accept_next() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) on_socket(std::move(socket));
      accept_next();
    });
  }

  void on_socket(tcp::socket socket) {
    auto up = std::make_shared<Upgrade>(std::move(socket));
    http::async_read(up->socket, up->buffer, up->parser,
                     [this, up](beast::error_code ec, size_t) {
                       if (!ec) on_request(up);
                     });
  }

  // Only an upgrade of our path, without an Origin (no browser page).
  void on_request(const std::shared_ptr<Upgrade>& up) {
    const auto& req = up->parser.get();
    const bool ours = websocket::is_upgrade(req) && req.target() == path &&
                      req.find(http::field::origin) == req.end();
    if (!ours) {
      auto res = std::make_shared<http::response<http::string_body>>(
          http::status::forbidden, req.version());
      res->set(http::field::content_type, "text/plain");
      res->body() = "not a tuner command channel\n";
      res->prepare_payload();
      res->keep_alive(false);
      http::async_write(up->socket, *res, [up, res](beast::error_code, size_t) {
        beast::error_code ignored;
        up->socket.shutdown(tcp::socket::shutdown_both, ignored);
      });
      return;
    }
    auto c = std::make_shared<Conn>(std::move(up->socket));
    c->ws.read_message_max(kMaxMessage);
    c->ws.async_accept(req, [this, c](beast::error_code ec) {
      if (!ec) start(c);
    });
  }

  void start(const std::shared_ptr<Conn>& c) {
    if (conn) {  // NNI's manager too drops the previous connection
      beast::error_code ignored;
      conn->ws.next_layer().close(ignored);
    }
    conn = c;
    writing = false;
    is_connected = true;
    inbox.clear_failure();
    flush();
    read(c);
  }

  void read(const std::shared_ptr<Conn>& c) {
    c->ws.async_read(c->buffer, [this, c](beast::error_code ec, size_t) {
      if (c != conn) return;  // replaced
      if (ec) {
        fail(ec == websocket::error::closed
                 ? "the dispatcher closed the tuner command channel"
                 : "tuner command channel: " + ec.message());
        return;
      }
      std::string message = beast::buffers_to_string(c->buffer.data());
      c->buffer.consume(c->buffer.size());
      auto command = parse_tuner_message(message);
      if (!command.is_ok()) {
        fail(command.status().message());
        return;
      }
      inbox.push(std::move(command).value());
      read(c);
    });
  }

  void flush() {
    if (!conn || writing || outbox.empty()) return;
    writing = true;
    auto c = conn;
    c->ws.text(true);
    c->ws.async_write(net::buffer(outbox.front()),
                      [this, c](beast::error_code ec, size_t) {
                        if (c != conn) return;
                        writing = false;
                        if (ec) {
                          fail("tuner command channel: " + ec.message());
                          return;
                        }
                        outbox.pop_front();
                        flush();
                      });
  }
};

WebSocketChannel::WebSocketChannel(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

WebSocketChannel::~WebSocketChannel() = default;

StatusOr<std::unique_ptr<WebSocketChannel>> WebSocketChannel::listen(
    const std::string& token) {
  auto impl = std::make_unique<Impl>();
  impl->path = "/" + token + "/tuner";
  beast::error_code ec;
  const tcp::endpoint at(net::ip::make_address("127.0.0.1"), 0);
  impl->acceptor.open(at.protocol(), ec);
  if (!ec) impl->acceptor.bind(at, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::io_error(
        "tuner command channel: cannot listen on "
        "127.0.0.1: " +
        ec.message());
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->accept_next();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<WebSocketChannel>(
      new WebSocketChannel(std::move(impl)));
}

std::string WebSocketChannel::url() const {
  return "ws://127.0.0.1:" + std::to_string(impl_->port) + impl_->path;
}

void WebSocketChannel::send(const TunerCommand& command) {
  Impl* impl = impl_.get();
  net::post(impl->ioc, [impl, message = command.type + command.payload]() {
    impl->outbox.push_back(message);
    impl->flush();
  });
}

std::vector<TunerCommand> WebSocketChannel::receive() {
  return impl_->inbox.take();
}

int WebSocketChannel::fd() const { return impl_->inbox.fd(); }

bool WebSocketChannel::connected() const { return impl_->is_connected; }

std::optional<std::string> WebSocketChannel::failure() const {
  return impl_->inbox.failure();
}

}  // namespace archer
