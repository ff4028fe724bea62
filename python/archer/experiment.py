"""Experiments from Python and notebooks, with NNI v2's ``nni.experiment.Experiment`` shape.

    from archer import Experiment
    exp = Experiment('local')
    exp.config.trial_command = 'python3 trial.py'
    exp.config.search_space = {'conv': {'_type': 'layer_choice', '_value': ['3x3', '5x5']}}
    exp.config.tuner.name = 'RegularizedEvolutionTuner'
    exp.config.max_trial_number = 20
    exp.config.trial_concurrency = 2
    exp.run(8080)
    print(exp.best_architecture())

Standard library only. It drives the ``archer`` command (found through ``ARCHER_CLI`` or on
``PATH``): the config is checked by Archer itself, so a mistake raises :class:`ArcherError`
with the CLI's message; reads (status, trials, metrics, export) come from the experiment's
store, so they work whether its manager runs or not. Differences from NNI are listed in
docs/python.md ("Experiments from Python").
"""

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

__all__ = ["Experiment", "ExperimentConfig", "AlgorithmConfig", "ArcherError",
           "TrialResult", "TrialMetricData", "TrialJob", "find_cli"]

# Config keys that name files or directories: made absolute against the current
# directory when the experiment starts (NNI's Python API does the same).
_PATH_KEYS = {"trialCodeDirectory", "searchSpaceFile", "experimentWorkingDirectory",
              "codeDirectory"}


class ArcherError(RuntimeError):
    """What the ``archer`` command refused, with its message (``archer: error:`` removed)."""


def find_cli() -> str:
    """The ``archer`` command: ``$ARCHER_CLI`` if set, else ``archer`` on ``PATH``."""
    given = os.environ.get("ARCHER_CLI")
    if given:
        if os.path.isfile(given) and os.access(given, os.X_OK):
            return given
        raise ArcherError("ARCHER_CLI=%s: not an executable file; set it to the archer "
                          "command's path, or unset it to use the one on PATH" % given)
    found = shutil.which("archer")
    if found:
        return found
    raise ArcherError("the archer command was not found on PATH: install Archer "
                      "(apt install ./archer_<version>_amd64.deb, or cmake --install from a "
                      "build) or set ARCHER_CLI to the command's path")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _plain(value):
    """`value` as JSON data: config sections become mappings with camelCase keys."""
    if isinstance(value, _Section):
        return value._to_json()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


class _Section:
    """A config mapping written with NNI's snake_case names (``class_args``); any name
    may be set (Archer checks it, with a did-you-mean), the known ones read as None
    when unset."""

    _known: tuple = ()

    def __init__(self, **values):
        object.__setattr__(self, "_values", {})
        for k, v in values.items():
            setattr(self, k, v)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            raise AttributeError("%s: %r is not a config field" % (type(self).__name__, name))
        self._values[name] = value

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        if name in type(self)._known:
            return None
        raise AttributeError("%s has no field %r (known: %s)"
                             % (type(self).__name__, name, ", ".join(type(self)._known)))

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__,
                           ", ".join("%s=%r" % kv for kv in self._values.items()))

    def _to_json(self) -> dict:
        return {_camel(k): _plain(v) for k, v in self._values.items() if v is not None}


class AlgorithmConfig(_Section):
    """A tuner, assessor or advisor: ``name`` (a built-in's) or ``class_name`` +
    ``code_directory`` (a customised one), and ``class_args``."""

    _known = ("name", "class_args", "class_name", "code_directory")

    def __init__(self, **values):
        super().__init__(**values)
        if self.class_args is None:
            self.class_args = {}

    def _to_json(self):
        out = super()._to_json()
        if not self.class_args:
            out.pop("classArgs", None)
        return out if (self.name or self.class_name) else {}


class TrainingServiceConfig(_Section):
    """``trainingService``: ``platform`` (local, remote, slurm) and its keys in
    snake_case (``use_active_gpu``, ``machine_list``, ``partition``, ``pilot``, ...).
    In a list (NNI's hybrid mode) each may have its own ``trial_concurrency``."""

    _known = ("platform", "trial_concurrency")


class ExperimentConfig(_Section):
    """NNI v2's experiment config, field for field (snake_case, as NNI's Python
    ``ExperimentConfig``), plus Archer's ``constraints``, ``objectives`` and
    ``cost_probe_timeout``. ``search_space`` is a dict; ``search_space_file`` a path."""

    _known = ("experiment_name", "search_space_file", "search_space", "trial_command",
              "trial_code_directory", "trial_concurrency", "trial_gpu_number",
              "max_experiment_duration", "max_trial_number", "max_trial_duration",
              "nni_manager_ip", "use_annotation", "debug", "log_level",
              "experiment_working_directory", "tuner", "assessor", "advisor",
              "training_service", "python_interpreter", "tuner_gpu_indices",
              "constraints", "objectives", "cost_probe_timeout")

    def __init__(self, training_service_platform=None, **values):
        super().__init__(**values)
        if self.tuner is None:
            self.tuner = AlgorithmConfig()
        if self.assessor is None:
            self.assessor = AlgorithmConfig()
        if self.training_service is None and training_service_platform:
            if isinstance(training_service_platform, (list, tuple)):
                # NNI's hybrid mode: several platforms at once.
                self.training_service = [TrainingServiceConfig(platform=p)
                                         for p in training_service_platform]
            else:
                self.training_service = TrainingServiceConfig(
                    platform=training_service_platform)
        if self.trial_code_directory is None:
            self.trial_code_directory = "."

    def to_v2(self, base_dir: Optional[str] = None) -> dict:
        """The config as Archer and NNI read it (v2, camelCase), relative paths made
        absolute against `base_dir` (default: the current directory)."""
        base = os.path.abspath(base_dir or os.getcwd())

        def absolute(node):
            if isinstance(node, dict):
                return {k: (os.path.join(base, os.path.expanduser(v))
                            if k in _PATH_KEYS and isinstance(v, str) else absolute(v))
                        for k, v in node.items() if v != {}}
            if isinstance(node, list):
                return [absolute(v) for v in node]
            return node

        return absolute(self._to_json())


@dataclass
class TrialResult:
    """One trial in ``export_data()``, as NNI's: its architecture, its final result
    (parsed JSON), its id."""
    parameter: dict
    value: Any
    trialJobId: str


@dataclass
class TrialMetricData:
    """One metric, as NNI's: ``type`` is FINAL or PERIODICAL, ``data`` the parsed value."""
    timestamp: Optional[int]
    trialJobId: str
    parameterId: Optional[int]
    type: str
    sequence: int
    data: Any


@dataclass
class TrialJob:
    """One trial in ``list_trial_jobs()`` (``archer trial ls --json``'s keys)."""
    trialJobId: str
    sequenceId: int
    status: str
    startTime: Optional[int]
    endTime: Optional[int]
    parameter: dict
    value: Any = None
    message: str = ""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)
    platform: str = ""  # where it ran (several platforms: which one)
    where: str = ""     # the platform and its handle (a pid, a host, a Slurm job)


_FINISHED = ("DONE", "STOPPED", "ERROR")


class Experiment:
    """An Archer experiment, started from a config or connected to by id.

    ``Experiment('local')`` (or ``'remote'``, ``'slurm'``, or a list of them: NNI's hybrid
    mode) gives a blank config for that training service; ``Experiment(config)`` takes an
    :class:`ExperimentConfig`.
    """

    def __init__(self, config_or_platform=None):
        if isinstance(config_or_platform, ExperimentConfig):
            self.config = config_or_platform
        else:
            self.config = ExperimentConfig(config_or_platform or "local")
        self.id: Optional[str] = None
        self.port: Optional[int] = None
        self.url: Optional[str] = None
        self._working_dir: Optional[str] = None
        self._viewer: Optional[subprocess.Popen] = None

    # --- running -------------------------------------------------------------------------
    def start(self, port: int = 8080, debug: bool = False) -> None:
        """Starts the experiment in the background (its manager outlives this process
        until it is stopped). ``port=0`` takes any free port. Raises ArcherError with
        the CLI's message when the config is refused."""
        if self.id is not None:
            raise ArcherError("experiment %s was started already" % self.id)
        port = _port(port)
        v2 = self.config.to_v2()
        try:
            text = json.dumps(v2, indent=2, allow_nan=False)  # JSON is YAML
        except (TypeError, ValueError) as e:
            raise ArcherError("config: every value must be JSON data (str, number, bool, "
                              "None, list, dict): %s" % e) from None
        self._working_dir = v2.get("experimentWorkingDirectory")
        with tempfile.TemporaryDirectory(prefix="archer-config-") as tmp:
            path = os.path.join(tmp, "config.yml")
            with open(path, "w") as f:
                f.write(text)
            args = ["create", "--config", path, "--port", str(port)]
            if debug:
                args.append("--debug")
            out = self._cli(*args, config_file=path)
        self._started(out)

    def _started(self, out: str) -> None:
        """Reads what `archer create` / `resume` printed."""
        m = re.search(r"^Experiment (\S+) (?:started|resumed): (.*)$", out, re.M)
        if not m:
            raise ArcherError("archer said something unexpected:\n" + out)
        self.id = m.group(1)
        # As NNI's: an experiment started from Python stops when Python exits.
        atexit.register(self.stop)
        url = re.search(r"^Web UI: (\S+)", out, re.M)
        self._set_url(url.group(1) if url else None)

    def _set_url(self, url: Optional[str]) -> None:
        """The web UI's address and its port."""
        self.url = url
        p = re.search(r"127\.0\.0\.1:(\d+)", url or "")
        self.port = int(p.group(1)) if p else None

    def run(self, port: int = 8080, wait_completion: bool = True, debug: bool = False,
            poll_seconds: float = 1.0) -> Optional[bool]:
        """Starts the experiment and, with `wait_completion`, prints its progress until
        it ends: True when DONE (or STOPPED), False on ERROR. Ctrl-C (KeyboardInterrupt)
        stops it (no manager is left behind) and returns False."""
        self.start(port, debug)
        print("Experiment %s started%s" % (self.id, ": " + self.url if self.url else ""))
        if not wait_completion:
            return None
        try:
            return self._wait(poll_seconds)
        except KeyboardInterrupt:
            print("KeyboardInterrupt: stopping experiment %s" % self.id, file=sys.stderr)
            self.stop()
            return False

    def _wait(self, poll_seconds: float) -> bool:
        last = None
        while True:
            summary = self.summary()
            line = _progress_line(summary)
            if line != last:
                print(line, flush=True)
                last = line
            if summary["status"] in _FINISHED:
                return summary["status"] != "ERROR"
            time.sleep(poll_seconds)

    def stop(self) -> None:
        """Stops the experiment (its running trials are cancelled) or the viewer."""
        if self._viewer is not None:
            self._viewer.terminate()
            try:
                self._viewer.wait(10)
            except subprocess.TimeoutExpired:
                self._viewer.kill()
            self._viewer = None
            return
        atexit.unregister(self.stop)
        if self.id is not None and self._alive():
            self._cli("stop", self.id, *self._wd())

    @classmethod
    def connect(cls, id_or_port, experiment_working_directory: Optional[str] = None):
        """The experiment `id_or_port`: an experiment id (running or not), or, as NNI's
        ``connect(port)``, the port of a running one."""
        exp = cls(None)
        exp._working_dir = experiment_working_directory
        if isinstance(id_or_port, int):
            profile = _get_json("http://127.0.0.1:%d/api/v1/nni/experiment" % id_or_port)
            exp.id = profile.get("id")
        else:
            exp.id = str(id_or_port)
        entry = exp._entry()
        exp.port = entry.get("port")
        if exp.port:
            exp.url = "http://127.0.0.1:%d/" % exp.port
        return exp

    @classmethod
    def resume(cls, experiment_id: str, port: int = 8080, wait_completion: bool = True,
               debug: bool = False, experiment_working_directory: Optional[str] = None):
        """Continues a stopped experiment (``archer resume``: running trials adopted, ids
        continue, the tuner rebuilt). Returns the experiment (NNI returns it only when
        not waiting)."""
        exp = cls(None)
        exp.id = str(experiment_id)
        exp._working_dir = experiment_working_directory
        args = ["resume", exp.id, "--port", str(_port(port)), *exp._wd()]
        if debug:
            args.append("--debug")
        exp._started(exp._cli(*args))
        if wait_completion:
            try:
                exp._wait(1.0)
            except KeyboardInterrupt:
                exp.stop()
        return exp

    @classmethod
    def view(cls, experiment_id: str, port: int = 8080, non_blocking: bool = True,
             experiment_working_directory: Optional[str] = None):
        """Serves a stopped experiment's web UI and REST API read-only (``archer view``).
        Returns the experiment; ``stop()`` ends the viewer. With ``non_blocking=False``
        it serves until Ctrl-C."""
        exp = cls.connect(experiment_id, experiment_working_directory)
        cmd = [find_cli(), "view", exp.id, "--foreground", "--port", str(_port(port)),
               *exp._wd()]
        exp._viewer = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True)
        line = exp._viewer.stdout.readline()
        while line and "Web UI:" not in line and "REST API:" not in line:
            line = exp._viewer.stdout.readline()
        if not line:
            code = exp._viewer.wait()
            exp._viewer = None
            raise ArcherError("archer view %s ended (status %d)" % (experiment_id, code))
        m = re.search(r"(http://\S+)", line)
        exp._set_url(m.group(1) if m else None)
        if not non_blocking:
            try:
                exp._viewer.wait()
            except KeyboardInterrupt:
                exp.stop()
        return exp

    # --- reading ------------------------------------------------------------------------
    def get_status(self) -> str:
        """INITIALIZED, RUNNING, NO_MORE_TRIAL, DONE, STOPPED or ERROR (from the store)."""
        return json.loads(self._cli("experiment", "status", self._id(), *self._wd()))["status"]

    def summary(self) -> dict:
        """``archer experiment show --json``: id, dir, status, message, trials, byStatus,
        best {trialJobId, value, parameter}, pareto, costProbes."""
        return json.loads(self._cli("experiment", "show", self._id(), "--json", *self._wd()))

    def list_trial_jobs(self) -> List[TrialJob]:
        rows = json.loads(self._cli("trial", "ls", self._id(), "--json", *self._wd()))
        return [TrialJob(r["trialJobId"], r["sequenceId"], r["status"], r.get("startTime"),
                         r.get("endTime"), r.get("parameter") or {}, r.get("value"),
                         r.get("message") or "", r, r.get("platform") or "",
                         r.get("where") or "") for r in rows]

    def get_trial_job(self, trial_job_id: str) -> TrialJob:
        for t in self.list_trial_jobs():
            if t.trialJobId == trial_job_id:
                return t
        raise ArcherError("experiment %s has no trial %r" % (self.id, trial_job_id))

    def get_job_statistics(self) -> List[dict]:
        """[{"trialJobStatus": status, "trialJobNumber": n}], as NNI's."""
        counts = self.summary().get("byStatus") or {}
        return [{"trialJobStatus": s, "trialJobNumber": n} for s, n in sorted(counts.items())]

    def export_data(self) -> List[TrialResult]:
        """Every trial with a final result: what ``archer experiment export --type json``
        writes, as NNI's TrialResult objects."""
        return [TrialResult(r["parameter"], _json_or_text(r["value"]), r["trialJobId"])
                for r in self._export(False) if r.get("value") not in (None, "")]

    def get_job_metrics(self, trial_job_id: Optional[str] = None
                        ) -> Dict[str, List[TrialMetricData]]:
        """{trial id: its metrics in order (PERIODICAL ones, then the FINAL)}."""
        out: Dict[str, List[TrialMetricData]] = {}
        for r in self._export(True):
            tid = r["trialJobId"]
            if trial_job_id is not None and tid != trial_job_id:
                continue
            metrics = out.setdefault(tid, [])
            for i, v in enumerate(r.get("intermediate") or []):
                metrics.append(TrialMetricData(None, tid, None, "PERIODICAL", i,
                                               _json_or_text(v)))
            if r.get("value") not in (None, ""):
                metrics.append(TrialMetricData(r.get("endTime"), tid, None, "FINAL", 0,
                                               _json_or_text(r["value"])))
        return out

    def best_architecture(self) -> Optional[dict]:
        """The best trial's architecture (the experiment's direction), or None."""
        best = self.summary().get("best")
        return best["parameter"] if best else None

    def best_trial(self) -> Optional[dict]:
        """{trialJobId, value, parameter} of the best trial, or None."""
        return self.summary().get("best")

    def trials_dataframe(self):
        """The trials as a pandas DataFrame (one row per trial: id, sequence, status,
        value, times, and each choice's value as a column). Needs pandas."""
        try:
            import pandas
        except ImportError:
            raise ArcherError("trials_dataframe() needs pandas (pip install pandas); "
                              "list_trial_jobs() gives the same as plain objects") from None
        rows = []
        for t in self.list_trial_jobs():
            row = {"trialJobId": t.trialJobId, "sequenceId": t.sequenceId,
                   "status": t.status, "value": t.value, "startTime": t.startTime,
                   "endTime": t.endTime}
            for key, choice in (t.parameter or {}).items():
                row[key] = choice.get("_value") if isinstance(choice, dict) else choice
            rows.append(row)
        return pandas.DataFrame(rows)

    # --- changing ----------------------------------------------------------------------
    def update_trial_concurrency(self, value: int) -> None:
        self._cli("update", "concurrency", self._id(), "--value", str(value), *self._wd())

    def update_max_trial_number(self, value: int) -> None:
        self._cli("update", "trialnum", self._id(), "--value", str(value), *self._wd())

    def update_max_experiment_duration(self, value) -> None:
        """`value`: seconds, or a duration such as "2h"."""
        self._cli("update", "duration", self._id(), "--value", str(value), *self._wd())

    def update_search_space(self, value: dict) -> None:
        with tempfile.TemporaryDirectory(prefix="archer-space-") as tmp:
            path = os.path.join(tmp, "search_space.json")
            with open(path, "w") as f:
                json.dump(value, f)
            self._cli("update", "searchspace", self._id(), "--filename", path, *self._wd())

    def kill_trial_job(self, trial_job_id: str) -> None:
        self._cli("trial", "kill", self._id(), "--trial_id", trial_job_id, *self._wd())

    def import_data(self, data: List[dict]) -> None:
        """Feeds past results ({"parameter": ..., "value": ...}) to the running tuner."""
        with tempfile.TemporaryDirectory(prefix="archer-import-") as tmp:
            path = os.path.join(tmp, "import.json")
            with open(path, "w") as f:
                json.dump(data, f)
            self._cli("experiment", "import", self._id(), "--filename", path, *self._wd())

    # --- notebooks ----------------------------------------------------------------------
    def __repr__(self):
        if self.id is None:
            return "<archer.Experiment (not started)>"
        try:
            return "<archer.Experiment %s: %s>" % (self.id, _progress_line(self.summary()))
        except ArcherError as e:
            return "<archer.Experiment %s: %s>" % (self.id, e)

    def _repr_html_(self):
        import html
        if self.id is None:
            return "<b>archer.Experiment</b> (not started)"
        try:
            s = self.summary()
        except ArcherError as e:
            return "<b>archer.Experiment %s</b>: %s" % (html.escape(self.id), html.escape(str(e)))
        counts = ", ".join("%s %d" % (html.escape(k), v)
                           for k, v in sorted((s.get("byStatus") or {}).items()))
        best = s.get("best")
        rows = [("status", html.escape(s["status"]) + (" — " + html.escape(s["message"])
                                                        if s.get("message") else "")),
                ("trials", "%d (%s)" % (s.get("trials", 0), counts or "none yet")),
                ("best", html.escape("%s (trial %s)" % (json.dumps(best["value"]),
                                                         best["trialJobId"]))
                 if best else "—")]
        if self.url:
            rows.append(("web UI", '<a href="%s" target="_blank">%s</a>'
                         % (html.escape(self.url), html.escape(self.url))))
        body = "".join("<tr><th style='text-align:left'>%s</th><td style='text-align:left'>"
                       "%s</td></tr>" % r for r in rows)
        return "<b>archer.Experiment %s</b><table>%s</table>" % (html.escape(self.id), body)

    # --- plumbing -----------------------------------------------------------------------
    def _id(self) -> str:
        if self.id is None:
            raise ArcherError("the experiment has not been started (run() or start()), "
                              "nor connected to (Experiment.connect(id))")
        return self.id

    def _wd(self) -> List[str]:
        return (["--experiment_working_directory", self._working_dir]
                if self._working_dir else [])

    def _entry(self) -> dict:
        for e in json.loads(self._cli("experiment", "list", "--json", *self._wd())):
            if e.get("id") == self.id:
                return e
        raise ArcherError("no experiment %r under %s" % (
            self.id, self._working_dir or "the default working directory"))

    def _alive(self) -> bool:
        """True while a manager serves the experiment."""
        try:
            return bool(self._entry().get("port"))
        except ArcherError:
            return False

    def _export(self, intermediate: bool) -> List[dict]:
        with tempfile.TemporaryDirectory(prefix="archer-export-") as tmp:
            path = os.path.join(tmp, "export.json")
            args = ["experiment", "export", self._id(), "--type", "json", "--filename", path]
            if intermediate:
                args.append("--intermediate")
            self._cli(*args, *self._wd())
            with open(path) as f:
                return json.load(f)

    @staticmethod
    def _cli(*args, config_file: Optional[str] = None) -> str:
        r = subprocess.run([find_cli(), *args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            message = (r.stderr.strip() or r.stdout.strip()).splitlines()
            text = "\n".join(message) or "archer %s failed (status %d)" % (args[0], r.returncode)
            text = re.sub(r"^archer: error: ", "", text)
            if config_file:  # the file is ours: name the config instead
                text = re.sub(re.escape(config_file) + r"(:\d+)?", "config", text)
            raise ArcherError(text)
        return r.stdout


def _port(port) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ArcherError("port: expected an integer in 0..65535 (0: any free port), got %r"
                          % (port,))
    return port


def _json_or_text(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read().decode("utf-8"))
    except OSError as e:
        raise ArcherError("cannot reach %s: %s" % (url, e)) from None


def _progress_line(s: dict) -> str:
    counts = s.get("byStatus") or {}
    running = counts.get("RUNNING", 0) + counts.get("WAITING", 0)
    done = counts.get("SUCCEEDED", 0)
    failed = sum(v for k, v in counts.items()
                 if k not in ("RUNNING", "WAITING", "SUCCEEDED", "EARLY_STOPPED"))
    line = "%s: %d trials (%d succeeded, %d failed, %d early-stopped, %d running)" % (
        s.get("status"), s.get("trials", 0), done, failed, counts.get("EARLY_STOPPED", 0),
        running)
    best = s.get("best")
    if best:
        line += "; best %s (trial %s)" % (json.dumps(best["value"]), best["trialJobId"])
    if s.get("message") and s.get("status") in _FINISHED + ("NO_MORE_TRIAL",):
        line += " — " + s["message"]
    return line
