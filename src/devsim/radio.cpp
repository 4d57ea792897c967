#include "devsim/radio.h"

#include <algorithm>
#include <cmath>

#include "vm/geo.h"

namespace physis::devsim {

namespace {
// A fixed value in [−1, 1] for the unordered pair (a, b): splitmix64 of the pair.
double link_unit(uint64_t a, uint64_t b) {
  uint64_t z = std::min(a, b) * 0x9E3779B97F4A7C15ULL ^ std::max(a, b);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ULL << 52) - 1.0;
}
}  // namespace

std::optional<Reception> RadioModel::hear(uint64_t distance_m, uint64_t a, uint64_t b) const {
  const double d = std::max<double>(1.0, static_cast<double>(distance_m));
  double rssi =
      p_.rssi_at_1m_dbm - 10.0 * p_.path_loss_exponent * std::log10(d) + p_.shadowing_db * link_unit(a, b);
  if (rssi < p_.sensitivity_dbm) return std::nullopt;
  // The chain's bound: rssi_at_1m − 6 dB per doubling of distance (integer log2). A real signal may
  // beat free space by luck of reflections, but then a receiver saturates; report the bound.
  const double bound = p_.rssi_at_1m_dbm - 6.0 * vm::floor_log2(std::max<uint64_t>(distance_m, 1));
  rssi = std::min(rssi, bound);
  Reception r;
  r.rssi_dbm = std::max<int32_t>(static_cast<int32_t>(std::floor(rssi)), p_.chain_min_rssi_dbm);
  const double snr_x10 = (rssi - p_.noise_floor_dbm) * 10.0;
  r.snr_db_x10 = std::clamp(static_cast<int32_t>(std::lround(snr_x10)), p_.chain_min_snr_db_x10,
                            p_.chain_max_snr_db_x10);
  return r;
}

double RadioModel::max_range_m() const {
  return std::pow(
      10.0, (p_.rssi_at_1m_dbm + p_.shadowing_db - p_.sensitivity_dbm) / (10.0 * p_.path_loss_exponent));
}

}  // namespace physis::devsim
