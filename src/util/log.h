// Leveled, timestamped logging to stderr. Thread-safe: each line is written whole under a mutex.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace physis {

enum class LogLevel { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4 };

// Parses "trace", "debug", "info", "warn", "error"; false if unknown.
bool parse_log_level(std::string_view text, LogLevel& out);
// Sets the process-wide minimum level (set once at start-up, by the executable).
void set_log_level(LogLevel level);
LogLevel log_level();
// Writes one line "YYYY-MM-DDTHH:MM:SS.mmmZ LEVEL [component] message" (UTC, level name padded to five
// characters) to stderr, or nothing if `level` is below the minimum. The message is written literally.
void log_line(LogLevel level, std::string_view component, const std::string& message);

}  // namespace physis

// The macros check the level first, so `expr` is not evaluated for a line that is not written.
#define PHYSIS_LOG(level, component, expr)                                    \
  do {                                                                        \
    if (static_cast<int>(level) >= static_cast<int>(::physis::log_level())) { \
      std::ostringstream physis_log_os_;                                      \
      physis_log_os_ << expr;                                                 \
      ::physis::log_line(level, component, physis_log_os_.str());             \
    }                                                                         \
  } while (0)
#define LOG_DEBUG(component, expr) PHYSIS_LOG(::physis::LogLevel::kDebug, component, expr)
#define LOG_INFO(component, expr) PHYSIS_LOG(::physis::LogLevel::kInfo, component, expr)
#define LOG_WARN(component, expr) PHYSIS_LOG(::physis::LogLevel::kWarn, component, expr)
#define LOG_ERROR(component, expr) PHYSIS_LOG(::physis::LogLevel::kError, component, expr)
