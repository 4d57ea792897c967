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

// Human name of a key space, for error messages.
std::string space_name(uint8_t space) {
  switch (space) {
    case kMeta: return "metadata";
    case kBlock: return "block";
    case kHashIndex: return "block hash index";
    case kCommit: return "commit";
    case kReceipts: return "receipts";
    case kTxIndex: return "tx index";
    case kState: return "state";
    case kIndex: return "explorer index";
  }
  return "unknown key space";
}

Error read_error(uint8_t space, const std::string& what) {
  return make_error("storage", "datadir unreadable: " + space_name(space) + " record: " + what +
                                   "; check the disk, then restore the datadir from a backup or resync");
}

// A stored value of a fixed-size record has the wrong size: corruption.
Error bad_size(const Bytes& key, size_t size, size_t expected) {
  return read_error(key.empty() ? 0 : key[0],
                    "value of " + std::to_string(size) + " bytes, expected " + std::to_string(expected));
}

leveldb::ReadOptions read_options(const leveldb::Snapshot* at = nullptr) {
  leveldb::ReadOptions options;
  // Reads from disk check block checksums, so a damaged file is an error, not garbage or "absent".
  options.verify_checksums = true;
  options.snapshot = at;
  return options;
}

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

Result<std::unique_ptr<BlockStore>> BlockStore::open(const std::string& dir,
                                                     const StoreOptions& store_options) {
  if (store_options.max_open_files < kMinOpenFiles || store_options.max_open_files > kMaxOpenFiles) {
    return make_error("storage", "max_open_files must be from " + std::to_string(kMinOpenFiles) + " to " +
                                     std::to_string(kMaxOpenFiles) + ", got " +
                                     std::to_string(store_options.max_open_files));
  }
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
  options.max_open_files = store_options.max_open_files;
  leveldb::DB* db = nullptr;
  leveldb::Status st = leveldb::DB::Open(options, dir, &db);
  if (!st.ok()) return make_error("storage", "cannot open database in " + dir + ": " + st.ToString());
  store->db_.reset(db);
  return store;
}

BlockStore::ReadView BlockStore::read_view() const {
  ReadView view;
  leveldb::DB* db = db_.get();
  view.snapshot_ = std::shared_ptr<const leveldb::Snapshot>(
      db->GetSnapshot(), [db](const leveldb::Snapshot* s) { db->ReleaseSnapshot(s); });
  return view;
}

BlockStore::Lookup<Bytes> BlockStore::get(const Bytes& key, const ReadView& at) const {
  std::string value;
  leveldb::Status st = db_->Get(read_options(at.snapshot_.get()), slice(key), &value);
  if (st.IsNotFound()) return std::optional<Bytes>();
  if (!st.ok()) return read_error(key.empty() ? 0 : key[0], st.ToString());
  return std::optional<Bytes>(Bytes(value.begin(), value.end()));
}

BlockStore::Lookup<Hash32> BlockStore::genesis_hash() const {
  const Bytes key = meta_key("genesis");
  auto v = get(key);
  if (!v) return v.error();
  if (!*v) return std::optional<Hash32>();
  if ((*v)->size() != 32) return bad_size(key, (*v)->size(), 32);
  Hash32 h{};
  std::memcpy(h.data(), (*v)->data(), 32);
  return std::optional<Hash32>(h);
}

BlockStore::Lookup<ChainTip> BlockStore::tip(const ReadView& at) const {
  const Bytes key = meta_key("tip");
  auto v = get(key, at);
  if (!v) return v.error();
  if (!*v) return std::optional<ChainTip>();
  const Bytes& b = **v;
  if (b.size() != 80) return bad_size(key, b.size(), 80);
  ChainTip t;
  t.height = read_u64_be(b);
  std::memcpy(t.hash.data(), b.data() + 8, 32);
  std::memcpy(t.state_root.data(), b.data() + 40, 32);
  t.time_ms = read_u64_be(ByteSpan(b).subspan(72));
  return std::optional<ChainTip>(t);
}

Status BlockStore::init_genesis(const Hash32& genesis_hash, const BlockWrite& genesis) {
  auto existing = this->genesis_hash();
  if (!existing) return existing.error();
  if (*existing) return make_error("storage", "datadir already holds a chain");
  return write_blocks({&genesis}, &genesis_hash);
}

Status BlockStore::commit_block(const BlockWrite& write) { return append_blocks({&write}); }

Status BlockStore::commit_blocks(const std::vector<BlockWrite>& writes) {
  std::vector<const BlockWrite*> all;
  all.reserve(writes.size());
  for (const auto& w : writes) all.push_back(&w);
  return append_blocks(all);
}

Status BlockStore::commit_block_ptrs(const std::vector<const BlockWrite*>& writes) {
  return append_blocks(writes);
}

Status BlockStore::append_blocks(const std::vector<const BlockWrite*>& writes) {
  if (writes.empty()) return ok_status();
  auto read = tip();
  if (!read) return read.error();
  const std::optional<ChainTip>& current = *read;
  if (!current) return make_error("storage", "no genesis in the datadir");
  uint64_t expected = current->height + 1;
  for (const BlockWrite* w : writes) {
    if (w->tip.height != expected)
      return make_error("storage", "block height " + std::to_string(w->tip.height) + " does not follow tip " +
                                       std::to_string(expected - 1));
    ++expected;
  }
  return write_blocks(writes, nullptr);
}

Status BlockStore::write_blocks(const std::vector<const BlockWrite*>& writes, const Hash32* genesis_hash) {
  leveldb::WriteBatch batch;
  for (const BlockWrite* block : writes) {
    const BlockWrite& w = *block;
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
    batch.Put(slice(meta_key("tip")), slice(encode_tip(w.tip)));  // the last block's tip wins
  }
  if (genesis_hash) {
    Bytes g(genesis_hash->begin(), genesis_hash->end());
    batch.Put(slice(meta_key("genesis")), slice(g));
  }
  leveldb::WriteOptions options;
  options.sync = true;
  leveldb::Status st = db_->Write(options, &batch);
  if (!st.ok())
    return make_error("storage", "write of block " + std::to_string(writes.back()->tip.height) +
                                     " failed: " + st.ToString());
  return ok_status();
}

Result<KeyValues> BlockStore::scan(uint8_t space, const Bytes& prefix, const Bytes& start_after, size_t limit,
                                   const ReadView& at) const {
  KeyValues out;
  const Bytes full_prefix = key_of(space, prefix);
  Bytes start = start_after.empty() ? full_prefix : key_of(space, start_after);
  leveldb::ReadOptions options = read_options(at.snapshot_.get());
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
  // An iterator stops (Valid() false) on a read error as well as at the end: tell them apart.
  if (!it->status().ok()) return read_error(space, it->status().ToString());
  return out;
}

Result<KeyValues> BlockStore::scan_state(const Bytes& prefix, const Bytes& start_after, size_t limit,
                                         const ReadView& at) const {
  return scan(kState, prefix, start_after, limit, at);
}
Result<KeyValues> BlockStore::scan_index(const Bytes& prefix, const Bytes& start_after, size_t limit) const {
  return scan(kIndex, prefix, start_after, limit);
}
BlockStore::Lookup<Bytes> BlockStore::get_index(const Bytes& key) const { return get(key_of(kIndex, key)); }

BlockStore::Lookup<Bytes> BlockStore::get_state(const Bytes& key, const ReadView& at) const {
  return get(key_of(kState, key), at);
}
BlockStore::Lookup<Bytes> BlockStore::block_at(uint64_t height) const {
  return get(height_key(kBlock, height));
}
BlockStore::Lookup<Bytes> BlockStore::commit_at(uint64_t height) const {
  return get(height_key(kCommit, height));
}
BlockStore::Lookup<Bytes> BlockStore::receipts_at(uint64_t height) const {
  return get(height_key(kReceipts, height));
}

BlockStore::Lookup<uint64_t> BlockStore::height_of(const Hash32& block_hash) const {
  const Bytes key = key_of(kHashIndex, block_hash);
  auto v = get(key);
  if (!v) return v.error();
  if (!*v) return std::optional<uint64_t>();
  if ((*v)->size() != 8) return bad_size(key, (*v)->size(), 8);
  return std::optional<uint64_t>(read_u64_be(**v));
}

BlockStore::Lookup<BlockStore::TxLocation> BlockStore::tx_location(const Hash32& tx_hash) const {
  const Bytes key = key_of(kTxIndex, tx_hash);
  auto v = get(key);
  if (!v) return v.error();
  if (!*v) return std::optional<TxLocation>();
  const Bytes& b = **v;
  if (b.size() != 12) return bad_size(key, b.size(), 12);
  TxLocation loc;
  loc.height = read_u64_be(b);
  loc.index = static_cast<uint32_t>(b[8]) << 24 | static_cast<uint32_t>(b[9]) << 16 |
              static_cast<uint32_t>(b[10]) << 8 | b[11];
  return std::optional<TxLocation>(loc);
}

}  // namespace physis::storage
