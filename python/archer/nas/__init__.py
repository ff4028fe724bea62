"""Classic NAS for PyTorch: NNI v2.8's ``LayerChoice``, ``InputChoice``, ``MutableScope``
and ``get_and_apply_next_architecture`` (``nni.nas.pytorch.mutables`` and
``nni.algorithms.nas.pytorch.classic_nas``), plus the applied architecture's costs."""

try:
    import torch  # noqa: F401
except ImportError as e:  # one clear line instead of a traceback deep in the package
    raise ModuleNotFoundError(
        "archer.nas (LayerChoice, InputChoice, get_and_apply_next_architecture) needs PyTorch, "
        "which this Python (%s) cannot import (%s). On Debian 12: apt-get install "
        "python3-torch, and make venvs with --system-site-packages"
        % (__import__("sys").executable, e), name="torch") from None

from archer._space import ArchitectureError
from archer.nas.costs import CostError, Costs, measure_costs
from archer.nas.mutables import InputChoice, LayerChoice, Mutable, MutableScope
from archer.nas.mutator import (ClassicMutator, SearchSpaceError, applied_architecture,
                                apply_architecture, chosen_parameters,
                                get_and_apply_next_architecture, search_space_of)
from archer.nas.zero_cost import ZeroCostError, zero_cost_scores

__all__ = ["LayerChoice", "InputChoice", "MutableScope", "Mutable",
           "get_and_apply_next_architecture", "apply_architecture", "applied_architecture",
           "chosen_parameters", "search_space_of", "measure_costs", "Costs", "ClassicMutator",
           "ArchitectureError", "SearchSpaceError", "CostError", "zero_cost_scores",
           "ZeroCostError"]
