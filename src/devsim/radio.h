// Radio reception for physis-devsim (off chain, so doubles are fine): which devices hear a beacon and
// with what signal. A log-distance path-loss model with a fixed per-link shadowing term, the usual
// first approximation for sub-GHz IoT radio (LoRa) outdoors:
//   RSSI(d) = P_1m − 10 · n · log10(d / 1 m) + X_link,   X_link uniform in [−σ, +σ], fixed per pair,
// heard when RSSI ≥ the receiver's sensitivity. SNR = RSSI − noise floor. The reported RSSI never
// exceeds the chain's free-space bound (doc/depin.md "Proofs"), so an honest witness is never rejected
// as signal_too_strong.
#pragma once

#include <cstdint>
#include <optional>

namespace physis::devsim {

struct RadioParams {
  double rssi_at_1m_dbm = -10;          // the chain's witness_rssi_at_1m_dbm: what the beacon gives at 1 m
  double path_loss_exponent = 3.0;      // 2 in free space; 2.7–3.5 suburban
  double shadowing_db = 4;              // σ of the per-link term (walls, terrain)
  double sensitivity_dbm = -125;        // LoRa SF9/125 kHz receivers hear down to about −125 dBm
  double noise_floor_dbm = -117;        // thermal noise in 125 kHz plus a 6 dB noise figure
  int32_t chain_min_rssi_dbm = -150;    // the chain's witness_min_rssi_dbm
  int32_t chain_min_snr_db_x10 = -300;  // the chain's witness SNR range
  int32_t chain_max_snr_db_x10 = 500;
};

// What a receiver reports for one beacon it heard.
struct Reception {
  int32_t rssi_dbm = 0;
  int32_t snr_db_x10 = 0;
};

class RadioModel {
 public:
  explicit RadioModel(RadioParams p = {}) : p_(p) {}
  // The reception at `distance_m` on the link (`a`, `b`) (order does not matter: the shadowing is
  // the same both ways), or nullopt if the signal is below the receiver's sensitivity.
  std::optional<Reception> hear(uint64_t distance_m, uint64_t a, uint64_t b) const;
  // The distance beyond which no link is heard, whatever its shadowing.
  double max_range_m() const;
  const RadioParams& params() const { return p_; }

 private:
  RadioParams p_;
};

}  // namespace physis::devsim
