#!/bin/bash
# The Debian package: `cpack -G DEB` builds archer_<version>_amd64.deb; its fields, its
# dependencies and its contents are checked, and the packaged CLI, web UI and Python package
# run from an unpacked copy (nothing is installed on this machine).
# Usage: deb_test.sh <build dir> <version> <python> <with torch: ON|OFF>
set -euo pipefail
build=$1 version=$2 python=$3 torch=$4
command -v dpkg-deb >/dev/null && command -v cpack >/dev/null || { echo "SKIP: no dpkg-deb/cpack"; exit 77; }
tmp=$(mktemp -d)
export HOME=$tmp/home && mkdir -p "$HOME"
trap 'pkill -9 -f "$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$tmp/out/archer_${version}_amd64.deb
[ -f "$deb" ] || { ls "$tmp/out"; fail "no $deb"; }
echo "package: $(du -h "$deb" | cut -f1)"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = archer ] || fail "Package"
[ "$(field Version)" = "$version" ] || fail "Version $(field Version)"
[ "$(field Architecture)" = amd64 ] || fail "Architecture"
depends=$(field Depends)
echo "Depends: $depends"
want="python3 libyaml-cpp0.7 libsqlite3-0 libcpp-httplib0.11 libstdc++6 nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev libcpp-httplib-dev zlib1g-dev"
[ "$torch" = ON ] && want="$want libtorch1.13 libtorch-dev"
names=$(echo "$depends" | tr ',' '\n' | sed -e 's/^ *//' -e 's/ .*//')
for p in $want; do
  echo "$names" | grep -qxF "$p" || fail "Depends lacks $p"
done

dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/contents"
for f in usr/bin/archer usr/include/archer/tuner.h usr/include/archer/nn.h \
         usr/lib/cmake/archer/archerConfig.cmake usr/lib/cmake/archer/archerTargets.cmake \
         usr/lib/libarcher_core.a usr/lib/python3/dist-packages/archer/__init__.py \
         usr/lib/python3/dist-packages/archer/experiment.py \
         usr/lib/python3/dist-packages/archer/nas/mutables.py \
         usr/lib/python3/dist-packages/archer_trial.py \
         usr/lib/python3/dist-packages/archer-nni.pth \
         usr/share/doc/archer/README.md usr/share/doc/archer/python.md \
         usr/share/doc/archer/copyright; do
  grep -qx "./$f" "$tmp/contents" || fail "the package lacks /$f"
done
if [ "$torch" = ON ]; then
  grep -qx "./usr/lib/libarcher_torch.a" "$tmp/contents" || fail "no libarcher_torch.a"
  grep -qx "./usr/lib/archer/libarcher_ppo.so" "$tmp/contents" || fail "no PPO module"
fi
if grep -E '_test\.py$|__pycache__|^\./usr/local/|/build/' "$tmp/contents"; then fail "test files, caches or build paths in the package"; fi

# The packaged files, unpacked: the CLI, the web UI in it, the Python package.
root=$tmp/root
dpkg-deb -x "$deb" "$root"
archer=$root/usr/bin/archer
[ "$("$archer" --version)" = "archer $version" ] || fail "archer --version: $("$archer" --version)"
site=$root/usr/lib/python3/dist-packages
cat >"$tmp/trial.py" <<'PY'
import archer
p = archer.get_next_parameter()
archer.report_final_result({"x": 0.5, "y": 0.9}[p["a"]["_value"]])
PY
cat >"$tmp/exp.yml" <<YML
searchSpace: {a: {_type: layer_choice, _value: [x, y]}}
trialCommand: PYTHONPATH=$site $python $tmp/trial.py
trialConcurrency: 1
maxTrialNumber: 2
tuner: {name: Random}
experimentWorkingDirectory: $tmp/exps
YML
"$archer" create --config "$tmp/exp.yml" --port 0 >"$tmp/create.out" 2>&1 || { cat "$tmp/create.out"; fail "packaged archer create"; }
id=$(sed -n 's/^Experiment \([A-Za-z0-9]*\) started.*/\1/p' "$tmp/create.out")
url=$(sed -n 's/^Web UI: //p' "$tmp/create.out")
"$python" - "$url" <<'PY' || fail "the packaged web UI"
import sys, urllib.request
page = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
assert "<html" in page.lower() and "archer" in page.lower(), page[:200]
PY
for _ in $(seq 60); do
  "$archer" experiment status "$id" --experiment_working_directory "$tmp/exps" | grep -q '"DONE"' && break
  sleep 0.5
done
"$archer" experiment show "$id" --experiment_working_directory "$tmp/exps" | grep -q "best: 0.9" || fail "the packaged CLI's experiment"
"$archer" stop "$id" --experiment_working_directory "$tmp/exps" >/dev/null
if [ "$torch" = ON ]; then  # PPOTuner from the packaged module (the CLI loads it on demand)
  sed -e 's/tuner: {name: Random}/tuner: {name: PPOTuner, classArgs: {trials_per_update: 2, minibatch_size: 1}}/' \
      -e "s|$tmp/exps|$tmp/ppo|" "$tmp/exp.yml" >"$tmp/ppo.yml"
  "$archer" create --config "$tmp/ppo.yml" --foreground --no_server >"$tmp/ppo.out" 2>&1 || { cat "$tmp/ppo.out"; fail "PPOTuner from the package"; }
  grep -q "DONE: 2 succeeded" "$tmp/ppo.out" || { cat "$tmp/ppo.out"; fail "PPOTuner's experiment"; }
fi
# archer.Experiment from the packaged Python package, finding the packaged CLI.
ARCHER_CLI=$archer PYTHONPATH= "$python" - "$site" "$version" "$id" "$tmp/exps" <<'PY' || fail "the packaged Python package"
import site, sys
site.addsitedir(sys.argv[1])  # as Debian's python3 reads /usr/lib/python3/dist-packages
import archer
assert archer.__version__ == sys.argv[2], archer.__version__
assert archer.__file__.startswith(sys.argv[1]), archer.__file__
exp = archer.Experiment.connect(sys.argv[3], experiment_working_directory=sys.argv[4])
assert exp.get_status() == "DONE", exp.get_status()
assert exp.best_architecture() == {"a": {"_value": "y", "_idx": 1}}, exp.best_architecture()
import nni  # archer-nni.pth: NNI's trial names when no NNI is installed
assert nni.__archer_compat__
PY
echo "PASS: the Debian package"
