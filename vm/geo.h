// Integer geometry for location assertions and witness checks (doc/depin.md). Deterministic: no
// floating point; cosine from a pinned table, square roots by integer Newton iteration.
#pragma once

#include <cstdint>
#include <optional>

#include "primitives/physis.pb.h"

namespace physis::vm {

// True for lat in [-90°, 90°] and lon in [-180°, 180°], both ×1e7.
bool valid_latlon(int64_t lat_e7, int64_t lon_e7);
// True for a well-formed H3 cell index (mode 1, resolution 0..15, base cell < 122, digits past the
// resolution all 7, reserved bits zero).
bool valid_h3_cell(uint64_t cell);
int h3_resolution(uint64_t cell);
// The ancestor of `cell` at resolution `res` (≤ the cell's own); nullopt if res is out of range.
std::optional<uint64_t> h3_parent(uint64_t cell, int res);
// True if the location is set and valid.
bool valid_location(const pb::Location& loc);

// Approximate ground distance in metres between two lat/lon points (equirectangular, mean-latitude
// cosine from a 1° table with linear interpolation). Error well under 1% at the ranges witnesses use.
uint64_t distance_m(int64_t lat1_e7, int64_t lon1_e7, int64_t lat2_e7, int64_t lon2_e7);

// floor(log2(v)) for v ≥ 1; 0 for v = 0.
int floor_log2(uint64_t v);

}  // namespace physis::vm
