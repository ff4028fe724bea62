// SshHost against a real OpenSSH server on 127.0.0.1 (tests/sshd fixture).
#include "training_service/remote/ssh_host.h"

#include <gtest/gtest.h>

#include <chrono>

#include "testing/sshd.h"
#include "testing/temp_dir.h"
#include "training_service/run_script.h"

namespace archer {
namespace {

class SshHostTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { sshd_ = new testing::Sshd(); }
  static void TearDownTestSuite() { delete sshd_; }
  void SetUp() override {
    if (!sshd_->available()) GTEST_SKIP() << sshd_->why_unavailable();
  }
  SshMachine machine() const {
    SshMachine m;
    m.host = "127.0.0.1";
    m.port = sshd_->port();
    m.user = sshd_->user();
    m.key_file = sshd_->client_key();
    m.known_hosts = sshd_->known_hosts();
    return m;
  }
  static testing::Sshd* sshd_;
  testing::TempDir control_;
};
testing::Sshd* SshHostTest::sshd_ = nullptr;

TEST_F(SshHostTest, OneConnectionRunsManyCommands) {
  auto host = SshHost::connect(machine(), control_.file("c"));
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  SshHost& h = *host.value();
  EXPECT_TRUE(h.alive());
  EXPECT_EQ(h.run("echo \"$USER\"").value(), sshd_->user() + "\n");
  EXPECT_EQ(h.run("cat", "piped input").value(), "piped input");
  EXPECT_EQ(h.run("printf %s " + shell_quote("it's $HOME")).value(),
            "it's $HOME");
  auto failed = h.run("echo oops >&2; exit 3");
  ASSERT_FALSE(failed.is_ok());
  EXPECT_NE(failed.status().message().find("exited with status 3: oops"),
            std::string::npos)
      << failed.status().message();
  // Commands reuse the connection: many are cheap.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(h.run("true").is_ok());
  const double per_command =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count() /
      10;
  std::printf("ssh command over the shared connection: %.1f ms\n",
              per_command * 1000);
}

TEST_F(SshHostTest, PassphraseAndPasswordGoThroughAskpass) {
  SshMachine with_pp = machine();
  with_pp.key_file = sshd_->client_key_with_passphrase();
  with_pp.passphrase = "secret words";
  auto a = SshHost::connect(with_pp, control_.file("p"));
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_TRUE(a.value()->run("true").is_ok());
  SshMachine with_password = machine();
  with_password.key_file.clear();
  with_password.password = "test-password";
  auto b = SshHost::connect(with_password, control_.file("w"));
  ASSERT_TRUE(b.is_ok()) << b.status().message();
  EXPECT_TRUE(b.value()->run("true").is_ok());
}

TEST_F(SshHostTest, ClearErrors) {
  SshMachine wrong = machine();
  wrong.key_file.clear();
  wrong.password = "not it";
  auto denied =
      SshHost::connect(wrong, control_.file("d"), std::chrono::seconds(10));
  ASSERT_FALSE(denied.is_ok());
  EXPECT_NE(denied.status().message().find("cannot connect"),
            std::string::npos);
  // An unknown host key is refused unless checking is turned off.
  SshMachine unknown = machine();
  unknown.known_hosts = control_.file("empty_known_hosts");
  auto refused = SshHost::connect(unknown, control_.file("u"));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("Host key verification failed"),
            std::string::npos)
      << refused.status().message();
  unknown.check_host_key = false;
  EXPECT_TRUE(SshHost::connect(unknown, control_.file("n")).is_ok());
  SshMachine closed = machine();
  closed.port = 1;
  auto no = SshHost::connect(closed, control_.file("x"));
  ASSERT_FALSE(no.is_ok());
  EXPECT_NE(no.status().message().find("Connection refused"), std::string::npos)
      << no.status().message();
}

}  // namespace
}  // namespace archer
