"""Zero-cost scores: what an untrained network already tells about how it will train — the
C++ library's ``archer/nn/zero_cost.h``, with the same definitions and keys (bigger is better
for every one):

``synflow``    ln Σ_θ θ·∂R/∂θ, every parameter and buffer replaced by its absolute value, the
               model in double precision and eval mode on an all-ones input shaped like one
               sample of the batch, R = Σ outputs (data-free; absent when the sum is 0 or not
               finite);
``grad_norm``  Σ over parameter tensors of ‖∂L/∂θ‖₂, L the cross-entropy of the outputs (as
               logits) on the batch against ``labels`` (train mode); absent without labels;
``naswot``     ln |det K|, K[i][j] the number of ReLU units on which samples i and j agree,
               over every ``aten::relu`` / ``relu_`` the forward pass runs (train mode, no
               gradients);
``jacob_cov``  −Σ_k (ln(λ_k + 1e-5) + 1/(λ_k + 1e-5)), λ the eigenvalues of the correlation
               matrix of the per-sample input gradients of Σ outputs (train mode).

The model is left as it was: parameters, buffers, gradients, dtypes, each module's training
flag and torch's default generator state are restored, so training that follows is unaffected.
"""
import math

import torch

__all__ = ["ZeroCostError", "zero_cost_scores", "synflow_score", "grad_norm_score",
           "naswot_score", "jacob_cov_score"]


class ZeroCostError(RuntimeError):
    """The forward pass a score needs raised (the message names the score)."""


class _Preserve:
    def __init__(self, model):
        self.model = model

    def __enter__(self):
        m = self.model
        self.flags = [(mod, mod.training) for mod in m.modules()]
        self.params = [(p, p.data, None if p.grad is None else p.grad.detach().clone())
                       for p in m.parameters()]
        self.values = [p.data.clone() for p, _, _ in self.params]
        self.buffers = [(b, b.data, b.data.clone()) for b in m.buffers()]
        self.rng = torch.get_rng_state()
        for p, _, _ in self.params:
            p.grad = None
        return self

    def __exit__(self, *exc):
        with torch.no_grad():
            for (p, data, grad), value in zip(self.params, self.values):
                data.copy_(value)
                p.data = data
                p.grad = grad
            for b, data, value in self.buffers:
                data.copy_(value)
                b.data = data
        for mod, training in self.flags:
            mod.training = training
        torch.set_rng_state(self.rng)
        return False


def _guarded(name, f):
    try:
        return f()
    except Exception as e:  # noqa: BLE001 (the user's forward pass: any error)
        raise ZeroCostError("zero-cost score %s: the forward pass failed: %s: %s"
                            % (name, type(e).__name__, e)) from e


def _finite(v):
    return v if v is not None and math.isfinite(v) else None


def synflow_score(model, forward, batch):
    if batch is None or batch.dim() < 1:
        return None
    with _Preserve(model):
        model.eval()
        with torch.no_grad():
            for t in list(model.parameters()) + list(model.buffers()):
                if t.is_floating_point():
                    t.data = t.data.abs().double()
        ones = torch.ones((1,) + tuple(batch.shape[1:]), dtype=torch.double,
                          device=batch.device)

        def run():
            forward(ones).sum().backward()
            return sum(float((p * p.grad).sum()) for p in model.parameters()
                       if p.grad is not None)
        score = _guarded("synflow", run)
    return _finite(math.log(score)) if score > 0 else None


def grad_norm_score(model, forward, batch, labels):
    if batch is None or labels is None:
        return None
    with _Preserve(model):
        model.train()

        def run():
            torch.nn.functional.cross_entropy(forward(batch), labels).backward()
            return sum(float(p.grad.norm()) for p in model.parameters() if p.grad is not None)
        return _finite(_guarded("grad_norm", run))


def _relu_catcher():
    from torch.utils._python_dispatch import TorchDispatchMode

    class Catcher(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.outputs = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if func._schema.name in ("aten::relu", "aten::relu_"):
                self.outputs.append(out.detach().clone())
            return out
    return Catcher()


def naswot_score(model, forward, batch):
    if batch is None or batch.dim() < 1 or batch.shape[0] < 2:
        return None
    n = batch.shape[0]
    with _Preserve(model):
        model.train()
        with torch.no_grad(), _relu_catcher() as catcher:
            _guarded("naswot", lambda: forward(batch))
    k = torch.zeros((n, n), dtype=torch.double)
    found = False
    for out in catcher.outputs:
        if out.dim() < 1 or out.shape[0] != n:
            continue
        c = (out.reshape(n, -1) > 0).double()
        k += c @ c.t() + (1 - c) @ (1 - c).t()
        found = True
    if not found:
        return None
    return _finite(float(torch.linalg.slogdet(k)[1]))


def jacob_cov_score(model, forward, batch):
    if batch is None or batch.dim() < 1 or batch.shape[0] < 2 or not batch.is_floating_point():
        return None
    n = batch.shape[0]
    with _Preserve(model):
        model.train()
        x = batch.detach().clone().requires_grad_(True)
        _guarded("jacob_cov", lambda: forward(x).sum().backward())
        if x.grad is None:
            return None
        j = x.grad.reshape(n, -1).double()
    j = j - j.mean(1, keepdim=True)
    norms = j.norm(dim=1, keepdim=True)
    if bool((norms == 0).any()):
        return None
    j = j / norms
    v = torch.linalg.eigvalsh(j @ j.t())
    eps = 1e-5
    return _finite(float(-(torch.log(v + eps) + 1.0 / (v + eps)).sum()))


def zero_cost_scores(model, forward=None, batch=None, labels=None):
    """Every score ``batch`` (and ``labels``) allows, as ``{key: value}`` (keys above).
    ``forward`` defaults to ``model``."""
    forward = forward or model
    scores = {"synflow": synflow_score(model, forward, batch),
              "grad_norm": grad_norm_score(model, forward, batch, labels),
              "naswot": naswot_score(model, forward, batch),
              "jacob_cov": jacob_cov_score(model, forward, batch)}
    return {k: round(v, 6) for k, v in scores.items() if v is not None}
