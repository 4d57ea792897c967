// Contracts of util/result.h: Result<T> holds a value or an Error, Status is a Result with no value.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "util/result.h"

using namespace physis;

namespace {
Result<int> half(int v) {
  if (v % 2 != 0) return make_error("odd", "value " + std::to_string(v) + " is odd");
  return v / 2;
}

Status check_positive(int v) {
  if (v <= 0) return make_error("not_positive", "value must be > 0");
  return ok_status();
}
}  // namespace

TEST(Result, HoldsValue) {
  Result<int> r = half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 4);
  EXPECT_EQ(*r, 4);
  const Result<int>& cr = r;
  EXPECT_EQ(cr.value(), 4);
  EXPECT_EQ(*cr, 4);
  r.value() = 7;  // value() gives a mutable reference to the held value
  EXPECT_EQ(*r, 7);
}

TEST(Result, HoldsErrorWithCodeAndMessage) {
  Result<int> r = half(3);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code, "odd");
  EXPECT_EQ(r.error().message, "value 3 is odd");
}

TEST(Result, MakeErrorKeepsCodeAndMessage) {
  Error e = make_error("bad_signature", "signature does not verify");
  EXPECT_EQ(e.code, "bad_signature");
  EXPECT_EQ(e.message, "signature does not verify");
}

TEST(Result, ArrowReachesMembers) {
  Result<std::string> r = std::string("abc");
  EXPECT_EQ(r->size(), 3u);
  r->push_back('d');
  EXPECT_EQ(*r, "abcd");
  const Result<std::string>& cr = r;
  EXPECT_EQ(cr->size(), 4u);
}

TEST(Result, MoveOnlyValueCanBeMovedOut) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);
}

TEST(Result, ValueOfStringIsNotMistakenForError) {
  // A Result<std::string> built from a string holds a value, never an Error with that text.
  Result<std::string> r = std::string("bad_signature");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "bad_signature");
  Result<std::vector<int>> empty = std::vector<int>{};
  EXPECT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Status, OkAndError) {
  Status good = check_positive(1);
  EXPECT_TRUE(good.ok());
  EXPECT_TRUE(ok_status().ok());
  Status bad = check_positive(0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "not_positive");
  EXPECT_EQ(bad.error().message, "value must be > 0");
  static_assert(std::is_same_v<Status, Result<Ok>>);
}

TEST(Result, DiscardingNeedsAnExplicitCast) {
  // Result is [[nodiscard]]: a caller that really means to drop one says so with a void cast, which
  // compiles without a warning (the build uses -Wall -Wextra).
  (void)half(1);
  static_cast<void>(check_positive(-1));
  // Result is not default-constructible: there is no "empty" state that is neither value nor error.
  static_assert(!std::is_default_constructible_v<Result<int>>);
  static_assert(std::is_copy_constructible_v<Result<int>>);
  static_assert(!std::is_copy_constructible_v<Result<std::unique_ptr<int>>>);
  // A bare Result cannot be mistaken for its value in an int context (operator bool is explicit).
  static_assert(!std::is_convertible_v<Result<int>, bool>);
  SUCCEED();
}
