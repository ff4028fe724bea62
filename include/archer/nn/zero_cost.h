// Zero-cost scores: what an untrained network already tells about how it
// will train, each from one pass at initialisation on the applied model
// (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021;
// Mellor et al., "Neural Architecture Search without Training", ICML 2021).
// Bigger is better for every one. The keys, as reported with the costs:
//
//   "synflow"    ln Σ_θ θ·∂R/∂θ, where every parameter and buffer is
//                replaced by its absolute value, the model runs in double
//                precision in eval mode on an all-ones input shaped like one
//                sample of the batch, and R = Σ outputs (data-free; the
//                logarithm keeps deep networks' scores finite; absent when
//                the sum is 0 or not finite);
//   "grad_norm"  Σ over parameter tensors of ‖∂L/∂θ‖₂, L the cross-entropy
//                of the outputs (as logits) on the batch against `labels`
//                (train mode); absent without labels;
//   "naswot"     ln |det K|, K[i][j] = the number of ReLU units on which
//                samples i and j agree (both active or both inactive), over
//                every aten::relu / relu_ the forward pass dispatches (train
//                mode, no gradients); the batch is the minibatch;
//   "jacob_cov"  −Σ_k (ln(λ_k + 1e-5) + 1/(λ_k + 1e-5)), λ the eigenvalues
//                of the correlation matrix of the per-sample input
//                gradients of Σ outputs (train mode).
//
// The model is left as it was: parameters, buffers (batch-norm running
// statistics), gradients, dtype, each module's training flag and the
// default CPU generator's state (dropout draws) are restored afterwards, so
// training that follows is unaffected.
#ifndef ARCHER_NN_ZERO_COST_H_
#define ARCHER_NN_ZERO_COST_H_

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>

#include "archer/json.h"

namespace archer {
namespace nn {

struct ZeroCostScores {
  std::optional<double> synflow, grad_norm, naswot, jacob_cov;
  // The scores known, by key (above).
  Json to_json() const;
};

// The forward pass whose output the scores use.
using OutputForward = std::function<torch::Tensor(const torch::Tensor&)>;

// Every score `batch` (and `labels`, may be undefined) allows for `model`.
// Throws archer::Error (naming the score) when the forward pass raises; the
// model is restored in any case.
ZeroCostScores zero_cost_scores(torch::nn::Module& model,
                                const OutputForward& forward,
                                const torch::Tensor& batch,
                                const torch::Tensor& labels = {});

// One score each (the same definitions), for tests and benchmarks.
std::optional<double> synflow_score(torch::nn::Module& model,
                                    const OutputForward& forward,
                                    const torch::Tensor& batch);
std::optional<double> grad_norm_score(torch::nn::Module& model,
                                      const OutputForward& forward,
                                      const torch::Tensor& batch,
                                      const torch::Tensor& labels);
std::optional<double> naswot_score(torch::nn::Module& model,
                                   const OutputForward& forward,
                                   const torch::Tensor& batch);
std::optional<double> jacob_cov_score(torch::nn::Module& model,
                                      const OutputForward& forward,
                                      const torch::Tensor& batch);

}  // namespace nn
}  // namespace archer

#endif  // ARCHER_NN_ZERO_COST_H_
