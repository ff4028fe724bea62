// What an applied architecture costs: its parameter count, its
// multiply-accumulates for one input and its measured latency. These are the
// keys hardware-aware search uses (config `constraints` and `objectives`):
//
//   "params"      parameters the applied network uses (nn::chosen_parameters:
//                 unchosen LayerChoice candidates excluded), a count;
//   "macs"        multiply-accumulates of one forward pass of the first input
//                 of the named batch (batch size 1), a count;
//   "latency_ms"  the median wall time of `latency_repeats` forward passes of
//                 the whole batch (after `latency_warmup` unmeasured ones), in
//                 milliseconds, on the batch's device with the threads
//                 LibTorch has at that point (torch::get_num_threads()).
//
// Forward passes run in eval mode under NoGradGuard (the module's training
// flag is restored after), so batch-norm statistics are not touched.
//
// MACs are counted at LibTorch's operator level (every aten operator a
// forward pass dispatches on this thread, whatever module called it):
//   counted:     convolutions (1-3 d, grouped, dilated, transposed: aten::
//                convolution), linear layers (aten::linear), matrix products
//                (mm, addmm, bmm, baddbmm, matmul, addmv, mv, dot) — so
//                Conv*d, ConvTranspose*d, Linear, Bilinear's products, RNN/
//                LSTM/GRU cells and MultiheadAttention's projections and
//                products are counted;
//   not counted: normalisation (BatchNorm, LayerNorm, GroupNorm, ...),
//                activations, pooling, element-wise arithmetic (a residual
//                add), softmax, embedding lookups, upsampling, einsum, and
//                anything a custom CUDA or C++ kernel does outside aten.
// A counted operator nested in another counted one (matmul calling mm) is
// counted once, as the outer one.
#ifndef ARCHER_NN_COSTS_H_
#define ARCHER_NN_COSTS_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>

#include "archer/json.h"

namespace archer {
namespace nn {

struct Costs {
  std::int64_t params = 0;
  std::optional<std::int64_t> macs;  // without a forward pass: unknown
  std::optional<double> latency_ms;  // idem
  std::int64_t latency_batch = 0;    // the batch size timed
  int threads = 0;                   // LibTorch threads while timing
  // {"params": n, "macs": n, "latency_ms": x} (the keys known).
  Json to_json() const;
  // "params 1.23M, macs 45.6M, latency 0.81 ms (batch 64, 2 threads)".
  std::string describe() const;
};

// How costs are measured.
struct CostOptions {
  int latency_warmup = 2;
  int latency_repeats = 10;  // >= 1; the median is reported
};

// The parameters `model` uses with its applied architecture (scalars).
std::int64_t count_parameters(const torch::nn::Module& model);

// Multiply-accumulates of the operators `forward` dispatches on this thread
// (see the list above). Exceptions from `forward` propagate.
std::int64_t count_macs(const std::function<void()>& forward);

// The median of `options.latency_repeats` timed calls, in milliseconds.
double median_latency_ms(const std::function<void()>& forward,
                         const CostOptions& options = {});

// All three for `model`: `forward(x)` runs the model on `x`; `batch` is the
// named batch (its first sample is used for MACs). Without a batch (an
// undefined tensor) only the parameters are counted. Throws archer::Error
// (naming what failed) when the forward pass raises.
Costs measure_costs(torch::nn::Module& model,
                    const std::function<void(const torch::Tensor&)>& forward,
                    const torch::Tensor& batch,
                    const CostOptions& options = {});

}  // namespace nn
}  // namespace archer

#endif  // ARCHER_NN_COSTS_H_
