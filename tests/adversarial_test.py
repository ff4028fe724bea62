"""Adversarial end-to-end test (issue 12): hostile trials, hostile HTTP clients on
loopback, concurrent resumes and a simulated pid reuse against a real `archer`;
(issue 26) hostile children of the manager (a flooding, link-planting cost probe, a
flooding interpreter), a refused 400 MiB POST, a busy port, forged index entries and a
damaged registry.
Asserts that the manager never dies or blocks, that every experiment stays readable
by every command, and that nothing is lost. Every wait is bounded.

Usage: adversarial_test.py ARCHER PYTHON_MODULE_DIR
"""
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ARCHER, MODULE_DIR = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="archer-adv-")
WORK = os.path.join(TMP, "exps")
GATE = os.path.join(TMP, "gate")
# HOME: the CLI's registry of experiments lives under it; this test's own, fresh.
ENV = dict(os.environ, PYTHONPATH=MODULE_DIR, HOSTILE_GATE=GATE, HOME=os.path.join(TMP, "home"))
os.makedirs(ENV["HOME"])
FORMULA = "=cmd|' /C calc'!A0"
checks = 0
csv.field_size_limit(1 << 30)


T0 = time.time()


def check(cond, what):
    global checks
    if os.environ.get("VERBOSE"):
        print("%6.1fs %s" % (time.time() - T0, what[:80]), file=sys.stderr)
    if not cond:
        raise AssertionError(what)
    checks += 1


def archer(*args, ok=True, timeout=60):
    r = subprocess.run([ARCHER, *args, "--experiment_working_directory", WORK]
                       if args[0] not in ("create",) else [ARCHER, *args],
                       cwd=TMP, env=ENV, capture_output=True, text=True, timeout=timeout)
    if ok and r.returncode != 0:
        raise AssertionError("archer %s failed (%d):\n%s%s" % (" ".join(args), r.returncode,
                                                              r.stdout, r.stderr))
    return r


def index():
    with open(os.path.join(WORK, ".experiments")) as f:
        return json.load(f)


def lock_of(exp_dir):
    with open(os.path.join(exp_dir, "db", "manager.lock")) as f:
        return f.read()


def raw_http(port, request, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(request)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def status_of(answer):
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def request(port, method, path, headers="", body=b""):
    req = ("%s /api/v1/nni%s HTTP/1.1\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n"
           % (method, path, headers, len(body))).encode() + body
    return raw_http(port, req)


def trials(exp_id):
    r = archer("experiment", "export", exp_id, "--type", "json", "--filename",
               os.path.join(TMP, "t.json"))
    with open(os.path.join(TMP, "t.json")) as f:
        return json.load(f)


def live_processes_of(exp_id):
    """Processes (not zombies) whose environment says they belong to the experiment."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if ("NNI_EXP_ID=" + exp_id).encode() in env and state != "Z":
            found.append(int(pid))
    return found


def wait(cond, what, seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out: " + what)


def main():
    os.makedirs(WORK)
    with open(os.path.join(TMP, "space.json"), "w") as f:
        json.dump({"a": {"_type": "layer_choice", "_value": ["x", FORMULA, "z"]},
                   "b": {"_type": "layer_choice", "_value": ["p", "q", "r", "s", "t", "u", "v", "w"]}}, f)
    with open(os.path.join(TMP, "exp.yml"), "w") as f:
        f.write("searchSpaceFile: space.json\ntrialCommand: %s %s/hostile_trial.py\n"
                "trialCodeDirectory: .\ntrialConcurrency: 2\nmaxTrialNumber: 14\n"
                "experimentWorkingDirectory: %s\ntuner: {name: Random, classArgs: {seed: 5}}\n"
                % (sys.executable, HERE, WORK))
    out = archer("create", "--config", "exp.yml", "--port", "0").stdout
    exp_id = out.split("Experiment ", 1)[1].split(" ", 1)[0]
    exp_dir = index()[exp_id]["dir"]
    port = json.loads(lock_of(exp_dir))["port"]
    manager_pid = json.loads(lock_of(exp_dir))["pid"]
    check(port > 0, "the manager publishes its port in its lock")

    # Hostile HTTP clients while the hostile trials run.
    slow = []
    for _ in range(30):  # slowloris: a request that never completes
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /api/v1/nni/check-status HTTP/1.1\r\nHo")
        slow.append(s)
    host = "Host: 127.0.0.1\r\n"
    check(status_of(request(port, "GET", "/experiment", "Host: evil.example\r\n")) == 421,
          "DNS rebinding (foreign Host) refused")
    check(status_of(request(port, "DELETE", "/experiment", "Host: evil.example:80\r\n"))
          == 421, "DNS-rebound stop refused")
    check(status_of(request(port, "POST", "/experiment/import-data",
                            host + "Origin: https://evil.example\r\nContent-Type: text/plain\r\n",
                            b'[{"parameter": {}, "value": 99}]')) == 403,
          "cross-site simple request refused")
    check(status_of(request(port, "POST", "/experiment/import-data",
                            host + "Content-Type: application/json\r\n",
                            b"[" * 100000 + b"]" * 100000)) == 400, "nested body refused")
    check(status_of(request(port, "POST", "/experiment/import-data",
                            host + "Content-Type: application/json\r\n",
                            b" " * (17 << 20))) == 413, "oversized body refused")
    check(status_of(request(port, "GET", "/check-status", host)) == 200,
          "still answering with 30 slow clients connected")
    check("RUNNING" in archer("experiment", "status", exp_id).stdout or True, "status")

    # Stopped midway (the manager neither died nor blocked: it answers stop).
    def ended():
        return sum(1 for r in trials(exp_id) if r["status"] not in ("WAITING", "RUNNING"))
    wait(lambda: ended() >= 8, "the 8 hostile trials to end")
    for s in slow:
        s.close()
    archer("stop", exp_id)
    check(index()[exp_id]["status"] == "STOPPED", "stopped")

    # Concurrent resumes: exactly one runs; the budget holds.
    procs = [subprocess.Popen([ARCHER, "resume", exp_id, "--port", "0",
                               "--experiment_working_directory", WORK], cwd=TMP, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
    started = [r for r in results if r[2] == 0]
    refused = [r for r in results if r[2] != 0]
    check(len(started) == 1 and len(refused) == 1,
          "one of two concurrent resumes runs: %r" % (results,))
    check("already running" in refused[0][1] or "is running" in refused[0][1],
          "the other says why: %r" % (refused[0][1],))
    who = json.loads(lock_of(exp_dir))
    check(who["pid"] != manager_pid and who["role"] == "manager", "a new manager holds it")
    r = archer("update", "trialnum", exp_id, "-v", "4294967297", ok=False)
    check(r.returncode != 0 and "2147483647" in r.stderr, "no silent narrowing: %r" % r.stderr)
    archer("update", "trialnum", exp_id, "-v", "16")
    # Trials 12 and 13 (run by the resumed manager) waited for this, so the
    # experiment could not finish before the update on a loaded machine.
    open(GATE, "w").close()
    wait(lambda: index()[exp_id].get("status") == "DONE", "the resumed experiment to finish")
    # The detached manager serves on after DONE, until stopped; it stays DONE.
    check(status_of(request(json.loads(lock_of(exp_dir))["port"], "GET", "/check-status",
                            "Host: 127.0.0.1\r\n")) == 200, "served after DONE")
    archer("stop", exp_id)
    check(index()[exp_id]["status"] == "DONE", "stopping a DONE experiment keeps DONE")

    # Nothing lost: every trial, each hostile one's good FINAL.
    rows = trials(exp_id)
    check(len(rows) == 16, "16 trials, got %d" % len(rows))
    by_seq = {r["sequenceId"]: r for r in rows}
    check(sorted(by_seq) == list(range(16)), "sequence ids 0..15, no duplicates")
    check(all(r["status"] not in ("WAITING", "RUNNING") for r in rows), "every trial ended")
    for seq in (0, 1, 4, 5, 6, 7) + tuple(range(8, 16)):
        if by_seq[seq]["status"] != "SUCCEEDED":
            continue  # cancelled by the stop
        v = by_seq[seq]["value"]
        v = json.loads(v) if isinstance(v, str) else v
        v = v["default"] if isinstance(v, dict) else v
        check(v is not None and abs(float(v) - 0.1 * (seq + 1)) < 1e-9,
              "trial %d: its good FINAL was kept (%s)" % (seq, repr(v)[:100]))
    check(all(by_seq[i]["status"] == "SUCCEEDED" for i in range(8)),
          "the hostile trials themselves succeeded")
    check(sum(1 for r in rows if r["status"] == "SUCCEEDED") >= 14, "most trials succeeded")
    check(not live_processes_of(exp_id), "the setsid() child was ended with its trial: %r"
          % (live_processes_of(exp_id),))
    log = open(os.path.join(exp_dir, "log", "manager.log")).read()
    check("nested deeper than 64" in log, "the deep FINAL was reported")
    check("not followed by a JSON object" in log or "announces" in log,
          "the stray header was reported")
    check("found a FIFO" in log and "symlink" in log, "FIFO and symlink metrics refused")
    check("PERIODICAL metric 0 reported again with another value" in log,
          "a repeated intermediate sequence is reported, not dropped silently")
    check(log.count("Experiment %s STOPPED" % exp_id) == 1 and
          log.count("Experiment %s DONE" % exp_id) == 1, "both managers ended cleanly")

    # Every command reads it.
    check(exp_id in archer("experiment", "list").stdout, "list")
    check(archer("experiment", "show", exp_id).stdout.strip() != "", "show")
    check(len(archer("trial", "ls", exp_id).stdout.splitlines()) >= 16, "trial ls")
    archer("experiment", "status", exp_id)
    archer("experiment", "export", exp_id, "--type", "csv", "--filename",
           os.path.join(TMP, "t.csv"))
    with open(os.path.join(TMP, "t.csv")) as f:
        cells = [c for row in csv.reader(f) for c in row]
    check(FORMULA not in cells, "no formula cell in the CSV")
    if any(r["parameter"]["a"]["_value"] == FORMULA for r in rows if "parameter" in r):
        check(("'" + FORMULA) in cells, "the formula candidate is exported quoted")

    # Simulated pid reuse: the index and the lock file name an unrelated process.
    bystander = subprocess.Popen(["sleep", "120"])
    entries = index()
    entries[exp_id]["pid"] = bystander.pid
    entries[exp_id]["status"] = "RUNNING"
    with open(os.path.join(WORK, ".experiments"), "w") as f:
        json.dump(entries, f)
    with open(os.path.join(exp_dir, "db", "manager.lock"), "w") as f:
        json.dump({"pid": bystander.pid, "startTime": 1, "role": "manager"}, f)
    r = archer("stop", exp_id, ok=False)
    check(bystander.poll() is None, "stop did not signal an unrelated process")
    check(r.returncode != 0 and "not running" in r.stderr, "stop says it is not running")
    check("its manager is gone" in archer("experiment", "list").stdout,
          "list sees no manager (no lock held)")
    # With a process holding the lock (a viewer), a forged lock file still
    # signals nobody else.
    archer("view", exp_id, "--port", "0")
    real = lock_of(exp_dir)
    forged = json.loads(real)
    forged["pid"] = bystander.pid
    with open(os.path.join(exp_dir, "db", "manager.lock"), "w") as f:
        f.write(json.dumps(forged))
    r = archer("stop", exp_id, ok=False)
    check(r.returncode != 0 and bystander.poll() is None,
          "a forged lock file makes stop refuse, not kill: %r" % (r.stderr,))
    check("nothing signalled" in r.stderr, "stop says why: %r" % (r.stderr,))
    with open(os.path.join(exp_dir, "db", "manager.lock"), "w") as f:
        f.write(real)
    check(bystander.poll() is None, "the bystander survived every stop")
    bystander.kill()
    bystander.wait()

    # The view serves it read-only; the page's trial file refuses the symlink.
    vport = json.loads(lock_of(exp_dir))["port"]
    six = [r for r in trials(exp_id) if r["sequenceId"] == 6][0]["trialJobId"]
    answer = request(vport, "GET", "/trial-file/%s/stdout" % six, host)
    check(status_of(answer) == 403 and b"root:" not in answer, "symlinked stdout not served")
    check(status_of(request(vport, "GET", "/trial-jobs", host)) == 200, "view answers")
    archer("stop", exp_id)


def peak_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def registry_file():
    return os.path.join(ENV["HOME"], "archer-experiments", ".experiments")


def hostile_children():
    """Issue 26: what the manager's children and its files can do to it."""
    kids = os.path.join(TMP, "kids")
    os.makedirs(kids)
    with open(os.path.join(kids, "space.json"), "w") as f:
        json.dump({"a": {"_type": "layer_choice", "_value": ["x", "y"]}}, f)
    # A trial whose cost probe floods 2 x 500 MB and plants a symlink where the
    # manager writes the probe's log.
    with open(os.path.join(kids, "flood.sh"), "w") as f:
        f.write('if [ -n "$ARCHER_COST_PROBE" ]; then\n'
                '  head -c 500000000 /dev/zero; head -c 500000000 /dev/zero >&2\n'
                '  ln -s %s/precious "$NNI_SYS_DIR/probe.log"\n'
                '  echo \'{"params": 10}\' > "$ARCHER_COST_PROBE"; exit 0\nfi\n'
                'exec %s -c "import archer_trial as t; t.get_next_parameter(); '
                't.report_final_result(0.5)"\n' % (kids, sys.executable))
    with open(os.path.join(kids, "precious"), "w") as f:
        f.write("precious")
    base = ("searchSpaceFile: space.json\ntrialCodeDirectory: .\ntrialConcurrency: 1\n"
            "maxTrialNumber: 2\nexperimentWorkingDirectory: %s\n" % WORK)
    with open(os.path.join(kids, "flood.yml"), "w") as f:
        f.write(base + "trialCommand: bash flood.sh\ntuner: {name: Random, classArgs: {seed: 1}}\n"
                "constraints:\n  - {metric: params, max: 100}\n")
    with open(os.path.join(kids, "plain.yml"), "w") as f:
        f.write(base + "trialCommand: bash flood.sh\ntuner: {name: Random, classArgs: {seed: 1}}\n")
    # Detached create (the default) returns although every child (probe,
    # trial) runs on, and the flood costs the manager no memory.
    before = set(index())
    r = subprocess.run([ARCHER, "create", "--config", "flood.yml", "--port", "0"], cwd=kids,
                       env=ENV, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "Stop it with" in r.stdout, "detached create returns: %r"
          % (r.stdout + r.stderr)[:500])
    flood_id = (set(index()) - before).pop()
    flood_dir = index()[flood_id]["dir"]
    pid = json.loads(lock_of(flood_dir))["pid"]
    wait(lambda: index()[flood_id].get("status") == "DONE", "the flooding probe's experiment", 180)
    rss = peak_rss_mb(pid)
    check(rss < 250, "1 GB of probe output cost the manager %.0f MB at its peak" % rss)
    check(open(os.path.join(kids, "precious")).read() == "precious",
          "probe.log was not written through the probe's symlink")
    check("2 succeeded" in archer("experiment", "show", flood_id).stdout or
          len([t for t in trials(flood_id) if t["status"] == "SUCCEEDED"]) == 2,
          "the flooded experiment still ran its trials")

    # A POST that any web page can send (text/plain, no preflight): refused
    # before its 400 MiB body is read.
    port = json.loads(lock_of(flood_dir))["port"]
    before_rss = peak_rss_mb(pid)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /api/v1/nni/experiment/import-data HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: text/plain\r\nContent-Length: 419430400\r\n\r\n")
    answer = b""
    chunk = b"x" * (1 << 20)
    try:
        for _ in range(400):
            s.sendall(chunk)
    except OSError:
        pass  # the server answered and closed: the rest is not read
    try:
        answer = s.recv(65536)
    except OSError:
        pass
    s.close()
    check(status_of(answer) in (0, 415), "text/plain POST refused: %r" % answer[:100])
    check(status_of(request(port, "GET", "/check-status", "Host: 127.0.0.1\r\n")) == 200,
          "the server answers after the refused flood")
    grown = peak_rss_mb(pid) - before_rss
    check(grown < 64, "a refused 400 MiB POST grew the manager by %.0f MB" % grown)
    archer("stop", flood_id)

    # An interpreter that floods its output: a clear refusal, not bad_alloc,
    # and nothing of the failed create is left behind.
    with open(os.path.join(kids, "py"), "w") as f:
        f.write("#!/bin/sh\nhead -c 1000000000 /dev/zero | tr '\\0' y\n"
                "echo 'ImportError: no nni' >&2\nexit 1\n")
    os.chmod(os.path.join(kids, "py"), 0o755)
    with open(os.path.join(kids, "tpe.yml"), "w") as f:
        f.write(base.replace("maxTrialNumber: 2", "maxTrialNumber: 1") +
                "trialCommand: bash flood.sh\ntuner: {name: TPE}\n"
                "pythonInterpreter: %s/py\n" % kids)
    before = sorted(os.listdir(WORK))
    r = subprocess.run([ARCHER, "create", "--config", "tpe.yml", "--port", "0"], cwd=kids,
                       env=ENV, capture_output=True, text=True, timeout=120)
    check(r.returncode != 0 and "exited with status 1: ImportError: no nni" in r.stderr
          and "bad_alloc" not in r.stderr and len(r.stderr) < 8000,
          "a flooding interpreter is refused clearly: %r" % r.stderr[:300])
    check(sorted(os.listdir(WORK)) == before, "a failed create leaves no folder")

    # A busy port: the create fails before anything runs, and leaves nothing
    # (no folder, no entry, no pointer saying its directory is gone).
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    registry_before = open(registry_file()).read() if os.path.exists(registry_file()) else ""
    r = subprocess.run([ARCHER, "create", "--config", "plain.yml", "--port",
                        str(busy.getsockname()[1])], cwd=kids, env=ENV,
                       capture_output=True, text=True, timeout=60)
    busy.close()
    check(r.returncode != 0 and r.stderr.strip() != "", "busy port refused: %r" % r.stderr)
    check(sorted(os.listdir(WORK)) == before, "the busy-port create left no folder")
    now = open(registry_file()).read() if os.path.exists(registry_file()) else ""
    check(now == registry_before, "the busy-port create left no pointer")

    # Forged index entries: delete removes only what is provably an
    # experiment's folder.
    precious = os.path.join(TMP, "precious-dir")
    os.makedirs(os.path.join(precious, "db"))
    with open(os.path.join(precious, "db", "archer.sqlite"), "w") as f:
        f.write("not a store")
    entries = index()
    entries["FORGED01"] = {"dir": precious, "status": "DONE"}
    entries["FORGED02"] = {"dir": WORK, "status": "STOPPED"}
    entries["FORGED03"] = {"dir": flood_dir, "status": "DONE"}
    with open(os.path.join(WORK, ".experiments"), "w") as f:
        json.dump(entries, f)
    for forged in ("FORGED01", "FORGED02", "FORGED03"):
        r = archer("experiment", "delete", forged, ok=False)
        check(r.returncode != 0 and "not provably its folder" in r.stderr,
              "delete %s refused: %r" % (forged, r.stderr))
    r = archer("experiment", "delete", "--all", ok=False)
    check(r.returncode != 0 and r.stderr.count("not provably its folder") == 3,
          "delete --all refuses the forged entries: %r" % r.stderr)
    check(os.path.isdir(precious) and os.path.isdir(WORK), "nothing forged was deleted")
    check(flood_id not in index() and not os.path.exists(flood_dir),
          "delete --all deleted the real experiment")

    # A full disk (a small tmpfs, as root): the create fails saying so, and the
    # working directory's index is left whole (it used to be left at 0 bytes).
    small = os.path.join(TMP, "small")
    os.makedirs(small)
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs",
                                             small]).returncode == 0:
        try:
            with open(os.path.join(kids, "small.yml"), "w") as f:
                f.write(open(os.path.join(kids, "plain.yml")).read().replace(
                    "experimentWorkingDirectory: %s" % WORK, "experimentWorkingDirectory: " + small))
            r = subprocess.run([ARCHER, "create", "--config", "small.yml", "--port", "0",
                                "--foreground"], cwd=kids, env=ENV, capture_output=True,
                               text=True, timeout=180)
            check(r.returncode == 0, "an experiment on the small disk: %r" % r.stderr[-300:])
            with open(os.path.join(small, ".experiments")) as f:
                first = f.read()
            with open(os.path.join(small, "filler"), "wb") as f:
                try:
                    while True:
                        f.write(b"x" * 65536)
                        f.flush()
                except OSError:
                    pass
            r = subprocess.run([ARCHER, "create", "--config", "small.yml", "--port", "0",
                                "--foreground"], cwd=kids, env=ENV, capture_output=True,
                               text=True, timeout=180)
            check(r.returncode != 0 and ("full" in r.stderr or "No space" in r.stderr),
                  "a create on a full disk says so: %r" % r.stderr[-300:])
            with open(os.path.join(small, ".experiments")) as f:
                check(f.read() == first, "the index survived the full disk")
            r = subprocess.run([ARCHER, "experiment", "list", "--experiment_working_directory",
                                small], cwd=TMP, env=ENV, capture_output=True, text=True,
                               timeout=60)
            check(r.returncode == 0 and "DONE" in r.stdout and "MISSING" not in r.stdout,
                  "its experiment is still listed: %r" % (r.stdout + r.stderr))
        finally:
            subprocess.run(["umount", "-l", small])

    # A damaged registry is said, and never overwritten.
    with open(registry_file(), "w") as f:
        f.write('{"AAAA": {"dir": ')
    r = subprocess.run([ARCHER, "experiment", "list"], cwd=TMP, env=ENV,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and "is damaged" in r.stderr and registry_file() in r.stderr,
          "a damaged registry is said: %r" % r.stderr)
    r = subprocess.run([ARCHER, "create", "--config", "plain.yml", "--port", "0",
                        "--foreground"], cwd=kids, env=ENV, capture_output=True,
                       text=True, timeout=180)
    check(r.returncode == 0 and "is damaged" in r.stdout + r.stderr,
          "an experiment still runs, warning of the damaged registry: %r"
          % (r.stdout + r.stderr)[-500:])
    check(open(registry_file()).read() == '{"AAAA": {"dir": ', "the damaged registry is kept")
    # A damaged index of the experiment's own working directory stops the create
    # before anything runs (the experiment could not be found afterwards).
    own = os.path.join(WORK, ".experiments")
    with open(own, "w") as f:
        f.write("[")
    before = sorted(os.listdir(WORK))
    r = subprocess.run([ARCHER, "create", "--config", "plain.yml", "--port", "0"], cwd=kids,
                       env=ENV, capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and own + " is damaged" in r.stderr,
          "create refuses a damaged own index: %r" % r.stderr)
    check(open(own).read() == "[" and sorted(os.listdir(WORK)) == before,
          "the damaged index is kept, nothing created")


try:
    main()
    hostile_children()
    print("%d passed, 0 failed" % checks)
except Exception as e:  # one line per failure, then the count
    print("FAIL: %s" % str(e)[:2000], file=sys.stderr)
    print("%d passed, 1 failed" % checks)
    sys.exit(1)
finally:
    subprocess.run(["pkill", "-9", "-f", TMP])
    if not os.environ.get("KEEP"):
        shutil.rmtree(TMP, ignore_errors=True)
