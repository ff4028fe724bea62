// Test helper for documentation generated from code: checks that the text
// between
// "<!-- BEGIN <section> (generated) -->" and "<!-- END <section> -->" in the
// markdown file `path` equals `expected`; with ARCHER_UPDATE_DOCS set it
// rewrites that text instead.
#ifndef ARCHER_TESTING_GENERATED_DOCS_H_
#define ARCHER_TESTING_GENERATED_DOCS_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace archer {
namespace testing {

inline void expect_generated_section(const std::string& path,
                                     const std::string& section,
                                     const std::string& expected) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string begin = "<!-- BEGIN " + section + " (generated) -->\n";
  const std::string end = "<!-- END " + section + " -->";
  size_t b = text.find(begin), e = text.find(end);
  ASSERT_NE(b, std::string::npos) << path << " lacks " << begin;
  ASSERT_NE(e, std::string::npos) << path << " lacks " << end;
  if (std::getenv("ARCHER_UPDATE_DOCS")) {
    text.replace(b + begin.size(), e - b - begin.size(), expected);
    std::ofstream(path, std::ios::trunc) << text;
    return;
  }
  EXPECT_EQ(text.substr(b + begin.size(), e - b - begin.size()), expected)
      << path << " is stale: rerun this test with ARCHER_UPDATE_DOCS=1";
}

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_GENERATED_DOCS_H_
