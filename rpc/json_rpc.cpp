#include "rpc/json_rpc.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "util/log.h"

namespace physis::rpc {

using json = nlohmann::json;

namespace {

// Thrown from the parse callback to stop parsing a too deeply nested document.
struct DepthExceeded {};

// Serializes without throwing on invalid UTF-8 a handler may have put into a string.
std::string serialize(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Shortens text echoed back into a message, so a 1 MiB method name does not come back twice.
std::string clip(std::string_view text, std::size_t max = 64) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

std::string clipped_json(const json& value) { return clip(serialize(value)); }

json error_response(const json& id, int code, std::string message,
                    const std::optional<json>& data = std::nullopt) {
  json error = json::object();
  error["code"] = code;
  error["message"] = std::move(message);
  if (data) error["data"] = *data;
  json response = json::object();
  response["jsonrpc"] = "2.0";
  response["error"] = std::move(error);
  response["id"] = id;
  return response;
}

json success_response(const json& id, json result) {
  json response = json::object();
  response["jsonrpc"] = "2.0";
  response["result"] = std::move(result);
  response["id"] = id;
  return response;
}

json invalid_request(const json& id, const std::string& what) {
  return error_response(id, kInvalidRequest, "invalid request: " + what);
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the tag means nothing to an RPC client.
std::string describe_json_error(const json::exception& e) {
  std::string_view text = e.what();
  if (!text.empty() && text.front() == '[') {
    const auto end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

json parse_body(std::string_view body) {
  const json::parser_callback_t limit_depth = [](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth) {
      throw DepthExceeded{};
    }
    return true;
  };
  return json::parse(body.begin(), body.end(), limit_depth);
}

RpcError invalid_param(std::string_view name, const std::string& why) {
  return RpcError(kInvalidParams, "parameter '" + std::string(name) + "' " + why);
}

std::uint64_t to_u64(const json& value, std::string_view name) {
  constexpr double kTwoTo64 = 18446744073709551616.0;
  const std::string too_large = "is too large: the maximum is 18446744073709551615";
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer()) {
    const auto signed_value = value.get<std::int64_t>();
    if (signed_value < 0)
      throw invalid_param(name, "must be a non-negative integer, got " + clipped_json(value));
    return static_cast<std::uint64_t>(signed_value);
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (d >= kTwoTo64) throw invalid_param(name, too_large);
    if (d < 0) throw invalid_param(name, "must be a non-negative integer, got " + clipped_json(value));
    throw invalid_param(name, "must be an integer, got " + clipped_json(value));
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty()) throw invalid_param(name, "must be a decimal integer, got an empty string");
    if (text.front() == '-')
      throw invalid_param(name, "must be a non-negative integer, got " + clipped_json(value));
    const bool all_digits =
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!all_digits)
      throw invalid_param(name, "must be a string of decimal digits, got " + clipped_json(value));
    std::uint64_t out = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc::result_out_of_range) throw invalid_param(name, too_large);
    if (ec != std::errc() || end != text.data() + text.size()) {
      throw invalid_param(name, "must be a string of decimal digits, got " + clipped_json(value));
    }
    return out;
  }
  throw invalid_param(
      name, std::string("must be a non-negative integer or a decimal string, got ") + value.type_name());
}

std::string join_names(std::initializer_list<std::string_view> names) {
  std::string out;
  for (const auto name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string over_budget(std::size_t budget) {
  return ", over the budget of " + std::to_string(budget) + " bytes; request fewer items or use pagination";
}

// A batch element that is a notification: an object without "id" (it gets no response, even an error).
bool is_notification_request(const json& element) {
  return element.is_object() && element.find("id") == element.end();
}

// The id an error about a batch element should carry: its id when readable, else null.
json request_id(const json& element) {
  if (!element.is_object()) return nullptr;
  const auto it = element.find("id");
  if (it == element.end() || !(it->is_string() || it->is_number())) return nullptr;
  return *it;
}

}  // namespace

void RpcDispatcher::add(RpcMethod method) {
  if (method.name.empty() || !method.handler) {
    LOG_ERROR("rpc", "ignoring RPC method '" << method.name << "': it needs a name and a handler");
    return;
  }
  if (methods_.count(method.name) != 0) {
    LOG_WARN("rpc", "RPC method '" << method.name << "' registered twice; the later registration wins");
  }
  auto name = method.name;
  methods_.insert_or_assign(std::move(name), std::move(method));
}

std::vector<std::pair<std::string, std::string>> RpcDispatcher::methods() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(methods_.size() + 1);
  for (const auto& [name, method] : methods_) out.emplace_back(name, method.help);
  if (methods_.find(kListMethodsName) == methods_.end()) {
    out.emplace_back(std::string(kListMethodsName),
                     "rpc_methods() -> [{name, help}]: every method with its help line");
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string RpcDispatcher::handle(std::string_view request_body) const {
  try {
    json request;
    try {
      request = parse_body(request_body);
    } catch (const DepthExceeded&) {
      return serialize(
          error_response(nullptr, kParseError,
                         "parse error: nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels"));
    } catch (const json::exception& e) {
      const std::string detail = request_body.empty() ? "empty request body" : describe_json_error(e);
      return serialize(error_response(nullptr, kParseError, "parse error: " + detail));
    }

    if (request.is_array()) return handle_batch(request);
    auto response = handle_one(request);
    if (!response) return std::string();
    std::string text = serialize(*response);
    if (text.size() <= limits_.max_response_bytes) return text;
    const json id = (*response)["id"];
    const std::size_t size = text.size();
    response.reset();
    text = std::string();  // free the oversize reply before building the error
    return serialize(error_response(
        id, kInternalError,
        "response too large: " + std::to_string(size) + " bytes" + over_budget(limits_.max_response_bytes)));
  } catch (const std::exception& e) {
    // Only resource exhaustion (e.g. std::bad_alloc) can get here; handle_one catches handler failures.
    LOG_ERROR("rpc", "failed to handle request: " << e.what());
    return serialize(error_response(nullptr, kInternalError, std::string("internal error: ") + e.what()));
  }
}

std::string RpcDispatcher::handle_batch(const json& batch) const {
  if (batch.empty()) return serialize(invalid_request(nullptr, "empty batch"));
  const std::size_t max_requests = std::max<std::size_t>(limits_.max_batch_requests, 1);
  if (batch.size() > max_requests) {
    return serialize(error_response(nullptr, kInvalidRequest,
                                    "batch of " + std::to_string(batch.size()) +
                                        " requests exceeds the limit " + std::to_string(max_requests) +
                                        "; split it into smaller batches"));
  }
  // Responses are serialized one at a time and joined, so each one's size is known before the next runs.
  std::string out = "[";
  std::size_t count = 0;
  bool budget_spent = false;
  std::size_t notification_work = 0;
  const auto append = [&](const std::string& text) {
    if (count++ != 0) out += ',';
    out += text;
  };
  for (const auto& element : batch) {
    if (budget_spent) {
      if (is_notification_request(element)) continue;  // not run, and nothing to answer
      append(serialize(error_response(request_id(element), kInternalError,
                                      "not run: the batch's responses already reached the budget of " +
                                          std::to_string(limits_.max_response_bytes) +
                                          " bytes; send fewer requests per batch or use pagination")));
      continue;
    }
    std::size_t discarded = 0;
    auto response = handle_one(element, &discarded);
    // A notification's result is thrown away, but producing it was work all the same: it counts against
    // the budget, so a batch of notifications for huge results stops like one of requests.
    notification_work += discarded;
    if (notification_work + out.size() > limits_.max_response_bytes) budget_spent = true;
    if (!response) continue;
    std::string text = serialize(*response);
    // With the comma and the closing bracket, and the notifications' work.
    const std::size_t total = notification_work + out.size() + 1 + text.size() + 1;
    if (total > limits_.max_response_bytes) {
      budget_spent = true;
      text = serialize(error_response((*response)["id"], kInternalError,
                                      "response too large: the batch's responses reach " +
                                          std::to_string(total) + " bytes" +
                                          over_budget(limits_.max_response_bytes)));
    }
    append(text);
  }
  if (count == 0) return std::string();
  out += ']';
  return out;
}

std::optional<json> RpcDispatcher::handle_one(const json& request, std::size_t* notification_bytes) const {
  if (!request.is_object()) {
    return invalid_request(nullptr, std::string("expected a JSON object, got ") + request.type_name());
  }

  // An id must be readable before anything else, so that errors can carry it.
  const auto id_it = request.find("id");
  const bool is_notification = id_it == request.end();
  json id = nullptr;
  if (!is_notification) {
    if (!id_it->is_string() && !id_it->is_number() && !id_it->is_null()) {
      return invalid_request(
          nullptr, std::string("\"id\" must be a string, number or null, got ") + id_it->type_name());
    }
    id = *id_it;
  }

  // Requests invalid in form get a response even without an id: nobody can tell they meant to be
  // notifications.
  const auto version_it = request.find("jsonrpc");
  if (version_it == request.end() || !version_it->is_string() ||
      version_it->get_ref<const std::string&>() != "2.0") {
    return invalid_request(id, "\"jsonrpc\" must be \"2.0\"");
  }
  const auto method_it = request.find("method");
  if (method_it == request.end()) return invalid_request(id, "missing \"method\"");
  if (!method_it->is_string()) {
    return invalid_request(id, std::string("\"method\" must be a string, got ") + method_it->type_name());
  }
  const auto& method = method_it->get_ref<const std::string&>();
  const auto params_it = request.find("params");
  if (params_it != request.end() && !params_it->is_object() && !params_it->is_array()) {
    return invalid_request(
        id, std::string("\"params\" must be an object or an array, got ") + params_it->type_name());
  }
  static const json kNoParams = json::array();
  const json& params = params_it == request.end() ? kNoParams : *params_it;

  std::optional<json> response;
  try {
    json result = call(method, params);
    if (!is_notification) response = success_response(id, std::move(result));
    else if (notification_bytes) *notification_bytes = result.dump().size();
  } catch (const RpcError& e) {
    if (!is_notification) response = error_response(id, e.code(), e.message(), e.data());
  } catch (const std::exception& e) {
    LOG_WARN("rpc", "method '" << clip(method) << "' failed: " << e.what());
    if (!is_notification) {
      response = error_response(id, kInternalError, "internal error in '" + clip(method) + "': " + e.what());
    }
  } catch (...) {
    LOG_WARN("rpc", "method '" << clip(method) << "' threw a non-standard exception");
    if (!is_notification) {
      response =
          error_response(id, kInternalError, "internal error in '" + clip(method) + "': unknown exception");
    }
  }
  return response;
}

json RpcDispatcher::call(const std::string& method, const json& params) const {
  const auto it = methods_.find(method);
  if (it != methods_.end()) return it->second.handler(params);
  if (method == kListMethodsName) {
    reject_extra_params(params, {});
    json list = json::array();
    for (const auto& [name, help] : methods()) list.push_back(json{{"name", name}, {"help", help}});
    return list;
  }
  throw RpcError(kMethodNotFound, "method '" + clip(method) + "' not found; call '" +
                                      std::string(kListMethodsName) + "' for the list of methods");
}

// --- Param helpers ---

const json* optional_param(const json& params, std::size_t index, std::string_view name) {
  const json* found = nullptr;
  if (params.is_array()) {
    if (index < params.size()) found = &params[index];
  } else if (params.is_object()) {
    const auto it = params.find(std::string(name));
    if (it != params.end()) found = &*it;
  }
  return found != nullptr && !found->is_null() ? found : nullptr;
}

const json& param(const json& params, std::size_t index, std::string_view name) {
  const json* found = optional_param(params, index, name);
  if (found == nullptr) {
    throw RpcError(kInvalidParams, "missing parameter '" + std::string(name) + "' (by name, or at position " +
                                       std::to_string(index) + ")");
  }
  return *found;
}

std::optional<std::string> optional_param_string(const json& params, std::size_t index,
                                                 std::string_view name) {
  const json* value = optional_param(params, index, name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string())
    throw invalid_param(name, std::string("must be a string, got ") + value->type_name());
  return value->get<std::string>();
}

std::string param_string(const json& params, std::size_t index, std::string_view name) {
  param(params, index, name);  // throws if missing
  return *optional_param_string(params, index, name);
}

std::optional<std::uint64_t> optional_param_u64(const json& params, std::size_t index,
                                                std::string_view name) {
  const json* value = optional_param(params, index, name);
  if (value == nullptr) return std::nullopt;
  return to_u64(*value, name);
}

std::uint64_t param_u64(const json& params, std::size_t index, std::string_view name) {
  return to_u64(param(params, index, name), name);
}

std::optional<bool> optional_param_bool(const json& params, std::size_t index, std::string_view name) {
  const json* value = optional_param(params, index, name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean())
    throw invalid_param(name, std::string("must be true or false, got ") + value->type_name());
  return value->get<bool>();
}

bool param_bool(const json& params, std::size_t index, std::string_view name) {
  param(params, index, name);  // throws if missing
  return *optional_param_bool(params, index, name);
}

void reject_extra_params(const json& params, std::initializer_list<std::string_view> names) {
  const std::string expected =
      names.size() == 0 ? "this method takes no parameters" : "expected: " + join_names(names);
  if (params.is_array() && params.size() > names.size()) {
    throw RpcError(kInvalidParams, "too many parameters: got " + std::to_string(params.size()) +
                                       ", at most " + std::to_string(names.size()) + " allowed; " + expected);
  }
  if (params.is_object()) {
    for (const auto& [key, value] : params.items()) {
      const bool known = std::find(names.begin(), names.end(), key) != names.end();
      if (!known) throw RpcError(kInvalidParams, "unexpected parameter '" + clip(key) + "'; " + expected);
    }
  }
}

}  // namespace physis::rpc
