// One experiment, one manager: the lock, liveness and proven signals.
#include "manager/manager_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "archer/json.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

class ManagerLockTest : public ::testing::Test {
 protected:
  void SetUp() override { ::mkdir(dir_.file("db").c_str(), 0755); }
  // A child that takes the lock, tells us through a pipe, then waits.
  pid_t child_holding_lock() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      auto lock = ManagerLock::acquire(dir_.path(), "manager");
      char c = lock.is_ok() ? 'y' : 'n';
      if (::write(fds[1], &c, 1) != 1) ::_exit(3);
      while (true) ::pause();
    }
    ::close(fds[1]);
    char c = 0;
    EXPECT_EQ(::read(fds[0], &c, 1), 1);
    ::close(fds[0]);
    EXPECT_EQ(c, 'y');
    return pid;
  }
  testing::TempDir dir_;
};

TEST_F(ManagerLockTest, OneHolderAtATime) {
  EXPECT_FALSE(lock_holder(dir_.path()).has_value());
  {
    auto lock = ManagerLock::acquire(dir_.path(), "manager");
    ASSERT_TRUE(lock.is_ok()) << lock.status().message();
    ASSERT_TRUE(lock.value().publish(8123, "/ui").is_ok());
    auto who = lock_holder(dir_.path());
    ASSERT_TRUE(who.has_value());
    EXPECT_EQ(who->pid, ::getpid());
    EXPECT_EQ(who->role, "manager");
    EXPECT_EQ(who->port, 8123);
    EXPECT_EQ(who->url_prefix, "/ui");
    EXPECT_EQ(who->start_time, process_start_time(::getpid()).value());
  }
  EXPECT_FALSE(lock_holder(dir_.path()).has_value());  // released
}

TEST_F(ManagerLockTest, SecondManagerIsRefusedNamingTheFirst) {
  pid_t holder = child_holding_lock();
  auto second = ManagerLock::acquire(dir_.path(), "manager");
  ASSERT_FALSE(second.is_ok());
  EXPECT_NE(second.status().message().find(
                "already running (manager, process " + std::to_string(holder)),
            std::string::npos)
      << second.status().message();
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  EXPECT_TRUE(ManagerLock::acquire(dir_.path(), "manager").is_ok());
}

// Regression (issue 12): a zombie counted as alive (kill(pid, 0) succeeds).
TEST_F(ManagerLockTest, ADeadUnreapedManagerIsNotAlive) {
  pid_t holder = child_holding_lock();
  ::kill(holder, SIGKILL);
  // Not reaped: a zombie. Its descriptors are closed, so the lock is free.
  for (int i = 0; i < 200 && lock_holder(dir_.path()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(::kill(holder, 0), 0);  // the zombie still "exists"
  EXPECT_FALSE(lock_holder(dir_.path()).has_value());
  EXPECT_EQ(signal_holder(dir_.path(), SIGTERM).code(),
            Status::Code::kNotFound);
  ::waitpid(holder, nullptr, 0);
}

TEST_F(ManagerLockTest, SignalsOnlyTheProvenHolder) {
  pid_t holder = child_holding_lock();
  // Simulated pid reuse: the lock file names the holder's pid with another
  // start time (as if the pid now belonged to a different process).
  auto who = lock_holder(dir_.path());
  ASSERT_TRUE(who.has_value());
  Json forged = {{"pid", static_cast<std::int64_t>(holder)},
                 {"startTime", static_cast<std::int64_t>(who->start_time + 1)},
                 {"role", "manager"}};
  testing::write_file(manager_lock_path(dir_.path()), dumps(forged));
  Status refused = signal_holder(dir_.path(), SIGTERM);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("nothing signalled"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(::waitpid(holder, nullptr, WNOHANG), 0);  // still running
  // A pid that is not the holder at all.
  forged["pid"] = static_cast<std::int64_t>(::getpid());
  forged["startTime"] =
      static_cast<std::int64_t>(process_start_time(::getpid()).value());
  testing::write_file(manager_lock_path(dir_.path()), dumps(forged));
  EXPECT_FALSE(signal_holder(dir_.path(), SIGTERM).is_ok());
  // The truth restored: the holder is signalled.
  forged["pid"] = static_cast<std::int64_t>(holder);
  forged["startTime"] = static_cast<std::int64_t>(who->start_time);
  testing::write_file(manager_lock_path(dir_.path()), dumps(forged));
  ASSERT_TRUE(signal_holder(dir_.path(), SIGTERM).is_ok());
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

}  // namespace
}  // namespace archer
