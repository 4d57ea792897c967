// Fuzz harness: the JSON-RPC dispatcher (request bodies from any local client). Invariant: every
// input gets a JSON response (or nothing, for notifications) and nothing throws.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "rpc/json_rpc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const physis::rpc::RpcDispatcher* dispatcher = [] {
    auto* d = new physis::rpc::RpcDispatcher();
    d->add({"echo_u64", "echo_u64(n) -> n", [](const nlohmann::json& p) {
              physis::rpc::reject_extra_params(p, {"n", "s"});
              auto n = physis::rpc::param_u64(p, 0, "n");
              auto s = physis::rpc::optional_param_string(p, 1, "s");
              return nlohmann::json{{"n", n}, {"s", s.value_or("")}};
            }});
    return d;
  }();
  std::string out = dispatcher->handle(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!out.empty() && nlohmann::json::parse(out, nullptr, false).is_discarded()) std::abort();
  return 0;
}
