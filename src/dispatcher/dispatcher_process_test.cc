// NNI's dispatcher as the manager's child, over both channel forms, with
// NNI v2.10's code (../shared/nni): its answers, its crash (exit status and
// traceback from its log) and a hung one stopped.
#include "dispatcher/dispatcher_process.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "dispatcher/nni_python.h"
#include "testing/channel_wait.h"
#include "testing/nni_code.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

bool wait_exit(DispatcherProcess& d, int seconds) {
  for (int i = 0; i < seconds * 20 && !d.exited(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return d.exited().has_value();
}

class Dispatcher : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::nni_available())
      GTEST_SKIP() << "NNI's code is not at " << testing::nni_dir();
    options.python = testing::kNniPython;
    options.log_path = dir.file("dispatcher.log");
    options.env["PYTHONPATH"] = testing::nni_pythonpath();
  }
  testing::TempDir dir;
  DispatcherOptions options;
};

TEST_F(Dispatcher, NnisRandomTunerOverTheWebSocket) {
  options.exp_params = {{"tuner", {{"name", "Random"}}}};
  auto d = DispatcherProcess::start(options);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  TunerChannel& c = d.value()->channel();
  c.send({"IN", "{\"lr\": {\"_type\": \"uniform\", \"_value\": [0.1, 0.2]}}"});
  c.send({"GE", "1"});
  auto got = testing::await_commands(c, 2, 30);
  ASSERT_EQ(got.size(), 2u) << d.value()->log_tail();
  EXPECT_EQ(got[0].type, "ID");
  EXPECT_EQ(got[1].type, "TR");
  auto job = parse_json(got[1].payload, "TR").value();
  const double lr = job["parameters"]["lr"].get<double>();
  EXPECT_TRUE(lr >= 0.1 && lr <= 0.2) << job;
  c.send({"TE", ""});
  ASSERT_TRUE(wait_exit(*d.value(), 30));
  EXPECT_EQ(*d.value()->exited(), "exit code 0");
}

TEST_F(Dispatcher, ACrashEndsWithItsStatusAndTraceback) {
  options.exp_params = {{"tuner", {{"name", "NoSuchTuner"}}}};
  auto d = DispatcherProcess::start(options);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  ASSERT_TRUE(wait_exit(*d.value(), 30));
  EXPECT_NE(*d.value()->exited(), "exit code 0");
  const std::string tail = d.value()->log_tail();
  EXPECT_NE(tail.find("Traceback"), std::string::npos) << tail;
  // NNI colours its ERROR line; the tail is text (no terminal escapes).
  EXPECT_EQ(tail.find('\x1b'), std::string::npos) << tail;
}

TEST_F(Dispatcher, AHungDispatcherIsStopped) {
  std::ofstream(dir.file("hang.py")) << "import time\ntime.sleep(600)\n";
  // A "python" that runs the hanging script whatever its arguments.
  options.python = testing::write_executable(
      dir.file("python"),
      "#!/bin/sh\nexec /usr/bin/python3 " + dir.file("hang.py") + "\n");
  options.exp_params = {{"tuner", {{"name", "Random"}}}};
  auto d = DispatcherProcess::start(options);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  EXPECT_FALSE(d.value()->exited());
  d.value()->stop(std::chrono::milliseconds(500));
  EXPECT_EQ(*d.value()->exited(), "killed by signal 15");
}

// The pipe form, with NNI's own legacy.py on the other end: a driver that
// answers as a dispatcher does (IN -> ID, GE n -> n TR, TE -> exit).
TEST_F(Dispatcher, TheLegacyPipesWithNnisOwnFraming) {
  std::ofstream(dir.file("driver.py"))
      << "import json\n"
         "from nni.runtime.tuner_command_channel import legacy\n"
         "from nni.runtime.tuner_command_channel.command_type import "
         "CommandType\n"
         "n = 0\n"
         "while True:\n"
         "    command, data = legacy.receive()\n"
         "    if command is None or command == CommandType.Terminate:\n"
         "        break\n"
         "    if command == CommandType.Initialize:\n"
         "        legacy.send(CommandType.Initialized, '')\n"
         "    elif command == CommandType.RequestTrialJobs:\n"
         "        for _ in range(int(data)):\n"
         "            legacy.send(CommandType.NewTrialJob, json.dumps("
         "{'parameter_id': n, 'parameters': {'x': 'é' * n}}))\n"
         "            n += 1\n";
  options.python = testing::write_executable(
      dir.file("python"),
      "#!/bin/sh\nexec /usr/bin/python3 " + dir.file("driver.py") + "\n");
  options.channel = DispatcherOptions::Channel::kPipes;
  options.exp_params = Json::object();
  auto d = DispatcherProcess::start(options);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  TunerChannel& c = d.value()->channel();
  c.send({"IN", "{}"});
  c.send({"GE", "3"});
  auto got = testing::await_commands(c, 4, 30);
  ASSERT_EQ(got.size(), 4u) << d.value()->log_tail();
  EXPECT_EQ(got[0].type, "ID");
  for (int i = 0; i < 3; ++i) {
    auto job = parse_json(got[static_cast<size_t>(i) + 1].payload, "TR");
    ASSERT_TRUE(job.is_ok());
    EXPECT_EQ(job.value()["parameter_id"], i);
  }
  c.send({"TE", ""});
  ASSERT_TRUE(wait_exit(*d.value(), 30)) << d.value()->log_tail();
  EXPECT_EQ(*d.value()->exited(), "exit code 0") << d.value()->log_tail();
  testing::await_commands(c, 1, 2);
  EXPECT_TRUE(c.failure().has_value());  // the pipe closed
}

// Regression (issue 26, High 2 and 3): the dispatcher inherited the
// detached CLI's ready pipe (create never returned), and its log grew
// without limit. It gets fds 0-2 (and 3, 4 on the pipes) only; its log stays
// under kMaxDispatcherLog per file and keeps the end (the traceback).
TEST_F(Dispatcher, InheritsNothingAndItsFloodIsBounded) {
  for (bool pipes : {false, true}) {
    testing::TempDir d_dir;
    options.python = testing::write_executable(
        d_dir.file("python"), "#!/bin/sh\nls -l /proc/$$/fd > " +
                                  d_dir.file("fds") +
                                  "\nhead -c 40000000 /dev/zero\necho "
                                  "'Traceback: the end'\nexit 3\n");
    options.log_path = d_dir.file("dispatcher.log");
    options.channel = pipes ? DispatcherOptions::Channel::kPipes
                            : DispatcherOptions::Channel::kWebSocket;
    options.exp_params = Json::object();
    int leaky[2];
    ASSERT_EQ(::pipe(leaky), 0);  // what a careless caller leaves open
    struct stat leaky_stat {};
    ASSERT_EQ(::fstat(leaky[0], &leaky_stat), 0);
    const std::string leaky_name =
        "pipe:[" + std::to_string(leaky_stat.st_ino) + "]";
    auto d = DispatcherProcess::start(options);
    ::close(leaky[0]);
    ::close(leaky[1]);
    ASSERT_TRUE(d.is_ok()) << d.status().message();
    ASSERT_TRUE(wait_exit(*d.value(), 60));
    EXPECT_EQ(*d.value()->exited(), "exit code 3");
    const std::string tail = d.value()->log_tail(200);
    EXPECT_NE(tail.find("Traceback: the end"), std::string::npos) << tail;
    // (The shell itself keeps its script open on fd 10.)
    const std::string fds = testing::read_file(d_dir.file("fds"));
    EXPECT_EQ(fds.find(leaky_name), std::string::npos) << fds;
    EXPECT_EQ(fds.find(" 5 -> "), std::string::npos) << fds;
    EXPECT_EQ(fds.find(" 3 -> ") != std::string::npos, pipes) << fds;
    EXPECT_LE(std::filesystem::file_size(options.log_path),
              kMaxDispatcherLog + 65536);
    EXPECT_LE(std::filesystem::file_size(options.log_path + ".1"),
              kMaxDispatcherLog + 65536);
  }
}

// Regression (issue 26, Low and High 3): `pythonInterpreter: /bin/false`
// said "tried: /bin/false:" and nothing more, and an interpreter flooding
// its output ended `create` with a bare std::bad_alloc.
TEST(FindNniPython, SaysHowEachInterpreterFailed) {
  testing::TempDir tmp;
  auto f = find_nni_python("/bin/false");
  ASSERT_FALSE(f.is_ok());
  EXPECT_NE(f.status().message().find(
                "/bin/false: exited with status 1 and printed nothing"),
            std::string::npos)
      << f.status().message();
  auto flood = find_nni_python(testing::write_executable(
      tmp.file("flood"),
      "#!/bin/sh\nhead -c 300000000 /dev/zero | tr '\\0' y\n"
      "echo 'ImportError: no nni here' >&2\nexit 1\n"));
  ASSERT_FALSE(flood.is_ok());
  EXPECT_NE(flood.status().message().find(
                "exited with status 1: ImportError: no nni here"),
            std::string::npos)
      << flood.status().message().substr(0, 500);
  EXPECT_LT(flood.status().message().size(), 4000u);
}

}  // namespace
}  // namespace archer
