// The VM's narrow window on state (STYLE: the VM owns no database). Keys are typed by a one-byte
// prefix (doc/protocol.md, "State layout"); values are canonical protobuf bytes.
#pragma once

#include <map>
#include <optional>

#include "util/bytes.h"

namespace physis::vm {

// Read-only state at some block. Implementations must be safe to call from the thread that runs
// apply_block; the VM never writes through this interface.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<Bytes> get(const Bytes& key) const = 0;
};

// The writes of one block, ordered by key (so hashing it is deterministic). An empty value deletes the
// key: readers treat an empty value as absent.
using WriteSet = std::map<Bytes, Bytes>;

// Reads through pending writes, then the base state. Owns the writes; borrows the base.
class StateOverlay final : public StateReader {
 public:
  explicit StateOverlay(const StateReader& base) : base_(base) {}
  std::optional<Bytes> get(const Bytes& key) const override {
    if (auto it = writes_.find(key); it != writes_.end()) return it->second;
    return base_.get(key);
  }
  void put(Bytes key, Bytes value) { writes_[std::move(key)] = std::move(value); }
  const WriteSet& writes() const { return writes_; }
  WriteSet take_writes() { return std::move(writes_); }

 private:
  const StateReader& base_;
  WriteSet writes_;
};

// A state held in memory, for tests, genesis and benchmarks.
class MemoryState final : public StateReader {
 public:
  std::optional<Bytes> get(const Bytes& key) const override {
    if (auto it = data_.find(key); it != data_.end()) return it->second;
    return std::nullopt;
  }
  void apply(const WriteSet& writes) {
    for (const auto& [k, v] : writes) data_[k] = v;
  }

 private:
  std::map<Bytes, Bytes> data_;
};

}  // namespace physis::vm
