// Explorer indexes: what explorers query that consensus never reads, stored beside each block in the
// node's index space (storage::BlockStore "I" keys), outside the state and its root (doc/depin.md
// "Indexes"). BlockExecutor::commit writes them in the block's one batch, so every path that stores a
// block (producer, consensus, block sync, catch-up after a crash) writes them too. The RPC reads them.
//
// Keys (all integers big-endian, so a scan lists them in height / epoch order):
//   'P' ‖ device(20) ‖ height(8) ‖ tx(4) ‖ proof(4) → ProofResult   (proofs by device)
//   'Q' ‖ epoch(8) ‖ height(8) ‖ tx(4) ‖ proof(4)   → ProofResult   (proofs by including block's epoch)
//   'R' ‖ device(20) ‖ epoch(8)                     → RewardRecord  (settled rewards by device)
//   'X' ‖ epoch(8) ‖ device(20)                     → 0x01          (devices that earned weight in an epoch)
// (BlockExecutor also keeps 'S' ‖ height → the block's senders there, for peers that sync it.)
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "util/bytes.h"
#include "vm/apply.h"

namespace physis::node {

inline constexpr uint8_t kProofsByDeviceIndex = 'P';
inline constexpr uint8_t kProofsByEpochIndex = 'Q';
inline constexpr uint8_t kRewardIndex = 'R';
inline constexpr uint8_t kEpochEarnerIndex = 'X';

// 'R' ‖ device: the prefix of a device's reward records; reward_index_key adds the epoch.
Bytes reward_index_prefix(const Address& device);
Bytes reward_index_key(const Address& device, uint64_t epoch);
// 'X' ‖ epoch: the prefix of the devices that earned in the epoch; epoch_earner_index_key adds the device.
Bytes epoch_earner_index_prefix(uint64_t epoch);
Bytes epoch_earner_index_key(uint64_t epoch, const Address& device);

// The index entries of a block at `height` with effects `result` (its receipts' proof results and its
// ExplorerRecords), in a deterministic order. The epoch of a proof result is the including block's
// (height / epoch_blocks, where weight accrues), not the one the proof claims; a result whose device id
// is not 20 bytes (a malformed proof) is indexed by epoch only, so it cannot land under another device.
std::vector<std::pair<Bytes, Bytes>> explorer_index_writes(const vm::BlockResult& result, uint64_t height,
                                                           uint64_t epoch_blocks);

}  // namespace physis::node
