// The update table: each update applied through it leaves the stored
// (canonical) config and the manager's typed config equal.
#include "manager/update_table.h"

#include <gtest/gtest.h>

#include "store/experiment_files.h"
#include "testing/manager_harness.h"

namespace archer {
namespace {

using testing::FakeOutcome;

void expect_equal_to_stored(const ExperimentManager& m, Store& store,
                            const std::string& after) {
  SCOPED_TRACE(after);
  const Json canonical = store.get_value(store_keys::kConfig).value();
  EXPECT_EQ(canonical, m.config().canonical);
  auto rebuilt = config_from_canonical(
      canonical, store.get_value(store_keys::kSearchSpace).value(), "store");
  ASSERT_TRUE(rebuilt.is_ok()) << rebuilt.status().message();
  const ExperimentConfig& c = rebuilt.value();
  EXPECT_EQ(c.trial_concurrency, m.config().trial_concurrency);
  EXPECT_EQ(c.max_trial_number, m.config().max_trial_number);
  EXPECT_EQ(c.max_experiment_duration, m.config().max_experiment_duration);
  EXPECT_EQ(c.search_space_json, m.config().search_space_json);
  EXPECT_EQ(c.search_space_file, m.config().search_space_file);
}

TEST(UpdateTable, EveryUpdateKeepsTheStoredConfigEqualToTheTypedOne) {
  ExperimentConfig c =
      testing::config_for("Random", Json::object(), 1, std::int64_t{50});
  c.max_experiment_duration = 3600;  // set in the struct only: stored too
  testing::Harness h(c, 1, [](const Json&) { return FakeOutcome{}; });
  ASSERT_TRUE(h.manager->start().is_ok());
  expect_equal_to_stored(*h.manager, *h.store, "start");
  const std::vector<std::pair<const char*, Json>> updates = {
      {"TRIAL_CONCURRENCY", 3},
      {"MAX_TRIAL_NUM", "70"},
      {"MAX_EXEC_DURATION", "2h"},
      {"SEARCH_SPACE",
       R"({"a": {"_type": "layer_choice", "_value": ["x", "y", "z"]}})"}};
  for (const auto& [type, value] : updates) {
    const UpdateKind* kind = find_update(type);
    ASSERT_NE(kind, nullptr) << type;
    Status st = kind->apply(*h.manager, value);
    ASSERT_TRUE(st.is_ok()) << type << ": " << st.message();
    expect_equal_to_stored(*h.manager, *h.store, type);
  }
  EXPECT_EQ(h.manager->config().trial_concurrency, 3);
  EXPECT_EQ(h.manager->config().max_trial_number, 70);
  EXPECT_EQ(h.manager->config().max_experiment_duration, 7200);
  EXPECT_TRUE(h.manager->config().canonical["searchSpaceFile"].is_null());
  // A refused update changes neither.
  EXPECT_FALSE(find_update("MAX_TRIAL_NUM")->apply(*h.manager, 0).is_ok());
  expect_equal_to_stored(*h.manager, *h.store, "refused");
}

}  // namespace
}  // namespace archer
