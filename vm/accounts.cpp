#include "vm/accounts.h"

#include <algorithm>

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

Bytes encode_account(const AccountState& account) {
  pb::Account acc;
  acc.set_balance(to_string(encode_amount(account.balance)));
  acc.set_nonce(account.nonce);
  return encode_canonical(acc);
}

}  // namespace physis::vm
