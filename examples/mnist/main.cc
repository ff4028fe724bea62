// Archer's classic-NAS example: (Fashion-)MNIST with LibTorch.
//
//   mnist_nas [--space nni|cells] [flags]    standalone (first candidates), or
//                                            as a trial under `archer create`
//   NNI_GEN_SEARCH_SPACE=ss.json mnist_nas   writes the search space (what
//                                            `archer ss_gen` does)
//   mnist_nas --architecture best.json       trains one given architecture
//
// --validation_samples N holds out the last N training images as a
// validation split: each epoch reports the validation accuracy (never the
// test set's) as {"default": accuracy, "seconds": the epoch's training and
// evaluation seconds}, so a search selects on data it may look at.
// --ops picks a subset of the cell operations (a smaller cell space).
//
// --space nni is NNI's MNIST network (8 architectures; its ss_gen output is
// NNI's byte for byte); --space cells is a larger space for the tuners. NNI's
// training recipe by default: SGD lr 0.01 momentum 0.5, batch 64, 10 epochs
// (--optimizer adam --lr X: Adam, the search's proxy);
// after each epoch the test accuracy (percent) is reported, the last one as the
// final result.
#include <archer/nn.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "idx_data.h"
#include "nets.h"

namespace {

struct Flags {
  std::string space = "nni";
  int epochs = 10;
  int batch_size = 64;
  int test_batch_size = 1000;
  double lr = 0.01;
  double momentum = 0.5;
  std::string optimizer = "sgd";  // sgd (NNI's) | adam
  int hidden_size = 512;
  int channels = 16;
  int cells = 4;
  int train_samples = 0;  // 0: all
  int test_samples = 0;
  int validation_samples = 0;  // 0: report the test accuracy (NNI's recipe)
  int threads = 0;             // 0: Archer's default (see archer/nn/runtime.h)
  int seed = 1;
  int log_interval = 1000;
  int latency_batch = 1;  // the batch the latency is measured on
  std::string data_dir = mnist_example::kDefaultDataDir;
  std::string cache_dir = mnist_example::default_cache_dir();
  std::string architecture;  // a JSON file
  std::string ops;           // comma-separated cell operations ("": all six)
};

const char kUsage[] =
    "flags: --space nni|cells, --epochs N, --batch_size N, --test_batch_size "
    "N, --lr X, --momentum X, --hidden_size N, --channels N, --cells N, "
    "--optimizer sgd|adam (adam ignores --momentum), "
    "--train_samples N (0: all), --test_samples N, --validation_samples N, "
    "--threads N, --seed N, --log_interval N, --data_dir DIR, --cache_dir "
    "DIR, --architecture FILE, --ops OP,OP,... (cells space), "
    "--latency_batch N (the costs' latency, default 1)";

Flags parse_flags(int argc, char** argv) {
  Flags f;
  std::map<std::string, int*> ints = {
      {"--epochs", &f.epochs},
      {"--batch_size", &f.batch_size},
      {"--test_batch_size", &f.test_batch_size},
      {"--hidden_size", &f.hidden_size},
      {"--channels", &f.channels},
      {"--cells", &f.cells},
      {"--train_samples", &f.train_samples},
      {"--test_samples", &f.test_samples},
      {"--validation_samples", &f.validation_samples},
      {"--threads", &f.threads},
      {"--seed", &f.seed},
      {"--log_interval", &f.log_interval},
      {"--latency_batch", &f.latency_batch}};
  std::map<std::string, double*> reals = {{"--lr", &f.lr},
                                          {"--momentum", &f.momentum}};
  std::map<std::string, std::string*> strings = {
      {"--space", &f.space},
      {"--optimizer", &f.optimizer},
      {"--data_dir", &f.data_dir},
      {"--cache_dir", &f.cache_dir},
      {"--architecture", &f.architecture},
      {"--ops", &f.ops}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage << std::endl;
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
    const std::string v = argv[++i];
    char* end = nullptr;
    if (ints.count(arg)) {
      long n = std::strtol(v.c_str(), &end, 10);
      const bool zero_ok = arg == "--train_samples" ||
                           arg == "--test_samples" || arg == "--threads" ||
                           arg == "--validation_samples" || arg == "--seed" ||
                           arg == "--log_interval";
      if (v.empty() || *end != '\0' || n < (zero_ok ? 0 : 1) || n > 1 << 30) {
        throw std::invalid_argument(
            arg + ": expected an integer >= " + (zero_ok ? "0" : "1") +
            ", got '" + v + "'");
      }
      *ints[arg] = static_cast<int>(n);
    } else if (reals.count(arg)) {
      double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(x >= 0)) {
        throw std::invalid_argument(arg + ": expected a number >= 0, got '" +
                                    v + "'");
      }
      *reals[arg] = x;
    } else if (strings.count(arg)) {
      *strings[arg] = v;
    } else {
      throw std::invalid_argument("unknown flag '" + arg + "'; " + kUsage);
    }
  }
  if (f.space != "nni" && f.space != "cells") {
    throw std::invalid_argument("--space: expected nni or cells, got '" +
                                f.space + "'");
  }
  if (f.optimizer != "sgd" && f.optimizer != "adam") {
    throw std::invalid_argument("--optimizer: expected sgd or adam, got '" +
                                f.optimizer + "'");
  }
  return f;
}

// The architecture in `path`: NNI's architecture JSON, or a parameter.cfg
// record (its "parameters").
archer::Json read_architecture(const std::string& path) {
  auto json = archer::load_json_file(path);
  if (!json.is_ok()) throw std::invalid_argument(json.status().message());
  archer::Json arch = json.value();
  if (arch.is_object() && arch.contains("parameters"))
    arch = arch["parameters"];
  return arch;
}

template <typename Net>
double evaluate(Net& net, const mnist_example::Split& test, int batch) {
  torch::NoGradGuard no_grad;
  net->eval();
  int64_t correct = 0;
  const int64_t n = test.images.size(0);
  for (int64_t i = 0; i < n; i += batch) {
    const int64_t m = std::min<int64_t>(batch, n - i);
    torch::Tensor out = net->forward(test.images.narrow(0, i, m));
    correct +=
        out.argmax(1).eq(test.labels.narrow(0, i, m)).sum().item<int64_t>();
  }
  net->train();
  return 100.0 * static_cast<double>(correct) / static_cast<double>(n);
}

// The first `n` examples of `s` from `begin` (all from `begin` when n is 0).
mnist_example::Split slice(const mnist_example::Split& s, int64_t begin,
                           int64_t n) {
  const int64_t available = s.images.size(0) - begin;
  if (n == 0 || n > available) n = available;
  return {s.images.narrow(0, begin, n), s.labels.narrow(0, begin, n)};
}

template <typename Net>
int run(Net net, const Flags& f) {
  // The architecture first: ss_gen and the cost probe exit here, before the
  // data is read. Its costs (params, MACs, latency of a batch of
  // --latency_batch images) join the final metric.
  const torch::Tensor cost_input = torch::zeros({f.latency_batch, 1, 28, 28});
  if (f.architecture.empty()) {
    archer::get_and_apply_next_architecture(
        net, archer::ApplyOptions().cost_input(cost_input));
  } else {
    archer::nn::apply_architecture(*net, read_architecture(f.architecture),
                                   f.architecture);
    archer::apply_runtime_defaults();
  }
  mnist_example::Split train, test;
  const bool validating = f.validation_samples > 0;
  if (validating) {
    // Validation: the last images of the training split; training: the first
    // ones, never overlapping.
    mnist_example::Split all =
        mnist_example::load_split(f.data_dir, f.cache_dir, true, 0);
    const int64_t total = all.images.size(0);
    if (f.validation_samples >= total) {
      throw std::invalid_argument(
          "--validation_samples: expected fewer than the " +
          std::to_string(total) + " training images");
    }
    const int64_t rest = total - f.validation_samples;
    test = slice(all, rest, f.validation_samples);
    train = slice(
        all, 0,
        std::min<int64_t>(f.train_samples == 0 ? rest : f.train_samples, rest));
  } else {
    train = mnist_example::load_split(f.data_dir, f.cache_dir, true,
                                      f.train_samples);
    test = mnist_example::load_split(f.data_dir, f.cache_dir, false,
                                     f.test_samples);
  }
  if (f.threads > 0) torch::set_num_threads(f.threads);
  std::cerr << "architecture: "
            << archer::dumps(archer::nn::applied_architecture(*net))
            << std::endl;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (f.optimizer == "adam") {
    optimizer = std::make_unique<torch::optim::Adam>(
        net->parameters(), torch::optim::AdamOptions(f.lr));
  } else {
    optimizer = std::make_unique<torch::optim::SGD>(
        net->parameters(), torch::optim::SGDOptions(f.lr).momentum(f.momentum));
  }
  const int64_t n = train.images.size(0);
  double accuracy = 0, seconds = 0;
  archer::Json last;
  int64_t seen = 0;
  for (int epoch = 1; epoch <= f.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    torch::Tensor order = torch::randperm(n, torch::kLong);
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t i = 0; i < n; i += f.batch_size) {
      const int64_t m = std::min<int64_t>(f.batch_size, n - i);
      torch::Tensor idx = order.narrow(0, i, m);
      optimizer->zero_grad();
      torch::Tensor loss =
          torch::nll_loss(net->forward(train.images.index_select(0, idx)),
                          train.labels.index_select(0, idx));
      loss.backward();
      optimizer->step();
      loss_sum += loss.item<double>();
      ++batches;
      if (f.log_interval > 0 && batches % f.log_interval == 0) {
        std::printf("epoch %d [%lld/%lld] loss %.4f\n", epoch,
                    static_cast<long long>(i + m), static_cast<long long>(n),
                    loss.item<double>());
      }
    }
    const double train_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    seconds += train_seconds;
    seen += n;
    accuracy = evaluate(net, test, f.test_batch_size);
    const double epoch_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf("epoch %d: loss %.4f, %s accuracy %.2f%%\n", epoch,
                loss_sum / static_cast<double>(batches),
                validating ? "validation" : "test", accuracy);
    std::fflush(stdout);
    if (validating) {
      last = archer::Json{{"default", accuracy},
                          {"seconds", std::round(epoch_seconds * 1000) / 1000}};
    } else {
      last = accuracy;
    }
    if (epoch < f.epochs) archer::report_intermediate_result(last);
  }
  std::printf("training throughput: %.1f images/s (%d thread(s))\n",
              static_cast<double>(seen) / seconds, torch::get_num_threads());
  archer::report_final_result(last);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Flags f = parse_flags(argc, argv);
    torch::manual_seed(f.seed);
    if (f.space == "nni")
      return run(mnist_example::NniMnistNet(f.hidden_size), f);
    return run(mnist_example::CellNet(f.channels, f.cells,
                                      mnist_example::split_ops(f.ops)),
               f);
  } catch (const std::exception& e) {
    std::cerr << "mnist_nas: error: " << e.what() << std::endl;
    return 1;
  }
}
