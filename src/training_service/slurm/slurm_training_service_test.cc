// SlurmTrainingService against a real single-node Slurm (munged, slurmctld,
// slurmd started by the test on 127.0.0.1).
#include "training_service/slurm/slurm_training_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "testing/slurm_cluster.h"
#include "testing/temp_dir.h"
#include "testing/trial_events.h"

namespace archer {
namespace {

using std::chrono::milliseconds;

class SlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cluster_.available()) GTEST_SKIP() << cluster_.why_unavailable();
  }
  // One job per trial, named after it (the tests scancel by name), unless
  // `arrays`.
  std::unique_ptr<SlurmTrainingService> make(int parallel,
                                             bool arrays = false) {
    SlurmTrainingService::Options o;
    o.slurm.arrays = arrays;
    o.experiment_id = "exp";
    o.max_parallel = parallel;
    o.slurm.poll_interval = 0.2;
    o.slurm.cpus = 1;
    o.env = cluster_.env();
    return std::make_unique<SlurmTrainingService>(o);
  }
  TrialSpec spec(const std::string& id, const std::string& command) {
    TrialSpec s;
    s.trial_id = id;
    s.sequence_id = 1;
    s.parameter_record = R"({"parameter_id": 1, "parameters": {}})";
    s.trial_dir = dir_.file("trials/" + id);
    s.command = command;
    s.code_dir = dir_.path();
    s.experiment_id = "exp";
    return s;
  }
  static std::vector<TrialEvent> until_ended(TrainingService& ts, int n) {
    return testing::poll_until_ended(ts, n, 60);
  }
  static const TrialEvent* find(const std::vector<TrialEvent>& events,
                                TrialEvent::Kind kind, const std::string& id) {
    return testing::find_event(events, kind, id);
  }
  const std::string report_ =
      "cd \"$NNI_OUTPUT_DIR\"; echo \"platform=$NNI_PLATFORM "
      "threads=$OMP_NUM_THREADS\"; "
      "f='{\"parameter_id\": 1, \"trial_job_id\": \"t\", \"type\": "
      "\"FINAL\", \"sequence\": 0, \"value\": \"0.75\"}'; "
      "printf 'ME%06d%s\\n' $((${#f}+1)) \"$f\" >> .nni/metrics";
  testing::SlurmCluster cluster_;
  testing::TempDir dir_;
};

TEST_F(SlurmTest, OneJobPerTrialWithMetricsAndExitCodes) {
  auto ts = make(2);
  ASSERT_TRUE(ts->submit(spec("s1", report_)).is_ok());
  ASSERT_TRUE(ts->submit(spec("s2", report_ + "; exit 3")).is_ok());
  EXPECT_EQ(ts->free_slots(), 0);
  auto events = until_ended(*ts, 2);
  const TrialEvent* started = find(events, TrialEvent::Kind::kStarted, "s1");
  ASSERT_NE(started, nullptr);
  EXPECT_FALSE(started->handle.empty());  // the job id
  const TrialEvent* metric = find(events, TrialEvent::Kind::kMetric, "s1");
  ASSERT_NE(metric, nullptr);
  EXPECT_EQ(metric->metric_value, "0.75");
  EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, "s1")->status,
            TrialStatus::kSucceeded);
  const TrialEvent* failed = find(events, TrialEvent::Kind::kEnded, "s2");
  EXPECT_EQ(failed->status, TrialStatus::kFailed);
  EXPECT_EQ(failed->exit_code, 3);
  EXPECT_EQ(testing::read_file(dir_.file("trials/s1/stdout")),
            "platform=slurm threads=1\n");
}

// Trials submitted together are one sbatch --array; each element is its own
// trial: its own job id, output, exit code and cancel.
TEST_F(SlurmTest, TrialsSubmittedTogetherGoInOneArray) {
  auto ts = make(4, true);
  ASSERT_TRUE(ts->submit(spec("a1", report_)).is_ok());
  ASSERT_TRUE(ts->submit(spec("a2", report_ + "; exit 3")).is_ok());
  ASSERT_TRUE(ts->submit(spec("a3", "sleep 60")).is_ok());
  ASSERT_TRUE(ts->submit(spec("a4", report_)).is_ok());
  std::vector<TrialEvent> events;
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!find(events, TrialEvent::Kind::kStarted, "a3") &&
         std::chrono::steady_clock::now() < limit) {
    for (auto& e : ts->poll(milliseconds(200)).value())
      events.push_back(std::move(e));
  }
  ASSERT_TRUE(ts->cancel("a3", TrialStatus::kUserCanceled).is_ok());
  int ended = 0;
  for (const auto& e : events) ended += e.kind == TrialEvent::Kind::kEnded;
  for (auto& e : until_ended(*ts, 4 - ended)) events.push_back(std::move(e));
  EXPECT_EQ(ts->submissions(), 1);
  const std::string array =
      testing::read_file(dir_.file("trials/a1/.nni/jobid"));
  ASSERT_NE(array.find("_0"), std::string::npos) << array;
  const std::string id = array.substr(0, array.find('_'));
  for (int i = 0; i < 4; ++i) {
    const std::string t = "a" + std::to_string(i + 1);
    EXPECT_EQ(testing::read_file(dir_.file("trials/" + t + "/.nni/jobid")),
              id + "_" + std::to_string(i) + "\n");
    const TrialEvent* start = find(events, TrialEvent::Kind::kStarted, t);
    ASSERT_NE(start, nullptr) << t;
    EXPECT_EQ(start->handle, id + "_" + std::to_string(i));
  }
  EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, "a1")->status,
            TrialStatus::kSucceeded);
  EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, "a2")->exit_code, 3);
  EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, "a3")->status,
            TrialStatus::kUserCanceled);
  EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, "a4")->status,
            TrialStatus::kSucceeded);
  EXPECT_EQ(testing::read_file(dir_.file("trials/a4/stdout")),
            "platform=slurm threads=1\n");
}

TEST_F(SlurmTest, CancelAndAnOutsideScancel) {
  auto ts = make(2);
  ASSERT_TRUE(ts->submit(spec("c1", "sleep 60")).is_ok());
  ASSERT_TRUE(ts->submit(spec("c2", "sleep 60")).is_ok());
  // Both running.
  int started = 0;
  for (int i = 0; i < 100 && started < 2; ++i) {
    for (const auto& e : testing::poll_once(*ts, milliseconds(200)))
      started += e.kind == TrialEvent::Kind::kStarted;
  }
  ASSERT_EQ(started, 2);
  ASSERT_TRUE(ts->cancel("c1", TrialStatus::kUserCanceled).is_ok());
  ASSERT_EQ(cluster_.run("scancel --name=archer-exp-c2"), 0);
  auto events = until_ended(*ts, 2);
  EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, "c1")->status,
            TrialStatus::kUserCanceled);
  const TrialEvent* outside = find(events, TrialEvent::Kind::kEnded, "c2");
  EXPECT_EQ(outside->status, TrialStatus::kSysCanceled);
  EXPECT_NE(outside->message.find("cancelled outside Archer"),
            std::string::npos)
      << outside->message;
}

// A requeued job (as after a preemption) starts its trial again: the same
// trial, in the same directory, told it is a restart, so it resumes from
// what it saved there.
TEST_F(SlurmTest, ARequeuedTrialResumesFromItsDirectory) {
  auto ts = make(1);
  ASSERT_TRUE(ts->submit(spec("q1",
                              "if [ \"$ARCHER_TRIAL_RESTARTS\" = 0 ]; then "
                              "echo epoch-3 >\"$NNI_OUTPUT_DIR/checkpoint\"; "
                              "sleep 60; fi; "
                              "cp \"$NNI_OUTPUT_DIR/checkpoint\" "
                              "\"$NNI_OUTPUT_DIR/resumed-from\"; " +
                                  report_))
                  .is_ok());
  const std::string dir = dir_.file("trials/q1");
  bool saved = false;
  for (int i = 0; i < 150 && !saved; ++i) {
    testing::poll_once(*ts, milliseconds(200));
    saved = std::filesystem::exists(dir + "/checkpoint");
  }
  ASSERT_TRUE(saved);
  ASSERT_EQ(cluster_.run("scontrol requeue $(cat " + dir + "/.nni/jobid)"), 0);
  // Slurm holds a requeued job for about two minutes (Reason=BeginTime)
  // before it runs again.
  auto events = testing::poll_until_ended(*ts, 1, 240);
  const TrialEvent* end = find(events, TrialEvent::Kind::kEnded, "q1");
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->status, TrialStatus::kSucceeded) << end->message;
  EXPECT_EQ(testing::read_file(dir + "/resumed-from"), "epoch-3\n");
  const std::string starts = testing::read_file(dir + "/.nni/starts");
  EXPECT_EQ(std::count(starts.begin(), starts.end(), '\n'), 2) << starts;
}

TEST_F(SlurmTest, SurvivesARestartOfSlurmctld) {
  auto ts = make(1);
  ASSERT_TRUE(ts->submit(spec("r1", "sleep 4; " + report_)).is_ok());
  bool running = false;
  for (int i = 0; i < 100 && !running; ++i) {
    for (const auto& e : testing::poll_once(*ts, milliseconds(200)))
      running = running || e.kind == TrialEvent::Kind::kStarted;
  }
  ASSERT_TRUE(running);
  ASSERT_TRUE(cluster_.restart_controller());
  auto events = until_ended(*ts, 1);
  const TrialEvent* end = find(events, TrialEvent::Kind::kEnded, "r1");
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->status, TrialStatus::kSucceeded);
  EXPECT_NE(find(events, TrialEvent::Kind::kMetric, "r1"), nullptr);
}

TEST_F(SlurmTest, PendingJobsWaitAndARestartedServiceAdoptsThem) {
  // Each job takes both CPUs of the node: the second one stays PENDING.
  testing::TempDir shared;
  SlurmTrainingService::Options o;
  o.experiment_id = "exp";
  o.max_parallel = 2;
  o.slurm.poll_interval = 0.2;
  o.slurm.cpus = 2;
  o.slurm.arrays = false;  // the test finds p2's job by name
  o.slurm.shared_directory = shared.path();
  o.env = cluster_.env();
  std::ofstream(dir_.file("helper.sh")) << "echo from-shared-code\n";
  std::ofstream(dir_.file(".nniignore")) << "trials\n";
  TrialSpec first = spec("p1", "bash helper.sh; sleep 3; " + report_);
  TrialSpec second = spec("p2", report_);
  {
    auto ts = std::make_unique<SlurmTrainingService>(o);
    ASSERT_TRUE(ts->submit(first).is_ok());
    ASSERT_TRUE(ts->submit(second).is_ok());
    bool p1_started = false, p2_started = false;
    for (int i = 0; i < 100 && !p1_started; ++i) {
      for (const auto& e : testing::poll_once(*ts, milliseconds(200))) {
        if (e.kind != TrialEvent::Kind::kStarted) continue;
        p1_started = p1_started || e.trial_id == "p1";
        p2_started = p2_started || e.trial_id == "p2";
      }
    }
    ASSERT_TRUE(p1_started);
    (void)ts->poll(milliseconds(1000));
    EXPECT_FALSE(p2_started);  // still PENDING: the trial stays WAITING
    EXPECT_EQ(cluster_.run("squeue -h -o %T --name=archer-exp-p2 | grep -q "
                           "PENDING"),
              0);
  }  // the manager goes away with both jobs in Slurm
  // The code and the trial directories live in the shared directory; the
  // experiment's trials/<id> point there.
  std::string code;
  for (const auto& e :
       std::filesystem::directory_iterator(shared.file("exp/code")))
    code = e.path().string();
  EXPECT_EQ(testing::read_file(code + "/helper.sh"), "echo from-shared-code\n");
  EXPECT_TRUE(std::filesystem::is_symlink(dir_.file("trials/p1")));
  EXPECT_TRUE(std::filesystem::exists(shared.file("exp/trials/p1/run.sh")));
  EXPECT_FALSE(std::filesystem::exists(code + "/trials"));
  auto again = std::make_unique<SlurmTrainingService>(o);
  ASSERT_TRUE(again->adopt(first, "").is_ok());  // the job id from .nni/jobid
  ASSERT_TRUE(again->adopt(second, "").is_ok());
  EXPECT_EQ(again->free_slots(), 0);
  auto events = until_ended(*again, 2);
  EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, "p1")->status,
            TrialStatus::kSucceeded);
  EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, "p2")->status,
            TrialStatus::kSucceeded);
  EXPECT_NE(find(events, TrialEvent::Kind::kMetric, "p2"), nullptr);
  EXPECT_EQ(testing::read_file(dir_.file("trials/p1/stdout")),
            "from-shared-code\nplatform=slurm threads=2\n");
}

TEST_F(SlurmTest, ARefusedSubmissionEndsStartFailedWithSbatchsReason) {
  SlurmTrainingService::Options o;
  o.experiment_id = "exp";
  o.max_parallel = 1;
  o.slurm.poll_interval = 0.2;
  o.slurm.partition = "no-such-partition";
  o.env = cluster_.env();
  SlurmTrainingService ts(o);
  // sbatch runs on the worker: submit() returns at once.
  ASSERT_TRUE(ts.submit(spec("bad", report_)).is_ok());
  EXPECT_EQ(ts.free_slots(), 0);  // the trial holds its slot meanwhile
  auto events = until_ended(ts, 1);
  const TrialEvent* ended = find(events, TrialEvent::Kind::kEnded, "bad");
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->status, TrialStatus::kFailed);
  EXPECT_TRUE(ended->start_failed);
  EXPECT_NE(ended->message.find("sbatch failed for trial bad"),
            std::string::npos)
      << ended->message;
  EXPECT_EQ(find(events, TrialEvent::Kind::kStarted, "bad"), nullptr);
  EXPECT_EQ(ts.free_slots(), 1);
}

// Cluster limits: never more than maxJobs jobs queued or running, and
// sbatch calls at least submitInterval apart.
TEST_F(SlurmTest, MaxJobsAndPacedSubmissions) {
  SlurmTrainingService::Options o;
  o.experiment_id = "exp";
  o.max_parallel = 5;
  o.slurm.poll_interval = 0.2;
  o.slurm.cpus = 1;
  o.slurm.max_jobs = 3;
  o.slurm.submit_interval = 1.0;
  o.slurm.arrays = false;  // three sbatch calls, paced
  o.env = cluster_.env();
  SlurmTrainingService ts(o);
  EXPECT_EQ(ts.free_slots(), 3);
  for (const char* id : {"p1", "p2", "p3"})
    ASSERT_TRUE(ts.submit(spec(id, report_)).is_ok());
  EXPECT_EQ(ts.free_slots(), 0);  // the limit, not trialConcurrency
  auto events = until_ended(ts, 3);
  for (const char* id : {"p1", "p2", "p3"}) {
    const TrialEvent* end = find(events, TrialEvent::Kind::kEnded, id);
    ASSERT_NE(end, nullptr) << id;
    EXPECT_EQ(end->status, TrialStatus::kSucceeded) << id;
  }
  EXPECT_EQ(ts.free_slots(), 3);
  // The jobs' submit times (sacct's, in seconds) are paced.
  std::vector<std::int64_t> times;
  for (const char* id : {"p1", "p2", "p3"}) {
    const std::string file = dir_.file(std::string("trials/") + id + "/submit");
    ASSERT_EQ(cluster_.run("scontrol show job $(cat " +
                           dir_.file(std::string("trials/") + id) +
                           "/.nni/jobid) | grep -o 'SubmitTime=[^ ]*' | cut "
                           "-d= -f2 | xargs -I{} date -d {} +%s >" +
                           file),
              0);
    times.push_back(std::stoll(testing::read_file(file)));
  }
  EXPECT_GE(times[2] - times[0], 2) << times[0] << " " << times[2];
}

TEST(SlurmOptions, LimitsAreChecked) {
  const std::string head =
      "searchSpace: {a: {_type: layer_choice, _value: [x]}}\n"
      "trialCommand: t\ntrialConcurrency: 4\ntuner: {name: Random}\n"
      "trainingService: {platform: slurm, ";
  for (const char* bad : {"maxJobs: 0", "maxJobs: -2", "submitInterval: -1s"}) {
    auto c = parse_experiment_config(head + bad + "}\n", "exp.yml", "/tmp");
    ASSERT_FALSE(c.is_ok()) << bad;
    EXPECT_NE(c.status().message().find("trainingService."), std::string::npos)
        << c.status().message();
  }
  auto c = parse_experiment_config(head + "maxJobs: 2, submitInterval: 6s}\n",
                                   "exp.yml", "/tmp");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  const auto o = slurm_options(c.value(), PlatformContext());
  EXPECT_EQ(o.slurm.max_jobs, 2);
  EXPECT_DOUBLE_EQ(o.slurm.submit_interval, 6.0);
  EXPECT_EQ(SlurmTrainingService(o).free_slots(), 2);
}

TEST_F(SlurmTest, TheSbatchCommandCarriesTheOptions) {
  SlurmTrainingService::Options o;
  o.experiment_id = "e1";
  o.slurm.partition = "gpu";
  o.slurm.account = "lab";
  o.slurm.time_limit = "1:00:00";
  o.slurm.cpus = 4;
  o.slurm.memory = "8G";
  o.slurm.gpus = 1;
  o.slurm.sbatch_options = {"--qos=long"};
  SlurmTrainingService ts(o);
  const auto argv = ts.sbatch_command(spec("t1", "x"));
  const std::vector<std::string> expected = {
      "sbatch",
      "--parsable",
      "--job-name=archer-e1-t1",
      "--output=" + dir_.file("trials/t1") + "/slurm.out",
      "--chdir=" + dir_.file("trials/t1"),
      "--partition=gpu",
      "--account=lab",
      "--time=1:00:00",
      "--cpus-per-task=4",
      "--mem=8G",
      "--gpus=1",
      "--requeue",
      "--qos=long",
      dir_.file("trials/t1") + "/run.sh"};
  EXPECT_EQ(argv, expected);
}

}  // namespace
}  // namespace archer
