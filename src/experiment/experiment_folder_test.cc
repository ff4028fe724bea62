#include "experiment/experiment_folder.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "archer/store.h"
#include "store/experiment_files.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

namespace fs = std::filesystem;

// An experiment folder as Archer leaves it: <wd>/<id>/db/archer.sqlite with
// its id stored.
void make_experiment(const std::string& wd, const std::string& id) {
  fs::create_directories(wd + "/" + id + "/db");
  auto store = Store::open(files::store_path(wd + "/" + id));
  ASSERT_TRUE(store.is_ok());
  ASSERT_TRUE(
      store.value()->put_value(store_keys::kExperimentId, Json(id)).is_ok());
}

void expect_refused(const Status& st, const std::string& what) {
  ASSERT_FALSE(st.is_ok()) << what;
  EXPECT_NE(st.message().find("not provably its folder"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("nothing was deleted"), std::string::npos);
}

// Regression (issue 26, High 4): `archer experiment delete` removed whatever
// directory an index entry named.
TEST(ExperimentFolder, DeletesOnlyWhatIsProvablyTheExperimentsFolder) {
  testing::TempDir tmp;
  const std::string wd = tmp.file("work");
  make_experiment(wd, "AAAA1111");
  make_experiment(wd, "BBBB2222");
  fs::create_directories(tmp.file("precious/db"));
  testing::write_file(tmp.file("precious/db/archer.sqlite"), "data");
  testing::write_file(tmp.file("precious/keep"), "me");
  fs::create_directories(tmp.file("elsewhere"));
  make_experiment(tmp.file("elsewhere"), "AAAA1111");

  // An entry naming another directory, a parent, a sibling experiment.
  expect_refused(delete_experiment_folder("AAAA1111", tmp.file("precious"), wd),
                 "another directory");
  expect_refused(delete_experiment_folder("AAAA1111", wd, wd), "the parent");
  expect_refused(delete_experiment_folder("AAAA1111", wd + "/BBBB2222", wd),
                 "another experiment");
  expect_refused(
      delete_experiment_folder("AAAA1111", wd + "/AAAA1111/../BBBB2222", wd),
      "dot-dot");
  expect_refused(
      delete_experiment_folder("AAAA1111", tmp.file("elsewhere/AAAA1111"), wd),
      "the same id under another working directory");
  expect_refused(delete_experiment_folder("..", wd + "/..", wd), "id '..'");
  expect_refused(delete_experiment_folder("", wd, wd), "empty id");
  // A folder named like the id but without a store, or with another's store.
  fs::create_directories(wd + "/CCCC3333");
  testing::write_file(wd + "/CCCC3333/keep", "me");
  expect_refused(delete_experiment_folder("CCCC3333", wd + "/CCCC3333", wd),
                 "no store");
  fs::create_directories(wd + "/DDDD4444/db");
  fs::copy_file(files::store_path(wd + "/BBBB2222"),
                files::store_path(wd + "/DDDD4444"));
  expect_refused(delete_experiment_folder("DDDD4444", wd + "/DDDD4444", wd),
                 "another experiment's store");
  // A symlink on the way: the folder itself, its db, its store.
  fs::create_directory_symlink(tmp.file("precious"), wd + "/EEEE5555");
  expect_refused(delete_experiment_folder("EEEE5555", wd + "/EEEE5555", wd),
                 "symlinked folder");
  fs::create_directories(wd + "/FFFF6666");
  fs::create_directory_symlink(wd + "/AAAA1111/db", wd + "/FFFF6666/db");
  expect_refused(delete_experiment_folder("FFFF6666", wd + "/FFFF6666", wd),
                 "symlinked db");
  fs::create_directories(wd + "/GGGG7777/db");
  fs::create_symlink(files::store_path(wd + "/AAAA1111"),
                     files::store_path(wd + "/GGGG7777"));
  expect_refused(delete_experiment_folder("GGGG7777", wd + "/GGGG7777", wd),
                 "symlinked store");
  EXPECT_EQ(testing::read_file(tmp.file("precious/keep")), "me");
  EXPECT_EQ(testing::read_file(wd + "/CCCC3333/keep"), "me");
  EXPECT_TRUE(fs::exists(files::store_path(wd + "/AAAA1111")));
  EXPECT_TRUE(fs::exists(files::store_path(wd + "/BBBB2222")));

  // The real one goes, symlinks inside it are removed, not followed.
  fs::create_directory_symlink(tmp.file("precious"), wd + "/AAAA1111/link");
  ASSERT_TRUE(
      delete_experiment_folder("AAAA1111", wd + "/AAAA1111", wd).is_ok());
  EXPECT_FALSE(fs::exists(wd + "/AAAA1111"));
  EXPECT_EQ(testing::read_file(tmp.file("precious/keep")), "me");
  // A relative working directory or a trailing slash name the same folder.
  ASSERT_TRUE(
      delete_experiment_folder("BBBB2222", wd + "/BBBB2222/", wd + "/../work")
          .is_ok());
  EXPECT_FALSE(fs::exists(wd + "/BBBB2222"));
}

}  // namespace
}  // namespace archer
