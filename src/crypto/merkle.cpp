#include "crypto/merkle.h"

#include "crypto/keccak.h"

namespace physis::crypto {

Hash32 merkle_leaf_hash(ByteSpan data) {
  const uint8_t tag = 0x00;
  return Keccak256().update({&tag, 1}).update(data).finish();
}

Hash32 merkle_inner_hash(const Hash32& left, const Hash32& right) {
  const uint8_t tag = 0x01;
  return Keccak256().update({&tag, 1}).update(left).update(right).finish();
}

Hash32 merkle_root(std::vector<Hash32> level) {
  if (level.empty()) return keccak256({});
  while (level.size() > 1) {
    std::vector<Hash32> next;
    next.reserve((level.size() + 1) / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2)
      next.push_back(merkle_inner_hash(level[i], level[i + 1]));
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
  }
  return level[0];
}

}  // namespace physis::crypto
