#include "vm/geo.h"

namespace physis::vm {

namespace {
// cos(d°) × 1e6 for d = 0..90, rounded. Pinned: consensus depends on these exact values.
constexpr int64_t kCosTable[91] = {
    1000000, 999848, 999391, 998630, 997564, 996195, 994522, 992546, 990268, 987688, 984808, 981627, 978148,
    974370,  970296, 965926, 961262, 956305, 951057, 945519, 939693, 933580, 927184, 920505, 913545, 906308,
    898794,  891007, 882948, 874620, 866025, 857167, 848048, 838671, 829038, 819152, 809017, 798636, 788011,
    777146,  766044, 754710, 743145, 731354, 719340, 707107, 694658, 681998, 669131, 656059, 642788, 629320,
    615661,  601815, 587785, 573576, 559193, 544639, 529919, 515038, 500000, 484810, 469472, 453990, 438371,
    422618,  406737, 390731, 374607, 358368, 342020, 325568, 309017, 292372, 275637, 258819, 241922, 224951,
    207912,  190809, 173648, 156434, 139173, 121869, 104528, 87156,  69756,  52336,  34899,  17452,  0};

constexpr int64_t kDeg = 10'000'000;  // 1° in e7 units

// cos of |lat| (e7 degrees) × 1e6.
int64_t cos_e6(int64_t lat_e7) {
  if (lat_e7 < 0) lat_e7 = -lat_e7;
  if (lat_e7 >= 90 * kDeg) return 0;
  int64_t d = lat_e7 / kDeg;
  int64_t frac = lat_e7 % kDeg;
  return kCosTable[d] - (kCosTable[d] - kCosTable[d + 1]) * frac / kDeg;
}

__extension__ typedef unsigned __int128 u128;

uint64_t isqrt(u128 v) {
  if (v == 0) return 0;
  u128 x = v, y = (x + 1) / 2;
  while (y < x) {
    x = y;
    y = (x + v / x) / 2;
  }
  return static_cast<uint64_t>(x);
}
}  // namespace

bool valid_latlon(int64_t lat_e7, int64_t lon_e7) {
  return lat_e7 >= -90 * kDeg && lat_e7 <= 90 * kDeg && lon_e7 >= -180 * kDeg && lon_e7 <= 180 * kDeg;
}

int h3_resolution(uint64_t cell) { return static_cast<int>((cell >> 52) & 0xf); }

bool valid_h3_cell(uint64_t cell) {
  if (cell >> 63) return false;                 // reserved high bit
  if (((cell >> 59) & 0xf) != 1) return false;  // mode 1 = cell
  if (((cell >> 56) & 0x7) != 0) return false;  // reserved for cells
  int res = h3_resolution(cell);
  if (((cell >> 45) & 0x7f) >= 122) return false;  // base cell
  for (int r = 1; r <= 15; ++r) {
    uint64_t digit = (cell >> ((15 - r) * 3)) & 0x7;
    if (r <= res && digit == 7) return false;
    if (r > res && digit != 7) return false;
  }
  return true;
}

std::optional<uint64_t> h3_parent(uint64_t cell, int res) {
  int own = h3_resolution(cell);
  if (res < 0 || res > own) return std::nullopt;
  uint64_t out = (cell & ~(0xfULL << 52)) | (static_cast<uint64_t>(res) << 52);
  for (int r = res + 1; r <= 15; ++r) out |= 0x7ULL << ((15 - r) * 3);
  return out;
}

bool valid_location(const pb::Location& loc) {
  switch (loc.where_case()) {
    case pb::Location::kH3Cell: return valid_h3_cell(loc.h3_cell());
    case pb::Location::kLatlon: return valid_latlon(loc.latlon().lat_e7(), loc.latlon().lon_e7());
    case pb::Location::WHERE_NOT_SET: return false;
  }
  return false;
}

uint64_t distance_m(int64_t lat1_e7, int64_t lon1_e7, int64_t lat2_e7, int64_t lon2_e7) {
  int64_t dlat = lat2_e7 - lat1_e7;
  int64_t dlon = lon2_e7 - lon1_e7;
  if (dlon < 0) dlon = -dlon;
  if (dlon > 180 * kDeg) dlon = 360 * kDeg - dlon;  // across the antimeridian
  if (dlat < 0) dlat = -dlat;
  // 1e-7° of arc on a 6,371,008.8 m sphere = 11.1195 mm; work in micrometres ×10 for headroom.
  constexpr int64_t kUmPerE7 = 11120;  // micrometres per 1e-7 degree (rounded)
  int64_t mean_lat = (lat1_e7 + lat2_e7) / 2;
  u128 dy = static_cast<u128>(dlat) * kUmPerE7;
  u128 dx = static_cast<u128>(dlon) * kUmPerE7 * static_cast<u128>(cos_e6(mean_lat)) / 1000000;
  return isqrt(dx * dx + dy * dy) / 1'000'000;
}

int floor_log2(uint64_t v) {
  int r = 0;
  while (v > 1) {
    v >>= 1;
    ++r;
  }
  return r;
}

}  // namespace physis::vm
