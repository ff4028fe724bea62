#!/usr/bin/env bash
# End-to-end test of the quickstart trial in its three modes (standalone, search-space
# generation, experiment) plus a stale architecture. Usage: quickstart_test.sh QUICKSTART SRC_DIR
set -euo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
args=(--epochs 2 --samples 200)

# 1. Standalone: first candidates, results logged.
env -u NNI_PLATFORM "$bin" "${args[@]}" >"$tmp/out" 2>"$tmp/err" || fail "standalone run exited $?"
grep -q 'architecture: {"body": {"_value": "relu_block", "_idx": 0}, "skip": {"_value": \[""\], "_idx": \[0\]}}' "$tmp/out" || fail "standalone architecture"
grep -q "Final result: " "$tmp/out" || fail "standalone final result not logged"
grep -q "Running without an experiment" "$tmp/err" || fail "standalone warning missing"

# 2. Search-space generation: writes the file, exits 0 before training.
NNI_GEN_SEARCH_SPACE="$tmp/ss.json" "$bin" "${args[@]}" >"$tmp/out" 2>&1 || fail "ss_gen mode exited $?"
cmp "$tmp/ss.json" "$src/examples/quickstart/search_space.json" || fail "search space differs"
if grep -q "result" "$tmp/out"; then fail "ss_gen mode trained"; fi

# 3. Experiment: parameter.cfg written the NNI way changes the architecture; metrics framed.
trial="$tmp/trial"
mkdir -p "$trial"
printf '%s' '{"parameter_id": 7, "parameter_source": "algorithm", "parameters": {"body": {"_value": "tanh_block", "_idx": 1}, "skip": {"_value": [""], "_idx": [1]}}, "parameter_index": 0}' >"$trial/parameter.cfg"
NNI_PLATFORM=local NNI_EXP_ID=exp NNI_TRIAL_JOB_ID=Ab3xZ NNI_TRIAL_SEQ_ID=0 \
  NNI_SYS_DIR="$trial" NNI_OUTPUT_DIR="$trial" "$bin" "${args[@]}" >"$tmp/out" 2>&1 || fail "experiment run exited $?"
grep -q '"body": {"_value": "tanh_block", "_idx": 1}, "skip": {"_value": \[""\], "_idx": \[1\]}' "$tmp/out" || fail "architecture not applied"
[ "$(grep -c '"type": "FINAL"' "$trial/.nni/metrics")" = 1 ] || fail "expected one FINAL record"
grep -q '^ME[0-9]\{6\}{"parameter_id": 7, "trial_job_id": "Ab3xZ", "type": "PERIODICAL", "sequence": 0, "value": "' "$trial/.nni/metrics" || fail "PERIODICAL framing"

# 4. A stale architecture: one line on stderr naming the file, exit 1.
printf '%s' '{"parameter_id": 8, "parameters": {"body": {"_value": "conv", "_idx": 0}, "old_key": {"_value": "x", "_idx": 0}}}' >"$trial/parameter.cfg"
set +e
NNI_PLATFORM=local NNI_SYS_DIR="$trial" NNI_OUTPUT_DIR="$trial" "$bin" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "stale architecture exited $rc, expected 1"
grep -q "archer: error: $trial/parameter.cfg: the architecture's keys do not match the search space (missing 'skip'; unexpected 'old_key')" "$tmp/err" || { cat "$tmp/err"; fail "stale architecture message"; }
echo "quickstart_test: 4 passed, 0 failed"
