// JSON forms of DePIN locations (primitives/depin_json.h): H3 cells in the standard text form.
#include <gtest/gtest.h>

#include "primitives/depin_json.h"

namespace physis {
namespace {

using nlohmann::json;

constexpr uint64_t kRes9 = 0x08928308280fffffULL;  // H3 docs example, resolution 9
constexpr uint64_t kRes7 = 0x0872830828ffffffULL;  // its parent at resolution 7

uint64_t h3_of(const json& value) {
  auto loc = location_from_json(json{{"h3", value}});
  EXPECT_TRUE(loc.ok()) << value.dump() << ": " << (loc.ok() ? "" : loc.error().message);
  return loc.ok() ? loc->h3_cell() : 0;
}

TEST(DepinJson, H3AcceptsTheStandardFifteenDigitForm) {
  EXPECT_EQ(h3_of("8928308280fffff"), kRes9);
  EXPECT_EQ(h3_of("872830828ffffff"), kRes7);
}

TEST(DepinJson, H3AcceptsAnyCaseSixteenDigitsPrefixAndIntegers) {
  EXPECT_EQ(h3_of("8928308280FFFFF"), kRes9);
  EXPECT_EQ(h3_of("0x8928308280fffff"), kRes9);
  EXPECT_EQ(h3_of("0X8928308280fffff"), kRes9);
  EXPECT_EQ(h3_of("08928308280fffff"), kRes9);
  EXPECT_EQ(h3_of("0x08928308280fffff"), kRes9);
  EXPECT_EQ(h3_of(617700169958293503ULL), kRes9);
}

TEST(DepinJson, H3RejectsOtherFormsWithAReason) {
  for (const json& bad :
       {json("8928308280ffff"), json("8928308280fffff0f"), json(""), json("0x"), json("8928308280fffgf"),
        json(" 8928308280fffff"), json(-5), json(true), json(1.5), json::array(), json(nullptr)}) {
    auto loc = location_from_json(json{{"h3", bad}});
    ASSERT_FALSE(loc.ok()) << bad.dump();
    EXPECT_EQ(loc.error().code, "bad_location");
    EXPECT_NE(loc.error().message.find("15 or 16 hex digits"), std::string::npos) << loc.error().message;
  }
}

TEST(DepinJson, H3OutputIsTheStandardLowercaseForm) {
  pb::Location loc;
  loc.set_h3_cell(kRes9);
  EXPECT_EQ(location_to_json(loc), json({{"h3", "8928308280fffff"}}));
  EXPECT_EQ(h3_cell_to_string(kRes7), "872830828ffffff");
  // Output parses back to the same cell.
  auto back = location_from_json(location_to_json(loc));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->h3_cell(), kRes9);
}

TEST(DepinJson, ParseH3CellIsTheTextFormOnly) {
  EXPECT_EQ(parse_h3_cell("8928308280fffff"), kRes9);
  EXPECT_EQ(parse_h3_cell("8928308280fffff "), std::nullopt);
  EXPECT_EQ(parse_h3_cell("0x0x928308280ffff"), std::nullopt);
}

TEST(DepinJson, LatLonStillAccepted) {
  auto loc = location_from_json(json{{"lat_e7", 387100000}, {"lon_e7", -91100000}});
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->latlon().lat_e7(), 387100000);
  EXPECT_EQ(location_to_json(*loc), json({{"lat_e7", 387100000}, {"lon_e7", -91100000}}));
  EXPECT_FALSE(location_from_json(json{{"lat_e7", 1}}).ok());
}

}  // namespace
}  // namespace physis
