// The manager's side of NNI's tuner protocol against NNI v2.10's dispatcher
// (../shared/nni): NNI's TPE on an HPO space through IN/GE/ME/EN/TE, a
// customised tuner that raises (ER with its traceback), a hung one.
#include "dispatcher/dispatcher_client.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "testing/nni_code.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

class Client : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::nni_available())
      GTEST_SKIP() << "NNI's code is not at " << testing::nni_dir();
    options.python = testing::kNniPython;
    options.log_path = dir.file("dispatcher.log");
    options.env["PYTHONPATH"] = testing::nni_pythonpath() + ":" + dir.path();
  }
  std::unique_ptr<DispatcherClient> start(
      DispatcherClient::Timeouts t = DispatcherClient::Timeouts()) {
    auto p = DispatcherProcess::start(options);
    EXPECT_TRUE(p.is_ok()) << p.status().message();
    return p.is_ok()
               ? std::make_unique<DispatcherClient>(std::move(p).value(), t)
               : nullptr;
  }
  // Polls until `done` or an error, at most `seconds`.
  template <typename Done>
  Status run(DispatcherClient& c, DispatcherEvents& all, Done done,
             int seconds = 60) {
    const auto limit =
        std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done() && std::chrono::steady_clock::now() < limit) {
      auto ev = c.poll();
      if (!ev.is_ok()) return ev.status();
      all.initialized |= ev.value().initialized;
      all.no_more_trials |= ev.value().no_more_trials;
      for (auto& t : ev.value().new_trials) all.new_trials.push_back(t);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Status::ok();
  }
  testing::TempDir dir;
  DispatcherOptions options;
};

TEST_F(Client, NnisTpeThroughTheWholeProtocol) {
  options.exp_params = {
      {"tuner",
       {{"name", "TPE"}, {"classArgs", {{"optimize_mode", "maximize"}}}}}};
  auto c = start();
  ASSERT_TRUE(c);
  c->initialize(Json::parse(
      R"({"lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
          "layers": {"_type": "choice", "_value": [1, 2, 3]}})"));
  c->request_trials(3);
  DispatcherEvents all;
  Status st = run(*c, all, [&] { return all.new_trials.size() == 3; });
  ASSERT_TRUE(st.is_ok()) << st.message();
  ASSERT_TRUE(all.initialized);
  ASSERT_EQ(all.new_trials.size(), 3u) << c->process().log_tail();
  for (int i = 0; i < 3; ++i) {
    const Json& t = all.new_trials[static_cast<size_t>(i)];
    EXPECT_EQ(t["parameter_id"], i);
    EXPECT_EQ(t["parameter_source"], "algorithm");
    const double lr = t["parameters"]["lr"].get<double>();
    EXPECT_TRUE(lr >= 0.0001 && lr <= 0.1) << t;
    // The trial's final result and its end, as NNI's manager sends them.
    const std::string record =
        dumps(Json{{"parameter_id", i},
                   {"trial_job_id", "t" + std::to_string(i)},
                   {"type", "FINAL"},
                   {"sequence", 0},
                   {"value", dumps(Json(0.5 + i))}});
    c->report_metric(record);
  }
  // NNI's dispatcher handles ME and EN on two threads: an EN sent right
  // after its FINAL may overtake it (TPE then raises KeyError). The answer
  // to a later GE says the MEs were handled (ExternalTuner holds ENs so).
  c->request_trials(1);
  st = run(*c, all, [&] { return all.new_trials.size() == 4; });
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(all.new_trials.size(), 4u) << c->process().log_tail();
  for (int i = 0; i < 3; ++i) {
    c->trial_end("t" + std::to_string(i), "SUCCEEDED",
                 dumps(all.new_trials[static_cast<size_t>(i)]));
  }
  c->terminate(std::chrono::seconds(20));
  EXPECT_EQ(*c->process().exited(), "exit code 0") << c->process().log_tail();
}

TEST_F(Client, ACustomisedTunerThatRaisesEndsWithItsTraceback) {
  std::ofstream(dir.file("bad_tuner.py"))
      << "from nni.tuner import Tuner\n"
         "class BadTuner(Tuner):\n"
         "    def update_search_space(self, space):\n"
         "        pass\n"
         "    def generate_parameters(self, parameter_id, **kwargs):\n"
         "        raise ValueError('broken on purpose')\n"
         "    def receive_trial_result(self, *args, **kwargs):\n"
         "        pass\n";
  options.exp_params = {
      {"tuner",
       {{"className", "bad_tuner.BadTuner"}, {"codeDirectory", dir.path()}}}};
  auto c = start();
  ASSERT_TRUE(c);
  c->initialize(Json::object());
  c->request_trials(1);
  DispatcherEvents all;
  Status st = run(
      *c, all, [] { return false; }, 60);
  ASSERT_FALSE(st.is_ok()) << "the dispatcher should have failed";
  EXPECT_NE(st.message().find("broken on purpose"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("Traceback"), std::string::npos) << st.message();
  EXPECT_FALSE(c->poll().is_ok());  // stays failed
}

TEST_F(Client, AHungDispatcherIsAnErrorNotAWait) {
  std::ofstream(dir.file("slow_tuner.py"))
      << "import time\n"
         "from nni.tuner import Tuner\n"
         "class SlowTuner(Tuner):\n"
         "    def update_search_space(self, space):\n"
         "        pass\n"
         "    def generate_parameters(self, parameter_id, **kwargs):\n"
         "        time.sleep(600)\n"
         "    def receive_trial_result(self, *args, **kwargs):\n"
         "        pass\n";
  options.exp_params = {
      {"tuner",
       {{"className", "slow_tuner.SlowTuner"}, {"codeDirectory", dir.path()}}}};
  DispatcherClient::Timeouts t;
  t.answer = std::chrono::seconds(3);
  auto c = start(t);
  ASSERT_TRUE(c);
  c->initialize(Json::object());
  c->request_trials(1);
  DispatcherEvents all;
  Status st = run(
      *c, all, [] { return false; }, 60);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("did not answer within 3 s"), std::string::npos)
      << st.message();
  EXPECT_TRUE(all.initialized);
  c->terminate(std::chrono::milliseconds(200));
  EXPECT_TRUE(c->process().exited().has_value());
}

// Regression (issue 26, Low): a TR with 1e309 was reported as "without a
// JSON object" (the parser's reason lost), and an ER message was cut at its
// first NUL byte.
TEST_F(Client, ProtocolErrorsSayTheRealReasonAndKeepEveryByte) {
  struct Case {
    std::string command, payload, expected;
  };
  for (const Case& k :
       {Case{"NewTrialJob", "{\"parameter_id\": 0, \"x\": 1e309}",
             "number overflow"},
        Case{"NewTrialJob", std::string(100000, '[') + std::string(100000, ']'),
             "nested deeper than 64 levels"},
        Case{"Error", "boom\\u0000after the NUL\\u001b[31m",
             "reported an error: boom?after the NUL"}}) {
    testing::TempDir d_dir;
    std::ofstream(d_dir.file("driver.py"))
        << "import json, sys\n"
           "from nni.runtime.tuner_command_channel import legacy\n"
           "from nni.runtime.tuner_command_channel.command_type import "
           "CommandType\n"
           "payload = open('"
        << d_dir.file("payload") << "').read()\n"
        << "if '" << k.command << "' == 'Error':\n"
        << "    payload = json.loads('\"' + payload + '\"')\n"
        << "while True:\n"
           "    command, data = legacy.receive()\n"
           "    if command is None or command == CommandType.Terminate:\n"
           "        break\n"
           "    if command == CommandType.Initialize:\n"
           "        legacy.send(CommandType.Initialized, '')\n"
           "    elif command == CommandType.RequestTrialJobs:\n"
           "        legacy.send(CommandType."
        << k.command << ", payload)\n";
    testing::write_file(d_dir.file("payload"), k.payload);
    options.python = testing::write_executable(
        d_dir.file("python"),
        "#!/bin/sh\nexec /usr/bin/python3 " + d_dir.file("driver.py") + "\n");
    options.channel = DispatcherOptions::Channel::kPipes;
    options.log_path = d_dir.file("dispatcher.log");
    options.exp_params = Json::object();
    auto c = start();
    ASSERT_TRUE(c);
    c->initialize(Json::object());
    c->request_trials(1);
    DispatcherEvents all;
    Status st = run(
        *c, all, [] { return false; }, 30);
    ASSERT_FALSE(st.is_ok()) << k.command;
    EXPECT_NE(st.message().find(k.expected), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find('\x1b'), std::string::npos);
    c->terminate(std::chrono::milliseconds(200));
  }
}

}  // namespace
}  // namespace archer
