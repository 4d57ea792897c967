#!/usr/bin/env bash
# Installs the Debian 12 packages Physis needs to build, test and run.
# Usage: contrib/install-deps.sh [--fuzz]
# Idempotent: runs `apt-get update` and `apt-get install` only when a package is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config python3
  libboost-dev libboost-program-options-dev
  libleveldb-dev libsnappy-dev
  libsecp256k1-dev
  libzmq3-dev cppzmq-dev
  libprotobuf-dev protobuf-compiler
  libssl-dev openssl
  nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# contrib/test.sh --sanitize needs nothing more: libasan and libubsan come with g++.
# --fuzz (contrib/fuzz.sh): clang with libFuzzer and its sanitizer runtimes; CI does not need them.
if [ "${1:-}" = "--fuzz" ]; then
  PACKAGES+=(clang clang-14 libclang-rt-14-dev)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
