// The extension points' one registry: order, replacement, aliases, messages.
#include "common/registry.h"

#include <gtest/gtest.h>

namespace archer {
namespace {

struct Named {
  std::string name;
  std::vector<std::string> aliases;
  int version = 0;
};
struct Plain {
  std::string name;
};
struct Nested {
  struct {
    std::string name;
  } args;
};
const std::string& registry_name(const Nested& n) { return n.args.name; }

TEST(Registry, FindsByNameOrAliasAndReplacesByName) {
  Registry<Named> r("tuner",
                    {{"Random", {"RandomNASTuner"}, 1}, {"Evolution", {}, 1}});
  r.add({"LocalBO", {"LocalBOTuner"}, 1});
  r.add({"Random", {"RandomNASTuner"}, 2});  // replaces, keeps its place
  EXPECT_EQ(r.names(),
            (std::vector<std::string>{"Random", "RandomNASTuner", "Evolution",
                                      "LocalBO", "LocalBOTuner"}));
  EXPECT_EQ(r.find("RandomNASTuner")->version, 2);
  EXPECT_EQ(r.find("LocalBOTuner")->name, "LocalBO");
  EXPECT_FALSE(r.find("random").has_value());
  EXPECT_EQ(r.all().size(), 3u);
  EXPECT_EQ(r.unknown("Evolutoin").message(),
            "unknown tuner 'Evolutoin' (did you mean 'Evolution'?); available: "
            "Random, RandomNASTuner, Evolution, LocalBO, LocalBOTuner");
  EXPECT_EQ(r.unknown("PPO", " (needs LibTorch)").message(),
            "unknown tuner 'PPO' (needs LibTorch); available: Random, "
            "RandomNASTuner, Evolution, LocalBO, LocalBOTuner");
}

TEST(Registry, SpecsWithoutAliasesOrWithTheirNameElsewhere) {
  Registry<Plain> platforms("platform", {{"local"}, {"remote"}});
  EXPECT_EQ(platforms.names(), (std::vector<std::string>{"local", "remote"}));
  Registry<Nested> assessors("assessor", {});
  Nested asha;
  asha.args.name = "ASHA";
  assessors.add(asha);
  EXPECT_TRUE(assessors.find("ASHA").has_value());
  EXPECT_EQ(assessors.names(), std::vector<std::string>{"ASHA"});
}

}  // namespace
}  // namespace archer
