#include "training_service/slurm/pilot_worker.h"

namespace archer {

std::string pilot_worker_script(const std::string& prelude) {
  return R"SH(#!/bin/bash
# Archer's Slurm pilot worker (see src/training_service/slurm/pilot_worker.h).
)SH" + prelude +
         R"SH(
root=$1 first=$2 slots=$3 gpt=$4 idle=$5
dir="$root/w$((first + ${SLURM_ARRAY_TASK_ID:-0}))"
if [ ! -d "$dir" ]; then
  echo "archer pilot: $dir is not visible on $(hostname)" >&2
  exit 2
fi
IFS=, read -ra gpus <<<"${CUDA_VISIBLE_DEVICES:-}"
cpus=${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}
per=$((cpus / slots))
((per >= 1)) || per=1
declare -A pid=() kill_at=()
# Sleeping 10 ms without a process: a read with a timeout on a private FIFO.
tick="${TMPDIR:-/tmp}/archer-pilot-$$"
if mkfifo "$tick" 2>/dev/null && exec 3<>"$tick"; then
  rm -f "$tick"
  nap() { read -r -t 0.01 -u 3 _; }
else
  nap() { sleep 0.05; }
fi
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
quit() {
  for s in "${!pid[@]}"; do kill -TERM -- "-${pid[$s]}" 2>/dev/null; done
  wait
  echo "${1:-stopped}" >"$dir/gone"
  exit 0
}
trap quit TERM INT
start() {  # <slot> <trial directory>
  local s=$1 d=$2 g="" i
  if ((gpt > 0 && ${#gpus[@]} >= (s + 1) * gpt)); then
    for ((i = s * gpt; i < (s + 1) * gpt; i++)); do g+="${g:+,}${gpus[i]}"; done
    CUDA_VISIBLE_DEVICES=$g ARCHER_SLOT_CPUS=$per \
      setsid bash "$d/run.sh" >"$d/slurm.out" 2>&1 </dev/null &
  else
    ARCHER_SLOT_CPUS=$per setsid bash "$d/run.sh" >"$d/slurm.out" 2>&1 </dev/null &
  fi
  pid[$s]=$!
}
printf '%s %s %s\n' "$(now_ms)" "$(hostname)" "$$" >"$dir/ready.tmp" &&
  mv -f "$dir/ready.tmp" "$dir/ready"
last=$EPOCHSECONDS
while :; do
  [ -e "$dir/stop" ] && quit stopped
  busy=0
  for ((s = 0; s < slots; s++)); do
    p=${pid[$s]:-}
    if [ -n "$p" ]; then
      if kill -0 "$p" 2>/dev/null; then
        busy=1
        if [ -e "$dir/s$s.cancel" ]; then
          t=${EPOCHREALTIME/./}
          t=$((t / 1000))
          if [ -z "${kill_at[$s]:-}" ]; then
            grace=5000
            read -r grace <"$dir/s$s.cancel"
            [[ $grace =~ ^[0-9]+$ ]] || grace=5000
            kill -TERM -- "-$p" 2>/dev/null
            kill_at[$s]=$((t + grace))
          elif ((t >= kill_at[$s])); then
            kill -KILL -- "-$p" 2>/dev/null
          fi
        fi
        continue
      fi
      wait "$p"
      # A cancelled trial's group goes with it.
      [ -n "${kill_at[$s]:-}" ] && kill -KILL -- "-$p" 2>/dev/null
      unset "pid[$s]" "kill_at[$s]"
      rm -f "$dir/s$s.run" "$dir/s$s.cancel"
    fi
    if [ -e "$dir/s$s.assign" ]; then
      trial=
      read -r trial <"$dir/s$s.assign"
      if mv -f "$dir/s$s.assign" "$dir/s$s.run" 2>/dev/null; then
        start "$s" "$trial"
        busy=1
      fi
    fi
  done
  ((busy)) && last=$EPOCHSECONDS
  ((EPOCHSECONDS - last >= idle)) && quit idle
  nap
done
)SH";
}

}  // namespace archer
