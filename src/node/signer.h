// The validator signer: never double-sign (DESIGN §6, doc/consensus-safety.md).
//
// A Signer owns one validator key and one small state file (normally <datadir>/signer_state). Before a
// signature leaves sign(), the signer has durably recorded what it signed — (height, round, step), the
// block hash, the digest and the signature itself — by writing a temporary file, fsync, rename over the
// state file, fsync of the directory. So after a crash at any instant the file names the last signature
// that can have left the process, or a later one that never left it; either way no conflicting
// signature can follow.
//
// The rule, with (height, round, step) ordered lexicographically and proposal < prevote < precommit:
//   * a request above the last signed position is signed, persisted, then returned;
//   * a request at the last signed position whose digest is the one signed there gets the stored
//     signature back, byte for byte (re-sending after a restart is safe);
//   * a request at the last position with another digest (another block, nil after a block, another
//     proof-of-lock round) is refused: "sign_conflict";
//   * a request below the last signed position is refused: "sign_regression".
// A state file that cannot be read, fails its checksum, or belongs to another key or chain makes open()
// fail ("signer_state"); the signer never resets itself. A missing file is a signer that has signed
// nothing yet (first start); open() then writes an empty state file at once.
//
// Thread-safety: a Signer is safe to use from several threads (one mutex); normally only the consensus
// driver's thread uses it. Two Signers on the same file (two processes) are not protected against each
// other; what prevents that is that only one physisd can open a datadir (LevelDB's LOCK file on
// DATADIR/chain), so the signer state must live in the datadir of the chain.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/secp256k1.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis::node {

// The file name of the signer state inside the datadir.
inline constexpr std::string_view kSignerStateFile = "signer_state";

// Steps in the order a validator signs them within one round.
enum class SignStep : uint8_t { kProposal = 1, kPrevote = 2, kPrecommit = 3 };
std::string_view sign_step_name(SignStep step);  // "proposal", "prevote", "precommit"

// What the consensus driver asks to sign. A nil vote has the zero block hash; a proposal names a block
// and may carry the round of its proof-of-lock, which must be below `round`. Votes carry no pol_round.
struct SignRequest {
  SignStep step = SignStep::kPrevote;
  uint64_t height = 0;
  uint32_t round = 0;
  Hash32 block_hash{};
  std::optional<uint32_t> pol_round;
};

// The digest signed for `request` on `chain_id`: consensus::vote_digest for prevotes and precommits (so
// verify_commit accepts a precommit from this signer), consensus::proposal_digest for proposals.
Hash32 sign_request_digest(const std::string& chain_id, const SignRequest& request);

// The last signature a signer has recorded.
struct SignedRecord {
  uint64_t height = 0;
  uint32_t round = 0;
  SignStep step = SignStep::kProposal;
  Hash32 block_hash{};
  Hash32 digest{};
  crypto::Signature signature{};

  bool operator==(const SignedRecord&) const = default;
};

// Reads a state file without opening a signer (start-up reconciliation, tests, diagnostics). Returns
// nullopt for a state that has signed nothing; error "signer_state" if the file is missing, unreadable,
// corrupt, or written for another address or chain.
Result<std::optional<SignedRecord>> read_signer_state(const std::string& path, const Address& address,
                                                      const std::string& chain_id);

class Signer {
 public:
  // Opens (or, when missing, creates) the state file at `path` for `key` on `chain_id`. A leftover
  // temporary file from a crash mid-write is removed: its signature never left the process. Errors:
  // "signer_state" (corrupt, unreadable, another key or chain, cannot create), "bad_key".
  static Result<std::unique_ptr<Signer>> open(const std::string& path, const crypto::PrivateKey& key,
                                              const std::string& chain_id);

  // Signs `request` under the rule above. Errors: "sign_regression", "sign_conflict",
  // "bad_sign_request" (a proposal for the zero hash, pol_round on a vote or not below round),
  // "signer_state" (the state could not be persisted; no signature was returned and this signer
  // refuses every later request until reopened, because the file may hold either state).
  Result<crypto::Signature> sign(const SignRequest& request);

  // The last recorded signature, or nullopt if this key has signed nothing on this chain.
  std::optional<SignedRecord> last_signed() const;
  const Address& address() const { return address_; }
  const std::string& path() const { return path_; }

  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

 private:
  Signer(std::string path, const crypto::PrivateKey& key, const Address& address, std::string chain_id,
         std::optional<SignedRecord> last);
  Status persist(const SignedRecord& record);

  const std::string path_;
  const crypto::PrivateKey key_;
  const Address address_;
  const std::string chain_id_;
  mutable std::mutex mutex_;
  std::optional<SignedRecord> last_;  // guarded by mutex_; what the file on disk says
  bool failed_ = false;               // guarded by mutex_; a persist failed, the disk state is unknown
};

}  // namespace physis::node
