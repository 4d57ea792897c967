#include "vm/reason_text.h"

#include "vm/depin.h"

namespace physis::vm {

std::string tx_fail_message(TxFailReason reason) {
  switch (reason) {
    case TxFailReason::kNone: return "";
    case TxFailReason::kInsufficientFunds: return "the balance after the fee does not cover the amount";
    case TxFailReason::kBalanceOverflow: return "the recipient's balance would overflow";
    case TxFailReason::kNotGovernance:
      return "only the governance authority registers and revokes anchors and revokes keys";
    case TxFailReason::kBadAnchor:
      return "the anchor is invalid (a strict P-256 SPKI, a known role, at least one known evidence kind, "
             "max_chain_len 1..3, revoked_at and registered_at unset)";
    case TxFailReason::kAnchorExists: return "an anchor with this SPKI is already registered";
    case TxFailReason::kUnknownAnchor: return "the anchor is not registered";
    case TxFailReason::kAttestationFailed: return "the device attestation failed";
    case TxFailReason::kUnknownDevice: return "the device is not registered";
    case TxFailReason::kNotOwner: return "only the device owner may update it";
    case TxFailReason::kBadLocation: return "the location is out of range";
    case TxFailReason::kBadBatchSize:
      return "a batch holds 1 to max_proofs_per_tx (a genesis parameter) proofs or device ids";
    case TxFailReason::kBadKeyId: return "key_id must be 32 bytes (SHA-256 of the key)";
    case TxFailReason::kDeviceInactive: return "the device is deactivated";
    case TxFailReason::kTooManyOwners:
      return "the device already earned weight for " + std::to_string(kMaxEarlierOwners) +
             " earlier owners in this epoch; transfer it in the next epoch";
    case TxFailReason::kLocationByDevice:
      return "a location is asserted by the device key (a LOCATION_ASSERTION proof), not by its owner";
  }
  return "unknown reason " + std::to_string(static_cast<uint32_t>(reason));
}

std::string attest_reject_message(AttestReject reason) {
  switch (reason) {
    case AttestReject::kOk: return "";
    case AttestReject::kMalformedEvidence:
      return "a field of the evidence is missing or has the wrong length";
    case AttestReject::kUnsupportedKind: return "the evidence kind is not supported";
    case AttestReject::kBadDeviceKey:
      return "the device key is not a valid point, or the evidence kind does not allow its key type";
    case AttestReject::kUnknownAnchor: return "the anchor is not registered";
    case AttestReject::kAnchorRevoked: return "the anchor is revoked at this height";
    case AttestReject::kAnchorWrongRole: return "the anchor's role does not fit the evidence kind";
    case AttestReject::kKindNotAllowed: return "the anchor does not allow this evidence kind";
    case AttestReject::kClassNotAllowed: return "the anchor does not allow this device class";
    case AttestReject::kChainTooLong: return "the certificate chain is longer than the anchor allows";
    case AttestReject::kEmptyChain: return "the certificate chain is empty";
    case AttestReject::kMalformedCertificate: return "a certificate fails the strict DER/X.509 profile";
    case AttestReject::kUnsupportedAlgorithm:
      return "a certificate key or signature is not P-256 / ecdsa-with-SHA256";
    case AttestReject::kLeafIsCa: return "the leaf certificate is a CA";
    case AttestReject::kIssuerMismatch: return "a certificate's issuer is not the subject of the next one";
    case AttestReject::kIssuerNotCa: return "an issuing certificate is not a CA";
    case AttestReject::kIssuerCannotSignCerts: return "an issuing certificate may not sign certificates";
    case AttestReject::kPathLenExceeded: return "an issuing certificate's path length constraint is exceeded";
    case AttestReject::kBadCertSignature: return "a certificate signature does not verify";
    case AttestReject::kNotSignedByAnchor: return "the certificate chain does not end at the named anchor";
    case AttestReject::kAnchorMalformed: return "the anchor's SPKI is not a strict P-256 key";
    case AttestReject::kKeyRevoked: return "a certificate key or the device key is revoked";
    case AttestReject::kBadLocationSignature: return "the location is not signed by the device key";
    case AttestReject::kLeafKeyMismatch: return "the leaf certificate's key is not the device key";
    case AttestReject::kBadPossessionSignature:
      return "the proof-of-possession signature does not verify over the registration message (check "
             "chain id, owner and reference block)";
    case AttestReject::kHighS: return "a signature has a high S value";
    case AttestReject::kStatementExpired: return "the registrar statement has expired";
    case AttestReject::kBadStatementSignature: return "the registrar statement signature does not verify";
    case AttestReject::kStaleReference: return "the reference block is older than the reference window";
    case AttestReject::kFutureReference: return "the reference height is not below the including block's";
    case AttestReject::kWrongRefHash:
      return "the reference block hash is not the canonical hash at the reference height";
    case AttestReject::kDeviceExists: return "the device is already registered";
    case AttestReject::kBadLocation: return "the location is out of range";
    case AttestReject::kKeyAlreadyRegistered:
      return "the device key is already registered, under this or another evidence kind";
  }
  return "unknown attestation reason " + std::to_string(static_cast<uint32_t>(reason));
}

std::string proof_reject_message(uint32_t code) {
  if (code >= kProofRejectCount) return "unknown proof reason " + std::to_string(code);
  switch (static_cast<ProofReject>(code)) {
    case ProofReject::kAccepted: return "";
    case ProofReject::kMalformed: return "the proof has no known kind, or misses a field its kind needs";
    case ProofReject::kUnknownDevice: return "the device is not registered";
    case ProofReject::kDeviceInactive: return "the device is deactivated";
    case ProofReject::kAnchorRevoked: return "the device's anchor is revoked";
    case ProofReject::kKeyRevoked: return "a key of the device's attestation is revoked";
    case ProofReject::kStatementExpired: return "the registrar statement behind the device has expired";
    case ProofReject::kFutureReference: return "the reference height is not below the including block's";
    case ProofReject::kStaleReference: return "the reference block is older than the reference window";
    case ProofReject::kWrongRefHash: return "the reference block hash is not canonical";
    case ProofReject::kWrongEpoch: return "the proof's epoch is not the epoch of its reference height";
    case ProofReject::kReplayedSeq: return "the sequence number is not above the device's last accepted one";
    case ProofReject::kSeqGap: return "the sequence number skips past the next one";
    case ProofReject::kHighS: return "the signature has a high S value";
    case ProofReject::kBadSignature: return "the signature is not the device key's over the proof message";
    case ProofReject::kWitnessSelf: return "a device cannot witness its own beacon";
    case ProofReject::kUnknownBeaconer: return "the beaconer is not registered or is deactivated";
    case ProofReject::kLocationUnknown: return "the witness or the beaconer has no lat/lon location";
    case ProofReject::kWitnessTooClose: return "the witness is closer to the beaconer than witness_min_distance_m";
    case ProofReject::kWitnessTooFar: return "the witness is farther from the beaconer than witness_max_distance_m";
    case ProofReject::kSignalTooStrong: return "the RSSI is stronger than free-space loss allows at that distance";
    case ProofReject::kSignalImplausible: return "the RSSI or SNR is outside what a real receiver reports";
    case ProofReject::kBeaconerRevoked: return "the beaconer's anchor or key is revoked, or its statement expired";
    case ProofReject::kTooFrequent: return "an uptime proof less than uptime_interval_blocks after the last";
    case ProofReject::kWitnessSameOwner: return "the witness and the beaconer have the same owner";
    case ProofReject::kDuplicateWitnessPair:
      return "this witness already witnessed this beacon, or was rewarded for this beaconer in this epoch";
    case ProofReject::kTooManyWitnesses:
      return "the beaconer already has max_witnesses_per_beacon rewarded witnesses in this epoch";
    case ProofReject::kLocationCooldown: return "a location assertion within location_cooldown_blocks of the last";
    case ProofReject::kRelocationSettling: return "the witness moved less than relocation_settle_blocks ago";
    case ProofReject::kBeaconerSettling: return "the beaconer moved less than relocation_settle_blocks ago";
    case ProofReject::kUsageMissing: return "a data contribution needs a usage receipt";
    case ProofReject::kUsageBadReference: return "the usage receipt's reference block is not recent and canonical";
    case ProofReject::kUsageBadSignature: return "the usage receipt is not signed by its consumer";
    case ProofReject::kUsageSelfDealing: return "the consumer is the device's owner";
    case ProofReject::kUsageReplayed: return "the usage receipt's seq is not above the consumer's last one";
    case ProofReject::kUsageUnpaid: return "the consumer's balance does not cover the usage price";
    case ProofReject::kBeaconNotChallenged: return "the beaconer was not challenged at that height";
    case ProofReject::kBeaconWindowClosed:
      return "the beacon is recorded more than beacon_window_blocks after its challenge";
    case ProofReject::kBeaconAlreadyRecorded: return "a beacon for this challenge or a later one is already recorded";
    case ProofReject::kBeaconNotCommitted: return "the beaconer has no recorded beacon for that challenge";
    case ProofReject::kWitnessAfterReveal: return "the beacon is already revealed or past its reveal deadline";
    case ProofReject::kBeaconWitnessesFull: return "the beacon already holds the most pending witnesses";
    case ProofReject::kRevealOutOfWindow:
      return "a reveal comes after the beacon window closes and before the reveal deadline";
    case ProofReject::kRevealMismatch: return "the revealed secret does not match the beacon's commitment";
    case ProofReject::kWrongBeaconSecret: return "the witness receipt does not match the revealed secret";
    case ProofReject::kBeaconAlreadyRevealed: return "the beacon was already revealed";
  }
  return "unknown proof reason " + std::to_string(code);
}

std::string receipt_message(const pb::Receipt& receipt) {
  if (receipt.status() == 0 && receipt.reason() == 0) return "";
  const auto reason = static_cast<TxFailReason>(receipt.reason());
  std::string text = tx_fail_message(reason);
  if (reason == TxFailReason::kAttestationFailed && receipt.detail() != 0)
    text += ": " + attest_reject_message(static_cast<AttestReject>(receipt.detail()));
  return text;
}

}  // namespace physis::vm
