#include "experiment/experiment_index.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "testing/small_disk.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

namespace fs = std::filesystem;

// $HOME points into a temporary directory for the test's lifetime (the
// registry lives under it).
class ScopedHome {
 public:
  explicit ScopedHome(const std::string& home) {
    const char* old = std::getenv("HOME");
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv("HOME", home.c_str(), 1);
  }
  ~ScopedHome() {
    if (had_) {
      ::setenv("HOME", old_.c_str(), 1);
    } else {
      ::unsetenv("HOME");
    }
  }

 private:
  bool had_ = false;
  std::string old_;
};

// An experiment `id` under `working_dir`, as Experiment::create and
// `archer create` leave it: its folder, its own index entry, its pointer.
void add_experiment(const std::string& working_dir, const std::string& id,
                    std::int64_t start) {
  fs::create_directories(working_dir + "/" + id);
  ASSERT_TRUE(update_index_entry(working_dir, id, [&](Json& e) {
                e["id"] = id;
                e["dir"] = working_dir + "/" + id;
                e["status"] = "DONE";
                e["startTime"] = start;
              }).is_ok());
  ASSERT_TRUE(
      register_experiment(working_dir, id, working_dir + "/" + id).is_ok());
}

TEST(ExperimentRegistry, FindsAnExperimentByIdFromAnyWorkingDirectory) {
  testing::TempDir tmp;
  ScopedHome home(tmp.file("home"));
  const std::string registry = default_working_dir();
  add_experiment(tmp.file("runs"), "AAAA1111", 10);
  add_experiment(registry, "BBBB2222", 20);
  // The default one needs no pointer; the other one got one.
  EXPECT_EQ(load_own_index(registry).value().size(), 2u);
  EXPECT_TRUE(
      load_own_index(registry).value()["AAAA1111"].contains("workingDir"));
  EXPECT_FALSE(
      load_own_index(registry).value()["BBBB2222"].contains("workingDir"));

  // By id from the default directory, from the other, from a third.
  for (const std::string& wd : {registry, tmp.file("runs"), tmp.file("x")}) {
    auto a = find_experiment_dir("AAAA1111", wd);
    ASSERT_TRUE(a.is_ok()) << wd << ": " << a.status().message();
    EXPECT_EQ(a.value(), tmp.file("runs/AAAA1111"));
    auto b = find_experiment_dir("BBBB2222", wd);
    ASSERT_TRUE(b.is_ok()) << b.status().message();
    EXPECT_EQ(b.value(), registry + "/BBBB2222");
  }
  // The pointer is resolved through the experiment's own index (the truth).
  ASSERT_TRUE(update_index_entry(tmp.file("runs"), "AAAA1111", [](Json& e) {
                e["status"] = "RUNNING";
              }).is_ok());
  const Json all = load_index(registry).value();
  EXPECT_EQ(all["AAAA1111"]["status"], "RUNNING");
  EXPECT_EQ(all["AAAA1111"]["workingDir"], tmp.file("runs"));

  // Without an id: the default directory means every experiment, another one
  // only its own.
  EXPECT_TRUE(in_scope(all["AAAA1111"], registry));
  EXPECT_TRUE(in_scope(all["BBBB2222"], registry));
  const Json from_runs = load_index(tmp.file("runs")).value();
  EXPECT_TRUE(in_scope(from_runs["AAAA1111"], tmp.file("runs")));
  EXPECT_FALSE(in_scope(from_runs["BBBB2222"], tmp.file("runs")));
  EXPECT_EQ(find_experiment_dir("", registry).value(),
            registry + "/BBBB2222");  // the most recent of all
  EXPECT_EQ(find_experiment_dir("", tmp.file("runs")).value(),
            tmp.file("runs/AAAA1111"));  // the most recent there

  // Updating the default index keeps the pointers (raw read-modify-write).
  ASSERT_TRUE(update_index(registry, [](Json&) {}).is_ok());
  EXPECT_EQ(load_own_index(registry).value()["AAAA1111"]["status"], Json());

  ASSERT_TRUE(unregister_experiment("AAAA1111").is_ok());
  EXPECT_FALSE(load_own_index(registry).value().contains("AAAA1111"));
  EXPECT_FALSE(find_experiment_dir("AAAA1111", registry).is_ok());
  EXPECT_TRUE(find_experiment_dir("AAAA1111", tmp.file("runs")).is_ok());
}

TEST(ExperimentRegistry, AMovedOrDeletedFolderGetsAClearMessage) {
  testing::TempDir tmp;
  ScopedHome home(tmp.file("home"));
  add_experiment(tmp.file("runs"), "AAAA1111", 10);
  add_experiment(tmp.file("runs"), "CCCC3333", 5);
  // The experiment's folder is deleted: its index still lists it.
  fs::remove_all(tmp.file("runs/CCCC3333"));
  auto gone = find_experiment_dir("CCCC3333", default_working_dir());
  ASSERT_FALSE(gone.is_ok());
  EXPECT_EQ(gone.status().message(),
            "experiment 'CCCC3333': its folder " + tmp.file("runs/CCCC3333") +
                " is gone (moved or deleted?); forget it with `archer "
                "experiment delete CCCC3333`");
  // The whole working directory is moved.
  fs::rename(tmp.file("runs"), tmp.file("moved"));
  const Json all = load_index(default_working_dir()).value();
  EXPECT_EQ(all["AAAA1111"]["status"], "MISSING");
  EXPECT_EQ(all["AAAA1111"]["missing"], "its working directory " +
                                            tmp.file("runs") +
                                            " is gone (moved or deleted?)");
  auto moved = find_experiment_dir("AAAA1111", default_working_dir());
  ASSERT_FALSE(moved.is_ok());
  EXPECT_NE(moved.status().message().find("its working directory " +
                                          tmp.file("runs") + " is gone"),
            std::string::npos)
      << moved.status().message();
  EXPECT_NE(moved.status().message().find("archer experiment delete AAAA1111"),
            std::string::npos);
  // Nothing readable is left for "the most recent".
  EXPECT_FALSE(find_experiment_dir("", default_working_dir()).is_ok());
  // An unknown id names where it looked.
  auto unknown = find_experiment_dir("NOPE", default_working_dir());
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("nor in the registry of " +
                                            default_working_dir()),
            std::string::npos);
}

TEST(ExperimentRegistry, AnEditedIndexIsReadAsFarAsItIsReadable) {
  testing::TempDir tmp;
  ScopedHome home(tmp.file("home"));
  fs::create_directories(default_working_dir());
  testing::write_file(
      default_working_dir() + "/.experiments",
      R"({"X": 5, "Y": {"dir": 3}, "Z": {"workingDir": 7}, "V": [],
          "U": {"dir": "/u", "status": 9, "port": "80", "startTime": 1}})");
  const Json all = load_index(default_working_dir()).value();
  ASSERT_EQ(all.size(), 1u) << all.dump();
  EXPECT_EQ(all["U"]["dir"], "/u");
  EXPECT_EQ(all["U"]["status"], "MISSING");  // its folder does not exist
  EXPECT_FALSE(all["U"].contains("port"));
  EXPECT_EQ(all["U"]["startTime"], 1);
  EXPECT_FALSE(find_experiment_dir("X", default_working_dir()).is_ok());
}

// Regression (issue 26, High 1): after `archer create` failed with "database
// or disk is full" the index was 0 bytes (flushed after it was checked).
TEST(ExperimentIndex, AFullDiskLeavesTheIndexWhole) {
  testing::SmallDisk disk(128);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root";
  testing::TempDir tmp;
  ScopedHome home(tmp.file("home"));
  const std::string wd = disk.file("work");
  add_experiment(wd, "AAAA1111", 10);
  const std::string before = testing::read_file(wd + "/.experiments");
  disk.fill();
  // A small update (it fits in a stream's buffer: the old code checked the
  // stream before the failing flush and renamed an empty file over the index).
  Status st = update_index_entry(wd, "BBBB2222",
                                 [&](Json& e) { e["dir"] = wd + "/BBBB2222"; });
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("No space left on device"), std::string::npos)
      << st.message();
  EXPECT_EQ(testing::read_file(wd + "/.experiments"), before);
  fs::remove(disk.file("filler"));
  auto found = find_experiment_dir("AAAA1111", wd);
  ASSERT_TRUE(found.is_ok()) << found.status().message();
}

// Regression (issue 26, Medium): a registry that did not parse was read as
// empty (exit 0) and the next create overwrote it, losing every entry.
TEST(ExperimentIndex, ADamagedIndexIsSaidAndNeverOverwritten) {
  testing::TempDir tmp;
  ScopedHome home(tmp.file("home"));
  add_experiment(tmp.file("runs"), "AAAA1111", 10);
  const std::string registry = default_working_dir() + "/.experiments";
  const std::string damaged = R"({"AAAA1111": {"dir": "/runs/AAAA1111", )";
  testing::write_file(registry, damaged);
  for (const std::string& wd : {default_working_dir(), tmp.file("runs")}) {
    auto all = load_index(wd);
    ASSERT_FALSE(all.is_ok()) << wd;
    EXPECT_NE(all.status().message().find("the experiments index " + registry +
                                          " is damaged"),
              std::string::npos)
        << all.status().message();
    EXPECT_FALSE(find_experiment_dir("AAAA1111", wd).is_ok());
  }
  EXPECT_FALSE(register_experiment(tmp.file("runs"), "BBBB2222",
                                   tmp.file("runs/BBBB2222"))
                   .is_ok());
  EXPECT_FALSE(update_index(default_working_dir(), [](Json& all) {
                 all["CCCC3333"] = Json::object();
               }).is_ok());
  EXPECT_EQ(testing::read_file(registry), damaged);
  testing::write_file(registry, "[1, 2]");  // JSON, but not an index
  EXPECT_FALSE(load_index(default_working_dir()).is_ok());
  // A damaged index of another working directory makes its entries MISSING
  // with the reason; the registry itself stays usable.
  fs::remove(registry);
  add_experiment(tmp.file("runs"), "AAAA1111", 10);
  testing::write_file(tmp.file("runs/.experiments"), "{");
  auto all = load_index(default_working_dir());
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all.value()["AAAA1111"]["status"], "MISSING");
  EXPECT_NE(
      all.value()["AAAA1111"]["missing"].get<std::string>().find("is damaged"),
      std::string::npos);
}

// Regression (issue 26, Medium): `archer resume ID` without
// --experiment_working_directory wrote its state to the registry's pointer.
TEST(ExperimentIndex, LocateNamesTheWorkingDirectoryThatHoldsTheExperiment) {
  testing::TempDir tmp;
  ScopedHome home(tmp.file("home"));
  add_experiment(tmp.file("runs"), "AAAA1111", 10);
  add_experiment(default_working_dir(), "BBBB2222", 5);
  auto a = locate_experiment("AAAA1111", default_working_dir());
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a.value().working_dir, tmp.file("runs"));
  EXPECT_EQ(a.value().dir, tmp.file("runs/AAAA1111"));
  auto b = locate_experiment("BBBB2222", tmp.file("runs"));
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b.value().working_dir, default_working_dir());
  auto latest = locate_experiment("", default_working_dir());
  ASSERT_TRUE(latest.is_ok());
  EXPECT_EQ(latest.value().id, "AAAA1111");
}

// Regression (issue 26, Medium): a create that failed left a pointer saying
// that its (existing) working directory was gone.
TEST(ExperimentIndex,
     APointerWithoutAnEntryDoesNotCallAnExistingDirectoryGone) {
  testing::TempDir tmp;
  ScopedHome home(tmp.file("home"));
  fs::create_directories(tmp.file("runs/AAAA1111"));
  ASSERT_TRUE(register_experiment(tmp.file("runs"), "AAAA1111",
                                  tmp.file("runs/AAAA1111"))
                  .is_ok());
  const Json all = load_index(default_working_dir()).value();
  EXPECT_EQ(all["AAAA1111"]["status"], "MISSING");
  EXPECT_EQ(all["AAAA1111"]["missing"].get<std::string>().find("is gone"),
            std::string::npos)
      << all["AAAA1111"]["missing"];
}

}  // namespace
}  // namespace archer
