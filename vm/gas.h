// Gas costs of native payloads (STYLE: gas in constexpr tables). Gas is known from the payload before
// execution, so a transaction's gas used is its intrinsic gas.
#pragma once

#include <cstdint>

namespace physis::vm::gas {

inline constexpr uint64_t kRegisterAnchor = 50'000;
inline constexpr uint64_t kRevoke = 30'000;
inline constexpr uint64_t kRegisterDevice = 150'000;  // chain of up to 3 signatures + proof of possession
inline constexpr uint64_t kUpdateDevice = 30'000;
inline constexpr uint64_t kSubmitProofsBase = 21'000;
inline constexpr uint64_t kPerProof = 6'000;  // one P-256 verification plus a device read and write
inline constexpr uint64_t kClaimBase = 21'000;
inline constexpr uint64_t kPerClaim = 5'000;

}  // namespace physis::vm::gas
