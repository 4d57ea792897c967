#include "vm/accounts.h"

#include <algorithm>

#include "crypto/secp256k1.h"
#include "primitives/codec.h"
#include "primitives/physis.pb.h"

namespace physis::vm {

Bytes account_key(const Address& address) {
  Bytes key(1 + address.size());
  key[0] = kAccountPrefix;
  std::copy(address.begin(), address.end(), key.begin() + 1);
  return key;
}

AccountState load_account(const StateReader& state, const Address& address) {
  const Bytes key = account_key(address);
  auto raw = state.get(key);
  if (!raw || raw->empty()) return {};
  pb::Account acc;
  // State is written only by this module in canonical form; a decode failure means a corrupt database.
  if (!decode_canonical(*raw, acc, "account")) {
    state.report_corrupt(key, "account");
    return {};
  }
  auto balance = decode_amount(as_span(acc.balance()));
  if (!balance) {
    state.report_corrupt(key, "account balance");
    return {};
  }
  return AccountState{*balance, acc.nonce()};
}

Result<AccountState> read_account(const StateReader& state, const Address& address) {
  auto raw = state.get(account_key(address));
  if (!raw || raw->empty()) return AccountState{};
  const std::string what = "account " + crypto::address_to_string(address);
  pb::Account acc;
  if (auto st = decode_canonical(*raw, acc, "account"); !st)
    return make_error("corrupt_state", what + ": " + st.error().message);
  auto balance = decode_amount(as_span(acc.balance()));
  if (!balance) return make_error("corrupt_state", what + ": balance is not a canonical amount");
  return AccountState{*balance, acc.nonce()};
}

Bytes encode_account(const AccountState& account) {
  pb::Account acc;
  acc.set_balance(to_string(encode_amount(account.balance)));
  acc.set_nonce(account.nonce);
  return encode_canonical(acc);
}

}  // namespace physis::vm
