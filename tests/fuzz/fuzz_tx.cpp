// Fuzz harness: transaction decoding (bytes from tx_send and from peers). Invariant: whatever decodes
// is canonical — re-encoding the envelope gives the input back.
#include <cstdlib>

#include "primitives/codec.h"
#include "primitives/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  physis::ByteSpan in(data, size);
  auto tx = physis::decode_tx(in);
  if (!tx) return 0;
  if (tx->raw.size() != size) std::abort();
  physis::pb::Transaction envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) std::abort();
  if (physis::encode_canonical(envelope) != tx->raw) std::abort();
  (void)physis::verify_tx(std::move(*tx));
  return 0;
}
