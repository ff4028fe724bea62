// Archer quickstart: a classic-NAS trial in C++ with LibTorch.
//
// The model declares its own search space: a LayerChoice over three hidden
// blocks and an InputChoice that decides whether a skip connection is used. The
// trial trains on a small synthetic classification task and reports the
// validation accuracy.
//
//   ./quickstart                                     standalone: first
//   candidates NNI_GEN_SEARCH_SPACE=ss.json ./quickstart        writes the
//   search space and exits (under an experiment the architecture comes from
//   $NNI_SYS_DIR/parameter.cfg)
#include <archer/nn.h>
#include <torch/torch.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

// One hidden block: Linear followed by an activation.
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(int64_t width, std::string activation)
      : activation_(std::move(activation)) {
    fc_ = register_module("fc", torch::nn::Linear(width, width));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = fc_(x);
    return activation_ == "relu" ? torch::relu(y) : torch::tanh(y);
  }

 private:
  std::string activation_;
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(Block);

class QuickNetImpl : public torch::nn::Module {
 public:
  QuickNetImpl(int64_t inputs, int64_t width) {
    stem_ = register_module("stem", torch::nn::Linear(inputs, width));
    body_ = register_module(
        "body",
        archer::nn::LayerChoice({{"relu_block", Block(width, "relu")},
                                 {"tanh_block", Block(width, "tanh")},
                                 {"identity", torch::nn::Identity()}},
                                archer::nn::LayerChoiceOptions().key("body")));
    skip_ = register_module(
        "skip",
        archer::nn::InputChoice(
            archer::nn::InputChoiceOptions().n_candidates(2).n_chosen(1).key(
                "skip")));
    head_ = register_module("head", torch::nn::Linear(width, 2));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::relu(stem_(x));
    torch::Tensor out = body_(h);
    out = out + skip_->forward(
                    {torch::zeros_like(h), h});  // [no skip, identity skip]
    return head_(out);
  }

 private:
  torch::nn::Linear stem_{nullptr}, head_{nullptr};
  archer::nn::LayerChoice body_{nullptr};
  archer::nn::InputChoice skip_{nullptr};
};
TORCH_MODULE(QuickNet);

struct Flags {
  int epochs = 10;
  int seed = 1;
  int threads = 1;
  int samples = 2000;
};

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc)
        throw std::invalid_argument("flag " + arg + " needs a value");
      std::string v = argv[++i];
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n <= 0) {
        throw std::invalid_argument(
            "flag " + arg + " expects a positive integer, got '" + v + "'");
      }
      return static_cast<int>(n);
    };
    if (arg == "--epochs") {
      f.epochs = value();
    } else if (arg == "--seed") {
      f.seed = value();
    } else if (arg == "--threads") {
      f.threads = value();
    } else if (arg == "--samples") {
      f.samples = value();
    } else {
      throw std::invalid_argument(
          "unknown flag '" + arg +
          "' (expected --epochs, --seed, --threads, --samples)");
    }
  }
  return f;
}

// Two noisy interleaved rings in 16 dimensions: a task where depth and
// activation matter.
std::pair<torch::Tensor, torch::Tensor> make_data(int64_t n) {
  torch::Tensor radius = torch::randint(0, 2, {n}, torch::kLong);
  torch::Tensor angle = torch::rand({n}) * 2 * M_PI;
  torch::Tensor r = radius.to(torch::kFloat) + 1.0 + 0.25 * torch::randn({n});
  torch::Tensor xy =
      torch::stack({r * torch::cos(angle), r * torch::sin(angle)}, 1);
  torch::Tensor noise = 0.3 * torch::randn({n, 14});
  return {torch::cat({xy, noise}, 1), radius};
}

double accuracy(QuickNet& net, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  net->eval();
  double acc =
      net->forward(x).argmax(1).eq(y).to(torch::kFloat).mean().item<double>();
  net->train();
  return acc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Flags flags = parse_flags(argc, argv);
    torch::manual_seed(flags.seed);
    torch::set_num_threads(flags.threads);
    auto [train_x, train_y] = make_data(flags.samples);
    auto [valid_x, valid_y] = make_data(flags.samples / 4);

    QuickNet net(16, 32);
    // Fixes the architecture (or writes the search space and exits under
    // ss_gen).
    archer::get_and_apply_next_architecture(net);
    std::cout << "architecture: "
              << archer::dumps(archer::nn::applied_architecture(*net))
              << std::endl;

    torch::optim::Adam optimizer(net->parameters(),
                                 torch::optim::AdamOptions(0.01));
    const int64_t batch = 100;
    double acc = 0;
    for (int epoch = 1; epoch <= flags.epochs; ++epoch) {
      torch::Tensor order = torch::randperm(flags.samples);
      for (int64_t start = 0; start < flags.samples; start += batch) {
        torch::Tensor idx = order.slice(
            0, start, std::min<int64_t>(start + batch, flags.samples));
        optimizer.zero_grad();
        torch::Tensor loss = torch::cross_entropy_loss(
            net->forward(train_x.index_select(0, idx)),
            train_y.index_select(0, idx));
        loss.backward();
        optimizer.step();
      }
      acc = accuracy(net, valid_x, valid_y);
      if (epoch < flags.epochs) archer::report_intermediate_result(acc);
    }
    archer::report_final_result(acc);
    std::cout << "validation accuracy: " << acc << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "quickstart: error: " << e.what() << std::endl;
    return 1;
  }
}
