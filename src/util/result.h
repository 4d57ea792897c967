// Errors as values at library edges (STYLE: exceptions never cross a library boundary).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace physis {

// An error: a short machine-readable code and a sentence for humans that says what was wrong.
struct Error {
  std::string code;     // e.g. "bad_signature", "nonce_too_low"
  std::string message;  // e.g. "nonce 3 already used; the account's next nonce is 5"
};

// Result<T> holds either a T or an Error. Callers must look at it.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit on purpose, for `return value;`
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status: a Result with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

inline Error make_error(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

}  // namespace physis
