#!/usr/bin/env bash
# One command for a local devnet: installs what is missing, builds into build/, and starts a
# single-validator chain from genesis/devnet.json with JSON-RPC on 127.0.0.1:8545.
# Ctrl-C stops it cleanly; the chain is kept in the datadir and resumes on the next run.
#
# With --devices N, physis-devsim runs beside the node: N simulated devices with certificates from the
# devnet's test manufacturer register and submit proofs, so rewards appear every epoch. --cheaters K adds
# K cheating devices (physis-devsim --cheaters: spam, unheard and same-owner witnesses, location jumps,
# replays); its summary of what the chain rejected, with reasons, is printed when it stops.
#
# If the node dies, physis-devsim is stopped too and the script exits non-zero.
# --bindir DIR uses the binaries in DIR and skips installing and building.
#
# Usage: contrib/devnet.sh [--datadir DIR] [--rpc-port PORT] [--reset] [--devices N] [--rate R]
#                          [--cheaters K] [--bindir DIR] [-- extra physisd flags]
set -euo pipefail
start_dir="$PWD"
cd "$(dirname "$0")/.."

datadir="${PHYSIS_DEVNET_DIR:-$HOME/.physis-devnet}"
port=8545
reset=0
devices=0
rate=20
cheaters=0
extra=()
bindir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --datadir) datadir="$2"; shift 2 ;;
    --rpc-port) port="$2"; shift 2 ;;
    --reset) reset=1; shift ;;
    --devices) devices="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --cheaters) cheaters="$2"; shift 2 ;;
    --bindir) bindir="$2"; [[ "$bindir" = /* ]] || bindir="$start_dir/$bindir"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "devnet.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$bindir" ]; then
  bash contrib/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target physisd physis-cli physis-devsim
  bindir=build/bin
fi

if [ "$reset" = 1 ]; then rm -rf "$datadir"; fi
mkdir -p "$datadir"

echo
echo "Physis devnet — chain $(python3 -c 'import json;print(json.load(open("genesis/devnet.json"))["chain_id"])')"
echo "Funded dev accounts (public TEST keys in genesis/devnet-keys/, never use them for value):"
python3 - <<'PY'
import json
g = json.load(open("genesis/devnet.json"))
for a in g["accounts"]:
    print(f"  {a.get('name',''):<6} {a['address']}  balance {a['balance']}  key genesis/devnet-keys/{a.get('name','')}.key")
PY
echo "Try:  build/bin/physis-cli --rpc http://127.0.0.1:$port transfer --key genesis/devnet-keys/dev0.key \\"
echo "        --to $(python3 -c 'import json;print(json.load(open("genesis/devnet.json"))["accounts"][1]["address"])') --amount 1000 --wait"
echo "Data in $datadir (use --reset to start over). Ctrl-C stops the node."
echo

node_cmd=("$bindir/physisd" --datadir "$datadir" --genesis genesis/devnet.json --rpc-port "$port"
  --validator-key genesis/devnet-keys/validator.key "${extra[@]}")
if [ "$devices" = 0 ]; then
  exec "${node_cmd[@]}"
fi

# Node and device simulator together; Ctrl-C stops both (the node last, cleanly). If the node dies,
# the simulator is stopped too and the script exits non-zero.
"${node_cmd[@]}" &
node_pid=$!
sim_pid=""
stop() {
  [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  exit 0
}
node_died() {  # $1: the node's exit status (already reaped)
  local code="$1"
  echo "devnet.sh: physisd (pid $node_pid) exited with status $code; stopping physis-devsim" >&2
  if [ -n "$sim_pid" ]; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  [ "$code" = 0 ] && code=1  # the node only stops by itself on an error
  exit "$code"
}
trap stop INT TERM
for _ in $(seq 1 100); do
  if ! kill -0 "$node_pid" 2>/dev/null; then
    code=0
    wait "$node_pid" || code=$?
    node_died "$code"
  fi
  "$bindir/physis-cli" --rpc "http://127.0.0.1:$port" status >/dev/null 2>&1 && break
  sleep 0.1
done
echo "Starting physis-devsim with $devices devices at $rate proofs/s (rewards: physis-cli rewards --owner <dev0>)"
"$bindir/physis-devsim" --rpc "http://127.0.0.1:$port" --devices "$devices" --rate "$rate" --epochs 0 \
  --cheaters "$cheaters" &
sim_pid=$!
while true; do
  code=0
  wait -n "$node_pid" "$sim_pid" || code=$?
  if ! kill -0 "$node_pid" 2>/dev/null; then
    node_died "$code"
  fi
  if [ -n "$sim_pid" ] && ! kill -0 "$sim_pid" 2>/dev/null; then
    echo "devnet.sh: physis-devsim exited with status $code; the node keeps running (Ctrl-C stops it)" >&2
    sim_pid=""
    code=0
    wait "$node_pid" || code=$?
    node_died "$code"
  fi
done
