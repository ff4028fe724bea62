#!/usr/bin/env bash
# Runs each libFuzzer target of a build (cmake -DARCHER_FUZZ=ON, clang) for a
# bounded time on its seed corpus (fuzz/corpus/<name>/, plus NNI's golden files
# from ../shared where they fit). New inputs go to a scratch directory, never
# into the repo; a crash leaves its input in build-fuzz/crashes/ and fails.
#   bash fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build=$1
seconds=${2:-20}
golden="$here/../../shared/spec/golden"
crashes="$build/crashes"
mkdir -p "$crashes"
seeds_for() {  # NNI's own bytes as extra seeds
  case $1 in
    metric_stream) echo "$golden/metrics" ;;
    parameter_record) echo "$golden/parameter.cfg" ;;
    search_space) echo "$golden/mnist_search_space.json,$golden/search_space_20keys.json" ;;
    json) echo "$golden/parameter.cfg,$golden/mnist_search_space.json" ;;
    *) echo "" ;;
  esac
}
status=0
for name in json metric_stream parameter_record search_space config; do
  bin="$build/src/${name}_fuzz"
  scratch=$(mktemp -d)
  extra=()
  seeds=$(seeds_for "$name")
  if [ -n "$seeds" ] && [ -e "${seeds%%,*}" ]; then extra=(-seed_inputs="$seeds"); fi
  echo "== fuzz $name (${seconds}s)"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$crashes/${name}-" "${extra[@]}" \
      "$scratch" "$here/corpus/$name" >"$build/fuzz-$name.log" 2>&1; then
    tail -40 "$build/fuzz-$name.log"
    echo "fuzz $name: FAILED (input in $crashes)"
    status=1
  else
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$build/fuzz-$name.log" | tail -1
  fi
  rm -rf "$scratch"
done
exit $status
