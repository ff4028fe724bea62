// Slurm's pilot mode against a real single-node cluster (the conformance
// suite runs it too, in conformance_test.cc), and its worker script alone.
#include "training_service/slurm/pilot_service.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "archer/config.h"
#include "common/subprocess.h"
#include "testing/slurm_cluster.h"
#include "testing/temp_dir.h"
#include "testing/trial_events.h"
#include "training_service/platform.h"
#include "training_service/slurm/pilot_worker.h"
#include "training_service/trial_files.h"

namespace archer {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

const char kReport[] =
    "f='{\"parameter_id\": 1, \"trial_job_id\": \"t\", \"type\": "
    "\"FINAL\", \"sequence\": 0, \"value\": \"0.75\"}'; "
    "printf 'ME%06d%s\\n' $((${#f}+1)) \"$f\" >> "
    "\"$NNI_OUTPUT_DIR/.nni/metrics\"";

class PilotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cluster_.available()) GTEST_SKIP() << cluster_.why_unavailable();
  }
  SlurmPilotService::Options options(int parallel) {
    SlurmPilotService::Options o;
    o.experiment_id = "exp";
    o.max_parallel = parallel;
    o.slurm.poll_interval = 0.2;
    o.pilot.workers = parallel;
    o.pilot.cpus = 1;
    o.pilot.idle_timeout = 2;
    o.pilot.start_timeout = 20;
    o.pilot_dir = dir_.file("pilot");
    o.env = cluster_.env();
    return o;
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
  // Polls until `n` more trials ended, appending every event to `events`.
  static void until_ended(TrainingService& ts, int n,
                          std::vector<TrialEvent>* events, int seconds = 90) {
    for (auto& e : testing::poll_until_ended(ts, n, seconds))
      events->push_back(std::move(e));
  }
  static const TrialEvent* find(const std::vector<TrialEvent>& events,
                                TrialEvent::Kind kind, const std::string& id) {
    return testing::find_event(events, kind, id);
  }
  // The pilot's worker jobs still in Slurm's queue.
  int queued_workers() {
    const std::string out = dir_.file("squeue.out");
    cluster_.run("squeue -h -r -o %i --name=archer-exp-pilot >" + out);
    std::ifstream in(out);
    int n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty();
    return n;
  }
  testing::SlurmCluster cluster_;
  testing::TempDir dir_;
};

// Trials after trials on two workers: every one its own trial (directory,
// metrics, end), and one sbatch for the two workers, not one per trial.
TEST_F(PilotTest, ManyTrialsOnFewWorkersWithOneSubmission) {
  SlurmPilotService ts(options(2));
  std::vector<TrialEvent> events;
  int submitted = 0, ended = 0;
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (ended < 8 && std::chrono::steady_clock::now() < limit) {
    while (ts.free_slots() > 0 && submitted < 8) {
      const std::string id = "m" + std::to_string(submitted++);
      ASSERT_TRUE(
          ts.submit(spec(id, std::string(kReport) +
                                 "; echo \"$CUDA_VISIBLE_DEVICES "
                                 "$OMP_NUM_THREADS $ARCHER_TRIAL_RESTARTS\""))
              .is_ok());
    }
    for (auto& e : testing::poll_once(ts, milliseconds(100))) {
      ended += e.kind == TrialEvent::Kind::kEnded;
      events.push_back(std::move(e));
    }
  }
  ASSERT_EQ(ended, 8);
  EXPECT_EQ(ts.submissions(), 1);
  std::set<std::string> workers;
  for (int i = 0; i < 8; ++i) {
    const std::string id = "m" + std::to_string(i);
    const TrialEvent* start = find(events, TrialEvent::Kind::kStarted, id);
    ASSERT_NE(start, nullptr) << id;
    EXPECT_NE(start->handle.find(" slot 0"), std::string::npos)
        << start->handle;
    workers.insert(start->handle.substr(0, start->handle.find(' ')));
    const TrialEvent* end = find(events, TrialEvent::Kind::kEnded, id);
    EXPECT_EQ(end->status, TrialStatus::kSucceeded) << end->message;
    const TrialEvent* metric = find(events, TrialEvent::Kind::kMetric, id);
    ASSERT_NE(metric, nullptr) << id;
    EXPECT_EQ(metric->metric_value, "0.75");
    // One CPU per worker and slot: one thread; a first start.
    EXPECT_EQ(testing::read_file(dir_.file("trials/" + id + "/stdout")),
              " 1 0\n");
  }
  EXPECT_EQ(workers.size(), 2u);
  ts.release();  // the experiment is over: no allocation is kept
  for (int i = 0; i < 50 && queued_workers() > 0; ++i)
    std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(queued_workers(), 0);
}

// A worker lost under a trial (scancel of its job, as a preemption or a node
// failure would) gives the trial back to the queue: the same trial, in the
// same directory, told it is a restart, on a new worker; at most maxRestarts
// times.
TEST_F(PilotTest, AWorkerLostUnderATrialStartsItAgainOnAnother) {
  auto o = options(1);
  o.pilot.max_restarts = 1;
  SlurmPilotService ts(o);
  // First start: leaves a checkpoint and waits; a restart reports.
  const std::string resumes =
      "if [ \"$ARCHER_TRIAL_RESTARTS\" = 0 ]; then echo saved > "
      "\"$NNI_OUTPUT_DIR/ckpt\"; sleep 60; else cat "
      "\"$NNI_OUTPUT_DIR/ckpt\"; " +
      std::string(kReport) + "; fi";
  ASSERT_TRUE(ts.submit(spec("l1", resumes)).is_ok());
  std::vector<TrialEvent> events;
  const TrialEvent* start = nullptr;
  for (int i = 0; i < 300 && !start; ++i) {
    for (auto& e : testing::poll_once(ts, milliseconds(100)))
      events.push_back(std::move(e));
    start = find(events, TrialEvent::Kind::kStarted, "l1");
  }
  ASSERT_NE(start, nullptr);
  const std::string first_worker =
      start->handle.substr(0, start->handle.find(' '));
  for (int i = 0; i < 100 && !fs::exists(dir_.file("trials/l1/ckpt")); ++i)
    std::this_thread::sleep_for(milliseconds(100));
  ASSERT_EQ(cluster_.run("scancel " + first_worker), 0);
  until_ended(ts, 1, &events);
  const TrialEvent* end = find(events, TrialEvent::Kind::kEnded, "l1");
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->status, TrialStatus::kSucceeded) << end->message;
  // One start for the manager; two for the trial, in its one directory.
  int starts = 0;
  for (const auto& e : events)
    starts += e.kind == TrialEvent::Kind::kStarted && e.trial_id == "l1";
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(testing::read_file(dir_.file("trials/l1/stdout")), "saved\n");
  EXPECT_NE(find(events, TrialEvent::Kind::kMetric, "l1"), nullptr);
  std::ifstream starts_file(dir_.file("trials/l1/.nni/starts"));
  int lines = 0;
  for (std::string line; std::getline(starts_file, line);) ++lines;
  EXPECT_EQ(lines, 2);

  // Lost again past maxRestarts: FAILED, saying why.
  ASSERT_TRUE(ts.submit(spec("l2", "sleep 60")).is_ok());
  for (int k = 0; k < 2; ++k) {
    std::string job;
    for (int i = 0; i < 300 && job.empty(); ++i) {
      for (auto& e : testing::poll_once(ts, milliseconds(100)))
        events.push_back(std::move(e));
      for (const auto& e : fs::directory_iterator(dir_.file("pilot"))) {
        const std::string run = (e.path() / "s0.run").string();
        if (fs::exists(run) &&
            testing::read_file(run).find("/l2") != std::string::npos &&
            !fs::exists(e.path() / "gone"))
          job = testing::read_file((e.path() / "jobid").string());
      }
    }
    ASSERT_FALSE(job.empty()) << k;
    job.pop_back();
    // Started (its .nni/starts has the start) before it is lost.
    const std::string starts_path = dir_.file("trials/l2/.nni/starts");
    for (int i = 0; i < 100; ++i) {
      std::ifstream in(starts_path);
      int n = 0;
      for (std::string line; std::getline(in, line);) ++n;
      if (n > k) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
    ASSERT_EQ(cluster_.run("scancel " + job), 0);
  }
  until_ended(ts, 1, &events);
  const TrialEvent* failed = find(events, TrialEvent::Kind::kEnded, "l2");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status, TrialStatus::kFailed);
  EXPECT_NE(failed->message.find("lost 2 times (pilot.maxRestarts 1)"),
            std::string::npos)
      << failed->message;
}

// A worker job that ends before it starts (here its script fails at once,
// as a missing module or an unreachable directory would) is given up; after
// three in a row the waiting trials fail, with the worker's own last line.
TEST_F(PilotTest, AWorkerThatNeverStartsFailsTheTrialsSayingWhy) {
  auto o = options(1);
  o.pilot.prelude = "echo 'module load cuda: not found' >&2; exit 3";
  SlurmPilotService ts(o);
  ASSERT_TRUE(ts.submit(spec("n1", kReport)).is_ok());
  std::vector<TrialEvent> events;
  until_ended(ts, 1, &events);
  const TrialEvent* end = find(events, TrialEvent::Kind::kEnded, "n1");
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->status, TrialStatus::kFailed);
  EXPECT_TRUE(end->start_failed);
  EXPECT_NE(end->message.find("ended before it started"), std::string::npos)
      << end->message;
  EXPECT_NE(end->message.find("module load cuda: not found"), std::string::npos)
      << end->message;
  EXPECT_EQ(ts.submissions(), 3);
}

// No trial starts on a worker with less time left than the trials take (the
// longest of the last successful ones): it is released and a fresh one
// takes the trial.
TEST_F(PilotTest, NoTrialStartsOnAWorkerTooShortForIt) {
  auto o = options(1);
  o.pilot.time_limit = "0:12";  // 12 s as the service counts (Slurm: 1 min)
  SlurmPilotService ts(o);
  std::vector<TrialEvent> events;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "f" + std::to_string(i);
    ASSERT_TRUE(
        ts.submit(spec(id, "sleep 4; " + std::string(kReport))).is_ok());
    until_ended(ts, 1, &events);
  }
  std::vector<std::string> jobs;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "f" + std::to_string(i);
    EXPECT_EQ(find(events, TrialEvent::Kind::kEnded, id)->status,
              TrialStatus::kSucceeded);
    const std::string h = find(events, TrialEvent::Kind::kStarted, id)->handle;
    jobs.push_back(h.substr(0, h.find(' ')));
  }
  // ~4 s each: f0 and f1 fit in the first worker's 12 s, f2 does not.
  EXPECT_EQ(jobs[0], jobs[1]);
  EXPECT_NE(jobs[1], jobs[2]);
}

// The worker script alone (no Slurm): each slot gets its own GPUs and its
// share of the CPUs, a cancel stops the trial's whole group, `stop` and
// idleness end the worker.
TEST(PilotWorker, SlotsShareTheAllocationAndTheWorkerObeysItsFiles) {
  testing::TempDir dir;
  ASSERT_TRUE(
      write_text_file(dir.file("worker.sh"), pilot_worker_script(), 0755)
          .is_ok());
  fs::create_directories(dir.file("w0"));
  auto trial = [&](const std::string& id, const std::string& body) {
    fs::create_directories(dir.file(id));
    EXPECT_TRUE(write_text_file(dir.file(id + "/run.sh"), body, 0755).is_ok());
    return dir.file(id);
  };
  const std::string print =
      "echo \"$CUDA_VISIBLE_DEVICES $ARCHER_SLOT_CPUS\" > \"$(dirname "
      "$0)/out\"\n";
  const std::string a = trial("a", print);
  const std::string b = trial("b", print + "sleep 60 & wait\n");
  ASSERT_TRUE(write_text_file(dir.file("w0/s0.assign"), a + "\n").is_ok());
  ASSERT_TRUE(write_text_file(dir.file("w0/s1.assign"), b + "\n").is_ok());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3", 1);
    ::setenv("SLURM_CPUS_PER_TASK", "8", 1);
    ::unsetenv("SLURM_ARRAY_TASK_ID");
    execl("/bin/bash", "bash", dir.file("worker.sh").c_str(),
          dir.path().c_str(), "0", "2", "2", "3", (char*)nullptr);
    _exit(127);
  }
  auto wait_for = [](const std::function<bool()>& done) {
    for (int i = 0; i < 100 && !done(); ++i)
      std::this_thread::sleep_for(milliseconds(50));
    return done();
  };
  EXPECT_TRUE(wait_for([&] { return fs::exists(dir.file("w0/ready")); }));
  EXPECT_TRUE(wait_for([&] {
    return fs::exists(dir.file("a/out")) && fs::exists(dir.file("b/out"));
  }));
  EXPECT_EQ(testing::read_file(dir.file("a/out")), "0,1 4\n");
  EXPECT_EQ(testing::read_file(dir.file("b/out")), "2,3 4\n");
  // a ended: its slot is free again; b runs.
  EXPECT_TRUE(wait_for([&] { return !fs::exists(dir.file("w0/s0.run")); }));
  EXPECT_TRUE(fs::exists(dir.file("w0/s1.run")));
  ASSERT_TRUE(write_text_file(dir.file("w0/s1.cancel"), "200\n").is_ok());
  EXPECT_TRUE(wait_for([&] { return !fs::exists(dir.file("w0/s1.run")); }));
  // Idle for its 3 s: the worker leaves, saying so.
  EXPECT_TRUE(wait_for([&] { return fs::exists(dir.file("w0/gone")); }));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(testing::read_file(dir.file("w0/gone")), "idle\n");
  // stop: a new worker in w1 exits at once.
  fs::create_directories(dir.file("w1"));
  ASSERT_TRUE(write_text_file(dir.file("w1/stop"), "\n").is_ok());
  auto r = run_process(
      {"bash", dir.file("worker.sh"), dir.path(), "1", "1", "0", "60"}, {}, "",
      std::chrono::seconds(20));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().exit_code, 0);
  EXPECT_EQ(testing::read_file(dir.file("w1/gone")), "stopped\n");
  // A worker whose directory the node cannot see says so.
  r = run_process(
      {"bash", dir.file("worker.sh"), dir.path(), "7", "1", "0", "60"}, {}, "",
      std::chrono::seconds(20));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().exit_code, 2);
  EXPECT_NE(r.value().err.find("w7 is not visible"), std::string::npos)
      << r.value().err;
}

// Bad pilot configs: one line each, naming the key and what was expected.
TEST(PilotOptions, BadConfigsSayWhatIsWrong) {
  const std::string head =
      "searchSpace: {a: {_type: layer_choice, _value: [x]}}\n"
      "trialCommand: t\ntrialConcurrency: 4\ntuner: {name: Random}\n"
      "trainingService: {platform: slurm, ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cpusPerTrial: 4, pilot: {cpusPerWorker: 2}",
       "trainingService.pilot.cpusPerWorker: a worker of 2 CPUs cannot fit 1 "
       "trial of cpusPerTrial 4 (it needs 4)"},
      {"cpusPerTrial: 2, pilot: {cpusPerWorker: 4, trialsPerWorker: 3}",
       "trainingService.pilot.cpusPerWorker: a worker of 4 CPUs cannot fit 3 "
       "trials of cpusPerTrial 2 (it needs 6)"},
      {"gpusPerTrial: 2, pilot: {gpusPerWorker: 1}",
       "trainingService.pilot.gpusPerWorker: a worker of 1 GPUs cannot fit 1 "
       "trial of gpusPerTrial 2 (it needs 2)"},
      {"pilot: {workers: 0}",
       "trainingService.pilot.workers: expected an integer >= 1, got 0"},
      {"pilot: {timeLimit: soon}",
       "trainingService.pilot.timeLimit: expected a Slurm time such as "
       "4:00:00 or 1-00:00:00"},
      {"pilot: {wrokers: 2}",
       "trainingService.pilot.wrokers: unknown key (did you mean 'workers'?)"},
      {"pilot: 3", "trainingService.pilot: expected a mapping"},
      {"maxJobs: 0, pilot: {}",
       "trainingService.maxJobs: expected an integer >= 1, got 0"},
  };
  for (const auto& [bad, want] : cases) {
    auto c = parse_experiment_config(head + bad + "}\n", "exp.yml", "/tmp");
    ASSERT_FALSE(c.is_ok()) << bad;
    EXPECT_NE(c.status().message().find(want), std::string::npos)
        << bad << "\n"
        << c.status().message();
    EXPECT_EQ(c.status().message().find('\n'), std::string::npos)
        << c.status().message();
  }
  // A good one: the fit decides the slots, per-trial sizes the worker.
  auto c = parse_experiment_config(
      head +
          "cpusPerTrial: 2, gpusPerTrial: 1, memoryPerTrial: 4G, pilot: "
          "{cpusPerWorker: 8, gpusPerWorker: 4}}\n",
      "exp.yml", "/tmp");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  PlatformContext ctx;
  ctx.experiment_id = "exp";
  ctx.experiment_dir = "/tmp/exp";
  auto service = create_training_service(c.value(), ctx);
  ASSERT_TRUE(service.is_ok()) << service.status().message();
  auto* pilot = dynamic_cast<SlurmPilotService*>(service.value().get());
  ASSERT_NE(pilot, nullptr);
  const auto argv = pilot->worker_command(0, 1);
  auto has = [&](const std::string& a) {
    return std::find(argv.begin(), argv.end(), a) != argv.end();
  };
  EXPECT_TRUE(has("--cpus-per-task=8"));
  EXPECT_TRUE(has("--gpus=4"));
  EXPECT_TRUE(has("--mem=16G"));  // 4G x 4 slots
  EXPECT_TRUE(has("--array=0-0"));
  EXPECT_EQ(argv[argv.size() - 3], "4");  // slots: min(8/2, 4/1)
  EXPECT_EQ(argv[argv.size() - 2], "1");  // GPUs per trial
}

}  // namespace
}  // namespace archer
