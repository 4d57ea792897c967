#include "tests/unit/consensus/sim_harness.h"

#include <algorithm>

namespace physis::consensus::sim {

namespace {

std::string hex8(const Hash32& h) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 4; ++i) {
    s += d[h[i] >> 4];
    s += d[h[i] & 15];
  }
  return s;
}

std::string block_str(const BlockId& b) { return b ? hex8(*b) : "nil"; }

}  // namespace

SimConfig SimConfig::random(uint64_t seed, int validators) {
  Rng r(seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(validators));
  SimConfig c;
  c.seed = seed;
  c.validators = validators;
  c.max_delay_ms = r.range(5, 60);
  c.drop_permille = static_cast<uint32_t>(r.range(0, 100));
  c.duplicate_permille = static_cast<uint32_t>(r.range(0, 100));
  if (r.chance_permille(500))
    c.byzantine = static_cast<int>(r.range(0, static_cast<uint64_t>(validators) - 1));
  const uint64_t partitions = r.range(0, 2);
  for (uint64_t i = 0; i < partitions; ++i) {
    Partition p;
    p.start_ms = r.range(0, 3000);
    p.end_ms = p.start_ms + r.range(200, 2500);
    for (int n = 0; n < validators; ++n) p.side.push_back(static_cast<int>(r.next() & 1));
    c.partitions.push_back(p);
  }
  const uint64_t crashes = r.range(0, 2);
  for (uint64_t i = 0; i < crashes; ++i) {
    Crash k;
    k.node = static_cast<int>(r.range(0, static_cast<uint64_t>(validators) - 1));
    if (k.node == c.byzantine) k.node = (k.node + 1) % validators;
    k.at_ms = r.range(0, 4000);
    k.restart_ms = k.at_ms + r.range(50, 2000);
    c.crashes.push_back(k);
  }
  return c;
}

Simulator::Simulator(SimConfig config, bool trace)
    : config_(std::move(config)), trace_(trace), rng_(config_.seed) {
  std::vector<Validator> vs;
  for (int i = 0; i < config_.validators; ++i) {
    Node n;
    n.address[0] = 0xa0;
    n.address[19] = static_cast<uint8_t>(i + 1);
    n.byzantine = i == config_.byzantine;
    vs.push_back({n.address, 10});
    nodes_.push_back(std::move(n));
  }
  auto provider = FixedValidatorSetProvider::make(ValidatorSet(vs));
  if (provider) provider_.emplace(std::move(*provider));
}

void Simulator::note(const std::string& line) {
  if (trace_) result_.trace += "t=" + std::to_string(now_) + " " + line + "\n";
}

void Simulator::fail(const std::string& why) {
  if (!result_.ok) return;
  result_.ok = false;
  result_.failure = "t=" + std::to_string(now_) + "ms: " + why;
  note("FAIL " + why);
}

void Simulator::push(Event e) {
  e.seq = seq_++;
  queue_.push(std::move(e));
}

bool Simulator::connected(int a, int b) const {
  for (const auto& p : config_.partitions)
    if (now_ >= p.start_ms && now_ < p.end_ms &&
        p.side[static_cast<size_t>(a)] != p.side[static_cast<size_t>(b)])
      return false;
  return true;
}

void Simulator::send(int from, int to, const Msg& m) {
  if (from == to || !connected(from, to) || rng_.chance_permille(config_.drop_permille)) return;
  const int copies = rng_.chance_permille(config_.duplicate_permille) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    Event e;
    e.at = now_ + rng_.range(config_.min_delay_ms, config_.max_delay_ms);
    e.kind = Kind::kDeliver;
    e.node = to;
    e.msg = m;
    push(std::move(e));
  }
}

void Simulator::broadcast(int from, const Msg& m) {
  for (int to = 0; to < config_.validators; ++to) send(from, to, m);
}

HeightValidators Simulator::validators_at(uint64_t height) { return *provider_->validators_at(height); }

Hash32 Simulator::new_block(uint64_t height, bool valid) {
  Hash32 h{};
  const uint64_t c = ++block_counter_;
  for (int i = 0; i < 8; ++i) h[static_cast<size_t>(i)] = static_cast<uint8_t>(c >> (8 * i));
  for (int i = 0; i < 8; ++i) h[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(config_.seed >> (8 * i));
  h[31] = 0xb1;
  blocks_[h] = BlockInfo{height, valid};
  return h;
}

void Simulator::start_height(int i, uint64_t height) {
  Node& n = nodes_[static_cast<size_t>(i)];
  note("node " + std::to_string(i) + " starts height " + std::to_string(height));
  apply(i, n.engine->start_height(height, validators_at(height), now_));
  std::vector<Msg> buffered;
  buffered.swap(n.next_height);
  for (const Msg& m : buffered) deliver(i, m);
}

// Carries out an engine's effects, checking the safety properties as they happen.
void Simulator::apply(int i, Output out) {
  Node& n = nodes_[static_cast<size_t>(i)];
  const uint64_t h = n.engine->height();
  for (Effect& eff : out.effects) {
    if (auto* sv = std::get_if<SignVote>(&eff)) {
      const Vote& v = sv->vote;
      note("node " + std::to_string(i) + " signs " +
           (v.type == VoteType::kPrevote ? "prevote" : "precommit") + " h" + std::to_string(v.height) + " r" +
           std::to_string(v.round) + " " + block_str(v.block));
      auto key = std::make_tuple(i, v.height, v.round, static_cast<uint8_t>(v.type));
      auto [it, fresh] = signed_votes_.emplace(key, v.block);
      if (!fresh && it->second != v.block && !n.byzantine)
        fail("honest node " + std::to_string(i) + " double-signed a vote at height " +
             std::to_string(v.height) + " round " + std::to_string(v.round));
      if (!n.byzantine) {
        broadcast(i, Msg{i, h, v});
        continue;
      }
      // Equivocate: the real vote to a random half, a conflicting one to the rest.
      Vote other = v;
      other.block = v.block ? BlockId{} : BlockId{new_block(v.height, false)};
      for (int to = 0; to < config_.validators; ++to) send(i, to, Msg{i, h, (rng_.next() & 1) ? v : other});
    } else if (auto* sp = std::get_if<SignProposal>(&eff)) {
      const Proposal& p = sp->proposal;
      note("node " + std::to_string(i) + " proposes h" + std::to_string(p.height) + " r" +
           std::to_string(p.round) + " " + hex8(p.block) + " pol " + std::to_string(p.pol_round));
      auto [it, fresh] = signed_proposals_.emplace(std::make_tuple(i, p.height, p.round), p.block);
      if (!fresh && it->second != p.block && !n.byzantine)
        fail("honest node " + std::to_string(i) + " signed two proposals at height " +
             std::to_string(p.height));
      if (!n.byzantine) {
        broadcast(i, Msg{i, h, p});
        continue;
      }
      Proposal other = p;
      other.block = new_block(p.height, rng_.chance_permille(500));
      other.pol_round = kNoRound;
      for (int to = 0; to < config_.validators; ++to) send(i, to, Msg{i, h, (rng_.next() & 1) ? p : other});
    } else if (auto* st = std::get_if<ScheduleTimeout>(&eff)) {
      Event e;
      e.at = st->deadline_ms;
      e.kind = Kind::kTimeout;
      e.node = i;
      e.incarnation = n.incarnation;
      e.timeout = st->timeout;
      push(std::move(e));
      result_.max_round = std::max<uint64_t>(result_.max_round, st->timeout.round);
    } else if (auto* vb = std::get_if<ValidateBlock>(&eff)) {
      Event e;
      e.at = now_ + rng_.range(1, 10);
      e.kind = Kind::kValidated;
      e.node = i;
      e.incarnation = n.incarnation;
      e.height = vb->height;
      e.block = vb->block;
      push(std::move(e));
    } else if (auto* bb = std::get_if<BuildBlock>(&eff)) {
      Event e;
      e.at = now_ + rng_.range(1, 10);
      e.kind = Kind::kBuilt;
      e.node = i;
      e.incarnation = n.incarnation;
      e.height = bb->height;
      e.round = bb->round;
      push(std::move(e));
    } else if (auto* cb = std::get_if<CommitBlock>(&eff)) {
      note("node " + std::to_string(i) + " commits h" + std::to_string(cb->height) + " " + hex8(cb->block));
      decide(i, cb->height, cb->round, cb->block, cb->precommits);
    } else if (std::get_if<ReportEquivocation>(&eff)) {
      if (!n.byzantine) ++result_.evidence_seen;
    }
  }
}

void Simulator::decide(int i, uint64_t height, uint32_t round, const Hash32& block,
                       const std::vector<Vote>& precommits) {
  Node& n = nodes_[static_cast<size_t>(i)];
  uint64_t power = 0;
  std::set<Address> signers;
  for (const Vote& v : precommits) {
    if (v.type != VoteType::kPrecommit || v.height != height || v.round != round || v.block != block)
      fail("commit carries a vote that is not a precommit for the block");
    if (signers.insert(v.validator).second) power += 10;
  }
  if (!more_than_two_thirds(power, 10ULL * static_cast<uint64_t>(config_.validators)))
    fail("commit without > 2/3 of the power");
  if (!n.byzantine) {
    auto [it, fresh] = agreed_.emplace(height, block);
    if (!fresh && it->second != block)
      fail("agreement: two honest nodes committed different blocks at height " + std::to_string(height));
    auto b = blocks_.find(block);
    if (b == blocks_.end() || !b->second.valid || b->second.height != height)
      fail("validity: committed a block that was not proposed as a valid block for height " +
           std::to_string(height));
  }
  if (n.decided.count(height)) return;  // synced first, then the engine got there too
  n.decided[height] = block;
  n.commits[height] = CommitMsg{height, round, block, precommits};
  result_.max_height = std::max(result_.max_height, height);
  Event e;
  e.at = now_ + config_.engine.commit_ms;
  e.kind = Kind::kStartHeight;
  e.node = i;
  e.incarnation = n.incarnation;
  e.height = height + 1;
  push(std::move(e));
}

// Block sync: a commit for the height this node is deciding, checked like verify_commit (distinct
// validators, > 2/3 of the power, all precommits for the block) and applied without the engine.
void Simulator::sync_commit(int i, const CommitMsg& c) {
  Node& n = nodes_[static_cast<size_t>(i)];
  if (n.decided.count(c.height)) return;
  uint64_t power = 0;
  std::set<Address> signers;
  for (const Vote& v : c.precommits) {
    if (v.type != VoteType::kPrecommit || v.height != c.height || v.round != c.round || v.block != c.block)
      return;
    if (signers.insert(v.validator).second) power += 10;
  }
  if (!more_than_two_thirds(power, 10ULL * static_cast<uint64_t>(config_.validators))) return;
  auto b = blocks_.find(c.block);
  if (b == blocks_.end() || !b->second.valid) return;  // validate() would refuse it
  note("node " + std::to_string(i) + " syncs h" + std::to_string(c.height) + " " + hex8(c.block));
  decide(i, c.height, c.round, c.block, c.precommits);
}

void Simulator::deliver(int i, const Msg& m) {
  Node& n = nodes_[static_cast<size_t>(i)];
  const uint64_t h = n.engine->height();
  const uint64_t mh = std::visit([](const auto& x) { return x.height; }, m.body);
  if (const auto* c = std::get_if<CommitMsg>(&m.body)) {
    note("node " + std::to_string(i) + " gets commit h" + std::to_string(mh) + " at h" + std::to_string(h));
    if (mh == h) sync_commit(i, *c);
    return;
  }
  if (mh < h) {
    // The sender is behind: hand it the commit of its height (block sync's job in the node).
    auto it = n.commits.find(mh);
    if (it != n.commits.end()) send(i, m.from, Msg{i, h, it->second});
    return;
  }
  if (mh == h + 1 || (mh == h && n.engine->step() == Step::kCommitted)) {
    if (mh == h + 1 && n.next_height.size() < 10'000) n.next_height.push_back(m);
    return;
  }
  if (mh > h + 1) return;
  if (const auto* p = std::get_if<Proposal>(&m.body))
    apply(i, n.engine->on_proposal(*p, now_));
  else if (const auto* v = std::get_if<Vote>(&m.body))
    apply(i, n.engine->on_vote(*v, now_));
}

void Simulator::handle(const Event& e) {
  Node& n = nodes_[static_cast<size_t>(e.node)];
  switch (e.kind) {
    case Kind::kCrash:
      if (!n.up) return;
      note("node " + std::to_string(e.node) + " crashes");
      n.wal = n.engine->snapshot();
      n.engine.reset();
      n.next_height.clear();
      n.up = false;
      ++n.incarnation;
      return;
    case Kind::kRestart: {
      if (n.up) return;
      n.up = true;
      n.engine.emplace(config_.engine, n.address);
      const uint64_t last = n.decided.empty() ? 0 : n.decided.rbegin()->first;
      note("node " + std::to_string(e.node) + " restarts; decided up to " + std::to_string(last));
      if (n.wal && n.wal->height > last && n.wal->step != Step::kCommitted) {
        ++result_.restores;
        apply(e.node, n.engine->restore(*n.wal, validators_at(n.wal->height), now_));
      } else {
        start_height(e.node, last + 1);
      }
      Event g;
      g.at = now_ + config_.gossip_ms;
      g.kind = Kind::kGossip;
      g.node = e.node;
      g.incarnation = n.incarnation;
      push(g);
      return;
    }
    default: break;
  }
  if (!n.up) return;
  // Timers and pending answers die with the process; messages on the wire do not.
  if (e.kind != Kind::kDeliver && e.incarnation != n.incarnation) return;
  switch (e.kind) {
    case Kind::kDeliver: deliver(e.node, e.msg); return;
    case Kind::kTimeout: apply(e.node, n.engine->on_timeout(e.timeout, now_)); return;
    case Kind::kValidated: {
      auto b = blocks_.find(e.block);
      const bool valid = b != blocks_.end() && b->second.valid && b->second.height == e.height;
      apply(e.node, n.engine->on_block_validated(e.height, e.block, valid, now_));
      return;
    }
    case Kind::kBuilt: {
      const bool valid = !n.byzantine || rng_.chance_permille(500);
      apply(e.node, n.engine->on_block_built(e.height, e.round, new_block(e.height, valid), now_));
      return;
    }
    case Kind::kStartHeight:
      if (n.engine->height() + 1 == e.height) start_height(e.node, e.height);
      return;
    case Kind::kGossip: {
      const uint64_t h = n.engine->height();
      if (n.engine->step() != Step::kCommitted) {
        // Own votes of every round, and (relaying, as the paper's correct processes do) the proposal
        // and all votes of the rounds a peer needs: the current one and those of the locked, valid
        // and proof-of-lock rounds.
        const Engine& eng = *n.engine;
        EngineSnapshot s = eng.snapshot();
        for (const Vote& v : s.own_votes) broadcast(e.node, Msg{e.node, h, v});
        std::set<uint32_t> rounds = {eng.round()};
        if (eng.locked_round() >= 0) rounds.insert(static_cast<uint32_t>(eng.locked_round()));
        if (eng.valid_round() >= 0) rounds.insert(static_cast<uint32_t>(eng.valid_round()));
        auto cur = eng.proposals().find(eng.round());
        if (cur != eng.proposals().end()) {
          broadcast(e.node, Msg{e.node, h, cur->second});
          if (cur->second.pol_round >= 0) rounds.insert(static_cast<uint32_t>(cur->second.pol_round));
        }
        for (uint32_t r : rounds)
          for (VoteType t : {VoteType::kPrevote, VoteType::kPrecommit})
            if (const VoteSet* vs = eng.votes()->get(t, r))
              for (const auto& [key, v] : vs->all_votes())
                if (v.validator != n.address) broadcast(e.node, Msg{e.node, h, v});
      }
      Event g = e;
      g.at = now_ + config_.gossip_ms;
      push(g);
      return;
    }
    case Kind::kCrash:
    case Kind::kRestart: return;
  }
}

uint64_t Simulator::honest_min_height() const {
  uint64_t m = UINT64_MAX;
  for (const Node& n : nodes_)
    if (!n.byzantine) m = std::min<uint64_t>(m, n.decided.empty() ? 0 : n.decided.rbegin()->first);
  return m;
}

uint64_t Simulator::honest_max_height() const {
  uint64_t m = 0;
  for (const Node& n : nodes_)
    if (!n.byzantine && !n.decided.empty()) m = std::max(m, n.decided.rbegin()->first);
  return m;
}

SimResult Simulator::run() {
  if (!provider_) {
    fail("bad validator set");
    return result_;
  }
  for (int i = 0; i < config_.validators; ++i) {
    Node& n = nodes_[static_cast<size_t>(i)];
    n.engine.emplace(config_.engine, n.address);
    start_height(i, 1);
    Event g;
    g.at = config_.gossip_ms + static_cast<uint64_t>(i);
    g.kind = Kind::kGossip;
    g.node = i;
    push(g);
  }
  for (const Crash& c : config_.crashes) {
    Event e;
    e.at = c.at_ms;
    e.kind = Kind::kCrash;
    e.node = c.node;
    push(e);
    e.at = c.restart_ms;
    e.kind = Kind::kRestart;
    push(e);
  }
  const uint64_t heal = config_.heal_ms();
  std::optional<uint64_t> target;
  while (result_.ok && !queue_.empty()) {
    Event e = queue_.top();
    queue_.pop();
    now_ = e.at;
    if (!target && now_ >= heal) target = honest_max_height() + config_.heights_after_heal;
    if (target && honest_min_height() >= *target) break;
    if (now_ > heal + config_.liveness_bound_ms) {
      fail("liveness: honest nodes at heights " + std::to_string(honest_min_height()) + ".." +
           std::to_string(honest_max_height()) + ", not all at " + std::to_string(target.value_or(0)) + " " +
           std::to_string(config_.liveness_bound_ms) + " ms after healing");
      break;
    }
    ++result_.events;
    handle(e);
  }
  result_.end_ms = now_;
  return result_;
}

}  // namespace physis::consensus::sim
