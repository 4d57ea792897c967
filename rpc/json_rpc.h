// JSON-RPC 2.0 dispatch (https://www.jsonrpc.org/specification), independent of any transport.
//
// A transport (rpc/http_server.h) hands the raw request body to RpcDispatcher::handle and sends back the
// string it returns. Method handlers are plain functions from params to a result; they report failures by
// throwing RpcError, which never leaves this module: handle() turns it into an error response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace physis::rpc {

// Error codes defined by JSON-RPC 2.0.
inline constexpr int kParseError = -32700;      // the body is not valid JSON
inline constexpr int kInvalidRequest = -32600;  // valid JSON, but not a valid request object (or batch)
inline constexpr int kMethodNotFound = -32601;  // no method of that name; see "rpc_methods"
inline constexpr int kInvalidParams = -32602;   // params missing, of the wrong type or out of range
inline constexpr int kInternalError = -32603;   // a handler failed unexpectedly (a bug, or a failed resource)

// Application error codes (the range -32000..-32099 is reserved for implementations).
inline constexpr int kTxRejected = -32000;  // a submitted transaction failed validation; message says why
inline constexpr int kNotFound = -32001;    // the requested block, transaction or account does not exist

// Limits applied by RpcDispatcher::handle.
inline constexpr int kMaxJsonDepth = 64;  // deeper nesting → kParseError (keeps recursion bounded)

// What one request body may cost (issue 6, finding 4). Work is bounded before it starts: a batch over
// max_batch_requests is refused whole, and a batch stops calling methods once its responses fill the budget.
struct RpcLimits {
  // A batch with more requests gets one kInvalidRequest error and nothing in it runs (min 1).
  std::size_t max_batch_requests = 100;
  // Serialized response bytes per request body. A single response over it is replaced by a kInternalError
  // "response too large" error with the same id. In a batch, the response that would take the total over it
  // is replaced by that error and every later request is not run and gets an error saying so; the reply is
  // then at most the budget plus one short error object per request.
  std::size_t max_response_bytes = 32 * 1024 * 1024;
};

// Name of the built-in method that lists every method with its help line.
inline constexpr std::string_view kListMethodsName = "rpc_methods";

// An error a method handler throws to produce a JSON-RPC error response. Thrown only by handlers and the
// param helpers below, and caught only by RpcDispatcher::handle; it never crosses the library boundary.
class RpcError : public std::exception {
 public:
  RpcError(int code, std::string message, std::optional<nlohmann::json> data = std::nullopt)
      : code_(code), message_(std::move(message)), data_(std::move(data)) {}

  int code() const { return code_; }
  const std::string& message() const { return message_; }
  // Extra structured detail for the "data" member of the error object; nullopt means the member is omitted.
  const std::optional<nlohmann::json>& data() const { return data_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  int code_ = kInternalError;
  std::string message_;
  std::optional<nlohmann::json> data_;
};

// One callable method.
struct RpcMethod {
  std::string name;  // e.g. "chain_getBlock"
  std::string help;  // one line, e.g. "chain_getBlock(height) -> block: the block at a height"
  // Receives "params" from the request: a JSON object (by name) or array (by position); an absent "params" is
  // passed as an empty array. Returns the "result". Throws RpcError for errors the caller should see (use the
  // param_* helpers for kInvalidParams); any other std::exception becomes kInternalError with its what().
  // Called concurrently from several threads, so it must be thread-safe.
  std::function<nlohmann::json(const nlohmann::json& params)> handler;
};

// Routes JSON-RPC requests to registered methods.
//
// Owns the table of methods. Register every method with add() before the first handle(); after that, handle()
// and methods() may be called from any number of threads at once (they only read the table).
class RpcDispatcher {
 public:
  explicit RpcDispatcher(RpcLimits limits = {}) : limits_(limits) {}

  // Registers a method. A method with the same name replaces the earlier one (logged as a warning, since it
  // is almost certainly a mistake). A method named "rpc_methods" replaces the built-in listing. A method with
  // an empty name or no handler is ignored and logged as an error. Not thread-safe: call before serving.
  void add(RpcMethod method);

  // Handles one request body: a request object, or a batch (array) of them.
  // Returns the serialized response: an object for a single request, an array for a batch (one response per
  // request that is not a notification, in request order). Returns an empty string when nothing is to be sent
  // back (a notification, or a batch of only notifications). Never throws; every failure becomes a JSON-RPC
  // error response carrying "jsonrpc":"2.0" and the request's id (null when the id could not be read).
  std::string handle(std::string_view request_body) const;

  // (name, help) of every callable method, the built-in "rpc_methods" included, sorted by name.
  std::vector<std::pair<std::string, std::string>> methods() const;

 private:
  // Handles one element: returns the response object, or nullopt for a notification.
  // `notification_bytes`, when given, receives the serialized size of a notification's discarded result,
  // so a batch can count the work of notifications against its response budget too.
  std::optional<nlohmann::json> handle_one(const nlohmann::json& request,
                                           std::size_t* notification_bytes = nullptr) const;
  nlohmann::json call(const std::string& method, const nlohmann::json& params) const;
  std::string handle_batch(const nlohmann::json& batch) const;

  RpcLimits limits_;
  std::map<std::string, RpcMethod, std::less<>> methods_;
};

// --- Param helpers, for handlers that accept params by name (object) or by position (array). ---
// Each looks for the parameter at `index` when params is an array, or under `name` when it is an object. A
// JSON null counts as absent, so a caller can skip an optional positional parameter. Errors are thrown as
// RpcError with code kInvalidParams and a message naming the parameter and saying what was wrong.

// Returns the parameter; throws "missing parameter 'name'" when absent, or when params is neither an array
// nor an object.
const nlohmann::json& param(const nlohmann::json& params, std::size_t index, std::string_view name);
// Returns a pointer to the parameter (valid as long as params), or nullptr when absent.
const nlohmann::json* optional_param(const nlohmann::json& params, std::size_t index, std::string_view name);

// A JSON string.
std::string param_string(const nlohmann::json& params, std::size_t index, std::string_view name);
std::optional<std::string> optional_param_string(const nlohmann::json& params, std::size_t index,
                                                 std::string_view name);

// A non-negative integer up to 2^64-1, given as a JSON integer or as a string of decimal digits (for clients
// whose JSON numbers are doubles). Rejects negatives, fractions, exponents, signs, spaces and overflow.
std::uint64_t param_u64(const nlohmann::json& params, std::size_t index, std::string_view name);
std::optional<std::uint64_t> optional_param_u64(const nlohmann::json& params, std::size_t index,
                                                std::string_view name);

// A JSON boolean.
bool param_bool(const nlohmann::json& params, std::size_t index, std::string_view name);
std::optional<bool> optional_param_bool(const nlohmann::json& params, std::size_t index,
                                        std::string_view name);

// Throws kInvalidParams when params holds more positional parameters than `names`, or a named parameter not
// in `names` ("unexpected parameter 'x'; expected: a, b"), so a misspelt name is not silently ignored.
void reject_extra_params(const nlohmann::json& params, std::initializer_list<std::string_view> names);

}  // namespace physis::rpc
