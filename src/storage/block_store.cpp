#include "storage/block_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <cstring>

namespace physis::storage {

namespace {
// Key prefixes. Never change: they are the on-disk format.
constexpr uint8_t kMeta = 'M';
constexpr uint8_t kBlock = 'B';
constexpr uint8_t kHashIndex = 'H';
constexpr uint8_t kCommit = 'C';
constexpr uint8_t kReceipts = 'R';
constexpr uint8_t kTxIndex = 'T';
constexpr uint8_t kState = 'S';
constexpr uint8_t kIndex = 'I';

Bytes key_of(uint8_t prefix, ByteSpan rest) {
  Bytes k(1 + rest.size());
  k[0] = prefix;
  if (!rest.empty()) std::memcpy(k.data() + 1, rest.data(), rest.size());
  return k;
}
Bytes height_key(uint8_t prefix, uint64_t height) {
  Bytes h;
  append_u64_be(h, height);
  return key_of(prefix, h);
}
Bytes meta_key(std::string_view name) { return key_of(kMeta, as_span(name)); }
leveldb::Slice slice(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

Bytes encode_tip(const ChainTip& t) {
  Bytes out;
  append_u64_be(out, t.height);
  append(out, t.hash);
  append(out, t.state_root);
  append_u64_be(out, t.time_ms);
  return out;
}
}  // namespace

BlockStore::~BlockStore() = default;

Result<std::unique_ptr<BlockStore>> BlockStore::open(const std::string& dir) {
  std::unique_ptr<BlockStore> store(new BlockStore());
  // Bloom filters make lookups of absent keys (new accounts, unrevoked keys) cheap; the block cache
  // keeps hot state (devices, accounts) in memory.
  store->filter_.reset(leveldb::NewBloomFilterPolicy(10));
  store->cache_.reset(leveldb::NewLRUCache(128 << 20));
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.write_buffer_size = 32 << 20;
  options.filter_policy = store->filter_.get();
  options.block_cache = store->cache_.get();
  leveldb::DB* db = nullptr;
  leveldb::Status st = leveldb::DB::Open(options, dir, &db);
  if (!st.ok()) return make_error("storage", "cannot open database in " + dir + ": " + st.ToString());
  store->db_.reset(db);
  return store;
}

std::optional<Bytes> BlockStore::get(const Bytes& key) const {
  std::string value;
  leveldb::Status st = db_->Get(leveldb::ReadOptions(), slice(key), &value);
  if (!st.ok()) return std::nullopt;
  return Bytes(value.begin(), value.end());
}

std::optional<Hash32> BlockStore::genesis_hash() const {
  auto v = get(meta_key("genesis"));
  if (!v || v->size() != 32) return std::nullopt;
  Hash32 h{};
  std::memcpy(h.data(), v->data(), 32);
  return h;
}

std::optional<ChainTip> BlockStore::tip() const {
  auto v = get(meta_key("tip"));
  if (!v || v->size() != 80) return std::nullopt;
  ChainTip t;
  t.height = read_u64_be(*v);
  std::memcpy(t.hash.data(), v->data() + 8, 32);
  std::memcpy(t.state_root.data(), v->data() + 40, 32);
  t.time_ms = read_u64_be(ByteSpan(*v).subspan(72));
  return t;
}

Status BlockStore::init_genesis(const Hash32& genesis_hash, const BlockWrite& genesis) {
  if (this->genesis_hash()) return make_error("storage", "datadir already holds a chain");
  return write_block(genesis, &genesis_hash);
}

Status BlockStore::commit_block(const BlockWrite& write) {
  auto current = tip();
  if (!current) return make_error("storage", "no genesis in the datadir");
  if (write.tip.height != current->height + 1)
    return make_error("storage", "block height " + std::to_string(write.tip.height) +
                                     " does not follow tip " + std::to_string(current->height));
  return write_block(write, nullptr);
}

Status BlockStore::write_block(const BlockWrite& w, const Hash32* genesis_hash) {
  leveldb::WriteBatch batch;
  const uint64_t h = w.tip.height;
  batch.Put(slice(height_key(kBlock, h)), slice(w.block));
  Bytes height_be;
  append_u64_be(height_be, h);
  batch.Put(slice(key_of(kHashIndex, w.tip.hash)), slice(height_be));
  if (!w.commit.empty()) batch.Put(slice(height_key(kCommit, h)), slice(w.commit));
  batch.Put(slice(height_key(kReceipts, h)), slice(w.receipts));
  for (size_t i = 0; i < w.txs.size(); ++i) {
    Bytes loc = height_be;
    append_u32_be(loc, static_cast<uint32_t>(i));
    batch.Put(slice(key_of(kTxIndex, w.txs[i])), slice(loc));
  }
  // An empty value means the key is absent (vm/state.h): delete it.
  for (const auto& [k, v] : w.state_writes) {
    if (v.empty())
      batch.Delete(slice(key_of(kState, k)));
    else
      batch.Put(slice(key_of(kState, k)), slice(v));
  }
  for (const auto& [k, v] : w.index_writes) batch.Put(slice(key_of(kIndex, k)), slice(v));
  batch.Put(slice(meta_key("tip")), slice(encode_tip(w.tip)));
  if (genesis_hash) {
    Bytes g(genesis_hash->begin(), genesis_hash->end());
    batch.Put(slice(meta_key("genesis")), slice(g));
  }
  leveldb::WriteOptions options;
  options.sync = true;
  leveldb::Status st = db_->Write(options, &batch);
  if (!st.ok())
    return make_error("storage", "write of block " + std::to_string(h) + " failed: " + st.ToString());
  return ok_status();
}

KeyValues BlockStore::scan(uint8_t space, const Bytes& prefix, const Bytes& start_after, size_t limit) const {
  KeyValues out;
  const Bytes full_prefix = key_of(space, prefix);
  Bytes start = start_after.empty() ? full_prefix : key_of(space, start_after);
  leveldb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(slice(start)); it->Valid() && out.size() < limit; it->Next()) {
    leveldb::Slice k = it->key();
    if (k.size() < full_prefix.size() || std::memcmp(k.data(), full_prefix.data(), full_prefix.size()) != 0)
      break;
    Bytes key(k.data() + 1, k.data() + k.size());
    if (!start_after.empty() && key == start_after) continue;
    leveldb::Slice v = it->value();
    out.emplace_back(std::move(key), Bytes(v.data(), v.data() + v.size()));
  }
  return out;
}

KeyValues BlockStore::scan_state(const Bytes& prefix, const Bytes& start_after, size_t limit) const {
  return scan(kState, prefix, start_after, limit);
}
KeyValues BlockStore::scan_index(const Bytes& prefix, const Bytes& start_after, size_t limit) const {
  return scan(kIndex, prefix, start_after, limit);
}
std::optional<Bytes> BlockStore::get_index(const Bytes& key) const { return get(key_of(kIndex, key)); }

std::optional<Bytes> BlockStore::get_state(const Bytes& key) const { return get(key_of(kState, key)); }
std::optional<Bytes> BlockStore::block_at(uint64_t height) const { return get(height_key(kBlock, height)); }
std::optional<Bytes> BlockStore::commit_at(uint64_t height) const { return get(height_key(kCommit, height)); }
std::optional<Bytes> BlockStore::receipts_at(uint64_t height) const {
  return get(height_key(kReceipts, height));
}

std::optional<uint64_t> BlockStore::height_of(const Hash32& block_hash) const {
  auto v = get(key_of(kHashIndex, block_hash));
  if (!v || v->size() != 8) return std::nullopt;
  return read_u64_be(*v);
}

std::optional<BlockStore::TxLocation> BlockStore::tx_location(const Hash32& tx_hash) const {
  auto v = get(key_of(kTxIndex, tx_hash));
  if (!v || v->size() != 12) return std::nullopt;
  TxLocation loc;
  loc.height = read_u64_be(*v);
  loc.index = static_cast<uint32_t>((*v)[8]) << 24 | static_cast<uint32_t>((*v)[9]) << 16 |
              static_cast<uint32_t>((*v)[10]) << 8 | (*v)[11];
  return loc;
}

}  // namespace physis::storage
