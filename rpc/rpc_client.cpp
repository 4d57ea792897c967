#include "rpc/rpc_client.h"

#include <chrono>

#include "rpc/http_client.h"

namespace physis::rpc {

Result<nlohmann::json> rpc_call(const std::string& url, const std::string& method,
                                const nlohmann::json& params, nlohmann::json* error_data) {
  nlohmann::json request = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
  auto body = http_post_json(url, request.dump(), std::chrono::milliseconds(30000));
  if (!body) return make_error("rpc_transport", body.error().message);
  auto reply = nlohmann::json::parse(*body, nullptr, false);
  if (reply.is_discarded() || !reply.is_object())
    return make_error("rpc_transport", "node sent a non-JSON reply");
  if (reply.contains("error")) {
    const auto& e = reply["error"];
    if (error_data && e.contains("data")) *error_data = e["data"];
    return make_error("rpc_error", e.value("message", std::string("unknown error")));
  }
  return reply.value("result", nlohmann::json());
}

}  // namespace physis::rpc
