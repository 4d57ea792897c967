#include "consensus/validator_set.h"

#include <algorithm>
#include <set>

#include "consensus/proposer.h"
#include "crypto/keccak.h"
#include "primitives/block.h"
#include "primitives/transaction.h"
#include "util/amount.h"

namespace physis::consensus {

ValidatorSet::ValidatorSet(std::vector<Validator> validators) : validators_(std::move(validators)) {
  std::sort(validators_.begin(), validators_.end(), [](auto& a, auto& b) { return a.address < b.address; });
  for (const auto& v : validators_) total_power_ += v.power;
}

ValidatorSet ValidatorSet::from_genesis(const Genesis& genesis) {
  std::vector<Validator> vs;
  for (const auto& v : genesis.validators) vs.push_back({v.address, v.power});
  return ValidatorSet(std::move(vs));
}

const Validator* ValidatorSet::find(const Address& address) const {
  auto it = std::lower_bound(validators_.begin(), validators_.end(), address,
                             [](const Validator& v, const Address& a) { return v.address < a; });
  if (it == validators_.end() || it->address != address) return nullptr;
  return &*it;
}

Hash32 ValidatorSet::hash() const {
  crypto::Keccak256 h;
  h.update(as_span("PHYSIS/VALSET/v1"));
  for (const auto& v : validators_) {
    Bytes entry(v.address.begin(), v.address.end());
    append_u64_be(entry, v.power);
    h.update(entry);
  }
  return h.finish();
}

const Validator& ValidatorSet::proposer(uint64_t height, uint32_t round) const {
  // One rule for the proposer: the priority schedule (proposer.h). An invalid set (empty, zero power)
  // is refused by genesis loading, so the fallback is never consensus.
  static const Validator kNone{};
  auto prio = ProposerPriorities::start(*this);
  if (!prio) return validators_.empty() ? kNone : validators_.front();
  prio->advance(height + round);
  return *find(prio->proposer().address);
}

Hash32 vote_digest(const std::string& chain_id, VoteType type, uint64_t height, uint32_t round,
                   const Hash32& block_hash) {
  Bytes msg;
  append(msg, std::string_view("PHYSIS/VOTE/v1"));
  append_u32_be(msg, static_cast<uint32_t>(chain_id.size()));
  append(msg, chain_id);
  msg.push_back(static_cast<uint8_t>(type));
  append_u64_be(msg, height);
  append_u32_be(msg, round);
  append(msg, block_hash);
  return crypto::keccak256(msg);
}

pb::Commit make_commit(const std::string& chain_id, uint64_t height, uint32_t round, const Hash32& block_hash,
                       const std::vector<crypto::PrivateKey>& keys) {
  pb::Commit commit;
  commit.set_height(height);
  commit.set_round(round);
  commit.set_block_hash(to_string(block_hash));
  Hash32 digest = vote_digest(chain_id, VoteType::kPrecommit, height, round, block_hash);
  std::vector<std::pair<Address, crypto::Signature>> sigs;
  for (const auto& key : keys)
    sigs.emplace_back(crypto::address_of(*crypto::public_key_of(key)), crypto::sign_digest(key, digest));
  std::sort(sigs.begin(), sigs.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (const auto& [addr, sig] : sigs) {
    auto* s = commit.add_signatures();
    s->set_validator(to_string(addr));
    s->set_signature(to_string(sig));
  }
  return commit;
}

Status verify_commit(const pb::Commit& commit, const ValidatorSet& set, const std::string& chain_id,
                     uint64_t height, const Hash32& block_hash) {
  auto fail = [](const std::string& why) { return make_error("bad_commit", why); };
  if (commit.height() != height)
    return fail("commit is for height " + std::to_string(commit.height()) + ", expected " +
                std::to_string(height));
  if (commit.block_hash() != to_string(block_hash)) return fail("commit is for another block hash");
  Hash32 digest = vote_digest(chain_id, VoteType::kPrecommit, height, commit.round(), block_hash);
  std::set<Address> seen;
  uint64_t power = 0;
  for (const auto& s : commit.signatures()) {
    if (s.validator().size() != 20) return fail("commit signature names a malformed validator address");
    Address addr = bytes_to_address(s.validator());
    const Validator* v = set.find(addr);
    if (!v) return fail("commit signed by a non-validator " + crypto::address_to_string(addr));
    if (!seen.insert(addr).second) return fail("validator signed the commit twice");
    auto signer = crypto::recover_address(digest, as_span(s.signature()));
    if (!signer || *signer != addr)
      return fail("bad precommit signature from " + crypto::address_to_string(addr));
    power += v->power;
  }
  // > 2/3 of total power, without overflow or division: 3·power > 2·total.
  if (static_cast<Amount>(power) * 3 <= static_cast<Amount>(set.total_power()) * 2)
    return fail("commit has " + std::to_string(power) + " of " + std::to_string(set.total_power()) +
                " voting power; more than 2/3 is needed");
  return ok_status();
}

}  // namespace physis::consensus
