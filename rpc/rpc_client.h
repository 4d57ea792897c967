// JSON-RPC client for tools (physis-cli, physis-devsim): one call, result or a readable error.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "util/result.h"

namespace physis::rpc {

// Calls `method` with `params` on the node at `url`. Error codes: "rpc_transport" (cannot reach the
// node), "rpc_error" (the node answered with a JSON-RPC error; message is the node's message, and
// `error_data` receives its data member if any).
Result<nlohmann::json> rpc_call(const std::string& url, const std::string& method,
                                const nlohmann::json& params, nlohmann::json* error_data = nullptr);

}  // namespace physis::rpc
