"""Archer's Python package: the trial SDK (standard library only) and classic NAS for
PyTorch, with NNI's names.

The trial SDK (NNI's ``nni.*`` trial functions, the same protocol)::

    import archer
    params = archer.get_next_parameter()
    archer.report_final_result(0.98)

Classic NAS (NNI v2.8's ``LayerChoice``, ``InputChoice``, ``get_and_apply_next_architecture``;
torch is imported only when one of these is first used)::

    from archer.nas import LayerChoice, InputChoice, get_and_apply_next_architecture

Experiments from Python and notebooks (NNI v2's ``nni.experiment.Experiment`` shape; it
drives the ``archer`` command)::

    exp = archer.Experiment('local')
    exp.config.trial_command = 'python3 trial.py'
    ...
    exp.run(8080)

Trials written for NNI (``import nni``, ``from nni.nas.pytorch.mutables import ...``) run
unchanged when NNI itself is not installed: see ``archer.nni_compat``.
"""

from archer.trial import (  # noqa: F401  (re-exported)
    LATENCY_MS, MACS, PARAMS, get_current_parameter, get_experiment_id, get_next_parameter,
    get_sequence_id, get_trial_id, report_costs, report_final_result,
    report_intermediate_result, restart_count, with_costs)

from archer.experiment import (  # noqa: F401  (re-exported; standard library only)
    AlgorithmConfig, ArcherError, Experiment, ExperimentConfig)

__version__ = "0.1.0"

# The classic-NAS names, imported from archer.nas (and so torch) on first use only.
_NAS_NAMES = ("LayerChoice", "InputChoice", "MutableScope", "Mutable",
              "get_and_apply_next_architecture", "apply_architecture",
              "applied_architecture", "search_space_of", "measure_costs")

__all__ = ["get_next_parameter", "get_current_parameter", "report_intermediate_result",
           "report_final_result", "get_experiment_id", "get_trial_id", "get_sequence_id",
           "PARAMS", "MACS", "LATENCY_MS", "with_costs", "report_costs", "restart_count",
           "__version__",
           "Experiment", "ExperimentConfig", "AlgorithmConfig", "ArcherError",
           *_NAS_NAMES]


def __getattr__(name):
    if name in _NAS_NAMES:
        from archer import nas
        return getattr(nas, name)
    raise AttributeError("module 'archer' has no attribute %r" % name)


def __dir__():
    return sorted(set(globals()) | set(_NAS_NAMES))
