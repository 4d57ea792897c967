// Fuzz harness: block decoding (blocks from peers and block sync). Invariant: a decoded block is
// canonical and hashes without trouble.
#include <algorithm>
#include <cstdlib>

#include "primitives/block.h"
#include "primitives/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  physis::pb::Block block;
  if (!physis::decode_block(physis::ByteSpan(data, size), block)) return 0;
  physis::Bytes again = physis::encode_canonical(block);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  (void)physis::block_hash(block.header());
  (void)physis::compute_tx_root(block.txs());
  return 0;
}
