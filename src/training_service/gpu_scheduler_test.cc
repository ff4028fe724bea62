#include "training_service/gpu_scheduler.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>

namespace archer {
namespace {

const char kGpus[] = "0, GPU-aaa\n1, GPU-bbb\n2, GPU-ccc\n";

GpuScheduler::Options options(int per_trial, std::string apps = "") {
  GpuScheduler::Options o;
  o.gpus_per_trial = per_trial;
  o.query = [apps] { return parse_nvidia_smi(kGpus, apps); };
  return o;
}

TEST(GpuScheduler, ParsesNvidiaSmi) {
  auto gpus = parse_nvidia_smi(kGpus, "GPU-bbb, 4242\nGPU-bbb, 4343\n");
  ASSERT_TRUE(gpus.is_ok());
  ASSERT_EQ(gpus.value().size(), 3u);
  EXPECT_EQ(gpus.value()[1].index, 1);
  EXPECT_EQ(gpus.value()[1].uuid, "GPU-bbb");
  EXPECT_EQ(gpus.value()[1].active_processes, 2);
  EXPECT_EQ(gpus.value()[0].active_processes, 0);
  auto bad = parse_nvidia_smi("No devices were found\n", "");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("expected 'index, uuid'"),
            std::string::npos);
}

TEST(GpuScheduler, OneTrialPerGpuLeastLoadedFirst) {
  auto s = GpuScheduler::create(options(1));
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  GpuScheduler& g = s.value();
  EXPECT_EQ(g.free_trial_slots(), 3);
  EXPECT_EQ(g.allocate("t1"), std::vector<int>{0});
  EXPECT_EQ(g.allocate("t2"), std::vector<int>{1});
  EXPECT_EQ(g.allocate("t3"), std::vector<int>{2});
  EXPECT_EQ(g.free_trial_slots(), 0);
  EXPECT_TRUE(g.allocate("t4").empty());
  g.release("t2");
  EXPECT_EQ(g.allocate("t5"), std::vector<int>{1});
}

TEST(GpuScheduler, IndicesTrialsPerGpuAndSeveralGpusPerTrial) {
  GpuScheduler::Options o = options(2);
  o.gpu_indices = {0, 2};
  o.max_trials_per_gpu = 2;
  auto s = GpuScheduler::create(o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s.value().free_trial_slots(), 2);
  EXPECT_EQ(s.value().allocate("a"), (std::vector<int>{0, 2}));
  EXPECT_EQ(s.value().allocate("b"), (std::vector<int>{0, 2}));
  EXPECT_TRUE(s.value().allocate("c").empty());
  EXPECT_EQ(cuda_visible_devices({0, 2}), "0,2");
}

TEST(GpuScheduler, ActiveGpusAreSkippedUnlessAllowed) {
  auto busy = GpuScheduler::create(options(1, "GPU-aaa, 77\n"));
  ASSERT_TRUE(busy.is_ok());
  EXPECT_EQ(busy.value().free_trial_slots(), 2);
  EXPECT_EQ(busy.value().allocate("t"), std::vector<int>{1});
  GpuScheduler::Options o = options(1, "GPU-aaa, 77\n");
  o.use_active_gpu = true;
  auto shared = GpuScheduler::create(o);
  ASSERT_TRUE(shared.is_ok());
  EXPECT_EQ(shared.value().free_trial_slots(), 3);
}

TEST(GpuScheduler, AGpuAnotherProgramStopsUsingBecomesUsable) {
  auto apps = std::make_shared<std::string>("GPU-aaa, 77\nGPU-bbb, 78\n");
  GpuScheduler::Options o = options(1);
  o.query = [apps] { return parse_nvidia_smi(kGpus, *apps); };
  auto s = GpuScheduler::create(o);
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s.value().free_trial_slots(), 1);
  EXPECT_EQ(s.value().allocate("t1"), std::vector<int>{2});
  apps->clear();  // the other programs ended
  EXPECT_EQ(s.value().allocate("t2"), std::vector<int>{0});
  EXPECT_EQ(s.value().free_trial_slots(), 1);
}

TEST(GpuScheduler, GpusReadBackFromARunScript) {
  const std::string path = ::testing::TempDir() + "/gpu_run.sh";
  {
    std::ofstream out(path);
    out << "#!/bin/bash\nexport NNI_PLATFORM='remote'\n"
           "export CUDA_VISIBLE_DEVICES='1,3'\ncd x\n";
  }
  EXPECT_EQ(gpus_in_run_script(path), (std::vector<int>{1, 3}));
  {
    std::ofstream out(path);
    out << "export CUDA_VISIBLE_DEVICES='-1'\n";
  }
  EXPECT_TRUE(gpus_in_run_script(path).empty());
  EXPECT_TRUE(gpus_in_run_script(path + ".missing").empty());
}

TEST(GpuScheduler, ClearErrors) {
  GpuScheduler::Options none = options(1);
  none.query = []() -> StatusOr<std::vector<GpuInfo>> {
    return Status::io_error("nvidia-smi was not found on PATH");
  };
  auto s = GpuScheduler::create(none);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().message(),
            "trialGpuNumber is 1 but no GPU can be found: nvidia-smi was not "
            "found on PATH (set trialGpuNumber: 0 to run trials on the CPU)");
  auto too_many = GpuScheduler::create(options(4));
  ASSERT_FALSE(too_many.is_ok());
  EXPECT_NE(too_many.status().message().find(
                "trialGpuNumber is 4 but only 3 GPU(s) can be used"),
            std::string::npos);
  GpuScheduler::Options missing = options(1);
  missing.gpu_indices = {5};
  auto m = GpuScheduler::create(missing);
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("gpuIndices: GPU 5 does not exist"),
            std::string::npos);
}

}  // namespace
}  // namespace archer
