// Account records in state: key 'a' ‖ address → pb::Account (balance, nonce).
#pragma once

#include "util/amount.h"
#include "vm/state.h"

namespace physis::vm {

struct AccountState {
  Amount balance = 0;
  uint64_t nonce = 0;
};

inline constexpr uint8_t kAccountPrefix = 'a';

Bytes account_key(const Address& address);
// A missing account reads as zero balance, nonce 0.
AccountState load_account(const StateReader& state, const Address& address);
Bytes encode_account(const AccountState& account);

}  // namespace physis::vm
