"""Archer's trial SDK for Python trials (standard library only).

The same functions as NNI's ``nni`` trial API, speaking the same protocol, so that a Python
trial can run under Archer (or NNI) without NNI installed. ``import archer`` exports them;
``archer_trial`` (the module's name before the package) is this module too::

    import archer
    params = archer.get_next_parameter()
    archer.report_intermediate_result(0.5)
    archer.report_final_result({"default": 0.98, "loss": 0.1})

Platform, from the environment (read on first use):
* ``NNI_PLATFORM`` unset: standalone. ``get_next_parameter()`` returns ``{}``; results are
  logged to stdout; ids are ``"STANDALONE"``, the sequence id 0.
* ``NNI_PLATFORM=unittest``: ids ``"fakeidex"``/``"fakeidtr"``; parameters set with
  ``set_test_parameters()``; metrics kept in ``sent_metrics()``.
* anything else: reads ``$NNI_SYS_DIR/parameter.cfg`` and appends metrics to
  ``$NNI_OUTPUT_DIR/.nni/metrics`` as ``ME`` + 6-digit length + JSON + newline, the metric
  JSON-encoded into the ``value`` string.

A metric is a number or a dict with a numeric ``"default"``; anything else raises ValueError.

Costs (hardware-aware search, the same keys as the C++ library's ``archer/nn/costs.h``):
``PARAMS`` ("params"), ``MACS`` ("macs") and ``LATENCY_MS`` ("latency_ms") are the final
metric's keys for the parameter count, the multiply-accumulates of one input and the median
latency in milliseconds. A Python trial that computes them passes them to
``report_costs(params=..., macs=..., latency_ms=...)`` right after building its model: in
the manager's cost probe (``ARCHER_COST_PROBE`` set, used to check ``constraints`` before a
trial trains) that writes them and exits; otherwise they are added to the final metric, as
``with_costs(metric, ...)`` does by hand.
"""

import json
import os
import sys
import threading
import time

__all__ = [
    "get_next_parameter", "get_current_parameter", "report_intermediate_result",
    "report_final_result", "get_experiment_id", "get_trial_id", "get_sequence_id",
    "PARAMS", "MACS", "LATENCY_MS", "with_costs", "report_costs", "restart_count",
]

PARAMS = "params"
MACS = "macs"
LATENCY_MS = "latency_ms"

_PARAMETER_POLL_SECONDS = 0.05
_MAX_PAYLOAD = 999999
# The manager's limits for a JSON document (archer/json.h): the same here, so a
# value the manager would refuse is refused where it is made, with a message.
_JSON_MAX_BYTES = 64 << 20
_JSON_MAX_DEPTH = 64

_lock = threading.Lock()
_state = {"requested": False, "record": None, "intermediate_seq": None,
          "test_parameters": None, "sent": [], "costs": {}}


def _platform():
    value = os.environ.get("NNI_PLATFORM")
    if value is None:
        return "standalone"
    return "unittest" if value == "unittest" else "local"


def _required_env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            "environment variable %s is not set, but NNI_PLATFORM is %r: the trial must be "
            "started by an experiment (or unset NNI_PLATFORM)"
            % (name, os.environ.get("NNI_PLATFORM")))
    return value


def _log(level, message):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    stream = sys.stdout if level == "INFO" else sys.stderr
    stream.write("[%s] %s (%s) %s\n" % (stamp, level, "nni/MainThread" if level == "INFO"
                                                  else "archer", message))
    stream.flush()


def _write_frame(payload):
    if _platform() == "unittest":
        _state["sent"].append(payload)
        return
    data = (payload + "\n").encode("utf-8")
    if len(data) > _MAX_PAYLOAD:
        raise ValueError("metric too long: %d bytes, the metrics framing allows at most %d"
                         % (len(data), _MAX_PAYLOAD))
    directory = os.path.join(_required_env("NNI_OUTPUT_DIR"), ".nni")
    os.makedirs(directory, exist_ok=True)
    frame = b"ME" + b"%06d" % len(data) + data
    fd = os.open(os.path.join(directory, "metrics"), os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                 0o644)
    try:
        _write_all(fd, frame)
    finally:
        os.close(fd)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _replace_file(path, text):
    """Replaces ``path`` whole: a temporary file beside it (never a planted link), written,
    synced, renamed, so a full disk leaves the old file as it was. Raises OSError."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            _write_all(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _json_depth(value):
    """Nesting depth of a Python value (0 for a scalar), without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, (list, tuple)):
            children = v
        else:
            continue
        deepest = max(deepest, d + 1)
        if deepest > _JSON_MAX_DEPTH:
            return deepest
        todo.extend((c, d + 1) for c in children)
    return deepest


def _text_depth(text):
    """Deepest nesting of [ and { outside strings in JSON text."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


class ParameterFileError(SystemExit):
    """parameter.cfg cannot be used: the trial ends with one clear line on stderr,
    ``archer: error: <file>: <what is wrong>``, exit status 1 and no traceback, as with the
    C++ library. A SystemExit (its code the line, which Python prints when it exits), so that
    a trial's ``except Exception`` does not turn it into a traceback."""

    def __init__(self, message):
        super().__init__("archer: error: " + message)
        self.message = message

    def __str__(self):
        return self.message


def _read_regular_file(path):
    """The file's text; None while it does not exist. Never blocks on a FIFO."""
    import stat
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ParameterFileError("%s: expected a regular file" % path)
        if info.st_size > _JSON_MAX_BYTES:
            raise ParameterFileError("%s: file is %d bytes, at most %d are read"
                               % (path, info.st_size, _JSON_MAX_BYTES))
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(_JSON_MAX_BYTES + 1)
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParameterFileError("%s: not UTF-8 text (%s)" % (path, e)) from None


def _read_parameter_record():
    path = os.path.join(_required_env("NNI_SYS_DIR"), "parameter.cfg")
    announced = False
    while True:
        text = _read_regular_file(path)
        if text:
            break
        if not announced:
            request = {"trial_job_id": os.environ.get("NNI_TRIAL_JOB_ID", ""),
                       "type": "REQUEST_PARAMETER", "sequence": 0, "parameter_index": 0}
            _write_frame(json.dumps(request))
            _log("WARNING", "%s does not exist yet; waiting for the experiment to write it"
                 % path)
            announced = True
        time.sleep(_PARAMETER_POLL_SECONDS)
    if _text_depth(text) > _JSON_MAX_DEPTH:
        raise ParameterFileError("%s: invalid JSON: nested deeper than %d levels"
                           % (path, _JSON_MAX_DEPTH))
    try:
        record = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ParameterFileError("%s: invalid JSON: %s" % (path, str(e)[:200])) from None
    if not isinstance(record, dict) or "parameters" not in record:
        raise ParameterFileError('%s: expected a parameter record {"parameter_id": ..., '
                           '"parameters": ...}' % path)
    return record


def get_next_parameter():
    """The trial's parameters (the architecture, for classic NAS). Later calls return None."""
    with _lock:
        if _state["requested"]:
            _log("WARNING", "get_next_parameter() was already called; returning None (the "
                 "first result stays available via get_current_parameter())")
            return None
        platform = _platform()
        if platform == "standalone":
            _log("WARNING", "Running trial code without an experiment (NNI_PLATFORM is not "
                 "set); get_next_parameter() returns an empty dict")
            record = {"parameter_id": None, "parameters": {}}
        elif platform == "unittest":
            record = {"parameter_id": 0, "parameters": _state["test_parameters"]}
        else:
            record = _read_parameter_record()
        _state["record"] = record
        _state["requested"] = True
        return record["parameters"]


def get_current_parameter(tag=None):
    """The parameters returned by the first get_next_parameter() (one entry if tag is given)."""
    record = _state["record"]
    if record is None:
        return None
    params = record["parameters"]
    return params if tag is None else params[tag]


def _check_metric(metric, api):
    def is_number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)
    if not (is_number(metric) or
            (isinstance(metric, dict) and is_number(metric.get("default")))):
        raise ValueError('%s: a metric must be a number or a JSON object with a numeric '
                         '"default", got %s' % (api, repr(metric)[:100]))
    if _json_depth(metric) > _JSON_MAX_DEPTH:
        raise ValueError("%s: a metric nested more than %d levels deep; the manager accepts "
                         "at most %d" % (api, _JSON_MAX_DEPTH, _JSON_MAX_DEPTH))


def _send(metric_type, sequence, metric):
    if _platform() == "standalone":
        if metric_type == "FINAL":
            _log("INFO", "Final result: %s" % json.dumps(metric))
        else:
            _log("INFO", "Intermediate result: %s (Index %d)" % (json.dumps(metric), sequence))
        return
    record = _state["record"]
    parameter_id = record.get("parameter_id") if record else None
    payload = json.dumps({"parameter_id": parameter_id,
                          "trial_job_id": os.environ.get("NNI_TRIAL_JOB_ID", ""),
                          "type": metric_type, "sequence": sequence,
                          "value": json.dumps(metric)})
    _write_frame(payload)


def restart_count():
    """How many times this trial was started before, in its directory (0: its first start).

    A trial is started again when its Slurm job is requeued (preemption, a node failure): it
    keeps its id and its output directory (``NNI_OUTPUT_DIR``), so a trial that saves
    checkpoints there resumes from the last one when this is above 0. Its intermediate
    results then continue the sequence numbers of the earlier starts'."""
    try:
        return max(0, int(os.environ.get("ARCHER_TRIAL_RESTARTS", "0")))
    except ValueError:
        return 0


def _reported_sequences():
    """The next PERIODICAL sequence after those already in this trial's metrics file (a
    restart's earlier starts); 0 when there are none."""
    if restart_count() == 0 or _platform() in ("standalone", "unittest"):
        return 0
    path = os.path.join(_required_env("NNI_OUTPUT_DIR"), ".nni", "metrics")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return 0
    next_sequence, i = 0, 0
    while i + 8 <= len(data) and data[i:i + 2] == b"ME" and data[i + 2:i + 8].isdigit():
        n = int(data[i + 2:i + 8])
        try:
            record = json.loads(data[i + 8:i + 8 + n].decode("utf-8"))
            if record.get("type") == "PERIODICAL":
                next_sequence = max(next_sequence, int(record.get("sequence", -1)) + 1)
        except (ValueError, AttributeError, TypeError):
            pass  # a torn or foreign record: the manager skips it too
        i += 8 + n
    return next_sequence


def report_intermediate_result(metric):
    """Sends a PERIODICAL metric (sequence 0, 1, 2, ...; after a restart, continuing the
    earlier starts' sequence)."""
    _check_metric(metric, "report_intermediate_result")
    with _lock:
        if _state["intermediate_seq"] is None:
            _state["intermediate_seq"] = _reported_sequences()
        _send("PERIODICAL", _state["intermediate_seq"], metric)
        _state["intermediate_seq"] += 1


def _costs(api, params, macs, latency_ms):
    costs = {}
    for key, value in ((PARAMS, params), (MACS, macs), (LATENCY_MS, latency_ms)):
        if value is None:
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool) or \
                value != value or value in (float("inf"), float("-inf")) or value < 0:
            raise ValueError("%s: %s must be a finite number >= 0, got %s"
                             % (api, key, repr(value)[:100]))
        costs[key] = value
    return costs


def with_costs(metric, params=None, macs=None, latency_ms=None):
    """The final metric with the costs given added: a number becomes
    ``{"default": metric, "params": ..., ...}``; a dict gains the keys it lacks."""
    _check_metric(metric, "with_costs")
    merged = dict(metric) if isinstance(metric, dict) else {"default": metric}
    for key, value in _costs("with_costs", params, macs, latency_ms).items():
        merged.setdefault(key, value)
    return merged


def report_costs(params=None, macs=None, latency_ms=None):
    """The architecture's costs, right after the model is built. In the cost probe
    (``ARCHER_COST_PROBE=<path>``) writes them as JSON to <path> and exits with status 0;
    otherwise the final metric gains them (report_final_result)."""
    costs = _costs("report_costs", params, macs, latency_ms)
    probe = os.environ.get("ARCHER_COST_PROBE")
    if probe:
        _replace_file(probe, json.dumps(costs))
        sys.stdout.flush()
        os._exit(0)
    with _lock:
        _state["costs"] = costs


def _set_costs(costs):
    """The costs the final metric gains (measured by get_and_apply_next_architecture)."""
    with _lock:
        _state["costs"] = dict(costs)


def report_final_result(metric):
    """Sends the FINAL metric (with the costs given to report_costs())."""
    _check_metric(metric, "report_final_result")
    with _lock:
        costs = _state["costs"]
        if costs:
            metric = dict(metric) if isinstance(metric, dict) else {"default": metric}
            for key, value in costs.items():
                metric.setdefault(key, value)
        _send("FINAL", 0, metric)


def get_experiment_id():
    return {"standalone": "STANDALONE", "unittest": "fakeidex"}.get(
        _platform(), os.environ.get("NNI_EXP_ID", ""))


def get_trial_id():
    return {"standalone": "STANDALONE", "unittest": "fakeidtr"}.get(
        _platform(), os.environ.get("NNI_TRIAL_JOB_ID", ""))


def get_sequence_id():
    if _platform() != "local":
        return 0
    return int(os.environ.get("NNI_TRIAL_SEQ_ID", "0"))


def set_test_parameters(parameters):
    """Unittest platform: what get_next_parameter() returns."""
    _state["test_parameters"] = parameters


def sent_metrics():
    """Unittest platform: the metric payloads sent so far."""
    return list(_state["sent"])


def _reset_for_tests():
    with _lock:
        _state.update(requested=False, record=None, intermediate_seq=None, test_parameters=None,
                      sent=[], costs={})


def _report_main(argv):
    """`python3 archer_trial.py report <intermediate>... --final <json>`: a tiny trial used
    by Archer's tests to write a metric stream from Python."""
    args = argv[1:]
    if not args or args[0] != "report":
        sys.stderr.write("usage: archer_trial.py report [VALUE_JSON ...] --final VALUE_JSON\n")
        sys.exit(2)
    get_next_parameter()
    rest = args[1:]
    final = None
    if "--final" in rest:
        i = rest.index("--final")
        final = json.loads(rest[i + 1])
        rest = rest[:i]
    for value in rest:
        report_intermediate_result(json.loads(value))
    if final is not None:
        report_final_result(final)


if __name__ == "__main__":
    _report_main(sys.argv)
