#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "rpc/json_rpc.h"

namespace physis::rpc {
namespace {

using json = nlohmann::json;

class JsonRpcTest : public ::testing::Test {
 protected:
  JsonRpcTest() {
    dispatcher_.add({"echo", "echo(params) -> params", [](const json& params) { return params; }});
    dispatcher_.add({"add", "add(a, b) -> a + b", [](const json& params) {
                       reject_extra_params(params, {"a", "b"});
                       return json(param_u64(params, 0, "a") + param_u64(params, 1, "b"));
                     }});
    dispatcher_.add({"block", "block(height) -> not found", [](const json&) -> json {
                       throw RpcError(kNotFound, "no block at height 5", json{{"height", 5}});
                     }});
    dispatcher_.add({"broken", "broken() -> throws",
                     [](const json&) -> json { throw std::runtime_error("disk on fire"); }});
    dispatcher_.add({"count", "count() -> calls so far", [this](const json&) { return json(++calls_); }});
  }

  json call(std::string_view body) const {
    const std::string out = dispatcher_.handle(body);
    EXPECT_FALSE(out.empty()) << "no response to " << body;
    return json::parse(out);
  }

  // Checks a single error response and returns its message.
  static std::string expect_error(const json& response, int code, const json& id = nullptr) {
    EXPECT_EQ(response.at("jsonrpc"), "2.0");
    EXPECT_EQ(response.at("id"), id);
    EXPECT_FALSE(response.contains("result"));
    EXPECT_EQ(response.at("error").at("code"), code) << response.dump();
    return response.at("error").at("message").get<std::string>();
  }

  RpcDispatcher dispatcher_;
  std::atomic<int> calls_{0};
};

TEST_F(JsonRpcTest, SuccessCarriesVersionIdAndResult) {
  const json response = call(R"({"jsonrpc":"2.0","id":7,"method":"add","params":[2,3]})");
  EXPECT_EQ(response, json({{"jsonrpc", "2.0"}, {"id", 7}, {"result", 5}}));
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":"x","method":"add","params":{"a":1,"b":"9"}})").at("result"), 10);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":null,"method":"echo","params":[1]})").at("id"), nullptr);
  // Absent params reach the handler as an empty array.
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"echo"})").at("result"), json::array());
}

TEST_F(JsonRpcTest, ParseErrorSaysWhatWasWrong) {
  const std::string message = expect_error(call(R"({"jsonrpc":"2.0",)"), kParseError);
  EXPECT_NE(message.find("parse error"), std::string::npos) << message;
  EXPECT_NE(message.find("line 1"), std::string::npos) << message;
  EXPECT_NE(expect_error(call(""), kParseError).find("empty request body"), std::string::npos);
  EXPECT_EQ(expect_error(call("1e99999"), kParseError).find("["), std::string::npos);  // no library tag
}

TEST_F(JsonRpcTest, DeepNestingIsAParseErrorNotACrash) {
  const std::string deep(100000, '[');
  EXPECT_NE(expect_error(call(deep + std::string(100000, ']')), kParseError).find("nesting"),
            std::string::npos);
  const std::string ok = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[[[[[[[[1]]]]]]]]})";
  EXPECT_TRUE(call(ok).contains("result"));
}

TEST_F(JsonRpcTest, InvalidRequests) {
  EXPECT_NE(expect_error(call("42"), kInvalidRequest).find("object"), std::string::npos);
  EXPECT_NE(expect_error(call(R"({"id":1,"method":"echo"})"), kInvalidRequest, 1).find("jsonrpc"),
            std::string::npos);
  expect_error(call(R"({"jsonrpc":"1.0","id":1,"method":"echo"})"), kInvalidRequest, 1);
  expect_error(call(R"({"jsonrpc":2.0,"id":1,"method":"echo"})"), kInvalidRequest, 1);
  EXPECT_NE(expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":5})"), kInvalidRequest, 1).find("method"),
            std::string::npos);
  expect_error(call(R"({"jsonrpc":"2.0","id":1})"), kInvalidRequest, 1);
  // An id of the wrong type cannot be echoed, so the response carries null.
  EXPECT_NE(
      expect_error(call(R"({"jsonrpc":"2.0","id":{"a":1},"method":"echo"})"), kInvalidRequest).find("id"),
      std::string::npos);
  expect_error(call(R"({"jsonrpc":"2.0","id":[1],"method":"echo"})"), kInvalidRequest);
  expect_error(call(R"({"jsonrpc":"2.0","id":true,"method":"echo"})"), kInvalidRequest);
  EXPECT_NE(expect_error(call(R"({"jsonrpc":"2.0","id":3,"method":"echo","params":"x"})"), kInvalidRequest, 3)
                .find("params"),
            std::string::npos);
  expect_error(call(R"({"jsonrpc":"2.0","id":3,"method":"echo","params":null})"), kInvalidRequest, 3);
  // Invalid in form without an id: still answered, as nobody can tell it was meant as a notification.
  expect_error(call(R"({"jsonrpc":"2.0","method":7})"), kInvalidRequest);
}

TEST_F(JsonRpcTest, MethodNotFoundNamesMethodAndSuggestsList) {
  const std::string message =
      expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":"chain_nope"})"), kMethodNotFound, 1);
  EXPECT_NE(message.find("chain_nope"), std::string::npos);
  EXPECT_NE(message.find("rpc_methods"), std::string::npos);
  // A huge method name is not echoed in full.
  const std::string huge = R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(10000, 'm') + R"("})";
  EXPECT_LT(expect_error(call(huge), kMethodNotFound, 1).size(), 200u);
}

TEST_F(JsonRpcTest, InvalidParams) {
  std::string message =
      expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[1]})"), kInvalidParams, 1);
  EXPECT_NE(message.find("missing parameter 'b'"), std::string::npos) << message;
  message = expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":-2}})"),
                         kInvalidParams, 1);
  EXPECT_NE(message.find("'b'"), std::string::npos) << message;
  message = expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":2,"c":3}})"),
                         kInvalidParams, 1);
  EXPECT_NE(message.find("unexpected parameter 'c'"), std::string::npos) << message;
  expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[1,2,3]})"), kInvalidParams, 1);
}

TEST_F(JsonRpcTest, ApplicationErrorKeepsCodeMessageAndData) {
  const json response = call(R"({"jsonrpc":"2.0","id":4,"method":"block","params":[5]})");
  EXPECT_EQ(expect_error(response, kNotFound, 4), "no block at height 5");
  EXPECT_EQ(response.at("error").at("data"), json({{"height", 5}}));
}

TEST_F(JsonRpcTest, StdExceptionBecomesInternalErrorWithWhat) {
  const std::string message =
      expect_error(call(R"({"jsonrpc":"2.0","id":1,"method":"broken"})"), kInternalError, 1);
  EXPECT_NE(message.find("disk on fire"), std::string::npos) << message;
  EXPECT_NE(message.find("broken"), std::string::npos) << message;
}

TEST_F(JsonRpcTest, NotificationsRunButGetNoResponse) {
  EXPECT_EQ(dispatcher_.handle(R"({"jsonrpc":"2.0","method":"count"})"), "");
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(dispatcher_.handle(R"({"jsonrpc":"2.0","method":"no_such_method"})"), "");
  EXPECT_EQ(dispatcher_.handle(R"({"jsonrpc":"2.0","method":"broken"})"), "");
}

TEST_F(JsonRpcTest, BatchWithMixedRequests) {
  const json responses = call(R"([
    {"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]},
    {"jsonrpc":"2.0","method":"count"},
    7,
    {"jsonrpc":"2.0","id":"b","method":"missing"},
    {"jsonrpc":"2.0","id":3,"method":"add","params":[1]}
  ])");
  ASSERT_TRUE(responses.is_array());
  ASSERT_EQ(responses.size(), 4u);  // the notification gets none
  EXPECT_EQ(responses[0].at("result"), 3);
  EXPECT_EQ(responses[0].at("id"), 1);
  expect_error(responses[1], kInvalidRequest);
  expect_error(responses[2], kMethodNotFound, "b");
  expect_error(responses[3], kInvalidParams, 3);
  EXPECT_EQ(calls_, 1);
}

TEST_F(JsonRpcTest, BatchEdgeCases) {
  EXPECT_EQ(dispatcher_.handle(R"([{"jsonrpc":"2.0","method":"count"},{"jsonrpc":"2.0","method":"count"}])"),
            "");
  EXPECT_EQ(calls_, 2);
  EXPECT_NE(expect_error(call("[]"), kInvalidRequest).find("empty batch"), std::string::npos);

  const std::size_t limit = RpcLimits{}.max_batch_requests;
  ASSERT_EQ(limit, 100u);
  json batch = json::array();
  for (std::size_t i = 0; i < limit; ++i)
    batch.push_back({{"jsonrpc", "2.0"}, {"id", i}, {"method", "echo"}});
  EXPECT_EQ(call(batch.dump()).size(), limit);
}

// A batch over the limit is refused whole, before any of it runs.
TEST_F(JsonRpcTest, BatchOverTheLimitRunsNothing) {
  RpcDispatcher small(RpcLimits{3, 1024 * 1024});
  std::atomic<int> calls{0};
  small.add({"count", "count()", [&calls](const json&) { return json(++calls); }});
  json batch = json::array();
  for (int i = 0; i < 4; ++i) batch.push_back({{"jsonrpc", "2.0"}, {"id", i}, {"method", "count"}});
  const std::string message = expect_error(json::parse(small.handle(batch.dump())), kInvalidRequest);
  EXPECT_EQ(message, "batch of 4 requests exceeds the limit 3; split it into smaller batches");
  EXPECT_EQ(calls, 0);
  batch.erase(batch.begin());
  EXPECT_EQ(json::parse(small.handle(batch.dump())).size(), 3u);
  EXPECT_EQ(calls, 3);
}

class ResponseBudgetTest : public ::testing::Test {
 protected:
  ResponseBudgetTest() : dispatcher_(RpcLimits{100, kBudget}) {
    // big(n) returns a string of n bytes and counts its calls.
    dispatcher_.add({"big", "big(n) -> n bytes", [this](const json& params) {
                       ++calls_;
                       return json(std::string(param_u64(params, 0, "n"), 'x'));
                     }});
  }
  static json request(int id, std::size_t bytes) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", "big"}, {"params", {bytes}}};
  }
  static constexpr std::size_t kBudget = 10000;
  RpcDispatcher dispatcher_;
  int calls_ = 0;
};

TEST_F(ResponseBudgetTest, SingleResponseOverTheBudgetBecomesAnError) {
  EXPECT_LE(dispatcher_.handle(request(7, kBudget - 100).dump()).size(), kBudget);
  const json reply = json::parse(dispatcher_.handle(request(7, kBudget).dump()));
  EXPECT_EQ(reply.at("id"), 7);
  EXPECT_EQ(reply.at("error").at("code"), kInternalError);
  const std::string message = reply.at("error").at("message");
  EXPECT_EQ(message.rfind("response too large: 10", 0), 0u) << message;
  EXPECT_NE(message.find("over the budget of 10000 bytes; request fewer items or use pagination"),
            std::string::npos)
      << message;
}

// The entry that would take the batch over the budget gets the error, and nothing after it runs.
TEST_F(ResponseBudgetTest, BatchStopsWorkingWhenTheBudgetIsSpent) {
  json batch = json::array();
  for (int i = 0; i < 40; ++i) batch.push_back(request(i, 3000));
  batch.push_back({{"jsonrpc", "2.0"}, {"method", "big"}, {"params", {1}}});  // a notification: no answer
  const std::string text = dispatcher_.handle(batch.dump());
  EXPECT_EQ(calls_, 4);  // three fit (about 9.1 KB), the fourth overflows, the rest never run
  EXPECT_LT(text.size(), kBudget + 40 * 250);
  const json replies = json::parse(text);
  ASSERT_EQ(replies.size(), 40u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(replies[i].at("result").get<std::string>().size(), 3000u);
  EXPECT_EQ(replies[3].at("id"), 3);
  EXPECT_NE(replies[3].at("error").at("message").get<std::string>().find("the batch's responses reach"),
            std::string::npos);
  for (int i = 4; i < 40; ++i) {
    EXPECT_EQ(replies[i].at("id"), i);
    EXPECT_EQ(replies[i].at("error").at("code"), kInternalError);
    EXPECT_EQ(replies[i].at("error").at("message").get<std::string>().rfind("not run: ", 0), 0u);
  }
}

// Notifications get no answer, but their results were produced all the same: they count against the
// budget, so a batch of notifications asking for huge results stops working like one of requests.
TEST_F(ResponseBudgetTest, NotificationsCountAgainstTheBudget) {
  json batch = json::array();
  for (int i = 0; i < 40; ++i) batch.push_back({{"jsonrpc", "2.0"}, {"method", "big"}, {"params", {3000}}});
  batch.push_back(request(99, 10));
  const std::string text = dispatcher_.handle(batch.dump());
  EXPECT_EQ(calls_, 4);  // three results fit the budget, the fourth spends it, the rest never run
  const json replies = json::parse(text);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].at("id"), 99);
  EXPECT_EQ(replies[0].at("error").at("message").get<std::string>().rfind("not run: ", 0), 0u);
}

TEST_F(ResponseBudgetTest, BatchUnderTheBudgetIsWhole) {
  json batch = json::array();
  for (int i = 0; i < 3; ++i) batch.push_back(request(i, 3000));
  const json replies = json::parse(dispatcher_.handle(batch.dump()));
  ASSERT_EQ(replies.size(), 3u);
  for (const auto& reply : replies) EXPECT_TRUE(reply.contains("result"));
  EXPECT_EQ(calls_, 3);
}

TEST_F(JsonRpcTest, MethodListIsSortedAndIncludesBuiltIn) {
  const auto methods = dispatcher_.methods();
  std::vector<std::string> names;
  for (const auto& [name, help] : methods) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"add", "block", "broken", "count", "echo", "rpc_methods"}));
  const json listed = call(R"({"jsonrpc":"2.0","id":1,"method":"rpc_methods"})").at("result");
  ASSERT_EQ(listed.size(), methods.size());
  EXPECT_EQ(listed[0], json({{"name", "add"}, {"help", "add(a, b) -> a + b"}}));
}

TEST_F(JsonRpcTest, LaterRegistrationReplacesEarlierAndBadOnesAreIgnored) {
  dispatcher_.add({"echo", "echo v2", [](const json&) { return json("v2"); }});
  dispatcher_.add({"", "nameless", [](const json&) { return json(); }});
  dispatcher_.add({"no_handler", "", nullptr});
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"echo"})").at("result"), "v2");
  EXPECT_EQ(dispatcher_.methods().size(), 6u);
}

TEST_F(JsonRpcTest, ConcurrentHandleIsSafe) {
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const json request = {{"jsonrpc", "2.0"}, {"id", i}, {"method", "add"}, {"params", {t, i}}};
        const json response = json::parse(dispatcher_.handle(request.dump()));
        if (response.at("result") == t + i && response.at("id") == i) ++good;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good, 800);
}

// --- Param helpers ---

int code_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const RpcError& e) {
    if (message) *message = e.message();
    return e.code();
  }
  return 0;
}

TEST(ParamHelpers, ByPositionOrName) {
  const json by_position = json::array({"abc", 5, nullptr, true});
  const json by_name = {{"text", "abc"}, {"n", 5}, {"flag", true}};
  EXPECT_EQ(param_string(by_position, 0, "text"), "abc");
  EXPECT_EQ(param_string(by_name, 0, "text"), "abc");
  EXPECT_EQ(param_u64(by_position, 1, "n"), 5u);
  EXPECT_EQ(param_u64(by_name, 1, "n"), 5u);
  EXPECT_TRUE(param_bool(by_position, 3, "flag"));
  EXPECT_EQ(optional_param_u64(by_position, 2, "skipped"), std::nullopt);  // null counts as absent
  EXPECT_EQ(optional_param_u64(by_position, 9, "absent"), std::nullopt);
  EXPECT_EQ(optional_param_string(by_name, 0, "absent"), std::nullopt);
  EXPECT_EQ(optional_param_bool(by_name, 0, "flag"), true);
  EXPECT_EQ(optional_param(json::array(), 0, "x"), nullptr);
}

TEST(ParamHelpers, MissingAndWrongType) {
  std::string message;
  EXPECT_EQ(code_of([] { param(json::array(), 0, "height"); }, &message), kInvalidParams);
  EXPECT_NE(message.find("missing parameter 'height'"), std::string::npos) << message;
  EXPECT_EQ(code_of([] { param_u64(json::array({nullptr}), 0, "height"); }), kInvalidParams);
  EXPECT_EQ(code_of([] { param_string(json::array({5}), 0, "hash"); }, &message), kInvalidParams);
  EXPECT_NE(message.find("'hash' must be a string, got number"), std::string::npos) << message;
  EXPECT_EQ(code_of([] { param_bool(json::array({"yes"}), 0, "full"); }), kInvalidParams);
  EXPECT_EQ(code_of([] { optional_param_string(json::array({1}), 0, "x"); }), kInvalidParams);
}

TEST(ParamHelpers, U64AcceptsIntegersAndDecimalStrings) {
  const auto u64 = [](const json& value) { return param_u64(json::array({value}), 0, "n"); };
  EXPECT_EQ(u64(0), 0u);
  EXPECT_EQ(u64(json(std::int64_t{42})), 42u);
  EXPECT_EQ(u64(json::parse("18446744073709551615")), UINT64_MAX);
  EXPECT_EQ(u64("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(u64("007"), 7u);
}

TEST(ParamHelpers, U64Rejections) {
  const auto reject = [](const json& value, std::string_view why) {
    std::string message;
    EXPECT_EQ(code_of([&] { param_u64(json::array({value}), 0, "height"); }, &message), kInvalidParams)
        << value.dump();
    EXPECT_NE(message.find("'height'"), std::string::npos) << message;
    EXPECT_NE(message.find(why), std::string::npos) << value.dump() << ": " << message;
  };
  reject(-1, "non-negative");
  reject(1.5, "must be an integer");
  reject(json::parse("1e3"), "must be an integer");
  reject(-2.5, "non-negative");
  reject(json::parse("18446744073709551616"), "too large");
  reject("18446744073709551616", "too large");
  reject("99999999999999999999999", "too large");
  reject("-3", "non-negative");
  reject("0x10", "decimal digits");
  reject(" 5", "decimal digits");
  reject("5.0", "decimal digits");
  reject("", "empty");
  reject(true, "got boolean");
  reject(json::object(), "got object");
}

TEST(ParamHelpers, RejectExtraParams) {
  std::string message;
  EXPECT_EQ(code_of([] { reject_extra_params(json::array({1, 2}), {"a"}); }, &message), kInvalidParams);
  EXPECT_NE(message.find("too many parameters: got 2"), std::string::npos) << message;
  EXPECT_EQ(code_of([] { reject_extra_params(json{{"hieght", 1}}, {"height"}); }, &message), kInvalidParams);
  EXPECT_NE(message.find("unexpected parameter 'hieght'; expected: height"), std::string::npos) << message;
  EXPECT_EQ(code_of([] { reject_extra_params(json{{"a", 1}}, {}); }, &message), kInvalidParams);
  EXPECT_NE(message.find("takes no parameters"), std::string::npos) << message;
  EXPECT_EQ(code_of([] { reject_extra_params(json::array({1}), {"a", "b"}); }), 0);
}

}  // namespace
}  // namespace physis::rpc
