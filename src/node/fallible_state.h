// A StateReader over storage that can fail (I/O error, corruption).
#pragma once

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

}  // namespace physis::node
