#!/usr/bin/env bash
# End-to-end test of the archer CLI on the quickstart trial: ss_gen, create --foreground with
# each tuner (v2 and v1 configs), trial ls, experiment show/export, and error paths.
# Usage: cli_test.sh ARCHER QUICKSTART
set -euo pipefail
archer=$1
quickstart=$2
tmp=$(mktemp -d)
# The CLI's registry of experiments lives under $HOME: this test's own, fresh.
export HOME=$tmp/home && mkdir -p "$HOME"
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
# The table: the default value as a column, choices abbreviated (key=value); --wide the JSON.
head -1 ls.out | grep -q "value .* architecture" || { cat ls.out; fail "trial ls columns"; }
grep SUCCEEDED ls.out | head -1 | grep -qE " [A-Za-z0-9_]+=[^ ]+" || { cat ls.out; fail "trial ls abbreviated architecture"; }
if grep -q '"_value"' ls.out; then cat ls.out; fail "trial ls prints the architecture's JSON"; fi
"$archer" trial ls --wide --experiment_working_directory "$tmp/exps" | grep -q '"_value"' || fail "trial ls --wide"
if command -v script >/dev/null; then
  # On a terminal a line is cut to its width.
  script -qec "stty cols 50; $archer trial ls --experiment_working_directory $tmp/exps" /dev/null >narrow.out
  sed -e 's/\r$//' -e 's/\x1b\[[0-9;]*m//g' -e 's/…/./g' narrow.out |
    awk 'length($0) > 50 { bad = 1 } END { exit bad }' || { cat -v narrow.out; fail "trial ls fits the terminal"; }
  grep -q "…" narrow.out || { cat -v narrow.out; fail "a cut line ends with …"; }
fi
"$archer" trial ls --head 1 --experiment_working_directory "$tmp/exps" >head.out
[ "$(grep -c SUCCEEDED head.out)" = 1 ] || fail "trial ls --head"
"$archer" experiment show --experiment_working_directory "$tmp/exps" | grep -q "SUCCEEDED: 2" || fail "experiment show"
"$archer" experiment export --type csv --filename r.csv --experiment_working_directory "$tmp/exps" >/dev/null
head -1 r.csv | grep -q "^trialJobId,sequenceId,status,body,skip,default,params,message$" || { head -1 r.csv; fail "csv header (nnictl's metric columns)"; }
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
# Found by id from anywhere (the registry in $HOME), as nnictl finds one.
"$archer" trial ls "$bg_id" >any.out 2>&1 || { cat any.out; fail "trial ls by id without the working directory"; }
[ "$(grep -c USER_CANCELED any.out)" = 2 ] || { cat any.out; fail "trial ls by id"; }
"$archer" experiment list >all.out
grep -q "^$bg_id  STOPPED" all.out || { cat all.out; fail "experiment list shows every working directory's"; }
[ "$(grep -c DONE all.out)" = 4 ] || { cat all.out; fail "experiment list: the 4 DONE ones too"; }
# Resumed by id alone: its state goes to its own working directory's index (what
# list and webui url read), never into the registry's pointer (issue 26).
"$archer" resume "$bg_id" --port 0 >resume.out 2>&1 || { cat resume.out; fail "resume by id"; }
"$archer" experiment list --experiment_working_directory "$tmp/bg" | grep -q "^$bg_id  RUNNING" || fail "resumed state in its own index"
"$archer" experiment list | grep -q "^$bg_id  RUNNING" || fail "resumed state seen through the registry"
python3 -c "import json; e = json.load(open('$HOME/archer-experiments/.experiments'))['$bg_id']; assert set(e) == {'id', 'dir', 'workingDir'}, e" || fail "the registry's pointer stays a pointer"
"$archer" stop "$bg_id" >/dev/null 2>&1 || fail "stop the resumed experiment"
"$archer" experiment delete "$bg_id" --experiment_working_directory "$tmp/bg" 2>&1 | grep -q "Deleted experiment $bg_id" || fail "experiment delete"
[ ! -d "$tmp/bg/$bg_id" ] || fail "deleted experiment's directory remains"
"$archer" experiment list --experiment_working_directory "$tmp/bg" 2>&1 | grep -q "No experiment" || fail "index after delete"
if "$archer" trial ls "$bg_id" >/dev/null 2>&1; then fail "a deleted experiment is still found"; fi
passed=$((passed + 1))

# Data on stdout, messages on stderr; --json forms for scripts; NO_COLOR.
latest=$("$archer" experiment list --json | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin), key=lambda e: e["startTime"] or 0)[-1]["id"])')
"$archer" experiment export "$latest" --type csv --filename q.csv >export.out 2>export.err
[ ! -s export.out ] || fail "export printed data-less text on stdout"
grep -q "^Exported 2 trials to q.csv$" export.err || fail "export's message on stderr"
"$archer" trial ls "$latest" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert len(t) == 2, t
for k in ("trialJobId", "sequenceId", "status", "startTime", "endTime", "duration", "value",
          "parameter", "intermediateCount", "lastIntermediate", "message"):
    assert k in t[0], k
assert t[0]["status"] == "SUCCEEDED" and t[0]["intermediateCount"] >= 0
' || fail "trial ls --json"
"$archer" experiment show "$latest" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["status"] == "DONE" and s["trials"] == 2 and s["byStatus"] == {"SUCCEEDED": 2}, s
assert s["best"]["trialJobId"] and "parameter" in s["best"] and s["pareto"] is None, s
' || fail "experiment show --json"
"$archer" experiment list --json | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    assert set(e) >= {"id", "experimentName", "status", "dir", "workingDir", "startTime", "endTime",
                      "port", "message"}, e
' || fail "experiment list --json"
"$archer" top --once >top.out || fail "top --once"
grep -q "no experiment is running" top.out || { cat top.out; fail "top --once output"; }
[ "$("$archer" top --json)" = "[]" ] || fail "top --json with nothing running"
if command -v script >/dev/null; then
  # On a terminal statuses are coloured, unless NO_COLOR is set.
  script -qec "$archer trial ls $latest" /dev/null >tty.out
  grep -q $'\033\[32mSUCCEEDED' tty.out || { cat -v tty.out; fail "colour on a terminal"; }
  NO_COLOR=1 script -qec "$archer trial ls $latest" /dev/null >nocolor.out
  if grep -q $'\033' nocolor.out; then cat -v nocolor.out; fail "NO_COLOR"; fi
fi
passed=$((passed + 1))

# A used-up space says so; a detached manager serves on after DONE until archer stop.
printf '{"op": {"_type": "layer_choice", "_value": ["a", "b"]}}' >two.json
cat >two.yml <<'YAML'
searchSpaceFile: two.json
trialCommand: "m='{\"parameter_id\": 0, \"trial_job_id\": \"t\", \"type\": \"FINAL\", \"sequence\": 0, \"value\": \"0.5\"}'; printf 'ME%06d%s\\n' $((${#m}+1)) \"$m\" >> \"$NNI_OUTPUT_DIR/.nni/metrics\"; echo printed >> \"$NNI_OUTPUT_DIR/trial.log\""
trialConcurrency: 1
maxTrialNumber: 10
tuner: {name: Random}
YAML
echo "experimentWorkingDirectory: $tmp/two" >>two.yml
"$archer" create --config two.yml --port 0 >two.out 2>&1 || { cat two.out; fail "create two"; }
two_id=$(sed -n 's/^Experiment \([^ ]*\) started.*/\1/p' two.out)
for _ in $(seq 100); do
  "$archer" experiment status "$two_id" | grep -q '"DONE"' && break
  sleep 0.2
done
"$archer" experiment status "$two_id" >status.out
grep -q '"message": "search space exhausted: all 2 architectures tried"' status.out || { cat status.out; fail "status says why"; }
"$archer" experiment show "$two_id" | grep -q "^status: DONE (search space exhausted: all 2 architectures tried)$" || fail "show says why"
"$archer" experiment list | grep -q "^$two_id  DONE (search space exhausted: all 2 architectures tried)" || fail "list says why"
"$archer" top --json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert len(t) == 1 and t[0]["status"] == "DONE" and t[0]["port"], t
assert t[0]["message"] == "search space exhausted: all 2 architectures tried", t
' || fail "top: served after DONE, and why"
port=$("$archer" experiment list --json | python3 -c "import json,sys; print([e for e in json.load(sys.stdin) if e['id'] == '$two_id'][0]['port'])")
python3 -c "import urllib.request; assert b'DONE' in urllib.request.urlopen('http://127.0.0.1:$port/api/v1/nni/check-status', timeout=5).read()" || fail "REST after DONE"
first_two=$("$archer" trial ls "$two_id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["trialJobId"])')
"$archer" log trial "$two_id" -T "$first_two" | grep -q "^trial.log: .*/trials/$first_two/trial.log$" || fail "log trial lists trial.log"
"$archer" stop "$two_id" >stop2.out 2>&1 || { cat stop2.out; fail "stop a served DONE experiment"; }
grep -q ": DONE$" stop2.out || { cat stop2.out; fail "it stays DONE"; }
if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=5)" 2>/dev/null; then
  fail "still served after archer stop"
fi
grep -q "search space exhausted: all 2 architectures tried" "$tmp/two/$two_id/log/manager.log" || fail "the progress line says why"
passed=$((passed + 1))

# Bad input: one line naming the file, line and key.
printf 'searchSpaceFile: nni_auto_gen_search_space.json\ntrialCommand: x\ntrialConcurency: 2\ntuner: {name: Random}\n' >bad.yml
if "$archer" create --config bad.yml --foreground --no_server >bad.out 2>&1; then fail "bad config accepted"; fi
grep -q "^archer: error: bad.yml:3: trialConcurency: unknown key (did you mean 'trialConcurrency'?)$" bad.out || { cat bad.out; fail "bad config message"; }
if "$archer" trial ls NOPE1234 --experiment_working_directory "$tmp/exps" >nope.out 2>&1; then fail "unknown id"; fi
grep -q "archer: error: experiment 'NOPE1234' not found" nope.out || fail "unknown id message"
passed=$((passed + 1))
# Arguments refused with a reason (issue 26): not a trial id, negative counts, an
# empty search space (refused by create as by update searchspace).
if "$archer" trial kill "$latest" -T ../x >kill.out 2>&1; then fail "trial kill ../x"; fi
grep -q "'../x' is not a trial id" kill.out || { cat kill.out; fail "trial kill ../x message"; }
if "$archer" trial ls --head -1 >neg.out 2>&1; then fail "trial ls --head -1"; fi
grep -q -- "--head" neg.out || { cat neg.out; fail "--head -1 message"; }
if "$archer" log stdout --head -5 >neg.out 2>&1; then fail "log stdout --head -5"; fi
grep -q -- "--head" neg.out || { cat neg.out; fail "--head -5 message"; }
printf '{}' >empty.json
sed 's/^searchSpaceFile: .*/searchSpaceFile: empty.json/' slow.yml >empty.yml
if "$archer" create --config empty.yml --foreground --no_server >empty.out 2>&1; then fail "an empty search space was accepted"; fi
grep -q "empty.json: the search space is empty: expected at least one choice" empty.out || { cat empty.out; fail "empty space message"; }
passed=$((passed + 1))
echo "cli_test: $passed passed, 0 failed"
