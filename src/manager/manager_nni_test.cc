// The manager with NNI's own algorithms (../shared/nni, v2.10) over real local
// trials that `import nni`: NNI's TPE on an HPO space, a customised tuner that
// logs every call (every command type), an assessor in the dispatcher, the
// Hyperband advisor, a crash, an error, a hang, and resume.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "archer/store.h"
#include "manager/experiment_manager.h"
#include "testing/nni_code.h"
#include "testing/temp_dir.h"
#include "training_service/local/local_training_service.h"

namespace archer {
namespace {

using std::chrono::milliseconds;

// An NNI trial: what it got goes to got.json; its result is x * budget;
// with STOP_LOW=1 it reports x as an intermediate result first and, when
// x < 0.5, would train a minute more.
const char* kTrial = R"(import json, os, time
import nni
p = nni.get_next_parameter()
with open(os.path.join(os.environ['NNI_OUTPUT_DIR'], 'got.json'), 'w') as f:
    json.dump(p, f)
x = float(p.get('x', 0.5))
if os.environ.get('STOP_LOW') == '1':
    nni.report_intermediate_result(x)
    if x < 0.5:
        time.sleep(60)
nni.report_final_result(x * float(p.get('TRIAL_BUDGET', 1)))
)";

// A customised tuner that logs every call (one JSON list per line) and
// proposes x = (id % 10) / 10; `fail` makes generate_parameters raise, exit
// or hang; `limit` ids, then NO.
const char* kLogTuner = R"(import json, os, time
import nni
from nni.tuner import Tuner

class LogTuner(Tuner):
    def __init__(self, log, limit=1000, fail=''):
        self.log, self.limit, self.fail = log, limit, fail

    def _w(self, *call):
        with open(self.log, 'a') as f:
            f.write(json.dumps(call) + '\n')

    def update_search_space(self, search_space):
        self._w('update_search_space', sorted(search_space))

    def generate_parameters(self, parameter_id, **kwargs):
        if self.fail == 'raise':
            raise ValueError('boom from the tuner')
        if self.fail == 'exit':
            os._exit(3)
        if self.fail == 'hang':
            time.sleep(3600)
        if self.fail == 'slow' and parameter_id >= 1:
            time.sleep(30)
        if parameter_id >= self.limit:
            raise nni.NoMoreTrialError('no more')
        self._w('generate_parameters', parameter_id)
        return {'x': (parameter_id % 10) / 10}

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        self._w('receive_trial_result', parameter_id, parameters, value)

    def trial_end(self, parameter_id, success, **kwargs):
        self._w('trial_end', parameter_id, success)

    def import_data(self, data):
        self._w('import_data', data)

    def _on_exit(self):
        self._w('exit')
)";

// Judges a trial bad when its first intermediate result is below 0.5.
const char* kLowStop = R"(from nni.assessor import Assessor, AssessResult

class LowStop(Assessor):
    def assess_trial(self, trial_job_id, trial_history):
        return AssessResult.Bad if trial_history[0] < 0.5 else AssessResult.Good
)";

class ManagerNni : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::nni_available())
      GTEST_SKIP() << "NNI's code is not at " << testing::nni_dir();
    testing::write_file(dir.file("trial.py"), kTrial);
    testing::write_file(dir.file("logtuner.py"), kLogTuner);
    testing::write_file(dir.file("lowstop.py"), kLowStop);
  }
  ExperimentConfig config(const std::string& yaml,
                          const std::string& trial_env = "") {
    auto c = parse_experiment_config(yaml, "exp.yml", dir.path());
    EXPECT_TRUE(c.is_ok()) << c.status().message();
    ExperimentConfig e = c.is_ok() ? c.value() : ExperimentConfig();
    e.trial_command = "PYTHONPATH=" + testing::nni_pythonpath() + " " +
                      trial_env + " " + testing::kNniPython + " trial.py";
    e.trial_code_directory = dir.path();
    return e;
  }
  std::unique_ptr<ExperimentManager> manager(
      const ExperimentConfig& c, Store* store,
      DispatcherClient::Timeouts timeouts = DispatcherClient::Timeouts(),
      const std::string& pythonpath = testing::nni_pythonpath()) {
    LocalTrainingService::Options o;
    o.kill_grace = milliseconds(500);
    auto m = std::make_unique<ExperimentManager>(
        c, "exp", dir.file("exp"), std::unique_ptr<Tuner>(),
        std::move(LocalTrainingService::create(o)).value(), store, 7);
    DispatcherOptions d;
    d.python = testing::kNniPython;
    d.exp_params = c.dispatcher_params;
    d.log_path = dir.file("dispatcher.log");
    d.env["PYTHONPATH"] = pythonpath;
    m->use_dispatcher(d, timeouts);
    return m;
  }
  // Steps until the experiment ends or `seconds` pass.
  StatusOr<bool> run(ExperimentManager& m, int seconds = 90) {
    const auto limit =
        std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    StatusOr<bool> more = true;
    while (more.is_ok() && more.value() &&
           std::chrono::steady_clock::now() < limit)
      more = m.step(milliseconds(100));
    return more;
  }
  // The tuner's log: one JSON list per call.
  std::vector<Json> calls() const {
    std::vector<Json> out;
    std::istringstream in(testing::read_file(dir.file("calls.log")));
    for (std::string line; std::getline(in, line);)
      out.push_back(Json::parse(line));
    return out;
  }
  static int count(const std::vector<Json>& calls, const std::string& name) {
    int n = 0;
    for (const auto& c : calls) n += c[0] == name;
    return n;
  }
  std::string log_tuner(const std::string& args = "") const {
    return "tuner:\n  className: logtuner.LogTuner\n  classArgs: {log: " +
           dir.file("calls.log") + args + "}\n";
  }
  Json got(const TrialRow& t) const {
    return Json::parse(testing::read_file(t.trial_dir + "/got.json"));
  }
  testing::TempDir dir;
};

TEST_F(ManagerNni, NnisTpeOnAnHpoSpaceGivesTrialsTheirParameters) {
  ExperimentConfig c = config(
      "searchSpace:\n"
      "  x: {_type: uniform, _value: [0, 1]}\n"
      "  opt: {_type: choice, _value: [{_name: sgd, lr: {_type: loguniform, "
      "_value: [0.001, 0.1]}}, {_name: adam}]}\n"
      "  n: {_type: randint, _value: [1, 9]}\n"
      "trialCommand: x\ntrialConcurrency: 2\nmaxTrialNumber: 6\n"
      "tuner: {name: TPE, classArgs: {optimize_mode: maximize, seed: 3}}\n");
  auto store = std::move(Store::open(":memory:")).value();
  auto m = manager(c, store.get());
  ASSERT_TRUE(m->start().is_ok());
  auto more = run(*m);
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_FALSE(more.value());
  EXPECT_EQ(m->progress().status, ExperimentStatus::kDone);
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 6u);
  std::set<std::int64_t> ids;
  for (const auto& t : trials) {
    EXPECT_EQ(t.status, TrialStatus::kSucceeded) << t.message;
    const Json record = Json::parse(t.parameters);
    ASSERT_TRUE(t.parameter_id.has_value());
    EXPECT_EQ(record["parameter_id"], *t.parameter_id);
    EXPECT_EQ(record["parameter_source"], "algorithm");
    ids.insert(*t.parameter_id);
    // The NNI trial got exactly what the dispatcher proposed.
    const Json p = got(t);
    EXPECT_EQ(p, record["parameters"]);
    EXPECT_GE(p["x"].get<double>(), 0.0);
    EXPECT_LE(p["x"].get<double>(), 1.0);
    EXPECT_TRUE(p["opt"]["_name"] == "sgd" || p["opt"]["_name"] == "adam");
    auto final_value =
        store->metric_value(t.trial_id, MetricType::kFinal, 0).value();
    ASSERT_TRUE(final_value.has_value());
    EXPECT_DOUBLE_EQ(Json::parse(*final_value).get<double>(),
                     p["x"].get<double>());
  }
  EXPECT_EQ(ids, (std::set<std::int64_t>{0, 1, 2, 3, 4, 5}));
  // The search space is stored as given.
  EXPECT_EQ(store->get_value("search_space").value()["x"]["_type"], "uniform");
}

TEST_F(ManagerNni, CustomisedTunerSeesEveryCommand) {
  ExperimentConfig c = config(
      "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
      "trialCommand: x\ntrialConcurrency: 2\nmaxTrialNumber: 4\n" +
      log_tuner(", limit: 3"));
  auto store = std::move(Store::open(":memory:")).value();
  auto m = manager(c, store.get());
  ASSERT_TRUE(m->start().is_ok());
  // FD and SS while it runs.
  auto fed = m->import_data(
      Json::parse(R"([{"parameter": {"x": 0.25}, "value": 0.5}])"), "test");
  ASSERT_TRUE(fed.is_ok()) << fed.status().message();
  ASSERT_TRUE(
      m->update_search_space(
           Json::parse(R"({"x": {"_type": "uniform", "_value": [0, 2]}})"),
           "test")
          .is_ok());
  auto more = run(*m);
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_FALSE(more.value());
  // The tuner said NO after 3 (ids 0..2), before maxTrialNumber.
  EXPECT_EQ(m->progress().status, ExperimentStatus::kDone);
  EXPECT_EQ(m->progress().message,
            "search space exhausted: the tuner (logtuner.LogTuner) has no "
            "more trials to propose");
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 3u);
  for (const auto& t : trials) {
    EXPECT_EQ(t.status, TrialStatus::kSucceeded) << t.message;
    EXPECT_DOUBLE_EQ(got(t)["x"].get<double>(), (*t.parameter_id % 10) / 10.0);
  }
  const std::vector<Json> log = calls();
  EXPECT_EQ(count(log, "update_search_space"), 2);   // IN, SS
  EXPECT_EQ(count(log, "generate_parameters"), 3);   // GE -> TR
  EXPECT_EQ(count(log, "receive_trial_result"), 3);  // ME (FINAL)
  EXPECT_EQ(count(log, "trial_end"), 3);             // EN
  EXPECT_EQ(count(log, "import_data"), 1);           // FD
  EXPECT_EQ(count(log, "exit"), 1);                  // TE
  for (const auto& call : log) {
    if (call[0] == "receive_trial_result") {
      EXPECT_DOUBLE_EQ(call[3].get<double>(),
                       call[2]["x"].get<double>());  // the trial's result
    }
    if (call[0] == "trial_end") {
      EXPECT_EQ(call[2], true);
    }
    if (call[0] == "import_data") {
      EXPECT_EQ(call[1], Json::parse(R"([{"parameter": {"x": 0.25}, )"
                                     R"("value": 0.5}])"));
    }
  }
}

TEST_F(ManagerNni, AnAssessorInTheDispatcherStopsTrials) {
  ExperimentConfig c = config(
      "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
      "trialCommand: x\ntrialConcurrency: 2\nmaxTrialNumber: 4\n" +
          log_tuner() + "assessor: {className: lowstop.LowStop}\n",
      "STOP_LOW=1");
  ASSERT_TRUE(c.external_assessor);
  auto store = std::move(Store::open(":memory:")).value();
  auto m = manager(c, store.get());
  ASSERT_TRUE(m->start().is_ok());
  auto more = run(*m, 60);  // a trial not stopped would run a minute more
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_FALSE(more.value());
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 4u);
  for (const auto& t : trials) {
    const double x = got(t)["x"].get<double>();  // 0.0, 0.1, 0.2, 0.3
    EXPECT_LT(x, 0.5);
    EXPECT_EQ(t.status, TrialStatus::kEarlyStopped) << t.message;
    EXPECT_EQ(t.message,
              "stopped early: the assessor in NNI's dispatcher "
              "(lowstop.LowStop)");
  }
  EXPECT_EQ(m->progress().early_stopped, 4);
  // NNI's dispatcher tells its tuner a killed trial did not succeed.
  for (const auto& call : calls()) {
    if (call[0] == "trial_end") {
      EXPECT_EQ(call[2], false);
    }
  }
}

TEST_F(ManagerNni, HyperbandProposesTheNextRungWhenTrialsEnd) {
  // R = 3, eta = 3: bracket s=1 runs 3 configurations at budget 1, then the
  // best at budget 3; bracket s=0 runs 2 at budget 3. Serial: one bracket at
  // a time, so Hyperband says NO while a rung runs, and proposes the next
  // rung when its last trial ends. NNI v2.8's Hyperband: v2.10's raises on
  // its first result (is_created_in_previous_exp compares "0-1_0_0" <= -1),
  // under NNI's own manager too.
  ExperimentConfig c = config(
      "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
      "trialCommand: x\ntrialConcurrency: 2\nmaxTrialNumber: 6\n"
      "advisor:\n  name: Hyperband\n"
      "  classArgs: {optimize_mode: maximize, R: 3, eta: 3, exec_mode: "
      "serial}\n");
  auto store = std::move(Store::open(":memory:")).value();
  auto m = manager(c, store.get(), DispatcherClient::Timeouts(),
                   testing::nni_pythonpath_v28());
  ASSERT_TRUE(m->start().is_ok());
  auto more = run(*m);
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_FALSE(more.value());
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 6u);
  std::vector<double> first_rung;
  for (const auto& t : trials) {
    EXPECT_EQ(t.status, TrialStatus::kSucceeded) << t.message;
    const Json record = Json::parse(t.parameters);
    // Hyperband's ids are strings "<bracket>_<round>_<n>": no integer id.
    ASSERT_TRUE(record["parameter_id"].is_string()) << t.parameters;
    EXPECT_FALSE(t.parameter_id.has_value());
    EXPECT_TRUE(store->metric_value(t.trial_id, MetricType::kFinal, 0)
                    .value()
                    .has_value());
    if (record["parameter_id"].get<std::string>().rfind("0-1_0_", 0) == 0)
      first_rung.push_back(got(t)["x"].get<double>());
  }
  ASSERT_EQ(first_rung.size(), 3u);
  // The promotion: the best of the first rung again, at budget 3.
  bool promoted = false;
  for (const auto& t : trials) {
    const Json record = Json::parse(t.parameters);
    if (record["parameter_id"].get<std::string>().rfind("0-1_1_", 0) != 0)
      continue;
    promoted = true;
    EXPECT_EQ(got(t)["TRIAL_BUDGET"], 3);
    EXPECT_DOUBLE_EQ(got(t)["x"].get<double>(),
                     *std::max_element(first_rung.begin(), first_rung.end()));
  }
  EXPECT_TRUE(promoted);
}

TEST_F(ManagerNni, ATunerThatRaisesEndsTheExperimentWithItsTraceback) {
  ExperimentConfig c = config(
      "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
      "trialCommand: x\ntrialConcurrency: 1\n" +
      log_tuner(", fail: raise"));
  auto store = std::move(Store::open(":memory:")).value();
  auto m = manager(c, store.get());
  ASSERT_TRUE(m->start().is_ok());
  auto more = run(*m, 60);
  ASSERT_FALSE(more.is_ok());
  EXPECT_NE(more.status().message().find("ValueError: boom from the tuner"),
            std::string::npos)
      << more.status().message();
  ASSERT_TRUE(m->fail(more.status()).is_ok());
  EXPECT_EQ(m->progress().status, ExperimentStatus::kError);
  EXPECT_EQ(store->get_value("status").value(), "ERROR");
  EXPECT_NE(store->get_value("error").value().get<std::string>().find(
                "boom from the tuner"),
            std::string::npos);
}

TEST_F(ManagerNni, ADispatcherThatExitsOrHangsIsAnError) {
  {
    ExperimentConfig c = config(
        "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
        "trialCommand: x\ntrialConcurrency: 1\n" +
        log_tuner(", fail: exit"));
    auto store = std::move(Store::open(":memory:")).value();
    auto m = manager(c, store.get());
    ASSERT_TRUE(m->start().is_ok());
    auto more = run(*m, 60);
    ASSERT_FALSE(more.is_ok());
    EXPECT_NE(more.status().message().find("exited (exit code 3)"),
              std::string::npos)
        << more.status().message();
  }
  ExperimentConfig c = config(
      "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
      "trialCommand: x\ntrialConcurrency: 1\n" +
      log_tuner(", fail: hang"));
  auto store = std::move(Store::open(":memory:")).value();
  DispatcherClient::Timeouts t;
  t.answer = std::chrono::seconds(3);
  auto m = manager(c, store.get(), t);
  ASSERT_TRUE(m->start().is_ok());
  auto more = run(*m, 60);
  ASSERT_FALSE(more.is_ok());
  EXPECT_NE(more.status().message().find("did not answer within 3 s"),
            std::string::npos)
      << more.status().message();
}

TEST_F(ManagerNni, ASlowDispatcherBlocksNeitherTrialsNorCommands) {
  // Proposal 0 at once; proposal 1 takes the tuner 30 s. Meanwhile trial 0
  // runs, ends and is stored, and an update is applied.
  ExperimentConfig c = config(
      "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
      "trialCommand: x\ntrialConcurrency: 1\nmaxTrialNumber: 3\n" +
      log_tuner(", fail: slow"));
  auto store = std::move(Store::open(":memory:")).value();
  auto m = manager(c, store.get());
  ASSERT_TRUE(m->start().is_ok());
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool ended = false;
  while (!ended && std::chrono::steady_clock::now() < limit) {
    auto more = m->step(milliseconds(100));
    ASSERT_TRUE(more.is_ok()) << more.status().message();
    auto trials = store->trials().value();
    ended = trials.size() == 1 && trials[0].status == TrialStatus::kSucceeded;
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(store->trials().value().size(), 1u);  // proposal 1 still coming
  ASSERT_TRUE(m->update_concurrency(2).is_ok());
  EXPECT_EQ(m->config().trial_concurrency, 2);
}

TEST_F(ManagerNni, ResumeReplaysTheHistoryAndIdsContinue) {
  const std::string yaml =
      "searchSpace: {x: {_type: uniform, _value: [0, 1]}}\n"
      "trialCommand: x\ntrialConcurrency: 1\nmaxTrialNumber: 2\n" +
      log_tuner();
  const std::string db = dir.file("store.sqlite");
  {
    auto store = std::move(Store::open(db)).value();
    auto m = manager(config(yaml), store.get());
    ASSERT_TRUE(m->start().is_ok());
    auto more = run(*m);
    ASSERT_TRUE(more.is_ok()) << more.status().message();
    EXPECT_FALSE(more.value());
  }
  auto store = std::move(Store::open(db)).value();
  auto m = manager(config(yaml), store.get());
  ASSERT_TRUE(m->resume().is_ok());
  ASSERT_TRUE(m->update_max_trial_number(4).is_ok());
  auto more = run(*m);
  ASSERT_TRUE(more.is_ok()) << more.status().message();
  EXPECT_FALSE(more.value());
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 4u);
  std::set<std::int64_t> ids;
  for (const auto& t : trials) ids.insert(t.parameter_id.value_or(-1));
  EXPECT_EQ(ids, (std::set<std::int64_t>{0, 1, 2, 3}));
  // The restarted dispatcher got the two results (FD) before proposing.
  const std::vector<Json> log = calls();
  int imports = 0;
  for (const auto& call : log) {
    if (call[0] != "import_data") continue;
    ++imports;
    ASSERT_EQ(call[1].size(), 2u);
    for (const auto& r : call[1])
      EXPECT_DOUBLE_EQ(r["value"].get<double>(),
                       r["parameter"]["x"].get<double>());
  }
  EXPECT_EQ(imports, 1);
  EXPECT_EQ(count(log, "generate_parameters"), 4);
}

}  // namespace
}  // namespace archer
