// One scenario per AttestReject value, table-driven: each scenario starts from valid evidence on a fresh
// fixture, breaks one thing and must produce exactly its reason; the table lists every value
// 0..kAttestRejectCount-1 exactly once. Reasons the verifier produces run through verify_evidence; the
// ones only a block produces (device_exists, bad_location, key_already_registered) run through
// apply_block.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "attestation_test_fixture.h"
#include "depin_test_chain.h"
#include "vm/attestation.h"

using namespace physis;
using namespace physis::vm;

namespace {
namespace at = physis::vm::attest_test;
namespace dt = physis::vm::depin_test;
using A = AttestReject;

class Verify final : public at::AttestationVerify {
 public:
  void TestBody() override {}
};

// ---------------------------------------------------------------- through apply_block

Genesis registration_genesis() {
  Genesis g;
  g.chain_id = dt::kChain;
  g.validators.push_back({"v0", dt::address_of_key(dt::kProposer), 1});
  g.accounts.push_back({"alice", dt::address_of_key(dt::kAlice), dt::kFunds});
  g.depin.governance = dt::address_of_key(dt::kGovernance);
  g.depin.treasury = dt::kTreasury;
  g.depin.epoch_blocks = 1000;
  g.depin.anchors.push_back(dt::genesis_anchor(dt::maker_a(), pb::MANUFACTURER_ROOT, pb::SE_P256, "maker A"));
  g.depin.anchors.push_back(
      dt::genesis_anchor(dt::registrar(), pb::REGISTRAR, pb::REGISTRAR_STATEMENT, "registrar"));
  return g;
}

// The AttestReject detail of the registration `tx` makes on `c` (kOk if it succeeded).
A detail_of(dt::DepinChain& c, const VerifiedTx& tx) { return static_cast<A>(c.run(tx).detail()); }

A through_block(const std::function<A(dt::DepinChain&, const dt::Dev&)>& body) {
  dt::DepinChain c(registration_genesis());
  c.block();
  const dt::Dev d = dt::make_device(dt::maker_a(), 0x30);
  return body(c, d);
}

pb::AttestationEvidence registrar_evidence_for(const dt::DepinChain& c, const crypto::P256PrivateKey& key) {
  pb::AttestationEvidence ev;
  ev.set_kind(pb::REGISTRAR_STATEMENT);
  ev.set_device_class(1);
  ev.set_key_type(pb::KEY_P256);
  ev.set_device_key(dt::str(dt::p256_pub(key)));
  ev.set_anchor_id(dt::str(dt::registrar().id));
  ev.mutable_statement()->set_attestation_type(1);
  ev.mutable_statement()->set_evidence_hash(std::string(32, '\x05'));
  ev.mutable_statement()->set_expiry_height(500);
  ev.set_ref_height(c.height());
  ev.set_ref_block_hash(dt::str(dt::test_block_hash(c.height())));
  ev.mutable_statement()->set_signature(
      dt::p256_sign_str(dt::registrar().key, crypto::sha256(registrar_statement_message(dt::kChain, ev))));
  ev.set_pop_signature(dt::p256_sign_str(
      key, crypto::sha256(registration_message(dt::kChain, ev, dt::address_of_key(dt::kAlice)))));
  return ev;
}

// ---------------------------------------------------------------- the table

struct Scenario {
  A expected;
  std::function<A()> run;
};

// A verifier scenario: `mutate` changes the fixture and returns the evidence to verify.
Scenario verified(A expected, std::function<pb::AttestationEvidence(Verify&)> mutate) {
  return {expected, [mutate] {
            Verify t;
            return t.reason(mutate(t));
          }};
}

std::vector<Scenario> scenarios() {
  using E = pb::AttestationEvidence;
  return {
      verified(A::kOk, [](Verify& t) { return t.se_evidence(); }),
      verified(A::kMalformedEvidence,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_anchor_id(ev.anchor_id().substr(1));
                 return ev;
               }),
      verified(A::kUnsupportedKind,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_kind(pb::TPM2_QUOTE);
                 t.sign_pop(ev, t.device_key_);
                 return ev;
               }),
      verified(A::kBadDeviceKey,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_key_type(pb::KEY_NONE);
                 return ev;
               }),
      verified(A::kUnknownAnchor,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 Hash32 other = t.root_id_;
                 other[0] ^= 0xff;
                 ev.set_anchor_id(at::str(other));
                 return ev;
               }),
      verified(A::kAnchorRevoked,
               [](Verify& t) {
                 t.chain_.anchors[t.root_id_].set_revoked_at(at::kHeight);
                 return t.se_evidence();
               }),
      verified(A::kAnchorWrongRole,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_anchor_id(at::str(t.registrar_id_));
                 return ev;
               }),
      verified(A::kKindNotAllowed,
               [](Verify& t) {
                 t.chain_.anchors[t.root_id_].clear_allowed_kinds();
                 return t.se_evidence();
               }),
      verified(A::kClassNotAllowed,
               [](Verify& t) {
                 t.chain_.anchors[t.root_id_].add_allowed_classes(2);
                 return t.se_evidence();
               }),
      verified(A::kChainTooLong,
               [](Verify& t) {
                 t.chain_.anchors[t.root_id_].set_max_chain_len(1);
                 return t.se_evidence();
               }),
      verified(A::kEmptyChain, [](Verify& t) { return t.with_chain({}); }),
      verified(A::kMalformedCertificate,
               [](Verify& t) {
                 Bytes leaf = t.device_der_;
                 leaf.push_back(0x00);
                 return t.with_chain({leaf, t.intermediate_der_});
               }),
      verified(A::kUnsupportedAlgorithm,
               [](Verify& t) {
                 return t.with_chain({at::read_fixture("p384-key.der"), t.intermediate_der_});
               }),
      verified(A::kLeafIsCa, [](Verify& t) { return t.with_chain({t.intermediate_der_}); }),
      verified(A::kIssuerMismatch,
               [](Verify& t) {
                 return t.with_chain({at::read_fixture("root2-leaf.der"), t.intermediate_der_});
               }),
      verified(A::kIssuerNotCa,
               [](Verify& t) {
                 return t.with_chain({at::read_fixture("notca-leaf.der"), at::read_fixture("notca.der")});
               }),
      verified(A::kIssuerCannotSignCerts,
               [](Verify& t) {
                 return t.with_chain(
                     {at::read_fixture("nocertsign-leaf.der"), at::read_fixture("nocertsign.der")});
               }),
      verified(A::kPathLenExceeded,
               [](Verify& t) {
                 return t.with_chain({at::read_fixture("subca-leaf.der"), at::read_fixture("subca.der"),
                                      t.intermediate_der_});
               }),
      verified(A::kBadCertSignature,
               [](Verify& t) {
                 Bytes leaf = t.device_der_;
                 leaf.back() ^= 0x01;  // the last byte of the leaf's signature value
                 return t.with_chain({leaf, t.intermediate_der_});
               }),
      verified(A::kNotSignedByAnchor,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_anchor_id(at::str(t.root2_id_));
                 return ev;
               }),
      verified(A::kAnchorMalformed,
               [](Verify& t) {
                 Bytes bad = t.root_spki_;
                 bad.push_back(0x00);
                 t.chain_.anchors[t.root_id_].set_spki(at::str(bad));
                 return t.se_evidence();
               }),
      verified(A::kKeyRevoked,
               [](Verify& t) {
                 t.chain_.revoked[raw_key_id(t.device_pub_)] = 1;  // the raw-key form of an SE_P256 key
                 return t.se_evidence();
               }),
      verified(A::kLeafKeyMismatch,
               [](Verify& t) {
                 const auto other = at::p256_key_of(0x44);
                 E ev = t.se_evidence();
                 ev.set_device_key(at::str(at::p256_pub(other)));
                 t.sign_pop(ev, other);
                 return ev;
               }),
      verified(A::kBadPossessionSignature,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 t.sign_pop(ev, t.device_key_, "physis-other-chain");
                 return ev;
               }),
      verified(A::kHighS,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_pop_signature(at::negate_s(ev.pop_signature(), crypto::kP256Order));
                 return ev;
               }),
      verified(A::kStatementExpired,
               [](Verify& t) {
                 E ev = t.registrar_evidence(at::p256_key_of(0x21));
                 ev.mutable_statement()->set_expiry_height(at::kHeight);
                 t.sign_statement(ev, t.registrar_key_);
                 return ev;
               }),
      verified(A::kBadStatementSignature,
               [](Verify& t) {
                 E ev = t.registrar_evidence(at::p256_key_of(0x21));
                 t.sign_statement(ev, at::p256_key_of(0x5b));
                 return ev;
               }),
      verified(A::kStaleReference,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_ref_height(at::kHeight - at::kWindow - 1);
                 ev.set_ref_block_hash(at::str(at::block_hash_at(at::kHeight - at::kWindow - 1)));
                 t.sign_pop(ev, t.device_key_);
                 return ev;
               }),
      verified(A::kFutureReference,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_ref_height(at::kHeight);
                 ev.set_ref_block_hash(at::str(at::block_hash_at(at::kHeight)));
                 t.sign_pop(ev, t.device_key_);
                 return ev;
               }),
      verified(A::kWrongRefHash,
               [](Verify& t) {
                 E ev = t.se_evidence();
                 ev.set_ref_block_hash(at::str(at::block_hash_at(at::kHeight - 2)));
                 t.sign_pop(ev, t.device_key_);
                 return ev;
               }),
      {A::kDeviceExists,
       [] {
         return through_block([](dt::DepinChain& c, const dt::Dev& d) {
           EXPECT_EQ(detail_of(c, c.register_tx(dt::kAlice, d, dt::maker_a())), A::kOk);
           return detail_of(c, c.register_tx(dt::kAlice, d, dt::maker_a()));
         });
       }},
      {A::kBadLocation,
       [] {
         return through_block([](dt::DepinChain& c, const dt::Dev& d) {
           return detail_of(c, c.register_tx(dt::kAlice, d, dt::maker_a(), dt::latlon(900000001, 0)));
         });
       }},
      {A::kBadLocationSignature,
       [] {
         return through_block([](dt::DepinChain& c, const dt::Dev& d) {
           // The location signed by the device, but over another location than the one registered.
           const auto ev = c.evidence(d, dt::maker_a(), dt::address_of_key(dt::kAlice));
           const std::string sig =
               dt::p256_sign_str(d.key, dt::DepinChain::location_digest_of(ev, dt::latlon(1, 2)));
           return detail_of(c, c.register_tx(dt::kAlice, ev, dt::latlon(1, 3), sig));
         });
       }},
      {A::kKeyAlreadyRegistered,
       [] {
         return through_block([](dt::DepinChain& c, const dt::Dev& d) {
           EXPECT_EQ(detail_of(c, c.register_tx(dt::kAlice, d, dt::maker_a())), A::kOk);
           return detail_of(c, c.register_tx(dt::kAlice, registrar_evidence_for(c, d.key)));
         });
       }},
  };
}

TEST(AttestRejectReasons, TableHasEveryValueExactlyOnce) {
  std::set<uint32_t> seen;
  for (const Scenario& s : scenarios()) {
    const uint32_t v = static_cast<uint32_t>(s.expected);
    EXPECT_LT(v, kAttestRejectCount) << attest_reject_name(s.expected);
    EXPECT_TRUE(seen.insert(v).second) << "listed twice: " << attest_reject_name(s.expected);
  }
  EXPECT_EQ(seen.size(), kAttestRejectCount);
}

TEST(AttestRejectReasons, EveryScenarioProducesItsReason) {
  for (const Scenario& s : scenarios()) {
    SCOPED_TRACE(std::string(attest_reject_name(s.expected)));
    const A got = s.run();
    EXPECT_EQ(static_cast<uint32_t>(got), static_cast<uint32_t>(s.expected))
        << "got " << attest_reject_name(got) << ", expected " << attest_reject_name(s.expected);
  }
}

}  // namespace
