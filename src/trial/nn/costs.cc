#include "archer/nn/costs.h"

#include <ATen/record_function.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "archer/nn/mutator.h"
#include "archer/status.h"

namespace archer {
namespace nn {

namespace {

// The operators whose multiply-accumulates are counted (see costs.h).
enum class Op {
  kNone,
  kConvolution,
  kLinear,
  kMm,
  kAddmm,
  kBmm,
  kBaddbmm,
  kMatmul,
  kMv,
  kAddmv,
  kDot
};

Op op_of(const char* name) {
  static const struct {
    const char* name;
    Op op;
  } kOps[] = {{"aten::convolution", Op::kConvolution},
              {"aten::_convolution", Op::kConvolution},
              {"aten::linear", Op::kLinear},
              {"aten::mm", Op::kMm},
              {"aten::addmm", Op::kAddmm},
              {"aten::bmm", Op::kBmm},
              {"aten::baddbmm", Op::kBaddbmm},
              {"aten::matmul", Op::kMatmul},
              {"aten::mv", Op::kMv},
              {"aten::addmv", Op::kAddmv},
              {"aten::dot", Op::kDot}};
  if (std::strncmp(name, "aten::", 6) != 0) return Op::kNone;
  for (const auto& o : kOps) {
    if (std::strcmp(name, o.name) == 0) return o.op;
  }
  return Op::kNone;
}

struct Counter {
  std::int64_t macs = 0;
  int depth = 0;  // counted operators open on this thread
};
thread_local Counter* current = nullptr;

// What the end callback needs of an operator's inputs (only valid in the
// start callback).
class OpContext : public at::ObserverContext {
 public:
  Op op = Op::kNone;
  bool outer = false;              // not nested in another counted operator
  std::vector<std::int64_t> a, b;  // the shapes that matter
  bool transposed = false;
};

std::vector<std::int64_t> shape_of(const at::RecordFunction& fn, size_t i) {
  auto inputs = fn.inputs();
  if (i >= inputs.size() || !inputs[i].isTensor()) return {};
  const at::Tensor& t = inputs[i].toTensor();
  if (!t.defined()) return {};
  return t.sizes().vec();
}

std::int64_t numel(const std::vector<std::int64_t>& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  if (!current) return nullptr;
  const Op op = op_of(fn.name());
  if (op == Op::kNone) return nullptr;
  auto ctx = std::make_unique<OpContext>();
  ctx->op = op;
  ctx->outer = current->depth == 0;
  ++current->depth;
  if (!ctx->outer) return ctx;
  // Which inputs are the operands: addmm(self, a, b), baddbmm(self, a, b),
  // addmv(self, mat, vec); the others take them first.
  const bool skip_self =
      op == Op::kAddmm || op == Op::kBaddbmm || op == Op::kAddmv;
  ctx->a = shape_of(fn, skip_self ? 1 : 0);
  ctx->b = shape_of(fn, skip_self ? 2 : 1);
  if (op == Op::kConvolution) {
    auto inputs = fn.inputs();
    ctx->transposed =
        inputs.size() > 6 && inputs[6].isBool() && inputs[6].toBool();
  }
  return ctx;
}

std::int64_t macs_of(const OpContext& c, const at::RecordFunction& fn) {
  const auto& a = c.a;
  const auto& b = c.b;
  std::vector<std::int64_t> out;
  const auto& outputs = fn.outputs();
  if (!outputs.empty() && outputs[0].isTensor() &&
      outputs[0].toTensor().defined())
    out = outputs[0].toTensor().sizes().vec();
  switch (c.op) {
    case Op::kConvolution: {
      if (b.size() < 3)
        return 0;  // weight [Cout, Cin/g, k...] (transposed:
                   // [Cin, Cout/g, k...])
      std::int64_t kernel = 1;
      for (size_t i = 2; i < b.size(); ++i) kernel *= b[i];
      // Each output element (each input element when transposed) takes
      // weight.size(1) * kernel multiply-accumulates.
      return (c.transposed ? numel(a) : numel(out)) * b[1] * kernel;
    }
    case Op::kLinear:  // x [..., in], weight [out, in]
      return b.empty() ? 0 : numel(a) * b[0];
    case Op::kMm:
    case Op::kAddmm:  // [n, k] x [k, m]
      return b.size() == 2 ? numel(a) * b[1] : 0;
    case Op::kBmm:
    case Op::kBaddbmm:  // [B, n, k] x [B, k, m]
      return b.size() == 3 ? numel(a) * b[2] : 0;
    case Op::kMatmul: {  // output elements x the contracted size
      if (a.empty() || out.empty()) return 0;
      return numel(out) * a.back();
    }
    case Op::kMv:
    case Op::kAddmv:
    case Op::kDot:
      return numel(a);
    case Op::kNone:
      break;
  }
  return 0;
}

void on_end(const at::RecordFunction& fn, at::ObserverContext* base) {
  auto* ctx = static_cast<OpContext*>(base);
  if (!current || !ctx || ctx->op == Op::kNone) return;
  --current->depth;
  if (ctx->outer) current->macs += macs_of(*ctx, fn);
}

std::string what_of(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e))
    return c->what_without_backtrace();
  return e.what();
}

// Eval mode and no gradients while measuring; every module's training flag
// back afterwards.
class EvalScope {
 public:
  explicit EvalScope(torch::nn::Module& model) {
    for (const auto& m : model.modules(/*include_self=*/true))
      flags_.push_back({m, m->is_training()});
    model.eval();
  }
  ~EvalScope() {
    for (auto& [m, training] : flags_) m->train(training);
  }

 private:
  std::vector<std::pair<std::shared_ptr<torch::nn::Module>, bool>> flags_;
  torch::NoGradGuard no_grad_;
};

std::string human(double v) {
  char buf[32];
  if (v >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
  else if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

}  // namespace

Json Costs::to_json() const {
  Json j = Json::object();
  j["params"] = params;
  if (macs) j["macs"] = *macs;
  if (latency_ms) j["latency_ms"] = std::round(*latency_ms * 1e4) / 1e4;
  return j;
}

std::string Costs::describe() const {
  std::string s = "params " + human(static_cast<double>(params));
  if (macs) s += ", macs " + human(static_cast<double>(*macs));
  if (latency_ms) {
    char buf[96];
    std::snprintf(buf, sizeof buf,
                  ", latency %.3g ms (batch %lld, %d thread%s)", *latency_ms,
                  static_cast<long long>(latency_batch), threads,
                  threads == 1 ? "" : "s");
    s += buf;
  }
  return s;
}

std::int64_t count_parameters(const torch::nn::Module& model) {
  std::int64_t n = 0;
  for (const auto& p : chosen_parameters(model)) n += p.numel();
  return n;
}

std::int64_t count_macs(const std::function<void()>& forward) {
  Counter counter;
  Counter* saved = current;
  current = &counter;
  struct Restore {
    Counter* saved;
    at::CallbackHandle handle;
    ~Restore() {
      at::removeCallback(handle);
      current = saved;
    }
  } restore{saved, at::addThreadLocalCallback(
                       at::RecordFunctionCallback(on_start, on_end)
                           .needsInputs(true)
                           .needsOutputs(true)
                           .scopes({at::RecordScope::FUNCTION}))};
  at::RecordFunctionGuard enabled(true);
  forward();
  return counter.macs;
}

double median_latency_ms(const std::function<void()>& forward,
                         const CostOptions& options) {
  for (int i = 0; i < options.latency_warmup; ++i) forward();
  std::vector<double> ms;
  const int repeats = std::max(1, options.latency_repeats);
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    forward();
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  return n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
}

Costs measure_costs(torch::nn::Module& model,
                    const std::function<void(const torch::Tensor&)>& forward,
                    const torch::Tensor& batch, const CostOptions& options) {
  Costs costs;
  costs.params = count_parameters(model);
  if (!batch.defined() || !forward) return costs;
  EvalScope scope(model);
  const torch::Tensor one =
      batch.dim() > 0 && batch.size(0) > 1 ? batch.narrow(0, 0, 1) : batch;
  try {
    costs.macs = count_macs([&] { forward(one); });
    costs.latency_ms = median_latency_ms([&] { forward(batch); }, options);
  } catch (const std::exception& e) {
    throw Error(
        "measuring the architecture's costs: the forward pass of the "
        "cost input (shape " +
        c10::str(batch.sizes()) + ") raised: " + what_of(e));
  }
  costs.latency_batch = batch.dim() > 0 ? batch.size(0) : 1;
  costs.threads = torch::get_num_threads();
  return costs;
}

}  // namespace nn
}  // namespace archer
