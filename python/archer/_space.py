"""Search spaces and architectures in NNI's JSON (standard library only).

The same rules and messages as the C++ library's ``archer/search_space.h``: an
architecture is checked against the space before anything is applied, and every
problem is one line naming its source (the file) and the key.
"""

import json

LAYER_CHOICE = "layer_choice"
INPUT_CHOICE = "input_choice"
_EXCERPT_CHARS = 100


class ArchitectureError(ValueError):
    """An architecture that does not fit the search space (the message names the
    source and the key)."""


class Choice:
    """One key of a search space: a layer choice (one of ``candidates``) or an input
    choice (``n_chosen`` of them; None: any number)."""

    __slots__ = ("key", "type", "candidates", "n_chosen")

    def __init__(self, key, type_, candidates, n_chosen=None):
        self.key = key
        self.type = type_
        self.candidates = list(candidates)
        self.n_chosen = n_chosen

    def __eq__(self, other):
        return (isinstance(other, Choice) and self.key == other.key and
                self.type == other.type and self.candidates == other.candidates and
                self.n_chosen == other.n_chosen)

    def to_json(self):
        if self.type == LAYER_CHOICE:
            return {"_type": LAYER_CHOICE, "_value": list(self.candidates)}
        return {"_type": INPUT_CHOICE,
                "_value": {"candidates": list(self.candidates), "n_chosen": self.n_chosen}}


def dumps_search_space(choices):
    """The search-space file's text, NNI's bytes (json.dump, keys sorted, indent 2)."""
    return json.dumps({c.key: c.to_json() for c in choices}, sort_keys=True, indent=2)


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def excerpt(value, max_chars=_EXCERPT_CHARS):
    """``value`` as JSON, cut to ``max_chars`` characters (then "...")."""
    if isinstance(value, str) and len(value) > max_chars * 4:
        value = value[:max_chars]
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= max_chars else text[:max_chars] + "..."


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _quote(key):
    return "'%s'" % key


def _index(choice, idx, what):
    where = "key %s: %s" % (_quote(choice.key), what)
    if not _is_int(idx):
        raise ArchitectureError("%s must be an integer index, got %s" % (where, excerpt(idx)))
    n = len(choice.candidates)
    if idx < 0 or idx >= n:
        raise ArchitectureError("%s = %d is out of range: the choice has %d candidates (0..%d)"
                                % (where, idx, n, n - 1))
    return idx


def _check_value(choice, idx, value, what):
    expected = choice.candidates[idx]
    if not isinstance(value, str) or value != expected:
        raise ArchitectureError('key %s: %s is %s but candidate %d is "%s"'
                                % (_quote(choice.key), what, excerpt(value), idx, expected))


def _decision(choice, entry):
    where = "key " + _quote(choice.key)
    if not isinstance(entry, dict) or "_value" not in entry or "_idx" not in entry:
        raise ArchitectureError('%s: expected an object {"_value": ..., "_idx": ...}, got %s'
                                % (where, excerpt(entry)))
    value, idx = entry["_value"], entry["_idx"]
    if choice.type == LAYER_CHOICE:
        i = _index(choice, idx, "_idx")
        _check_value(choice, i, value, "_value")
        return [i]
    if not isinstance(idx, list) or not isinstance(value, list):
        raise ArchitectureError("%s: an input choice needs lists in _value and _idx, got %s"
                                % (where, excerpt(entry)))
    if len(idx) != len(value):
        raise ArchitectureError("%s: _idx has %d entries but _value has %d"
                                % (where, len(idx), len(value)))
    chosen, seen = [], set()
    for k, (i, v) in enumerate(zip(idx, value)):
        i = _index(choice, i, "_idx[%d]" % k)
        _check_value(choice, i, v, "_value[%d]" % k)
        if i in seen:
            raise ArchitectureError('%s: input %d ("%s") is chosen twice, which is not allowed'
                                    % (where, i, choice.candidates[i]))
        seen.add(i)
        chosen.append(i)
    if choice.n_chosen is not None and len(chosen) != choice.n_chosen:
        raise ArchitectureError("%s: %d inputs chosen but n_chosen is %d"
                                % (where, len(chosen), choice.n_chosen))
    return chosen


def architecture_from_json(choices, architecture, source):
    """The chosen indices of every choice (in ``choices``' order) of ``architecture``
    (NNI's JSON: ``{key: {"_value": ..., "_idx": ...}}``); raises ArchitectureError
    naming ``source`` and the key."""
    if not isinstance(architecture, dict):
        raise ArchitectureError("%s: an architecture must be a JSON object, got %s"
                                % (source, _type_name(architecture)))
    keys = {c.key for c in choices}
    missing = [c.key for c in choices if c.key not in architecture]
    unexpected = [k for k in architecture if k not in keys]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(_quote(k) for k in missing))
        if unexpected:
            parts.append("unexpected " + ", ".join(_quote(k) for k in unexpected))
        raise ArchitectureError(
            "%s: the architecture's keys do not match the search space (%s); was the search "
            "space generated from this code? Regenerate it with `archer ss_gen`"
            % (source, "; ".join(parts)))
    decisions = []
    for c in choices:
        try:
            decisions.append(_decision(c, architecture[c.key]))
        except ArchitectureError as e:
            raise ArchitectureError("%s: %s" % (source, e)) from None
    return decisions


def first_architecture(choices):
    """Standalone mode's choice (NNI's): the first candidate of every layer choice, the
    first ``n_chosen`` inputs (all when n_chosen is None)."""
    out = []
    for c in choices:
        if c.type == LAYER_CHOICE:
            out.append([0])
        else:
            n = len(c.candidates) if c.n_chosen is None else c.n_chosen
            out.append(list(range(n)))
    return out


def architecture_to_json(choices, decisions):
    """NNI's architecture JSON of ``decisions`` (chosen indices per choice)."""
    out = {}
    for c, chosen in zip(choices, decisions):
        if c.type == LAYER_CHOICE:
            out[c.key] = {"_value": c.candidates[chosen[0]], "_idx": chosen[0]}
        else:
            out[c.key] = {"_value": [c.candidates[i] for i in chosen], "_idx": list(chosen)}
    return out
