#include "vm/apply.h"

#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "primitives/codec.h"
#include "vm/accounts.h"

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
  }
  return "unknown";
}

Status check_tx(const ChainParams& params, const std::string& chain_id, const VerifiedTx& vtx,
                const AccountState& sender, uint64_t expected_nonce) {
  const pb::TxBody& body = vtx.tx.body;
  if (body.chain_id() != chain_id)
    return make_error("wrong_chain", "transaction is for chain '" + body.chain_id() + "', this chain is '" +
                                         chain_id + "'");
  if (body.nonce() < expected_nonce)
    return make_error("nonce_too_low", "nonce " + std::to_string(body.nonce()) + " already used; next nonce is " +
                                           std::to_string(expected_nonce));
  if (body.nonce() > expected_nonce)
    return make_error("nonce_gap", "nonce " + std::to_string(body.nonce()) + " leaves a gap; next nonce is " +
                                       std::to_string(expected_nonce));
  if (body.gas_limit() < params.transfer_gas)
    return make_error("gas_limit_too_low", "gas limit " + std::to_string(body.gas_limit()) + " is below the " +
                                               std::to_string(params.transfer_gas) + " a transfer needs");
  if (body.gas_limit() > params.block_gas_limit)
    return make_error("gas_limit_too_high", "gas limit exceeds the block gas limit " +
                                                std::to_string(params.block_gas_limit));
  if (body.gas_price() < params.min_gas_price)
    return make_error("gas_price_too_low", "gas price " + std::to_string(body.gas_price()) + " is below the minimum " +
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

Result<BlockResult> apply_block(const StateReader& state, const Hash32& prev_state_root, const ChainParams& params,
                                const BlockContext& ctx, const std::vector<VerifiedTx>& txs) {
  if (txs.size() > params.max_block_txs)
    return make_error("too_many_txs", "block has " + std::to_string(txs.size()) + " transactions; the limit is " +
                                          std::to_string(params.max_block_txs));
  StateOverlay overlay(state);
  BlockResult result;
  result.receipts.reserve(txs.size());
  Amount fees = 0;
  for (size_t i = 0; i < txs.size(); ++i) {
    const VerifiedTx& vtx = txs[i];
    AccountState sender = load_account(overlay, vtx.sender);
    if (auto st = check_tx(params, ctx.chain_id, vtx, sender, sender.nonce); !st)
      return make_error("invalid_tx", "transaction " + std::to_string(i) + ": " + st.error().message);
    uint64_t gas_used = params.transfer_gas;
    if (result.gas_used + gas_used > params.block_gas_limit)
      return make_error("block_gas_exceeded", "block gas exceeds the limit at transaction " + std::to_string(i));
    result.gas_used += gas_used;
    Amount fee = static_cast<Amount>(gas_used) * vtx.tx.body.gas_price();  // ≤ max fee, checked above
    sender.balance -= fee;
    sender.nonce += 1;
    fees += fee;  // total fees ≤ total supply < 2^128

    pb::Receipt receipt;
    receipt.set_tx_hash(to_string(vtx.tx.hash));
    receipt.set_gas_used(gas_used);
    receipt.set_fee(to_string(encode_amount(fee)));
    TxFailReason fail = TxFailReason::kNone;
    std::string fail_message;
    switch (vtx.tx.body.payload_case()) {
      case pb::TxBody::kTransfer: {
        Address to = bytes_to_address(vtx.tx.body.transfer().to());
        Amount amount = transfer_amount(vtx.tx.body.transfer());
        if (amount > sender.balance) {
          fail = TxFailReason::kInsufficientFunds;
          fail_message = "balance after fee " + format_amount(sender.balance) + " is less than the amount " +
                         format_amount(amount);
          break;
        }
        if (to == vtx.sender) break;  // a self-transfer changes nothing but the fee and nonce
        AccountState recipient = load_account(overlay, to);
        auto credited = checked_add(recipient.balance, amount);
        if (!credited) {
          fail = TxFailReason::kBalanceOverflow;
          fail_message = "recipient balance would overflow";
          break;
        }
        sender.balance -= amount;
        recipient.balance = *credited;
        overlay.put(account_key(to), encode_account(recipient));
        break;
      }
      case pb::TxBody::PAYLOAD_NOT_SET:
        return make_error("invalid_tx", "transaction " + std::to_string(i) + " has no payload");
    }
    overlay.put(account_key(vtx.sender), encode_account(sender));
    if (fail != TxFailReason::kNone) {
      receipt.set_status(1);
      receipt.set_reason(static_cast<uint32_t>(fail));
      receipt.set_message(fail_message);
    }
    result.receipts.push_back(std::move(receipt));
  }
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

BlockResult genesis_state(const Genesis& genesis) {
  BlockResult result;
  pb::Params params;
  params.set_block_time_ms(genesis.params.block_time_ms);
  params.set_min_gas_price(genesis.params.min_gas_price);
  params.set_transfer_gas(genesis.params.transfer_gas);
  params.set_block_gas_limit(genesis.params.block_gas_limit);
  params.set_max_block_txs(genesis.params.max_block_txs);
  params.set_chain_id(genesis.chain_id);
  params.set_genesis_time_ms(genesis.genesis_time_ms);
  result.writes[Bytes{kParamsKey}] = encode_canonical(params);
  for (const auto& v : genesis.validators) {
    pb::ValidatorRecord rec;
    rec.set_power(v.power);
    rec.set_name(v.name);
    Bytes key{kValidatorPrefix};
    append(key, v.address);
    result.writes[key] = encode_canonical(rec);
  }
  for (const auto& acc : genesis.accounts) result.writes[account_key(acc.address)] = encode_account({acc.balance, 0});
  result.state_root = next_state_root(Hash32{}, result.writes);
  return result;
}

}  // namespace physis::vm
