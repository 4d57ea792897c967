#include "node/engine_snapshot.h"

#include <algorithm>
#include <array>

namespace physis::node {

namespace {

void put_opt_hash(Bytes& out, const std::optional<Hash32>& h) {
  out.push_back(h ? 1 : 0);
  append(out, h.value_or(Hash32{}));
}

// A bounds-checked reader over a WAL record.
struct Reader {
  ByteSpan in;
  size_t pos = 0;
  bool ok = true;
  bool need(size_t n) {
    if (!ok || in.size() - pos < n) ok = false;
    return ok;
  }
  uint8_t u8() { return need(1) ? in[pos++] : 0; }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | in[pos++];
    return v;
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    const uint64_t v = read_u64_be(in.subspan(pos, 8));
    pos += 8;
    return v;
  }
  template <size_t N>
  std::array<uint8_t, N> fixed() {
    std::array<uint8_t, N> a{};
    if (!need(N)) return a;
    std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(pos), N, a.begin());
    pos += N;
    return a;
  }
  std::optional<Hash32> opt_hash() {
    const bool has = u8() != 0;
    const Hash32 h = fixed<32>();
    return has ? std::optional<Hash32>(h) : std::nullopt;
  }
};

}  // namespace

Bytes encode_snapshot(const consensus::EngineSnapshot& s) {
  Bytes out;
  out.push_back('S');
  append_u64_be(out, s.height);
  append_u32_be(out, s.round);
  out.push_back(static_cast<uint8_t>(s.step));
  put_opt_hash(out, s.locked_block);
  append_u64_be(out, static_cast<uint64_t>(s.locked_round));
  put_opt_hash(out, s.valid_block);
  append_u64_be(out, static_cast<uint64_t>(s.valid_round));
  append_u32_be(out, static_cast<uint32_t>(s.own_votes.size()));
  for (const auto& v : s.own_votes) {
    out.push_back(static_cast<uint8_t>(v.type));
    append_u64_be(out, v.height);
    append_u32_be(out, v.round);
    put_opt_hash(out, v.block);
    append(out, v.validator);
  }
  append_u32_be(out, static_cast<uint32_t>(s.own_proposals.size()));
  for (const auto& p : s.own_proposals) {
    append_u64_be(out, p.height);
    append_u32_be(out, p.round);
    append(out, p.block);
    append_u64_be(out, static_cast<uint64_t>(p.pol_round));
    append(out, p.proposer);
  }
  return out;
}

std::optional<consensus::EngineSnapshot> decode_snapshot(ByteSpan bytes) {
  Reader r{bytes};
  if (r.u8() != 'S') return std::nullopt;
  consensus::EngineSnapshot s;
  s.height = r.u64();
  s.round = r.u32();
  const uint8_t step = r.u8();
  if (step < 1 || step > 4) return std::nullopt;
  s.step = static_cast<consensus::Step>(step);
  s.locked_block = r.opt_hash();
  s.locked_round = static_cast<int64_t>(r.u64());
  s.valid_block = r.opt_hash();
  s.valid_round = static_cast<int64_t>(r.u64());
  const uint32_t votes = r.u32();
  for (uint32_t i = 0; i < votes && r.ok; ++i) {
    consensus::Vote v;
    const uint8_t type = r.u8();
    if (type != 1 && type != 2) return std::nullopt;
    v.type = static_cast<consensus::VoteType>(type);
    v.height = r.u64();
    v.round = r.u32();
    v.block = r.opt_hash();
    v.validator = r.fixed<20>();
    s.own_votes.push_back(v);
  }
  const uint32_t proposals = r.u32();
  for (uint32_t i = 0; i < proposals && r.ok; ++i) {
    consensus::Proposal p;
    p.height = r.u64();
    p.round = r.u32();
    p.block = r.fixed<32>();
    p.pol_round = static_cast<int64_t>(r.u64());
    p.proposer = r.fixed<20>();
    s.own_proposals.push_back(p);
  }
  if (!r.ok || r.pos != bytes.size()) return std::nullopt;
  return s;
}

}  // namespace physis::node
