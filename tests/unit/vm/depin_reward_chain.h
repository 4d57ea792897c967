// Shared reward test chain for the DePIN settlement tests: a genesis with emission, validators and a
// device weight cap; RewardChain, which mirrors the whole state in an ordered map (to sum every account
// and every epoch record) and records each block's transactions; the independent expected split; the
// supply invariant check; and the settlement fixture (three devices that earned weight in epoch 0).
// Test-only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "depin_test_chain.h"
#include "util/amount.h"

namespace physis::vm::depin_test {

const Address kV1 = fixed_address(0xa1);  // validator, power 1
const Address kV2 = fixed_address(0xa2);  // validator, power 2
using Validators = std::vector<std::pair<Address, uint64_t>>;

inline Amount amount_of(const std::string& b) { return decode_amount(as_span(b)).value_or(0); }
inline std::string fmt(Amount a) { return format_amount(a); }
#define EXPECT_AMOUNT(a, b)                                                              \
  do {                                                                                   \
    const Amount lhs_ = (a), rhs_ = (b);                                                 \
    EXPECT_TRUE(lhs_ == rhs_) << #a << " = " << fmt(lhs_) << ", expected " << fmt(rhs_); \
  } while (0)

struct RewardParams {
  Amount emission = 1'000'003;
  uint64_t halving = 3;
  Amount cap_above_genesis = 0;  // 0: no cap
  uint64_t epoch_blocks = 5;
};

inline Genesis rewards_genesis(const RewardParams& rp, const Validators& validators) {
  Genesis g;
  g.chain_id = kChain;
  g.params.max_block_txs = 100;
  for (const auto& [addr, power] : validators) g.validators.push_back({"v", addr, power});
  std::sort(g.validators.begin(), g.validators.end(), [](auto& a, auto& b) { return a.address < b.address; });
  Amount total = 0;
  for (const auto& k : {kGovernance, kAlice, kBob, kRelayer}) {
    g.accounts.push_back({"acct", address_of_key(k), kFunds});
    total += kFunds;
  }
  std::sort(g.accounts.begin(), g.accounts.end(), [](auto& a, auto& b) { return a.address < b.address; });
  g.depin.governance = address_of_key(kGovernance);
  g.depin.treasury = kTreasury;
  g.depin.epoch_blocks = rp.epoch_blocks;
  g.depin.emission_per_epoch = rp.emission;
  g.depin.halving_interval_epochs = rp.halving;
  g.depin.supply_cap = rp.cap_above_genesis == 0 ? 0 : total + rp.cap_above_genesis;
  g.depin.device_share_bps = 7000;
  g.depin.validator_share_bps = 2000;
  g.depin.weight_uptime = 10;
  g.depin.weight_witness = 20;
  g.depin.weight_data_per_mib = 5;
  g.depin.device_epoch_cap = 1000;
  g.depin.ref_window = 16;
  g.depin.uptime_interval_blocks = 1;  // an uptime proof in every block earns (settlement tests)
  g.depin.max_proofs_per_tx = 50;
  g.depin.anchors.push_back(genesis_anchor(maker_a(), pb::MANUFACTURER_ROOT, pb::SE_P256, "maker A"));
  return g;
}

// An in-memory chain that also mirrors the whole state in an ordered map (to sum every account and every
// epoch record) and records each block's transactions (to replay them on a fresh state).
class RewardChain final : public StateReader {
 public:
  RewardChain(Genesis g, Validators validators) : genesis_(std::move(g)), validators_(std::move(validators)) {
    BlockResult gs = genesis_state(genesis_);
    apply_writes(gs.writes);
    root_ = gs.state_root;
  }
  std::optional<Bytes> get(const Bytes& key) const override { return state_.get(key); }

  BlockResult block(const std::vector<VerifiedTx>& txs = {}) {
    BlockContext ctx{kChain, height_ + 1, address_of_key(kProposer), test_block_hash(height_), validators_};
    auto r = apply_block(state_, root_, genesis_.params, genesis_.depin, ctx, txs, verifier_);
    EXPECT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
    if (!r.ok()) return {};
    apply_writes(r->writes);
    for (const auto& rr : r->explorer.rewards) {
      // One RewardRecord per device per epoch, ever (doc/depin.md "Rewards").
      const auto at = std::make_pair(bytes_to_address(rr.device_id()), rr.epoch());
      EXPECT_FALSE(rewards_.count(at)) << "a second RewardRecord for epoch " << rr.epoch();
      rewards_[at] = rr;
    }
    root_ = r->state_root;
    ++height_;
    pending_nonce_.clear();
    history_.push_back(txs);
    roots_.push_back(root_);
    return std::move(r).value();
  }
  void advance_to(uint64_t h) {
    while (height_ < h) block();
  }

  VerifiedTx tx(const crypto::PrivateKey& key, pb::TxBody body) {
    const Address from = address_of_key(key);
    return signed_test_tx(genesis_.params, load_account(state_, from).nonce + pending_nonce_[from]++, key,
                          std::move(body));
  }
  VerifiedTx register_tx(const crypto::PrivateKey& owner, const Dev& dev) {
    pb::AttestationEvidence ev;
    ev.set_kind(pb::SE_P256);
    ev.set_device_class(1);
    ev.set_key_type(pb::KEY_P256);
    ev.set_device_key(str(dev.pub));
    ev.set_anchor_id(str(maker_a().id));
    ev.add_cert_chain(str(dev.cert));
    ev.set_ref_height(height_);
    ev.set_ref_block_hash(str(test_block_hash(height_)));
    ev.set_pop_signature(
        p256_sign_str(dev.key, crypto::sha256(registration_message(kChain, ev, address_of_key(owner)))));
    pb::TxBody body;
    *body.mutable_register_device()->mutable_evidence() = ev;
    return tx(owner, body);
  }
  // One proof by `dev` with its next seq (counting `extra` proofs already made for the coming block).
  pb::Proof proof(const Dev& dev, const pb::ProofPayload& payload, uint64_t extra = 0) const {
    pb::Proof p;
    p.set_device_id(str(dev.id));
    p.set_seq(device(dev.id)->seq() + 1 + extra);
    p.set_epoch(height_ / genesis_.depin.epoch_blocks);
    p.set_ref_height(height_);
    p.set_ref_block_hash(str(test_block_hash(height_)));
    *p.mutable_payload() = payload;
    // Data is paid for: the governance key (no device's owner here) consumes it.
    if (payload.kind() == pb::DATA_CONTRIBUTION && !payload.has_usage())
      attach_usage(*p.mutable_payload(), dev.id, kGovernance, ++usage_seq_, height_);
    p.set_signature(p256_sign_str(dev.key, proof_digest(kChain, p)));
    return p;
  }
  VerifiedTx proofs_tx(const std::vector<pb::Proof>& proofs) {
    pb::TxBody body;
    for (const auto& p : proofs) *body.mutable_submit_proofs()->add_proofs() = p;
    return tx(kRelayer, body);
  }
  VerifiedTx claim_tx(const crypto::PrivateKey& sender, const std::vector<Address>& ids) {
    pb::TxBody body;
    for (const auto& id : ids) body.mutable_claim_rewards()->add_device_ids(str(id));
    return tx(sender, body);
  }
  VerifiedTx update_tx(const crypto::PrivateKey& sender, const Address& id, std::optional<Address> new_owner,
                       bool deactivate) {
    pb::TxBody body;
    body.mutable_update_device()->set_device_id(str(id));
    if (new_owner) body.mutable_update_device()->set_new_owner(str(*new_owner));
    if (deactivate) body.mutable_update_device()->set_deactivate(true);
    return tx(sender, body);
  }

  std::optional<pb::Device> device(const Address& id) const {
    return load_record<pb::Device>(state_, device_key(id));
  }
  pb::EpochRecord epoch(uint64_t e) const {
    return load_record<pb::EpochRecord>(state_, epoch_key(e)).value_or(pb::EpochRecord());
  }
  // The device's RewardRecord for epoch e, from the records apply_block handed out for explorers
  // (they are not state).
  std::optional<pb::RewardRecord> reward(const Address& id, uint64_t e) const {
    auto it = rewards_.find({id, e});
    if (it == rewards_.end()) return std::nullopt;
    return it->second;
  }
  pb::SupplyRecord supply() const {
    return load_record<pb::SupplyRecord>(state_, Bytes{kSupplyKey}).value_or(pb::SupplyRecord());
  }
  Amount balance(const Address& a) const { return load_account(state_, a).balance; }
  uint64_t height() const { return height_; }
  uint64_t current_epoch() const { return height_ / genesis_.depin.epoch_blocks; }
  const Genesis& genesis() const { return genesis_; }
  const Validators& validators() const { return validators_; }
  const std::map<Bytes, Bytes>& all() const { return all_; }
  const std::vector<std::vector<VerifiedTx>>& history() const { return history_; }
  const std::vector<Hash32>& roots() const { return roots_; }

  // Σ balances of every account in state.
  Amount sum_balances() const {
    Amount s = 0;
    for (const auto& [k, v] : all_) {
      if (k.size() != 21 || k[0] != kAccountPrefix) continue;
      Address a{};
      std::copy(k.begin() + 1, k.end(), a.begin());
      s += load_account(state_, a).balance;
    }
    return s;
  }
  // Σ over closed epochs of the device pool not yet paid out.
  Amount unsettled_device_rewards() const {
    Amount s = 0;
    for (const auto& [k, v] : all_) {
      if (k.size() != 9 || k[0] != kEpochPrefix) continue;
      pb::EpochRecord rec;
      EXPECT_TRUE(rec.ParseFromArray(v.data(), static_cast<int>(v.size())));
      if (!rec.closed()) continue;
      const Amount pool = amount_of(rec.device_pool()), settled = amount_of(rec.settled_amount());
      EXPECT_TRUE(settled <= pool) << "epoch " << read_u64_be(ByteSpan(k).subspan(1));
      s += pool - settled;
    }
    return s;
  }

 private:
  void apply_writes(const WriteSet& w) {
    state_.apply(w);
    for (const auto& [k, v] : w) {
      if (v.empty())
        all_.erase(k);
      else
        all_[k] = v;
    }
  }

  Genesis genesis_;
  Validators validators_;
  MemoryState state_;
  std::map<Bytes, Bytes> all_;
  std::map<std::pair<Address, uint64_t>, pb::RewardRecord> rewards_;  // explorer records, not state
  Hash32 root_{};
  uint64_t height_ = 0;
  std::map<Address, uint64_t> pending_nonce_;
  std::vector<std::vector<VerifiedTx>> history_;
  std::vector<Hash32> roots_;
  DirectSignatureVerifier verifier_;
  mutable uint64_t usage_seq_ = 0;  // the consumer's receipt seq (gaps are allowed)
};

inline pb::ProofPayload uptime() {
  pb::ProofPayload p;
  p.set_kind(pb::UPTIME);
  p.set_uptime_seconds(60);
  return p;
}
inline pb::ProofPayload data_mib(uint64_t mib) {
  pb::ProofPayload p;
  p.set_kind(pb::DATA_CONTRIBUTION);
  p.set_data_bytes(mib << 20);
  return p;
}

// The split of one epoch's emission, computed independently of vm/rewards.cpp.
struct Split {
  Amount emission = 0, device_pool = 0, validator_pool = 0, treasury = 0;
  std::vector<Amount> validator_shares;
};
inline Split expected_split(Amount emission, bool any_weight, const Validators& vals) {
  Split s;
  s.emission = emission;
  s.device_pool = emission * 7000 / 10000;
  s.validator_pool = emission * 2000 / 10000;
  s.treasury = emission - s.device_pool - s.validator_pool;
  uint64_t total = 0;
  for (const auto& v : vals) total += v.second;
  Amount paid = 0;
  for (const auto& v : vals) {
    Amount share = s.validator_pool * v.second / total;
    s.validator_shares.push_back(share);
    paid += share;
  }
  s.treasury += s.validator_pool - paid;
  if (!any_weight) {
    s.treasury += s.device_pool;
    s.device_pool = 0;
  }
  return s;
}

inline void expect_supply_invariant(const RewardChain& c) {
  const pb::SupplyRecord sup = c.supply();
  const Amount genesis = amount_of(sup.genesis()), minted = amount_of(sup.minted()),
               burned = amount_of(sup.burned());
  EXPECT_AMOUNT(genesis, kFunds * 4);
  // doc/depin.md "Usage": what consumers paid is burned.
  const Amount lhs = c.sum_balances() + c.unsettled_device_rewards();
  EXPECT_TRUE(lhs == genesis + minted - burned)
      << "at height " << c.height() << ": balances + unsettled = " << fmt(lhs)
      << ", genesis + minted - burned = " << fmt(genesis + minted - burned);
  if (c.genesis().depin.supply_cap > 0) {
    EXPECT_TRUE(genesis + minted <= c.genesis().depin.supply_cap);
  }
}

class DepinRewards : public ::testing::Test {
 protected:
  DepinRewards() : chain_(rewards_genesis(RewardParams{}, {{kV1, 1}, {kV2, 2}}), {{kV1, 1}, {kV2, 2}}) {}
  RewardChain chain_;
};

class DepinRewardsSettlement : public DepinRewards {
 protected:
  DepinRewardsSettlement() {
    a_ = make_device(maker_a(), 0x71);
    b_ = make_device(maker_a(), 0x72);
    c_ = make_device(maker_a(), 0x73);
    chain_.block();  // 1
    chain_.block(
        {chain_.register_tx(kAlice, a_), chain_.register_tx(kBob, b_), chain_.register_tx(kAlice, c_)});  // 2
    // Height 3 (epoch 0): a earns 10 + 15, b 10, c 5.
    BlockResult r =
        chain_.block({chain_.proofs_tx({chain_.proof(a_, uptime()), chain_.proof(a_, data_mib(3), 1),
                                        chain_.proof(b_, uptime()), chain_.proof(c_, data_mib(1))})});
    for (const auto& p : r.receipts.at(0).proofs()) EXPECT_EQ(p.reason(), 0u);
    alice0_ = chain_.balance(address_of_key(kAlice));
    bob0_ = chain_.balance(address_of_key(kBob));
  }

  // ⌊weight × pool / total⌋ for epoch 0 (pool 700002, total 40).
  static Amount share0(uint64_t w) { return static_cast<Amount>(w) * 700'002 / 40; }

  Dev a_, b_, c_;
  Amount alice0_ = 0, bob0_ = 0;
};

}  // namespace physis::vm::depin_test
