#include "consensus/header_rules.h"

#include "crypto/secp256k1.h"
#include "primitives/block.h"

namespace physis::consensus {

std::string_view header_reject_name(HeaderReject reason) {
  switch (reason) {
    case HeaderReject::kOk: return "ok";
    case HeaderReject::kWrongHeight: return "wrong_height";
    case HeaderReject::kWrongPrevHash: return "wrong_prev_hash";
    case HeaderReject::kWrongChainId: return "wrong_chain_id";
    case HeaderReject::kTimeNotAfterParent: return "time_not_after_parent";
    case HeaderReject::kTimeTooFarAhead: return "time_too_far_ahead";
    case HeaderReject::kWrongProposer: return "wrong_proposer";
    case HeaderReject::kWrongValidatorsHash: return "wrong_validators_hash";
    case HeaderReject::kWrongNextValidatorsHash: return "wrong_next_validators_hash";
    case HeaderReject::kTooManyTxs: return "too_many_txs";
    case HeaderReject::kBlockTooLarge: return "block_too_large";
    case HeaderReject::kWrongLastCommitHash: return "wrong_last_commit_hash";
    case HeaderReject::kBadLastCommit: return "bad_last_commit";
    case HeaderReject::kWrongTxRoot: return "wrong_tx_root";
  }
  return "unknown";
}

namespace {

HeaderCheck reject(HeaderReject reason, std::string message) { return {reason, std::move(message)}; }

bool bytes_equal(const std::string& field, const Hash32& h) { return field == to_string(h); }

// The hash rule for a validator set: a missing set (caller bug) fails the rule instead of passing it.
HeaderCheck check_set_hash(const std::string& field, const ValidatorSet* set, HeaderReject reason,
                           std::string_view what) {
  if (set == nullptr)
    return reject(reason, std::string("no ") + std::string(what) + " was given to compare with");
  if (!bytes_equal(field, set->hash()))
    return reject(reason, "header " + std::string(what) + " hash does not match the validator set");
  return {};
}

}  // namespace

HeaderCheck check_header_rules(const pb::Block& block, const HeaderContext& ctx) {
  const pb::Header& h = block.header();

  // 1–3: identity of the block relative to its parent and chain.
  if (ctx.parent_height == UINT64_MAX || h.height() != ctx.parent_height + 1)
    return reject(HeaderReject::kWrongHeight, "block height " + std::to_string(h.height()) + ", expected " +
                                                  std::to_string(ctx.parent_height + 1));
  if (!bytes_equal(h.prev_hash(), ctx.parent_hash))
    return reject(HeaderReject::kWrongPrevHash,
                  "previous hash is not the hash of block " + std::to_string(ctx.parent_height));
  if (h.chain_id() != ctx.chain_id)
    return reject(HeaderReject::kWrongChainId,
                  "chain id \"" + h.chain_id() + "\", expected \"" + std::string(ctx.chain_id) + "\"");

  // 4–5: time. The drift test is written as a difference so that now + drift cannot overflow.
  if (h.time_ms() <= ctx.parent_time_ms)
    return reject(HeaderReject::kTimeNotAfterParent, "block time " + std::to_string(h.time_ms()) +
                                                         " ms is not after the parent's " +
                                                         std::to_string(ctx.parent_time_ms) + " ms");
  if (h.time_ms() > ctx.local_now_ms && h.time_ms() - ctx.local_now_ms > ctx.max_clock_drift_ms)
    return reject(HeaderReject::kTimeTooFarAhead,
                  "block time is " + std::to_string(h.time_ms() - ctx.local_now_ms) +
                      " ms ahead of the local clock; at most " + std::to_string(ctx.max_clock_drift_ms) +
                      " ms is allowed");

  // 6–8: who may propose, and which sets sign this block and the next.
  if (ctx.any_member_proposer) {
    if (h.proposer().size() != std::tuple_size_v<Address> || ctx.validators == nullptr ||
        ctx.validators->find(bytes_to_address(h.proposer())) == nullptr)
      return reject(HeaderReject::kWrongProposer, "proposer is not a validator of this height");
  } else if (h.proposer() != to_string(ctx.expected_proposer)) {
    return reject(HeaderReject::kWrongProposer,
                  "proposer is not the expected " + crypto::address_to_string(ctx.expected_proposer));
  }
  if (auto c = check_set_hash(h.validators_hash(), ctx.validators, HeaderReject::kWrongValidatorsHash,
                              "validators");
      !c.ok())
    return c;
  if (auto c = check_set_hash(h.next_validators_hash(), ctx.next_validators,
                              HeaderReject::kWrongNextValidatorsHash, "next validators");
      !c.ok())
    return c;

  // 9–10: limits, before any hashing or signature check so that their cost is bounded.
  if (static_cast<uint64_t>(block.txs_size()) > ctx.max_block_txs)
    return reject(HeaderReject::kTooManyTxs, "block has " + std::to_string(block.txs_size()) +
                                                 " transactions; at most " +
                                                 std::to_string(ctx.max_block_txs) + " are allowed");
  // For a canonical block (decode_block checked it) the encoded size is exactly ByteSizeLong().
  const uint64_t size = block.ByteSizeLong();
  if (size > ctx.max_block_bytes)
    return reject(HeaderReject::kBlockTooLarge, "block is " + std::to_string(size) + " bytes; at most " +
                                                    std::to_string(ctx.max_block_bytes) + " are allowed");

  // 11–12: the parent's commit carried in this block.
  const Hash32 expected_commit_hash = block.has_last_commit() ? commit_hash(block.last_commit()) : Hash32{};
  if (!bytes_equal(h.last_commit_hash(), expected_commit_hash))
    return reject(HeaderReject::kWrongLastCommitHash,
                  block.has_last_commit() ? "last commit hash is not the hash of the carried commit"
                                          : "last commit hash must be zero when no commit is carried");
  if (ctx.parent_height == 0) {
    if (block.has_last_commit())
      return reject(HeaderReject::kBadLastCommit, "block 1 must carry no commit (genesis has none)");
  } else {
    if (!block.has_last_commit())
      return reject(HeaderReject::kBadLastCommit,
                    "block carries no commit for its parent " + std::to_string(ctx.parent_height));
    if (ctx.parent_validators == nullptr)
      return reject(HeaderReject::kBadLastCommit, "no parent validator set was given to verify the commit");
    const bool verified_already =
        ctx.verified_parent_commit != nullptr && *ctx.verified_parent_commit == expected_commit_hash;
    if (!verified_already) {
      if (auto st = verify_commit(block.last_commit(), *ctx.parent_validators, std::string(ctx.chain_id),
                                  ctx.parent_height, ctx.parent_hash);
          !st)
        return reject(HeaderReject::kBadLastCommit, st.error().message);
    }
  }

  // 13: the transactions are the ones the header names.
  const Hash32 tx_root =
      ctx.computed_tx_root != nullptr ? *ctx.computed_tx_root : compute_tx_root(block.txs());
  if (!bytes_equal(h.tx_root(), tx_root))
    return reject(HeaderReject::kWrongTxRoot, "tx root does not match the block's transactions");
  return {};
}

}  // namespace physis::consensus
