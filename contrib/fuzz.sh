#!/usr/bin/env bash
# Builds one fuzz harness as a libFuzzer target with clang (in build-fuzz/, ASan + UBSan, coverage in every
# library) and runs it for SECONDS over its seed corpus. See tests/fuzz/README.md.
#
# Usage: contrib/fuzz.sh NAME SECONDS [libFuzzer flags...]   NAME: tx, block, ... or fuzz_tx, fuzz_block, ...
#        contrib/fuzz.sh --list
#
# New inputs that add coverage go to build-fuzz/corpus/NAME/ (scratch, not committed); crashes, leaks and
# timeouts to build-fuzz/artifacts/NAME/. The committed seeds in the harness's corpus directory are only
# read. Environment: FUZZ_BUILD_DIR (default build-fuzz), CXX (default clang++).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each harness and its seed directory, as registered by physis_fuzz() in tests/CMakeLists.txt.
harnesses() {
  sed -n 's|^physis_fuzz(\(fuzz_[a-z0-9_]*\) \${CMAKE_CURRENT_SOURCE_DIR}/\([^ ]*\) .*|\1 tests/\2|p' \
    tests/CMakeLists.txt
}

if [ "${1:-}" = "--list" ]; then
  harnesses | while read -r name seeds; do printf '%-20s %s\n' "${name#fuzz_}" "$seeds"; done
  exit 0
fi
if [ $# -lt 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: contrib/fuzz.sh NAME SECONDS [libFuzzer flags...] | contrib/fuzz.sh --list" >&2
  exit 2
fi
name="fuzz_${1#fuzz_}"
seconds="$2"
shift 2
seeds=$(harnesses | awk -v n="$name" '$1 == n { print $2 }')
if [ -z "$seeds" ]; then
  echo "fuzz.sh: no harness named $name (see contrib/fuzz.sh --list)" >&2
  exit 2
fi

bash contrib/install-deps.sh --fuzz >/dev/null
build="${FUZZ_BUILD_DIR:-build-fuzz}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
  -DPHYSIS_LIBFUZZER=ON "${launcher[@]}" >/dev/null
cmake --build "$build" -j2 --target "$name"

scratch="$build/corpus/${name#fuzz_}"
artifacts="$build/artifacts/${name#fuzz_}"
mkdir -p "$scratch" "$artifacts"
# -timeout: one input taking over 10 s is a finding; -rss_limit_mb: 2 GB is a finding on a node too.
# Stop on the first crash, timeout or leak: libFuzzer writes it under $artifacts with the reproducer.
exec "$build/bin/$name" "$scratch" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$@"
