// Receipts commit codes and numbers only (doc/protocol.md "Receipts"): the receipts root is computed from
// records that have no text in them, so rewording the message RPC shows can never change a block.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "primitives/block.h"
#include "primitives/codec.h"

using namespace physis;

namespace {

// Every field of `d` and of the messages it holds, as "Message.field".
void collect_fields(const google::protobuf::Descriptor* d,
                    std::set<const google::protobuf::Descriptor*>& seen,
                    std::vector<const google::protobuf::FieldDescriptor*>& out) {
  if (!seen.insert(d).second) return;
  for (int i = 0; i < d->field_count(); ++i) {
    out.push_back(d->field(i));
    if (d->field(i)->message_type()) collect_fields(d->field(i)->message_type(), seen, out);
  }
}

// A failed registration (reason 7 attestation_failed, detail 25 statement_expired) and a proof batch
// with one accepted and one rejected proof: every field of a receipt set.
std::vector<pb::Receipt> fixed_receipts() {
  pb::Receipt failed;
  failed.set_tx_hash(std::string(32, '\x01'));
  failed.set_status(1);
  failed.set_reason(7);
  failed.set_detail(25);
  failed.set_gas_used(150000);
  failed.set_fee(std::string("\x02\x49\xf0", 3));
  pb::Receipt proofs;
  proofs.set_tx_hash(std::string(32, '\x02'));
  proofs.set_gas_used(60000);
  proofs.set_fee(std::string("\xea\x60", 2));
  proofs.set_device_id(std::string(20, '\x03'));
  for (uint32_t reason : {0u, 23u}) {
    pb::ProofResult* r = proofs.add_proofs();
    r->set_index(reason == 0 ? 0 : 1);
    r->set_device_id(std::string(20, '\x04'));
    r->set_seq(reason == 0 ? 1 : 2);
    r->set_epoch(3);
    r->set_kind(pb::UPTIME);
    r->set_reason(reason);
    r->set_weight(reason == 0 ? 10 : 0);
  }
  return {failed, proofs};
}

}  // namespace

// No field of a receipt, or of anything it holds, is text; the former message field stays reserved so
// that it is never reused.
TEST(Receipts, CommitCodesAndNumbersOnly) {
  std::set<const google::protobuf::Descriptor*> seen;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  collect_fields(pb::BlockReceipts::descriptor(), seen, fields);
  EXPECT_GT(fields.size(), 10u);
  for (const auto* f : fields)
    EXPECT_NE(f->type(), google::protobuf::FieldDescriptor::TYPE_STRING)
        << f->full_name() << " is text in a receipt: commit a code and derive the text in vm/reason_text.h";
  const auto* receipt = pb::Receipt::descriptor();
  EXPECT_EQ(receipt->FindFieldByName("message"), nullptr);
  EXPECT_TRUE(receipt->IsReservedName("message"));
  EXPECT_TRUE(receipt->IsReservedNumber(6));
}

// Golden vector: the receipts root of fixed receipts. It is computed from codes and numbers alone; a
// change of wording cannot reach it, a change of encoding fails here loudly.
TEST(Receipts, GoldenReceiptsRoot) {
  const std::vector<pb::Receipt> receipts = fixed_receipts();
  EXPECT_EQ(hash_to_string(compute_receipts_root(receipts)),
            "0x1e3465664af1354a70b2e3858f918daeb6cd6b0e5867e22e73c648cae1168ad8");
}

// The root is over the canonical bytes of each receipt, in order: reordering or changing any code or
// number changes it.
TEST(Receipts, RootCoversEveryCode) {
  const std::vector<pb::Receipt> base = fixed_receipts();
  const Hash32 root = compute_receipts_root(base);
  std::vector<std::function<void(std::vector<pb::Receipt>&)>> changes = {
      [](auto& r) { r[0].set_reason(8); },
      [](auto& r) { r[0].set_detail(26); },
      [](auto& r) { r[0].set_status(0); },
      [](auto& r) { r[0].set_gas_used(150001); },
      [](auto& r) { r[1].mutable_proofs(1)->set_reason(22); },
      [](auto& r) { r[1].mutable_proofs(0)->set_weight(11); },
      [](auto& r) { std::swap(r[0], r[1]); },
  };
  std::set<Hash32> roots{root};
  for (size_t i = 0; i < changes.size(); ++i) {
    std::vector<pb::Receipt> r = base;
    changes[i](r);
    EXPECT_TRUE(roots.insert(compute_receipts_root(r)).second) << "change " << i;
  }
}
