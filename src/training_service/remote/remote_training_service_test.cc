// RemoteTrainingService against real OpenSSH servers on 127.0.0.1.
#include "training_service/remote/remote_training_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "testing/sshd.h"
#include "testing/temp_dir.h"
#include "testing/trial_events.h"

namespace archer {
namespace {

using std::chrono::milliseconds;

class RemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::make_unique<testing::Sshd>();
    if (!a_->available()) GTEST_SKIP() << a_->why_unavailable();
    // The trial code: a script that reports a PERIODICAL and a FINAL metric.
    std::ofstream(code_.file("trial.sh"))
        << "echo \"platform=$NNI_PLATFORM seq=$NNI_TRIAL_SEQ_ID\"\n"
           "cd \"$NNI_OUTPUT_DIR\"\n"
           "m='{\"parameter_id\": 1, \"trial_job_id\": \"t\", \"type\": "
           "\"PERIODICAL\", \"sequence\": 0, \"value\": \"0.5\"}'\n"
           "printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> .nni/metrics\n"
           "f='{\"parameter_id\": 1, \"trial_job_id\": \"t\", \"type\": "
           "\"FINAL\", \"sequence\": 0, \"value\": \"0.75\"}'\n"
           "printf 'ME%06d%s\\n' $((${#f}+1)) \"$f\" >> .nni/metrics\n"
           "exit ${EXIT:-0}\n";
    std::filesystem::create_directories(code_.file("data"));
    std::ofstream(code_.file("data/big.bin")) << "not uploaded";
    std::ofstream(code_.file(".nniignore")) << "# data stays here\ndata/\n";
  }
  RemoteMachine machine(const testing::Sshd& sshd) const {
    RemoteMachine m;
    m.host = "127.0.0.1";
    m.port = sshd.port();
    m.user = sshd.user();
    m.ssh_key_file = sshd.client_key();
    m.known_hosts_file = sshd.known_hosts();
    return m;
  }
  std::unique_ptr<RemoteTrainingService> make(
      std::vector<RemoteMachine> machines, int parallel, int gpus = 0) {
    RemoteTrainingService::Options o;
    o.gpus_per_trial = gpus;
    o.machines = std::move(machines);
    o.experiment_id = "exp" + std::to_string(::getpid());
    o.experiment_dir = local_.path();
    o.code_dir = code_.path();
    o.remote_directory = a_->user_dir();
    o.max_parallel = parallel;
    o.kill_grace = milliseconds(500);
    auto s = RemoteTrainingService::create(o);
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    return s.is_ok() ? std::move(s).value() : nullptr;
  }
  TrialSpec spec(const std::string& id, const std::string& command) {
    TrialSpec s;
    s.trial_id = id;
    s.sequence_id = 3;
    s.parameter_record = R"({"parameter_id": 1, "parameters": {}})";
    s.trial_dir = local_.file("trials/" + id);
    s.command = command;
    s.experiment_id = "exp";
    return s;
  }
  // Polls until `n` trials ended (or 30 s); returns every event.
  static std::vector<TrialEvent> until_ended(TrainingService& ts, int n) {
    return testing::poll_until_ended(ts, n, 30);
  }
  static const TrialEvent* ended(const std::vector<TrialEvent>& events,
                                 const std::string& id) {
    return testing::find_event(events, TrialEvent::Kind::kEnded, id);
  }
  std::unique_ptr<testing::Sshd> a_;
  testing::TempDir code_, local_;
};

TEST_F(RemoteTest, RunsTrialsStreamsMetricsAndFetchesOutput) {
  auto ts = make({machine(*a_)}, 2);
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->free_slots(), 2);
  ASSERT_TRUE(ts->submit(spec("r1", "bash trial.sh")).is_ok());
  ASSERT_TRUE(ts->submit(spec("r2", "EXIT=3 bash trial.sh")).is_ok());
  EXPECT_EQ(ts->free_slots(), 0);
  auto events = until_ended(*ts, 2);
  std::vector<std::string> r1_metrics;
  std::string handle;
  for (const auto& e : events) {
    if (e.kind == TrialEvent::Kind::kMetric && e.trial_id == "r1")
      r1_metrics.push_back(std::string(to_string(e.metric_type)) + "=" +
                           e.metric_value);
    if (e.kind == TrialEvent::Kind::kStarted && e.trial_id == "r1")
      handle = e.handle;
  }
  EXPECT_EQ(r1_metrics,
            (std::vector<std::string>{"PERIODICAL=0.5", "FINAL=0.75"}));
  EXPECT_EQ(
      handle.rfind(
          a_->user() + "@127.0.0.1:" + std::to_string(a_->port()) + "/", 0),
      0u)
      << handle;
  ASSERT_NE(ended(events, "r1"), nullptr);
  EXPECT_EQ(ended(events, "r1")->status, TrialStatus::kSucceeded);
  ASSERT_NE(ended(events, "r2"), nullptr);
  EXPECT_EQ(ended(events, "r2")->status, TrialStatus::kFailed);
  EXPECT_EQ(ended(events, "r2")->exit_code, 3);
  // The local copy: stdout fetched, metrics as received.
  EXPECT_EQ(testing::read_file(local_.file("trials/r1/stdout")),
            "platform=remote seq=3\n");
  EXPECT_NE(testing::read_file(local_.file("trials/r1/.nni/metrics"))
                .find("\"FINAL\""),
            std::string::npos);
  // .nniignore kept data/ at home; the code lives in one version directory.
  std::vector<std::string> versions;
  for (const auto& e : std::filesystem::directory_iterator(
           a_->user_dir() + "/exp" + std::to_string(::getpid()) + "/code"))
    versions.push_back(e.path().string());
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(versions[0] + "/data"));
  EXPECT_TRUE(std::filesystem::exists(versions[0] + "/trial.sh"));
  // The same code again (a resume, a reconnection) is not uploaded again.
  auto again = make({machine(*a_)}, 1);
  ASSERT_NE(again, nullptr);
  int count = 0;
  for (const auto& e : std::filesystem::directory_iterator(
           a_->user_dir() + "/exp" + std::to_string(::getpid()) + "/code")) {
    (void)e;
    ++count;
  }
  EXPECT_EQ(count, 1);
}

TEST_F(RemoteTest, CancelKillsTheRemoteProcessGroup) {
  auto ts = make({machine(*a_)}, 1);
  ASSERT_NE(ts, nullptr);
  ASSERT_TRUE(
      ts->submit(spec("c1", "(trap '' TERM; sleep 60) & sleep 60")).is_ok());
  (void)ts->poll(milliseconds(300));
  ASSERT_TRUE(ts->cancel("c1", TrialStatus::kUserCanceled).is_ok());
  auto events = until_ended(*ts, 1);
  ASSERT_NE(ended(events, "c1"), nullptr);
  EXPECT_EQ(ended(events, "c1")->status, TrialStatus::kUserCanceled);
  EXPECT_EQ(ts->cancel("c1", TrialStatus::kUserCanceled).code(),
            Status::Code::kNotFound);
}

TEST_F(RemoteTest, AHostThatGoesDownEndsItsTrialsAndTheOtherGoesOn) {
  testing::Sshd b;
  ASSERT_TRUE(b.available()) << b.why_unavailable();
  auto ts = make({machine(*a_), machine(b)}, 2);
  ASSERT_NE(ts, nullptr);
  ASSERT_TRUE(ts->submit(spec("h1", "sleep 60")).is_ok());
  ASSERT_TRUE(ts->submit(spec("h2", "sleep 60")).is_ok());
  EXPECT_NE(ts->host_of("h1"), ts->host_of("h2"));  // spread by load
  const std::string on_b = ts->host_of("h1") == 1 ? "h1" : "h2";
  const std::string on_a = on_b == "h1" ? "h2" : "h1";
  (void)ts->poll(milliseconds(300));
  b.crash();
  auto events = until_ended(*ts, 1);
  const TrialEvent* lost = ended(events, on_b);
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ(lost->status, TrialStatus::kSysCanceled);
  EXPECT_NE(lost->message.find("became unreachable"), std::string::npos);
  // The experiment goes on on the other host.
  EXPECT_EQ(ts->free_slots(), 1);
  ASSERT_TRUE(ts->submit(spec("h3", "bash trial.sh")).is_ok());
  EXPECT_EQ(ts->host_of("h3"), 0);
  auto more = until_ended(*ts, 1);
  ASSERT_NE(ended(more, "h3"), nullptr);
  EXPECT_EQ(ended(more, "h3")->status, TrialStatus::kSucceeded);
  ASSERT_TRUE(ts->cancel(on_a, TrialStatus::kUserCanceled).is_ok());
  until_ended(*ts, 1);
}

TEST_F(RemoteTest, AHostThatComesBackIsUsedAgain) {
  testing::Sshd b;
  ASSERT_TRUE(b.available()) << b.why_unavailable();
  auto ts = make({machine(*a_), machine(b)}, 2);
  ASSERT_NE(ts, nullptr);
  b.crash();
  (void)ts->poll(milliseconds(500));
  EXPECT_FALSE(ts->host_up(1));
  EXPECT_EQ(ts->free_slots(), 2);  // host a takes them all meanwhile
  ASSERT_TRUE(b.restart());
  // Retried with back-off (1 s, 2 s, 4 s, ...).
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ts->host_up(1) && std::chrono::steady_clock::now() < limit)
    (void)ts->poll(milliseconds(200));
  ASSERT_TRUE(ts->host_up(1));
  ASSERT_TRUE(ts->submit(spec("back1", "sleep 60")).is_ok());
  ASSERT_TRUE(ts->submit(spec("back2", "bash trial.sh")).is_ok());
  EXPECT_NE(ts->host_of("back1"), ts->host_of("back2"));  // b is used again
  const std::string on_b = ts->host_of("back1") == 1 ? "back1" : "back2";
  const std::string on_a = on_b == "back1" ? "back2" : "back1";
  ASSERT_TRUE(ts->cancel("back1", TrialStatus::kUserCanceled).is_ok());
  auto events = until_ended(*ts, 2);
  ASSERT_NE(ended(events, on_b), nullptr);
  ASSERT_NE(ended(events, on_a), nullptr);
  EXPECT_EQ(ended(events, "back2")->status, TrialStatus::kSucceeded);
}

TEST_F(RemoteTest, GpusAreScheduledPerHostFromItsNvidiaSmi) {
  // Host a: GPUs 0 and 1, GPU 1 busy with another program's process.
  {
    std::ofstream f(a_->bin_dir() + "/nvidia-smi");
    f << "#!/bin/sh\ncase \"$1\" in\n"
         "  --query-gpu=*) printf '0, GPU-a0\\n1, GPU-a1\\n' ;;\n"
         "  --query-compute-apps=*) printf 'GPU-a1, 999\\n' ;;\n"
         "esac\n";
  }
  std::filesystem::permissions(a_->bin_dir() + "/nvidia-smi",
                               std::filesystem::perms::all);
  std::ofstream(code_.file("gpu.sh"))
      << "echo \"gpus=$CUDA_VISIBLE_DEVICES\"; sleep ${WAIT:-0}\n";
  RemoteMachine m = machine(*a_);
  m.max_trial_number_per_gpu = 2;
  auto ts = make({m}, 4, 1);
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->free_slots(), 2);  // two trials on GPU 0, GPU 1 is busy
  ASSERT_TRUE(ts->submit(spec("g1", "bash gpu.sh")).is_ok());
  ASSERT_TRUE(ts->submit(spec("g2", "WAIT=30 bash gpu.sh")).is_ok());
  EXPECT_EQ(ts->free_slots(), 0);
  auto events = until_ended(*ts, 1);
  ASSERT_NE(ended(events, "g1"), nullptr);
  EXPECT_EQ(testing::read_file(local_.file("trials/g1/stdout")), "gpus=0\n");
  EXPECT_EQ(ts->free_slots(), 1);  // g1's share of GPU 0 is back
  // A restarted manager re-reserves an adopted trial's GPUs.
  std::string g2_handle;
  for (const auto& e : events) {
    if (e.kind == TrialEvent::Kind::kStarted && e.trial_id == "g2")
      g2_handle = e.handle;
  }
  ts.reset();
  auto again = make({m}, 4, 1);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->free_slots(), 2);
  ASSERT_TRUE(
      again->adopt(spec("g2", "WAIT=30 bash gpu.sh"), g2_handle).is_ok());
  EXPECT_EQ(again->free_slots(), 1);
  ASSERT_TRUE(again->cancel("g2", TrialStatus::kUserCanceled).is_ok());
  until_ended(*again, 1);
  // A host without nvidia-smi is not used, with the reason.
  testing::Sshd b;
  ASSERT_TRUE(b.available()) << b.why_unavailable();
  RemoteTrainingService::Options o;
  o.machines = {machine(b)};
  o.experiment_id = "nogpu";
  o.experiment_dir = local_.path();
  o.code_dir = code_.path();
  o.remote_directory = b.user_dir();
  o.gpus_per_trial = 1;
  auto none = RemoteTrainingService::create(o);
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("machineList[0] (" + b.user() +
                                         "@127.0.0.1:"),
            std::string::npos)
      << none.status().message();
  EXPECT_NE(none.status().message().find("nvidia-smi"), std::string::npos)
      << none.status().message();
}

TEST_F(RemoteTest, ARestartedManagerAdoptsARunningRemoteTrial) {
  TrialSpec s = spec("ad1", "sleep 1.5; bash trial.sh");
  std::string handle;
  {
    auto first = make({machine(*a_)}, 1);
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(first->submit(s).is_ok());
    for (const auto& e : testing::poll_once(*first, milliseconds(100))) {
      if (e.kind == TrialEvent::Kind::kStarted) handle = e.handle;
    }
  }  // the manager is gone; the trial runs on on the host
  ASSERT_FALSE(handle.empty());
  auto second = make({machine(*a_)}, 1);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(second->adopt(s, handle).is_ok());
  EXPECT_EQ(second->free_slots(), 0);
  auto events = until_ended(*second, 1);
  ASSERT_NE(ended(events, "ad1"), nullptr);
  EXPECT_EQ(ended(events, "ad1")->status, TrialStatus::kSucceeded);
  int finals = 0;
  for (const auto& e : events)
    finals += e.kind == TrialEvent::Kind::kMetric &&
              e.metric_type == MetricType::kFinal;
  EXPECT_EQ(finals, 1);
  // An unknown host in a handle ends the trial at once.
  auto third = make({machine(*a_)}, 1);
  ASSERT_TRUE(third->adopt(spec("ad2", "true"), "nobody@nowhere:22/1").is_ok());
  auto lost = until_ended(*third, 1);
  EXPECT_EQ(ended(lost, "ad2")->status, TrialStatus::kSysCanceled);
}

TEST_F(RemoteTest, NoReachableHostIsAClearError) {
  RemoteMachine m = machine(*a_);
  m.port = 1;
  RemoteTrainingService::Options o;
  o.machines = {m};
  o.experiment_id = "x";
  o.experiment_dir = local_.path();
  o.code_dir = code_.path();
  o.remote_directory = a_->user_dir();
  auto s = RemoteTrainingService::create(o);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("no remote machine can be used"),
            std::string::npos);
  EXPECT_NE(s.status().message().find("Connection refused"), std::string::npos);
}

}  // namespace
}  // namespace archer
