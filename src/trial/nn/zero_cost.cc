#include "archer/nn/zero_cost.h"

#include <ATen/record_function.h>

#include <cmath>
#include <mutex>
#include <vector>

#include "archer/status.h"

namespace archer {
namespace nn {

namespace {

// Everything a score may touch, put back when it goes out of scope.
class Preserve {
 public:
  explicit Preserve(torch::nn::Module& model) : model_(model) {
    root_training_ = model.is_training();
    for (const auto& m : model.modules(/*include_self=*/false))
      flags_.push_back({m, m->is_training()});
    for (auto& p : model.parameters(true)) {
      params_.push_back(
          {p, p.detach().clone(),
           p.grad().defined() ? p.grad().detach().clone() : torch::Tensor()});
    }
    for (auto& b : model.buffers(true))
      buffers_.push_back({b, b.detach().clone(), torch::Tensor()});
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    rng_ = gen.get_state();
  }
  ~Preserve() {
    torch::NoGradGuard no_grad;
    for (auto& s : params_) {
      s.tensor.set_data(s.value);
      s.tensor.mutable_grad() = s.grad;
    }
    for (auto& s : buffers_) s.tensor.set_data(s.value);
    model_.train(root_training_);
    for (auto& [m, training] : flags_) m->train(training);
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng_);
  }
  // Clears every parameter's gradient (restored afterwards).
  void clear_grads() {
    for (auto& s : params_) s.tensor.mutable_grad() = torch::Tensor();
  }

 private:
  struct Saved {
    torch::Tensor tensor, value, grad;
  };
  torch::nn::Module& model_;
  bool root_training_ = false;
  std::vector<std::pair<std::shared_ptr<torch::nn::Module>, bool>> flags_;
  std::vector<Saved> params_, buffers_;
  torch::Tensor rng_;
};

// Runs `f`, turning a LibTorch exception into archer::Error naming `what`.
template <typename F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const c10::Error& e) {
    throw Error(std::string("zero-cost score ") + what +
                ": the forward pass failed: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Error(std::string("zero-cost score ") + what +
                ": the forward pass failed: " + e.what());
  }
}

std::optional<double> finite(double v) {
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

// The ReLU outputs one forward pass dispatches on this thread.
thread_local std::vector<torch::Tensor>* relu_outputs = nullptr;

void on_relu_end(const at::RecordFunction& fn, at::ObserverContext*) {
  if (!relu_outputs) return;
  const std::string name = fn.name();
  if (name != "aten::relu" && name != "aten::relu_") return;
  auto outputs = fn.outputs();
  if (!outputs.empty() && outputs[0].isTensor())
    relu_outputs->push_back(outputs[0].toTensor().detach().clone());
}

}  // namespace

Json ZeroCostScores::to_json() const {
  Json j = Json::object();
  auto put = [&](const char* key, const std::optional<double>& v) {
    if (v) j[key] = std::round(*v * 1e6) / 1e6;
  };
  put("synflow", synflow);
  put("grad_norm", grad_norm);
  put("naswot", naswot);
  put("jacob_cov", jacob_cov);
  return j;
}

std::optional<double> synflow_score(torch::nn::Module& model,
                                    const OutputForward& forward,
                                    const torch::Tensor& batch) {
  if (!batch.defined() || batch.dim() < 1) return std::nullopt;
  Preserve keep(model);
  keep.clear_grads();
  model.eval();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model.parameters(true)) {
      if (p.is_floating_point())
        p.set_data(p.detach().abs().to(torch::kDouble));
    }
    for (auto& b : model.buffers(true)) {
      if (b.is_floating_point())
        b.set_data(b.detach().abs().to(torch::kDouble));
    }
  }
  std::vector<std::int64_t> shape = batch.sizes().vec();
  shape[0] = 1;
  const torch::Tensor ones =
      torch::ones(shape, batch.options().dtype(torch::kDouble));
  double score = 0;
  guarded("synflow", [&] {
    torch::Tensor r = forward(ones).sum();
    r.backward();
    torch::NoGradGuard no_grad;
    for (auto& p : model.parameters(true)) {
      if (p.grad().defined()) score += (p * p.grad()).sum().item<double>();
    }
    return 0;
  });
  if (!(score > 0)) return std::nullopt;
  return finite(std::log(score));
}

std::optional<double> grad_norm_score(torch::nn::Module& model,
                                      const OutputForward& forward,
                                      const torch::Tensor& batch,
                                      const torch::Tensor& labels) {
  if (!batch.defined() || !labels.defined()) return std::nullopt;
  Preserve keep(model);
  keep.clear_grads();
  model.train(true);
  double score = 0;
  guarded("grad_norm", [&] {
    torch::Tensor logits = forward(batch);
    torch::nn::functional::cross_entropy(logits, labels).backward();
    torch::NoGradGuard no_grad;
    for (auto& p : model.parameters(true)) {
      if (p.grad().defined()) score += p.grad().norm().item<double>();
    }
    return 0;
  });
  return finite(score);
}

std::optional<double> naswot_score(torch::nn::Module& model,
                                   const OutputForward& forward,
                                   const torch::Tensor& batch) {
  if (!batch.defined() || batch.dim() < 1 || batch.size(0) < 2)
    return std::nullopt;
  Preserve keep(model);
  model.train(true);
  std::vector<torch::Tensor> outputs;
  std::vector<torch::Tensor>* saved = relu_outputs;
  relu_outputs = &outputs;
  struct Restore {
    std::vector<torch::Tensor>* saved;
    at::CallbackHandle handle;
    ~Restore() {
      at::removeCallback(handle);
      relu_outputs = saved;
    }
  } restore{saved, at::addThreadLocalCallback(
                       at::RecordFunctionCallback(nullptr, on_relu_end)
                           .needsOutputs(true)
                           .scopes({at::RecordScope::FUNCTION}))};
  {
    at::RecordFunctionGuard enabled(true);
    torch::NoGradGuard no_grad;
    guarded("naswot", [&] { return forward(batch); });
  }
  const std::int64_t n = batch.size(0);
  torch::Tensor k = torch::zeros({n, n}, torch::kDouble);
  bool any = false;
  for (const auto& out : outputs) {
    if (out.dim() < 1 || out.size(0) != n) continue;
    const torch::Tensor c = (out.reshape({n, -1}) > 0).to(torch::kDouble);
    k += c.matmul(c.t()) + (1 - c).matmul((1 - c).t());
    any = true;
  }
  if (!any) return std::nullopt;
  return finite(std::get<1>(torch::linalg::slogdet(k)).item<double>());
}

std::optional<double> jacob_cov_score(torch::nn::Module& model,
                                      const OutputForward& forward,
                                      const torch::Tensor& batch) {
  if (!batch.defined() || batch.dim() < 1 || batch.size(0) < 2 ||
      !batch.is_floating_point())
    return std::nullopt;
  Preserve keep(model);
  model.train(true);
  const std::int64_t n = batch.size(0);
  torch::Tensor x = batch.detach().clone().requires_grad_(true);
  guarded("jacob_cov", [&] {
    forward(x).sum().backward();
    return 0;
  });
  if (!x.grad().defined()) return std::nullopt;
  torch::NoGradGuard no_grad;
  torch::Tensor j = x.grad().reshape({n, -1}).to(torch::kDouble);
  j = j - j.mean(1, /*keepdim=*/true);
  const torch::Tensor norms = j.norm(2, 1, /*keepdim=*/true);
  if ((norms == 0).any().item<bool>()) return std::nullopt;
  j = j / norms;
  const torch::Tensor corr = j.matmul(j.t());
  const torch::Tensor v = torch::linalg::eigvalsh(corr, "L");
  const double eps = 1e-5;
  return finite(-(torch::log(v + eps) + 1.0 / (v + eps)).sum().item<double>());
}

ZeroCostScores zero_cost_scores(torch::nn::Module& model,
                                const OutputForward& forward,
                                const torch::Tensor& batch,
                                const torch::Tensor& labels) {
  ZeroCostScores s;
  s.synflow = synflow_score(model, forward, batch);
  s.grad_norm = grad_norm_score(model, forward, batch, labels);
  s.naswot = naswot_score(model, forward, batch);
  s.jacob_cov = jacob_cov_score(model, forward, batch);
  return s;
}

}  // namespace nn
}  // namespace archer
