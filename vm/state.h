// The VM's narrow window on state (STYLE: the VM owns no database). Keys are typed by a one-byte
// prefix (doc/protocol.md, "State layout"); values are canonical protobuf bytes.
#pragma once

#include <map>
#include <optional>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace physis::vm {

// Read-only state at some block. Implementations must be safe to call from the thread that runs
// apply_block; the VM never writes through this interface.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<Bytes> get(const Bytes& key) const = 0;
  // Called by the record loaders (vm/accounts.h, vm/depin_state.h) when a stored value under `key` does
  // not decode canonically: a corrupt database or a bug, never a default value. Readers that execute
  // consensus (StateOverlay) record it so that the block fails; the default ignores it, and the loader
  // then reports the record as absent to its caller (RPC, tools).
  virtual void report_corrupt(const Bytes& key, std::string_view what) const {
    (void)key;
    (void)what;
  }
};

// The writes of one block, ordered by key (so hashing it is deterministic). An empty value deletes the
// key: readers treat an empty value as absent.
using WriteSet = std::map<Bytes, Bytes>;

// Reads through pending writes, then the base state. Owns the writes; borrows the base.
//
// It also holds the block's consensus fault: the first corrupt record read through it, or the first
// balance or supply addition that would overflow. A faulted overlay's writes must never be committed:
// whoever drives the block (apply_block) checks fault() after the last transaction and returns it as
// the block's error.
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

  // Error code "corrupt_state"; the message names the record and the key (hex).
  void report_corrupt(const Bytes& key, std::string_view what) const override {
    if (!fault_)
      fault_ = make_error("corrupt_state",
                          std::string(what) + " at key " + to_hex(key) + " does not decode canonically");
  }
  // Records a fault found by execution (e.g. code "supply_overflow"); the first one is kept.
  void set_fault(Error error) {
    if (!fault_) fault_ = std::move(error);
  }
  // nullopt while the block is sound.
  const std::optional<Error>& fault() const { return fault_; }

 private:
  const StateReader& base_;
  WriteSet writes_;
  mutable std::optional<Error> fault_;  // mutable: found while reading, through the const reader interface
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
