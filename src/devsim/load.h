// Load mode of physis-devsim (--load): drives a running node as hard as it takes proofs. Several
// relayer threads, each with its own account (derived from the seed and funded at start by transfers
// from the funding key), each owning a disjoint share of the fleet, keep up to `in_flight` batches
// pending at once, numbered from the node's pending nonce; a proof's seq follows the device's last
// signed one, since a relayer's batches are included in nonce order. Each relayer pays for its devices'
// data with its own consumer account (also derived and funded; a consumer's receipt seqs rise in its
// relayer's nonce order), so data proofs carry real usage receipts, and uptime proofs are made only when
// they earn (doc/depin.md "Proofs", "Usage"). A batch holds as many proofs as fit in a transaction; one
// the node refuses is kept and sent again. Progress (accepted proofs/s) is printed on stderr every
// `report_s` seconds and a summary line at the end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devsim/devsim.h"

namespace physis::devsim {

struct LoadOptions {
  std::string url;
  std::string chain_id;
  uint64_t seed = 1;
  uint64_t relayers = 2;
  uint64_t in_flight = 16;   // batches per relayer sent and not yet included
  uint64_t batch = 500;      // proofs per batch (at most max_proofs_per_tx)
  uint64_t duration_s = 60;  // 0 = until Ctrl-C
  uint64_t report_s = 5;
  uint64_t epoch_blocks = 10;
  uint64_t uptime_interval = 1;
  uint64_t ref_window = 64;  // the chain's: a batch whose reference would be older when included is not sent
  // Data proofs signed before the window starts (0 = none), shared by the relayers and sent first, so
  // that signing them does not compete with the node for the cores during the window; the rest are
  // signed as they are sent. Presigned batches that would pass ref_window before inclusion are dropped.
  uint64_t presign = 0;
  crypto::PrivateKey funder{};  // pays the relayers' funding transfers
};

// Runs the load until the duration has passed (or Ctrl-C) and returns the summary: proofs sent,
// accepted, rejected (by reason), the measured seconds, and the sustained accepted proofs/s (accepted
// proofs whose receipts arrived within the window, over the window). The devices' seqs must be the
// chain's; they are advanced as proofs are signed. std::runtime_error if funding the relayers fails.
json run_load(const LoadOptions& options, std::vector<Device>& fleet);

}  // namespace physis::devsim
