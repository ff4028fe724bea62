#!/usr/bin/env bash
# End-to-end test of the Fashion-MNIST example through the CLI: ss_gen of both
# spaces (NNI's network must give NNI's bytes), a short experiment with each
# tuner (v2 and v1 configs), the trials' architectures checked against the
# search space, metrics, the export, and the data errors.
# Usage: mnist_test.sh ARCHER MNIST_NAS PYTHON SHARED_DIR EXAMPLE_DIR
set -euo pipefail
archer=$1
mnist=$2
python=$3
shared=$4
shipped=$5
tmp=$(mktemp -d)
# The CLI's registry of experiments lives under $HOME: this test's own, fresh.
export HOME=$tmp/home && mkdir -p "$HOME"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
cd "$tmp"
export XDG_CACHE_HOME=$tmp/cache

# ss_gen: NNI's MNIST network gives NNI's file byte for byte; the cell space has
# 7 choices and 46,656 architectures.
"$archer" ss_gen -t "$mnist --space nni" -f nni.json >out 2>&1 || { cat out; fail "ss_gen nni"; }
cmp nni.json "$shared/spec/golden/mnist_search_space.json" || fail "NNI space differs from NNI's golden file"
"$archer" ss_gen -t "$mnist --space cells" >out 2>&1 || { cat out; fail "ss_gen cells"; }
"$python" - nni_auto_gen_search_space.json <<'PY' || fail "cell space"
import json, math, sys
space = json.load(open(sys.argv[1]))
n = 1
for v in space.values():
    if v["_type"] == "layer_choice":
        assert len(v["_value"]) >= 4
        n *= len(v["_value"])
    else:
        n *= math.comb(len(v["_value"]["candidates"]), v["_value"]["n_chosen"])
assert len(space) == 7 and n == 46656, (len(space), n)
PY
passed=$((passed + 1))

# Every trial's architecture fits the space, with a result and an intermediate one.
check() {  # name
  "$archer" experiment export --type json --intermediate --filename "$1.json" \
    --experiment_working_directory "$tmp/$1" >/dev/null || fail "$1: export"
  "$python" - nni_auto_gen_search_space.json "$1.json" "$1" <<'PY' || fail "$1: trials"
import json, sys
space = json.load(open(sys.argv[1]))
trials = json.load(open(sys.argv[2]))
assert len(trials) == 3, len(trials)
# With an assessor a trial may end EARLY_STOPPED after its intermediate result.
stopping = sys.argv[3].endswith("_asha")
for t in trials:
    if stopping and t["status"] == "EARLY_STOPPED":
        assert "stopped early: ASHA" in t["message"], t
        assert len(t["intermediate"]) == 1, t["intermediate"]
        continue
    assert t["status"] == "SUCCEEDED", t
    arch = t["parameter"]
    assert list(arch) == list(space), arch
    for key, choice in space.items():
        if choice["_type"] == "layer_choice":
            assert choice["_value"][arch[key]["_idx"]] == arch[key]["_value"]
        else:
            idx = arch[key]["_idx"]
            assert len(idx) == choice["_value"]["n_chosen"] == len(set(idx))
            assert all(0 <= i < len(choice["_value"]["candidates"]) for i in idx)
    value = json.loads(t["value"])  # the final metric, with the costs
    assert 0 <= value["default"] <= 100, t["value"]
    assert value["params"] > 0 and value["macs"] > 0 and value["latency_ms"] > 0, value
    assert len(t["intermediate"]) == 1, t["intermediate"]
PY
}
# The shipped configs (every tuner, v2 and v1), shrunk to 3 tiny trials.
for f in config_random config_evolution config_evolution_asha config_ppo config_v1_random config_v1_evolution config_v1_ppo; do
  # A search selects on a validation split of the training images, never on the test set.
  grep -q -- "--validation_samples 10000" "$shipped/$f.yml" || fail "$f: no validation split"
  if grep -q -- "--test_samples" "$shipped/$f.yml"; then fail "$f: selects on the test set"; fi
  sed -e "s|../../build/examples/mnist/mnist_nas|$mnist|" \
      -e "s|--space cells .*|--space cells --epochs 2 --train_samples 256 --validation_samples 256 --log_interval 0|" \
      -e "s|maxTrialNumber: [24]0|maxTrialNumber: 3|; s|maxTrialNum: 20|maxTrialNum: 3|" \
      "$shipped/$f.yml" >"$f.yml"
  case $f in
    config_v1_*) echo "logDir: $tmp/$f" >>"$f.yml" ;;
    *) echo "experimentWorkingDirectory: $tmp/$f" >>"$f.yml" ;;
  esac
  grep -q -- "--train_samples 256" "$f.yml" || fail "$f: trial command not shrunk"
  "$archer" create --config "$f.yml" --foreground --no_server >"$f.out" 2>&1 || { cat "$f.out"; fail "$f"; }
  case $f in
    *_asha) grep -q "DONE: [1-3] succeeded, 0 failed" "$f.out" || { cat "$f.out"; fail "$f: trials"; } ;;
    *) grep -q "DONE: 3 succeeded, 0 failed" "$f.out" || { cat "$f.out"; fail "$f: 3 trials"; } ;;
  esac
  check "$f"
  passed=$((passed + 1))
done
# The trials got Archer's runtime settings (and said so on stderr).
grep -q "archer: malloc mmap/trim thresholds 32/256 MiB\|archer: malloc as set by GLIBC_TUNABLES" "$tmp"/config_v1_evolution/*/trials/*/stderr || fail "runtime defaults"
grep -q "^export GLIBC_TUNABLES='glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456'$" "$tmp"/config_v1_evolution/*/trials/*/run.sh || fail "GLIBC_TUNABLES"
passed=$((passed + 1))

# Data errors name the path and the package.
if "$mnist" --data_dir "$tmp/none" --epochs 1 >err.out 2>&1; then fail "missing data accepted"; fi
grep -q "mnist_nas: error: $tmp/none/train-images-idx3-ubyte(.gz): not found (Fashion-MNIST: apt-get install dataset-fashion-mnist" err.out || { cat err.out; fail "missing data message"; }
mkdir bad && for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do echo garbage | gzip >"bad/$f.gz"; done
if "$mnist" --data_dir bad --epochs 1 >err.out 2>&1; then fail "corrupt data accepted"; fi
grep -q "mnist_nas: error: .*not valid MNIST IDX files.*dataset-fashion-mnist" err.out || { cat err.out; fail "corrupt data message"; }
printf 'not gzip' >bad/train-images-idx3-ubyte.gz
rm -rf cache
if "$mnist" --data_dir bad --epochs 1 >err.out 2>&1; then fail "non-gzip data accepted"; fi
grep -q "mnist_nas: error: .*bad/train-images-idx3-ubyte.gz: corrupt gzip data\|not valid MNIST IDX files" err.out || { cat err.out; fail "non-gzip message"; }
passed=$((passed + 1))
echo "mnist_test: $passed passed, 0 failed"
