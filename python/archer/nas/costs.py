"""What an applied architecture costs: its parameter count, its multiply-accumulates for
one input and its measured latency — the C++ library's ``archer/nn/costs.h``, with the same
keys, rules and rounding, so ``constraints`` and ``objectives`` treat Python and LibTorch
trials alike.

  "params"      parameters the applied network uses (unchosen candidates excluded);
  "macs"        multiply-accumulates of one forward pass of the cost input's first sample;
  "latency_ms"  the median of ``latency_repeats`` timed forward passes of the whole cost
                input (after 2 untimed ones), in milliseconds, with torch's threads then.

Passes run in eval mode under ``torch.no_grad()``; every module's training flag and
torch's CPU random state are restored after (batch-norm statistics untouched).

MACs are counted at the aten operator level, as the C++ library's RecordFunction observer
does: convolutions (1-3 d, grouped, dilated, transposed), linear layers and matrix products
(mm, addmm, bmm, baddbmm, mv, addmv, dot; ``matmul`` and ``linear`` through the products
they run) are counted; normalisation, activations, pooling, element-wise arithmetic,
softmax, embeddings and upsampling are not. An operator is counted once, as itself (the
kernels it runs inside are not seen). A ``TorchDispatchMode`` observes the operators.
"""

import math
import statistics
import time

import torch

from archer.nas.mutables import chosen_parameters


class CostError(RuntimeError):
    """The costs cannot be measured (the cost input's forward pass raised)."""


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _shape(value):
    return tuple(value.shape) if isinstance(value, torch.Tensor) else ()


def _op_macs(name, args, out):
    """The multiply-accumulates of one aten operator call (0 for the uncounted ones)."""
    if name in ("aten::convolution", "aten::_convolution"):
        x, w = _shape(args[0]), _shape(args[1])
        if len(w) < 3:
            return 0
        kernel = _numel(w[2:])
        transposed = len(args) > 6 and args[6] is True
        return (_numel(x) if transposed else _numel(_shape(out))) * w[1] * kernel
    if name in ("aten::addmm", "aten::baddbmm", "aten::addmv"):
        a, b = _shape(args[1]), _shape(args[2])
    elif name in ("aten::mm", "aten::bmm", "aten::mv", "aten::dot", "aten::linear",
                  "aten::matmul"):
        a, b = _shape(args[0]), _shape(args[1])
    else:
        return 0
    if name == "aten::linear":
        return _numel(a) * b[0] if b else 0
    if name in ("aten::mm", "aten::addmm"):
        return _numel(a) * b[1] if len(b) == 2 else 0
    if name in ("aten::bmm", "aten::baddbmm"):
        return _numel(a) * b[2] if len(b) == 3 else 0
    if name == "aten::matmul":
        o = _shape(out)
        return _numel(o) * a[-1] if a and o else 0
    return _numel(a)  # mv, addmv, dot


def _dispatch_mode():
    try:
        from torch.utils._python_dispatch import TorchDispatchMode
    except ImportError:  # pragma: no cover (torch < 1.13)
        return None

    class MacCounter(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.macs = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            self.macs += _op_macs(func._schema.name, args, out)
            return out

    return MacCounter


def count_macs(forward):
    """Multiply-accumulates of the counted operators ``forward()`` runs (see above)."""
    counter_class = _dispatch_mode()
    if counter_class is None:
        raise CostError("counting MACs needs torch >= 1.13 (torch.utils._python_dispatch); "
                        "this is torch %s" % torch.__version__)
    with counter_class() as counter:
        forward()
    return counter.macs


def count_parameters(model):
    """The parameters the applied architecture uses (scalars)."""
    return sum(p.numel() for p in chosen_parameters(model))


def median_latency_ms(forward, warmup=2, repeats=10):
    """The median of ``repeats`` timed calls (after ``warmup`` untimed), in milliseconds."""
    for _ in range(warmup):
        forward()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        forward()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _human(v):
    if v >= 1e9:
        return "%.2fG" % (v / 1e9)
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e3:
        return "%.1fk" % (v / 1e3)
    return "%.0f" % v


class Costs:
    """An architecture's measured costs (``macs``/``latency_ms`` None without an input)."""

    def __init__(self, params, macs=None, latency_ms=None, latency_batch=0, threads=0):
        self.params = params
        self.macs = macs
        self.latency_ms = latency_ms
        self.latency_batch = latency_batch
        self.threads = threads

    def to_json(self):
        """{"params": n, "macs": n, "latency_ms": x} (the keys known; x to 4 decimals)."""
        out = {"params": self.params}
        if self.macs is not None:
            out["macs"] = self.macs
        if self.latency_ms is not None:
            out["latency_ms"] = math.floor(self.latency_ms * 1e4 + 0.5) / 1e4
        return out

    def dumps(self):
        import json
        return json.dumps(self.to_json())

    def describe(self):
        """"params 1.23M, macs 45.6M, latency 0.81 ms (batch 64, 2 threads)"."""
        s = "params " + _human(self.params)
        if self.macs is not None:
            s += ", macs " + _human(self.macs)
        if self.latency_ms is not None:
            s += ", latency %.3g ms (batch %d, %d thread%s)" % (
                self.latency_ms, self.latency_batch, self.threads,
                "" if self.threads == 1 else "s")
        return s


class _EvalScope:
    """Eval mode and no gradients; every module's training flag and torch's CPU random
    state back afterwards (training after measuring is as it would have been)."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.rng = torch.get_rng_state()
        self.flags = [(m, m.training) for m in self.model.modules()]
        self.model.eval()
        self.no_grad = torch.no_grad()
        self.no_grad.__enter__()

    def __exit__(self, *exc):
        self.no_grad.__exit__(*exc)
        for m, training in self.flags:
            m.training = training
        torch.set_rng_state(self.rng)


def measure_costs(model, forward=None, batch=None, latency_repeats=10):
    """All three for ``model`` (``forward(x)``, default ``model(x)``, runs it on ``x``;
    ``batch`` is the cost input, its first sample used for MACs). Without a batch only the
    parameters are counted. Raises CostError when the forward pass raises."""
    costs = Costs(count_parameters(model))
    if batch is None:
        return costs
    if not isinstance(batch, torch.Tensor):
        raise CostError("cost_input must be a torch.Tensor (a batch like those the network "
                        "serves), got %s" % type(batch).__name__)
    forward = forward or model
    one = batch[:1] if batch.dim() > 0 and batch.shape[0] > 1 else batch
    try:
        with _EvalScope(model):
            costs.macs = count_macs(lambda: forward(one))
            costs.latency_ms = median_latency_ms(lambda: forward(batch),
                                                 repeats=latency_repeats)
    except CostError:
        raise
    except Exception as e:  # the user's forward pass: its message, not its traceback
        raise CostError("measuring the architecture's costs: the forward pass of the cost "
                        "input (shape %s) raised: %s: %s"
                        % (list(batch.shape), type(e).__name__, str(e).split("\n")[0]))
    costs.latency_batch = batch.shape[0] if batch.dim() > 0 else 1
    costs.threads = torch.get_num_threads()
    return costs
