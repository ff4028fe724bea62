"""``get_and_apply_next_architecture(model)``: NNI's classic-NAS mutator
(``nni.algorithms.nas.pytorch.classic_nas``), with its three modes, and the same
checks, messages and costs as the C++ library's ``archer/nn/mutator.h``.

* ``NNI_GEN_SEARCH_SPACE=<path>``: writes the model's search space to <path> (NNI's exact
  bytes) and exits with status 0 (what ``archer ss_gen`` runs);
* ``NNI_PLATFORM`` unset: standalone, the first candidate(s) of every choice;
* in an experiment: the architecture in ``$NNI_SYS_DIR/parameter.cfg``, checked against the
  model's search space.

A bad parameter file, an architecture that does not fit the model or a model whose search
space is invalid ends the trial with one line on stderr (``archer: error: <file>: key
'...': ...``) and exit status 1, never a traceback (``exit_on_error=False``: raises instead).
"""

import os
import sys

from torch import nn

from archer import _space, trial
from archer._space import INPUT_CHOICE, LAYER_CHOICE, ArchitectureError, Choice
from archer.nas import costs as _costs
from archer.nas import runtime as _runtime
from archer.nas.costs import CostError as _CostError
from archer.nas.mutables import (InputChoice, LayerChoice, Mutable, MutableScope,
                                 chosen_parameters)


class SearchSpaceError(RuntimeError):
    """The model's mutables do not form a valid search space (a nested mutable, a shared key
    whose mutables differ, a choose_from key that did not appear before)."""


def _visit(model):
    """Every mutable in ``model``, pre-order in registration order, each module once, as
    (mutable, path); raises SearchSpaceError for a mutable nested in a mutable."""
    if not isinstance(model, nn.Module):
        raise TypeError("the model must be a torch.nn.Module, got %s" % type(model).__name__)
    seen, out = set(), []

    def walk(module, path, enclosing):
        if id(module) in seen:
            return
        seen.add(id(module))
        if isinstance(module, Mutable):
            if enclosing is not None and not isinstance(module, MutableScope):
                raise SearchSpaceError(
                    "Cannot have nested search space: '%s' (%s) is inside '%s' (%s)"
                    % (module.key, path, enclosing[0].key, enclosing[1]))
            module.name = path
            out.append((module, path))
            if not isinstance(module, MutableScope):
                enclosing = (module, path)
        for name, child in module._modules.items():
            if child is not None:
                walk(child, path + "." + name if path else name, enclosing)

    walk(model, "", None)
    return out


def _choice_of(mutable):
    if isinstance(mutable, LayerChoice):
        return Choice(mutable.key, LAYER_CHOICE, mutable.names)
    if isinstance(mutable, InputChoice):
        return Choice(mutable.key, INPUT_CHOICE, mutable.choose_from, mutable.n_chosen)
    raise TypeError("Unsupported mutable type: '%s' (key '%s'): classic NAS knows "
                    "LayerChoice, InputChoice and MutableScope" % (type(mutable), mutable.key))


def _collect(model):
    """(the search space's choices in first-appearance order, [(mutable, its choice)])."""
    choices, by_key, mutables, keys_before = [], {}, [], set()
    for mutable, path in _visit(model):
        if not isinstance(mutable, MutableScope):
            choice = _choice_of(mutable)
            if isinstance(mutable, InputChoice):
                for source in mutable.choose_from:
                    if source != InputChoice.NO_KEY and source not in keys_before:
                        raise SearchSpaceError(
                            "'%s' required by '%s' not found in keys that appeared before, "
                            'and is not NO_KEY ("")' % (source, choice.key))
            first = by_key.get(choice.key)
            if first is None:
                by_key[choice.key] = choice
                choices.append(choice)
            elif first != choice:
                raise SearchSpaceError(
                    "key '%s' is shared by mutables with different candidates (%s differs "
                    "from the first one); shared keys share one decision" % (choice.key, path))
            mutables.append((mutable, by_key[choice.key]))
        keys_before.add(mutable.key)
    return choices, mutables


def search_space_of(model):
    """The model's search space in NNI's JSON (a dict, keys in first-appearance order)."""
    choices, _ = _collect(model)
    return {c.key: c.to_json() for c in choices}


def _apply(choices, mutables, decisions, keep_unchosen):
    for mutable, _ in mutables:
        if mutable.applied:
            raise SearchSpaceError(
                "an architecture was already applied to this model (mutable '%s'): "
                "get_and_apply_next_architecture() may be called once per model" % mutable.key)
    index = {c.key: i for i, c in enumerate(choices)}
    for mutable, choice in mutables:
        chosen = set(decisions[index[choice.key]])
        mutable._apply_decision([i in chosen for i in range(len(choice.candidates))],
                                release_unchosen=not keep_unchosen)


def apply_architecture(model, architecture, source="architecture", keep_unchosen=False):
    """Checks ``architecture`` (NNI's JSON, or a parameter.cfg record with "parameters")
    against the model's search space and applies it (retraining a chosen architecture).
    Raises ArchitectureError (a ValueError) naming ``source`` and the key."""
    choices, mutables = _collect(model)
    decisions = _space.architecture_from_json(choices, architecture, source)
    _apply(choices, mutables, decisions, keep_unchosen)


def applied_architecture(model):
    """The architecture applied to ``model``, in NNI's JSON (keys in search-space order)."""
    choices, mutables = _collect(model)
    decided = {}
    for mutable, choice in mutables:
        if not mutable.applied:
            raise ValueError("no architecture has been applied to this model (mutable '%s')"
                             % mutable.key)
        decided.setdefault(choice.key, mutable.decision)
    return _space.architecture_to_json(choices, [decided[c.key] for c in choices])


def _write_file(path, text, what):
    """``path`` replaced whole by ``text`` (trial._replace_file); errors name ``what``."""
    try:
        trial._replace_file(path, text)
    except OSError as e:
        raise SearchSpaceError("cannot write %s to %s: %s" % (what, path, e.strerror or e)) \
            from None


def _sdk():
    """The trial SDK the trial uses: a real NNI already imported (as NNI's own mutator
    does), else Archer's."""
    nni = sys.modules.get("nni")
    if nni is not None and not getattr(nni, "__archer_compat__", False) and \
            hasattr(nni, "get_next_parameter"):
        return nni
    return None


def _next_parameters():
    nni = _sdk()
    if nni is not None:
        return nni.get_next_parameter()
    if trial._state["requested"]:  # the trial asked first (HPO + NAS): the same record
        return trial.get_current_parameter()
    return trial.get_next_parameter()


def _resolve(model, choices):
    """(mode, decisions) for this run: "search_space", "standalone" or "experiment"."""
    if "NNI_GEN_SEARCH_SPACE" in os.environ:
        return "search_space", None
    platform = os.environ.get("NNI_PLATFORM")
    parameters = None
    if platform is not None:
        parameters = _next_parameters()
        if parameters is None and platform != "unittest":
            raise SearchSpaceError("Chosen architecture is None (parameter.cfg has no "
                                   "parameters). This may be a platform error.")
    if parameters is None:
        trial._log("WARNING", "Running without an experiment (NNI_PLATFORM is not set): "
                   "using the first candidate of every choice")
        return "standalone", _space.first_architecture(choices)
    source = os.path.join(os.environ.get("NNI_SYS_DIR") or ".", "parameter.cfg")
    return "experiment", _space.architecture_from_json(choices, parameters, source)


def _fail(message):
    """Ends the trial: Python prints the SystemExit's text, exit status 1, no traceback (and
    a trial's ``except Exception`` does not catch it)."""
    sys.stdout.flush()
    raise SystemExit("archer: error: " + message)


def get_and_apply_next_architecture(model, keep_unchosen=False, cost_input=None,
                                    cost_forward=None, report_costs=True, latency_repeats=10,
                                    exit_on_error=True):
    """Fixes one architecture of ``model`` (NNI's function; the keyword arguments are
    Archer's):

    * ``keep_unchosen``: keep the unchosen LayerChoice candidates (NNI's behaviour); by
      default they are released, so parameters(), to(), state_dict() and the optimizer see
      only what runs;
    * ``cost_input``: a batch like those the network serves: its MACs (of its first sample)
      and latency (of the whole batch) join the parameter count as the architecture's costs
      (hardware-aware search, docs/hardware-aware.md); ``cost_forward(x)`` replaces
      ``model(x)`` when the forward pass takes other arguments;
    * ``report_costs``: measure the costs, print them on stderr and add them to the final
      metric ("params", "macs", "latency_ms"); False keeps NNI's metric bytes (the cost
      probe, ``ARCHER_COST_PROBE``, measures anyway: it writes them and exits 0);
    * ``exit_on_error``: on a bad parameter file or architecture print one line and exit 1
      (default), or raise (ArchitectureError, SearchSpaceError).

    Call it once the model is built and before loading data: ss_gen and the cost probe
    exit here. May be called once per model.
    """
    try:
        choices, mutables = _collect(model)
        mode, decisions = _resolve(model, choices)
        if mode == "search_space":
            _write_file(os.environ["NNI_GEN_SEARCH_SPACE"],
                        _space.dumps_search_space(choices), "the search space")
            sys.stdout.flush()
            sys.exit(0)
        _apply(choices, mutables, decisions, keep_unchosen)
        _runtime.apply_runtime_defaults()  # the training that follows runs faster
        probe = os.environ.get("ARCHER_COST_PROBE")
        if not probe and not report_costs:
            return
        measured = _costs.measure_costs(model, cost_forward, cost_input,
                                        latency_repeats=latency_repeats)
        if probe:
            _write_file(probe, measured.dumps(), "the costs")
            sys.stdout.flush()
            sys.exit(0)
        sys.stderr.write("archer: costs: %s\n" % measured.describe())
        sys.stderr.flush()
        trial._set_costs(measured.to_json())
    except (ArchitectureError, SearchSpaceError, _CostError) as e:
        if not exit_on_error:
            raise
        _fail(str(e))


class ClassicMutator:
    """NNI's class name for the same thing: ``ClassicMutator(model)`` applies the next
    architecture to ``model`` (as ``get_and_apply_next_architecture(model)``)."""

    def __init__(self, model):
        get_and_apply_next_architecture(model)
        self.model = model

    def export(self):
        return applied_architecture(self.model)
