#include "vm/density.h"

#include "primitives/codec.h"

namespace physis::vm {

namespace {
int64_t floor_div(int64_t a, int64_t b) {  // b > 0
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
}  // namespace

std::optional<GridCell> grid_cell(const pb::Location& location, uint64_t cell_e7) {
  if (!location.has_latlon() || cell_e7 == 0) return std::nullopt;
  // cell_e7 ≤ 3.6e9 (genesis check) fits int64.
  const auto size = static_cast<int64_t>(cell_e7);
  return GridCell{floor_div(location.latlon().lat_e7(), size), floor_div(location.latlon().lon_e7(), size)};
}

Bytes density_key(const GridCell& cell) {
  Bytes k{kDensityPrefix};
  // A sint32 coordinate divided by a size ≥ 1 stays within [−2^31, 2^31): the offset fits 32 bits.
  append_u32_be(k, static_cast<uint32_t>(cell.lat + (int64_t{1} << 31)));
  append_u32_be(k, static_cast<uint32_t>(cell.lon + (int64_t{1} << 31)));
  return k;
}

uint64_t devices_in_cell(const StateReader& state, const GridCell& cell) {
  const Bytes key = density_key(cell);
  auto raw = state.get(key);
  if (!raw || raw->empty()) return 0;
  if (raw->size() != 8) {
    state.report_corrupt(key, "cell device count");
    return 0;
  }
  return read_u64_be(*raw);
}

void count_in_cell(StateOverlay& state, const pb::Location& location, uint64_t cell_e7, int delta) {
  const std::optional<GridCell> cell = grid_cell(location, cell_e7);
  if (!cell) return;
  const uint64_t n = devices_in_cell(state, *cell);
  if (delta < 0 && n == 0) {
    state.set_fault(make_error("corrupt_state", "a device leaves a grid cell that counts none"));
    return;
  }
  const uint64_t next = delta < 0 ? n - 1 : n + 1;  // at most one per registered device: no overflow
  Bytes v;
  if (next > 0) append_u64_be(v, next);  // an empty value deletes the key: empty cells cost nothing
  state.put(density_key(*cell), std::move(v));
}

uint64_t density_scaled(uint64_t weight, uint64_t devices, uint64_t target) {
  if (devices <= target) return weight;
  return weight * target / devices;
}

}  // namespace physis::vm
