#!/usr/bin/env bash
# Archer set-up: installs the Debian packages Archer needs (apt only, only the missing ones),
# builds, then runs the demo or the whole test suite.
#
#   bash setup.sh demo    install + build + run Archer's main job on its embedded defaults
#   bash setup.sh test    install + build (warnings as errors) + every test, a clang-format
#                         check, an ASan+UBSan build of the torch-free tests and a
#                         bounded libFuzzer run of the untrusted-input parsers
#   bash setup.sh build   install + build only
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
mode=${1:-demo}
case "$mode" in demo | test | build) ;; *)
  echo "usage: bash setup.sh [demo|test|build]" >&2
  exit 2
  ;;
esac

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config python3 clang-format libopenblas0-openmp
  libtorch-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libcpp-httplib-dev
  libsqlite3-dev libeigen3-dev libboost-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev dataset-fashion-mnist
  openssh-server slurm-wlm munge
)
# Only the tests need a browser (the web UI's browser tests) and inotify-tools (the
# remote tests' hosts then use the inotify watcher, as a host with it installed does).
# clang's libFuzzer (and its runtime) build and run the fuzz targets.
# NNI's Python package (../shared/nni, the conformance partner) needs the python3-* ones;
# the Python package's classic-NAS tests need python3-torch, its pip test python3-venv.
[ "$mode" = test ] && PACKAGES+=(chromium chromium-driver fonts-liberation inotify-tools
  clang libclang-rt-14-dev python3-numpy python3-scipy python3-yaml python3-json-tricks
  python3-schema python3-typeguard python3-filelock python3-prettytable python3-psutil
  python3-requests python3-websockets python3-colorama python3-pandas python3-astor
  python3-cloudpickle python3-tqdm python3-packaging python3-typing-extensions
  python3-torch python3-venv)

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#PACKAGES[@]} packages are installed"
    return
  fi
  echo "setup: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

jobs=$(nproc)
# Let clones in other folders share the compiler cache (paths are hashed relative to here).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
targets=()  # empty: everything
build() {  # build DIR [cmake options...]; builds "${targets[@]}" (all when empty)
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1 || {
    cat "$dir.configure.log"
    return 1
  }
  if [ ${#targets[@]} -eq 0 ]; then
    cmake --build "$dir" -j "$jobs"
  else
    cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
  fi
}

install_packages
# The demo needs only the CLI and the example; the tests need everything.
[ "$mode" = demo ] && targets=(archer mnist_nas)
build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DARCHER_WERROR=ON
targets=()
build_seconds=$SECONDS

if [ "$mode" = demo ]; then
  # Archer's main job: a neural architecture search on Fashion-MNIST (examples/mnist).
  archer=$PWD/build/tools/archer/archer
  cd examples/mnist
  t0=$SECONDS
  echo
  echo "== archer ss_gen: the search space the model declares (46,656 architectures)"
  "$archer" ss_gen --trial_command "../../build/examples/mnist/mnist_nas --space cells"
  t1=$SECONDS
  echo
  echo "== archer create: Regularized Evolution, 20 trials, 2 at a time"
  echo "   (each trial: 1 epoch of Adam on 50,000 Fashion-MNIST training images, scored on the"
  echo "   10,000 held out from them; the test set is kept for retraining the best one)"
  "$archer" create --config config_evolution.yml --foreground --port 0
  t2=$SECONDS
  echo
  echo "== the five best trials (archer trial ls --head 5)"
  "$archer" trial ls --head 5
  echo
  echo "Demo phases: build/setup ${build_seconds}s, ss_gen $((t1 - t0))s, experiment $((t2 - t1))s."
  echo "Look at it in the browser: $archer view (then open the Web UI address it prints)."
  echo "Retrain the best architecture on NNI's full schedule and score it on the test set:"
  echo "  save its Architecture: line to best.json, then"
  echo "  build/examples/mnist/mnist_nas --space cells --architecture best.json (examples/mnist/README.md)."
elif [ "$mode" = test ]; then
  echo "== tests"
  ctest --test-dir build --output-on-failure -j "$jobs"
  echo "== clang-format"
  git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror
  echo "== ASan+UBSan build of the torch-free tests"
  build build-asan -DCMAKE_BUILD_TYPE=Debug -DARCHER_WERROR=ON -DARCHER_SANITIZE=ON \
    -DARCHER_WITH_TORCH=OFF
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -E "install_find_package|debian_package|[Ss]lurm"
  # Two single-node Slurm clusters at once under ASan starve each other's job launches
  # (a job then never starts or ends FAILED): one at a time.
  ctest --test-dir build-asan --output-on-failure -j 1 -R "[Ss]lurm"
  echo "== fuzzing the untrusted-input parsers (libFuzzer, bounded time)"
  targets=(fuzz_targets)
  CC=clang CXX=clang++ build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DARCHER_WERROR=ON \
    -DARCHER_FUZZ=ON -DARCHER_WITH_TORCH=OFF -DARCHER_BUILD_TESTS=OFF -DARCHER_BUILD_BENCH=OFF \
    -DARCHER_BUILD_EXAMPLES=OFF
  bash fuzz/run.sh build-fuzz "${ARCHER_FUZZ_SECONDS:-20}"
fi
