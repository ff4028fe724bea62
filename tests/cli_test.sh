#!/usr/bin/env bash
# End-to-end test of the archer CLI on the quickstart trial: ss_gen, create --foreground with
# each tuner (v2 and v1 configs), trial ls, experiment show/export, and error paths.
# Usage: cli_test.sh ARCHER QUICKSTART
set -euo pipefail
archer=$1
quickstart=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
cd "$tmp"
trial="$quickstart --epochs 1 --samples 200"

# ss_gen writes NNI's search space; a failing trial command is an error.
"$archer" ss_gen -t "$trial" >out 2>&1 || { cat out; fail "ss_gen"; }
grep -q "Generate search space done: $tmp/nni_auto_gen_search_space.json" out || fail "ss_gen message"
grep -q '"layer_choice"' nni_auto_gen_search_space.json || fail "ss_gen file"
if "$archer" ss_gen -t "exit 3" -f other.json >out 2>&1; then fail "ss_gen of a failing command succeeded"; fi
grep -q "archer: error: the trial command exited with status 3" out || fail "ss_gen failure message"
passed=$((passed + 1))

run_experiment() {  # name config-file expected-trials
  "$archer" create --config "$2" --foreground --port 0 >"$1.out" 2>&1 || { cat "$1.out"; fail "create $1"; }
  grep -q "^REST API: http://127.0.0.1:[0-9]*/api/v1/nni$" "$1.out" || fail "$1: REST API line"
  grep -q "DONE: $3 succeeded, 0 failed" "$1.out" || { cat "$1.out"; fail "$1: expected $3 trials"; }
  grep -q '^Architecture: {"body": {"_value": ' "$1.out" || fail "$1: best architecture"
}

for tuner in Random RegularizedEvolutionTuner PPOTuner; do
  case $tuner in
    Random) args="{seed: 1}" ;;
    RegularizedEvolutionTuner) args="{population_size: 3, sample_size: 2, seed: 1}" ;;
    PPOTuner) args="{trials_per_update: 2, minibatch_size: 1, seed: 1}" ;;
  esac
  cat >"$tuner.yml" <<YAML
searchSpaceFile: nni_auto_gen_search_space.json
trialCommand: $trial
trialConcurrency: 2
maxTrialNumber: 4
experimentWorkingDirectory: $tmp/exps
tuner:
  name: $tuner
  classArgs: $args
YAML
  run_experiment "$tuner" "$tuner.yml" 4
  passed=$((passed + 1))
done

# A v1 config (NNI 1.x), as NNI's examples ship them.
cat >v1.yml <<YAML
authorName: default
experimentName: example_quickstart
trialConcurrency: 1
maxExecDuration: 1h
maxTrialNum: 2
trainingServicePlatform: local
searchSpacePath: nni_auto_gen_search_space.json
useAnnotation: False
logDir: $tmp/exps
tuner:
  builtinTunerName: RegularizedEvolutionTuner
  classArgs:
    optimize_mode: maximize
    population_size: 5
    sample_size: 2
trial:
  command: $trial
  codeDir: .
  gpuNum: 0
YAML
run_experiment v1 v1.yml 2
passed=$((passed + 1))

# The read-only views, straight from the store.
"$archer" experiment list --experiment_working_directory "$tmp/exps" >list.out
[ "$(grep -c DONE list.out)" = 4 ] || { cat list.out; fail "experiment list"; }
"$archer" trial ls --experiment_working_directory "$tmp/exps" >ls.out
[ "$(grep -c SUCCEEDED ls.out)" = 2 ] || { cat ls.out; fail "trial ls of the latest experiment"; }
"$archer" trial ls --head 1 --experiment_working_directory "$tmp/exps" >head.out
[ "$(grep -c SUCCEEDED head.out)" = 1 ] || fail "trial ls --head"
"$archer" experiment show --experiment_working_directory "$tmp/exps" | grep -q "SUCCEEDED: 2" || fail "experiment show"
"$archer" experiment export --type csv --filename r.csv --experiment_working_directory "$tmp/exps" >/dev/null
head -1 r.csv | grep -q "^trialJobId,sequenceId,status,body,skip,value,params,message$" || { head -1 r.csv; fail "csv header"; }
[ "$(wc -l <r.csv)" = 3 ] || fail "csv rows"
"$archer" experiment export --type json --filename r.json --intermediate --experiment_working_directory "$tmp/exps" >/dev/null
grep -q '"intermediate"' r.json || fail "json export"
passed=$((passed + 1))

# Background mode: create returns once the manager serves; stop cancels the running trials.
cat >slow.yml <<YAML
searchSpaceFile: nni_auto_gen_search_space.json
trialCommand: sleep 30
trialConcurrency: 2
maxTrialNumber: 10
experimentWorkingDirectory: $tmp/bg
tuner: {name: Random}
YAML
"$archer" create --config slow.yml --port 0 >bg.out 2>&1 || { cat bg.out; fail "background create"; }
grep -q "^Stop it with: archer stop " bg.out || { cat bg.out; fail "background create message"; }
"$archer" experiment list --experiment_working_directory "$tmp/bg" | grep -q RUNNING || fail "background experiment not running"
sleep 1
"$archer" stop --experiment_working_directory "$tmp/bg" >stop.out 2>&1 || { cat stop.out; fail "stop"; }
grep -q ": STOPPED$" stop.out || { cat stop.out; fail "stop result"; }
"$archer" trial ls --experiment_working_directory "$tmp/bg" >bg_ls.out
[ "$(grep -c USER_CANCELED bg_ls.out)" = 2 ] || { cat bg_ls.out; fail "stopped trials should be USER_CANCELED"; }
if "$archer" stop NOPE1234 --experiment_working_directory "$tmp/bg" >/dev/null 2>&1; then fail "stop of an unknown id"; fi
"$archer" log stdout --tail 3 --experiment_working_directory "$tmp/bg" | grep -q "STOPPED" || fail "log stdout"
first=$(awk 'NR==2 {print $1}' bg_ls.out)
"$archer" log trial -T "$first" --experiment_working_directory "$tmp/bg" | grep -q "^stdout: .*/trials/$first/stdout$" || fail "log trial"
bg_id=$("$archer" experiment list --experiment_working_directory "$tmp/bg" | awk '{print $1}')
"$archer" experiment delete "$bg_id" --experiment_working_directory "$tmp/bg" | grep -q "Deleted experiment $bg_id" || fail "experiment delete"
[ ! -d "$tmp/bg/$bg_id" ] || fail "deleted experiment's directory remains"
"$archer" experiment list --experiment_working_directory "$tmp/bg" | grep -q "No experiment" || fail "index after delete"
passed=$((passed + 1))

# Bad input: one line naming the file, line and key.
printf 'searchSpaceFile: nni_auto_gen_search_space.json\ntrialCommand: x\ntrialConcurency: 2\ntuner: {name: Random}\n' >bad.yml
if "$archer" create --config bad.yml --foreground --no_server >bad.out 2>&1; then fail "bad config accepted"; fi
grep -q "^archer: error: bad.yml:3: trialConcurency: unknown key (did you mean 'trialConcurrency'?)$" bad.out || { cat bad.out; fail "bad config message"; }
if "$archer" trial ls NOPE1234 --experiment_working_directory "$tmp/exps" >nope.out 2>&1; then fail "unknown id"; fi
grep -q "archer: error: experiment 'NOPE1234' not found" nope.out || fail "unknown id message"
passed=$((passed + 1))
echo "cli_test: $passed passed, 0 failed"
