// The web UI's endpoints (and its files) against a real store, over loopback
// with bounded timeouts, under a URL prefix.
#include "rest/webui_routes.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "archer/store.h"
#include "rest/rest_server.h"
#include "rest/trial_index.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

// Trials t0..t4: ops a/b/c, skip over inputs; t3 is running, t4 failed
// without a result. Values: t0 0.5, t1 0.9, t2 0.7 (maximize).
class WebUiApi : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.file("db.sqlite");
    store_ = std::move(Store::open(db_)).value();
    Json config = {
        {"experimentName", "demo <i>x</i>"},
        {"trialConcurrency", 2},
        {"maxTrialNumber", 10},
        {"maxExperimentDuration", 3600},
        {"trainingService", {{"platform", "local"}}},
        {"tuner", {{"name", "Random"}, {"classArgs", Json::object()}}}};
    ASSERT_TRUE(store_->put_value("config", config).is_ok());
    ASSERT_TRUE(store_->put_value("experiment_id", "exp1").is_ok());
    ASSERT_TRUE(store_->put_value("status", "RUNNING").is_ok());
    ASSERT_TRUE(store_
                    ->put_value("search_space", Json::parse(R"({
      "op": {"_type": "layer_choice", "_value": ["a", "b", "c"]},
      "skip": {"_type": "input_choice",
               "_value": {"candidates": ["x", "y"], "n_chosen": 1}}})"))
                    .is_ok());
    add("t0", 0, "a", 0, "SUCCEEDED", "0.5");
    add("t1", 1, "b", 1, "SUCCEEDED", "{\"default\": 0.9, \"loss\": 1}");
    add("t2", 2, "b", 0, "SUCCEEDED", "0.7");
    add("t3", 3, "c", 1, "RUNNING", "");
    add("t4", 4, "a", 1, "FAILED", "");
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(
          store_
              ->insert_metric(MetricRow{"t0", 0, MetricType::kPeriodical, i,
                                        std::to_string(0.1 * i), 1})
              .is_ok());
    }
    std::filesystem::create_directories(dir_.file("trials/t0"));
    std::ofstream(dir_.file("trials/t0/stdout")) << "<script>x()</script>\n";
    server_ = std::make_unique<RestServer>(db_);
    ASSERT_TRUE(server_->set_url_prefix("/ui/").is_ok());
    ASSERT_TRUE(server_->start(0).is_ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_connection_timeout(2, 0);
    client_->set_read_timeout(5, 0);
  }
  void add(const std::string& id, int seq, const std::string& op, int skip,
           const std::string& status, const std::string& final_value) {
    TrialRow t;
    t.trial_id = id;
    t.sequence_id = seq;
    t.parameters = dumps(Json{{"parameter_id", seq},
                              {"parameters",
                               {{"op", {{"_value", op}, {"_idx", op[0] - 'a'}}},
                                {"skip",
                                 {{"_value", Json::array({skip ? "y" : "x"})},
                                  {"_idx", Json::array({skip})}}}}}});
    t.trial_dir = dir_.file("trials/" + id);
    ASSERT_TRUE(store_->insert_trial(t).is_ok());
    t.status = parse_trial_status(status).value();
    t.handle = std::to_string(4000 + seq);  // a local pid
    t.start_time = 1000 * (seq + 1);
    t.end_time = status == "RUNNING" ? 0 : 1000 * (seq + 1) + 500 * (seq + 1);
    ASSERT_TRUE(store_->update_trial(t).is_ok());
    if (!final_value.empty()) {
      ASSERT_TRUE(store_
                      ->insert_metric(MetricRow{id, seq, MetricType::kFinal, 0,
                                                final_value, 2})
                      .is_ok());
    }
  }
  std::pair<int, Json> get(const std::string& path) {
    auto res = client_->Get(("/ui/api/v1/nni/" + path).c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return {0, Json()};
    auto body = parse_json(res->body, path);
    return {res->status, body.is_ok() ? body.value() : Json(res->body)};
  }
  std::vector<std::string> ids(const Json& page) {
    std::vector<std::string> out;
    for (const auto& t : page["trials"]) out.push_back(t["trialJobId"]);
    return out;
  }
  testing::TempDir dir_;
  std::string db_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RestServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebUiApi, ThePageAndItsFilesAreServedUnderThePrefix) {
  auto page = client_->Get("/ui/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>Archer</title>"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy")
                .find("default-src 'self'"),
            std::string::npos);
  auto js = client_->Get("/ui/static/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"),
            "text/javascript; charset=utf-8");
  auto uplot = client_->Get("/ui/static/vendor/uplot/uPlot.iife.min.js");
  ASSERT_TRUE(uplot);
  EXPECT_EQ(uplot->status, 200);
  EXPECT_GT(uplot->body.size(), 10000u);
  EXPECT_EQ(client_->Get("/ui/static/vendor/uplot/LICENSE")->status, 200);
  EXPECT_EQ(client_->Get("/ui/static/nothing.js")->status, 404);
  EXPECT_EQ(client_->Get("/ui/static/../index.html")->status, 400);
  auto bare = client_->Get("/ui");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 302);
  EXPECT_EQ(bare->get_header_value("Location"), "/ui/");
  // Nothing answers outside the prefix.
  EXPECT_EQ(client_->Get("/api/v1/nni/overview")->status, 404);
  EXPECT_EQ(get("check-status").second["status"], "RUNNING");
}

TEST_F(WebUiApi, Overview) {
  auto [status, ov] = get("overview");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(ov["id"], "exp1");
  EXPECT_EQ(ov["name"], "demo <i>x</i>");  // data, escaped by the page
  EXPECT_EQ(ov["status"], "RUNNING");
  EXPECT_EQ(ov["total"], 5);
  EXPECT_EQ(ov["counts"]["SUCCEEDED"], 3);
  EXPECT_EQ(ov["counts"]["RUNNING"], 1);
  EXPECT_EQ(ov["counts"]["FAILED"], 1);
  EXPECT_EQ(ov["best"]["trialJobId"], "t1");
  EXPECT_EQ(ov["best"]["value"], 0.9);
  EXPECT_EQ(ov["maxTrialNumber"], 10);
  EXPECT_EQ(ov["maxExperimentDuration"], 3600);
  EXPECT_EQ(ov["platform"], "local");
  EXPECT_EQ(ov["optimizeMode"], "maximize");
  EXPECT_FALSE(ov["writable"].get<bool>());  // no manager: read-only
  EXPECT_TRUE(ov["searchSpace"].contains("op"));
  // A new trial shows at the next request (the index follows the store).
  add("t5", 5, "c", 0, "SUCCEEDED", "0.95");
  auto again = get("overview").second;
  EXPECT_EQ(again["total"], 6);
  EXPECT_EQ(again["best"]["trialJobId"], "t5");
  EXPECT_NE(again["revision"], ov["revision"]);
  // Why it ended, once the manager said so (the page shows it).
  EXPECT_TRUE(ov["message"].is_null());
  ASSERT_TRUE(store_->put_value("status", "DONE").is_ok());
  ASSERT_TRUE(store_
                  ->put_value("status_message",
                              "search space exhausted: all 3 architectures "
                              "tried")
                  .is_ok());
  const Json done = get("overview").second;
  EXPECT_EQ(done["status"], "DONE");
  EXPECT_EQ(done["message"],
            "search space exhausted: all 3 architectures tried");
  const Json checked = get("check-status").second;
  EXPECT_EQ(checked["message"], done["message"]);
  EXPECT_EQ(checked["errors"], Json::array());
}

// NNI's HPO types (an experiment of NNI's TPE): the overview gives the space
// as stored (the page's CSV columns), the choice statistics none.
// Each row says where the trial ran; with several platforms (a list in the
// stored config), which one.
TEST_F(WebUiApi, RowsSayWhereTrialsRan) {
  auto [status, page] = get("trials-page");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(page["trials"][0]["platform"], "local");
  EXPECT_EQ(page["trials"][0]["where"], "local 4000");
}

TEST_F(WebUiApi, HybridRowsSayWhichPlatform) {
  Json config = store_->get_value("config").value();
  config["trainingService"] = Json::array(
      {{{"platform", "local"}}, {{"platform", "slurm"}, {"pilot", {}}}});
  ASSERT_TRUE(store_->put_value("config", config).is_ok());
  TrialRow t = *store_->trial("t3").value();  // running: still updated
  t.handle = "slurm:12_0 slot 1 on node3";
  ASSERT_TRUE(store_->update_trial(t).is_ok());
  auto [status, page] = get("trials-page");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(page["trials"][3]["platform"], "slurm");
  EXPECT_EQ(page["trials"][3]["where"], "slurm 12_0 slot 1 on node3");
  EXPECT_EQ(page["trials"][0]["platform"], "");  // "4000": no platform named
  EXPECT_EQ(get("overview").second["platform"], "hybrid (local, slurm)");
}

TEST_F(WebUiApi, AnHpoSpaceAsStored) {
  const Json hpo = Json::parse(R"({"x": {"_type": "uniform", "_value": [0, 1]},
      "opt": {"_type": "choice", "_value": [{"_name": "adam"}]}})");
  ASSERT_TRUE(store_->put_value("search_space", hpo).is_ok());
  auto [status, ov] = get("overview");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(ov["searchSpace"], hpo);
  auto [stats_status, stats] = get("choice-stats");
  ASSERT_EQ(stats_status, 200);
  EXPECT_EQ(stats, Json::array());
}

TEST_F(WebUiApi, TrialsPageSortsFiltersSearchesAndPages) {
  auto [status, all] = get("trials-page");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(all["total"], 5);
  EXPECT_EQ(ids(all), (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
  EXPECT_EQ(all["trials"][1]["value"], 0.9);
  EXPECT_EQ(all["trials"][1]["finalMetric"], "{\"default\": 0.9, \"loss\": 1}");
  EXPECT_EQ(all["trials"][0]["intermediateCount"], 3);
  EXPECT_EQ(all["trials"][0]["duration"], 500);
  EXPECT_TRUE(all["trials"][3]["endTime"].is_null());
  // By value: best first; trials without one last in either order.
  EXPECT_EQ(ids(get("trials-page?sort=value&order=desc").second),
            (std::vector<std::string>{"t1", "t2", "t0", "t3", "t4"}));
  EXPECT_EQ(ids(get("trials-page?sort=value&order=asc").second),
            (std::vector<std::string>{"t0", "t2", "t1", "t3", "t4"}));
  EXPECT_EQ(ids(get("trials-page?sort=duration&order=desc").second)[0], "t4");
  EXPECT_EQ(ids(get("trials-page?status=RUNNING,FAILED").second),
            (std::vector<std::string>{"t3", "t4"}));
  // Search: id, state or a choice ("op=b").
  EXPECT_EQ(ids(get("trials-page?q=OP%3Db").second),
            (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(ids(get("trials-page?q=failed").second),
            (std::vector<std::string>{"t4"}));
  auto page = get("trials-page?offset=2&limit=2").second;
  EXPECT_EQ(page["total"], 5);
  EXPECT_EQ(ids(page), (std::vector<std::string>{"t2", "t3"}));
  EXPECT_EQ(get("trials-page?limit=all").second["trials"].size(), 5u);
  EXPECT_EQ(get("trials-page?offset=99").second["trials"].size(), 0u);
  // Bad parameters name themselves.
  auto bad = get("trials-page?sort=colour");
  EXPECT_EQ(bad.first, 400);
  EXPECT_NE(
      bad.second["error"].get<std::string>().find("sort: expected one of"),
      std::string::npos);
  EXPECT_EQ(get("trials-page?limit=-1").first, 400);
  EXPECT_EQ(get("trials-page?order=up").first, 400);
}

TEST_F(WebUiApi, ChartsAndStats) {
  auto series = get("final-series").second;
  ASSERT_EQ(series["time"].size(), 3u);
  EXPECT_EQ(series["sequence"], Json::array({0, 1, 2}));
  EXPECT_EQ(series["value"][2], 0.7);
  EXPECT_EQ(series["best"], Json::array({0.5, 0.9, 0.9}));  // t2 < t1
  auto stats = get("choice-stats").second;
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0]["key"], "op");
  const Json& b = stats[0]["candidates"][1];
  EXPECT_EQ(b["name"], "b");
  EXPECT_EQ(b["trials"], 2);
  EXPECT_EQ(b["finished"], 2);
  EXPECT_DOUBLE_EQ(b["mean"].get<double>(), 0.8);
  EXPECT_EQ(b["best"], 0.9);
  const Json& a = stats[0]["candidates"][0];
  EXPECT_EQ(a["trials"], 2);  // t0 and the failed t4
  EXPECT_EQ(a["finished"], 1);
  EXPECT_EQ(stats[1]["type"], "input_choice");
  EXPECT_EQ(stats[1]["candidates"][1]["trials"], 3);  // y: t1, t3, t4
  auto pc = get("parallel-coordinates").second;
  EXPECT_EQ(pc["axes"][0]["labels"], Json::array({"a", "b", "c"}));
  ASSERT_EQ(pc["rows"].size(), 3u);
  EXPECT_EQ(pc["rows"][1][0], 1);    // t1: op b
  EXPECT_EQ(pc["rows"][1][2], 0.9);  // its value
  auto best_two = get("parallel-coordinates?limit=2").second;
  EXPECT_EQ(best_two["rows"].size(), 2u);
  EXPECT_EQ(get("parallel-coordinates?limit=x").first, 400);
  auto exported = get("export-data").second;
  ASSERT_EQ(exported.size(), 3u);
  EXPECT_EQ(exported[0]["trialJobId"], "t0");
  EXPECT_EQ(exported[0]["value"], "0.5");
  EXPECT_EQ(exported[0]["parameter"]["op"]["_value"], "a");
}

TEST_F(WebUiApi, TrialFilesAndOneTrial) {
  auto out = client_->Get("/ui/api/v1/nni/trial-file/t0/stdout");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(out->body, "<script>x()</script>\n");
  EXPECT_EQ(out->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(out->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(get("trial-file/t0/stderr").first, 404);  // no such file
  EXPECT_EQ(get("trial-file/zz/stdout").first, 404);  // no such trial
  auto bad = get("trial-file/t0/etc_passwd");
  EXPECT_EQ(bad.first, 400);
  EXPECT_NE(bad.second["error"].get<std::string>().find("expected one of"),
            std::string::npos);
  // A big file: its last MiB.
  {
    std::ofstream big(dir_.file("trials/t0/stderr"));
    big << std::string(1 << 20, 'a') << "END";
  }
  auto tail = client_->Get("/ui/api/v1/nni/trial-file/t0/stderr");
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->body.rfind("[... the first 3 bytes are not shown ...]\n", 0),
            0u);
  EXPECT_EQ(tail->body.substr(tail->body.size() - 3), "END");
  // One trial and its intermediate results (NNI's endpoints, used by the
  // page's detail and compare views).
  auto one = get("trial-jobs/t1").second;
  EXPECT_EQ(one["finalMetricData"].size(), 1u);
  auto periodical = get("metric-data/t0?type=PERIODICAL").second;
  EXPECT_EQ(periodical.size(), 3u);
}

TEST_F(WebUiApi, BigAnswersAreGzippedNeverBrotli) {
  for (int i = 10; i < 300; ++i)
    add("m" + std::to_string(i), i, "c", 0, "SUCCEEDED", "0.1");
  const httplib::Headers accept = {{"Accept-Encoding", "gzip, deflate, br"}};
  auto json = client_->Get("/ui/api/v1/nni/trials-page?limit=all", accept);
  ASSERT_TRUE(json);
  EXPECT_EQ(json->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(Json::parse(json->body)["total"], 295);  // decompressed by httplib
  auto js = client_->Get("/ui/static/vendor/uplot/uPlot.iife.min.js", accept);
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Encoding"), "gzip");
  std::ifstream file(std::string(ARCHER_SOURCE_DIR) +
                     "/webui/vendor/uplot/uPlot.iife.min.js");
  std::stringstream bytes;
  bytes << file.rdbuf();
  EXPECT_EQ(js->body, bytes.str());
  // Small answers and clients without gzip get plain bodies.
  auto small = client_->Get("/ui/api/v1/nni/overview", accept);
  EXPECT_FALSE(small->has_header("Content-Encoding"));
  auto plain = client_->Get("/ui/api/v1/nni/trials-page?limit=all",
                            httplib::Headers{{"Accept-Encoding", "br"}});
  EXPECT_FALSE(plain->has_header("Content-Encoding"));
  EXPECT_EQ(Json::parse(plain->body)["total"], 295);
}

TEST(TrialIndex, ManyTrialsPageInMemory) {
  testing::TempDir dir;
  auto store = std::move(Store::open(dir.file("db.sqlite"))).value();
  ASSERT_TRUE(store
                  ->transaction([&] {
                    for (int i = 0; i < 2000; ++i) {
                      TrialRow t;
                      t.trial_id = "t" + std::to_string(i);
                      t.sequence_id = i;
                      t.parameters = R"({"parameters": {}})";
                      Status st = store->insert_trial(t);
                      if (!st.is_ok()) return st;
                      auto m = store->insert_metric(
                          MetricRow{t.trial_id, i, MetricType::kFinal, 0,
                                    std::to_string(i % 97), 1});
                      if (!m.is_ok()) return m.status();
                    }
                    return Status::ok();
                  })
                  .is_ok());
  auto index = TrialIndex::load(*store, store->trials_revision());
  ASSERT_TRUE(index.is_ok());
  TrialPageQuery q;
  q.sort = "value";
  q.descending = true;
  q.limit = 3;
  Json page = index.value()->page(q);
  EXPECT_EQ(page["total"], 2000);
  EXPECT_EQ(page["trials"][0]["value"], 96);
}

TEST(TrialIndex, ARebuildReusesEndedTrialsAndReReadsRunningOnes) {
  testing::TempDir dir;
  auto store = std::move(Store::open(dir.file("db.sqlite"))).value();
  TrialRow a, b;
  a.trial_id = "a";
  a.parameters = R"({"parameters": {"k": 1}})";
  b.trial_id = "b";
  b.sequence_id = 1;
  b.parameters = R"({"parameters": {"k": 2}})";
  ASSERT_TRUE(store->insert_trial(a).is_ok());
  ASSERT_TRUE(store->insert_trial(b).is_ok());
  a.status = TrialStatus::kSucceeded;
  a.end_time = 5;
  ASSERT_TRUE(store->update_trial(a).is_ok());
  auto first = std::move(TrialIndex::load(*store, 1)).value();
  b.status = TrialStatus::kRunning;
  b.start_time = 7;
  ASSERT_TRUE(store->update_trial(b).is_ok());
  ASSERT_TRUE(
      store->insert_metric(MetricRow{"b", 1, MetricType::kFinal, 0, "3", 9})
          .is_ok());
  TrialRow c;
  c.trial_id = "c";
  c.sequence_id = 2;
  c.parameters = R"({"parameters": {"k": 3}})";
  ASSERT_TRUE(store->insert_trial(c).is_ok());
  ASSERT_TRUE(
      store
          ->insert_metric(MetricRow{"c", 2, MetricType::kPeriodical, 0, "1", 9})
          .is_ok());
  auto second = std::move(TrialIndex::load(*store, 2, first.get())).value();
  EXPECT_EQ(second->trial("a")["parameters"]["k"], 1);
  EXPECT_EQ(second->trial("b")["status"], "RUNNING");
  EXPECT_EQ(second->trial("b")["value"], 3);
  EXPECT_EQ(second->trial("c")["intermediateCount"], 1);
  TrialPageQuery q;
  Json page = second->page(q);
  ASSERT_EQ(page["total"], 3);
  EXPECT_EQ(page["trials"][2]["trialJobId"], "c");  // in sequence order
  // The same as a full read.
  auto full = std::move(TrialIndex::load(*store, 2)).value();
  EXPECT_EQ(full->page(q), page);
}

}  // namespace
}  // namespace archer
