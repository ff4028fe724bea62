#include "testing/service_conformance.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "archer/config.h"
#include "archer/store.h"
#include "archer/tuner.h"
#include "manager/experiment_manager.h"
#include "testing/trial_events.h"
#include "training_service/run_script.h"

namespace archer {
namespace testing {

using std::chrono::milliseconds;

namespace {

std::string record(const TrialScript::Report& r) {
  return dumps(Json{{"parameter_id", 1},
                    {"trial_job_id", "t"},
                    {"type", to_string(r.type)},
                    {"sequence", r.sequence},
                    {"value", r.value}});
}

TrialScript::Report periodical(int seq, const std::string& value) {
  return {MetricType::kPeriodical, seq, value};
}
TrialScript::Report final_result(const std::string& value) {
  return {MetricType::kFinal, 0, value};
}

std::vector<const TrialEvent*> of(const std::vector<TrialEvent>& events,
                                  TrialEvent::Kind kind,
                                  const std::string& id) {
  std::vector<const TrialEvent*> out;
  for (const auto& e : events) {
    if (e.kind == kind && e.trial_id == id) out.push_back(&e);
  }
  return out;
}

// Index of the trial's kEnded in `events` (events.size() if none).
size_t end_index(const std::vector<TrialEvent>& events, const std::string& id) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind == TrialEvent::Kind::kEnded && events[i].trial_id == id)
      return i;
  }
  return events.size();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// A one-trial experiment through a real manager on the harness's platform:
// Random over two candidates, `max_duration` as maxTrialDuration, the trial
// running `script`.
struct OneTrialExperiment {
  std::unique_ptr<Store> store;
  std::unique_ptr<ExperimentManager> manager;
};
StatusOr<OneTrialExperiment> one_trial_experiment(
    ServiceHarness& h, const std::string& max_duration,
    const TrialScript& script) {
  auto parsed = parse_experiment_config(
      "searchSpace: {op: {_type: layer_choice, _value: [a, b]}}\n"
      "trialCommand: x\ntrialConcurrency: 1\nmaxTrialNumber: 1\n"
      "maxTrialDuration: " +
          max_duration + "\ntuner: {name: Random, classArgs: {seed: 1}}\n",
      "conformance", "/");
  if (!parsed.is_ok()) return parsed.status();
  ExperimentConfig c = parsed.value();
  c.trial_command = h.command(script);
  c.trial_code_directory = h.spec("x", "").code_dir;
  auto store = Store::open(":memory:");
  if (!store.is_ok()) return store.status();
  auto ts = h.create(1, std::chrono::milliseconds(500));
  if (!ts) return Status::internal("the harness made no service");
  auto tuner = create_tuner("Random", c.tuner_class_args);
  if (!tuner.is_ok()) return tuner.status();
  OneTrialExperiment e;
  e.store = std::move(store).value();
  e.manager = std::make_unique<ExperimentManager>(
      c, "conformance", h.experiment_dir(), std::move(tuner).value(),
      std::move(ts), e.store.get(), 7);
  Status st = e.manager->start();
  if (!st.is_ok()) return st;
  return e;
}

// Steps `m` until `deadline`, or until it is done when `until_done`;
// whether it is done (a step's error is returned).
StatusOr<bool> step_until(ExperimentManager& m,
                          std::chrono::steady_clock::time_point deadline,
                          bool until_done) {
  while (std::chrono::steady_clock::now() < deadline) {
    auto more = m.step(std::chrono::milliseconds(100));
    if (!more.is_ok()) return more.status();
    if (until_done && !more.value()) return true;
  }
  return false;
}

}  // namespace

std::string bash_command(const TrialScript& s) {
  std::string c = "cd \"$NNI_OUTPUT_DIR\"; ";
  c += "r() { printf 'ME%06d%s\\n' $((${#1}+1)) \"$1\" >> .nni/metrics; }; ";
  if (s.ignore_term) c += "trap '' TERM; ";
  for (const auto& r : s.before) c += "r " + shell_quote(record(r)) + "; ";
  if (s.child) c += "sleep 1000 & echo $! > child.pid; ";
  if (s.sleep_s > 0) c += "sleep " + std::to_string(s.sleep_s) + "; ";
  for (const auto& r : s.at_exit) c += "r " + shell_quote(record(r)) + "; ";
  c += "echo threads=$OMP_NUM_THREADS; exit " + std::to_string(s.exit_code);
  return c;
}

void PrintTo(const ServiceCase& c, std::ostream* os) { *os << c.name; }
std::string service_case_name(
    const ::testing::TestParamInfo<ServiceCase>& info) {
  return info.param.name;
}

void ServiceConformanceTest::SetUp() {
  h_ = GetParam().make();
  const std::string why = h_->unavailable();
  if (!why.empty()) GTEST_SKIP() << why;
}

void ServiceConformanceTest::TearDown() { h_.reset(); }

std::vector<TrialEvent> ServiceConformanceTest::until_ended(TrainingService& ts,
                                                            int n) {
  return poll_until_ended(ts, n, h_->timeout_seconds());
}

TEST_P(ServiceConformanceTest, SubmitGivesOneStartAndOneEndPerTrial) {
  auto ts = h_->create(2, milliseconds(500));
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->free_slots(), 2);
  TrialScript ok;
  ok.at_exit = {final_result("0.75")};
  ASSERT_TRUE(ts->submit(h_->spec("a1", h_->command(ok))).is_ok());
  ASSERT_TRUE(ts->submit(h_->spec("a2", h_->command(ok))).is_ok());
  EXPECT_EQ(ts->free_slots(), 0);
  EXPECT_EQ(ts->running(), 2);
  auto events = until_ended(*ts, 2);
  for (const char* id : {"a1", "a2"}) {
    auto started = of(events, TrialEvent::Kind::kStarted, id);
    ASSERT_EQ(started.size(), 1u) << id;
    EXPECT_FALSE(started[0]->handle.empty());
    auto ended = of(events, TrialEvent::Kind::kEnded, id);
    ASSERT_EQ(ended.size(), 1u) << id;
    EXPECT_EQ(ended[0]->status, TrialStatus::kSucceeded) << ended[0]->message;
    EXPECT_EQ(ended[0]->exit_code, 0);
    EXPECT_GT(ended[0]->time_ms, 0);
    auto metrics = of(events, TrialEvent::Kind::kMetric, id);
    const std::string dir = h_->spec(id, "").trial_dir;
    ASSERT_EQ(metrics.size(), 1u)
        << id << " stdout: " << read_all(dir + "/stdout")
        << " stderr: " << read_all(dir + "/stderr")
        << " metrics: " << read_all(dir + "/.nni/metrics");
    EXPECT_EQ(metrics[0]->metric_type, MetricType::kFinal);
    EXPECT_EQ(metrics[0]->metric_value, "0.75");
  }
  EXPECT_EQ(ts->running(), 0);
  EXPECT_EQ(ts->free_slots(), 2);
  // NNI's layout in the experiment's local copy.
  EXPECT_TRUE(
      std::filesystem::exists(h_->spec("a1", "").trial_dir + "/parameter.cfg"));
}

TEST_P(ServiceConformanceTest, MetricsArriveWhileTheTrialRuns) {
  auto ts = h_->create(1, milliseconds(500));
  ASSERT_NE(ts, nullptr);
  TrialScript s;
  s.before = {periodical(0, "0.25")};
  s.sleep_s = 60;
  ASSERT_TRUE(ts->submit(h_->spec("m1", h_->command(s))).is_ok());
  bool seen = false, ended = false;
  const auto limit = std::chrono::steady_clock::now() +
                     std::chrono::seconds(h_->timeout_seconds());
  while (!seen && std::chrono::steady_clock::now() < limit) {
    for (const auto& e : poll_once(*ts, milliseconds(200))) {
      seen = seen ||
             (e.kind == TrialEvent::Kind::kMetric && e.metric_value == "0.25");
      ended = ended || e.kind == TrialEvent::Kind::kEnded;
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_FALSE(ended);  // it sleeps for a minute
  ASSERT_TRUE(ts->cancel("m1", TrialStatus::kUserCanceled).is_ok());
  until_ended(*ts, 1);
}

TEST_P(ServiceConformanceTest, MetricsWrittenJustBeforeExitComeBeforeTheEnd) {
  auto ts = h_->create(1, milliseconds(500));
  ASSERT_NE(ts, nullptr);
  TrialScript s;
  s.at_exit = {periodical(0, "0.1"), periodical(1, "0.2"),
               final_result("{\"default\": 0.9}")};
  ASSERT_TRUE(ts->submit(h_->spec("x1", h_->command(s))).is_ok());
  auto events = until_ended(*ts, 1);
  auto metrics = of(events, TrialEvent::Kind::kMetric, "x1");
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[0]->metric_value, "0.1");
  EXPECT_EQ(metrics[1]->metric_sequence, 1);
  EXPECT_EQ(metrics[2]->metric_type, MetricType::kFinal);
  EXPECT_EQ(metrics[2]->metric_value, "{\"default\": 0.9}");
  const size_t end = end_index(events, "x1");
  for (size_t i = end; i < events.size(); ++i)
    EXPECT_NE(events[i].kind, TrialEvent::Kind::kMetric);
}

TEST_P(ServiceConformanceTest, ExitCodesDecideTheEnd) {
  auto ts = h_->create(2, milliseconds(500));
  ASSERT_NE(ts, nullptr);
  TrialScript fails;
  fails.exit_code = 3;
  ASSERT_TRUE(ts->submit(h_->spec("e3", h_->command(fails))).is_ok());
  TrialScript ok;
  ASSERT_TRUE(ts->submit(h_->spec("e0", h_->command(ok))).is_ok());
  auto events = until_ended(*ts, 2);
  auto failed = of(events, TrialEvent::Kind::kEnded, "e3");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]->status, TrialStatus::kFailed);
  EXPECT_EQ(failed[0]->exit_code, 3);
  EXPECT_NE(failed[0]->message.find("exit code 3"), std::string::npos)
      << failed[0]->message;
  auto ok_end = of(events, TrialEvent::Kind::kEnded, "e0");
  ASSERT_EQ(ok_end.size(), 1u);
  EXPECT_EQ(ok_end[0]->status, TrialStatus::kSucceeded) << ok_end[0]->message;
}

TEST_P(ServiceConformanceTest, CancelEndsTheWholeProcessGroup) {
  auto ts = h_->create(2, milliseconds(500));
  ASSERT_NE(ts, nullptr);
  TrialScript s;
  s.sleep_s = 120;
  s.child = true;
  s.ignore_term = h_->kills_after_grace();  // then SIGKILL must follow
  const TrialSpec spec = h_->spec("c1", h_->command(s));
  ASSERT_TRUE(ts->submit(spec).is_ok());
  TrialScript quick;
  quick.sleep_s = 120;
  ASSERT_TRUE(ts->submit(h_->spec("c2", h_->command(quick))).is_ok());
  // Wait until both run (the child's pid is written).
  const auto limit = std::chrono::steady_clock::now() +
                     std::chrono::seconds(h_->timeout_seconds());
  int started = 0;
  while (started < 2 && std::chrono::steady_clock::now() < limit) {
    for (const auto& e : poll_once(*ts, milliseconds(200)))
      started += e.kind == TrialEvent::Kind::kStarted;
  }
  ASSERT_EQ(started, 2);
  while (!h_->child_alive(spec) && std::chrono::steady_clock::now() < limit)
    poll_once(*ts, milliseconds(100));
  ASSERT_TRUE(h_->child_alive(spec));
  EXPECT_EQ(ts->cancel("nope", TrialStatus::kUserCanceled).code(),
            Status::Code::kNotFound);
  ASSERT_TRUE(ts->cancel("c1", TrialStatus::kUserCanceled).is_ok());
  ASSERT_TRUE(ts->cancel("c1", TrialStatus::kUserCanceled).is_ok());  // again
  ASSERT_TRUE(ts->cancel("c2", TrialStatus::kEarlyStopped).is_ok());
  auto events = until_ended(*ts, 2);
  auto c1 = of(events, TrialEvent::Kind::kEnded, "c1");
  ASSERT_EQ(c1.size(), 1u);
  EXPECT_EQ(c1[0]->status, TrialStatus::kUserCanceled);
  auto c2 = of(events, TrialEvent::Kind::kEnded, "c2");
  ASSERT_EQ(c2.size(), 1u);
  EXPECT_EQ(c2[0]->status, TrialStatus::kEarlyStopped);
  // Nothing of the trial outlives it (SIGKILL after the grace at the latest).
  const auto gone = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (h_->child_alive(spec) && std::chrono::steady_clock::now() < gone) {
    poll_once(*ts, milliseconds(100));
  }
  EXPECT_FALSE(h_->child_alive(spec));
}

TEST_P(ServiceConformanceTest, MaxTrialDurationStopsATrialThroughTheManager) {
  TrialScript s;
  s.sleep_s = 120;
  auto e = one_trial_experiment(*h_, "1s", s);
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  auto done = step_until(*e.value().manager,
                         std::chrono::steady_clock::now() +
                             std::chrono::seconds(h_->timeout_seconds()),
                         true);
  ASSERT_TRUE(done.is_ok()) << done.status().message();
  EXPECT_TRUE(done.value());
  auto trials = e.value().store->trials();
  ASSERT_TRUE(trials.is_ok());
  ASSERT_EQ(trials.value().size(), 1u);
  const std::string dir =
      h_->experiment_dir() + "/trials/" + trials.value()[0].trial_id;
  EXPECT_STREQ(to_string(trials.value()[0].status), "EARLY_STOPPED")
      << trials.value()[0].message << " stdout: " << read_all(dir + "/stdout")
      << " stderr: " << read_all(dir + "/stderr");
}

// maxTrialDuration counts from the trial's start (NNI counts RUNNING trials
// only): a trial waiting in the platform's queue past the limit is not
// stopped, and once it can run it runs to its end.
TEST_P(ServiceConformanceTest, AQueuedTrialIsNotStoppedForMaxTrialDuration) {
  if (!h_->hold_queued()) GTEST_SKIP() << "the platform has no queue";
  // Released however the test ends (later tests may share the platform).
  struct Release {
    ServiceHarness* h;
    ~Release() { h->release_queued(); }
  } release{h_.get()};
  TrialScript s;
  s.at_exit = {final_result("0.7")};
  auto e = one_trial_experiment(*h_, "3s", s);
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  ExperimentManager& m = *e.value().manager;
  // Queued for twice the limit.
  auto done = step_until(
      m, std::chrono::steady_clock::now() + std::chrono::seconds(6), false);
  ASSERT_TRUE(done.is_ok()) << done.status().message();
  auto trials = e.value().store->trials();
  ASSERT_TRUE(trials.is_ok());
  ASSERT_EQ(trials.value().size(), 1u);
  EXPECT_STREQ(to_string(trials.value()[0].status), "WAITING");
  h_->release_queued();
  done = step_until(m,
                    std::chrono::steady_clock::now() +
                        std::chrono::seconds(h_->timeout_seconds()),
                    true);
  ASSERT_TRUE(done.is_ok()) << done.status().message();
  trials = e.value().store->trials();
  ASSERT_TRUE(trials.is_ok());
  EXPECT_STREQ(to_string(trials.value()[0].status), "SUCCEEDED")
      << trials.value()[0].message;
}

TEST_P(ServiceConformanceTest, ARestartedManagerAdoptsItsTrials) {
  TrialScript runs;
  runs.before = {periodical(0, "0.5")};
  runs.sleep_s = 3;
  runs.at_exit = {final_result("0.8")};
  TrialScript quick;
  quick.at_exit = {final_result("0.6")};
  const TrialSpec running = h_->spec("r1", h_->command(runs));
  const TrialSpec ended = h_->spec("r2", h_->command(quick));
  std::map<std::string, std::string> handles;
  {
    auto first = h_->create(2, milliseconds(500));
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(first->submit(running).is_ok());
    ASSERT_TRUE(first->submit(ended).is_ok());
    const auto limit = std::chrono::steady_clock::now() +
                       std::chrono::seconds(h_->timeout_seconds());
    while (handles.size() < 2 && std::chrono::steady_clock::now() < limit) {
      for (const auto& e : poll_once(*first, milliseconds(100))) {
        if (e.kind == TrialEvent::Kind::kStarted)
          handles[e.trial_id] = e.handle;
        // r2 may end now: a restarted manager must still see its end.
      }
    }
    ASSERT_EQ(handles.size(), 2u);
  }  // the manager goes away; its trials go on
  std::this_thread::sleep_for(milliseconds(500));
  auto second = h_->create(2, milliseconds(500));
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(second->adopt(running, handles["r1"]).is_ok());
  ASSERT_TRUE(second->adopt(ended, handles["r2"]).is_ok());
  auto events = until_ended(*second, 2);
  EXPECT_TRUE(of(events, TrialEvent::Kind::kStarted, "r1").empty());
  auto r1 = of(events, TrialEvent::Kind::kEnded, "r1");
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0]->status, TrialStatus::kSucceeded) << r1[0]->message;
  bool final_seen = false;
  for (const auto* m : of(events, TrialEvent::Kind::kMetric, "r1"))
    final_seen = final_seen || m->metric_value == "0.8";
  EXPECT_TRUE(final_seen);
  auto r2 = of(events, TrialEvent::Kind::kEnded, "r2");
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0]->status, TrialStatus::kSucceeded) << r2[0]->message;
  bool r2_final = false;
  for (const auto* m : of(events, TrialEvent::Kind::kMetric, "r2"))
    r2_final = r2_final || m->metric_value == "0.6";
  EXPECT_TRUE(r2_final);
}

TEST_P(ServiceConformanceTest, TheServiceDecidesEachTrialsThreads) {
  auto ts = h_->create(1, milliseconds(500));
  ASSERT_NE(ts, nullptr);
  TrialScript s;
  const TrialSpec spec = h_->spec("t1", h_->command(s));
  ASSERT_EQ(spec.env.count("OMP_NUM_THREADS"), 0u);
  ASSERT_TRUE(ts->submit(spec).is_ok());
  until_ended(*ts, 1);
  const std::string out = read_all(spec.trial_dir + "/stdout");
  ASSERT_EQ(out.rfind("threads=", 0), 0u) << out;
  EXPECT_GE(std::atoi(out.c_str() + 8), 1) << out;
}

TEST_P(ServiceConformanceTest, AHostOrSchedulerThatGoesAwayAndComesBack) {
  auto ts = h_->create(1, milliseconds(500));
  ASSERT_NE(ts, nullptr);
  TrialScript s;
  s.sleep_s = h_->outage_ends_trials() ? 120 : 6;
  s.at_exit = {final_result("0.7")};
  ASSERT_TRUE(ts->submit(h_->spec("o1", h_->command(s))).is_ok());
  bool started = false;
  const auto limit = std::chrono::steady_clock::now() +
                     std::chrono::seconds(h_->timeout_seconds());
  while (!started && std::chrono::steady_clock::now() < limit) {
    for (const auto& e : poll_once(*ts, milliseconds(100)))
      started = started || e.kind == TrialEvent::Kind::kStarted;
  }
  ASSERT_TRUE(started);
  if (!h_->take_down()) GTEST_SKIP() << "nothing on this platform goes away";
  std::vector<TrialEvent> events;
  for (int i = 0; i < 5; ++i) {  // polls return while it is away
    for (auto& e : poll_once(*ts, milliseconds(100)))
      events.push_back(std::move(e));
  }
  ASSERT_TRUE(h_->bring_back());
  if (of(events, TrialEvent::Kind::kEnded, "o1").empty()) {
    for (auto& e : until_ended(*ts, 1)) events.push_back(std::move(e));
  }
  auto o1 = of(events, TrialEvent::Kind::kEnded, "o1");
  ASSERT_EQ(o1.size(), 1u);
  EXPECT_EQ(o1[0]->status, h_->outage_ends_trials() ? TrialStatus::kSysCanceled
                                                    : TrialStatus::kSucceeded)
      << o1[0]->message;
  // And it is used again once back.
  const auto back = std::chrono::steady_clock::now() +
                    std::chrono::seconds(h_->timeout_seconds());
  while (ts->free_slots() == 0 && std::chrono::steady_clock::now() < back)
    poll_once(*ts, milliseconds(200));
  ASSERT_GT(ts->free_slots(), 0);
  TrialScript quick;
  ASSERT_TRUE(ts->submit(h_->spec("o2", h_->command(quick))).is_ok());
  auto again = until_ended(*ts, 1);
  auto o2 = of(again, TrialEvent::Kind::kEnded, "o2");
  ASSERT_EQ(o2.size(), 1u);
  EXPECT_EQ(o2[0]->status, TrialStatus::kSucceeded) << o2[0]->message;
}

}  // namespace testing
}  // namespace archer
