"""NNI's import names for trials, served by Archer when NNI itself is not installed.

A trial written for NNI keeps its imports::

    import nni
    from nni.nas.pytorch.mutables import LayerChoice, InputChoice
    from nni.algorithms.nas.pytorch.classic_nas import get_and_apply_next_architecture  # 2.x
    from nni.nas.pytorch.classic_nas import get_and_apply_next_architecture             # 1.x

How: installing Archer's package puts ``archer-nni.pth`` in site-packages; Python runs it at
start-up and it *appends* a finder to ``sys.meta_path`` (``_archer_nni``). The import system
asks the finders in order, so this one is asked for ``nni`` only after every other finder
(site-packages, ``PYTHONPATH``, editable installs) found none: a real NNI, wherever it is
importable, is always the one imported, and then Archer serves nothing under ``nni.``.
Otherwise each name below is a small module re-exporting Archer's implementation (the same
classes and functions, so ``isinstance`` and the SDK's state are shared); any other
``nni.*`` name fails with a message saying what is provided. ``nni.__archer_compat__`` is
True. ``import nni`` alone does not import torch.
"""

import importlib.machinery
import sys
import types

# name -> (is a package, where its names come from, the names)
_SDK = ("get_next_parameter", "get_current_parameter", "report_intermediate_result",
        "report_final_result", "get_experiment_id", "get_trial_id", "get_sequence_id")
_MUTABLES = ("Mutable", "MutableScope", "LayerChoice", "InputChoice")
_CLASSIC = ("get_and_apply_next_architecture", "ClassicMutator")
MODULES = {
    "nni": (True, "archer.trial", _SDK),
    "nni.trial": (False, "archer.trial", _SDK),
    "nni.utils": (False, "archer.nni_compat", ("merge_parameter",)),
    "nni.nas": (True, None, ()),
    "nni.nas.pytorch": (True, None, ()),
    "nni.nas.pytorch.mutables": (False, "archer.nas.mutables", _MUTABLES),
    "nni.nas.pytorch.utils": (False, "archer.nas.mutables",
                              ("global_mutable_counting", "_reset_global_mutable_counting")),
    "nni.nas.pytorch.classic_nas": (True, "archer.nas.mutator", _CLASSIC),
    "nni.nas.pytorch.classic_nas.mutator": (False, "archer.nas.mutator", _CLASSIC),
    "nni.algorithms": (True, None, ()),
    "nni.algorithms.nas": (True, None, ()),
    "nni.algorithms.nas.pytorch": (True, None, ()),
    "nni.algorithms.nas.pytorch.classic_nas": (True, "archer.nas.mutator", _CLASSIC),
    "nni.algorithms.nas.pytorch.classic_nas.mutator": (False, "archer.nas.mutator", _CLASSIC),
}


def merge_parameter(base_params, override_params):
    """NNI's ``nni.utils.merge_parameter``: sets each of ``override_params`` (a dict, or None:
    nothing) on ``base_params`` (a dict or an argparse namespace), in place, and returns it.
    An unknown key raises ValueError; an int given for a float becomes a float; another type
    change raises ValueError."""
    if override_params is None:
        return base_params
    is_dict = isinstance(base_params, dict)
    for key, value in override_params.items():
        if (key not in base_params) if is_dict else not hasattr(base_params, key):
            raise ValueError("Key '%s' not found in base parameters." % key)
        base = base_params[key] if is_dict else getattr(base_params, key)
        if base is not None and not isinstance(value, type(base)):
            if isinstance(base, float) and isinstance(value, int) and \
                    not isinstance(value, bool):
                value = float(value)
            else:
                raise ValueError("Expected '%s' in override parameters to have type %s, got "
                                 "%r" % (key, type(base).__name__, value))
        if is_dict:
            base_params[key] = value
        else:
            setattr(base_params, key, value)
    return base_params


def is_compat(module):
    """Whether ``module`` (an ``nni`` module) is Archer's, not NNI's."""
    return bool(getattr(module, "__archer_compat__", False))


class _Loader:
    @staticmethod
    def create_module(spec):
        is_package, source, names = MODULES[spec.name]
        module = types.ModuleType(spec.name, "Archer's stand-in for NNI's %s (NNI is not "
                                  "installed); see archer.nni_compat" % spec.name)
        if source:
            implementation = __import__(source, fromlist=["_"])
            for name in names:
                setattr(module, name, getattr(implementation, name))
        module.__all__ = [n for n in names if not n.startswith("_")]
        module.__archer_compat__ = True
        return module

    @staticmethod
    def exec_module(module):
        pass


def find_spec(fullname):
    """The spec of Archer's stand-in for ``fullname`` (an ``nni`` name), None when a real
    NNI was imported; raises ModuleNotFoundError for a name Archer does not provide."""
    if fullname != "nni" and not is_compat(sys.modules.get("nni")):
        return None  # a real NNI's package: its own modules only
    if fullname not in MODULES:
        raise ModuleNotFoundError(
            "No module named %r: NNI is not installed, and Archer's stand-in provides NNI's "
            "trial API and classic NAS only (%s)" % (fullname, ", ".join(sorted(MODULES))),
            name=fullname)
    is_package = MODULES[fullname][0]
    return importlib.machinery.ModuleSpec(fullname, _Loader, is_package=is_package)
