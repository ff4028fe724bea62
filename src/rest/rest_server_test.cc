// The REST API against a real store, over loopback with bounded timeouts.
#include "rest/rest_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "archer/store.h"
#include "manager/commands.h"
#include "testing/manager_harness.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

TEST(RestServer, ServesNniPathsFromTheStore) {
  testing::TempDir dir;
  const std::string db = dir.file("db.sqlite");
  {
    auto store = std::move(Store::open(db)).value();
    ASSERT_TRUE(store->put_value("status", "RUNNING").is_ok());
    ASSERT_TRUE(store->put_value("experiment_id", "exp12345").is_ok());
    TrialRow t;
    t.trial_id = "Ab3xZ";
    t.parameters = R"({"parameter_id": 0, "parameters": {}})";
    t.status = TrialStatus::kWaiting;
    ASSERT_TRUE(store->insert_trial(t).is_ok());
    t.status = TrialStatus::kSucceeded;
    t.start_time = 1;
    t.end_time = 2;
    ASSERT_TRUE(store->update_trial(t).is_ok());
    ASSERT_TRUE(store
                    ->insert_metric(MetricRow{"Ab3xZ", 0, MetricType::kFinal, 0,
                                              "98.87", 5})
                    .is_ok());
  }
  RestServer server(db);
  ASSERT_TRUE(server.start(0).is_ok());
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  auto get = [&](const std::string& path) {
    auto res = client.Get(("/api/v1/nni" + path).c_str());
    EXPECT_TRUE(res) << path;
    return res ? std::make_pair(res->status, Json::parse(res->body))
               : std::make_pair(0, Json());
  };
  EXPECT_EQ(get("/check-status").second["status"], "RUNNING");
  EXPECT_EQ(get("/experiment").second["id"], "exp12345");
  auto jobs = get("/trial-jobs").second;
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["trialJobId"], "Ab3xZ");
  EXPECT_EQ(jobs[0]["status"], "SUCCEEDED");
  EXPECT_EQ(jobs[0]["finalMetricData"][0]["data"],
            "\"98.87\"");  // NNI's double encoding
  EXPECT_EQ(get("/trial-jobs?status=FAILED").second.size(), 0u);
  EXPECT_EQ(get("/trial-jobs/Ab3xZ").second["sequenceId"], 0);
  EXPECT_EQ(get("/trial-jobs/Nope1").first, 404);
  auto metrics = get("/metric-data/Ab3xZ").second;
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0]["parameterId"], "0");
  auto stats = get("/job-statistics").second;
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0]["trialJobNumber"], 1);
  // A second server on the same port is refused with a clear message.
  RestServer other(db);
  Status busy = other.start(server.port());
  ASSERT_FALSE(busy.is_ok());
  EXPECT_NE(busy.message().find("is it in use?"), std::string::npos);
  server.stop();
}

// The write endpoints against a manager (on a fake training service) whose
// thread drains the command queue, as `archer create` does.
TEST(RestServer, WritesReachTheRunningManager) {
  testing::TempDir dir;
  const std::string db = dir.file("db.sqlite");
  ExperimentConfig c = testing::config_for("Random", Json::object(), 1, 20);
  std::shared_ptr<Store> store(std::move(Store::open(db)).value());
  testing::Harness h(
      c, 1,
      [](const Json&) {
        return testing::FakeOutcome{"", TrialStatus::kSucceeded, true};
      },
      store);
  ASSERT_TRUE(h.manager->start().is_ok());
  CommandQueue queue;
  RestServer server(db);
  server.set_commands(&queue);
  ASSERT_TRUE(server.start(0).is_ok());
  std::atomic<bool> done{false}, stop_requested{false};
  std::thread manager_thread([&] {
    bool stop = false;
    while (!done) {
      queue.drain([&](const std::string& op, const Json& args) {
        auto answer = run_command(*h.manager, op, args, &stop);
        if (stop) stop_requested = true;  // before the client gets the answer
        return answer;
      });
      auto more = h.manager->step(std::chrono::milliseconds(5));
      EXPECT_TRUE(more.is_ok());
    }
  });
  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(10, 0);
  auto send = [&](const std::string& method, const std::string& path,
                  const std::string& body) {
    const std::string url = "/api/v1/nni" + path;
    auto res =
        method == "PUT"    ? client.Put(url.c_str(), body, "application/json")
        : method == "POST" ? client.Post(url.c_str(), body, "application/json")
                           : client.Delete(url.c_str());
    EXPECT_TRUE(res) << path;
    return res ? std::make_pair(res->status, Json::parse(res->body))
               : std::make_pair(0, Json());
  };
  // Archer's {"value": v} and NNI's profile {"params": {...}} both work.
  EXPECT_EQ(send("PUT", "/experiment?update_type=TRIAL_CONCURRENCY",
                 R"({"value": 2})")
                .first,
            200);
  EXPECT_EQ(send("PUT", "/experiment?update_type=MAX_TRIAL_NUM",
                 R"({"params": {"maxTrialNum": 7}})")
                .first,
            200);
  EXPECT_EQ(send("PUT", "/experiment?update_type=MAX_EXEC_DURATION",
                 R"({"params": {"maxExperimentDuration": "1h"}})")
                .first,
            200);
  auto bad = send("PUT", "/experiment?update_type=TRIAL_CONCURRENCY",
                  R"({"value": 0})");
  EXPECT_EQ(bad.first, 400);
  EXPECT_NE(bad.second["error"].get<std::string>().find("trialConcurrency"),
            std::string::npos);
  EXPECT_EQ(send("PUT", "/experiment?update_type=COLOUR", "{}").first, 400);
  EXPECT_EQ(send("PUT", "/experiment?update_type=MAX_TRIAL_NUM", "{oops").first,
            400);
  auto config = store->get_value("config").value();
  EXPECT_EQ(config["trialConcurrency"], 2);
  EXPECT_EQ(config["maxTrialNumber"], 7);
  EXPECT_EQ(config["maxExperimentDuration"], 3600.0);
  // Kill a running trial; an unknown one is 404.
  std::string running;
  for (int i = 0; i < 200 && running.empty(); ++i) {
    for (const auto& t : store->trials().value()) {
      if (t.status == TrialStatus::kRunning) running = t.trial_id;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(running.empty());
  EXPECT_EQ(send("DELETE", "/trial-jobs/" + running, "").first, 200);
  EXPECT_EQ(send("DELETE", "/trial-jobs/Nope1", "").first, 404);
  // Import, then list what was imported.
  auto imported = send(
      "POST", "/experiment/import-data",
      R"([{"parameter": {"a": {"_value": "x", "_idx": 0}, "b": {"_value": "p", "_idx": 0}, "s": {"_value": [""], "_idx": [0]}}, "value": 0.5}])");
  EXPECT_EQ(imported.first, 200);
  EXPECT_EQ(imported.second["imported"], 1);
  auto listed = client.Get("/api/v1/nni/experiment/imported-data");
  ASSERT_TRUE(listed);
  EXPECT_EQ(Json::parse(listed->body)[0]["value"], "0.5");
  // Stop.
  EXPECT_EQ(send("DELETE", "/experiment", "").first, 200);
  EXPECT_TRUE(stop_requested);
  done = true;
  manager_thread.join();
  EXPECT_STREQ(to_string(store->trial(running).value()->status),
               "USER_CANCELED");
  // Without a manager (archer view) writes are refused.
  RestServer viewer(db);
  ASSERT_TRUE(viewer.start(0).is_ok());
  httplib::Client view_client("127.0.0.1", viewer.port());
  view_client.set_read_timeout(5, 0);
  auto refused = view_client.Delete("/api/v1/nni/experiment");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  server.stop();
  viewer.stop();
}

}  // namespace
}  // namespace archer
