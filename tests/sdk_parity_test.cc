// The C++ trial SDK and the Python module write byte-identical metric streams,
// and the manager-side reader decodes both to the same records.
#include <gtest/gtest.h>

#include <cstdlib>

#include "archer/trial.h"
#include "common/metric_stream.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

const char* kParameters =
    R"({"parameter_id": 42, "parameter_source": "algorithm", "parameters": {"k": {"_value": "a", "_idx": 0}}, "parameter_index": 0})";
// Intermediate values and the final value, as JSON text (the Python side parses
// the same).
const std::vector<std::string> kIntermediate = {
    "0.5", "1e-05", "1e+16",
    "NaN", "3",     "{\"default\": 0.25, \"loss\": Infinity}"};
const std::string kFinal =
    "{\"default\": 0.9876, \"caf\\u00e9\": [1, 2.5], \"n\": null}";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<MetricRecord> read_records(const std::string& path) {
  MetricFileReader reader(path);
  std::vector<Status> errors;
  auto records = reader.poll(&errors);
  EXPECT_TRUE(records.is_ok());
  EXPECT_TRUE(errors.empty()) << errors[0].message();
  EXPECT_EQ(reader.pending_bytes(), 0u);
  return records.value();
}

TEST(SdkParity, CppAndPythonWriteIdenticalMetricStreams) {
  TempDir cpp_dir, py_dir;
  write_file(cpp_dir.file("parameter.cfg"), kParameters);
  write_file(py_dir.file("parameter.cfg"), kParameters);

  TrialContext ctx({{"NNI_PLATFORM", "local"},
                    {"NNI_SYS_DIR", cpp_dir.path()},
                    {"NNI_OUTPUT_DIR", cpp_dir.path()},
                    {"NNI_TRIAL_JOB_ID", "Tr1al"}});
  ctx.get_next_parameter();
  for (const auto& v : kIntermediate) {
    ctx.report_intermediate_result(parse_json(v, "v").value());
  }
  ctx.report_final_result(parse_json(kFinal, "v").value());

  std::string cmd =
      "env NNI_PLATFORM=local NNI_TRIAL_JOB_ID=Tr1al NNI_SYS_DIR=" +
      shell_quote(py_dir.path()) +
      " NNI_OUTPUT_DIR=" + shell_quote(py_dir.path()) +
      " " ARCHER_PYTHON " " ARCHER_PYTHON_MODULE " report";
  for (const auto& v : kIntermediate) cmd += " " + shell_quote(v);
  cmd += " --final " + shell_quote(kFinal);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  const std::string cpp_bytes = read_file(cpp_dir.file(".nni/metrics"));
  const std::string py_bytes = read_file(py_dir.file(".nni/metrics"));
  EXPECT_EQ(cpp_bytes, py_bytes);

  auto cpp_records = read_records(cpp_dir.file(".nni/metrics"));
  auto py_records = read_records(py_dir.file(".nni/metrics"));
  ASSERT_EQ(cpp_records.size(), kIntermediate.size() + 1);
  ASSERT_EQ(py_records.size(), cpp_records.size());
  for (size_t i = 0; i < cpp_records.size(); ++i) {
    EXPECT_EQ(cpp_records[i].payload, py_records[i].payload);
    EXPECT_EQ(cpp_records[i].parameter_id, 42);
    EXPECT_EQ(cpp_records[i].sequence,
              i < kIntermediate.size() ? static_cast<int64_t>(i) : 0);
    EXPECT_EQ(dumps(cpp_records[i].metric), dumps(py_records[i].metric));
  }
  EXPECT_EQ(cpp_records.back().type, "FINAL");
  EXPECT_EQ(cpp_records.back().value,
            R"({"default": 0.9876, "caf\u00e9": [1, 2.5], "n": null})");
}

}  // namespace
}  // namespace archer
