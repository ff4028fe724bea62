// The REST API against a real store, over loopback with bounded timeouts.
#include "rest/rest_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "archer/store.h"
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
    t.status = "WAITING";
    ASSERT_TRUE(store->insert_trial(t).is_ok());
    t.status = "SUCCEEDED";
    t.start_time = 1;
    t.end_time = 2;
    ASSERT_TRUE(store->update_trial(t).is_ok());
    ASSERT_TRUE(
        store->insert_metric(MetricRow{"Ab3xZ", 0, "FINAL", 0, "98.87", 5})
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

}  // namespace
}  // namespace archer
