#!/usr/bin/env bash
# The Fashion-MNIST example (examples/mnist), measured:
#  1. training throughput (images/s) of one fixed architecture run naively
#     standalone (plain LibTorch defaults: ARCHER_RUNTIME_DEFAULTS=0, no thread
#     budget) and run by Archer (`archer create`, its runtime settings), with 1
#     and 2 trials at a time, for both search spaces;
#  2. the demo search (Regularized Evolution, 20 trials, 2 at a time, selecting
#     on a validation split), DEMO_RUNS times: wall time, best architecture and
#     its validation accuracy;
#  3. each run's best architecture and the default first-candidate ones
#     retrained for the full schedule (NNI's: 10 epochs, all 60,000 images) on
#     the test set.
# Prints the numbers and rewrites the "example" section of docs/benchmarks.md.
# Usage: bench/example_bench.sh [BUILD_DIR]   (default: build; needs mnist_nas)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
archer=$build/tools/archer/archer
mnist=$build/examples/mnist/mnist_nas
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export XDG_CACHE_HOME=$tmp/cache
# archer create records experiments in the registry under $HOME: keep the user's clean.
export HOME=$tmp/home
throughput() { sed -n 's/^training throughput: \([0-9.]*\) images.*/\1/p' "$@"; }
sum() { awk '{s += $1} END {printf "%.0f", s}'; }
avg() { awk '{s += $1; n++} END {printf "%.0f", s / n}'; }

"$archer" ss_gen -t "$mnist --space cells" -f cells.json >/dev/null
"$archer" ss_gen -t "$mnist --space nni" -f nni.json >/dev/null
short="--epochs 1 --train_samples 10000 --test_samples 1000 --log_interval 0"
rows=""
for space in nni cells; do
  # The fixed architecture: the standalone (first-candidate) one.
  env -u OMP_NUM_THREADS ARCHER_RUNTIME_DEFAULTS=0 "$mnist" --space "$space" --epochs 1 \
    --train_samples 64 --test_samples 64 --log_interval 0 >/dev/null 2>first.err
  sed -n 's/^architecture: //p' first.err >"first_$space.json"
  naive() { env -u OMP_NUM_THREADS ARCHER_RUNTIME_DEFAULTS=0 "$mnist" --space "$space" $short >"$1" 2>&1; }
  naive n1a.out; naive n1b.out
  n1=$(throughput n1a.out n1b.out | avg)
  naive n2a.out & naive n2b.out & wait
  n2=$(throughput n2a.out n2b.out | sum)
  for c in 1 2; do
    cat >"a$c.yml" <<YAML
searchSpaceFile: $space.json
trialCommand: $mnist --space $space --architecture $tmp/first_$space.json $short
trialConcurrency: $c
maxTrialNumber: 2
experimentWorkingDirectory: $tmp/a$c-$space
tuner: {name: Random, classArgs: {dedup: false}}
YAML
    "$archer" create --config "a$c.yml" --foreground --no_server >/dev/null
  done
  a1=$(throughput "$tmp"/a1-$space/*/trials/*/stdout | avg)
  a2=$(throughput "$tmp"/a2-$space/*/trials/*/stdout | sum)
  r1=$(awk -v a="$a1" -v n="$n1" 'BEGIN {printf "%.2f", a / n}')
  r2=$(awk -v a="$a2" -v n="$n2" 'BEGIN {printf "%.2f", a / n}')
  echo "$space: naive $n1 / Archer $a1 images/s at 1 trial (${r1}x); naive $n2 / Archer $a2 at 2 (${r2}x)"
  rows+="| \`--space $space\` | $n1 | $a1 | **${r1}x** | $n2 | $a2 | **${r2}x** |"$'\n'
done

# The demo's search, as setup.sh demo runs it (config_evolution.yml: it selects on a validation
# split of the training images), DEMO_RUNS times (default 3; RE is unseeded there, so each run is
# its own); each run's best architecture is then retrained on NNI's full schedule and scored on
# the test set, which no search saw.
full() {  # architecture-file space -> test accuracy after NNI's full schedule
  "$mnist" --space "$2" --architecture "$1" --log_interval 0 --threads 2 >full.out 2>&1
  sed -n 's/^epoch 10: .*test accuracy \([0-9.]*\)%.*/\1/p' full.out
}
sed -e "s|../../build/|$build/|" -e "s|searchSpaceFile: .*|searchSpaceFile: $tmp/cells.json|" \
  -e "s|trialCodeDirectory: .|trialCodeDirectory: $tmp|" "$root/examples/mnist/config_evolution.yml" >demo.yml
proxy=$(sed -n 's|^trialCommand: [^ ]*mnist_nas --space cells ||p' demo.yml)
runs=${DEMO_RUNS:-3}
demo_rows="" found_accs="" demo_total=0
for r in $(seq "$runs"); do
  sed "\$a experimentWorkingDirectory: $tmp/demo$r" demo.yml >"demo$r.yml"
  start=$SECONDS
  "$archer" create --config "demo$r.yml" --foreground --no_server >"demo$r.out"
  demo_seconds=$((SECONDS - start))
  demo_total=$((demo_total + demo_seconds))
  echo "$demo_seconds" >"seconds$r"
  sed -n 's/^Architecture: //p' "demo$r.out" >"best$r.json"
  echo "demo search $r: ${demo_seconds}s, $(grep '^Best: ' "demo$r.out")"
done
# The retraining after every search, so that the searches' times are the demo's alone.
for r in $(seq "$runs"); do
  best_acc=$(sed -n 's/^Best: \([0-9.]*\) .*/\1/p' "demo$r.out")
  acc=$(full "best$r.json" cells)
  found_accs+="$acc "
  echo "demo search $r: best validation $best_acc%, retrained test $acc% $(cat "best$r.json")"
  demo_rows+="| $r | $(cat "seconds$r") s | ${best_acc}% | **${acc}%** | \`$(cat "best$r.json")\` |"$'\n'
done
start=$SECONDS
acc_first=$(full first_cells.json cells)
acc_nni=$(full first_nni.json nni)
retrain_seconds=$((SECONDS - start))
mean_found=$(echo "$found_accs" | awk '{for (i = 1; i <= NF; i++) s += $i; printf "%.2f", s / NF}')
wins=$(echo "$found_accs" | awk -v f="$acc_first" -v n="$acc_nni" '{for (i = 1; i <= NF; i++) w += ($i > f && $i > n); print w + 0}')
echo "full schedule: found $found_accs(mean $mean_found%), cell first-candidate $acc_first%, NNI network first-candidate $acc_nni%; $wins of $runs runs beat both"

cores=$(nproc)
section="Measured $(date -u +%Y-%m-%d) by \`bench/example_bench.sh\` on this project's machine ($cores cores, Debian's LibTorch, OpenBLAS).

Training throughput of one fixed architecture (the first candidates), 1 epoch on 10,000
images: *naive* is the example run standalone with plain LibTorch defaults
(\`ARCHER_RUNTIME_DEFAULTS=0\`, no \`OMP_NUM_THREADS\`), *Archer* is the same run as trials of
\`archer create\` (runtime settings of \`archer/nn/runtime.h\`, thread budget cores/concurrency,
\`GLIBC_TUNABLES\`). The numbers are training images per second (the example's
"training throughput" line: images of the epoch / seconds spent training them, data
loading and evaluation excluded); at 2 trials at a time, the sum of both.

| space | naive, 1 trial (images/s) | Archer, 1 trial (images/s) | ratio | naive, 2 at once (images/s) | Archer, 2 at once (images/s) | ratio |
|---|---|---|---|---|---|---|
$rows
The demo's search (\`config_evolution.yml\`: Regularized Evolution, 20 trials, 2 at a time, each
trial \`$proxy\` — it trains on the first training images and reports its accuracy on the
last 10,000, held out: the test set is never used to select), run $runs times; each run's best
architecture retrained on NNI's full schedule (10 epochs on all 60,000 training images, SGD lr
0.01 momentum 0.5, seed 1) and scored on the 10,000 test images:

| run | search | best validation accuracy (proxy) | retrained, test accuracy | architecture |
|---|---|---|---|---|
$demo_rows
The same full schedule for the default first candidates ($retrain_seconds s for the two):

| architecture | test accuracy |
|---|---|
| found by the demo search (mean of the $runs runs) | **${mean_found}%** ($wins of $runs runs beat both below) |
| cell space, default first candidates | ${acc_first}% |
| NNI's MNIST network, default first candidates | ${acc_nni}% |
"
python3 "$root/bench/update_section.py" "$root/docs/benchmarks.md" example "The Fashion-MNIST example" "$section"
echo "wrote the example section of docs/benchmarks.md"
