"""``LayerChoice``, ``InputChoice`` and ``MutableScope``: NNI v2.8's classic-NAS mutables
(``nni.nas.pytorch.mutables``), with its signatures, keys and forward semantics.

Differences from NNI, all on the side of failing less or earlier: arguments are checked
when a mutable is built (ValueError/TypeError with a message, where NNI asserts); a plain
``dict``, a tuple, ``nn.ModuleList`` and ``nn.ModuleDict`` are accepted as candidates
besides NNI's list and ``OrderedDict``; a mutable can be deep-copied; once an architecture
is applied the chosen candidate is called directly, and the unchosen candidates are
released unless ``keep_unchosen=True`` (NNI keeps them all).
"""

import logging
import torch
from torch import nn
from torch.nn.modules import module as _torch_module

# What nn.Module.__call__ checks before calling forward directly (the same objects: torch
# mutates these dicts in place when global hooks are registered).
_GLOBAL_FORWARD_HOOKS = _torch_module._global_forward_hooks
_GLOBAL_FORWARD_PRE_HOOKS = _torch_module._global_forward_pre_hooks
_GLOBAL_BACKWARD_HOOKS = _torch_module._global_backward_hooks
_tracing = torch._C._get_tracing_state

_logger = logging.getLogger(__name__)
_REDUCTIONS = ("sum", "mean", "concat", "none")
_RESERVED = ("length", "reduction", "return_mask", "_key", "key", "names")
_counter = 0


def global_mutable_counting():
    """The next number of NNI's program-wide key counter (from 1): a mutable built
    without a key is named its class name followed by it (``LayerChoice1``)."""
    global _counter
    _counter += 1
    return _counter


def _reset_global_mutable_counting():
    """Counts keys from 1 again (NNI's helper, for building a second model)."""
    global _counter
    _counter = 0


def _reduce(reduction, outputs):
    """NNI's reduction of the chosen outputs: "none" a list; nothing chosen None; one
    output itself; else their sum, mean or concatenation along dimension 1."""
    if reduction == "none":
        return outputs
    if not outputs:
        return None
    if len(outputs) == 1:
        return outputs[0]
    if reduction == "sum":
        return sum(outputs)
    if reduction == "mean":
        return sum(outputs) / len(outputs)
    return torch.cat(outputs, dim=1)


def _check_reduction(owner, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError("%s: reduction must be one of %s, got %r"
                         % (owner, ", ".join(_REDUCTIONS), reduction))


class Mutable(nn.Module):
    """A module whose behaviour depends on a decision of the architecture, identified by
    its ``key`` (mutables sharing a key share one decision)."""

    def __init__(self, key=None):
        super().__init__()
        if key is not None:
            if not isinstance(key, str):
                key = str(key)
                _logger.warning('Warning: key "%s" is not string, converted to string.', key)
            self._key = key
        else:
            self._key = type(self).__name__ + str(global_mutable_counting())
        self._decision = None  # the chosen candidates' mask (a list of bools) once applied
        self._mask = None

    @property
    def key(self):
        """The mutable's key (read-only): its search-space key."""
        return self._key

    @property
    def name(self):
        """The module path in the model once the search space was collected, else the key."""
        return self.__dict__.get("_name", self._key)

    @name.setter
    def name(self, name):
        self.__dict__["_name"] = name

    @property
    def applied(self):
        """Whether an architecture has been applied."""
        return self._decision is not None

    @property
    def decision(self):
        """The indices of the chosen candidates (None before an architecture is applied)."""
        if self._decision is None:
            return None
        return [i for i, m in enumerate(self._decision) if m]

    def _not_applied(self):
        return ValueError(
            "%s %r was called before an architecture was applied: call "
            "get_and_apply_next_architecture(model) once the model is built, before its first "
            "forward pass (a mutable created in forward() is not part of the search space)"
            % (type(self).__name__, self._key))

    def _apply_decision(self, mask, release_unchosen):
        self._decision = list(mask)
        self._mask = torch.tensor(self._decision, dtype=torch.bool)

    def _plain_call(self):
        """Whether __call__ may skip nn.Module's machinery: no hook on this module or global,
        not tracing (what nn.Module.__call__ itself checks before calling forward)."""
        return not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or
                    _GLOBAL_FORWARD_HOOKS or _GLOBAL_FORWARD_PRE_HOOKS or
                    _GLOBAL_BACKWARD_HOOKS or _tracing())

    def _direct(self, n_chosen):
        """Whether forward() may return the one chosen candidate's result as it is (the
        reduction of one output is that output, except "none": a list)."""
        return n_chosen == 1 and not self.return_mask and self.reduction != "none"


class MutableScope(Mutable):
    """Marks a sub-module (a cell) whose key later ``InputChoice``s may name in
    ``choose_from``. Classic NAS decides nothing for it (NNI skips it too)."""

    def __init__(self, key):
        super().__init__(key=key)


class LayerChoice(Mutable):
    """Runs one of ``op_candidates`` (the architecture decides which) on the inputs.

    ``op_candidates``: a list (candidates named "0", "1", ...) or an ``OrderedDict``/dict of
    name -> module. ``reduction`` ("sum", "mean", "concat" along dim 1, "none": a list)
    combines several chosen outputs; ``return_mask`` returns ``(output, mask)``.
    """

    def __init__(self, op_candidates, reduction="sum", return_mask=False, key=None):
        super().__init__(key=key)
        owner = "LayerChoice %r" % self._key
        if isinstance(op_candidates, (dict, nn.ModuleDict)):
            items = list(op_candidates.items())
        elif isinstance(op_candidates, (list, tuple, nn.ModuleList)):
            items = [(str(i), m) for i, m in enumerate(op_candidates)]
        else:
            raise TypeError("Unsupported op_candidates type: {} (%s: expected a list or an "
                            "OrderedDict of modules)".format(type(op_candidates)) % owner)
        if not items:
            raise ValueError("%s: op_candidates is empty; a choice needs candidates" % owner)
        self.names = []
        for name, module in items:
            if not isinstance(name, str):
                raise TypeError("%s: candidate names must be strings, got %r" % (owner, name))
            if name in _RESERVED:
                raise ValueError("%s: %r is a reserved name (%s); name the candidate otherwise"
                                 % (owner, name, ", ".join(_RESERVED)))
            if not isinstance(module, nn.Module):
                raise TypeError("%s: candidate %r is a %s, not a torch.nn.Module"
                                % (owner, name, type(module).__name__))
            self.add_module(name, module)
            self.names.append(name)
        _check_reduction(owner, reduction)
        self.reduction = reduction
        self.return_mask = return_mask
        self._only = None  # the one chosen candidate's name, called directly

    def __getitem__(self, idx):
        name = idx if isinstance(idx, str) else self.names[idx]
        if name not in self._modules:
            if name in self.names:
                raise KeyError("candidate %r of %r was released when the architecture was "
                               "applied (get_and_apply_next_architecture(model, "
                               "keep_unchosen=True) keeps it)" % (name, self._key))
            raise KeyError(name)
        return self._modules[name]

    def __setitem__(self, idx, module):
        key = idx if isinstance(idx, str) else self.names[idx]
        setattr(self, key, module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in self.names[idx]:
                delattr(self, key)
        else:
            if isinstance(idx, str):
                key, idx = idx, self.names.index(idx)
            else:
                key = self.names[idx]
            delattr(self, key)
        del self.names[idx]

    @property
    def length(self):
        """Deprecated (NNI's): ``len(layer_choice)``."""
        return len(self)

    @property
    def choices(self):
        """Deprecated (NNI's): ``list(layer_choice)``."""
        return list(self)

    def __len__(self):
        return len(self.names)

    def __iter__(self):
        """The candidates (after the architecture is applied: those still held)."""
        return (self._modules[n] for n in self.names if n in self._modules)

    def _apply_decision(self, mask, release_unchosen):
        super()._apply_decision(mask, release_unchosen)
        chosen = [n for n, m in zip(self.names, mask) if m]
        if release_unchosen:
            for n, m in zip(self.names, mask):
                if not m:
                    del self._modules[n]
        self._only = chosen[0] if self._direct(len(chosen)) else None

    def is_unchosen(self, name):
        """Whether candidate ``name`` is not part of the applied architecture."""
        return self._decision is not None and not self._decision[self.names.index(name)]

    def __call__(self, *args, **kwargs):
        # An applied choice of one candidate is that candidate: called directly.
        only = self._only
        if only is not None and self._plain_call():
            return self._modules[only](*args, **kwargs)
        return super().__call__(*args, **kwargs)

    def forward(self, *args, **kwargs):
        only = self._only
        if only is not None:
            return self._modules[only](*args, **kwargs)
        if self._decision is None:
            raise self._not_applied()
        outputs = [self._modules[n](*args, **kwargs)
                   for n, m in zip(self.names, self._decision) if m]
        out = _reduce(self.reduction, outputs)
        return (out, self._mask) if self.return_mask else out


class InputChoice(Mutable):
    """Chooses ``n_chosen`` of the inputs it is given (None: any number) and reduces them.

    ``n_candidates`` or ``choose_from`` (source keys: "" — ``InputChoice.NO_KEY`` — or the
    key of a mutable or ``MutableScope`` defined before it); ``reduction`` and
    ``return_mask`` as for ``LayerChoice``. ``forward(inputs)`` takes a list in
    ``choose_from`` order or a dict keyed by ``choose_from``.
    """

    NO_KEY = ""

    def __init__(self, n_candidates=None, choose_from=None, n_chosen=None,
                 reduction="sum", return_mask=False, key=None):
        super().__init__(key=key)
        owner = "InputChoice %r" % self._key
        if n_candidates is None and choose_from is None:
            raise ValueError("%s: at least one of n_candidates and choose_from must be given"
                             % owner)
        if choose_from is not None:
            if isinstance(choose_from, str) or not all(isinstance(k, str) for k in choose_from):
                raise TypeError("%s: choose_from must be a list of keys (strings), got %r"
                                % (owner, choose_from))
            choose_from = list(choose_from)
        for name, value in (("n_candidates", n_candidates), ("n_chosen", n_chosen)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError("%s: %s must be an integer%s, got %r"
                                % (owner, name, " or None" if name == "n_chosen" else "",
                                   value))
        if choose_from is not None and n_candidates is None:
            n_candidates = len(choose_from)
        elif choose_from is None:
            choose_from = [self.NO_KEY] * max(n_candidates, 0)
        if n_candidates != len(choose_from):
            raise ValueError("%s: n_candidates is %d but choose_from has %d keys; they must "
                             "agree" % (owner, n_candidates, len(choose_from)))
        if n_candidates <= 0:
            raise ValueError("%s: the number of candidates must be greater than 0, got %d"
                             % (owner, n_candidates))
        if n_chosen is not None and not 0 <= n_chosen <= n_candidates:
            raise ValueError("%s: n_chosen must be None or in [0, %d], got %d"
                             % (owner, n_candidates, n_chosen))
        _check_reduction(owner, reduction)
        self.n_candidates = n_candidates
        self.choose_from = choose_from
        self.n_chosen = n_chosen
        self.reduction = reduction
        self.return_mask = return_mask
        self._only = None  # the one chosen input's index

    def _apply_decision(self, mask, release_unchosen):
        super()._apply_decision(mask, release_unchosen)
        chosen = [i for i, m in enumerate(mask) if m]
        self._chosen = chosen
        self._only = chosen[0] if self._direct(len(chosen)) else None

    def __call__(self, optional_inputs):
        # An applied choice of one input returns that input (after the checks forward does).
        if type(optional_inputs) is list and len(optional_inputs) == self.n_candidates and \
                self._decision is not None and self._plain_call():
            only = self._only
            if only is not None:
                return optional_inputs[only]
            if not self.return_mask:
                return _reduce(self.reduction, [optional_inputs[i] for i in self._chosen])
        return super().__call__(optional_inputs)

    def forward(self, optional_inputs):
        inputs = optional_inputs
        if isinstance(optional_inputs, dict):
            inputs = [optional_inputs[k] for k in self.choose_from]
        elif not isinstance(optional_inputs, (list, tuple)):
            raise TypeError("Optional input list must be a list, not a {}."
                            .format(type(optional_inputs)))
        if len(inputs) != self.n_candidates:
            raise ValueError("InputChoice %r: got %d inputs but it has %d candidates"
                             % (self._key, len(inputs), self.n_candidates))
        only = self._only
        if only is not None:
            return inputs[only]
        if self._decision is None:
            raise self._not_applied()
        out = _reduce(self.reduction, [t for t, m in zip(inputs, self._decision) if m])
        return (out, self._mask) if self.return_mask else out


def chosen_parameters(model):
    """The parameters the applied architecture uses: all but those reachable only through
    unchosen LayerChoice candidates (with the default release, ``model.parameters()``)."""
    seen_modules, seen_params, out = set(), set(), []

    def walk(module):
        if id(module) in seen_modules:
            return
        seen_modules.add(id(module))
        for p in module._parameters.values():
            if p is not None and id(p) not in seen_params:
                seen_params.add(id(p))
                out.append(p)
        for name, child in module._modules.items():
            if child is None:
                continue
            if isinstance(module, LayerChoice) and module.is_unchosen(name):
                continue
            walk(child)

    walk(model)
    return out


__all__ = ["chosen_parameters", "Mutable", "MutableScope", "LayerChoice", "InputChoice", "global_mutable_counting"]
