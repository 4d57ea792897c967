// Hardware attestation: the consensus verifier of RegisterDevice evidence (DESIGN §5, doc/depin.md).
// Pure: its inputs are the evidence and a read-only view of the chain (anchors, revoked keys, block
// hashes). The same function runs in every validator, in `depin_verifyEvidence`, and offline in
// `physis-cli attest verify`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "primitives/physis.pb.h"
#include "util/bytes.h"
#include "vm/signatures.h"

namespace physis::vm {

// Why evidence was refused. Stored in receipts: never renumber; every value has a test.
enum class AttestReject : uint32_t {
  kOk = 0,
  kMalformedEvidence = 1,  // a field is missing or has the wrong length
  kUnsupportedKind = 2,    // evidence kind not handled (TPM2_QUOTE: not yet)
  kBadDeviceKey = 3,       // device key not a valid point, or a key type the kind does not allow
  kUnknownAnchor = 4,      // anchor id not registered
  kAnchorRevoked = 5,      // anchor revoked at or before the including height
  kAnchorWrongRole = 6,    // e.g. a registrar anchor used as a manufacturer root
  kKindNotAllowed = 7,     // the anchor does not allow this evidence kind
  kClassNotAllowed = 8,    // the anchor does not allow this device class
  kChainTooLong = 9,       // more certificates than min(3, anchor max_chain_len)
  kEmptyChain = 10,
  kMalformedCertificate = 11,  // a certificate fails the strict DER/X.509 profile
  kUnsupportedAlgorithm = 12,  // a certificate key or signature is not P-256 / ecdsa-with-SHA256
  kLeafIsCa = 13,
  kIssuerMismatch = 14,  // issuer of cert i is not the subject of cert i+1 (byte comparison)
  kIssuerNotCa = 15,
  kIssuerCannotSignCerts = 16,  // keyUsage without keyCertSign
  kPathLenExceeded = 17,
  kBadCertSignature = 18,
  kNotSignedByAnchor = 19,       // the chain does not end at the named anchor
  kAnchorMalformed = 20,         // the anchor's SPKI is not a strict P-256 key
  kKeyRevoked = 21,              // an intermediate or the device key is revoked
  kLeafKeyMismatch = 22,         // the leaf certificate's key is not the device key
  kBadPossessionSignature = 23,  // proof of possession does not verify (wrong owner, chain id, ref...)
  kHighS = 24,                   // a signature on chain with s > n/2
  kStatementExpired = 25,        // registrar statement expiry height already passed
  kBadStatementSignature = 26,
  kStaleReference = 27,        // ref height older than the window
  kFutureReference = 28,       // ref height not below the including height
  kWrongRefHash = 29,          // ref block hash is not the canonical hash at ref height
  kDeviceExists = 30,          // the device id is already registered
  kBadLocation = 31,           // location out of range
  kKeyAlreadyRegistered = 32,  // the device key is registered already, under this or another evidence kind
  kBadLocationSignature = 33,  // a location without the device key's valid signature (doc/depin.md "Locations")
};
inline constexpr uint32_t kAttestRejectCount = 34;
std::string_view attest_reject_name(AttestReject reason);

// What the verifier may read of the chain.
class ChainView {
 public:
  virtual ~ChainView() = default;
  virtual std::optional<pb::Anchor> anchor(const Hash32& anchor_id) const = 0;
  virtual std::optional<uint64_t> key_revoked_at(const Hash32& key_id) const = 0;
  // The canonical block hash at `height`, or nullopt if unknown. A view that cannot know (offline)
  // returns nullopt and sets `checks_references()` to false.
  virtual std::optional<Hash32> block_hash(uint64_t height) const = 0;
  virtual bool checks_references() const { return true; }
};

struct AttestContext {
  std::string chain_id;
  Address owner{};
  uint64_t height = 0;  // the including block's height (revocation and expiry are judged here)
  uint64_t ref_window = 64;
};

struct AttestOutcome {
  AttestReject reason = AttestReject::kOk;
  std::string message;
  // Filled when reason is kOk:
  Address device_id{};
  Hash32 anchor_id{};
  // Revocable key ids: the certificate SPKI ids leaf first (SE_P256), then the device key in both forms
  // not already listed, SPKI id (P-256 keys) and raw_key_id, so a RevokeKey naming either form applies.
  std::vector<Hash32> key_ids;
  uint64_t statement_expiry = 0;
  bool ok() const { return reason == AttestReject::kOk; }
};

AttestOutcome verify_evidence(const pb::AttestationEvidence& evidence, const AttestContext& ctx,
                              const ChainView& chain, const SignatureVerifier& signatures);

// "PHYSIS/REG/v1" ‖ u32 len ‖ chain id ‖ u8 kind ‖ u32 class ‖ owner ‖ u64 ref height ‖ ref hash ‖
// u8 key type ‖ u32 len ‖ device key. The device signs SHA-256 of it.
Bytes registration_message(const std::string& chain_id, const pb::AttestationEvidence& ev,
                           const Address& owner);
// "PHYSIS/REGISTRAR/v1" ‖ u32 len ‖ chain id ‖ u8 key type ‖ u32 len ‖ device key ‖ u32 class ‖
// u32 attestation type ‖ evidence hash ‖ u64 expiry height. The registrar signs SHA-256 of it.
Bytes registrar_statement_message(const std::string& chain_id, const pb::AttestationEvidence& ev);
// Device id: last 20 bytes of keccak256(u8 kind ‖ device key).
Address device_id_of(uint32_t kind, ByteSpan device_key);
// Key id of a device key with no certificate: SHA-256 of the raw key bytes. It does not depend on the
// evidence kind, so it also keys the registered-device-key index (doc/depin.md "State layout").
Hash32 raw_key_id(ByteSpan device_key);

}  // namespace physis::vm
