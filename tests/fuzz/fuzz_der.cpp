// Fuzz harness: the strict DER reader (crypto/der.h) on its own, whatever the schema: certificates,
// SPKIs and signatures from device makers all go through it. Walks every element of the input, level by
// level, and reads each primitive with every typed reader. Invariants (the header's contract): an element
// lies inside its level, its content is the tail of its encoding, a read either consumes exactly one
// element or consumes nothing, and a failed typed read leaves the reader where it was.
#include <cstdlib>

#include "crypto/der.h"

namespace {
using physis::ByteSpan;
using physis::crypto::DerReader;

bool within(ByteSpan part, ByteSpan whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check(bool ok) {
  if (!ok) std::abort();
}

// Every typed reader on a copy of `at`: whatever it returns, it consumes `element_size` bytes or none.
void read_typed(const DerReader& at, size_t element_size) {
  auto consumed = [&](const DerReader& r) { return at.remaining() - r.remaining(); };
  auto same_or_one = [&](bool ok, const DerReader& r) {
    check(ok ? consumed(r) == element_size : consumed(r) == 0);
  };
  {
    DerReader r = at;
    auto v = r.read_integer();
    same_or_one(v.ok(), r);
  }
  {
    DerReader r = at;
    auto v = r.read_unsigned_integer();
    same_or_one(v.ok(), r);
    if (v.ok()) check(v->empty() || (*v)[0] != 0);
  }
  {
    DerReader r = at;
    auto v = r.read_uint64();
    same_or_one(v.ok(), r);
  }
  {
    DerReader r = at;
    auto v = r.read_boolean();
    same_or_one(v.ok(), r);
  }
  {
    DerReader r = at;
    auto v = r.read_oid();
    same_or_one(v.ok(), r);
    if (v.ok()) (void)physis::crypto::oid_to_string(*v);
  }
  {
    DerReader r = at;
    auto v = r.read_bit_string();
    same_or_one(v.ok(), r);
    if (v.ok()) check(v->unused_bits <= 7);
  }
  {
    DerReader r = at;
    auto v = r.read_octet_string();
    same_or_one(v.ok(), r);
  }
  {
    DerReader r = at;
    auto v = r.read_null();
    same_or_one(v.ok(), r);
  }
}

void walk(DerReader level, ByteSpan whole, int depth) {
  while (!level.empty()) {
    const auto tag = level.peek_tag();
    check(tag.has_value());
    const DerReader before = level;
    auto element = level.read_element();
    if (!element) {
      check(before.remaining() == level.remaining());
      // The same input must fail the same way when a tag is demanded.
      DerReader again = before;
      auto tagged = again.read_element(*tag);
      check(!tagged.ok() && tagged.error() == element.error());
      (void)physis::crypto::der_error_name(element.error());
      return;
    }
    check(element->tag == *tag);
    check(within(element->tlv, whole) && within(element->value, element->tlv));
    check(element->tlv.size() == before.remaining() - level.remaining());
    check(element->value.data() + element->value.size() == element->tlv.data() + element->tlv.size());
    check(physis::crypto::der_parse_single(element->tlv, element->tag).ok());
    read_typed(before, element->tlv.size());
    // Any content as an OID (valid or rendered as hex); short ones only, the hex of a long one is slow.
    if (element->value.size() <= 64) (void)physis::crypto::oid_to_string(element->value);
    if (element->constructed() && depth < 32) {
      DerReader inner = before;
      auto sub = inner.read_constructed(element->tag);
      check(sub.ok());
      walk(*sub, whole, depth + 1);
    }
  }
  check(level.finish().ok());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  walk(DerReader(in), in, 0);
  return 0;
}
