// A StateReader over storage that can fail (I/O error, corruption).
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "storage/block_store.h"
#include "util/result.h"
#include "vm/state.h"

namespace physis::node {

// The VM's StateReader has no error channel, so an implementation returns nullopt to the VM for a read
// that failed and records the failure; whoever ran the VM over it must check status() and discard what
// the VM computed (a missing account reads as a zero balance, which an I/O error must never become).
// Implementations must be thread-safe.
class FallibleStateReader : public vm::StateReader {
 public:
  // Ok, or the first read failure since construction.
  virtual Status status() const = 0;
};

// The BlockStore's committed state as a FallibleStateReader (a failed read is logged, returned as
// absent and recorded). With `pending` (blocks executed but not yet written, oldest first), their state
// writes are read over the store's, newest first. Thread-safe; valid while the store (and pending) live.
class StoreState final : public FallibleStateReader {
 public:
  explicit StoreState(const storage::BlockStore& store,
                      const std::deque<storage::BlockWrite>* pending = nullptr)
      : store_(store), pending_(pending) {}
  std::optional<Bytes> get(const Bytes& key) const override;
  Status status() const override;

 private:
  const storage::BlockStore& store_;
  const std::deque<storage::BlockWrite>* pending_;
  mutable std::mutex mutex_;
  mutable std::optional<Error> failure_;
};

}  // namespace physis::node
