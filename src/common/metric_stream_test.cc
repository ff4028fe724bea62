#include "common/metric_stream.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>

#include "testing/temp_dir.h"

namespace archer {
namespace {

using testing::golden_path;
using testing::read_file;

std::string golden_metrics() { return read_file(golden_path("metrics")); }

std::string frame(const std::string& payload) {
  return frame_metric(payload).value();
}

std::vector<MetricRecord> drain(MetricStreamDecoder& d,
                                std::vector<std::string>* errors) {
  std::vector<MetricRecord> out;
  while (true) {
    auto r = d.next();
    if (!r.is_ok()) {
      errors->push_back(r.status().message());
      continue;
    }
    if (!r.value()) break;
    out.push_back(*r.value());
  }
  return out;
}

TEST(MetricStream, EncodesGoldenBytes) {
  Json final_metric = Json::object();
  final_metric["default"] = 1.25;
  final_metric["other"] = 1;
  std::string bytes =
      frame(metric_payload(3, "Tr1al", "PERIODICAL", 0, Json(0.5))) +
      frame(metric_payload(3, "Tr1al", "FINAL", 0, final_metric));
  EXPECT_EQ(bytes, golden_metrics());
}

TEST(MetricStream, NullParameterIdAndNanValue) {
  std::string payload =
      metric_payload(std::nullopt, "abc", "FINAL", 0, Json(std::nan("")));
  EXPECT_EQ(
      payload,
      R"({"parameter_id": null, "trial_job_id": "abc", "type": "FINAL", "sequence": 0, "value": "NaN"})");
  auto rec = parse_metric_payload(payload, "x");
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  EXPECT_FALSE(rec.value().parameter_id.has_value());
  EXPECT_TRUE(std::isnan(rec.value().metric.get<double>()));
}

TEST(MetricStream, DecodesGoldenAtEverySplit) {
  const std::string bytes = golden_metrics();
  for (size_t split = 0; split <= bytes.size(); ++split) {
    MetricStreamDecoder d;
    std::vector<std::string> errors;
    d.feed(std::string_view(bytes).substr(0, split));
    auto first = drain(d, &errors);
    d.feed(std::string_view(bytes).substr(split));
    auto second = drain(d, &errors);
    first.insert(first.end(), second.begin(), second.end());
    ASSERT_TRUE(errors.empty()) << errors[0];
    ASSERT_EQ(first.size(), 2u) << "split " << split;
    EXPECT_EQ(first[0].type, "PERIODICAL");
    EXPECT_EQ(first[0].metric.get<double>(), 0.5);
    EXPECT_EQ(first[0].offset, 0u);
    EXPECT_EQ(first[1].type, "FINAL");
    EXPECT_EQ(first[1].parameter_id, 3);
    EXPECT_EQ(first[1].trial_job_id, "Tr1al");
    EXPECT_EQ(first[1].value, R"({"default": 1.25, "other": 1})");
    EXPECT_EQ(first[1].metric["default"].get<double>(), 1.25);
    EXPECT_EQ(first[1].offset, 106u);
    EXPECT_EQ(d.pending_bytes(), 0u);
  }
}

TEST(MetricStream, ByteByByteFeeding) {
  const std::string bytes = golden_metrics();
  MetricStreamDecoder d;
  std::vector<std::string> errors;
  std::vector<MetricRecord> all;
  for (char c : bytes) {
    d.feed(std::string_view(&c, 1));
    auto got = drain(d, &errors);
    all.insert(all.end(), got.begin(), got.end());
  }
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(all.size(), 2u);
}

TEST(MetricStream, CorruptHeaderIsReportedAndSkipped) {
  const std::string good = frame(metric_payload(1, "t", "FINAL", 0, Json(0.7)));
  MetricStreamDecoder d;
  d.feed("garbage!!" + good);
  std::vector<std::string> errors;
  auto records = drain(d, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(
      errors[0].find(
          "byte offset 0: expected a record header \"ME\" + 6 digits, got "
          "\"garbage!\"; skipped 9 bytes"),
      std::string::npos)
      << errors[0];
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].metric.get<double>(), 0.7);
  EXPECT_EQ(records[0].offset, 9u);
}

TEST(MetricStream, CorruptPayloadIsReportedAndNextRecordKept) {
  const std::string bad_json = frame("{not json");
  const std::string bad_value = frame(
      R"({"parameter_id": 1, "trial_job_id": "t", "type": "FINAL", "sequence": 0, "value": 5})");
  const std::string bad_type = frame(
      R"({"parameter_id": 1, "trial_job_id": "t", "type": "WHAT", "sequence": 0, "value": "5"})");
  const std::string good = frame(metric_payload(1, "t", "FINAL", 0, Json(0.7)));
  MetricStreamDecoder d;
  d.feed(bad_json + bad_value + bad_type + good);
  std::vector<std::string> errors;
  auto records = drain(d, &errors);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("byte offset 0: invalid JSON"), std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("\"value\" must be a JSON-encoded string"),
            std::string::npos);
  EXPECT_NE(
      errors[2].find("\"type\" must be FINAL, PERIODICAL or REQUEST_PARAMETER"),
      std::string::npos);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].metric.get<double>(), 0.7);
}

TEST(MetricStream, IncompleteRecordWaits) {
  const std::string good = frame(metric_payload(1, "t", "FINAL", 0, Json(0.7)));
  MetricStreamDecoder d;
  d.feed(good.substr(0, good.size() - 1));
  std::vector<std::string> errors;
  EXPECT_TRUE(drain(d, &errors).empty());
  EXPECT_EQ(d.pending_bytes(), good.size() - 1);
  d.feed(good.substr(good.size() - 1));
  EXPECT_EQ(drain(d, &errors).size(), 1u);
  EXPECT_TRUE(errors.empty());
}

TEST(MetricStream, RequestParameterRecord) {
  auto rec = parse_metric_payload(
      R"({"trial_job_id": "t", "type": "REQUEST_PARAMETER", "sequence": 0, "parameter_index": 0})",
      "x");
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  EXPECT_EQ(rec.value().type, "REQUEST_PARAMETER");
}

TEST(MetricStream, TooLongMetricIsRejected) {
  auto framed = frame_metric(std::string(kMaxMetricPayload, 'x'));
  ASSERT_FALSE(framed.is_ok());
  EXPECT_NE(framed.status().message().find("metric too long"),
            std::string::npos);
  EXPECT_TRUE(frame_metric(std::string(kMaxMetricPayload - 1, 'x')).is_ok());
}

TEST(MetricFileReader, TailsAppendsAndReportsCorruption) {
  testing::TempDir dir;
  MetricFileReader reader(dir.file("metrics"));
  std::vector<Status> errors;
  auto none = reader.poll(&errors);
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none.value().empty());  // missing file: nothing yet

  const std::string a =
      frame(metric_payload(1, "t", "PERIODICAL", 0, Json(0.1)));
  const std::string b = frame(metric_payload(1, "t", "FINAL", 0, Json(0.2)));
  testing::write_file(dir.file("metrics"), a + b.substr(0, 10));
  auto first = reader.poll(&errors);
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ(first.value().size(), 1u);
  EXPECT_EQ(reader.pending_bytes(), 10u);
  testing::write_file(dir.file("metrics"), a + b + "XXXXXXXXXX" + a);
  auto second = reader.poll(&errors);
  ASSERT_TRUE(second.is_ok());
  ASSERT_EQ(second.value().size(), 2u);
  EXPECT_EQ(second.value()[0].type, "FINAL");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message().find(dir.file("metrics")), std::string::npos);
  EXPECT_EQ(reader.pending_bytes(), 0u);
}

// Regression (issue 12): a stray "ME999999" swallowed the FINAL after it.
TEST(MetricStream, StrayHeaderDoesNotSwallowTheNextRecord) {
  const std::string fin = frame(metric_payload(1, "t", "FINAL", 0, Json(0.9)));
  MetricStreamDecoder d;
  d.feed("ME999999" + fin);
  std::vector<std::string> errors;
  auto recs = drain(d, &errors);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].type, "FINAL");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("\"ME999999\" is not followed by a JSON object"),
            std::string::npos)
      << errors[0];
}

TEST(MetricStream, FinishReportsAnIncompleteRecordAndFindsWhatFollowed) {
  const std::string fin = frame(metric_payload(1, "t", "FINAL", 0, Json(0.9)));
  MetricStreamDecoder d;
  d.feed("ME500000{\"x\": 1}\n" + fin);  // announces more than ever comes
  std::vector<std::string> errors;
  EXPECT_TRUE(drain(d, &errors).empty());  // still waiting, as it must
  Status st = d.finish();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("byte offset 0: record header \"ME500000\" "
                              "announces 500000 bytes"),
            std::string::npos)
      << st.message();
  auto recs = drain(d, &errors);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].metric, Json(0.9));
  EXPECT_TRUE(d.finish().is_ok());
}

TEST(MetricStream, HostileValuesAreErrorsNotCrashes) {
  std::vector<std::string> values = {
      std::string(30000, '[') + std::string(30000, ']'),
      R"({"default": 0.5, "x": 1e999})", "1e309", "\"\\ud800\"", "[1,"};
  for (const auto& v : values) {
    Json rec = {{"parameter_id", 1},
                {"trial_job_id", "t"},
                {"type", "FINAL"},
                {"sequence", 0},
                {"value", v}};
    auto framed = frame_metric(dumps(rec));
    ASSERT_TRUE(framed.is_ok());
    MetricStreamDecoder d;
    d.feed(framed.value());
    std::vector<std::string> errors;
    EXPECT_TRUE(drain(d, &errors).empty() || v == "\"\\ud800\"") << v;
    EXPECT_LE(errors.size(), 1u);
    for (const auto& e : errors) EXPECT_LT(e.size(), 600u);
  }
}

TEST(MetricFileReader, RefusesFifoSymlinkAndDirectoryWithoutBlocking) {
  testing::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file(".nni").c_str(), 0755), 0);
  MetricFileReader reader(dir.path(), ".nni/metrics");
  ASSERT_EQ(::mkfifo(dir.file(".nni/metrics").c_str(), 0600), 0);
  std::vector<Status> errors;
  auto fifo = reader.poll(&errors);
  ASSERT_FALSE(fifo.is_ok());
  EXPECT_NE(fifo.status().message().find("found a FIFO"), std::string::npos);
  ::unlink(dir.file(".nni/metrics").c_str());
  ASSERT_EQ(::symlink("/dev/zero", dir.file(".nni/metrics").c_str()), 0);
  auto link = reader.poll(&errors);
  ASSERT_FALSE(link.is_ok());
  EXPECT_NE(link.status().message().find("symlink"), std::string::npos);
  // A symlinked .nni directory is not followed either.
  ::unlink(dir.file(".nni/metrics").c_str());
  ::rmdir(dir.file(".nni").c_str());
  testing::TempDir elsewhere;
  testing::write_file(elsewhere.file("metrics"), "x");
  ASSERT_EQ(::symlink(elsewhere.path().c_str(), dir.file(".nni").c_str()), 0);
  auto linked_dir = reader.poll(&errors);
  ASSERT_FALSE(linked_dir.is_ok());
  EXPECT_NE(linked_dir.status().message().find("'.nni' is a symlink"),
            std::string::npos)
      << linked_dir.status().message();
}

TEST(MetricFileReader, ReadsABoundedAmountPerPoll) {
  testing::TempDir dir;
  std::string bytes;
  for (int i = 0; i < 100; ++i)
    bytes += frame(metric_payload(1, "t", "PERIODICAL", i, Json(0.5)));
  testing::write_file(dir.file("metrics"), bytes);
  MetricFileReader reader(dir.file("metrics"));
  std::vector<Status> errors;
  size_t total = 0, polls = 0;
  do {
    auto got = reader.poll(&errors, 1000);
    ASSERT_TRUE(got.is_ok());
    total += got.value().size();
    ++polls;
  } while (!reader.caught_up());
  EXPECT_EQ(total, 100u);
  EXPECT_GT(polls, 5u);
  EXPECT_TRUE(errors.empty());
}

}  // namespace
}  // namespace archer
