// bench_presign: signs transfers ahead of a load test, so the load generator (contrib/bench/
// bench_network.py) spends its time sending, not signing. Not a benchmark itself; it prints one
// "0xRAW 0xHASH" line per transfer (nonces NONCE..NONCE+COUNT-1, amount 1 each).
//
// Usage: bench_presign KEY_FILE CHAIN_ID TO_ADDRESS NONCE COUNT [GAS_PRICE]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/keccak.h"
#include "crypto/secp256k1.h"
#include "node/keyfile.h"
#include "primitives/transaction.h"
#include "util/bytes.h"

using namespace physis;

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: bench_presign KEY_FILE CHAIN_ID TO_ADDRESS NONCE COUNT [GAS_PRICE]\n");
    return 2;
  }
  auto key = node::read_key_file(argv[1]);
  if (!key) {
    std::fprintf(stderr, "bench_presign: %s\n", key.error().message.c_str());
    return 1;
  }
  auto to = crypto::parse_address(argv[3]);
  if (!to) {
    std::fprintf(stderr, "bench_presign: bad address %s\n", argv[3]);
    return 2;
  }
  const uint64_t nonce = std::strtoull(argv[4], nullptr, 10);
  const uint64_t count = std::strtoull(argv[5], nullptr, 10);
  const uint64_t gas_price = argc == 7 ? std::strtoull(argv[6], nullptr, 10) : 1;
  for (uint64_t i = 0; i < count; ++i) {
    const Bytes raw = sign_tx(make_transfer_body(argv[2], nonce + i, 21000, gas_price, *to, 1), *key);
    const auto hash = crypto::keccak256(raw);
    std::printf("%s %s\n", to_hex0x(raw).c_str(), to_hex0x(hash).c_str());
  }
  return 0;
}
