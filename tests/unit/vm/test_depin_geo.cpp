// Integer geometry of vm/geo.h (doc/depin.md "Proofs": distances are integer, equirectangular with a pinned
// 1° cosine table and an integer square root; H3 cells for location assertions).
//
// Reference distances are great-circle (haversine) distances on the 6,371,008.8 m mean-radius sphere,
// computed offline; reference H3 parents are those of the H3 specification (the parent of a cell keeps its
// base cell and first digits and sets the rest to 7), e.g. 0x8928308280fffff → 0x8828308281fffff.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "primitives/physis.pb.h"
#include "vm/geo.h"

using namespace physis;
using namespace physis::vm;

namespace {

constexpr uint64_t kCell9 = 0x8928308280fffffULL;  // a res-9 cell in San Francisco (base cell 20)

int64_t e7(double degrees) { return static_cast<int64_t>(degrees * 1e7 + (degrees >= 0 ? 0.5 : -0.5)); }

// |got − want| ≤ want × permille / 1000.
::testing::AssertionResult within_permille(uint64_t got, double want, double permille) {
  const double diff = static_cast<double>(got) - want;
  if ((diff < 0 ? -diff : diff) <= want * permille / 1000.0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "distance " << got << " m, expected " << want << " m ± " << permille << "‰";
}

uint64_t dist(double lat1, double lon1, double lat2, double lon2) {
  return distance_m(e7(lat1), e7(lon1), e7(lat2), e7(lon2));
}

// ---------------------------------------------------------------- H3

TEST(DepinGeo, H3KnownCellIsValidWithItsResolution) {
  EXPECT_TRUE(valid_h3_cell(kCell9));
  EXPECT_EQ(h3_resolution(kCell9), 9);
}

TEST(DepinGeo, H3ParentsOfAKnownCell) {
  const uint64_t parents[] = {
      0x8029fffffffffffULL,  // res 0: base cell 20
      0x81283ffffffffffULL, 0x822837fffffffffULL, 0x832830fffffffffULL, 0x8428309ffffffffULL,
      0x85283083fffffffULL, 0x86283082fffffffULL, 0x872830828ffffffULL, 0x8828308281fffffULL,
  };
  for (int res = 0; res <= 8; ++res) {
    SCOPED_TRACE("res " + std::to_string(res));
    auto p = h3_parent(kCell9, res);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p, parents[res]) << std::hex << *p;
    EXPECT_TRUE(valid_h3_cell(*p));
    EXPECT_EQ(h3_resolution(*p), res);
    // Taking the parent is transitive: the parent of the res+1 parent is the same cell.
    if (res < 8) {
      EXPECT_EQ(h3_parent(parents[res + 1], res), parents[res]);
    }
  }
  EXPECT_EQ(h3_parent(kCell9, 9), kCell9);  // its own resolution: itself
}

TEST(DepinGeo, H3ParentOutOfRange) {
  EXPECT_FALSE(h3_parent(kCell9, 10).has_value());  // finer than the cell
  EXPECT_FALSE(h3_parent(kCell9, -1).has_value());
  EXPECT_FALSE(h3_parent(0x8029fffffffffffULL, 1).has_value());
}

TEST(DepinGeo, H3InvalidCells) {
  EXPECT_FALSE(valid_h3_cell(0));
  EXPECT_FALSE(valid_h3_cell(kCell9 | (1ULL << 63)));                         // reserved high bit
  EXPECT_FALSE(valid_h3_cell((kCell9 & ~(0xfULL << 59)) | (2ULL << 59)));     // mode 2: a directed edge
  EXPECT_FALSE(valid_h3_cell(kCell9 & ~(0xfULL << 59)));                      // mode 0
  EXPECT_FALSE(valid_h3_cell(kCell9 | (1ULL << 56)));                         // reserved bits of a cell
  EXPECT_FALSE(valid_h3_cell((kCell9 & ~(0x7fULL << 45)) | (122ULL << 45)));  // base cell 122
  EXPECT_TRUE(valid_h3_cell((0x8001fffffffffffULL & ~(0x7fULL << 45)) | (121ULL << 45)));  // base cell 121
  EXPECT_FALSE(valid_h3_cell(kCell9 & ~0x7ULL));                   // digit 15 set below res 9
  EXPECT_FALSE(valid_h3_cell(kCell9 | (0x7ULL << (15 - 9) * 3)));  // digit 9 = 7 (unused) at res 9
  // A res-9 index relabelled res 10 has digit 10 = 7: not a cell.
  EXPECT_FALSE(valid_h3_cell((kCell9 & ~(0xfULL << 52)) | (10ULL << 52)));
}

TEST(DepinGeo, ValidLocation) {
  pb::Location loc;
  EXPECT_FALSE(valid_location(loc));  // nothing set
  loc.set_h3_cell(kCell9);
  EXPECT_TRUE(valid_location(loc));
  loc.set_h3_cell(kCell9 & ~0x7ULL);
  EXPECT_FALSE(valid_location(loc));
  loc.mutable_latlon()->set_lat_e7(900000000);
  loc.mutable_latlon()->set_lon_e7(-1800000000);
  EXPECT_TRUE(valid_location(loc));
  loc.mutable_latlon()->set_lat_e7(900000001);
  EXPECT_FALSE(valid_location(loc));
  EXPECT_TRUE(valid_latlon(-900000000, 1800000000));
  EXPECT_FALSE(valid_latlon(-900000001, 0));
  EXPECT_FALSE(valid_latlon(0, 1800000001));
  EXPECT_FALSE(valid_latlon(0, -1800000001));
}

// ---------------------------------------------------------------- distances

TEST(DepinGeo, OneDegreeOfLatitude) {
  EXPECT_TRUE(within_permille(dist(0, 0, 1, 0), 111195.08, 5));
  EXPECT_TRUE(within_permille(dist(45, 10, 46, 10), 111195.08, 5));
  EXPECT_TRUE(within_permille(dist(-60, -70, -61, -70), 111195.08, 5));
}

TEST(DepinGeo, OneDegreeOfLongitudeShrinksWithTheCosine) {
  EXPECT_TRUE(within_permille(dist(0, 0, 0, 1), 111195.08, 5));
  EXPECT_TRUE(within_permille(dist(60, 0, 60, 1), 55597.01, 5));
  EXPECT_TRUE(within_permille(dist(-60, 0, -60, 1), 55597.01, 5));
  EXPECT_LT(dist(89.5, 0, 89.5, 1), 1000u);  // near the pole a degree of longitude is under a kilometre
  EXPECT_EQ(dist(90, 0, 90, 120), 0u);       // at the pole longitude does not matter
}

TEST(DepinGeo, KnownCityDistances) {
  // Berlin (52.5200, 13.4050) – Potsdam (52.3906, 13.0645): 27,191 m.
  const uint64_t bp = dist(52.5200, 13.4050, 52.3906, 13.0645);
  EXPECT_TRUE(within_permille(bp, 27191.2, 5));
  EXPECT_GT(bp, 26000u);
  EXPECT_LT(bp, 28000u);
  // Berlin – Munich (48.1351, 11.5820): 504,416 m; Sydney – Melbourne: 713,428 m.
  EXPECT_TRUE(within_permille(dist(52.5200, 13.4050, 48.1351, 11.5820), 504416.0, 10));
  EXPECT_TRUE(within_permille(dist(-33.8688, 151.2093, -37.8136, 144.9631), 713428.5, 10));
}

TEST(DepinGeo, ShortDistancesAreMetreExact) {
  // 1e-4° of latitude = 11.12 m: floored to whole metres.
  EXPECT_EQ(dist(52.52, 13.405, 52.5201, 13.405), 11u);
  EXPECT_EQ(dist(52.52, 13.405, 52.52, 13.405), 0u);
  EXPECT_TRUE(within_permille(dist(52.52, 13.405, 52.53, 13.405), 1111.95, 5));
}

TEST(DepinGeo, AcrossTheAntimeridian) {
  EXPECT_TRUE(within_permille(dist(0, 179.5, 0, -179.5), 111195.08, 5));
  EXPECT_EQ(dist(0, 179.5, 0, -179.5), dist(0, -179.5, 0, 179.5));
  EXPECT_EQ(dist(10, 180, 10, -180), 0u);  // the same meridian
}

TEST(DepinGeo, DistanceIsSymmetric) {
  const double pts[][2] = {{52.52, 13.405}, {48.1351, 11.582}, {-33.8688, 151.2093}, {0, 0}, {89.9, -179.9}};
  for (const auto& a : pts)
    for (const auto& b : pts) EXPECT_EQ(dist(a[0], a[1], b[0], b[1]), dist(b[0], b[1], a[0], a[1]));
}

TEST(DepinGeo, ExtremeInputsDoNotOverflow) {
  // Pole to pole along a meridian: half the circumference, 20,015 km.
  EXPECT_TRUE(within_permille(distance_m(-900000000, 0, 900000000, 0), 20015086.8, 5));
  // Any pair of valid coordinates gives a finite, bounded distance.
  EXPECT_LT(distance_m(-900000000, -1800000000, 900000000, 1800000000), 21'000'000u);
}

// ---------------------------------------------------------------- floor_log2

TEST(DepinGeo, FloorLog2) {
  EXPECT_EQ(floor_log2(0), 0);
  EXPECT_EQ(floor_log2(1), 0);
  EXPECT_EQ(floor_log2(2), 1);
  EXPECT_EQ(floor_log2(3), 1);
  EXPECT_EQ(floor_log2(1023), 9);
  EXPECT_EQ(floor_log2(1024), 10);
  EXPECT_EQ(floor_log2(1112), 10);
  EXPECT_EQ(floor_log2(100'000), 16);
  EXPECT_EQ(floor_log2(uint64_t{1} << 63), 63);
  EXPECT_EQ(floor_log2(std::numeric_limits<uint64_t>::max()), 63);
  for (int k = 0; k < 64; ++k) {
    EXPECT_EQ(floor_log2(uint64_t{1} << k), k);
    if (k > 1) {
      EXPECT_EQ(floor_log2((uint64_t{1} << k) - 1), k - 1);
    }
  }
}

}  // namespace
