#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>
#include <vector>

#include "archer/store.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

TrialRow trial_row(const std::string& id, std::int64_t seq) {
  TrialRow t;
  t.trial_id = id;
  t.sequence_id = seq;
  t.parameter_id = seq;
  t.parameters =
      R"({"parameter_id": )" + std::to_string(seq) + R"(, "parameters": {}})";
  t.submit_time = 1000 + seq;
  t.trial_dir = "/tmp/trials/" + id;
  return t;
}

TEST(SqliteStore, MigratesAndReopens) {
  testing::TempDir dir;
  const std::string path = dir.file("db.sqlite");
  {
    auto store = Store::open(path);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    EXPECT_EQ(store.value()->schema_version(), 3);
    ASSERT_TRUE(store.value()
                    ->put_value("config", Json{{"trialConcurrency", 2}})
                    .is_ok());
    ASSERT_TRUE(store.value()->insert_trial(trial_row("Ab3xZ", 0)).is_ok());
  }
  auto again = Store::open(path);  // migrations are not re-applied
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_EQ(again.value()->schema_version(), 3);
  EXPECT_EQ(again.value()->get_value("config").value()["trialConcurrency"], 2);
  EXPECT_EQ(again.value()->trials().value().size(), 1u);
}

TEST(SqliteStore, AVersion1DatabaseIsMigratedWithItsData) {
  testing::TempDir dir;
  const std::string path = dir.file("v1.sqlite");
  {  // what the first release wrote
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE experiment (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE trial (trial_id TEXT PRIMARY KEY, sequence_id INTEGER "
        "NOT NULL, parameter_id INTEGER, parameters TEXT NOT NULL, status "
        "TEXT NOT NULL, submit_time INTEGER NOT NULL DEFAULT 0, start_time "
        "INTEGER NOT NULL DEFAULT 0, end_time INTEGER NOT NULL DEFAULT 0, "
        "exit_code INTEGER, message TEXT NOT NULL DEFAULT '', trial_dir TEXT "
        "NOT NULL DEFAULT '');"
        "CREATE TABLE metric (id INTEGER PRIMARY KEY AUTOINCREMENT, trial_id "
        "TEXT NOT NULL, parameter_id INTEGER, type TEXT NOT NULL, sequence "
        "INTEGER NOT NULL, value TEXT NOT NULL, timestamp INTEGER NOT NULL, "
        "UNIQUE (trial_id, type, sequence));"
        "INSERT INTO trial (trial_id, sequence_id, parameters, status) VALUES "
        "('Old01', 0, '{}', 'RUNNING');"
        "PRAGMA user_version=1;";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = Store::open(path);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_EQ(store.value()->schema_version(), 3);
  auto old = store.value()->trial("Old01").value();
  ASSERT_TRUE(old.has_value());
  EXPECT_STREQ(to_string(old->status), "RUNNING");
  EXPECT_EQ(old->handle, "");
  old->handle = "4242";
  ASSERT_TRUE(store.value()->update_trial(*old).is_ok());
  EXPECT_EQ(store.value()->trial("Old01").value()->handle, "4242");
}

// A reader (the CLI, a test) may open a new database while the manager
// creates it: the migrations are applied once, whoever gets there first.
TEST(SqliteStore, ConcurrentFirstOpensMigrateOnce) {
  testing::TempDir dir;
  for (int round = 0; round < 20; ++round) {
    const std::string path = dir.file("db" + std::to_string(round));
    std::vector<std::thread> openers;
    std::vector<std::string> errors(4);
    for (int i = 0; i < 4; ++i) {
      openers.emplace_back([&, i] {
        auto store = Store::open(path);
        if (!store.is_ok()) errors[i] = store.status().message();
      });
    }
    for (auto& t : openers) t.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    EXPECT_EQ(Store::open(path).value()->schema_version(), 3);
  }
}

TEST(SqliteStore, OpenErrorNamesThePath) {
  auto store = Store::open("/nonexistent/dir/db.sqlite");
  ASSERT_FALSE(store.is_ok());
  EXPECT_NE(
      store.status().message().find("/nonexistent/dir/db.sqlite: cannot open"),
      std::string::npos);
}

TEST(SqliteStore, TrialsAndTheTerminalInvariant) {
  auto store = std::move(Store::open(":memory:")).value();
  ASSERT_TRUE(store->insert_trial(trial_row("b", 1)).is_ok());
  ASSERT_TRUE(store->insert_trial(trial_row("a", 0)).is_ok());
  EXPECT_FALSE(store->insert_trial(trial_row("a", 2)).is_ok());  // duplicate id
  auto all = store->trials().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].trial_id, "a");  // by sequence id
  TrialRow t = all[0];
  t.status = TrialStatus::kRunning;
  t.start_time = 2000;
  ASSERT_TRUE(store->update_trial(t).is_ok());
  t.status = TrialStatus::kSucceeded;
  t.end_time = 3000;
  t.exit_code = 0;
  ASSERT_TRUE(store->update_trial(t).is_ok());
  t.status = TrialStatus::kFailed;
  Status st = store->update_trial(t);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("already ended as SUCCEEDED"), std::string::npos);
  auto got = store->trial("a").value();
  ASSERT_TRUE(got.has_value());
  EXPECT_STREQ(to_string(got->status), "SUCCEEDED");
  EXPECT_EQ(got->exit_code, 0);
  EXPECT_EQ(got->end_time, 3000);
  EXPECT_EQ(got->parameters, trial_row("a", 0).parameters);
  EXPECT_FALSE(store->trial("zzz").value().has_value());
  TrialRow unknown = trial_row("zzz", 9);
  EXPECT_EQ(store->update_trial(unknown).code(), Status::Code::kNotFound);
}

TEST(SqliteStore, MetricsAreUniquePerTrialTypeAndSequence) {
  auto store = std::move(Store::open(":memory:")).value();
  MetricRow m{"a", 3, MetricType::kPeriodical, 0, "0.5", 10};
  EXPECT_TRUE(store->insert_metric(m).value());
  EXPECT_FALSE(
      store->insert_metric(m).value());  // replayed after a crash: ignored
  m.sequence = 1;
  EXPECT_TRUE(store->insert_metric(m).value());
  EXPECT_TRUE(store
                  ->insert_metric(MetricRow{"a", 3, MetricType::kFinal, 0,
                                            "{\"default\": 0.9}", 11})
                  .value());
  EXPECT_TRUE(store
                  ->insert_metric(MetricRow{"b", std::nullopt,
                                            MetricType::kFinal, 0, "1", 12})
                  .value());
  auto a = store->metrics("a").value();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2].type, MetricType::kFinal);
  EXPECT_EQ(a[2].value, "{\"default\": 0.9}");
  auto all = store->metrics("").value();
  ASSERT_EQ(all.size(), 4u);
  // One metric's stored value, by its key.
  EXPECT_EQ(store->metric_value("a", MetricType::kFinal, 0).value(),
            std::optional<std::string>("{\"default\": 0.9}"));
  EXPECT_EQ(store->metric_value("a", MetricType::kPeriodical, 1).value(),
            std::optional<std::string>("0.5"));
  EXPECT_FALSE(
      store->metric_value("a", MetricType::kPeriodical, 7).value().has_value());
  EXPECT_FALSE(all[3].parameter_id.has_value());
}

TEST(SqliteStore, TransactionsRollBack) {
  auto store = std::move(Store::open(":memory:")).value();
  Status st = store->transaction([&] {
    Status s = store->insert_trial(trial_row("x", 0));
    if (!s.is_ok()) return s;
    return Status::internal("abort");
  });
  EXPECT_FALSE(st.is_ok());
  EXPECT_TRUE(store->trials().value().empty());
  ASSERT_TRUE(
      store->transaction([&] { return store->put_value("k", 1); }).is_ok());
  EXPECT_EQ(store->get_value("k").value(), 1);
  EXPECT_TRUE(store->get_value("missing").value().is_null());
}

}  // namespace
}  // namespace archer

namespace archer {
namespace {

TEST(SqliteStore, AStateArcherDoesNotKnowIsAnErrorNamingTheTrial) {
  testing::TempDir dir;
  const std::string path = dir.file("db.sqlite");
  {
    auto store = std::move(Store::open(path)).value();
    TrialRow t;
    t.trial_id = "odd";
    ASSERT_TRUE(store->insert_trial(t).is_ok());
    ASSERT_TRUE(
        store->insert_metric(MetricRow{"odd", 1, MetricType::kFinal, 0, "1", 1})
            .is_ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE trial SET status = 'PAUSED'; "
                         "UPDATE metric SET type = 'WEIRD';",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = std::move(Store::open(path)).value();
  auto trials = store->trials();
  ASSERT_FALSE(trials.is_ok());
  EXPECT_NE(trials.status().message().find("trial 'odd': unknown status "
                                           "'PAUSED'"),
            std::string::npos)
      << trials.status().message();
  auto metrics = store->metrics("odd");
  ASSERT_FALSE(metrics.is_ok());
  EXPECT_NE(metrics.status().message().find("unknown metric type 'WEIRD'"),
            std::string::npos);
}

}  // namespace
}  // namespace archer
