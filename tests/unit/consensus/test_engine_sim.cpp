// The engine in the seeded discrete-event simulator (sim_harness.h, doc/consensus.md §Simulator):
// 4 and 7 validators under random delays, drops, duplicates, reordering, healing partitions,
// crash-restart from the WAL model and one equivocating validator. Every run checks agreement,
// validity, no double-sign by honest nodes and liveness after healing.
//
// Replay one seed with a trace: PHYSIS_SIM_SEED=123 PHYSIS_SIM_VALIDATORS=7 test_consensus
//   --gtest_filter='EngineSim.*'. PHYSIS_SIM_SEEDS=n changes how many seeds each test runs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "tests/unit/consensus/sim_harness.h"

using namespace physis::consensus;
using namespace physis::consensus::sim;

namespace {

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

struct Totals {
  uint64_t runs = 0, failures = 0, events = 0, heights = 0, max_round = 0, evidence = 0, byzantine_runs = 0,
           restores = 0;
};

// Runs `seeds` seeds (or only PHYSIS_SIM_SEED, traced) for `validators` validators.
Totals run_seeds(int validators, uint64_t seeds) {
  Totals t;
  const char* only = std::getenv("PHYSIS_SIM_SEED");
  if (only && static_cast<int>(env_u64("PHYSIS_SIM_VALIDATORS", 4)) != validators) return t;
  const uint64_t first = only ? env_u64("PHYSIS_SIM_SEED", 1) : 1;
  const uint64_t last = only ? first : seeds;
  for (uint64_t seed = first; seed <= last; ++seed) {
    SimConfig cfg = SimConfig::random(seed, validators);
    SimResult r = Simulator(cfg, only != nullptr).run();
    ++t.runs;
    t.events += r.events;
    t.heights += r.max_height;
    t.max_round = std::max(t.max_round, r.max_round);
    t.evidence += r.evidence_seen;
    t.restores += r.restores;
    t.byzantine_runs += cfg.byzantine >= 0;
    if (only) std::cout << r.trace;
    if (!r.ok) {
      ++t.failures;
      ADD_FAILURE() << validators << " validators, seed " << seed << ": " << r.failure
                    << "\n  replay: PHYSIS_SIM_SEED=" << seed << " PHYSIS_SIM_VALIDATORS=" << validators
                    << " test_consensus --gtest_filter='EngineSim.*'";
    }
  }
  std::cout << validators << " validators: " << t.runs << " seeds, " << t.failures << " failed, " << t.events
            << " events, " << t.heights << " heights decided, highest round " << t.max_round << ", "
            << t.evidence << " equivocations recorded in " << t.byzantine_runs
            << " runs with a Byzantine validator, " << t.restores << " restarts resumed from the WAL model\n";
  return t;
}

}  // namespace

TEST(EngineSim, FourValidatorsThousandSeeds) {
  Totals t = run_seeds(4, env_u64("PHYSIS_SIM_SEEDS", 1000));
  EXPECT_EQ(t.failures, 0u);
  if (t.runs > 100) {
    EXPECT_GT(t.evidence, 0u) << "the Byzantine validator's equivocation was never recorded";
    EXPECT_GT(t.max_round, 0u) << "no run ever needed a second round: the faults are too mild";
    EXPECT_GT(t.restores, 0u) << "no crash ever resumed a height from the WAL model";
  }
}

TEST(EngineSim, SevenValidatorsThousandSeeds) {
  Totals t = run_seeds(7, env_u64("PHYSIS_SIM_SEEDS", 1000));
  EXPECT_EQ(t.failures, 0u);
  if (t.runs > 100) {
    EXPECT_GT(t.evidence, 0u);
    EXPECT_GT(t.max_round, 0u);
    EXPECT_GT(t.restores, 0u);
  }
}

TEST(EngineSim, ASeedReplaysExactly) {
  SimConfig cfg = SimConfig::random(42, 4);
  SimResult a = Simulator(cfg, true).run();
  SimResult b = Simulator(cfg, true).run();
  EXPECT_TRUE(a.ok) << a.failure;
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.end_ms, b.end_ms);
  EXPECT_EQ(a.trace, b.trace);
}

TEST(EngineSim, CalmNetworkDecidesEveryHeightInRoundZero) {
  SimConfig cfg;
  cfg.seed = 7;
  cfg.validators = 4;
  cfg.heights_after_heal = 20;
  SimResult r = Simulator(cfg).run();
  EXPECT_TRUE(r.ok) << r.failure;
  EXPECT_GE(r.max_height, 20u);
  EXPECT_EQ(r.max_round, 0u);
}

TEST(EngineSim, LivenessCheckCanFail) {
  // A bound no network can meet: the checker must report it (it is not a check that always passes).
  SimConfig cfg;
  cfg.seed = 3;
  cfg.validators = 4;
  cfg.crashes = {{0, 0, 500}, {1, 0, 500}};
  cfg.liveness_bound_ms = 0;
  SimResult r = Simulator(cfg).run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.failure.find("liveness"), std::string::npos) << r.failure;
}

TEST(EngineSim, NodesCrashedForAWhileCatchUp) {
  SimConfig cfg;
  cfg.seed = 11;
  cfg.validators = 4;
  cfg.crashes = {{2, 100, 3000}};
  cfg.heights_after_heal = 5;
  SimResult r = Simulator(cfg).run();
  EXPECT_TRUE(r.ok) << r.failure;
}
