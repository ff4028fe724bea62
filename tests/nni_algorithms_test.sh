#!/usr/bin/env bash
# End-to-end, as an NNI user would: `archer create` with NNI's TPE on an HPO
# space and NNI Python trials (`import nni` from ../shared/nni), then
# `trial ls`, `log dispatcher`; a customised tuner that raises ends the
# experiment ERROR with its traceback; an NNI before 2.7 speaks over the
# pipes (fds 3/4); without NNI the message says what to
# install; detached create and resume return with the dispatcher running (WebSocket
# and pipes). Skipped (exit 0 with a note) when ../shared/nni is missing.
# Usage: nni_algorithms_test.sh ARCHER NNI_DIR
set -euo pipefail
archer=$1
nni=$2
[ -d "$nni/v2.10/nni" ] || { echo "SKIP: no NNI at $nni"; exit 0; }
tmp=$(mktemp -d)
# The CLI's registry of experiments lives under $HOME: this test's own, fresh.
export HOME=$tmp/home && mkdir -p "$HOME"
trap 'pkill -9 -f "$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$tmp"
cat > trial.py <<'PY'
import nni
p = nni.get_next_parameter()
print("got", p)
nni.report_final_result(-(p['x'] - 0.3) ** 2)
PY
cat > exp.yml <<YML
searchSpace:
  x: {_type: uniform, _value: [0, 1]}
  opt: {_type: choice, _value: [{_name: sgd, lr: {_type: loguniform, _value: [0.001, 0.1]}}, {_name: adam}]}
trialCommand: /usr/bin/python3 trial.py
trialConcurrency: 2
maxTrialNumber: 6
tuner: {name: TPE, classArgs: {optimize_mode: maximize}}
experimentWorkingDirectory: $tmp/exps
YML
export PYTHONPATH="$nni/shims:$nni/v2.10"
timeout 120 "$archer" create --config exp.yml --foreground --port 0 >out 2>&1 || { cat out; fail "create"; }
grep -q "DONE: 6 succeeded, 0 failed" out || { cat out; fail "6 trials"; }
"$archer" trial ls --experiment_working_directory exps >ls
[ "$(grep -c SUCCEEDED ls)" = 6 ] || { cat ls; fail "trial ls"; }
grep -qE ' x=[0-9.]+' ls || { cat ls; fail "parameters shown (key=value)"; }
"$archer" trial ls --wide --experiment_working_directory exps | grep -q '"x":' || fail "parameters shown in full (--wide)"
"$archer" log dispatcher --experiment_working_directory exps | grep -q "Dispatcher started" || fail "log dispatcher"

# Detached (the default): create and resume return once the manager serves,
# while NNI's dispatcher, a child that used to inherit the CLI's ready pipe,
# runs on (issue 26). The hang would be caught by timeout.
sed 's/^maxTrialNumber: 6/maxTrialNumber: 100000/' exp.yml >detached.yml
timeout 60 "$archer" create --config detached.yml --port 0 >det.out 2>&1 || { cat det.out; fail "detached create with TPE returns"; }
det_id=$(sed -n 's/^Experiment \([A-Za-z0-9]*\) started.*/\1/p' det.out)
[ -n "$det_id" ] || { cat det.out; fail "detached create's id"; }
timeout 60 "$archer" stop "$det_id" >/dev/null 2>&1 || fail "stop the detached TPE experiment"
timeout 60 "$archer" resume "$det_id" --port 0 >detr.out 2>&1 || { cat detr.out; fail "detached resume with TPE returns"; }
grep -q "resumed" detr.out || { cat detr.out; fail "resumed"; }
timeout 60 "$archer" stop "$det_id" >/dev/null 2>&1 || fail "stop the resumed TPE experiment"

cat > bad_tuner.py <<'PY'
from nni.tuner import Tuner
class Bad(Tuner):
    def update_search_space(self, s): pass
    def generate_parameters(self, pid, **kw): raise RuntimeError('my tuner broke')
    def receive_trial_result(self, *a, **kw): pass
PY
sed 's/^tuner: .*/tuner: {className: bad_tuner.Bad}/' exp.yml >bad.yml
if timeout 120 "$archer" create --config bad.yml --foreground --port 0 >bad 2>&1; then
  fail "a raising tuner must fail the experiment"
fi
grep -q "RuntimeError: my tuner broke" bad || { cat bad; fail "traceback shown"; }
"$archer" experiment list --experiment_working_directory exps | grep -q ERROR || fail "ERROR in the list"

# An NNI before 2.7 (no WebSocket module): Archer's probe picks the pipes on
# fds 3/4, and NNI's own MsgDispatcher answers over NNI's LegacyCommandChannel,
# as NNI 2.0-2.6's dispatcher does.
cat > old_nni.py <<'PY'
import base64, json, sys
from nni.runtime.msg_dispatcher import MsgDispatcher
from nni.runtime.tuner_command_channel.legacy import LegacyCommandChannel
from nni.tools.package_utils import create_builtin_class_instance
params = json.loads(base64.b64decode(sys.argv[sys.argv.index('--exp_params') + 1]))
tuner = create_builtin_class_instance(params['tuner']['name'], params['tuner'].get('classArgs'), 'tuners')
dispatcher = MsgDispatcher('ws://_unittest_', tuner, None)
dispatcher._channel = LegacyCommandChannel()
dispatcher.run()
PY
cat > old_python <<SH
#!/bin/sh
# -m nni: the old dispatcher; -c (Archer's probe): without NNI's WebSocket module.
if [ "\$1" = -m ]; then shift 2; exec /usr/bin/python3 $tmp/old_nni.py "\$@"; fi
exec /usr/bin/python3 -c "import sys; sys.modules['nni.runtime.tuner_command_channel.websocket'] = None
exec(sys.argv[1])" "\$2"
SH
chmod +x old_python
{ cat exp.yml; echo "pythonInterpreter: $tmp/old_python"; } >old.yml
timeout 120 "$archer" create --config old.yml --foreground --port 0 >old 2>&1 || { cat old; fail "create over pipes"; }
grep -q "DONE: 6 succeeded, 0 failed" old || { cat old; fail "6 trials over pipes"; }
# Detached over the pipes too (the dispatcher keeps fds 3 and 4, nothing else).
{ cat detached.yml; echo "pythonInterpreter: $tmp/old_python"; } >old_detached.yml
timeout 60 "$archer" create --config old_detached.yml --port 0 >oldd 2>&1 || { cat oldd; fail "detached create over pipes returns"; }
oldd_id=$(sed -n 's/^Experiment \([A-Za-z0-9]*\) started.*/\1/p' oldd)
timeout 60 "$archer" stop "$oldd_id" >/dev/null 2>&1 || fail "stop the detached pipes experiment"

unset PYTHONPATH
if timeout 60 "$archer" create --config exp.yml --foreground --port 0 >none 2>&1; then
  fail "no NNI must refuse to start"
fi
grep -q "need a Python that can \`import nni\`" none || { cat none; fail "install message"; }
echo "nni_algorithms_test: passed"
