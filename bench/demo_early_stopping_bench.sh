#!/usr/bin/env bash
# Does early stopping make the demo find a better architecture in the same wall time?
# Runs the demo's search (examples/mnist/config_evolution.yml: Regularized Evolution, 20 trials
# of 3 epochs, 2 at a time) and its early-stopping variant (config_evolution_asha.yml: the same
# plus ASHA) with the first one's wall time as maxExperimentDuration and room for 100 trials,
# RUNS times each, alternating; prints each run's best and rewrites the "demo_early_stopping"
# section of docs/benchmarks.md.
# Usage: bench/demo_early_stopping_bench.sh [BUILD_DIR] [RUNS]   (default: build, 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${2:-2}
archer=$build/tools/archer/archer
mnist=$build/examples/mnist/mnist_nas
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export XDG_CACHE_HOME=$tmp/cache
# archer create records experiments in the registry under $HOME: keep the user's clean.
export HOME=$tmp/home
"$archer" ss_gen -t "$mnist --space cells" -f cells.json >/dev/null
shipped() {  # config name -> a runnable copy here
  sed -e "s|../../build/|$build/|" -e "s|searchSpaceFile: .*|searchSpaceFile: $tmp/cells.json|" \
    -e "s|trialCodeDirectory: .|trialCodeDirectory: $tmp|" "$root/examples/mnist/$1.yml" >"$2"
  echo "experimentWorkingDirectory: $tmp/work-$2" >>"$2"
}
best_of() { sed -n 's/^Best: \([0-9.]*\) .*/\1/p' "$1"; }
rows=""
plain_all="" asha_all=""
for r in $(seq 1 "$runs"); do
  shipped config_evolution "plain$r.yml"
  start=$SECONDS
  "$archer" create --config "plain$r.yml" --foreground --no_server >"plain$r.out"
  wall=$((SECONDS - start))
  plain=$(best_of "plain$r.out")
  shipped config_evolution_asha "asha$r.yml"
  sed -i -e "s|maxTrialNumber: .*|maxTrialNumber: 100|" \
    -e "s|maxExperimentDuration: .*|maxExperimentDuration: ${wall}s|" "asha$r.yml"
  start=$SECONDS
  "$archer" create --config "asha$r.yml" --foreground --no_server >"asha$r.out"
  asha_wall=$((SECONDS - start))
  asha=$(best_of "asha$r.out")
  done_line=$(grep -o "[0-9]* succeeded, [0-9]* failed[^.]*" "asha$r.out" | tail -1)
  echo "run $r: plain ${wall}s best $plain; ASHA ${asha_wall}s best $asha ($done_line)"
  rows+="| $r | ${wall} s | $plain% | ${asha_wall} s | $asha% | $done_line |"$'\n'
  plain_all+="$plain "
  asha_all+="$asha "
done
mean() { echo "$1" | awk '{for (i = 1; i <= NF; i++) s += $i; printf "%.2f", s / NF}'; }
section="Measured $(date -u +%Y-%m-%d) by \`bench/demo_early_stopping_bench.sh\` on this project's machine ($(nproc) cores).
The demo's search (\`config_evolution.yml\`: Regularized Evolution, 20 trials of 3 epochs on
10,000 images, 2 at a time) against its early-stopping variant (\`config_evolution_asha.yml\`:
the same with ASHA, η = 3, rungs at epoch 1) given the first run's wall time
(\`maxExperimentDuration\`) and room for 100 trials. Best = the search's best final result (test
accuracy on 2,000 images, what the demo reports).

| run | demo wall time | demo best | with ASHA, wall time | with ASHA, best | with ASHA, trials |
|---|---|---|---|---|---|
$rows
Mean best: demo **$(mean "$plain_all")%**, with ASHA **$(mean "$asha_all")%**.
"
python3 "$root/bench/update_section.py" "$root/docs/benchmarks.md" demo_early_stopping "Early stopping in the demo" "$section"
echo "wrote the demo_early_stopping section of docs/benchmarks.md"
