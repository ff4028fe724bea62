"""Browser test of the web UI against a real experiment, in Debian's headless
Chromium through chromedriver (both on loopback, bounded in time).

An experiment of Python trials (tests/webui_trial.py: each waits for its gate
file) runs under --url_prefix; the test loads every tab, checks what it shows
against the experiment's SQLite store, sorts, filters, searches, expands a
trial (its stdout holds script that must stay text), watches counts change
without a reload, kills a trial, compares two, exports CSV and JSON, changes the
concurrency (and sees a bad value refused), stops the experiment from the page,
then views it read-only; an early-stopped trial; a detached manager serving its
page after DONE (the reason shown) until `archer stop`, and the views' addresses
(hash routes, the back button, a hostile hash); with NNI's code (NNI_DIR),
an experiment of NNI's TPE on an HPO space: its values (numbers, a nested
choice) on every tab. Screenshots go to SHOT_DIR (CI artifacts).

Usage: webui_test.py ARCHER PYTHON_MODULE_DIR SHOT_DIR [NNI_DIR]
"""
import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webdriver import Browser  # noqa: E402

ARCHER, MODULE_DIR, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
NNI_DIR = sys.argv[4] if len(sys.argv) > 4 else ""
HERE = os.path.dirname(os.path.abspath(__file__))
SPACE = {
    "op1": {"_type": "layer_choice",
            "_value": ["conv3x3", "conv5x5", "<img src=x onerror=\"window.__xss=3\">"]},
    "op2": {"_type": "layer_choice", "_value": ["maxpool", "avgpool", "identity"]},
    "skip": {"_type": "input_choice",
             "_value": {"candidates": ["", "op1"], "n_chosen": 1}},
}
TOTAL = 10


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run_archer(*args, env=None):
    out = subprocess.run([ARCHER] + list(args), capture_output=True, text=True,
                         timeout=120, env=env)
    check(out.returncode == 0, "archer %s failed: %s%s" % (args, out.stdout, out.stderr))
    return out.stdout


class Store:
    def __init__(self, path):
        self.path = path

    def rows(self, sql, *args):
        con = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def trials(self):
        return self.rows("SELECT trial_id, sequence_id, status, parameters FROM trial "
                         "ORDER BY sequence_id")

    def counts(self):
        return dict(self.rows("SELECT status, count(*) FROM trial GROUP BY status"))

    def finals(self):
        out = {}
        for tid, value in self.rows("SELECT trial_id, value FROM metric WHERE type='FINAL'"):
            v = json.loads(value)
            out[tid] = v["default"] if isinstance(v, dict) else v
        return out

    def value(self, key):
        r = self.rows("SELECT value FROM experiment WHERE key=?", key)
        return json.loads(r[0][0]) if r else None


def wait_for(fn, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


STOPPED_TRIAL = """
import time
import archer_trial as nni
nni.get_next_parameter()
if nni.get_sequence_id() == 0:
    for _ in range(3):
        nni.report_intermediate_result(1.0)
    nni.report_final_result(1.0)
else:
    nni.report_intermediate_result(0.0)
    time.sleep(120)  # stopped early long before this
"""


def finished_experiment(tmp, name, trial, config, pythonpath):
    """Writes `trial` (name_trial.py) and `config` (a YAML template taking the
    working directory), runs the experiment in the foreground to its end;
    returns (experiment id, working directory, store)."""
    work = os.path.join(tmp, "work-" + name)
    with open(os.path.join(tmp, name + "_trial.py"), "w") as f:
        f.write(trial)
    with open(os.path.join(tmp, name + ".yml"), "w") as f:
        f.write(config % work)
    env = dict(os.environ, PYTHONPATH=pythonpath)
    out = run_archer("create", "--config", os.path.join(tmp, name + ".yml"), "--foreground",
                     "--port", "0", env=env)
    exp_id = re.search(r"Experiment (\S+) started", out).group(1)
    return exp_id, work, Store(os.path.join(work, exp_id, "db", "archer.sqlite"))


def view_url(exp_id, work):
    """`archer view` of a finished experiment: its web UI's address."""
    view = [ARCHER, "view", exp_id, "--port", "0", "--experiment_working_directory", work]
    out = subprocess.run(view, capture_output=True, text=True, timeout=60).stdout
    return re.search(r"^Web UI: (\S+)$", out, re.M).group(1)


def stopped_scenario(tmp, downloads):
    """An early-stopped trial: its state, the assessor's reason (trial ls,
    export, the page) and its curve marked where it was stopped."""
    exp_id, work, store = finished_experiment(
        tmp, "stopped", STOPPED_TRIAL,
        "searchSpace: {op: {_type: layer_choice, _value: [a, b]}}\n"
        "trialCommand: " + sys.executable + " stopped_trial.py\ntrialCodeDirectory: .\n"
        "trialConcurrency: 1\nmaxTrialNumber: 2\n"
        "experimentWorkingDirectory: %s\n"
        "tuner: {name: Random, classArgs: {seed: 1}}\n"
        "assessor: {name: Medianstop, classArgs: {start_step: 1}}\n", MODULE_DIR)
    trials = store.trials()
    check([t[2] for t in trials] == ["SUCCEEDED", "EARLY_STOPPED"], "states %s" % trials)
    stopped = trials[1][0]
    listed = run_archer("trial", "ls", exp_id, "--experiment_working_directory", work)
    check("stopped early: Medianstop at step 1" in listed, "trial ls shows why: " + listed)
    path = os.path.join(tmp, "stopped.json")
    run_archer("experiment", "export", exp_id, "--type", "json", "--filename", path,
               "--experiment_working_directory", work)
    with open(path) as f:
        exported = {r["trialJobId"]: r for r in json.load(f)}
    check("Medianstop" in exported[stopped].get("message", ""), "export has the reason")
    url = view_url(exp_id, work)
    b = Browser(downloads=downloads)
    try:
        b.get(url)
        b.wait("return document.body.dataset.loaded", what="the page")
        b.click("#tabs button[data-tab=trials]")
        b.wait("return document.querySelectorAll('#trials tr.trial').length === 2", what="rows")
        cell = "document.querySelector('#trials tr.trial[data-id=%s]').cells[3].firstChild" % stopped
        check(b.js("return %s.textContent" % cell) == "EARLY_STOPPED", "state on the page")
        check("Medianstop" in b.js("return %s.title" % cell), "reason as the state's tooltip")
        b.click("#trials tr.trial[data-id=%s] td:nth-child(3)" % stopped)
        b.wait("return document.getElementById('detail-%s')" % stopped, what="the detail row")
        b.wait("return document.querySelector('#detail-chart-%s canvas')" % stopped,
               what="the curve")
        check(b.js("return document.getElementById('detail-chart-%s').dataset.stoppedAt"
                   % stopped) == "0", "the curve is marked at step 0")
        check("stopped early: Medianstop" in b.js(
            "return document.getElementById('detail-%s').textContent" % stopped),
            "the message in the detail")
        b.screenshot(os.path.join(SHOTS, "09-early-stopped.png"))
    finally:
        b.quit()
        subprocess.run([ARCHER, "stop", exp_id, "--experiment_working_directory", work],
                       capture_output=True, timeout=60)


HPO_TRIAL = """
import nni
p = nni.get_next_parameter()
nni.report_final_result(-(p['x'] - 0.3) ** 2)
"""


def hpo_scenario(tmp, downloads):
    """NNI's TPE (in NNI's dispatcher) on an HPO space: the best trial's values
    on the overview, the trials' values in the table, the CSV and the
    comparison, and the architectures tab saying where HPO values are."""
    if not os.path.isdir(os.path.join(NNI_DIR, "v2.10", "nni")):
        print("hpo scenario skipped: no NNI at %r" % NNI_DIR)
        return
    exp_id, work, store = finished_experiment(
        tmp, "hpo", HPO_TRIAL,
        "searchSpace:\n"
        "  x: {_type: uniform, _value: [0, 1]}\n"
        "  opt: {_type: choice, _value: [{_name: sgd, lr: {_type: loguniform,"
        " _value: [0.001, 0.1]}}, {_name: adam}]}\n"
        "trialCommand: /usr/bin/python3 hpo_trial.py\ntrialCodeDirectory: .\n"
        "trialConcurrency: 2\nmaxTrialNumber: 4\n"
        "experimentWorkingDirectory: %s\n"
        "tuner: {name: TPE, classArgs: {optimize_mode: maximize}}\n",
        os.path.join(NNI_DIR, "shims") + ":" + os.path.join(NNI_DIR, "v2.10"))
    downloads = os.path.join(downloads, "hpo")  # its own trials.csv
    os.makedirs(downloads, exist_ok=True)
    trials = store.trials()
    check(len(trials) == 4 and all(t[2] == "SUCCEEDED" for t in trials), "HPO trials %s" % trials)
    url = view_url(exp_id, work)
    b = Browser(downloads=downloads)
    try:
        b.get(url)
        b.wait("return document.body.dataset.loaded", what="the page")
        b.wait("return document.querySelectorAll('#best-arch tr').length === 2", what="best")
        best = b.js("return Object.fromEntries([...document.querySelectorAll('#best-arch tr')]"
                    ".map(r => [r.cells[0].textContent, r.cells[1].textContent]))")
        check(re.match(r"^0\.\d+|^1$|^0$", best.get("x", "")), "best x shown: %s" % best)
        check('"_name"' in best.get("opt", ""), "best nested choice shown: %s" % best)
        check("undefined" not in json.dumps(best), "no undefined: %s" % best)
        b.screenshot(os.path.join(SHOTS, "10-hpo-overview.png"))
        b.click("#tabs button[data-tab=trials]")
        b.wait("return document.querySelectorAll('#trials tr.trial').length === 4", what="rows")
        arch = b.js("return document.querySelector('#trials tr.trial td.arch').textContent")
        check(re.search(r"x=[0-9.e-]+; opt=\{\"_name\"", arch), "HPO values in the table: " + arch)
        b.click("#export-csv")
        path = os.path.join(downloads, "trials.csv")
        wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, "HPO trials.csv")
        time.sleep(0.2)
        with open(path) as f:
            rows = list(csv.DictReader(f))
        check(all(float(r["x"]) >= 0 for r in rows), "x exported as numbers")
        b.click("#trials tr.trial[data-id=%s] input.select" % trials[0][0])
        b.click("#trials tr.trial[data-id=%s] input.select" % trials[1][0])
        b.click("#compare-selected")
        b.wait("return document.querySelectorAll('#compare-table thead th').length === 3",
               what="two HPO trials side by side")
        compared = b.js("return document.getElementById('compare-table').textContent")
        check("undefined" not in compared and "[object" not in compared,
              "comparison shows values: " + compared)
        b.click("#tabs button[data-tab=architectures]")
        b.wait("return document.getElementById('choice-stats').textContent.length > 0",
               what="the architectures tab")
        check("Trials tab" in b.js("return document.getElementById('choice-stats').textContent"),
              "the architectures tab says where HPO values are")
        b.screenshot(os.path.join(SHOTS, "11-hpo-architectures.png"))
    finally:
        b.quit()


PARETO_TRIAL = """
import archer_trial as nni
p = nni.get_next_parameter()
a, b = p["a"]["_value"], p["b"]["_value"]
params = {"x": 100, "y": 300, "z": 900}[a] + {"p": 10, "q": 40}[b]
nni.report_costs(params=params, latency_ms=0.5)  # the probe exits here
acc = {"x": 50.0, "y": 70.0, "z": 99.0}[a] + {"p": 0.0, "q": 5.0}[b]
nni.report_final_result(acc)
"""


def pareto_scenario(tmp, downloads):
    """A multi-objective experiment under a constraint, with a Python trial's
    costs: the probe rejects z, the Pareto tab draws the front, the table shows
    the costs, show and export mark the front."""
    exp_id, work, store = finished_experiment(
        tmp, "pareto", PARETO_TRIAL,
        "searchSpace:\n"
        "  a: {_type: layer_choice, _value: [x, y, z]}\n"
        "  b: {_type: layer_choice, _value: [p, q]}\n"
        "trialCommand: %s pareto_trial.py\ntrialCodeDirectory: .\n"
        "trialConcurrency: 2\nmaxTrialNumber: 6\n"
        "experimentWorkingDirectory: %%s\n"
        "constraints: [{metric: params, max: 500}]\n"
        "objectives: [{metric: default}, {metric: params, mode: minimize}]\n"
        "tuner: {name: ParetoEvolution, classArgs: {population_size: 2, sample_size: 2}}\n"
        % sys.executable, MODULE_DIR)
    trials = store.trials()
    check(len(trials) == 4, "the 4 feasible architectures trained: %s" % (trials,))
    probes = store.value("cost_probes")
    check(probes["probed"] == 6 and probes["rejected"] == 2, "probe totals %s" % probes)
    shown = run_archer("experiment", "show", exp_id, "--experiment_working_directory", work)
    check("Pareto front: 4 of 4 trials" in shown, "show prints the front: " + shown)
    check("2 proposals rejected by the constraints" in shown, "show prints the probe: " + shown)
    b = Browser(downloads=downloads)
    try:
        b.get(view_url(exp_id, work))
        b.wait("return document.body.dataset.loaded", what="the page")
        check(b.js("return !document.getElementById('pareto-tab').hidden"), "the Pareto tab")
        facts = b.js("return document.getElementById('ov-facts').textContent")
        check("params <= 500" in facts and "2 proposals rejected" in facts, "facts: " + facts)
        b.click("#tabs button[data-tab=trials]")
        b.wait("return document.querySelectorAll('#trials tr.trial').length === 4", what="rows")
        costs = b.js("return document.querySelector('#trials tr.trial .costs').textContent")
        check(re.match(r"^\d+ params · 0\.500 ms$", costs), "costs in the table: " + costs)
        b.click("#tabs button[data-tab=pareto]")
        b.wait("return document.getElementById('pareto-chart').dataset.front === '4'",
               what="the front drawn")
        rows = b.js("return document.querySelectorAll('#pareto-table tr.front-row').length")
        check(rows == 4, "the front's table: %s rows" % rows)
        check("hypervolume" in b.js("return document.getElementById('pareto-note').textContent"),
              "the hypervolume is shown")
        b.wait("return document.querySelector('#hv-chart canvas') !== null", what="the HV chart")
        b.screenshot(os.path.join(SHOTS, "12-pareto.png"))
    finally:
        b.quit()


ROUTES_TRIAL = """
import archer_trial as nni
p = nni.get_next_parameter()
nni.report_intermediate_result(1.0)
nni.report_final_result({"x": 3.0, "y": 2.0, "z": 1.0}[p["op"]["_value"]])
"""


def routes_scenario(tmp):
    """A detached manager serves its web UI on after DONE (here: Random used up
    a 3-architecture space, and the page says so) until `archer stop`; every
    view has an address: a pasted #/trials/<id> opens that trial, tabs push
    history (back works), #/compare/a,b selects, a hostile or unknown hash is
    only text."""
    work = os.path.join(tmp, "work-routes")
    with open(os.path.join(tmp, "routes_trial.py"), "w") as f:
        f.write(ROUTES_TRIAL)
    with open(os.path.join(tmp, "routes.yml"), "w") as f:
        f.write("searchSpace:\n  op: {_type: layer_choice, _value: [x, y, z]}\n"
                "trialCommand: %s routes_trial.py\ntrialCodeDirectory: .\n"
                "trialConcurrency: 2\nmaxTrialNumber: 10\n"
                "experimentWorkingDirectory: %s\n"
                "tuner: {name: Random, classArgs: {seed: 2}}\n" % (sys.executable, work))
    env = dict(os.environ, PYTHONPATH=MODULE_DIR)
    out = run_archer("create", "--config", os.path.join(tmp, "routes.yml"), "--port", "0",
                     env=env)
    url = re.search(r"^Web UI: (\S+)$", out, re.M).group(1)
    exp_id = re.search(r"Experiment (\S+) started", out).group(1)
    store = Store(os.path.join(work, exp_id, "db", "archer.sqlite"))
    wait_for(lambda: store.value("status") == "DONE", "DONE", timeout=60)
    trials = store.trials()
    check(len(trials) == 3, "3 of 10 trials: the space is used up: %s" % (trials,))
    b = Browser()
    try:
        # The manager that ran it still serves it.
        wait_for(lambda: urllib.request.urlopen(url + "api/v1/nni/check-status", timeout=5)
                 .read().decode().find("exhausted") >= 0, "check-status after DONE")
        first = trials[1][0]
        b.get(url + "#/trials/" + first)
        b.wait("return document.body.dataset.loaded", what="the page")
        b.wait("return document.getElementById('ov-reason').textContent === "
               "'search space exhausted: all 3 architectures tried'", what="the reason")
        check(b.js("return !document.getElementById('tab-trials').hidden"),
              "#/trials/<id> opens the trials tab")
        b.wait("return document.getElementById('detail-%s') !== null" % first,
               what="the pasted trial expanded")
        b.click("#tabs button[data-tab=architectures]")
        check(b.js("return location.hash") == "#/architectures", "a tab has an address")
        b.js("history.back()")
        b.wait("return location.hash === '#/trials/%s' && "
               "!document.getElementById('tab-trials').hidden" % first, what="back works")
        b.click("#trials tr.trial[data-id=%s] td:nth-child(3)" % first)
        b.wait("return location.hash === '#/trials'", what="collapsing drops the id")
        a, c = trials[0][0], trials[2][0]
        b.get(url + "#/compare/%s,%s" % (a, c))
        b.wait("return document.body.dataset.loaded && "
               "document.getElementById('compare-count').textContent === '(2)'",
               what="#/compare/a,b selects two")
        b.wait("return !document.getElementById('tab-compare').hidden", what="compare tab")
        hostile = "#/trials/%3Cimg%20src%3Dx%20onerror%3D%22window.__xss%3D1%22%3E"
        b.get(url + hostile)
        b.wait("return document.body.dataset.loaded", what="the page (hostile hash)")
        b.wait("return document.getElementById('trial-search').value.startsWith('<img')",
               what="the hostile id as search text")
        check(b.js("return window.__xss === undefined && "
                   "document.querySelector('#tab-trials img') === null"), "no injection")
        b.get(url + "#/nonsense/%E0%A4%A")
        b.wait("return document.body.dataset.loaded", what="the page (bad hash)")
        check(b.js("return !document.getElementById('tab-overview').hidden"),
              "an unknown hash is the overview")
        b.screenshot(os.path.join(SHOTS, "13-done-and-served.png"))
    finally:
        b.quit()
    listed = json.loads(run_archer("top", "--json", "--experiment_working_directory", work))
    check([e["status"] for e in listed] == ["DONE"], "top says it is done: %s" % listed)
    run_archer("stop", exp_id, "--experiment_working_directory", work)
    try:
        urllib.request.urlopen(url + "api/v1/nni/check-status", timeout=5)
        check(False, "still served after archer stop")
    except OSError:
        pass
    check(store.value("status") == "DONE", "stopping a served DONE experiment keeps DONE")


def main():
    for tool in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.path.exists(tool):
            print("SKIP: %s is missing (apt install chromium chromium-driver)" % tool)
            sys.exit(77)
    os.makedirs(SHOTS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="archer-webui-")
    # The CLI's registry of experiments lives under $HOME: this test's own, fresh.
    os.environ["HOME"] = os.path.join(tmp, "home")
    os.makedirs(os.environ["HOME"])
    gates = os.path.join(tmp, "gates")
    downloads = os.path.join(tmp, "downloads")
    os.makedirs(gates)
    os.makedirs(downloads)
    with open(os.path.join(tmp, "space.json"), "w") as f:
        json.dump(SPACE, f)
    work = os.path.join(tmp, "work")
    with open(os.path.join(tmp, "exp.yml"), "w") as f:
        f.write('experimentName: "ui <b>test</b>"\n'
                "searchSpaceFile: space.json\n"
                "trialCommand: %s %s/webui_trial.py\n"
                "trialCodeDirectory: .\n"
                "trialConcurrency: 2\nmaxTrialNumber: %d\n"
                "experimentWorkingDirectory: %s\n"
                "tuner: {name: Random, classArgs: {seed: 4}}\n"
                "trainingService: {platform: local}\n"
                % (sys.executable, HERE, TOTAL, work))
    env = dict(os.environ, GATE_DIR=gates, PYTHONPATH=MODULE_DIR)
    browser = None
    exp_id = None
    try:
        out = run_archer("create", "--config", os.path.join(tmp, "exp.yml"),
                         "--port", "0", "--url_prefix", "archer-ui", env=env)
        url = re.search(r"^Web UI: (\S+)$", out, re.M).group(1)
        exp_id = re.search(r"Experiment (\S+) started", out).group(1)
        check(url.endswith("/archer-ui/"), "url prefix: " + url)
        store = Store(os.path.join(work, exp_id, "db", "archer.sqlite"))
        wait_for(lambda: store.counts().get("RUNNING") == 2, "2 running trials")

        browser = b = Browser(downloads=downloads)
        shot = lambda name: b.screenshot(os.path.join(SHOTS, name + ".png"))  # noqa: E731
        b.get(url)
        b.wait("return document.body.dataset.loaded", what="the page")
        check(b.js("return document.getElementById('exp-id').textContent") == exp_id, "id")
        check(b.js("return document.getElementById('exp-name').textContent") == "ui <b>test</b>",
              "the name is shown as text")
        check(b.js("return document.querySelector('header b') === null"), "no <b> injected")
        b.wait("return document.getElementById('count-RUNNING')?.textContent === 'RUNNING 2'",
               what="2 running on the page")

        # Live: 8 trials end while the page is open; no reload.
        for seq in range(8):
            open(os.path.join(gates, str(seq)), "w").close()
        wait_for(lambda: store.counts().get("SUCCEEDED") == 8 and
                 store.counts().get("RUNNING") == 2, "8 succeeded + 2 running")
        b.wait("return document.getElementById('count-SUCCEEDED')?.textContent === 'SUCCEEDED 8'"
               " && document.getElementById('count-RUNNING')?.textContent === 'RUNNING 2'",
               what="the counts updated live")
        finals = store.finals()
        best = max(finals.values())
        b.wait("return document.getElementById('best-value').textContent !== '–'", what="best")
        shown = float(b.js("return document.getElementById('best-value').textContent"))
        check(abs(shown - best) < 1e-6, "best %s shown, store has %s" % (shown, best))
        b.wait("return document.querySelector('#final-chart canvas')", what="the results chart")
        shot("01-overview")

        # Trials table: rows as in the store.
        b.click("#tabs button[data-tab=trials]")
        b.wait("return document.querySelectorAll('#trials tr.trial').length === %d" % TOTAL,
               what="%d rows" % TOTAL)
        rows = b.js("return [...document.querySelectorAll('#trials tr.trial')].map(r => "
                    "[r.dataset.id, r.cells[3].textContent, r.cells[5].textContent])")
        trials = store.trials()
        check([r[0] for r in rows] == [t[0] for t in trials], "rows by sequence")
        for r in rows:
            if r[0] in finals:
                check(abs(float(r[2]) - finals[r[0]]) < 1e-6, "value of " + r[0])
        # Sort by the final result, best first, then worst first.
        b.click("#trials th[data-sort=value]")
        b.wait("return document.querySelector('#trials th[data-sort=value]')"
               ".classList.contains('sorted-desc')", what="sorted desc")
        b.wait("return document.querySelector('#trials tr.trial').dataset.id === %s"
               % json.dumps(max(finals, key=finals.get)), what="best first")
        values = b.js("return [...document.querySelectorAll('#trials tr.trial td.value')]"
                      ".map(c => c.textContent).filter(t => t !== '–').map(Number)")
        check(values == sorted(values, reverse=True) and len(values) == 8, "desc: %s" % values)
        shot("02-trials-sorted")
        b.click("#trials th[data-sort=value]")
        b.wait("return document.querySelector('#trials th[data-sort=value]')"
               ".classList.contains('sorted-asc')", what="sorted asc")
        values = b.js("return [...document.querySelectorAll('#trials tr.trial td.value')]"
                      ".map(c => c.textContent).filter(t => t !== '–').map(Number)")
        check(values == sorted(values), "asc: %s" % values)
        # Filter by state, then search by a choice.
        b.click("#status-filter input[value=RUNNING]")
        b.wait("return document.querySelectorAll('#trials tr.trial').length === 2",
               what="2 running rows")
        b.click("#status-filter input[value=RUNNING]")
        with_conv5 = [t[0] for t in trials
                      if "conv5x5" in json.dumps(json.loads(t[3])["parameters"])]
        b.type("#trial-search", "conv5x5")
        b.wait("return document.querySelectorAll('#trials tr.trial').length === %d"
               % len(with_conv5), what="search rows")
        b.js("const s = document.getElementById('trial-search'); s.value = '';"
             "s.dispatchEvent(new Event('input'));")
        b.click("#trials th[data-sort=sequence]")
        b.wait("return document.querySelectorAll('#trials tr.trial').length === %d" % TOTAL,
               what="all rows again")

        # Expand the first trial: parameters, intermediate chart, stdout as text.
        first = trials[0][0]
        b.click("#trials tr.trial[data-id=%s] td:nth-child(3)" % first)
        b.wait("return document.getElementById('detail-%s')" % first, what="the detail row")
        params = json.loads(b.js("return document.querySelector('#detail-%s pre.params')"
                                 ".textContent" % first))
        check(params == json.loads(trials[0][3])["parameters"], "parameters")
        b.wait("return document.querySelector('#detail-chart-%s canvas')" % first,
               what="the intermediate chart")
        b.click("#detail-%s .files button" % first)  # stdout
        log = b.wait("return document.getElementById('detail-log-%s').textContent" % first,
                     what="stdout")
        with open(os.path.join(work, exp_id, "trials", first, "stdout")) as f:
            check(log == f.read(), "stdout shown as is")
        check("<script>" in log, "the script is shown as text")
        check(b.js("return window.__xss === undefined && "
                   "document.querySelectorAll('main script, main img').length === 0"),
              "nothing from a trial ran or became an element")
        shot("03-trial-expanded")

        # Kill a running trial from its row.
        running = [t[0] for t in store.trials() if t[2] == "RUNNING"]
        victim = running[0]
        b.click("#trials tr.trial[data-id=%s] button.kill" % victim)
        b.accept_alert()
        wait_for(lambda: dict((t[0], t[2]) for t in store.trials())[victim] == "USER_CANCELED",
                 "the trial killed")
        b.wait("return document.querySelector('#trials tr.trial[data-id=%s]')"
               ".cells[3].textContent === 'USER_CANCELED'" % victim, what="killed on the page")
        shot("04-trial-killed")

        # Export the table as CSV (the page builds it; Chromium saves it).
        b.click("#export-csv")
        path = os.path.join(downloads, "trials.csv")
        wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, "trials.csv")
        with open(path) as f:
            exported = list(csv.DictReader(f))
        check([r["trialJobId"] for r in exported] == [t[0] for t in store.trials()],
              "exported rows")
        check(all(r["op1"] for r in exported), "choices exported")
        b.click("#export-json")
        path = os.path.join(downloads, "trials.json")
        wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, "trials.json")
        time.sleep(0.2)  # the download is renamed into place when complete
        with open(path) as f:
            exported = json.load(f)
        check([r["trialJobId"] for r in exported] == [t[0] for t in store.trials()],
              "JSON export rows")
        check(exported[0]["parameters"] == json.loads(trials[0][3])["parameters"],
              "JSON export parameters")

        # Compare two trials.
        b.click("#trials tr.trial[data-id=%s] input.select" % trials[0][0])
        b.click("#trials tr.trial[data-id=%s] input.select" % trials[1][0])
        b.click("#compare-selected")
        b.wait("return document.querySelectorAll('#compare-table thead th').length === 3",
               what="two trials side by side")
        b.wait("return document.querySelector('#compare-chart canvas')", what="compare chart")
        shot("05-compare")

        # Architectures: counts per choice as in the store.
        b.click("#tabs button[data-tab=architectures]")
        b.wait("return document.querySelectorAll('#choice-stats table').length === 3",
               what="a table per key")
        op1 = {}
        for t in store.trials():
            name = json.loads(t[3])["parameters"]["op1"]["_value"]
            op1[name] = op1.get(name, 0) + 1
        shown = b.js("return Object.fromEntries([...document.querySelectorAll("
                     "'#choice-stats table[data-key=op1] tbody tr')].map(r => "
                     "[r.dataset.choice, Number(r.cells[1].textContent)]))")
        check({k: v for k, v in shown.items() if v} == op1, "op1 counts %s vs %s" % (shown, op1))
        check(b.js("const c = document.getElementById('parallel');"
                   "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                   "for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false;"),
              "parallel coordinates drawn")
        shot("06-architectures")

        # Change the concurrency; a bad duration is refused with the reason.
        b.click("#tabs button[data-tab=overview]")
        # As typing does: the value, then an input event (a refresh of the
        # overview must not put the old value back).
        b.js("const i = document.getElementById('set-concurrency'); i.value = '3';"
             "i.dispatchEvent(new Event('input'));")
        b.click("button[data-update=TRIAL_CONCURRENCY]")
        b.wait("return document.getElementById('action-result').textContent"
               ".includes('TRIAL_CONCURRENCY: updated')", what="update answered")
        wait_for(lambda: store.value("config")["trialConcurrency"] == 3, "concurrency 3 stored")
        b.js("const i = document.getElementById('set-duration'); i.value = 'soon';"
             "i.dispatchEvent(new Event('input'));")
        b.click("button[data-update=MAX_EXEC_DURATION]")
        b.wait("return document.getElementById('action-result').textContent"
               ".includes('maxExperimentDuration')", what="the refusal")
        shot("07-actions")

        # Stop the experiment from the page.
        b.click("#stop-experiment")
        b.accept_alert()
        wait_for(lambda: store.value("status") == "STOPPED", "stopped", timeout=60)

        # View it read-only.
        # (the manager may still be exiting: `view` refuses a running one)
        view = [ARCHER, "view", exp_id, "--port", "0", "--url_prefix", "archer-ui",
                "--experiment_working_directory", work]
        out = wait_for(lambda: subprocess.run(view, capture_output=True, text=True,
                                              timeout=60).stdout, "archer view to start")
        ro_url = re.search(r"^Web UI: (\S+)$", out, re.M).group(1)
        b.get(ro_url)
        b.wait("return document.body.dataset.loaded", what="the viewed page")
        b.wait("return !document.getElementById('read-only').hidden", what="read-only badge")
        check(b.js("return document.getElementById('actions').hidden"), "no actions")
        b.click("#tabs button[data-tab=trials]")
        b.wait("return document.querySelectorAll('#trials tr.trial').length === %d" % TOTAL,
               what="rows in view")
        check(b.js("return document.querySelectorAll('button.kill').length") == 0, "no kill")
        status = b.js("return fetch('api/v1/nni/experiment', {method: 'DELETE'})"
                      ".then(r => r.status)")
        check(status == 403, "writes refused when viewed: %s" % status)
        shot("08-view-read-only")
        browser.quit()
        browser = None
        stopped_scenario(tmp, downloads)
        hpo_scenario(tmp, downloads)
        pareto_scenario(tmp, downloads)
        routes_scenario(tmp)
        print("webui browser test: all checks passed; screenshots in " + SHOTS)
    finally:
        if browser:
            browser.quit()
        if exp_id:
            subprocess.run([ARCHER, "stop", exp_id, "--experiment_working_directory", work],
                           capture_output=True, timeout=60)
        subprocess.run(["pkill", "-9", "-f", tmp], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
