// Canonical Protobuf decoding (DESIGN §2): a message is accepted only if re-serialising it
// deterministically gives exactly the bytes received. Each test below shows one way a byte string can
// parse as valid protobuf and still be rejected, because two encodings of one message would give two
// hashes of one transaction.
#include <gtest/gtest.h>

#include "primitives/codec.h"
#include "primitives/physis.pb.h"

using namespace physis;

namespace {

// Hand-written protobuf wire format, so that the tests can produce encodings protobuf never would.
void put_varint(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}
void put_tag(Bytes& out, uint32_t field, uint32_t wire_type) {
  put_varint(out, (uint64_t{field} << 3) | wire_type);
}
void put_uint(Bytes& out, uint32_t field, uint64_t v) {
  put_tag(out, field, 0);
  put_varint(out, v);
}
void put_bytes(Bytes& out, uint32_t field, std::string_view b) {
  put_tag(out, field, 2);
  put_varint(out, b.size());
  append(out, b);
}

// A TxBody with every scalar field set, hand-encoded in field-number order: the canonical form.
Bytes canonical_body_bytes() {
  Bytes out;
  put_bytes(out, 1, "chain-a");
  put_uint(out, 2, 5);      // nonce
  put_uint(out, 3, 21000);  // gas_limit
  put_uint(out, 4, 3);      // gas_price
  return out;
}

void expect_malformed(const Bytes& bytes, std::string_view what = "tx body") {
  pb::TxBody body;
  Status st = decode_canonical(bytes, body, what);
  ASSERT_FALSE(st.ok()) << "accepted non-canonical bytes " << to_hex(bytes);
  EXPECT_EQ(st.error().code, "malformed");
  // The error names the object, so the caller's message says what was wrong.
  EXPECT_NE(st.error().message.find(what), std::string::npos) << st.error().message;
}

}  // namespace

TEST(Codec, HandEncodedCanonicalBytesEqualDeterministicEncoding) {
  pb::TxBody body;
  body.set_chain_id("chain-a");
  body.set_nonce(5);
  body.set_gas_limit(21000);
  body.set_gas_price(3);
  EXPECT_EQ(to_hex(encode_canonical(body)), to_hex(canonical_body_bytes()));
}

TEST(Codec, AcceptsCanonicalBytes) {
  pb::TxBody body;
  Status st = decode_canonical(canonical_body_bytes(), body, "tx body");
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(body.chain_id(), "chain-a");
  EXPECT_EQ(body.nonce(), 5u);
  EXPECT_EQ(body.gas_limit(), 21000u);
  EXPECT_EQ(body.gas_price(), 3u);
}

TEST(Codec, AcceptsEmptyBytesAsTheDefaultMessage) {
  pb::TxBody body;
  body.set_nonce(9);  // decode must replace, not merge into, what `out` held
  ASSERT_TRUE(decode_canonical(Bytes{}, body, "tx body").ok());
  EXPECT_EQ(body.nonce(), 0u);
  EXPECT_TRUE(body.chain_id().empty());
}

TEST(Codec, AcceptsNestedMessageAndRoundTrips) {
  pb::TxBody body;
  body.set_chain_id("c");
  body.set_nonce(1);
  body.mutable_transfer()->set_to(std::string(20, '\x11'));
  body.mutable_transfer()->set_amount("\x01");
  Bytes bytes = encode_canonical(body);
  pb::TxBody back;
  ASSERT_TRUE(decode_canonical(bytes, back, "tx body").ok());
  EXPECT_EQ(encode_canonical(back), bytes);
  EXPECT_EQ(back.transfer().to(), std::string(20, '\x11'));
}

TEST(Codec, EncodingIsDeterministic) {
  pb::Commit commit;
  commit.set_height(3);
  commit.set_block_hash(std::string(32, 'h'));
  for (int i = 0; i < 3; ++i) {
    auto* s = commit.add_signatures();
    s->set_validator(std::string(20, static_cast<char>('a' + i)));
    s->set_signature(std::string(65, 's'));
  }
  EXPECT_EQ(encode_canonical(commit), encode_canonical(commit));
  pb::Commit copy = commit;
  EXPECT_EQ(encode_canonical(copy), encode_canonical(commit));
}

TEST(Codec, RejectsUnknownField) {
  Bytes bytes = canonical_body_bytes();
  put_uint(bytes, 99, 1);  // no field 99 in TxBody; protobuf would keep it as an unknown field
  expect_malformed(bytes);
}

TEST(Codec, RejectsUnknownFieldInsideNestedMessage) {
  Bytes transfer;
  put_bytes(transfer, 1, std::string(20, '\x22'));
  put_uint(transfer, 7, 1);  // unknown inside Transfer
  Bytes bytes = canonical_body_bytes();
  put_bytes(bytes, 10, to_string(transfer));
  expect_malformed(bytes);
}

TEST(Codec, RejectsDefaultValuedIntegerWrittenExplicitly) {
  Bytes bytes;
  put_bytes(bytes, 1, "chain-a");
  put_uint(bytes, 2, 0);  // nonce = 0 written out; proto3 canonical form omits it
  put_uint(bytes, 3, 21000);
  expect_malformed(bytes);
}

TEST(Codec, RejectsDefaultValuedStringWrittenExplicitly) {
  Bytes bytes;
  put_bytes(bytes, 1, "");  // empty chain id written out
  put_uint(bytes, 2, 5);
  expect_malformed(bytes);
}

TEST(Codec, RejectsOutOfOrderFields) {
  Bytes bytes;
  put_uint(bytes, 2, 5);  // nonce before chain_id
  put_bytes(bytes, 1, "chain-a");
  put_uint(bytes, 3, 21000);
  put_uint(bytes, 4, 3);
  // Same fields as the canonical bytes, so a lenient decoder would take it for the same body.
  pb::TxBody lenient;
  ASSERT_TRUE(lenient.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  EXPECT_EQ(lenient.nonce(), 5u);
  expect_malformed(bytes);
}

TEST(Codec, RejectsDuplicateField) {
  Bytes bytes;
  put_bytes(bytes, 1, "chain-a");
  put_uint(bytes, 2, 4);
  put_uint(bytes, 2, 5);  // protobuf keeps the last value, so this parses as nonce 5
  put_uint(bytes, 3, 21000);
  put_uint(bytes, 4, 3);
  expect_malformed(bytes);
}

TEST(Codec, RejectsDuplicateFieldWithTheSameValue) {
  Bytes bytes;
  put_bytes(bytes, 1, "chain-a");
  put_uint(bytes, 2, 5);
  put_uint(bytes, 2, 5);
  put_uint(bytes, 3, 21000);
  put_uint(bytes, 4, 3);
  expect_malformed(bytes);
}

TEST(Codec, RejectsTrailingGarbage) {
  Bytes bytes = canonical_body_bytes();
  bytes.push_back(0x00);  // a zero tag is not valid protobuf
  expect_malformed(bytes);
}

TEST(Codec, RejectsTrailingTruncatedField) {
  Bytes bytes = canonical_body_bytes();
  put_tag(bytes, 1, 2);
  bytes.push_back(10);  // claims 10 bytes, none follow
  expect_malformed(bytes);
}

TEST(Codec, RejectsNonMinimalVarint) {
  Bytes bytes;
  put_bytes(bytes, 1, "chain-a");
  put_tag(bytes, 2, 0);
  bytes.push_back(0x85);  // 5 with a redundant continuation byte
  bytes.push_back(0x00);
  put_uint(bytes, 3, 21000);
  put_uint(bytes, 4, 3);
  expect_malformed(bytes);
}

TEST(Codec, RejectsIntegerFieldWithWrongWireType) {
  Bytes bytes;
  put_bytes(bytes, 1, "chain-a");
  put_bytes(bytes, 2, "\x05");  // nonce as length-delimited
  expect_malformed(bytes);
}

TEST(Codec, ErrorNamesTheObject) {
  Bytes bytes = canonical_body_bytes();
  put_uint(bytes, 99, 1);
  expect_malformed(bytes, "widget");
}

TEST(Codec, RejectsStringFieldThatIsNotUtf8) {
  // proto3 `string` fields must be UTF-8; chain_id = 0xff 0xfe is not.
  Bytes bytes;
  put_bytes(bytes, 1, "\xff\xfe");
  put_uint(bytes, 2, 5);
  expect_malformed(bytes);
}
