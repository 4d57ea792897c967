// Contracts of util/log.h: level names, the process-wide minimum level, and the line format on stderr.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "util/log.h"

using namespace physis;

namespace {

// The level is process-wide: every test restores the one it found.
class Log : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = log_level(); }
  void TearDown() override { set_log_level(saved_); }

 private:
  LogLevel saved_ = LogLevel::kInfo;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "2024-05-01T12:34:56.789Z LEVEL [component] message": the level name is padded to five characters.
const std::regex kLine(
    R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z (TRACE|DEBUG|INFO |WARN |ERROR) \[([^\]]*)\] (.*)$)");

}  // namespace

TEST_F(Log, ParsesEveryLevelName) {
  const std::pair<const char*, LogLevel> names[] = {{"trace", LogLevel::kTrace},
                                                    {"debug", LogLevel::kDebug},
                                                    {"info", LogLevel::kInfo},
                                                    {"warn", LogLevel::kWarn},
                                                    {"error", LogLevel::kError}};
  for (const auto& [name, level] : names) {
    LogLevel out = level == LogLevel::kError ? LogLevel::kTrace : LogLevel::kError;
    ASSERT_TRUE(parse_log_level(name, out)) << name;
    EXPECT_EQ(out, level) << name;
  }
}

TEST_F(Log, RejectsUnknownNamesAndLeavesOutputUntouched) {
  for (const char* bad :
       {"", "INFO", "Info", "warning", "err", "fatal", "off", " info", "info ", "2", "debugx"}) {
    LogLevel out = LogLevel::kWarn;
    EXPECT_FALSE(parse_log_level(bad, out)) << "'" << bad << "'";
    EXPECT_EQ(out, LogLevel::kWarn) << "'" << bad << "'";
  }
  LogLevel out = LogLevel::kWarn;
  EXPECT_FALSE(parse_log_level(std::string_view("info\0", 5), out));
  EXPECT_EQ(out, LogLevel::kWarn);
}

TEST_F(Log, SetLevelIsReadBack) {
  for (LogLevel level :
       {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    set_log_level(level);
    EXPECT_EQ(log_level(), level);
  }
}

TEST_F(Log, MacrosBelowTheLevelEmitNothingAndDoNotEvaluate) {
  set_log_level(LogLevel::kWarn);
  int evaluated = 0;
  auto count = [&evaluated] { return ++evaluated; };
  testing::internal::CaptureStderr();
  LOG_DEBUG("test", "debug " << count());
  LOG_INFO("test", "info " << count());
  LOG_WARN("test", "warn " << count());
  LOG_ERROR("test", "error " << count());
  const std::vector<std::string> lines = split_lines(testing::internal::GetCapturedStderr());
  EXPECT_EQ(evaluated, 2);  // the filtered lines' expressions are never built
  ASSERT_EQ(lines.size(), 2u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, kLine)) << lines[0];
  EXPECT_EQ(m[8].str(), "WARN ");
  EXPECT_EQ(m[9].str(), "test");
  EXPECT_EQ(m[10].str(), "warn 1");
  ASSERT_TRUE(std::regex_match(lines[1], m, kLine)) << lines[1];
  EXPECT_EQ(m[8].str(), "ERROR");
  EXPECT_EQ(m[10].str(), "error 2");
}

TEST_F(Log, EveryLevelAtOrAboveTheMinimumIsEmittedWithItsName) {
  set_log_level(LogLevel::kTrace);
  testing::internal::CaptureStderr();
  PHYSIS_LOG(LogLevel::kTrace, "c", "t");
  LOG_DEBUG("c", "d");
  LOG_INFO("c", "i");
  LOG_WARN("c", "w");
  LOG_ERROR("c", "e");
  const std::vector<std::string> lines = split_lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 5u);
  const char* names[] = {"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR"};
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, kLine)) << lines[i];
    EXPECT_EQ(m[8].str(), names[i]);
  }
}

TEST_F(Log, LogLineHonoursTheMinimumLevel) {
  // set_log_level sets the process-wide minimum: a direct log_line call below it writes nothing either.
  set_log_level(LogLevel::kError);
  testing::internal::CaptureStderr();
  log_line(LogLevel::kWarn, "direct", "below the minimum");
  log_line(LogLevel::kError, "direct", "at the minimum");
  const std::vector<std::string> lines = split_lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("at the minimum"), std::string::npos);
}

TEST_F(Log, TimestampIsUtcIso8601WithMilliseconds) {
  // A non-UTC local zone (five hours west) shows whether the stamp follows the local clock.
  const char* old_tz = std::getenv("TZ");
  const std::string saved_tz = old_tz ? old_tz : "";
  setenv("TZ", "EST5", 1);
  tzset();
  set_log_level(LogLevel::kInfo);
  const std::time_t before = std::time(nullptr);
  testing::internal::CaptureStderr();
  log_line(LogLevel::kInfo, "clock", "tick");
  const std::string out = testing::internal::GetCapturedStderr();
  const std::time_t after = std::time(nullptr);
  if (old_tz)
    setenv("TZ", saved_tz.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();

  const std::vector<std::string> lines = split_lines(out);
  ASSERT_EQ(lines.size(), 1u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, kLine)) << lines[0];
  std::tm tm{};
  tm.tm_year = std::stoi(m[1].str()) - 1900;
  tm.tm_mon = std::stoi(m[2].str()) - 1;
  tm.tm_mday = std::stoi(m[3].str());
  tm.tm_hour = std::stoi(m[4].str());
  tm.tm_min = std::stoi(m[5].str());
  tm.tm_sec = std::stoi(m[6].str());
  const std::time_t stamped = timegm(&tm);  // read the stamp as UTC
  EXPECT_GE(stamped, before);
  EXPECT_LE(stamped, after);
  EXPECT_LT(std::stoi(m[7].str()), 1000);
  EXPECT_EQ(m[9].str(), "clock");
  EXPECT_EQ(m[10].str(), "tick");
}

TEST_F(Log, MessageIsWrittenLiterally) {
  // Format directives in a message or component are text, not printf arguments.
  set_log_level(LogLevel::kInfo);
  testing::internal::CaptureStderr();
  log_line(LogLevel::kInfo, "c%s", "100% %s %n %d");
  log_line(LogLevel::kInfo, std::string_view("rpcXXX", 3), "");
  const std::vector<std::string> lines = split_lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, kLine)) << lines[0];
  EXPECT_EQ(m[9].str(), "c%s");
  EXPECT_EQ(m[10].str(), "100% %s %n %d");
  // Only the component's view is printed, not what lies past its end.
  ASSERT_TRUE(std::regex_match(lines[1], m, kLine)) << lines[1];
  EXPECT_EQ(m[9].str(), "rpc");
  EXPECT_EQ(m[10].str(), "");
}

TEST_F(Log, ConcurrentLinesAreWrittenWhole) {
  set_log_level(LogLevel::kInfo);
  constexpr int kThreads = 4;
  constexpr int kLinesEach = 100;
  testing::internal::CaptureStderr();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < kLinesEach; ++i)
          LOG_INFO("thread", "t" << t << " line " << i << " " << std::string(200, 'x'));
      });
    }
    for (auto& th : threads) th.join();
  }
  const std::vector<std::string> lines = split_lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLinesEach));
  const std::regex body(R"(t\d line \d+ x{200})");
  for (const std::string& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kLine)) << line;
    EXPECT_TRUE(std::regex_match(m[10].str(), body)) << line;
  }
}
