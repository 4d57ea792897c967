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
# With --validators N (N > 1) it makes N validator keys and a genesis with them (contrib/make-genesis.py,
# under DIR/validators-N/, reused on the next run) and starts N physisd on 127.0.0.1, node i with its own
# datadir, RPC port PORT+i and P2P port P2P_PORT+i (--p2p-port, default 26656), each with every other
# validator as a persistent peer; it prints their RPC URLs one a line, logs go to each datadir's
# physisd.log, and Ctrl-C stops them all. --full-node adds a node without a validator key that syncs
# from them (RPC port PORT+N). --devices runs physis-devsim against the first node.
#
# Usage: contrib/devnet.sh [--datadir DIR] [--rpc-port PORT] [--reset] [--devices N] [--rate R]
#                          [--cheaters K] [--validators N] [--full-node] [--p2p-port PORT]
#                          [--bindir DIR] [-- extra physisd flags]
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
validators=1
full_node=0
p2p_port=26656
while [ $# -gt 0 ]; do
  case "$1" in
    --datadir) datadir="$2"; shift 2 ;;
    --rpc-port) port="$2"; shift 2 ;;
    --reset) reset=1; shift ;;
    --devices) devices="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --validators) validators="$2"; shift 2 ;;
    --full-node) full_node=1; shift ;;
    --p2p-port) p2p_port="$2"; shift 2 ;;
    --cheaters) cheaters="$2"; shift 2 ;;
    --bindir) bindir="$2"; [[ "$bindir" = /* ]] || bindir="$start_dir/$bindir"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "devnet.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

case "$validators" in
  ''|*[!0-9]*|0) echo "devnet.sh: --validators must be a positive integer" >&2; exit 2 ;;
esac

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

# --- N validators (--validators N > 1, --full-node): its own block, up to the single-node path. ---
if [ "$validators" -gt 1 ] || [ "$full_node" = 1 ]; then
  net="$datadir/validators-$validators"
  if [ ! -f "$net/genesis.json" ]; then
    python3 contrib/make-genesis.py --validators "$validators" --out "$net" --cli "$bindir/physis-cli" >/dev/null
  fi
  names=()
  for i in $(seq 0 $((validators - 1))); do names+=("node$i"); done
  [ "$full_node" = 1 ] && names+=("full")
  ids=()
  for i in "${!names[@]}"; do
    ids+=("$("$bindir/physisd" --show-node-id --datadir "$net/${names[$i]}")")
  done
  pids=()
  for i in "${!names[@]}"; do
    peers=""
    for j in $(seq 0 $((validators - 1))); do
      [ "$j" = "$i" ] && continue
      peers+="${peers:+,}${ids[$j]}@127.0.0.1:$((p2p_port + j))"
    done
    cmd=("$bindir/physisd" --datadir "$net/${names[$i]}" --genesis "$net/genesis.json"
      --rpc-port "$((port + i))" --p2p-listen "tcp://127.0.0.1:$((p2p_port + i))")
    [ -n "$peers" ] && cmd+=(--persistent-peers "$peers")
    [ "${names[$i]}" != full ] && cmd+=(--validator-key "$net/validator$i.key")
    "${cmd[@]}" "${extra[@]}" >>"$net/${names[$i]}/physisd.log" 2>&1 &
    pids+=($!)
  done
  sim_pid=""
  stop_all() {  # by PID: the simulator, then every node; each is waited for
    # Every step may fail (a process already gone, a non-zero exit status): none may end the script
    # under set -e before the last node is stopped.
    if [ -n "$sim_pid" ]; then
      kill -TERM "$sim_pid" 2>/dev/null || true
      wait "$sim_pid" 2>/dev/null || true
    fi
    # A reaped node's slot holds 0, which must never reach kill (kill 0 signals the process group).
    for pid in "${pids[@]}"; do [ "$pid" != 0 ] && { kill -TERM "$pid" 2>/dev/null || true; }; done
    for pid in "${pids[@]}"; do [ "$pid" != 0 ] && { wait "$pid" 2>/dev/null || true; }; done
  }
  trap 'stop_all; exit 0' INT TERM
  for i in "${!names[@]}"; do
    url="http://127.0.0.1:$((port + i))"
    for _ in $(seq 1 300); do
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        echo "devnet.sh: physisd ${names[$i]} exited at start; see $net/${names[$i]}/physisd.log:" >&2
        tail -5 "$net/${names[$i]}/physisd.log" >&2
        stop_all
        exit 1
      fi
      "$bindir/physis-cli" --rpc "$url" status >/dev/null 2>&1 && break
      sleep 0.1
    done
  done
  echo "$validators validators (genesis $net/genesis.json, logs in $net/node*/physisd.log); RPC URLs:"
  for i in $(seq 0 $((validators - 1))); do echo "http://127.0.0.1:$((port + i))"; done
  [ "$full_node" = 1 ] && echo "full node (syncs, no validator key): http://127.0.0.1:$((port + validators))"
  echo "Ctrl-C stops them all."
  if [ "$devices" != 0 ]; then
    echo "Starting physis-devsim with $devices devices at $rate proofs/s against http://127.0.0.1:$port"
    "$bindir/physis-devsim" --rpc "http://127.0.0.1:$port" --devices "$devices" --rate "$rate" --epochs 0 \
      --cheaters "$cheaters" &
    sim_pid=$!
  fi
  # A node that exits is reported and the others keep running (a devnet survives a lost validator);
  # when none is left the script exits non-zero.
  while true; do
    wait -n || true
    left=0
    for i in "${!pids[@]}"; do
      pid="${pids[$i]}"
      [ "$pid" = 0 ] && continue
      if kill -0 "$pid" 2>/dev/null; then
        left=$((left + 1))
      else
        code=0
        wait "$pid" 2>/dev/null || code=$?
        echo "devnet.sh: physisd ${names[$i]} (pid $pid) exited with status $code; see $net/${names[$i]}/physisd.log" >&2
        pids[$i]=0
      fi
    done
    if [ -n "$sim_pid" ] && ! kill -0 "$sim_pid" 2>/dev/null; then
      echo "devnet.sh: physis-devsim exited; the nodes keep running" >&2
      sim_pid=""
    fi
    if [ "$left" = 0 ]; then
      echo "devnet.sh: every node has exited" >&2
      stop_all
      exit 1
    fi
  done
fi
# --- end of the N-validator block ---

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
