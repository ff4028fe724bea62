#!/usr/bin/env bash
# End-to-end test of what changes a running or stopped experiment: resume after
# a real SIGKILL of the manager (a trial that ended while no manager ran, a trial
# still running), update concurrency / trialnum / duration / searchspace, trial
# kill, experiment import / status, webui url, top, view (read-only) and resume
# after stop. Trials are Python (tests/gated_trial.py through the stdlib-only
# trial module); each waits for its gate file, so the test decides when trials end.
# Usage: resume_test.sh ARCHER PYTHON PYTHON_MODULE_DIR
set -euo pipefail
archer=$1
python=$2
module_dir=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
# The CLI's registry of experiments lives under $HOME: this test's own, fresh.
export HOME=$tmp/home && mkdir -p "$HOME"
cleanup() {
  # Nothing outlives the test: managers first, then trials.
  for pidfile in "$tmp"/*/*/trials/*/.nni/pid; do
    [ -f "$pidfile" ] && kill -9 -- "-$(cat "$pidfile")" 2>/dev/null || true
  done
  pkill -9 -f "$tmp" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
cd "$tmp"
mkdir gates
export GATE_DIR=$tmp/gates PYTHONPATH=$module_dir

# Reads a field of the experiments index: index_field WORKDIR ID FIELD.
index_field() {
  "$python" -c 'import json,sys; print(json.load(open(sys.argv[1]+"/.experiments"))[sys.argv[2]].get(sys.argv[3], ""))' "$@"
}
# Waits (up to 30 s) until `archer trial ls` shows COUNT trials in STATUS.
wait_trials() {  # workdir status count
  for _ in $(seq 300); do
    n=$("$archer" trial ls --experiment_working_directory "$1" | grep -c " $2 " || true)
    [ "$n" -ge "$3" ] && return 0
    sleep 0.1
  done
  "$archer" trial ls --experiment_working_directory "$1"
  fail "timed out waiting for $3 trials $2 in $1"
}
wait_status() {  # workdir id status
  for _ in $(seq 300); do
    [ "$(index_field "$1" "$2" status)" = "$3" ] && return 0
    sleep 0.1
  done
  fail "experiment $2 never became $3 (is $(index_field "$1" "$2" status))"
}

cat >space.json <<'JSON'
{"a": {"_type": "layer_choice", "_value": ["x", "y", "z"]},
 "b": {"_type": "layer_choice", "_value": ["p", "q", "r"]},
 "c": {"_type": "input_choice", "_value": {"candidates": ["u", "v", "w"], "n_chosen": 1}}}
JSON
config() {  # workdir concurrency max-trials tuner
  cat <<YAML
searchSpaceFile: space.json
trialCommand: $python $here/gated_trial.py
trialCodeDirectory: .
trialConcurrency: $2
maxTrialNumber: $3
experimentWorkingDirectory: $tmp/$1
tuner: {name: $4, classArgs: {seed: 3}}
YAML
}

# 1. SIGKILL the manager while two trials run; trial 0 ends while no manager
#    runs, trial 1 still runs at resume and is adopted; nothing is lost or doubled.
config crash 2 6 Random >crash.yml
"$archer" create --config crash.yml --port 0 >crash.out 2>&1 || { cat crash.out; fail "create"; }
id=$(sed -n 's/^Experiment \([A-Za-z0-9]*\) started.*/\1/p' crash.out)
[ -n "$id" ] || { cat crash.out; fail "no experiment id"; }
wait_trials crash/ RUNNING 2
pid=$(index_field crash "$id" pid)
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
"$archer" experiment list --experiment_working_directory crash | grep -q "its manager is gone: archer resume $id" || fail "list after SIGKILL"
touch gates/0
dir=crash/$id
for _ in $(seq 300); do [ -f "$dir"/trials/*/.nni/state ] 2>/dev/null && break; sleep 0.1; done
ls "$dir"/trials/*/.nni/state >/dev/null 2>&1 || fail "trial 0 did not finish while the manager was down"
"$archer" resume "$id" --port 0 --experiment_working_directory crash >resume.out 2>&1 || { cat resume.out; fail "resume"; }
grep -q "^Experiment $id resumed" resume.out || { cat resume.out; fail "resume message"; }
grep -q "resumed experiment $id: 0 trials had ended, 2 adopted" "$dir/log/manager.log" || { cat "$dir/log/manager.log"; fail "resume log"; }
touch gates/all
wait_status crash "$id" DONE
"$archer" experiment export "$id" --type json --filename crash.json --intermediate --experiment_working_directory crash >/dev/null
"$python" - crash.json <<'PY' || fail "export after resume"
import json, sys
trials = json.load(open(sys.argv[1]))
assert len(trials) == 6, len(trials)
assert sorted(t["sequenceId"] for t in trials) == list(range(6)), trials
assert all(t["status"] == "SUCCEEDED" for t in trials), [t["status"] for t in trials]
assert all(len(t["intermediate"]) == 1 for t in trials), "an intermediate result was lost or doubled"
assert all(t["value"] != "" for t in trials), "a final result was lost"
archs = [json.dumps(t["parameter"], sort_keys=True) for t in trials]
assert len(set(archs)) == 6, "the resumed Random tuner repeated an architecture"
PY
"$archer" experiment status "$id" --experiment_working_directory crash | grep -q '"DONE"' || fail "experiment status"
# The detached manager serves on after DONE until stopped; it stays DONE.
"$archer" stop "$id" --experiment_working_directory crash 2>&1 | grep -q ": DONE$" || fail "stop after DONE"
passed=$((passed + 1))

# 2. A running experiment changed through its REST API by the CLI.
rm -f gates/*
config live 1 3 RegularizedEvolutionTuner >live.yml
sed -i 's/classArgs: {seed: 3}/classArgs: {seed: 3, population_size: 8, sample_size: 2}/' live.yml
"$archer" create --config live.yml --port 0 >live.out 2>&1 || { cat live.out; fail "create live"; }
lid=$(sed -n 's/^Experiment \([A-Za-z0-9]*\) started.*/\1/p' live.out)
wait_trials live/ RUNNING 1
"$archer" update concurrency -v 3 --experiment_working_directory live 2>&1 | grep -q "trialConcurrency = 3" || fail "update concurrency"
wait_trials live/ RUNNING 3
if "$archer" update concurrency -v 0 --experiment_working_directory live >bad.out 2>&1; then fail "concurrency 0 accepted"; fi
grep -q "archer: error: .*trialConcurrency" bad.out || { cat bad.out; fail "refused concurrency message"; }
victim=$("$archer" trial ls --experiment_working_directory live | awk '$3 == "RUNNING" {print $1; exit}')
"$archer" trial kill -T "$victim" --experiment_working_directory live 2>&1 | grep -q "Trial $victim" || fail "trial kill"
wait_trials live/ USER_CANCELED 1
if "$archer" trial kill -T Nope1 --experiment_working_directory live >bad.out 2>&1; then fail "kill of an unknown trial"; fi
grep -q "archer: error: trial 'Nope1' is not running" bad.out || { cat bad.out; fail "kill unknown message"; }
"$archer" update trialnum -v 5 --experiment_working_directory live >/dev/null || fail "update trialnum"
"$archer" update duration -v 2h --experiment_working_directory live >/dev/null || fail "update duration"
if "$archer" update duration -v soon --experiment_working_directory live >bad.out 2>&1; then fail "bad duration accepted"; fi
grep -q "maxExperimentDuration: expected a duration" bad.out || { cat bad.out; fail "bad duration message"; }
wait_trials live/ RUNNING 3  # the killed trial's slot, within the new budget
"$archer" experiment import -f crash.json --experiment_working_directory live 2>&1 | grep -q "Imported 6 of 6 records into experiment $lid" || fail "experiment import"
echo '[{"parameter": 3, "value": 1}]' > badimport.json
"$archer" experiment import -f badimport.json --experiment_working_directory live >bad.out 2>&1 && fail "a bad import accepted"
grep -q "archer: error: badimport.json: record 0: parameter" bad.out || { cat bad.out; fail "a bad import names its file"; }
url=$("$archer" webui url --experiment_working_directory live)
[ "$url" = "http://127.0.0.1:$(index_field live "$lid" port)/" ] || fail "webui url: $url"
"$archer" top -n 1 --experiment_working_directory live | grep -q "^$lid .*RUNNING" || fail "top"
cat >space2.json <<'JSON'
{"d": {"_type": "layer_choice", "_value": ["m", "n"]}}
JSON
"$archer" update searchspace -f space2.json --experiment_working_directory live 2>&1 | grep -q "1 entries" || fail "update searchspace"
"$python" - "$tmp/live/$lid/db/archer.sqlite" <<'PY' || fail "updates not stored"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
value = lambda k: json.loads(db.execute("SELECT value FROM experiment WHERE key = ?", (k,)).fetchone()[0])
config = value("config")
assert config["trialConcurrency"] == 3 and config["maxTrialNumber"] == 5, config
assert config["maxExperimentDuration"] == 7200, config
assert list(value("search_space")) == ["d"], value("search_space")
assert len(value("imported_data")) == 6
PY
"$archer" stop "$lid" --experiment_working_directory live 2>&1 | grep -q "STOPPED" || fail "stop live"
passed=$((passed + 1))

# 3. view serves a stopped experiment read-only; resume continues it with the
#    updated settings (new space, budget 5).
"$archer" view "$lid" --port 0 --experiment_working_directory live >view.out 2>&1 || { cat view.out; fail "view"; }
port=$(index_field live "$lid" port)
"$python" - "$port" <<'PY' || fail "view: REST"
import json, sys, urllib.request, urllib.error
base = "http://127.0.0.1:%s/api/v1/nni" % sys.argv[1]
assert len(json.load(urllib.request.urlopen(base + "/trial-jobs", timeout=10))) == 4
req = urllib.request.Request(base + "/experiment?update_type=TRIAL_CONCURRENCY", method="PUT",
                             data=b'{"value": 2}', headers={"Content-Type": "application/json"})
try:
    urllib.request.urlopen(req, timeout=10)
    sys.exit("a viewed experiment accepted an update")
except urllib.error.HTTPError as e:
    assert e.code == 403 and b"read-only" in e.read()
PY
if "$archer" resume "$lid" --experiment_working_directory live >bad.out 2>&1; then fail "resume while viewed"; fi
grep -q "is being viewed" bad.out || { cat bad.out; fail "resume while viewed message"; }
"$archer" stop "$lid" --experiment_working_directory live >/dev/null
touch gates/all
"$archer" resume "$lid" --foreground --no_server --experiment_working_directory live >resume2.out 2>&1 || { cat resume2.out; fail "resume after stop"; }
grep -q "DONE" resume2.out || { cat resume2.out; fail "resumed experiment did not finish"; }
"$archer" experiment export "$lid" --type json --filename live.json --experiment_working_directory live >/dev/null
"$python" - live.json <<'PY' || fail "export after resume after stop"
import json, sys
trials = json.load(open(sys.argv[1]))
assert len(trials) == 5, len(trials)
assert sorted(t["sequenceId"] for t in trials) == list(range(5))
assert sum(t["status"] == "USER_CANCELED" for t in trials) >= 1
assert all("d" in t["parameter"] for t in trials[4:]), "new trials must use the new space"
PY
passed=$((passed + 1))
echo "resume_test: $passed passed, 0 failed"
