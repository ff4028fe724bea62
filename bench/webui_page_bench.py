"""The web UI in a real browser on a 100,000-trial experiment: how long
headless Chromium takes to show each tab (from the click or navigation until
the data is on the page), served by `archer view`.

The experiment is made by running one real trial, then adding 99,999 trials
(3 intermediate results and a final one each) to its store with SQLite.

Usage: webui_page_bench.py ARCHER [--trials N] [--no_write]
(Python 3 stdlib; needs /usr/bin/chromium and /usr/bin/chromedriver.)
"""
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from webdriver import Browser  # noqa: E402

SPACE = {"op1": {"_type": "layer_choice", "_value": ["conv3x3", "conv5x5", "sepconv3x3"]},
         "op2": {"_type": "layer_choice", "_value": ["maxpool", "avgpool", "identity"]},
         "skip": {"_type": "input_choice", "_value": {"candidates": ["", "op1"], "n_chosen": 1}}}


def fill(db, trials):
    random.seed(1)
    con = sqlite3.connect(db)
    t0 = int(time.time() * 1000) - trials * 1000
    rows, metrics = [], []
    for i in range(1, trials):
        a, b, c = random.randrange(3), random.randrange(3), random.randrange(2)
        params = {"parameter_id": i, "parameters": {
            "op1": {"_value": SPACE["op1"]["_value"][a], "_idx": a},
            "op2": {"_value": SPACE["op2"]["_value"][b], "_idx": b},
            "skip": {"_value": [["", "op1"][c]], "_idx": [c]}}}
        tid = "b%06d" % i
        start = t0 + i * 1000
        rows.append((tid, i, i, json.dumps(params), "SUCCEEDED", start, start, start + 800,
                     0, "", "/nonexistent"))
        v = 0.8 + (a + b + c) / 100 + random.random() / 100
        for s in range(3):
            metrics.append((tid, i, "PERIODICAL", s, str(v * (s + 1) / 3), start))
        metrics.append((tid, i, "FINAL", 0, str(v), start + 800))
    con.executemany("INSERT INTO trial (trial_id, sequence_id, parameter_id, parameters, "
                    "status, submit_time, start_time, end_time, exit_code, message, trial_dir)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.executemany("INSERT INTO metric (trial_id, parameter_id, type, sequence, value, "
                    "timestamp) VALUES (?,?,?,?,?,?)", metrics)
    con.commit()
    con.close()


def timed(b, action, condition):
    t = time.time()
    action()
    b.wait(condition, timeout=120, what=condition)
    return time.time() - t


def main():
    archer = sys.argv[1]
    trials = 100000
    write = "--no_write" not in sys.argv
    if "--trials" in sys.argv:
        trials = int(sys.argv[sys.argv.index("--trials") + 1])
    tmp = tempfile.mkdtemp(prefix="archer-page-bench-")
    work = os.path.join(tmp, "work")
    exp_id = None
    b = None
    try:
        with open(os.path.join(tmp, "space.json"), "w") as f:
            json.dump(SPACE, f)
        with open(os.path.join(tmp, "trial.sh"), "w") as f:
            f.write("m='{\"parameter_id\": 0, \"trial_job_id\": \"x\", \"type\": \"FINAL\", "
                    "\"sequence\": 0, \"value\": \"0.5\"}'\n"
                    "printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> \"$NNI_OUTPUT_DIR/.nni/metrics\"\n")
        with open(os.path.join(tmp, "exp.yml"), "w") as f:
            f.write("experimentName: page-bench\nsearchSpaceFile: space.json\n"
                    "trialCommand: sh trial.sh\ntrialCodeDirectory: .\ntrialConcurrency: 1\n"
                    "maxTrialNumber: 1\nexperimentWorkingDirectory: %s\n"
                    "tuner: {name: Random, classArgs: {seed: 1}}\n" % work)
        out = subprocess.run([archer, "create", "--config", os.path.join(tmp, "exp.yml"),
                              "--foreground", "--no_server"], capture_output=True, text=True,
                             timeout=120, cwd=tmp)
        exp_id = re.search(r"Experiment (\S+) started", out.stdout).group(1)
        t = time.time()
        fill(os.path.join(work, exp_id, "db", "archer.sqlite"), trials)
        print("store filled with %d trials in %.1f s" % (trials, time.time() - t))
        out = subprocess.run([archer, "view", exp_id, "--port", "0",
                              "--experiment_working_directory", work],
                             capture_output=True, text=True, timeout=120)
        url = re.search(r"^Web UI: (\S+)$", out.stdout, re.M).group(1)
        b = Browser(size=(1400, 1000))
        rows = []
        loaded = ("return document.body.dataset.loaded && "
                  "document.querySelector('#final-chart canvas')")
        rows.append(("open the page, first time (builds the index): overview + chart of "
                     "every result", timed(b, lambda: b.get(url), loaded)))
        rows.append(("open the page again", timed(b, lambda: b.get(url), loaded)))
        rows.append(("Trials tab: first 50 rows", timed(
            b, lambda: b.click("#tabs button[data-tab=trials]"),
            "return document.querySelectorAll('#trials tr.trial').length === 50")))
        rows.append(("sort by final result", timed(
            b, lambda: b.click("#trials th[data-sort=value]"),
            "return document.querySelector('#trials th.sorted-desc') && "
            "document.querySelectorAll('#trials tr.trial').length === 50")))
        rows.append(("next page", timed(
            b, lambda: b.click("#next-page"),
            "return document.getElementById('page-info').textContent.startsWith('51')")))
        first = b.js("return document.querySelector('#trials tr.trial').dataset.id")
        rows.append(("expand a trial (its curve)", timed(
            b, lambda: b.click("#trials tr.trial[data-id=%s] td:nth-child(3)" % first),
            "return document.querySelector('#detail-chart-%s canvas')" % first)))
        rows.append(("search a choice (`sepconv3x3`)", timed(
            b, lambda: b.type("#trial-search", "sepconv3x3"),
            "return document.getElementById('page-info').textContent.startsWith('1–50 of') && "
            "document.getElementById('page-info').textContent !== '1–50 of %d'" % trials)))
        rows.append(("Architectures tab: choice statistics + parallel coordinates", timed(
            b, lambda: b.click("#tabs button[data-tab=architectures]"),
            "return document.querySelectorAll('#choice-stats table').length === 3")))
        for what, seconds in rows:
            print("%s: %.2f s" % (what, seconds))
        if write:
            md = ("Headless Chromium (Debian's, through chromedriver) on `archer view` of an "
                  "experiment with %d trials (3 intermediate results and a final one each), "
                  "loopback; from the navigation or click until the data is on the page. "
                  "Measured %s on this project's machine (%d cores).\n\n"
                  "| action | seconds |\n|---|---:|\n" %
                  (trials, time.strftime("%Y-%m-%d"), os.cpu_count()))
            md += "".join("| %s | %.2f |\n" % r for r in rows)
            path = os.path.join(HERE, "..", "docs", "benchmarks.md")
            with open(path) as f:
                text = f.read()
            section = "<!-- BEGIN webui_page -->\n%s<!-- END webui_page -->" % md
            if "<!-- BEGIN webui_page -->" in text:
                text = re.sub(r"<!-- BEGIN webui_page -->.*?<!-- END webui_page -->",
                              lambda _: section, text, flags=re.S)
            else:
                text = text.rstrip("\n") + "\n\n" + section + "\n"
            with open(path, "w") as f:
                f.write(text)
    finally:
        if b:
            b.quit()
        if exp_id:
            subprocess.run([archer, "stop", exp_id, "--experiment_working_directory", work],
                           capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
