#include "archer/json.h"

#include <gtest/gtest.h>

#include <cmath>

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

}  // namespace
}  // namespace archer
