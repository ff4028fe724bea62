#!/usr/bin/env bash
# GPU scheduling of local trials with a stand-in nvidia-smi (this machine has no
# GPU): trialGpuNumber, gpuIndices, maxTrialNumberPerGpu, useActiveGpu, and the
# error when no GPU can be found.
# Usage: gpu_test.sh ARCHER
set -euo pipefail
archer=$1
tmp=$(mktemp -d)
# The CLI's registry of experiments lives under $HOME: this test's own, fresh.
export HOME=$tmp/home && mkdir -p "$HOME"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
cd "$tmp"
mkdir bin
# Two GPUs; GPU 0 runs another user's process when $tmp/gpu0_busy exists.
cat >bin/nvidia-smi <<SH
#!/bin/sh
case "\$1" in
  --query-gpu=*) printf '0, GPU-aaaa\n1, GPU-bbbb\n' ;;
  --query-compute-apps=*) [ -f "$tmp/gpu0_busy" ] && printf 'GPU-aaaa, 999\n'; true ;;
  *) exit 1 ;;
esac
SH
chmod +x bin/nvidia-smi
config() {  # name concurrency extra-training-service-keys
  cat <<YAML
searchSpace: {a: {_type: layer_choice, _value: [x, y, z]}}
trialCommand: echo "\$CUDA_VISIBLE_DEVICES"; sleep 0.3
trialConcurrency: $2
trialGpuNumber: 1
maxTrialNumber: 6
experimentWorkingDirectory: $tmp/$1
tuner: {name: Random, classArgs: {dedup: false}}
trainingService: {platform: local, useActiveGpu: false $3}
YAML
}
devices() {  # workdir: every trial's CUDA_VISIBLE_DEVICES, sorted and unique
  cat "$1"/*/trials/*/stdout | sort -u | tr '\n' ' '
}

# Two GPUs, one trial each: both are used, never a third trial at once.
config two 3 "" >two.yml
PATH=$tmp/bin:$PATH "$archer" create --config two.yml --foreground --no_server >two.out 2>&1 || { cat two.out; fail "create"; }
grep -q "DONE: 6 succeeded" two.out || { cat two.out; fail "6 trials"; }
[ "$(devices two)" = "0 1 " ] || fail "devices: $(devices two)"
grep -q "2 running" two.out || fail "two trials at once"
if grep -q "3 running" two.out; then fail "more trials than GPUs"; fi
passed=$((passed + 1))

# GPU 0 busy with another program: only GPU 1 is used (useActiveGpu: false);
# gpuIndices restricts too; maxTrialNumberPerGpu allows sharing.
touch gpu0_busy
config busy 2 "" >busy.yml
PATH=$tmp/bin:$PATH "$archer" create --config busy.yml --foreground --no_server >busy.out 2>&1 || { cat busy.out; fail "create busy"; }
[ "$(devices busy)" = "1 " ] || fail "busy GPU used: $(devices busy)"
rm gpu0_busy
config shared 2 ", gpuIndices: '1', maxTrialNumberPerGpu: 2" >shared.yml
PATH=$tmp/bin:$PATH "$archer" create --config shared.yml --foreground --no_server >shared.out 2>&1 || { cat shared.out; fail "create shared"; }
[ "$(devices shared)" = "1 " ] || fail "gpuIndices ignored: $(devices shared)"
grep -q "2 running" shared.out || fail "maxTrialNumberPerGpu 2 should run two trials on GPU 1"
passed=$((passed + 1))

# No nvidia-smi: a clear error naming the config, before any trial runs.
if PATH=/usr/bin:/bin "$archer" create --config two.yml --foreground --no_server >none.out 2>&1; then fail "ran without GPUs"; fi
grep -q "^archer: error: $tmp/two.yml: trialGpuNumber is 1 but no GPU can be found: nvidia-smi was not found on PATH" none.out || { cat none.out; fail "no-GPU message"; }
passed=$((passed + 1))
echo "gpu_test: $passed passed, 0 failed"
