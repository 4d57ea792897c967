// Parameter and value helpers shared by the node's RPC method files: chain types (addresses, hashes,
// fixed-size ids, amounts) to and from JSON, with kInvalidParams errors that say what was expected.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crypto/secp256k1.h"
#include "primitives/transaction.h"
#include "rpc/json_rpc.h"
#include "util/amount.h"
#include "util/bytes.h"

namespace physis::rpc {

// A fixed-size hex value (0x optional), e.g. a 32-byte hash or a 20-byte device id; `what` completes
// the error message "parameter 'x' must be …".
template <size_t N>
std::array<uint8_t, N> param_fixed(const nlohmann::json& params, size_t index, std::string_view name,
                                   const char* what) {
  auto v = from_hex_fixed<N>(param_string(params, index, name));
  if (!v) throw RpcError(kInvalidParams, "parameter '" + std::string(name) + "' must be " + what);
  return *v;
}

// Throws kInvalidParams when a named-params object holds more than one of `exclusive` (filters that
// select different things, e.g. a block by height and by hash): "give 'a' or 'b', not both", naming the
// two found. Positional arrays cannot conflict (one position, one meaning) and pass.
inline void reject_conflicting_params(const nlohmann::json& params,
                                      std::initializer_list<std::string_view> exclusive) {
  if (!params.is_object()) return;
  const std::string_view* first = nullptr;
  for (const std::string_view& name : exclusive) {
    auto it = params.find(std::string(name));
    if (it == params.end() || it->is_null()) continue;  // null counts as absent (json_rpc.h)
    if (first)
      throw RpcError(kInvalidParams, "give '" + std::string(*first) + "' or '" + std::string(name) +
                                         "', not both: they select different things");
    first = &name;
  }
}

inline Hash32 param_hash(const nlohmann::json& params, size_t index, std::string_view name) {
  return param_fixed<32>(params, index, name, "a 0x-prefixed 32-byte hex hash");
}

inline Address param_address(const nlohmann::json& params, size_t index, std::string_view name) {
  auto a = crypto::parse_address(param_string(params, index, name));
  if (!a)
    throw RpcError(kInvalidParams,
                   "parameter '" + std::string(name) +
                       "' must be a 0x-prefixed 20-byte address (mixed case must match EIP-55)");
  return *a;
}

// EIP-55 text of a raw 20-byte address field.
inline std::string addr_str(const std::string& raw20) {
  return crypto::address_to_string(bytes_to_address(raw20));
}
// Decimal text of a raw amount field.
inline std::string amount_str(const std::string& b) {
  return format_amount(decode_amount(as_span(b)).value_or(0));
}

}  // namespace physis::rpc
