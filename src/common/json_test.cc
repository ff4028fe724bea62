#include "archer/json.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <fstream>

#include "testing/temp_dir.h"

namespace archer {
namespace {

TEST(JsonDumps, FloatsMatchPythonRepr) {
  // Expected strings are Python 3's repr() of the same doubles.
  EXPECT_EQ(dumps(Json(0.5)), "0.5");
  EXPECT_EQ(dumps(Json(1.0)), "1.0");
  EXPECT_EQ(dumps(Json(-0.0)), "-0.0");
  EXPECT_EQ(dumps(Json(98.87)), "98.87");
  EXPECT_EQ(dumps(Json(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(dumps(Json(1e-5)), "1e-05");
  EXPECT_EQ(dumps(Json(0.0001)), "0.0001");
  EXPECT_EQ(dumps(Json(1e15)), "1000000000000000.0");
  EXPECT_EQ(dumps(Json(1e16)), "1e+16");
  EXPECT_EQ(dumps(Json(1.5e300)), "1.5e+300");
  EXPECT_EQ(dumps(Json(123456.789)), "123456.789");
  EXPECT_EQ(dumps(Json(2.5e-10)), "2.5e-10");
}

TEST(JsonDumps, NonFiniteAsBareTokens) {
  EXPECT_EQ(dumps(Json(std::nan(""))), "NaN");
  EXPECT_EQ(dumps(Json(HUGE_VAL)), "Infinity");
  EXPECT_EQ(dumps(Json(-HUGE_VAL)), "-Infinity");
}

TEST(JsonDumps, CompactUsesPythonSeparatorsAndKeepsOrder) {
  Json j = Json::object();
  j["b"] = 1;
  j["a"] = Json::array({1, 2.5, "x", nullptr, true});
  j["c"] = Json::object();
  j["d"] = Json::array();
  EXPECT_EQ(dumps(j),
            R"({"b": 1, "a": [1, 2.5, "x", null, true], "c": {}, "d": []})");
  DumpOptions sorted;
  sorted.sort_keys = true;
  EXPECT_EQ(dumps(j, sorted),
            R"({"a": [1, 2.5, "x", null, true], "b": 1, "c": {}, "d": []})");
}

TEST(JsonDumps, IndentMatchesPythonJsonDump) {
  Json j = Json::parse(R"({"z": {"_value": ["a", "b"], "e": []}, "a": 1})");
  DumpOptions opt;
  opt.indent = 2;
  opt.sort_keys = true;
  EXPECT_EQ(dumps(j, opt),
            "{\n  \"a\": 1,\n  \"z\": {\n    \"_value\": [\n      \"a\",\n     "
            " \"b\"\n    ],\n"
            "    \"e\": []\n  }\n}");
}

TEST(JsonDumps, StringsEscapedAsciiOnly) {
  EXPECT_EQ(dumps(Json("a\"b\\c\n\t\x01")), R"("a\"b\\c\n\t\u0001")");
  EXPECT_EQ(dumps(Json("caf\xc3\xa9")), R"("caf\u00e9")");
  EXPECT_EQ(dumps(Json("\xf0\x9f\x98\x80")), R"("\ud83d\ude00")");  // U+1F600
  EXPECT_EQ(dumps(Json("bad\xff")), R"("bad\ufffd")");
  EXPECT_EQ(dumps(Json("\x7f")), R"("\u007f")");
}

TEST(JsonParse, AcceptsPythonNonFiniteTokens) {
  auto j = parse_json(
      R"({"default": NaN, "x": [Infinity, -Infinity], "s": "NaN"})", "t");
  ASSERT_TRUE(j.is_ok()) << j.status().message();
  EXPECT_TRUE(std::isnan(j.value()["default"].get<double>()));
  EXPECT_EQ(j.value()["x"][0].get<double>(), HUGE_VAL);
  EXPECT_EQ(j.value()["x"][1].get<double>(), -HUGE_VAL);
  EXPECT_EQ(j.value()["s"], "NaN");
  auto scalar = parse_json("NaN", "t");
  ASSERT_TRUE(scalar.is_ok());
  EXPECT_TRUE(std::isnan(scalar.value().get<double>()));
}

// Regression (issue 26, Low): a string equal to the parser's internal
// non-finite marker became a number (a candidate refused, a metric NaN).
TEST(JsonParse, NoStringTheInputHoldsIsReinterpreted) {
  const std::string marker = R"("\u0001archer-nonfinite:NaN")";
  for (const std::string& text :
       {"[" + marker + "]", "[NaN, " + marker + ", Infinity]",
        "{\"k\": " + marker + ", \"n\": NaN}",
        "{\"a\": NaN, " + marker + ": " + marker + "}"}) {
    auto j = parse_json(text, "t");
    ASSERT_TRUE(j.is_ok()) << text << ": " << j.status().message();
    int strings = 0, nans = 0;
    auto visit = [&](const Json& v) {
      if (v.is_string()) {
        EXPECT_EQ(v.get<std::string>(),
                  "\x01"
                  "archer-nonfinite:NaN");
        ++strings;
      } else if (v.is_number_float() && !std::isfinite(v.get<double>())) {
        ++nans;
      }
    };
    for (const auto& v : j.value()) visit(v);
    EXPECT_EQ(strings, 1) << text;
    EXPECT_EQ(nans, static_cast<int>(j.value().size()) - 1) << text;
  }
  // A bare NaN is a value, never a key.
  EXPECT_FALSE(parse_json("{NaN: 1}", "t").is_ok());
}

TEST(JsonParse, ErrorNamesSourceAndPosition) {
  auto j = parse_json("{\"a\": }", "exp.json");
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("exp.json: invalid JSON"),
            std::string::npos);
  EXPECT_NE(j.status().message().find("line 1, column"), std::string::npos);
}

TEST(JsonParse, MissingFileIsNotFound) {
  auto j = load_json_file("/nonexistent/archer.json");
  ASSERT_FALSE(j.is_ok());
  EXPECT_EQ(j.status().code(), Status::Code::kNotFound);
  EXPECT_NE(j.status().message().find("/nonexistent/archer.json"),
            std::string::npos);
}

TEST(JsonRoundTrip, KeepsInsertionOrder) {
  auto j = parse_json(R"({"layer_1": 1, "layer_0": 0})", "t");
  ASSERT_TRUE(j.is_ok());
  EXPECT_EQ(dumps(j.value()), R"({"layer_1": 1, "layer_0": 0})");
}

// Regression (issue 12): a FINAL nested ~30,000 deep crashed the manager in
// recursive code; it is now refused at the parser, which does not recurse.
TEST(JsonParse, RefusesDeepNestingWithoutRecursion) {
  std::string deep(300000, '[');
  deep += std::string(300000, ']');
  auto j = parse_json(deep, "metric");
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("metric: invalid JSON: nested deeper "
                                      "than 64 levels"),
            std::string::npos)
      << j.status().message();
  std::string objects;
  for (int i = 0; i < 30000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(30000, '}');
  EXPECT_FALSE(parse_json(objects, "m").is_ok());
  // At the limit it parses, and the depth is measured without recursion.
  std::string ok = std::string(64, '[') + std::string(64, ']');
  auto at_limit = parse_json(ok, "m");
  ASSERT_TRUE(at_limit.is_ok()) << at_limit.status().message();
  EXPECT_EQ(json_depth(at_limit.value()), 64);
  JsonLimits tight;
  tight.max_depth = 2;
  EXPECT_FALSE(parse_json("[[[1]]]", "m", tight).is_ok());
  EXPECT_TRUE(parse_json("[[1]]", "m", tight).is_ok());
}

// Regression (issue 12): 1e999 threw out_of_range past parse_json.
TEST(JsonParse, RefusesNumbersOutOfRange) {
  for (const char* text :
       {"1e309", R"({"default": 0.5, "x": 1e999})", "[-1e400]"}) {
    auto j = parse_json(text, "metric");
    ASSERT_FALSE(j.is_ok()) << text;
    EXPECT_NE(j.status().message().find("number overflow"), std::string::npos)
        << j.status().message();
  }
  // Big integers beyond 64 bits become doubles, as before.
  auto big = parse_json("184467440737095516160", "m");
  ASSERT_TRUE(big.is_ok());
  EXPECT_TRUE(big.value().is_number_float());
}

TEST(JsonParse, RefusesTextOverTheSizeLimit) {
  JsonLimits small;
  small.max_bytes = 10;
  auto j = parse_json("[1, 2, 3, 4, 5]", "body", small);
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("body: JSON text is 15 bytes, at most "
                                      "10 accepted"),
            std::string::npos);
}

TEST(JsonParse, ErrorQuotesOnlyAPrefix) {
  std::string junk = "[\"" + std::string(100000, 'x');  // unterminated
  auto j = parse_json(junk, "m");
  ASSERT_FALSE(j.is_ok());
  EXPECT_LT(j.status().message().size(), 500u);
  auto bad = parse_json("[" + std::string(100000, '7') + "x]", "m");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_LT(bad.status().message().size(), 500u);
}

TEST(JsonParse, DuplicateKeysLastValueWinsAtFirstPosition) {
  auto j = parse_json(R"({"a": 1, "b": 2, "a": 3})", "m");
  ASSERT_TRUE(j.is_ok());
  EXPECT_EQ(dumps(j.value()), R"({"a": 3, "b": 2})");
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\": 0, ";
  many += "\"k3\": 7, \"k39\": 9}";
  auto m = parse_json(many, "m");
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m.value().size(), 40u);
  EXPECT_EQ(m.value()["k3"], 7);
  EXPECT_EQ(m.value()["k39"], 9);
  EXPECT_EQ(m.value().begin().key(), "k0");
}

// Regression (issue 12): ordered_json's linear key lookup made a 100,000-key
// object take minutes; the builder appends through a hash index.
TEST(JsonParse, HundredThousandKeysParseInLinearTime) {
  std::string text = "{";
  for (int i = 0; i < 100000; ++i) {
    if (i) text += ", ";
    text += "\"layer_" + std::to_string(i) + "\": 1";
  }
  text += "}";
  auto j = parse_json(text, "space");
  ASSERT_TRUE(j.is_ok());
  EXPECT_EQ(j.value().size(), 100000u);
  EXPECT_EQ(std::prev(j.value().end()).key(), "layer_99999");
}

TEST(JsonParse, FileThatIsNotRegularIsRefusedWithoutBlocking) {
  testing::TempDir dir;
  const std::string fifo = dir.path() + "/space.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto j = load_json_file(fifo);
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("expected a regular file, found a FIFO"),
            std::string::npos)
      << j.status().message();
  auto d = load_json_file(dir.path());
  ASSERT_FALSE(d.is_ok());
  EXPECT_NE(d.status().message().find("a directory"), std::string::npos);
}

}  // namespace
}  // namespace archer
