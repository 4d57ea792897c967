#include "vm/apply.h"

#include <set>

#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "crypto/x509_chain.h"
#include "primitives/codec.h"
#include "vm/accounts.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/gas.h"

namespace physis::vm {

namespace {
constexpr std::string_view kStateDomain = "PHYSIS/STATE/v1";

std::optional<Amount> max_fee(const pb::TxBody& body) {
  return checked_mul(static_cast<Amount>(body.gas_limit()), static_cast<Amount>(body.gas_price()));
}
}  // namespace

std::string_view tx_fail_reason_name(TxFailReason reason) {
  switch (reason) {
    case TxFailReason::kNone: return "none";
    case TxFailReason::kInsufficientFunds: return "insufficient_funds";
    case TxFailReason::kBalanceOverflow: return "balance_overflow";
    case TxFailReason::kNotGovernance: return "not_governance";
    case TxFailReason::kBadAnchor: return "bad_anchor";
    case TxFailReason::kAnchorExists: return "anchor_exists";
    case TxFailReason::kUnknownAnchor: return "unknown_anchor";
    case TxFailReason::kAttestationFailed: return "attestation_failed";
    case TxFailReason::kUnknownDevice: return "unknown_device";
    case TxFailReason::kNotOwner: return "not_owner";
    case TxFailReason::kBadLocation: return "bad_location";
    case TxFailReason::kBadBatchSize: return "bad_batch_size";
    case TxFailReason::kBadKeyId: return "bad_key_id";
    case TxFailReason::kDeviceInactive: return "device_inactive";
    case TxFailReason::kTooManyOwners: return "too_many_owners";
    case TxFailReason::kLocationByDevice: return "location_by_device";
  }
  return "unknown";
}

Status check_tx(const ChainParams& params, const std::string& chain_id, const VerifiedTx& vtx,
                const AccountState& sender, uint64_t expected_nonce) {
  const pb::TxBody& body = vtx.tx.body;
  if (body.chain_id() != chain_id)
    return make_error("wrong_chain",
                      "transaction is for chain '" + body.chain_id() + "', this chain is '" + chain_id + "'");
  if (body.nonce() < expected_nonce)
    return make_error("nonce_too_low", "nonce " + std::to_string(body.nonce()) +
                                           " already used; next nonce is " + std::to_string(expected_nonce));
  if (body.nonce() > expected_nonce)
    return make_error("nonce_gap", "nonce " + std::to_string(body.nonce()) + " leaves a gap; next nonce is " +
                                       std::to_string(expected_nonce));
  const uint64_t needed = intrinsic_gas(params, body);
  if (body.gas_limit() < needed)
    return make_error("gas_limit_too_low", "gas limit " + std::to_string(body.gas_limit()) +
                                               " is below the " + std::to_string(needed) +
                                               " this transaction needs");
  if (body.gas_limit() > params.block_gas_limit)
    return make_error("gas_limit_too_high",
                      "gas limit exceeds the block gas limit " + std::to_string(params.block_gas_limit));
  if (body.gas_price() < params.min_gas_price)
    return make_error("gas_price_too_low", "gas price " + std::to_string(body.gas_price()) +
                                               " is below the minimum " +
                                               std::to_string(params.min_gas_price));
  auto fee = max_fee(body);
  if (!fee) return make_error("fee_overflow", "gas limit × gas price overflows");
  if (sender.balance < *fee)
    return make_error("insufficient_funds_for_gas", "balance " + format_amount(sender.balance) +
                                                        " cannot pay the maximum fee " + format_amount(*fee));
  return ok_status();
}

Hash32 next_state_root(const Hash32& prev_root, const WriteSet& writes) {
  std::vector<Hash32> leaves;
  leaves.reserve(writes.size());
  Bytes leaf;
  for (const auto& [k, v] : writes) {
    leaf.clear();
    append_u32_be(leaf, static_cast<uint32_t>(k.size()));
    append(leaf, k);
    append(leaf, v);
    leaves.push_back(crypto::merkle_leaf_hash(leaf));
  }
  Hash32 writes_root = crypto::merkle_root(std::move(leaves));
  return crypto::Keccak256().update(as_span(kStateDomain)).update(prev_root).update(writes_root).finish();
}

namespace {
uint64_t payload_gas(const ChainParams& params, const pb::TxBody& body) {
  switch (body.payload_case()) {
    case pb::TxBody::kTransfer: return params.transfer_gas;
    case pb::TxBody::kRegisterAnchor: return gas::kRegisterAnchor;
    case pb::TxBody::kRevokeAnchor: return gas::kRevoke;
    case pb::TxBody::kRevokeKey: return gas::kRevoke;
    case pb::TxBody::kRegisterDevice: return gas::kRegisterDevice;
    case pb::TxBody::kUpdateDevice: return gas::kUpdateDevice;
    case pb::TxBody::kSubmitProofs: {
      // A reveal pays for judging its beacon's pending witnesses (vm/gas.h kPerBeaconReveal).
      uint64_t reveals = 0;
      for (const auto& p : body.submit_proofs().proofs())
        if (p.payload().kind() == pb::BEACON_REVEAL) ++reveals;
      return gas::kSubmitProofsBase + gas::kPerProof * static_cast<uint64_t>(body.submit_proofs().proofs_size()) +
             gas::kPerBeaconReveal * reveals;
    }
    case pb::TxBody::kClaimRewards:
      return gas::kClaimBase + gas::kPerClaim * static_cast<uint64_t>(body.claim_rewards().device_ids_size());
    case pb::TxBody::PAYLOAD_NOT_SET: return params.transfer_gas;
  }
  return params.transfer_gas;
}
}  // namespace

uint64_t intrinsic_gas(const ChainParams& params, const pb::TxBody& body) {
  // Both terms are bounded far below 2^63 for a decoded body (counts ≤ kMaxBatchEntries, 128 KiB); the
  // sum saturates for any body a caller builds.
  const uint64_t base = payload_gas(params, body);
  const uint64_t bytes = gas::payload_byte_gas(payload_bytes(body));
  return bytes > UINT64_MAX - base ? UINT64_MAX : base + bytes;
}

namespace {
// Executes a transfer against the overlay; returns the failure (if any) for the receipt.
TxOutcome apply_transfer(StateOverlay& overlay, const VerifiedTx& vtx, AccountState& sender) {
  TxOutcome out;
  Address to = bytes_to_address(vtx.tx.body.transfer().to());
  const Amount amount = transfer_amount(vtx.tx.body.transfer());
  const auto remaining = checked_sub(sender.balance, amount);  // any amount up to 2^128-1, never wraps
  if (!remaining) {
    out.fail = TxFailReason::kInsufficientFunds;
    return out;
  }
  if (to == vtx.sender) return out;  // a self-transfer changes nothing but the fee and nonce
  AccountState recipient = load_account(overlay, to);
  auto credited = checked_add(recipient.balance, amount);
  if (!credited) {
    out.fail = TxFailReason::kBalanceOverflow;
    return out;
  }
  sender.balance = *remaining;
  recipient.balance = *credited;
  overlay.put(account_key(to), encode_account(recipient));
  return out;
}
}  // namespace

Result<BlockResult> apply_block(const StateReader& state, const Hash32& prev_state_root,
                                const ChainParams& params, const BlockContext& ctx,
                                const std::vector<VerifiedTx>& txs) {
  static const DepinParams kDefaults{};
  DirectSignatureVerifier direct;
  return apply_block(state, prev_state_root, params, kDefaults, ctx, txs, direct);
}

namespace {
// apply_block and assemble_txs share this loop: with `assembly` null a transaction that fails check_tx
// makes the block invalid (validation); otherwise it is left out and recorded there (assembly).
Result<BlockResult> run_block(const StateReader& state, const Hash32& prev_state_root,
                              const ChainParams& params, const DepinParams& depin, const BlockContext& ctx,
                              const std::vector<VerifiedTx>& txs, const SignatureVerifier& signatures,
                              ApplyFailure* failure, AssembledTxs* assembly) {
  if (failure) *failure = ApplyFailure{};
  auto tx_failed = [failure](size_t i) {
    if (failure) failure->tx_index = i;
  };
  auto state_fault = [failure](const Error& fault) {
    if (failure) failure->state_fault = true;
    return fault;
  };
  if (!assembly && txs.size() > params.max_block_txs)
    return make_error("too_many_txs", "block has " + std::to_string(txs.size()) +
                                          " transactions; the limit is " +
                                          std::to_string(params.max_block_txs));
  if (ctx.height == 0) return make_error("invalid_block", "height 0 is the genesis block");
  StateOverlay overlay(state);
  DepinExecutor executor(overlay, ctx.chain_id, depin, ctx.height, ctx.validators, signatures);
  executor.begin_block(ctx.parent_hash);
  BlockResult result;
  result.receipts.reserve(txs.size());
  Amount fees = 0;
  std::set<Address> left_out;  // assembly: senders with a candidate left out (their later nonces follow it)
  for (size_t i = 0; i < txs.size(); ++i) {
    const VerifiedTx& vtx = txs[i];
    const pb::TxBody& body = vtx.tx.body;
    if (assembly && left_out.count(vtx.sender)) continue;
    if (assembly && result.receipts.size() >= params.max_block_txs) {
      assembly->deferred = txs.size() - i;
      break;
    }
    AccountState sender = load_account(overlay, vtx.sender);
    if (const auto& fault = overlay.fault())
      return state_fault(*fault);  // a corrupt sender record is not "no funds"
    // Every check that can reject the transaction comes before its first write, so that assembly can
    // leave it out of the block without undoing anything.
    auto checked = check_tx(params, ctx.chain_id, vtx, sender, sender.nonce);
    if (checked && body.payload_case() == pb::TxBody::PAYLOAD_NOT_SET)
      checked = make_error("no_payload", "transaction has no payload");
    if (!checked) {
      if (assembly) {
        assembly->invalid.push_back({i, checked.error()});
        left_out.insert(vtx.sender);
        continue;
      }
      tx_failed(i);
      return make_error("invalid_tx", "transaction " + std::to_string(i) + ": " + checked.error().message);
    }
    const uint64_t gas_used = intrinsic_gas(params, body);
    if (gas_used > params.block_gas_limit - result.gas_used) {  // gas_used ≤ limit: no wrap
      if (assembly) {
        assembly->deferred = txs.size() - i;
        break;
      }
      return make_error("block_gas_exceeded",
                        "block gas exceeds the limit at transaction " + std::to_string(i));
    }
    // The fee is gas used × price ≤ gas limit × price, which check_tx showed to fit the balance; the
    // checked forms make that argument hold even if check_tx changes.
    const auto fee = checked_mul(static_cast<Amount>(gas_used), static_cast<Amount>(body.gas_price()));
    const auto after_fee = fee ? checked_sub(sender.balance, *fee) : std::nullopt;
    const auto new_fees = fee ? checked_add(fees, *fee) : std::nullopt;
    if (!after_fee || !new_fees) {
      tx_failed(i);
      return make_error("invalid_tx", "transaction " + std::to_string(i) + ": fee does not fit the balance");
    }
    result.gas_used += gas_used;
    if (assembly) assembly->included.push_back(i);
    sender.balance = *after_fee;
    sender.nonce += 1;
    fees = *new_fees;  // total fees ≤ total supply < 2^128
    // The sender's fee and nonce are written first: payloads below may read or credit the sender.
    overlay.put(account_key(vtx.sender), encode_account(sender));

    TxOutcome outcome;
    switch (body.payload_case()) {
      case pb::TxBody::kTransfer:
        outcome = apply_transfer(overlay, vtx, sender);
        overlay.put(account_key(vtx.sender), encode_account(sender));
        break;
      case pb::TxBody::kRegisterAnchor:
        outcome = executor.register_anchor(vtx.sender, body.register_anchor());
        break;
      case pb::TxBody::kRevokeAnchor:
        outcome = executor.revoke_anchor(vtx.sender, body.revoke_anchor());
        break;
      case pb::TxBody::kRevokeKey: outcome = executor.revoke_key(vtx.sender, body.revoke_key()); break;
      case pb::TxBody::kRegisterDevice:
        outcome = executor.register_device(vtx.sender, body.register_device());
        break;
      case pb::TxBody::kUpdateDevice:
        outcome = executor.update_device(vtx.sender, body.update_device());
        break;
      case pb::TxBody::kSubmitProofs: outcome = executor.submit_proofs(body.submit_proofs()); break;
      case pb::TxBody::kClaimRewards: outcome = executor.claim_rewards(body.claim_rewards()); break;
      case pb::TxBody::PAYLOAD_NOT_SET: break;  // rejected above, before any write
    }
    pb::Receipt receipt;
    receipt.set_tx_hash(to_string(vtx.tx.hash));
    receipt.set_gas_used(gas_used);
    receipt.set_fee(to_string(encode_amount(*fee)));
    if (outcome.fail != TxFailReason::kNone) {
      receipt.set_status(1);
      receipt.set_reason(static_cast<uint32_t>(outcome.fail));
      receipt.set_detail(outcome.detail);
    }
    for (auto& p : outcome.proofs) *receipt.add_proofs() = std::move(p);
    if (body.has_register_device() && outcome.fail == TxFailReason::kNone)
      receipt.set_device_id(to_string(outcome.device_id));
    result.receipts.push_back(std::move(receipt));
  }
  executor.end_block();
  // A corrupt record read or an overflowing credit anywhere in the block invalidates it (vm/state.h).
  if (const auto& fault = overlay.fault()) return state_fault(*fault);
  if (fees > 0) {
    AccountState proposer = load_account(overlay, ctx.proposer);
    auto credited = checked_add(proposer.balance, fees);
    if (!credited) return make_error("fee_overflow", "proposer balance would overflow");
    proposer.balance = *credited;
    overlay.put(account_key(ctx.proposer), encode_account(proposer));
  }
  result.writes = overlay.take_writes();
  result.state_root = next_state_root(prev_state_root, result.writes);
  return result;
}
}  // namespace

Result<BlockResult> apply_block(const StateReader& state, const Hash32& prev_state_root,
                                const ChainParams& params, const DepinParams& depin, const BlockContext& ctx,
                                const std::vector<VerifiedTx>& txs, const SignatureVerifier& signatures,
                                ApplyFailure* failure) {
  return run_block(state, prev_state_root, params, depin, ctx, txs, signatures, failure, nullptr);
}

Result<AssembledTxs> assemble_txs(const StateReader& state, const Hash32& prev_state_root,
                                  const ChainParams& params, const DepinParams& depin,
                                  const BlockContext& ctx, const std::vector<VerifiedTx>& candidates,
                                  const SignatureVerifier& signatures, ApplyFailure* failure) {
  AssembledTxs out;
  auto block = run_block(state, prev_state_root, params, depin, ctx, candidates, signatures, failure, &out);
  if (!block) return block.error();
  out.block = std::move(*block);
  return out;
}

BlockResult genesis_state(const Genesis& genesis) {
  BlockResult result;
  // Every genesis rule, so that changing any of them changes the root (doc/protocol.md "State layout").
  result.writes[Bytes{kParamsKey}] = encode_canonical(params_record(genesis));
  for (const auto& v : genesis.validators) {
    pb::ValidatorRecord rec;
    rec.set_power(v.power);
    rec.set_name(v.name);
    Bytes key{kValidatorPrefix};
    append(key, v.address);
    result.writes[key] = encode_canonical(rec);
  }
  Amount total = 0;
  for (const auto& acc : genesis.accounts) {
    result.writes[account_key(acc.address)] = encode_account({acc.balance, 0});
    total += acc.balance;  // parse_genesis checked that the sum does not overflow
  }
  pb::SupplyRecord supply;
  supply.set_genesis(to_string(encode_amount(total)));
  result.writes[Bytes{kSupplyKey}] = encode_canonical(supply);
  for (const auto& ga : genesis.depin.anchors)
    result.writes[anchor_key(crypto::spki_id(ga.spki))] = encode_canonical(anchor_record(ga));
  result.state_root = next_state_root(Hash32{}, result.writes);
  return result;
}

}  // namespace physis::vm
