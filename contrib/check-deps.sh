#!/usr/bin/env bash
# Fails when an #include crosses the library graph of doc/architecture.md the wrong way.
set -euo pipefail
cd "$(dirname "$0")/.."

# library directory → libraries it may include (besides itself)
declare -A allowed=(
  [src/util]=""
  [src/crypto]="util"
  [src/primitives]="util crypto primitives"
  [vm]="util crypto primitives"
  [consensus]="util crypto primitives"
  [src/storage]="util crypto primitives"
  [src/p2p]="util crypto primitives"
  [src/mempool]="util crypto primitives vm"
  [src/node]="util crypto primitives vm consensus storage mempool p2p"
  [rpc]="util crypto primitives vm consensus storage mempool p2p node"
)
status=0
for dir in "${!allowed[@]}"; do
  self=$(basename "$dir")
  ok=" $self ${allowed[$dir]} "
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if [[ "$ok" != *" $inc "* ]]; then
      echo "check-deps: $file includes $inc/, which $self may not depend on (doc/architecture.md)"
      status=1
    fi
  done < <(grep -H -E '^#include "[a-z_]+/' "$dir"/*.h "$dir"/*.cpp 2>/dev/null || true)
done
if grep -rlE '#include <leveldb/' --include='*.h' --include='*.cpp' src vm consensus rpc | grep -v '^src/storage/' ; then
  echo "check-deps: only src/storage may include LevelDB"
  status=1
fi
# ZeroMQ sockets have one owner: the p2p Host thread (DESIGN §6).
if grep -rlE '#include <zmq(\.h|\.hpp|_addon\.hpp)>' --include='*.h' --include='*.cpp' src vm consensus rpc | grep -v '^src/p2p/' ; then
  echo "check-deps: only src/p2p may include ZeroMQ"
  status=1
fi
[ $status -eq 0 ] && echo "check-deps: include graph OK"
exit $status
