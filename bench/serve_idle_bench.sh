#!/usr/bin/env bash
# What a detached manager costs while it serves a DONE experiment (its web UI and REST API stay
# up until `archer stop`): the CPU time it uses over SECONDS (default 30) of idling, with and
# without a browser tab polling it (the page asks for `overview` every 2 s), and its resident
# memory. Prints the numbers and rewrites the "serve_idle" section of docs/benchmarks.md.
# Usage: bench/serve_idle_bench.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seconds=${2:-30}
archer=$build/tools/archer/archer
tmp=$(mktemp -d)
export HOME=$tmp/home
trap '"$archer" stop --all >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
cd "$tmp"
printf '{"op": {"_type": "layer_choice", "_value": ["a", "b", "c"]}}' >space.json
cat >exp.yml <<'YAML'
searchSpaceFile: space.json
trialCommand: "m='{\"parameter_id\": 0, \"trial_job_id\": \"t\", \"type\": \"FINAL\", \"sequence\": 0, \"value\": \"0.5\"}'; printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> \"$NNI_OUTPUT_DIR/.nni/metrics\""
trialConcurrency: 1
maxTrialNumber: 3
tuner: {name: Random}
YAML
out=$("$archer" create --config exp.yml --port 0)
id=$(echo "$out" | sed -n 's/^Experiment \([^ ]*\) started.*/\1/p')
for _ in $(seq 200); do
  "$archer" experiment status "$id" | grep -q '"DONE"' && break
  sleep 0.1
done
json=$("$archer" experiment list --json)
pid=$(python3 -c "import json,sys; e=json.loads(sys.argv[1])[0]; print(json.load(open(e['workingDir'] + '/.experiments'))[e['id']]['pid'])" "$json")
port=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])[0]['port'])" "$json")
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
sleep 1
c0=$(cpu)
sleep "$seconds"
c1=$(cpu)
# A browser tab: overview every 2 s.
(for _ in $(seq $((seconds / 2))); do
  curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/nni/overview" || true
  sleep 2
done) &
poller=$!
c2=$(cpu)
wait "$poller"
c3=$(cpu)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
idle_ms=$(awk -v a="$c0" -v b="$c1" -v t="$ticks" -v s="$seconds" 'BEGIN {printf "%.1f", (b - a) * 1000 / t / s * 60}')
polled_ms=$(awk -v a="$c2" -v b="$c3" -v t="$ticks" -v s="$seconds" 'BEGIN {printf "%.1f", (b - a) * 1000 / t / s * 60}')
"$archer" stop "$id" >/dev/null 2>&1
echo "served DONE experiment: ${idle_ms} ms CPU per minute idle, ${polled_ms} ms per minute with a tab polling every 2 s, RSS $((rss / 1024)) MiB"
section="Measured $(date -u +%Y-%m-%d) by \`bench/serve_idle_bench.sh\` ($(nproc) cores): a detached manager
serving its DONE experiment (3 trials) on until \`archer stop\`, over ${seconds} s each
(CPU from \`/proc/PID/stat\`, clock ticks of 1/${ticks} s).

| manager after DONE | CPU time per minute | resident memory |
|---|---|---|
| idle | **${idle_ms} ms** | $((rss / 1024)) MiB |
| a browser tab polling \`overview\` every 2 s | ${polled_ms} ms | |
"
python3 "$root/bench/update_section.py" "$root/docs/benchmarks.md" serve_idle \
  "Serving after DONE (serve_idle_bench)" "$section"
echo "wrote the serve_idle section of docs/benchmarks.md"
