#include <algorithm>
#include <cstdio>
#include <set>

#include "bench_support.h"
#include "crypto/secp256k1.h"
#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "vm/apply.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/reason_text.h"
#include "vm/tx_fail_reason.h"

namespace physis::bench {

namespace {
// The id of synthetic device i (bench_epoch_close).
Address synthetic_device_id(uint64_t i) {
  Address id{};
  for (int b = 0; b < 8; ++b) id[12 + b] = static_cast<uint8_t>(i >> (8 * (7 - b)));
  return id;
}

// Part 5: settles `sample` of the devices bench_epoch_close left with unsettled epoch-0 weight, in
// ClaimRewards transactions of max_proofs_per_tx ids, through apply_block (execution) and the in-memory
// commit. Transactions are built and signed before the clock starts.
void bench_settlement(vm::MemoryState& state, const Genesis& g, const crypto::PrivateKey& claimant,
                      Hash32 root, uint64_t sample) {
  if (sample == 0) return;
  const Address from = crypto::address_of(*crypto::public_key_of(claimant));
  const uint64_t per_tx = g.depin.max_proofs_per_tx;
  std::vector<VerifiedTx> txs;
  uint64_t nonce = vm::load_account(state, from).nonce;
  for (uint64_t first = 0; first < sample; first += per_tx) {
    pb::TxBody body;
    for (uint64_t i = first; i < std::min(sample, first + per_tx); ++i)
      body.mutable_claim_rewards()->add_device_ids(to_string(synthetic_device_id(i)));
    body.set_chain_id(g.chain_id);
    body.set_nonce(nonce++);
    body.set_gas_price(1);
    body.set_gas_limit(vm::intrinsic_gas(g.params, body));
    auto vtx = decode_and_verify_tx(sign_tx(body, claimant));
    if (!vtx) {
      std::fprintf(stderr, "claim tx: %s\n", vtx.error().message.c_str());
      return;
    }
    txs.push_back(std::move(vtx).value());
  }
  // Blocks as a producer would cut them: up to the block gas limit.
  std::vector<std::vector<VerifiedTx>> blocks(1);
  uint64_t gas = 0;
  for (auto& tx : txs) {
    const uint64_t tx_gas = vm::intrinsic_gas(g.params, tx.tx.body);
    if (gas + tx_gas > g.params.block_gas_limit) {
      blocks.emplace_back();
      gas = 0;
    }
    gas += tx_gas;
    blocks.back().push_back(std::move(tx));
  }
  vm::DirectSignatureVerifier direct;
  uint64_t height = g.depin.epoch_blocks;  // the close was at the first block of epoch 1
  double exec_s = 0, commit_s = 0;
  std::set<Address> rewarded;  // devices with a RewardRecord (handed out for the explorer index)
  for (const auto& block : blocks) {
    vm::BlockContext ctx{g.chain_id, ++height, from, Hash32{}, {{from, 1}}};
    auto t0 = Clock::now();
    auto r = vm::apply_block(state, root, g.params, g.depin, ctx, block, direct);
    exec_s += since(t0);
    if (!r) {
      std::fprintf(stderr, "settlement block failed: %s\n", r.error().message.c_str());
      return;
    }
    for (const auto& rc : r->receipts)
      if (rc.status() != 0) std::fprintf(stderr, "claim failed: %s\n", vm::receipt_message(rc).c_str());
    t0 = Clock::now();
    state.apply(r->writes);
    commit_s += since(t0);
    root = r->state_root;
    for (const auto& rr : r->explorer.rewards)
      if (!rr.amount().empty()) rewarded.insert(bytes_to_address(rr.device_id()));
  }
  // Every sampled device was paid once: weight cleared, one RewardRecord.
  for (uint64_t i : {uint64_t{0}, sample - 1}) {
    auto dev = vm::load_record<pb::Device>(state, vm::device_key(synthetic_device_id(i)));
    if (!dev || dev->accrued_weight() != 0 || !rewarded.count(synthetic_device_id(i))) {
      std::fprintf(stderr, "device %llu was not settled\n", static_cast<unsigned long long>(i));
      return;
    }
  }
  const double total_s = exec_s + commit_s;
  const double rate = sample / total_s;
  const uint64_t all = vm::load_record<pb::EpochRecord>(state, vm::epoch_key(0))->devices();
  std::printf(
      "deferred settlement (ClaimRewards, %llu ids per tx, %zu blocks): %llu devices in %.3f s "
      "(apply %.3f s, in-memory commit %.3f s) = %.0f settlements/s; settling all %llu devices: %.1f s\n",
      static_cast<unsigned long long>(per_tx), blocks.size(), static_cast<unsigned long long>(sample),
      total_s, exec_s, commit_s, rate, static_cast<unsigned long long>(all), all / rate);
}

}  // namespace

void bench_epoch_close(uint64_t devices, uint64_t settle_devices) {
  Genesis g;
  g.chain_id = "physis-bench";
  g.genesis_time_ms = 1;
  g.depin.epoch_blocks = 100;
  g.depin.emission_per_epoch = static_cast<Amount>(1000000000000000000ULL) * 1000;
  crypto::PrivateKey v = crypto::generate_private_key();
  Address validator = crypto::address_of(*crypto::public_key_of(v));
  g.accounts.push_back({"claimant", validator, static_cast<Amount>(1) << 100});  // pays the claims' gas
  vm::MemoryState state;
  state.apply(vm::genesis_state(g).writes);
  // 1M devices that each earned weight in epoch 0, and the epoch's running total (what proofs leave).
  vm::WriteSet seed;
  pb::Device d;
  d.set_owner(to_string(validator));
  d.set_kind(pb::SE_P256);
  d.set_key_type(pb::KEY_P256);
  d.set_device_key(std::string(65, '\x04'));
  d.set_accrued_epoch(0);
  uint64_t total = 0;
  for (uint64_t i = 0; i < devices; ++i) {
    const Address id = synthetic_device_id(i);
    d.set_accrued_weight(1 + i % 50);
    total += d.accrued_weight();
    seed[vm::device_key(id)] = encode_canonical(d);
  }
  pb::EpochRecord rec;
  rec.set_total_weight(total);
  rec.set_devices(devices);
  seed[vm::epoch_key(0)] = encode_canonical(rec);
  state.apply(seed);
  seed.clear();

  vm::BlockContext ctx{g.chain_id, g.depin.epoch_blocks, validator, Hash32{}, {{validator, 1}}};
  vm::DirectSignatureVerifier direct;
  auto t0 = Clock::now();
  auto r = vm::apply_block(state, Hash32{}, g.params, g.depin, ctx, {}, direct);
  double close_s = since(t0);
  if (!r) {
    std::fprintf(stderr, "close failed: %s\n", r.error().message.c_str());
    return;
  }
  std::printf(
      "epoch close, %llu devices with accrued weight: %.3f ms = %.4f x the 1 s bound (target < 1: %s); %zu "
      "state writes\n",
      static_cast<unsigned long long>(devices), close_s * 1000, close_s, close_s < 1.0 ? "MET" : "NOT MET",
      r->writes.size());
  state.apply(r->writes);
  bench_settlement(state, g, v, r->state_root, std::min(settle_devices, devices));
}

}  // namespace physis::bench
