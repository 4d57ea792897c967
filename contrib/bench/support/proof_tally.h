// What the receipts of a set of proof transactions say (bench_depin): accepted and rejected proofs per
// kind, with the reject reasons, and the reveals' verdicts on the witnesses they judged.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "node/node.h"

namespace physis::bench {

struct ProofTally {
  std::map<std::string, uint64_t> accepted;  // by proof kind
  std::map<std::string, uint64_t> rejected;  // "kind: reason"
  uint64_t witnesses_rewarded = 0;
  std::map<std::string, uint64_t> verdicts_not_rewarded;

  // Adds the receipts of the transactions `hashes` (one not included counts as rejected).
  void read(const node::Node& node, const std::vector<Hash32>& hashes);
  // Prints the tally under `label`; false (after saying why on stderr) unless every proof was accepted,
  // every judged witness rewarded, and each kind in `required` has an accepted proof.
  bool check(const char* label, const std::vector<std::string>& required) const;
};

}  // namespace physis::bench
