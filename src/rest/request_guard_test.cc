// The REST server's trust boundary, attacked over loopback as a hostile web
// page or local client would (issue 12). Every wait is bounded.
#include "rest/request_guard.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "archer/store.h"
#include "rest/rest_server.h"
#include "testing/ports.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

using testing::http_status_of;
using testing::raw_http;

TEST(RequestGuard, HostOfParsesHostHeaders) {
  EXPECT_EQ(RequestGuard::host_of("127.0.0.1:8080"), "127.0.0.1");
  EXPECT_EQ(RequestGuard::host_of("LocalHost"), "localhost");
  EXPECT_EQ(RequestGuard::host_of("[::1]:80"), "[::1]");
  EXPECT_EQ(RequestGuard::host_of("[::1]"), "[::1]");
  EXPECT_EQ(RequestGuard::host_of("evil.example:8080"), "evil.example");
  EXPECT_EQ(RequestGuard::host_of("127.0.0.1:80x"), "");
  EXPECT_EQ(RequestGuard::host_of("127.0.0.1@evil"), "");
  EXPECT_EQ(RequestGuard::host_of("[::1"), "");
  EXPECT_EQ(RequestGuard::host_of(""), "");
}

class GuardedServer : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.file("db.sqlite");
    auto store = std::move(Store::open(db_)).value();
    ASSERT_TRUE(store->put_value("status", "RUNNING").is_ok());
    trial_dir_ = dir_.file("trial");
    ::mkdir(trial_dir_.c_str(), 0755);
    TrialRow t;
    t.trial_id = "Tr1al";
    t.parameters = R"({"parameter_id": 0, "parameters": {}})";
    t.status = TrialStatus::kRunning;
    t.trial_dir = trial_dir_;
    ASSERT_TRUE(store->insert_trial(t).is_ok());
    server_ = std::make_unique<RestServer>(db_);
    ASSERT_TRUE(server_->set_url_prefix("ui").is_ok());
    server_->allow_host("proxy.example");
    ASSERT_TRUE(server_->start(0).is_ok());
    port_ = server_->port();
  }
  std::string request(const std::string& method, const std::string& path,
                      const std::string& headers, const std::string& body) {
    std::string r = method + " /ui/api/v1/nni" + path + " HTTP/1.1\r\n" +
                    headers + "Content-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body;
    return raw_http(port_, r);
  }
  testing::TempDir dir_;
  std::string db_, trial_dir_;
  std::unique_ptr<RestServer> server_;
  int port_ = 0;
};

TEST_F(GuardedServer, RefusesForeignHostsDnsRebinding) {
  for (const char* host : {"evil.example", "evil.example:8080",
                           "127.0.0.1.evil.example", "", "localhost@evil"}) {
    auto a = request("GET", "/experiment",
                     std::string("Host: ") + host + "\r\n", "");
    EXPECT_EQ(http_status_of(a), 421) << host << "\n" << a.substr(0, 200);
    auto d = request("DELETE", "/experiment",
                     std::string("Host: ") + host + "\r\n", "");
    EXPECT_EQ(http_status_of(d), 421) << host;
  }
  for (const char* host :
       {"127.0.0.1", "localhost:1234", "[::1]:80", "proxy.example"}) {
    auto a = request("GET", "/check-status",
                     std::string("Host: ") + host + "\r\n", "");
    EXPECT_EQ(http_status_of(a), 200) << host;
    EXPECT_NE(a.find("X-Frame-Options: DENY"), std::string::npos);
  }
}

TEST_F(GuardedServer, RefusesCrossSiteWrites) {
  const std::string host = "Host: 127.0.0.1\r\n";
  // The CORS "simple request" any web page can send.
  auto simple = request("POST", "/experiment/import-data",
                        host +
                            "Origin: https://evil.example\r\nContent-Type: "
                            "text/plain\r\n",
                        R"([{"parameter": {}, "value": 1}])");
  EXPECT_EQ(http_status_of(simple), 403) << simple.substr(0, 300);
  auto typed = request("POST", "/experiment/import-data",
                       host + "Content-Type: text/plain\r\n", "[]");
  EXPECT_EQ(http_status_of(typed), 415);
  EXPECT_NE(typed.find("application/json"), std::string::npos);
  auto foreign = request("PUT", "/experiment?update_type=TRIAL_CONCURRENCY",
                         host +
                             "Origin: http://evil.example:8080\r\n"
                             "Content-Type: application/json\r\n",
                         R"({"value": 3})");
  EXPECT_EQ(http_status_of(foreign), 403);
  auto del = request("DELETE", "/experiment", host + "Origin: null\r\n", "");
  EXPECT_EQ(http_status_of(del), 403);
  // Same origin (the page itself) passes the guard: read-only here -> 403
  // from the route, with its own message.
  auto same = request(
      "DELETE", "/experiment",
      host + "Origin: http://127.0.0.1:" + std::to_string(port_) + "\r\n", "");
  EXPECT_EQ(http_status_of(same), 403);
  EXPECT_NE(same.find("read-only"), std::string::npos);
}

TEST_F(GuardedServer, BoundsBodiesAndNesting) {
  const std::string headers =
      "Host: 127.0.0.1\r\nContent-Type: application/json\r\n";
  std::string big(kMaxRequestBody + 1, ' ');
  auto a = request("POST", "/experiment/import-data", headers, big);
  EXPECT_EQ(http_status_of(a), 413);
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto b = request("POST", "/experiment/import-data", headers, deep);
  EXPECT_EQ(http_status_of(b), 400);
  EXPECT_NE(b.find("nested deeper than"), std::string::npos);
  // Still serving.
  EXPECT_EQ(http_status_of(
                request("GET", "/check-status", "Host: 127.0.0.1\r\n", "")),
            200);
}

TEST_F(GuardedServer, TrialFilesFollowNoSymlinkAndNeverBlock) {
  ASSERT_EQ(::symlink("/etc/passwd", (trial_dir_ + "/stdout").c_str()), 0);
  ASSERT_EQ(::mkfifo((trial_dir_ + "/stderr").c_str(), 0600), 0);
  ASSERT_EQ(::mkdir((trial_dir_ + "/trial.log").c_str(), 0755), 0);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 12; ++i) {  // more than the workers: none may block
    for (const char* f : {"stdout", "stderr", "trial.log"}) {
      auto a = request("GET", std::string("/trial-file/Tr1al/") + f,
                       "Host: 127.0.0.1\r\n", "");
      EXPECT_EQ(http_status_of(a), 403) << f << a.substr(0, 300);
      EXPECT_EQ(a.find("root:"), std::string::npos);
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
}

// Regression (issue 12): 12 slow clients held every worker, and stop() then
// hung. Now each holds one elastic worker, others are served, stop returns.
TEST_F(GuardedServer, SlowClientsStarveNobodyAndStopNeverHangs) {
  std::vector<int> slow;
  for (int i = 0; i < 40; ++i) {
    int s = testing::connect_loopback(port_);
    ASSERT_GE(s, 0);
    ::send(s, "GET /ui/api/v1/nni/check-status HTTP/1.1\r\nHo", 44,
           MSG_NOSIGNAL);
    slow.push_back(s);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto ok = request("GET", "/check-status", "Host: 127.0.0.1\r\n", "");
  EXPECT_EQ(http_status_of(ok), 200);
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
  for (int s : slow) ::close(s);
}

TEST(RestServerStop, RightAfterStartNeverHangs) {
  testing::TempDir dir;
  for (int i = 0; i < 20; ++i) {
    RestServer server(dir.file("db.sqlite"));
    ASSERT_TRUE(server.start(0).is_ok());
    server.stop();
  }
}

TEST(RestServerPrefix, RefusesPrefixesThatAreNotPlainPaths) {
  EXPECT_EQ(normalize_url_prefix("/a/b/").value(), "/a/b");
  EXPECT_EQ(normalize_url_prefix("").value(), "");
  for (const char* bad : {"a(b", "a.*", "a b", "a//b", "[x]", "a\\b"}) {
    auto p = normalize_url_prefix(bad);
    ASSERT_FALSE(p.is_ok()) << bad;
    EXPECT_NE(p.status().message().find("--url_prefix"), std::string::npos);
  }
}

}  // namespace
}  // namespace archer
