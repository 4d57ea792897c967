#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit + functional + fuzz corpus replay) through ctest.
# Usage: contrib/test.sh [--sanitize] [extra ctest arguments, e.g. -L unit or -R functional]
#
# --sanitize: the same tests on a separate AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
# (PHYSIS_SANITIZE=ON, -O1 -g1 to keep CI time down, no benchmarks). Functional tests start build-asan/bin's
# physisd, so the node itself runs sanitized too. Every error stops the process that hits it. ASan and leak
# reports, from a test binary or from a node a test started, are also written under build-asan/sanitizer-logs/;
# any report there fails the run, even one from a process whose exit status nobody checks (a leak at a node's
# exit). g++'s UBSan ignores log_path and writes to stderr: a node that hits UB dies, so its test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=1
  shift
fi

bash contrib/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

if [ "$sanitize" = 0 ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build -j"$jobs"
  bash contrib/check-deps.sh
  cd build
  ctest --output-on-failure --timeout 900 -j"$jobs" "$@"
  exit 0
fi

build=build-asan
cmake -S . -B "$build" -DPHYSIS_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
cmake --build "$build" -j"$jobs"
logs="$PWD/$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
supp="$PWD/contrib/sanitizers"
# halt/abort: the first error stops the process (a test cannot pass over it); log_path: one file per process.
export PHYSIS_SANITIZED=1  # functional tests with wall-clock bounds loosen them (hostile_descriptors)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:check_initialization_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
status=0
(cd "$build" && ctest --output-on-failure --timeout 1800 -j"$jobs" "$@") || status=$?
if compgen -G "$logs/*" >/dev/null; then
  echo "test.sh --sanitize: sanitizer reports in $logs:" >&2
  for f in "$logs"/*; do
    echo "---- $f" >&2
    head -n 60 "$f" >&2
  done
  exit 1
fi
exit "$status"
