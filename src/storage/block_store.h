// BlockStore: the one owner of LevelDB (STYLE). Holds blocks, their commits, receipts, the tx index
// and the current state, under typed key prefixes (doc/protocol.md, "Storage layout").
//
// Durability (DESIGN §4): everything a block changes is written in ONE synced LevelDB write batch, so a
// crash at any instant leaves either the old or the new block, never half of one.
//
// Thread-safety: all methods may be called concurrently (LevelDB is internally synchronised). Readers
// always see whole blocks. Only one thread should call commit_block / init_genesis.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace leveldb {
class DB;
class Cache;
class FilterPolicy;
class Snapshot;
}  // namespace leveldb

namespace physis::storage {

struct ChainTip {
  uint64_t height = 0;
  Hash32 hash{};
  Hash32 state_root{};
  uint64_t time_ms = 0;
};

// Everything one block adds, committed atomically.
struct BlockWrite {
  ChainTip tip;                         // the new tip (this block)
  Bytes block;                          // canonical pb::Block bytes
  Bytes commit;                         // canonical pb::Commit for this block (its "seen commit")
  Bytes receipts;                       // canonical pb::BlockReceipts bytes
  std::vector<Hash32> txs;              // tx hashes in block order, for the tx index
  std::map<Bytes, Bytes> state_writes;  // state key → value (empty value: delete)
  std::vector<std::pair<Bytes, Bytes>>
      index_writes;  // explorer indexes outside consensus state (proof results)
};

using KeyValues = std::vector<std::pair<Bytes, Bytes>>;

// How the database is opened. Options struct in the core; physisd fills it (STYLE).
struct StoreOptions {
  // Table files LevelDB keeps open (its table cache), which is most of the descriptors the store uses; the
  // store needs about kStoreExtraFiles more (log, manifest, lock, info log). physisd plans it against
  // RLIMIT_NOFILE. LevelDB's own default is 1000.
  int max_open_files = 1000;
};
// Accepted range of StoreOptions::max_open_files (LevelDB would silently clip values outside it).
inline constexpr int kMinOpenFiles = 74;
inline constexpr int kMaxOpenFiles = 50000;
// Descriptors the store holds besides its table files.
inline constexpr int kStoreExtraFiles = 8;

class BlockStore {
 public:
  // Opens (creating if missing) the database in `dir`. Error "storage" says why (e.g. locked by
  // another physisd, corrupt, permission denied, or max_open_files outside [kMinOpenFiles, kMaxOpenFiles]).
  static Result<std::unique_ptr<BlockStore>> open(const std::string& dir, const StoreOptions& options = {});
  ~BlockStore();
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  // Reads. nullopt means the key is absent (LevelDB NotFound). Error "storage" means the read failed: an
  // I/O error, a checksum mismatch or another LevelDB error, or a stored value of the wrong size; the
  // message names the key space and says to restore or resync. A failed read is never reported as absent.
  template <typename T>
  using Lookup = Result<std::optional<T>>;

  // The genesis hash the datadir was made with, or nullopt for a fresh datadir.
  Lookup<Hash32> genesis_hash() const;
  // Writes genesis (block 0, its state) in one synced batch. Only for a fresh datadir.
  Status init_genesis(const Hash32& genesis_hash, const BlockWrite& genesis);
  // Appends the next block. Its height must be tip+1 (checked; error "storage").
  Status commit_block(const BlockWrite& write);
  // Appends consecutive blocks tip+1, tip+2, ... in ONE synced batch (block sync groups blocks so that
  // it pays one disk sync per group, not per block): after a crash either all of them are stored or
  // none. Heights checked; error "storage".
  Status commit_blocks(const std::vector<BlockWrite>& writes);
  // The same for blocks the caller keeps elsewhere (block sync writes held blocks in the background
  // without copying them). The pointers must stay valid for the call.
  Status commit_block_ptrs(const std::vector<const BlockWrite*>& writes);

  // A consistent view of the store as it was when taken: every block is one write batch, so the view
  // holds whole blocks, its tip and that tip's state together, while later blocks commit beside it
  // (a long read through it holds no lock of the writer's). Must not outlive the store.
  class ReadView {
   public:
    ReadView() = default;  // no view: the reads below then see the latest data
   private:
    friend class BlockStore;
    std::shared_ptr<const leveldb::Snapshot> snapshot_;
  };
  ReadView read_view() const;

  Lookup<ChainTip> tip(const ReadView& at = {}) const;
  Lookup<Bytes> get_state(const Bytes& key, const ReadView& at = {}) const;
  Lookup<Bytes> block_at(uint64_t height) const;
  Lookup<uint64_t> height_of(const Hash32& block_hash) const;
  Lookup<Bytes> commit_at(uint64_t height) const;
  Lookup<Bytes> receipts_at(uint64_t height) const;
  struct TxLocation {
    uint64_t height = 0;
    uint32_t index = 0;
  };
  Lookup<TxLocation> tx_location(const Hash32& tx_hash) const;

  // Up to `limit` entries whose key starts with `prefix` and sorts after `start_after` (empty: from
  // the first), in key order; keys are returned without the storage's own prefix. Sees whole blocks only.
  // Error "storage" when the iteration hit a read error (then no partial result is returned).
  Result<KeyValues> scan_state(const Bytes& prefix, const Bytes& start_after, size_t limit,
                               const ReadView& at = {}) const;
  Result<KeyValues> scan_index(const Bytes& prefix, const Bytes& start_after, size_t limit) const;
  Lookup<Bytes> get_index(const Bytes& key) const;

 private:
  BlockStore() = default;
  Lookup<Bytes> get(const Bytes& key, const ReadView& at = {}) const;
  Status append_blocks(const std::vector<const BlockWrite*>& writes);
  Status write_blocks(const std::vector<const BlockWrite*>& writes, const Hash32* genesis_hash);
  Result<KeyValues> scan(uint8_t space, const Bytes& prefix, const Bytes& start_after, size_t limit,
                         const ReadView& at = {}) const;

  // Declared before db_ so they outlive it: LevelDB borrows them.
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace physis::storage
