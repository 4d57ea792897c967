// Account records in state: key 'a' ‖ address → pb::Account (balance, nonce).
#pragma once

#include "util/amount.h"
#include "util/result.h"
#include "vm/state.h"

namespace physis::vm {

struct AccountState {
  Amount balance = 0;
  uint64_t nonce = 0;
};

inline constexpr uint8_t kAccountPrefix = 'a';

Bytes account_key(const Address& address);
// A missing account reads as zero balance, nonce 0. A stored record that does not decode canonically
// (or whose balance is not a canonical amount) is reported to `state.report_corrupt` (a StateOverlay
// then fails the block) and also reads as zero.
AccountState load_account(const StateReader& state, const Address& address);
// The same record read strictly, for callers that are not executing a block (admission, queries) and
// must never take a damaged record for an empty account: a missing account is the zero account; a
// stored record that does not decode canonically, or whose balance is not a canonical amount, is error
// "corrupt_state" whose message names the account and what failed to decode.
Result<AccountState> read_account(const StateReader& state, const Address& address);
Bytes encode_account(const AccountState& account);

}  // namespace physis::vm
