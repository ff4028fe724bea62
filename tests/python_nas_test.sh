#!/usr/bin/env bash
# End to end with Archer's Python package as a user installs it (pip into a venv that sees
# Debian's torch; `python3` on PATH is the venv's): the Python example in its modes, ss_gen
# equal to the LibTorch example's, a short experiment under Random, Regularized Evolution,
# PPO and LocalBO (v2 and v1 configs), ASHA, a constraint (the cost probe on a Python trial),
# a resume after kill -9 of the manager; NNI's classic-NAS trial unchanged with NNI's v1
# config; the same costs as the C++ library; NNI's algorithms refuse the stand-in.
# Usage: python_nas_test.sh ARCHER MNIST_NAS REPO_DIR SHARED_DIR TORCH_PYTHON
set -euo pipefail
archer=$1
mnist=$2
repo=$3
shared=$4
torch_python=$5
tmp=$(mktemp -d)
export HOME=$tmp/home && mkdir -p "$HOME"
cleanup() {
  for pidfile in "$tmp"/*/*/trials/*/.nni/pid; do
    [ -f "$pidfile" ] && kill -9 -- "-$(cat "$pidfile")" 2>/dev/null || true
  done
  pkill -9 -f "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP_TMP:-}" ] && trap - EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
cd "$tmp"

# Install as a user does: a venv that sees Debian's torch, pip offline.
"$torch_python" -m venv --system-site-packages venv >venv.out 2>&1 || { cat venv.out; fail "venv"; }
venv/bin/python -m pip install --no-build-isolation --no-index "$repo/python" >pip.out 2>&1 || { cat pip.out; fail "pip install"; }
export PATH=$tmp/venv/bin:$PATH
unset PYTHONPATH NNI_PLATFORM
[ "$(command -v python3)" = "$tmp/venv/bin/python3" ] || fail "python3 is not the venv's"
cp -r "$repo/examples/python_mnist" ex && cp "$repo/tests/nni_classic_trial.py" ex/
cd ex
passed=$((passed + 1))

# 1. Standalone: the first candidates, a result; bad flags and data are one line.
python3 mnist.py --epochs 1 --train_samples 200 --test_samples 100 >sa.out 2>&1 || { cat sa.out; fail "standalone"; }
grep -q "NNI_PLATFORM is not set" sa.out || fail "standalone warning"
grep -q 'Final result: {"default": .*"params": 444.*"macs": 2821120' sa.out || { cat sa.out; fail "standalone result"; }
if python3 mnist.py --data_dir "$tmp/none" --epochs 1 >err.out 2>&1; then fail "missing data"; fi
grep -q "mnist.py: error: $tmp/none/train-images-idx3-ubyte(.gz): not found (Fashion-MNIST: apt-get install dataset-fashion-mnist" err.out || { cat err.out; fail "missing data message"; }
# A trial started again in its directory (a requeued Slurm job) resumes from its checkpoint.
mkdir -p rs
trial_env() { env NNI_OUTPUT_DIR=$PWD/rs "$@"; }  # standalone: the first candidates
trial_env ARCHER_TRIAL_RESTARTS=0 python3 mnist.py --space nni --epochs 2 \
  --train_samples 200 --test_samples 100 >rs1.out 2>&1 || { cat rs1.out; fail "trial, first start"; }
[ -f rs/checkpoint.pt ] || fail "no checkpoint in the trial's directory"
trial_env ARCHER_TRIAL_RESTARTS=1 python3 mnist.py --space nni --epochs 3 \
  --train_samples 200 --test_samples 100 >rs2.out 2>&1 || { cat rs2.out; fail "trial, restart"; }
grep -q "restart 1: resuming after epoch 1" rs2.out || { cat rs2.out; fail "resumed"; }
if grep -q "^epoch 1:" rs2.out; then cat rs2.out; fail "the restart trained epoch 1 again"; fi
grep -q "^epoch 3:" rs2.out || { cat rs2.out; fail "the restart trained on"; }
passed=$((passed + 1))

# 2. ss_gen: NNI's network gives NNI's bytes; the cell space equals the LibTorch example's.
"$archer" ss_gen -t "python3 mnist.py --space nni" -f nni.json >out 2>&1 || { cat out; fail "ss_gen nni"; }
cmp nni.json "$shared/spec/golden/mnist_search_space.json" || fail "NNI space differs from NNI's golden file"
"$archer" ss_gen -t "python3 mnist.py --space cells --cells 3 --channels 8" >out 2>&1 || { cat out; fail "ss_gen cells"; }
"$archer" ss_gen -t "$mnist --space cells --cells 3 --channels 8" -f cpp.json >out 2>&1 || { cat out; fail "ss_gen C++"; }
cmp nni_auto_gen_search_space.json cpp.json || fail "the Python and C++ cell spaces differ"
passed=$((passed + 1))

# 3. The same costs as the C++ library: the cost probe of both on the same architectures.
python3 - nni_auto_gen_search_space.json "$mnist" <<'PY' || fail "cost parity"
import json, os, random, subprocess, sys, tempfile
space = json.load(open(sys.argv[1]))
rng = random.Random(5)
for k in range(5):
    arch = {}
    for key, c in space.items():
        if c["_type"] == "layer_choice":
            i = rng.randrange(len(c["_value"]))
            arch[key] = {"_value": c["_value"][i], "_idx": i}
        else:
            cands = c["_value"]["candidates"]
            idx = sorted(rng.sample(range(len(cands)), c["_value"]["n_chosen"]))
            arch[key] = {"_value": [cands[i] for i in idx], "_idx": idx}
    costs = []
    for cmd in (["python3", "mnist.py"], [sys.argv[2]]):
        d = tempfile.mkdtemp()
        json.dump({"parameter_id": k, "parameters": arch}, open(d + "/parameter.cfg", "w"))
        env = dict(os.environ, NNI_PLATFORM="local", NNI_SYS_DIR=d, NNI_OUTPUT_DIR=d,
                   NNI_TRIAL_JOB_ID="p", NNI_EXP_ID="e", ARCHER_COST_PROBE=d + "/costs.json")
        subprocess.run(cmd + ["--space", "cells", "--cells", "3", "--channels", "8"],
                       env=env, check=True, capture_output=True)
        c = json.load(open(d + "/costs.json"))
        costs.append((c["params"], c["macs"]))
    assert costs[0] == costs[1], (arch, costs)
print("cost parity: 5 architectures")
PY
passed=$((passed + 1))

# Every trial's architecture fits the space; its result carries the costs.
check() {  # name expected-trials
  "$archer" experiment export --type json --intermediate --filename "$1.json" \
    --experiment_working_directory "$tmp/$1" >/dev/null || fail "$1: export"
  python3 - nni_auto_gen_search_space.json "$1.json" "$2" <<'PY' || fail "$1: trials"
import json, sys
space = json.load(open(sys.argv[1]))
trials = json.load(open(sys.argv[2]))
assert len(trials) == int(sys.argv[3]), len(trials)
assert len({t["trialJobId"] for t in trials}) == len(trials)
for t in trials:
    if t["status"] == "EARLY_STOPPED":
        assert "stopped early: ASHA" in t["message"], t
        continue
    assert t["status"] == "SUCCEEDED", t
    arch = t["parameter"]
    assert sorted(arch) == sorted(space), arch
    for key, choice in space.items():
        if choice["_type"] == "layer_choice":
            assert choice["_value"][arch[key]["_idx"]] == arch[key]["_value"]
        else:
            assert len(arch[key]["_idx"]) == choice["_value"]["n_chosen"]
    value = json.loads(t["value"])
    assert 0 <= value["default"] <= 100, value
    assert value["params"] > 0 and value["macs"] > 0 and value["latency_ms"] > 0, value
PY
}
shrink() {  # config -> a 3-trial config in $tmp/<name>
  sed -e "s|python3 mnist.py --space cells .*|python3 mnist.py --space cells --cells 3 --channels 8 --optimizer adam --lr 0.001 --epochs 2 --train_samples 256 --validation_samples 256|" \
      -e "s|maxTrialNumber: [24]0|maxTrialNumber: $2|; s|maxTrialNum: 20|maxTrialNum: $2|" "$1.yml" >"$1.test.yml"
  case $1 in
    config_v1_*) echo "logDir: $tmp/$1" >>"$1.test.yml" ;;
    *) echo "experimentWorkingDirectory: $tmp/$1" >>"$1.test.yml" ;;
  esac
  grep -q -- "--train_samples 256" "$1.test.yml" || fail "$1: trial command not shrunk"
}

# 4. Every tuner, v2 and v1, ASHA.
for f in config_random config_evolution config_ppo config_localbo config_v1_random config_v1_evolution config_evolution_asha; do
  grep -q -- "--validation_samples 10000" "$f.yml" || fail "$f: no validation split"
  shrink "$f" 3
  "$archer" create --config "$f.test.yml" --foreground --no_server >"$f.out" 2>&1 || { cat "$f.out"; fail "$f"; }
  case $f in
    *_asha) grep -q "DONE: [1-3] succeeded, 0 failed" "$f.out" || { cat "$f.out"; fail "$f: trials"; } ;;
    *) grep -q "DONE: 3 succeeded, 0 failed" "$f.out" || { cat "$f.out"; fail "$f: 3 trials"; } ;;
  esac
  check "$f" 3
  passed=$((passed + 1))
done
grep -q "archer: malloc as set by GLIBC_TUNABLES, 1 torch thread(s)" "$tmp"/config_random/*/trials/*/stderr || fail "the trials' runtime settings"

# 5. A constraint: the cost probe runs the Python trial; nothing over the bound is trained.
shrink config_constrained 4
sed -i -e "s|{metric: params, max: 15000}|{metric: params, max: 6000}|" -e "/metric: latency_ms/d" config_constrained.test.yml
"$archer" create --config config_constrained.test.yml --foreground --no_server >constrained.out 2>&1 || { cat constrained.out; fail "constrained"; }
grep -q "DONE: 4 succeeded, 0 failed" constrained.out || { cat constrained.out; fail "constrained trials"; }
"$archer" experiment show --experiment_working_directory "$tmp/config_constrained" >show.out 2>&1 || { cat show.out; fail "show"; }
grep -q "rejected by the constraints" show.out || { cat show.out; fail "no proposal was rejected"; }
check config_constrained 4
python3 -c 'import json,sys; assert all(json.loads(t["value"])["params"] <= 6000 for t in json.load(open(sys.argv[1])))' config_constrained.json || fail "an infeasible architecture was trained"
passed=$((passed + 1))

# 6. kill -9 of the manager while Python trials run, then resume: nothing lost or doubled.
shrink config_evolution 5
sed -i -e "s|--epochs 2|--epochs 4|" -e "s|experimentWorkingDirectory: .*|experimentWorkingDirectory: $tmp/config_crash|" config_evolution.test.yml
"$archer" create --config config_evolution.test.yml --port 0 >crash.out 2>&1 || { cat crash.out; fail "create"; }
id=$(sed -n 's/^Experiment \([A-Za-z0-9]*\) started.*/\1/p' crash.out)
[ -n "$id" ] || { cat crash.out; fail "no experiment id"; }
for _ in $(seq 600); do
  [ "$("$archer" trial ls --experiment_working_directory "$tmp/config_crash" | grep -c " RUNNING " || true)" -ge 2 ] && break
  sleep 0.1
done
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["pid"])' "$tmp/config_crash/.experiments" "$id")
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
"$archer" resume "$id" --foreground --no_server --experiment_working_directory "$tmp/config_crash" >resume.out 2>&1 || { cat resume.out; fail "resume"; }
grep -q "DONE: 5 succeeded, 0 failed" resume.out || { cat resume.out; fail "resumed experiment"; }
grep -q "resumed experiment $id: [0-9]* trials had ended, [1-9] adopted" resume.out "$tmp/config_crash/$id/log/manager.log" || { cat "$tmp/config_crash/$id/log/manager.log"; fail "no trial was adopted"; }
check config_crash 5
passed=$((passed + 1))

# 7. NNI's classic-NAS trial, unchanged, with NNI's v1 config and `archer` for `nnictl`.
"$archer" ss_gen --trial_command "python3 nni_classic_trial.py" -f nni_trial.json >out 2>&1 || { cat out; fail "ss_gen of NNI's trial"; }
cmp nni_trial.json "$shared/spec/golden/mnist_search_space.json" || fail "NNI trial's space"
cat >config_nni.test.yml <<YAML
authorName: default
experimentName: example_mnist
trialConcurrency: 1
maxExecDuration: 1h
maxTrialNum: 3
trainingServicePlatform: local
searchSpacePath: nni_trial.json
useAnnotation: False
tuner:
  builtinTunerName: PPOTuner
  classArgs:
    optimize_mode: maximize
trial:
  command: python3 nni_classic_trial.py
  codeDir: .
  gpuNum: 0
logDir: $tmp/config_nni
YAML
"$archer" create --config config_nni.test.yml --foreground --no_server >nni.out 2>&1 || { cat nni.out; fail "NNI's trial"; }
grep -q "DONE: 3 succeeded, 0 failed" nni.out || { cat nni.out; fail "NNI's trial: 3 trials"; }
"$archer" experiment export --type json --filename nni_trial_export.json --experiment_working_directory "$tmp/config_nni" >/dev/null
python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert len(t) == 3 and all(json.loads(x["value"])["params"] > 0 for x in t), t' nni_trial_export.json || fail "NNI trial's results"
passed=$((passed + 1))

# 8. NNI's algorithms need NNI itself: the stand-in is refused, clearly.
cat >config_tpe.test.yml <<YAML
searchSpaceFile: nni_trial.json
trialCommand: python3 nni_classic_trial.py
trialConcurrency: 1
maxTrialNumber: 1
experimentWorkingDirectory: $tmp/tpe
tuner: {name: TPE}
pythonInterpreter: $tmp/venv/bin/python3
YAML
if "$archer" create --config config_tpe.test.yml --foreground --no_server >tpe.out 2>&1; then fail "TPE ran without NNI"; fi
grep -q "NNI is not installed (its \`nni\` is Archer's stand-in for trials" tpe.out || { cat tpe.out; fail "TPE message"; }
passed=$((passed + 1))
echo "python_nas_test: $passed passed, 0 failed"
