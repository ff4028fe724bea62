"""The Python trial side's costs, measured side by side in one run (issue 27):

1. `import archer` (and `archer_trial`, NNI's names through the stand-in) without torch,
   against the interpreter's own start;
2. the framework cost per trial through the manager: N trials of a Python trial that reads
   its parameters and reports a result with Archer's SDK, against N trials of a shell trial
   that writes the same record (trial_overhead_bench's trial), at concurrency 1;
3. an apply-only classic-NAS trial (the cost probe: start, build the example's cell network,
   apply an architecture, measure its costs, exit) in Python and in C++ (LibTorch);
4. forward time of an applied LayerChoice/InputChoice model against the same network written
   as plain PyTorch (the chosen modules, no mutables), batch 1 and 64.

Usage: python_trial_bench.py ARCHER MNIST_NAS [--runs N] [--trials N] [--no_write]
Run it with a Python that has torch (Debian's /usr/bin/python3)."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PACKAGE = os.path.join(REPO, "python")
EXAMPLE = os.path.join(REPO, "examples", "python_mnist")
sys.path[:0] = [PACKAGE, EXAMPLE]


def env(**extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("NNI_")}
    e["PYTHONPATH"] = PACKAGE + os.pathsep + EXAMPLE
    e.update(extra)
    return e


def wall(cmd, runs, **kw):
    """Median wall seconds of `runs` runs of cmd (after one untimed)."""
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, **kw)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def imports(runs):
    py = sys.executable
    rows = [("`python3 -c pass` (the interpreter)", [py, "-c", "pass"]),
            ("`import archer`", [py, "-c", "import archer"]),
            ("`import archer_trial`", [py, "-c", "import archer_trial"]),
            ("`import nni` (Archer's stand-in)", [py, "-c", "import _archer_nni, nni"]),
            ("`import torch`", [py, "-c", "import torch"]),
            ("`from archer.nas import LayerChoice` (torch)",
             [py, "-c", "from archer.nas import LayerChoice"])]
    out = [(name, wall(cmd, runs, env=env())) for name, cmd in rows]
    check = subprocess.run([py, "-c", "import sys, archer, _archer_nni, nni; "
                            "print('torch' in sys.modules)"], env=env(), capture_output=True,
                           text=True, check=True).stdout.strip()
    return out, check == "False"


def manager_trials(archer, trials, work):
    """Seconds per trial (wall / N) for a shell trial and a Python SDK trial, concurrency 1."""
    space = os.path.join(work, "space.json")
    with open(space, "w") as f:
        json.dump({"x": {"_type": "layer_choice", "_value": [str(i) for i in range(10000)]}}, f)
    shell = os.path.join(work, "trial.sh")
    with open(shell, "w") as f:  # the FINAL record, as trial_overhead_bench's trial writes it
        f.write('#!/bin/sh\nmkdir -p "$NNI_OUTPUT_DIR/.nni"\n'
                'body=\'{"parameter_id": 0, "trial_job_id": "t", "type": "FINAL", '
                '"sequence": 0, "value": "1"}\'\n'
                'printf "ME%06d%s\\n" $((${#body} + 1)) "$body" >>"$NNI_OUTPUT_DIR/.nni/metrics"\n')
    os.chmod(shell, 0o755)
    python_trial = ("%s -c 'import archer; archer.get_next_parameter(); "
                    "archer.report_final_result(1)'" % sys.executable)
    out = {}
    for name, command in (("shell", shell), ("python", python_trial)):
        folder = os.path.join(work, name)
        config = os.path.join(work, name + ".yml")
        with open(config, "w") as f:
            f.write("searchSpaceFile: %s\ntrialCommand: %s\ntrialConcurrency: 1\n"
                    "maxTrialNumber: %d\nexperimentWorkingDirectory: %s\n"
                    "tuner: {name: Random, classArgs: {seed: 1}}\n"
                    % (space, command, trials, folder))
        start = time.perf_counter()
        r = subprocess.run([archer, "create", "--config", config, "--foreground", "--no_server"],
                           env=env(HOME=work), capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if r.returncode != 0 or "DONE: %d succeeded" % trials not in r.stdout + r.stderr:
            raise SystemExit("the %s trials failed:\n%s%s" % (name, r.stdout[-2000:],
                                                               r.stderr[-2000:]))
        out[name] = seconds / trials
    return out


def probes(mnist_nas, runs, work):
    """Median seconds of the apply-only trial (the cost probe) in Python and in C++."""
    arch = {"cell0_op": {"_value": "sepconv3x3", "_idx": 2},
            "cell1_input": {"_value": [""], "_idx": [0]},
            "cell1_op": {"_value": "conv3x3", "_idx": 0},
            "cell2_input": {"_value": ["cell1_op"], "_idx": [2]},
            "cell2_op": {"_value": "maxpool3x3", "_idx": 3},
            "cell3_input": {"_value": ["", "cell0_op"], "_idx": [0, 1]},
            "cell3_op": {"_value": "conv5x5", "_idx": 1}}
    with open(os.path.join(work, "parameter.cfg"), "w") as f:
        json.dump({"parameter_id": 1, "parameters": arch}, f)
    e = env(NNI_PLATFORM="local", NNI_SYS_DIR=work, NNI_OUTPUT_DIR=work, NNI_TRIAL_JOB_ID="p",
            NNI_EXP_ID="b", ARCHER_COST_PROBE=os.path.join(work, "costs.json"))
    python = wall([sys.executable, os.path.join(EXAMPLE, "mnist.py"), "--space", "cells"],
                  runs, env=e)
    with open(os.path.join(work, "costs.json")) as f:
        python_costs = json.load(f)
    cpp = wall([mnist_nas, "--space", "cells"], runs, env=e)
    with open(os.path.join(work, "costs.json")) as f:
        cpp_costs = json.load(f)
    torch_floor = wall([sys.executable, "-c", "import torch"], runs, env=env())
    same = (python_costs["params"], python_costs["macs"]) == (cpp_costs["params"],
                                                               cpp_costs["macs"])
    return python, cpp, torch_floor, same


def forward_times(repeats):
    import torch
    import torch.nn.functional as F
    from torch import nn

    import archer
    import mnist

    torch.set_num_threads(1)

    class PlainCellNet(nn.Module):
        """The applied network without mutables: the chosen modules, wired by hand."""

        def __init__(self, applied, arch):
            super().__init__()
            self.stem = applied.stem
            self.ops = nn.ModuleList(op[op.decision[0]] for op in applied.cell_ops)
            self.picks = [arch["cell%d_input" % i]["_idx"] for i in range(1, len(self.ops))]
            self.classifier = applied.classifier

        def forward(self, x):
            outputs = [self.stem(x)]
            for i, op in enumerate(self.ops):
                if i == 0:
                    inp = outputs[0]
                else:
                    chosen = [outputs[k] for k in self.picks[i - 1]]
                    inp = chosen[0] if len(chosen) == 1 else sum(chosen)
                outputs.append(op(inp))
            return F.log_softmax(self.classifier(F.max_pool2d(outputs[-1], 2).flatten(1)), 1)

    torch.manual_seed(0)
    net = mnist.CellNet(16, 4)
    arch = {"cell0_op": {"_value": "conv3x3", "_idx": 0},
            "cell1_input": {"_value": [""], "_idx": [0]},
            "cell1_op": {"_value": "sepconv3x3", "_idx": 2},
            "cell2_input": {"_value": ["cell1_op"], "_idx": [2]},
            "cell2_op": {"_value": "conv5x5", "_idx": 1},
            "cell3_input": {"_value": ["", "cell1_op"], "_idx": [0, 2]},
            "cell3_op": {"_value": "identity", "_idx": 5}}
    archer.apply_architecture(net, arch)
    plain = PlainCellNet(net, arch)
    net.eval()
    plain.eval()
    rows = []
    for batch in (1, 64):
        x = torch.randn(batch, 1, 28, 28)
        with torch.no_grad():
            assert torch.equal(net(x), plain(x))
            times = {"archer": [], "plain": []}
            for _ in range(20):
                net(x), plain(x)
            for _ in range(repeats):  # interleaved, so drift hits both alike
                for name, model in ((("archer", net), ("plain", plain)) if _ % 2 else (("plain", plain), ("archer", net))):
                    start = time.perf_counter()
                    model(x)
                    times[name].append(time.perf_counter() - start)
        rows.append((batch, statistics.median(times["archer"]) * 1e3,
                     statistics.median(times["plain"]) * 1e3))
    return rows


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 2:
        raise SystemExit(__doc__)
    archer_bin, mnist_nas = args
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 15
    trials = int(argv[argv.index("--trials") + 1]) if "--trials" in argv else 100
    with tempfile.TemporaryDirectory() as work:
        import_rows, torch_free = imports(runs)
        per_trial = manager_trials(archer_bin, trials, work)
        probe_py, probe_cpp, torch_floor, same_costs = probes(mnist_nas, runs, work)
    forward = forward_times(500)
    base = import_rows[0][1]
    lines = [
        "Measured %s on this project's machine (%d cores), one run, `python_trial_bench.py "
        "--runs %d --trials %d` (Debian's Python %s, torch from python3-torch)."
        % (time.strftime("%Y-%m-%d"), os.cpu_count(), runs, trials,
           ".".join(map(str, sys.version_info[:3]))),
        "",
        "**Import** (median wall time of a fresh process, %d runs; torch imported by "
        "`import archer`: %s):" % (runs, "no" if torch_free else "YES"),
        "",
        "| what | ms | over the interpreter |", "|---|---:|---:|"]
    for name, seconds in import_rows:
        lines.append("| %s | %.1f | %+.1f |" % (name, seconds * 1e3, (seconds - base) * 1e3))
    lines += [
        "",
        "**Framework cost per trial through the manager** (%d trials at concurrency 1, wall "
        "time / trials; the shell trial is `trial_overhead_bench`'s, writing the same FINAL "
        "record): shell %.1f ms, Python SDK trial %.1f ms — the Python trial costs %.1f ms "
        "more, of which the interpreter's start is %.1f ms."
        % (trials, per_trial["shell"] * 1e3, per_trial["python"] * 1e3,
           (per_trial["python"] - per_trial["shell"]) * 1e3, base * 1e3),
        "",
        "**Apply-only classic-NAS trial** (the example's cell network: start, build, apply an "
        "architecture, measure its costs, exit — the cost probe; median of %d): Python "
        "%.0f ms (of which `import torch` %.0f ms), C++ (LibTorch) %.0f ms; params and MACs "
        "identical: %s." % (runs, probe_py * 1e3, torch_floor * 1e3, probe_cpp * 1e3,
                            "yes" if same_costs else "NO"),
        "",
        "**Forward time** of the applied cell network (4 cells, 16 channels; eval, no_grad, "
        "1 thread; median of 500 interleaved calls) against the same network in plain "
        "PyTorch (the chosen modules wired by hand; outputs checked equal):",
        "",
        "| batch | applied LayerChoice model | plain PyTorch | ratio |", "|---:|---:|---:|---:|"]
    for batch, a, p in forward:
        lines.append("| %d | %.3f ms | %.3f ms | %.3f |" % (batch, a, p, a / p))
    small = forward[0]
    lines += ["", "The applied model's 7 mutables add %.1f µs to a batch-1 forward pass (%.2f µs "
              "each: one Python call; the chosen module is called directly), %.1f%% of this "
              "small network's time. That cost does not grow with the batch: at batch 64 "
              "the difference (%+.1f%%) is run-to-run noise (earlier runs measured -1.2%% to "
              "+0.8%%)." % ((small[1] - small[2]) * 1e3, (small[1] - small[2]) * 1e3 / 7,
                           (small[1] / small[2] - 1) * 100,
                           (forward[1][1] / forward[1][2] - 1) * 100)]
    text = "\n".join(lines) + "\n"
    print(text)
    if "--no_write" not in argv:
        subprocess.run([sys.executable, os.path.join(HERE, "update_section.py"),
                        os.path.join(REPO, "docs", "benchmarks.md"), "python_trial",
                        "The Python trial side (`bench/python_trial_bench.py`)", text],
                       check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
