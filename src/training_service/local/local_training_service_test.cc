// LocalTrainingService with real processes (bash trials), bounded in time.
#include "training_service/local/local_training_service.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "testing/temp_dir.h"
#include "testing/trial_events.h"
#include "training_service/local/trial_processes.h"
#include "training_service/run_script.h"

namespace archer {
namespace {

using std::chrono::milliseconds;
using testing::read_file;
using testing::TempDir;

std::unique_ptr<LocalTrainingService> make(
    int parallel, milliseconds grace = milliseconds(5000)) {
  LocalTrainingService::Options o;
  o.max_parallel = parallel;
  o.kill_grace = grace;
  return std::move(LocalTrainingService::create(o)).value();
}

TrialSpec spec(const TempDir& dir, const std::string& id,
               const std::string& command) {
  TrialSpec s;
  s.trial_id = id;
  s.sequence_id = 4;
  s.parameter_record = R"({"parameter_id": 9, "parameters": {"k": 1}})";
  s.trial_dir = dir.file("trials/" + id);
  s.command = command;
  s.code_dir = dir.path();
  s.experiment_id = "exp1";
  s.env["OMP_NUM_THREADS"] = "1";
  return s;
}

// Polls until `id` ended (or 20 s passed); returns every event seen.
std::vector<TrialEvent> run_until_end(TrainingService& ts,
                                      const std::string& id) {
  std::vector<TrialEvent> all;
  auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < limit) {
    for (auto& e : testing::poll_once(ts, milliseconds(200))) {
      bool done = e.kind == TrialEvent::Kind::kEnded && e.trial_id == id;
      all.push_back(std::move(e));
      if (done) return all;
    }
  }
  ADD_FAILURE() << "trial " << id << " did not end";
  return all;
}

const TrialEvent* find(const std::vector<TrialEvent>& events,
                       TrialEvent::Kind kind) {
  for (const auto& e : events) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

// True if a process of process group `group` exists and is not a zombie (from
// /proc).
bool group_has_live_process(pid_t group) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    long ppid, pgrp;
    if (rest >> state >> ppid >> pgrp && pgrp == group && state != 'Z')
      return true;
  }
  return false;
}

TEST(RunScript, QuotesValuesSafely) {
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  TempDir dir;
  TrialSpec s = spec(dir, "q", "echo ok");
  s.code_dir = "/tmp/with 'quote";
  std::string script = local_run_script(s);
  EXPECT_NE(script.find("export NNI_CODE_DIR='/tmp/with '\\''quote'"),
            std::string::npos);
  EXPECT_NE(script.find("export NNI_PLATFORM='local'"), std::string::npos);
  EXPECT_NE(script.find("(eval 'echo ok') 1>"), std::string::npos);
}

// A trial started again in its directory (a requeued job) is told how many
// starts came before, and an earlier start's exit state is gone.
TEST(RunScript, CountsRestartsAndDropsTheOldExitState) {
  TempDir dir;
  TrialSpec s = spec(dir, "r",
                     "echo $ARCHER_TRIAL_RESTARTS >>\"$NNI_OUTPUT_DIR/seen\"; "
                     "[ ! -f \"$NNI_OUTPUT_DIR/.nni/state\" ] || echo stale");
  std::filesystem::create_directories(s.trial_dir + "/.nni");
  const std::string script = s.trial_dir + "/run.sh";
  std::ofstream(script) << local_run_script(s);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(std::system(("bash " + script).c_str()), 0);
  EXPECT_EQ(testing::read_file(s.trial_dir + "/seen"), "0\n1\n2\n");
  EXPECT_EQ(testing::read_file(s.trial_dir + "/stdout"), "");  // never stale
  EXPECT_TRUE(read_exit_state(s.trial_dir));
}

TEST(LocalTrainingService, RunsATrialWithNniEnvironmentAndLayout) {
  TempDir dir;
  auto ts = make(2);
  EXPECT_EQ(ts->free_slots(), 2);
  const std::string cmd =
      "echo \"$NNI_PLATFORM $NNI_EXP_ID $NNI_TRIAL_JOB_ID $NNI_TRIAL_SEQ_ID "
      "$OMP_NUM_THREADS\"; "
      "test \"$NNI_SYS_DIR\" = \"$NNI_OUTPUT_DIR\" && test \"$PWD\" = "
      "\"$NNI_CODE_DIR\" && "
      "cat \"$NNI_SYS_DIR/parameter.cfg\" >&2";
  ASSERT_TRUE(ts->submit(spec(dir, "Ab3xZ", cmd)).is_ok());
  EXPECT_EQ(ts->free_slots(), 1);
  auto events = run_until_end(*ts, "Ab3xZ");
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().kind, TrialEvent::Kind::kStarted);
  const TrialEvent* end = find(events, TrialEvent::Kind::kEnded);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->status, TrialStatus::kSucceeded);
  EXPECT_EQ(end->exit_code, 0);
  const std::string tdir = dir.file("trials/Ab3xZ");
  EXPECT_EQ(read_file(tdir + "/stdout"), "local exp1 Ab3xZ 4 1\n");
  EXPECT_EQ(read_file(tdir + "/stderr"),
            R"({"parameter_id": 9, "parameters": {"k": 1}})");
  EXPECT_EQ(read_file(tdir + "/parameter.cfg"),
            R"({"parameter_id": 9, "parameters": {"k": 1}})");
  EXPECT_EQ(read_file(tdir + "/.nni/state").rfind("0 ", 0), 0u);
  EXPECT_EQ(ts->free_slots(), 2);
  EXPECT_EQ(ts->running(), 0);
}

TEST(LocalTrainingService, MetricsStreamAndTheLastOnesBeforeExitAreKept) {
  TempDir dir;
  auto ts = make(1);
  // A PERIODICAL record, a pause, then a FINAL record written immediately
  // before exiting.
  const std::string cmd =
      "m='{\"parameter_id\": 9, \"trial_job_id\": \"t\", \"type\": "
      "\"PERIODICAL\", \"sequence\": 0, \"value\": \"0.5\"}'; "
      "printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> .nni/metrics; sleep 0.3; "
      "f='{\"parameter_id\": 9, \"trial_job_id\": \"t\", \"type\": \"FINAL\", "
      "\"sequence\": 0, \"value\": \"0.75\"}'; "
      "printf 'ME%06d%s\\n' $((${#f}+1)) \"$f\" >> .nni/metrics; printf "
      "'garbage' >> .nni/metrics";
  TrialSpec s = spec(dir, "m1", "cd \"$NNI_OUTPUT_DIR\" && " + cmd);
  ASSERT_TRUE(ts->submit(s).is_ok());
  auto events = run_until_end(*ts, "m1");
  std::vector<std::string> seen;
  for (const auto& e : events) {
    if (e.kind == TrialEvent::Kind::kMetric)
      seen.push_back(std::string(to_string(e.metric_type)) + "=" +
                     e.metric_value);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"PERIODICAL=0.5", "FINAL=0.75"}));
  EXPECT_EQ(events.back().kind, TrialEvent::Kind::kEnded);
  EXPECT_EQ(events.back().status, TrialStatus::kSucceeded);
}

TEST(LocalTrainingService, FailedTrialsCarryTheirExitCode) {
  TempDir dir;
  auto ts = make(1);
  ASSERT_TRUE(ts->submit(spec(dir, "f1", "echo boom >&2; exit 3")).is_ok());
  auto events = run_until_end(*ts, "f1");
  const TrialEvent* end = find(events, TrialEvent::Kind::kEnded);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->status, TrialStatus::kFailed);
  EXPECT_EQ(end->exit_code, 3);
  EXPECT_EQ(end->message, "exit code 3");
  EXPECT_EQ(read_file(dir.file("trials/f1/stderr")), "boom\n");
}

TEST(LocalTrainingService, CancelStopsTheWholeProcessGroup) {
  TempDir dir;
  auto ts = make(1, milliseconds(300));
  // The trial starts a child that ignores SIGTERM: SIGKILL after the grace
  // period ends it.
  ASSERT_TRUE(ts->submit(spec(dir, "c1", "(trap '' TERM; sleep 30) & sleep 30"))
                  .is_ok());
  (void)ts->poll(milliseconds(100));
  pid_t group = ts->process_group("c1");
  ASSERT_GT(group, 0);
  ASSERT_TRUE(ts->cancel("c1", TrialStatus::kUserCanceled).is_ok());
  auto start = std::chrono::steady_clock::now();
  auto events = run_until_end(*ts, "c1");
  const TrialEvent* end = find(events, TrialEvent::Kind::kEnded);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->status, TrialStatus::kUserCanceled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  // Nothing of the group survives (zombies left for an init that does not reap
  // don't count).
  bool alive = true;
  for (int i = 0; i < 50 && alive; ++i) {
    alive = group_has_live_process(group);
    if (alive) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_FALSE(alive);
  EXPECT_EQ(ts->cancel("c1", TrialStatus::kUserCanceled).code(),
            Status::Code::kNotFound);
}

TEST(LocalTrainingService, SlotsAndManyTrials) {
  TempDir dir;
  auto ts = make(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        ts->submit(spec(dir, "t" + std::to_string(i), "exit 0")).is_ok());
  }
  EXPECT_EQ(ts->free_slots(), 0);
  EXPECT_FALSE(
      ts->submit(spec(dir, "t0", "exit 0")).is_ok());  // already running
  int ended = 0;
  auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ended < 3 && std::chrono::steady_clock::now() < limit) {
    for (const auto& e : testing::poll_once(*ts, milliseconds(200)))
      ended += e.kind == TrialEvent::Kind::kEnded;
  }
  EXPECT_EQ(ended, 3);
  EXPECT_EQ(ts->free_slots(), 3);
}

// A trial that reports PERIODICAL, waits for the file `go` in its directory,
// then reports FINAL and exits 0.
std::string gated_trial() {
  return "cd \"$NNI_OUTPUT_DIR\"; "
         "m='{\"parameter_id\": 9, \"trial_job_id\": \"t\", \"type\": "
         "\"PERIODICAL\", \"sequence\": 0, \"value\": \"0.5\"}'; "
         "printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> .nni/metrics; "
         "while [ ! -f go ]; do sleep 0.02; done; "
         "f='{\"parameter_id\": 9, \"trial_job_id\": \"t\", \"type\": "
         "\"FINAL\", \"sequence\": 0, \"value\": \"0.75\"}'; "
         "printf 'ME%06d%s\\n' $((${#f}+1)) \"$f\" >> .nni/metrics";
}

std::vector<std::string> metrics_of(const std::vector<TrialEvent>& events) {
  std::vector<std::string> seen;
  for (const auto& e : events) {
    if (e.kind == TrialEvent::Kind::kMetric)
      seen.push_back(std::string(to_string(e.metric_type)) + "=" +
                     e.metric_value);
  }
  return seen;
}

// Waits until `path` exists (up to 20 s).
bool wait_for_file(const std::string& path) {
  for (int i = 0; i < 1000; ++i) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

TEST(LocalTrainingService, AStartedTrialHasItsPidAsHandle) {
  TempDir dir;
  auto ts = make(1);
  ASSERT_TRUE(ts->submit(spec(dir, "h1", "exit 0")).is_ok());
  auto events = run_until_end(*ts, "h1");
  const TrialEvent* started = find(events, TrialEvent::Kind::kStarted);
  ASSERT_NE(started, nullptr);
  EXPECT_FALSE(started->handle.empty());
  EXPECT_EQ(read_file(dir.file("trials/h1/.nni/pid")), started->handle + "\n");
}

TEST(LocalTrainingService, ARestartedServiceAdoptsARunningTrial) {
  TempDir dir;
  TrialSpec s = spec(dir, "a1", gated_trial());
  std::string handle;
  {
    auto first = make(1);
    ASSERT_TRUE(first->submit(s).is_ok());
    for (const auto& e : testing::poll_once(*first, milliseconds(100))) {
      if (e.kind == TrialEvent::Kind::kStarted) handle = e.handle;
    }
    ASSERT_TRUE(wait_for_file(s.trial_dir + "/.nni/pid"));
  }  // the first "manager" is gone; the trial runs on
  auto second = make(1);
  ASSERT_TRUE(second->adopt(s, handle).is_ok());
  EXPECT_EQ(second->free_slots(), 0);
  EXPECT_EQ(second->running(), 1);
  std::ofstream(s.trial_dir + "/go").put('\n');
  auto events = run_until_end(*second, "a1");
  EXPECT_EQ(find(events, TrialEvent::Kind::kStarted), nullptr);
  // Every metric again from the first one (the store ignores repeats).
  EXPECT_EQ(metrics_of(events),
            (std::vector<std::string>{"PERIODICAL=0.5", "FINAL=0.75"}));
  EXPECT_EQ(events.back().status, TrialStatus::kSucceeded);
  EXPECT_EQ(events.back().exit_code, 0);
}

TEST(LocalTrainingService, ATrialThatEndedWhileNoManagerRanEndsAtOnce) {
  TempDir dir;
  TrialSpec s = spec(dir, "a2", gated_trial() + "; exit 4");
  {
    auto first = make(1);
    ASSERT_TRUE(first->submit(s).is_ok());
    ASSERT_TRUE(wait_for_file(s.trial_dir + "/.nni/pid"));
  }
  std::ofstream(s.trial_dir + "/go").put('\n');
  ASSERT_TRUE(wait_for_file(s.trial_dir + "/.nni/state"));
  std::this_thread::sleep_for(milliseconds(100));  // run.sh exits
  // No handle stored (the manager died before storing it): .nni/pid is used.
  auto second = make(1);
  ASSERT_TRUE(second->adopt(s, "").is_ok());
  auto events = run_until_end(*second, "a2");
  EXPECT_EQ(metrics_of(events),
            (std::vector<std::string>{"PERIODICAL=0.5", "FINAL=0.75"}));
  EXPECT_EQ(events.back().status, TrialStatus::kFailed);
  EXPECT_EQ(events.back().exit_code, 4);
  EXPECT_EQ(events.back().message, "exit code 4");
}

TEST(LocalTrainingService, ATrialLostWithoutExitStateIsSysCanceled) {
  TempDir dir;
  TrialSpec s = spec(dir, "a3", "exit 0");
  std::filesystem::create_directories(s.trial_dir + "/.nni");
  auto ts = make(2);
  // A pid that now belongs to another process (this test) is not the trial.
  ASSERT_TRUE(ts->adopt(s, std::to_string(::getpid())).is_ok());
  auto events = run_until_end(*ts, "a3");
  EXPECT_EQ(events.back().status, TrialStatus::kSysCanceled);
  EXPECT_NE(events.back().message.find("machine restarted"), std::string::npos);
  EXPECT_EQ(ts->running(), 0);
}

TEST(LocalTrainingService, GpuTrialsGetTheirOwnDevices) {
  TempDir dir;
  GpuScheduler::Options g;
  g.query = [] { return parse_nvidia_smi("0, GPU-a\n1, GPU-b\n", ""); };
  LocalTrainingService::Options o;
  o.max_parallel = 3;
  o.gpus = std::make_shared<GpuScheduler>(GpuScheduler::create(g).value());
  auto ts = std::move(LocalTrainingService::create(o)).value();
  EXPECT_EQ(ts->free_slots(), 2);  // two GPUs, one trial each
  for (const char* id : {"g0", "g1"}) {
    ASSERT_TRUE(
        ts->submit(spec(dir, id, "echo $CUDA_VISIBLE_DEVICES; sleep 0.2"))
            .is_ok());
  }
  EXPECT_EQ(ts->free_slots(), 0);
  EXPECT_FALSE(ts->submit(spec(dir, "g2", "exit 0")).is_ok());
  int ended = 0;
  auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ended < 2 && std::chrono::steady_clock::now() < limit) {
    for (const auto& e : testing::poll_once(*ts, milliseconds(200)))
      ended += e.kind == TrialEvent::Kind::kEnded;
  }
  EXPECT_EQ(ended, 2);
  EXPECT_EQ(ts->free_slots(), 2);  // released at the end
  EXPECT_EQ(read_file(dir.file("trials/g0/stdout")) +
                read_file(dir.file("trials/g1/stdout")),
            "0\n1\n");
}

TEST(LocalTrainingService, MaxParallelCanChange) {
  auto ts = make(1);
  EXPECT_EQ(ts->free_slots(), 1);
  ASSERT_TRUE(ts->set_max_parallel(3).is_ok());
  EXPECT_EQ(ts->free_slots(), 3);
  EXPECT_FALSE(ts->set_max_parallel(0).is_ok());
}

}  // namespace
}  // namespace archer

namespace archer {
namespace {

// Regression (issue 12): children that call setsid() survived their trial
// and `archer stop`. They carry the trial's environment and are found by it.
TEST(LocalTrainingService, DescendantsThatLeaveTheGroupAreEnded) {
  TempDir dir;
  auto ts = make(1);
  TrialSpec s =
      spec(dir, "Esc4p",
           "setsid sleep 300 </dev/null >/dev/null 2>&1 & "
           "(setsid bash -c 'sleep 301' </dev/null >/dev/null 2>&1 &); "
           "sleep 0.3; exit 0");
  s.experiment_id = "escape" + std::to_string(::getpid());
  ASSERT_TRUE(ts->submit(s).is_ok());
  run_until_end(*ts, s.trial_id);
  // Give SIGKILL a moment to land.
  std::vector<pid_t> left;
  for (int i = 0; i < 100; ++i) {
    left.clear();
    for (pid_t pid :
         trial_processes(s.experiment_id, s.trial_id, s.trial_dir)) {
      std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
      std::string line;
      std::getline(st, line);
      auto close = line.rfind(')');
      if (close != std::string::npos && line[close + 2] != 'Z')
        left.push_back(pid);
    }
    if (left.empty()) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) survived";
}

}  // namespace
}  // namespace archer

namespace archer {
namespace {

// Regression: two experiments with the same experiment and trial ids (tests
// run at once with fixed ids and seeds) killed each other's trials with
// SIGKILL (exit code 137) when one trial ended: the clean-up now also
// matches the trial's directory.
TEST(LocalTrainingService, AnEndingTrialKillsNoOtherExperimentsTrial) {
  TempDir first_dir, second_dir;
  auto first = make(1);
  auto second = make(1);
  const std::string exp = "same" + std::to_string(::getpid());
  TrialSpec quick = spec(first_dir, "Same1", "exit 0");
  quick.experiment_id = exp;
  TrialSpec slow = spec(second_dir, "Same1", "sleep 1 || exit 3");
  slow.experiment_id = exp;
  ASSERT_TRUE(second->submit(slow).is_ok());
  ASSERT_TRUE(first->submit(quick).is_ok());
  run_until_end(*first, quick.trial_id);
  const auto events = run_until_end(*second, slow.trial_id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().status, TrialStatus::kSucceeded)
      << events.back().message;
  EXPECT_EQ(events.back().exit_code, 0);
}

}  // namespace
}  // namespace archer
