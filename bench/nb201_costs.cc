// NAS-Bench-201's network in LibTorch, to measure every cell's cost: the
// paper's macro skeleton (Dong & Yang, ICLR 2020, §2.1 and its code's
// TinyNetwork/InferCell) — a 3x3 conv stem with batch norm, three stages of
// five cells at 16, 32 and 64 channels joined by residual reduction blocks
// (ReLU-conv3x3 stride 2-BN, ReLU-conv3x3-BN, shortcut avg-pool 2 + conv1x1),
// batch norm + ReLU, global average pooling and a linear classifier. A cell
// has 4 nodes; node j sums op(i->j)(node i) over i < j; ops: none (zero),
// skip_connect (identity), nor_conv_1x1 / nor_conv_3x3 (ReLU-conv-BN) and
// avg_pool_3x3 (stride 1, padding 1, padding not counted).
//
// For each of the 15,625 cells and each dataset (CIFAR-10 and CIFAR-100:
// 32x32 inputs with 10 / 100 classes; ImageNet16-120: 16x16, 120 classes),
// archer::nn::count_parameters and count_macs (the trial library's own
// counters) measure the network; the table is written to
// bench/data/nb201_costs/nb201_costs.csv with the ranges printed beside the
// ones NAS-Bench-201 publishes.
//
// With --synflow it writes, instead, each cell's synflow score
// (archer::nn::synflow_score, archer/nn/zero_cost.h: data-free) for each
// dataset's network, each network initialised from torch::manual_seed(0)
// (LibTorch's default initialisation), to
// bench/data/nb201_zero_cost/nb201_synflow.csv — the table nb201_bench uses.
//
//   nb201_costs [--out CSV] [--threads N] [--synflow [--cells N]]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "archer/nn/costs.h"
#include "archer/nn/zero_cost.h"
#include "bench_util.h"
#include "nb201_table.h"

namespace archer {
namespace {

class ReluConvBnImpl : public torch::nn::Module {
 public:
  ReluConvBnImpl(int64_t in, int64_t out, int64_t k, int64_t stride,
                 int64_t pad)
      : conv_(register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k)
                                          .stride(stride)
                                          .padding(pad)
                                          .bias(false)))),
        bn_(register_module("bn", torch::nn::BatchNorm2d(out))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return bn_->forward(conv_->forward(torch::relu(x)));
  }

 private:
  torch::nn::Conv2d conv_;
  torch::nn::BatchNorm2d bn_;
};
TORCH_MODULE(ReluConvBn);

class ZeroImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x) { return x.mul(0.0); }
};
TORCH_MODULE(Zero);

torch::nn::AnyModule op_module(int op, int64_t c) {
  switch (op) {
    case 0:
      return torch::nn::AnyModule(Zero());
    case 1:
      return torch::nn::AnyModule(torch::nn::Identity());
    case 2:
      return torch::nn::AnyModule(ReluConvBn(c, c, 1, 1, 0));
    case 3:
      return torch::nn::AnyModule(ReluConvBn(c, c, 3, 1, 1));
    default:
      return torch::nn::AnyModule(torch::nn::AvgPool2d(
          torch::nn::AvgPool2dOptions(3).stride(1).padding(1).count_include_pad(
              false)));
  }
}

class CellImpl : public torch::nn::Module {
 public:
  CellImpl(const std::vector<int>& ops, int64_t c) {
    for (size_t e = 0; e < 6; ++e) {
      edges_.push_back(op_module(ops[e], c));
      register_module("edge" + std::to_string(e), edges_.back().ptr());
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    // Edges in the cell string's order: (0->1), (0->2) (1->2), (0->3) (1->3)
    // (2->3).
    torch::Tensor n1 = edges_[0].forward(x);
    torch::Tensor n2 = edges_[1].forward(x) + edges_[2].forward(n1);
    return edges_[3].forward(x) + edges_[4].forward(n1) + edges_[5].forward(n2);
  }

 private:
  std::vector<torch::nn::AnyModule> edges_;
};
TORCH_MODULE(Cell);

class ResBlockImpl : public torch::nn::Module {
 public:
  ResBlockImpl(int64_t in, int64_t out)
      : a_(register_module("conv_a", ReluConvBn(in, out, 3, 2, 1))),
        b_(register_module("conv_b", ReluConvBn(out, out, 3, 1, 1))),
        down_(register_module(
            "downsample",
            torch::nn::Sequential(
                torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2)),
                torch::nn::Conv2d(
                    torch::nn::Conv2dOptions(in, out, 1).bias(false))))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return down_->forward(x) + b_->forward(a_->forward(x));
  }

 private:
  ReluConvBn a_, b_;
  torch::nn::Sequential down_;
};
TORCH_MODULE(ResBlock);

class Nb201NetImpl : public torch::nn::Module {
 public:
  Nb201NetImpl(const std::vector<int>& ops, int64_t classes) {
    const int64_t c = 16;
    stem_ = register_module(
        "stem",
        torch::nn::Sequential(
            torch::nn::Conv2d(
                torch::nn::Conv2dOptions(3, c, 3).padding(1).bias(false)),
            torch::nn::BatchNorm2d(c)));
    int64_t channels = c;
    for (int stage = 0; stage < 3; ++stage) {
      if (stage > 0) {
        body_->push_back(ResBlock(channels, channels * 2));
        channels *= 2;
      }
      for (int i = 0; i < 5; ++i) body_->push_back(Cell(ops, channels));
    }
    register_module("cells", body_);
    last_ = register_module(
        "lastact", torch::nn::Sequential(torch::nn::BatchNorm2d(channels),
                                         torch::nn::ReLU()));
    classifier_ =
        register_module("classifier", torch::nn::Linear(channels, classes));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = last_->forward(body_->forward(stem_->forward(x)));
    y = torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
    return classifier_->forward(y);
  }

 private:
  torch::nn::Sequential stem_{nullptr}, body_, last_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(Nb201Net);

struct Target {
  std::string name;  // the CSV's suffix
  int64_t classes, side;
  // NAS-Bench-201's published ranges (its paper, Table/Figure of costs;
  // params in millions, FLOPs in millions of multiply-adds).
  double params_lo, params_hi, macs_lo, macs_hi;
};

// Each cell's synflow for the three datasets' networks (--synflow).
int synflow_table(const std::string& out, int cells) {
  const struct {
    int64_t classes, side;
  } nets[] = {{10, 32}, {100, 32}, {120, 16}};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<double>> score(static_cast<size_t>(cells));
  for (int code = 0; code < cells; ++code) {
    const std::vector<int> ops = nb201::ops_of(code);
    for (const auto& n : nets) {
      torch::manual_seed(0);
      Nb201Net net(ops, n.classes);
      const auto s = nn::synflow_score(
          *net, [&](const torch::Tensor& x) { return net->forward(x); },
          torch::zeros({1, 3, n.side, n.side}));
      score[static_cast<size_t>(code)].push_back(s ? *s : std::nan(""));
    }
    if (code % 1000 == 999)
      std::cerr << "nb201_costs --synflow: " << code + 1 << " / 15625 cells\n";
  }
  std::ofstream f(out);
  f << "index,synflow_cifar10,synflow_cifar100,synflow_imagenet16\n";
  char line[160];
  for (int code = 0; code < cells; ++code) {
    const auto& v = score[static_cast<size_t>(code)];
    std::snprintf(line, sizeof line, "%d,%.6f,%.6f,%.6f\n", code, v[0], v[1],
                  v[2]);
    f << line;
  }
  if (!f) {
    std::cerr << "nb201_costs: cannot write " << out << "\n";
    return 1;
  }
  std::printf(
      "synflow of %d cells x 3 networks in %.0f s -> %s\n", cells,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count(),
      out.c_str());
  return 0;
}

int run_main(int argc, char** argv) {
  std::string out = std::string(ARCHER_SOURCE_DIR) +
                    "/bench/data/nb201_costs/nb201_costs.csv";
  int threads = 1;
  bool synflow = false;
  int cells = nb201::kCells;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--synflow") {
      synflow = true;
      if (out.find("/nb201_costs/nb201_costs.csv") != std::string::npos)
        out = std::string(ARCHER_SOURCE_DIR) +
              "/bench/data/nb201_zero_cost/nb201_synflow.csv";
    } else if (a == "--cells" && i + 1 < argc) {
      cells = std::clamp(std::stoi(argv[++i]), 1, nb201::kCells);
    } else if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::stoi(argv[++i]);
    } else {
      std::cerr << "usage: nb201_costs [--out CSV] [--threads N] [--synflow "
                   "[--cells N]]\n";
      return 2;
    }
  }
  torch::set_num_threads(threads);
  if (synflow) return synflow_table(out, cells);
  torch::NoGradGuard no_grad;
  const std::vector<Target> targets = {
      {"cifar10", 10, 32, 0.073, 1.532, 7.78, 220.11},
      {"cifar100", 100, 32, 0.079, 1.538, 7.78, 220.12},
      {"imagenet16", 120, 16, 0.080, 1.539, 1.95, 55.03}};
  std::vector<std::vector<std::int64_t>> params(targets.size()),
      macs(targets.size());
  const auto start = std::chrono::steady_clock::now();
  for (int code = 0; code < nb201::kCells; ++code) {
    const std::vector<int> ops = nb201::ops_of(code);
    for (size_t t = 0; t < targets.size(); ++t) {
      Nb201Net net(ops, targets[t].classes);
      net->eval();
      const torch::Tensor x =
          torch::zeros({1, 3, targets[t].side, targets[t].side});
      params[t].push_back(nn::count_parameters(*net));
      macs[t].push_back(nn::count_macs([&] { net->forward(x); }));
    }
    if (code % 1000 == 999)
      std::cerr << "nb201_costs: " << code + 1 << " / 15625 cells\n";
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::ofstream f(out);
  f << "index,params_cifar10,macs_cifar10,params_cifar100,macs_cifar100,"
       "params_imagenet16,macs_imagenet16\n";
  for (int code = 0; code < nb201::kCells; ++code) {
    f << code;
    for (size_t t = 0; t < targets.size(); ++t)
      f << ',' << params[t][static_cast<size_t>(code)] << ','
        << macs[t][static_cast<size_t>(code)];
    f << '\n';
  }
  if (!f) {
    std::cerr << "nb201_costs: cannot write " << out << "\n";
    return 1;
  }
  std::printf("%d cells x %zu datasets in %.0f s -> %s\n", nb201::kCells,
              targets.size(), seconds, out.c_str());
  std::printf(
      "| dataset | params (M) measured | published | MACs (M) measured "
      "| published FLOPs |\n|---|---|---|---|---|\n");
  for (size_t t = 0; t < targets.size(); ++t) {
    const auto [plo, phi] =
        std::minmax_element(params[t].begin(), params[t].end());
    const auto [mlo, mhi] = std::minmax_element(macs[t].begin(), macs[t].end());
    std::printf(
        "| %s | %.3f - %.3f | %.3f - %.3f | %.2f - %.2f | %.2f - %.2f |\n",
        targets[t].name.c_str(), *plo / 1e6, *phi / 1e6, targets[t].params_lo,
        targets[t].params_hi, *mlo / 1e6, *mhi / 1e6, targets[t].macs_lo,
        targets[t].macs_hi);
  }
  return 0;
}

}  // namespace
}  // namespace archer

int main(int argc, char** argv) {
  return archer::bench::guarded_main(
      "nb201_costs", [&] { return archer::run_main(argc, argv); });
}
