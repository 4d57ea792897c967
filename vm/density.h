// Density of active devices on an integer lat/lon grid (doc/depin.md "Density"), kept incrementally in
// state: one counter per occupied cell, changed by O(1) writes when a device with a lat/lon location
// registers, moves or is deactivated. Coverage weight is scaled down in crowded cells (HIP-17's idea
// without H3's floating point). Deterministic: integer division only.
#pragma once

#include <cstdint>
#include <optional>

#include "primitives/physis.pb.h"
#include "vm/state.h"

namespace physis::vm {

// A grid cell: ⌊lat_e7 / cell_e7⌋ and ⌊lon_e7 / cell_e7⌋ (floor division, also for negative values).
struct GridCell {
  int64_t lat = 0;
  int64_t lon = 0;
  bool operator==(const GridCell&) const = default;
};

// The cell of a lat/lon location; nullopt for an H3 or missing location (not counted). cell_e7 ≥ 1.
std::optional<GridCell> grid_cell(const pb::Location& location, uint64_t cell_e7);

// 'g' ‖ u32 BE (lat index + 2^31) ‖ u32 BE (lon index + 2^31) → u64 BE active devices in the cell.
// Indices of valid locations fit: |lat_e7|, |lon_e7| ≤ 1.8e9 < 2^31.
inline constexpr uint8_t kDensityPrefix = 'g';
Bytes density_key(const GridCell& cell);

// Active devices counted in the cell. A stored value that is not 8 bytes is reported corrupt (and 0).
uint64_t devices_in_cell(const StateReader& state, const GridCell& cell);

// Adds `delta` (+1 or −1) to the count of the location's cell; nothing for a location without a cell.
// A count that would go below 0 is a corrupt state (recorded in the overlay's fault).
void count_in_cell(StateOverlay& state, const pb::Location& location, uint64_t cell_e7, int delta);

// weight × target / n, floored, when n > target; weight otherwise. weight, target ≤ 2^32 (genesis
// checks), so the product fits 64 bits.
uint64_t density_scaled(uint64_t weight, uint64_t devices, uint64_t target);

}  // namespace physis::vm
