#!/usr/bin/env bash
# Installs what is missing, builds into build/, and runs every test (unit + functional) through ctest.
# Usage: contrib/test.sh [extra ctest arguments, e.g. -L unit or -R functional]
set -euo pipefail
cd "$(dirname "$0")/.."

bash contrib/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"
bash contrib/check-deps.sh
cd build
ctest --output-on-failure --timeout 900 -j"$jobs" "$@"
