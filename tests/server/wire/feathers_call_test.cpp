#include "server/wire/feathers_call.h"

#include <catch2/catch.hpp>

#include "server/wire/socketio.h"

namespace agor {
namespace {

// Decodes a whole client frame (`42N[...]`) down to the Feathers call, like the server will.
FeathersCall DecodeFrame(std::string_view frame) {
  INFO(frame);
  REQUIRE(frame.substr(0, 1) == "4");
  SocketPacket packet;
  REQUIRE(DecodeSocketPacket(frame.substr(1), &packet).ok());
  REQUIRE(packet.type == SocketType::kEvent);
  FeathersCall call;
  const Status status = DecodeFeathersCall(std::move(packet.data), &call);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return call;
}

Status DecodeError(const char* json, FeathersCall* call) {
  return DecodeFeathersCall(Json::parse(json), call);
}

Status DecodeError(const char* json) {
  FeathersCall call;
  return DecodeError(json, &call);
}

TEST_CASE("feathers calls decode for all six methods", "[feathers]") {
  // WIRE.md section 2.
  FeathersCall call = DecodeFrame(R"(420["create","boards",{"name":"wire board"},{}])");
  CHECK(call.method == FeathersMethod::kCreate);
  CHECK(call.method_name == "create");
  CHECK(call.path == "boards");
  CHECK(call.id.is_null());
  CHECK(call.data == Json{{"name", "wire board"}});
  CHECK(call.query == Json::object());

  // Section 3.
  call = DecodeFrame(R"(421["find","boards",{"$limit":1,"name":"wire board"}])");
  CHECK(call.method == FeathersMethod::kFind);
  CHECK(call.query.dump() == R"({"$limit":1,"name":"wire board"})");
  CHECK(call.data.is_null());
  CHECK(call.id.is_null());

  // Section 4.
  call = DecodeFrame(R"(422["get","boards","missing",{}])");
  CHECK(call.method == FeathersMethod::kGet);
  CHECK(call.id == "missing");
  CHECK(call.query == Json::object());

  // Section 8.
  call = DecodeFrame(R"(425["update","boards","missing",{"name":"x"},{}])");
  CHECK(call.method == FeathersMethod::kUpdate);
  CHECK(call.id == "missing");
  CHECK(call.data == Json{{"name", "x"}});

  call = DecodeFrame(
      R"(423["patch","boards","173c806f-6750-4538-b8b0-78ccf33542e4",{"description":"patched"},{}])");
  CHECK(call.method == FeathersMethod::kPatch);
  CHECK(call.id == "173c806f-6750-4538-b8b0-78ccf33542e4");
  CHECK(call.data == Json{{"description", "patched"}});

  call = DecodeFrame(R"(424["remove","boards","173c806f-6750-4538-b8b0-78ccf33542e4",{}])");
  CHECK(call.method == FeathersMethod::kRemove);
  CHECK(call.id == "173c806f-6750-4538-b8b0-78ccf33542e4");

  call = DecodeFrame(R"(426["remove","boards",null,{}])");  // multi remove: the service refuses
  CHECK(call.method == FeathersMethod::kRemove);
  CHECK(call.id.is_null());

  call = DecodeFrame(R"(427["find","boards",{"$foo":1}])");  // the query layer refuses
  CHECK(call.query == Json{{"$foo", 1}});

  call = DecodeFrame(R"(42["find","boards",{}])");  // no ack id: the call still decodes
  CHECK(call.method == FeathersMethod::kFind);
}

TEST_CASE("feathers call paths may contain slashes", "[feathers]") {
  // Section 6.
  FeathersCall call =
      DecodeFrame(R"(4211["create","sessions/ee03d1eb-b205-4a20-ba06-a3b81456efac/prompt",)"
                  R"({"messages":3,"prompt":"hello"},{}])");
  CHECK(call.path == "sessions/ee03d1eb-b205-4a20-ba06-a3b81456efac/prompt");
  CHECK(call.data.dump() == R"({"messages":3,"prompt":"hello"})");
  // Section 8.
  call = DecodeFrame(R"(429["create","sessions/missing/prompt",{"messages":1},{}])");
  CHECK(call.path == "sessions/missing/prompt");
  // Feathers strips outer slashes.
  call = DecodeFrame(R"(42["find","/boards/",{}])");
  CHECK(call.path == "boards");
  call = DecodeFrame(R"(42["find","//",{}])");
  CHECK(call.path.empty());
  // An unknown service decodes; the server answers NotFound (section 8: `nope`).
  call = DecodeFrame(R"(422["create","nope",{}])");
  CHECK(call.path == "nope");
  CHECK(call.data == Json::object());
}

TEST_CASE("feathers call query is optional and last", "[feathers]") {
  FeathersCall call = DecodeFrame(R"(42["find","boards"])");
  CHECK(call.query == Json::object());
  call = DecodeFrame(R"(42["find","boards",null])");
  CHECK(call.query == Json::object());
  call = DecodeFrame(R"(42["create","boards",{"name":"a"}])");
  CHECK(call.data == Json{{"name", "a"}});
  CHECK(call.query == Json::object());
  call = DecodeFrame(R"(42["patch","boards","b1",{"name":"a"}])");
  CHECK(call.id == "b1");
  CHECK(call.query == Json::object());
  call = DecodeFrame(R"(42["remove","boards","b1"])");
  CHECK(call.query == Json::object());
  // Section 8: get without an id decodes with a null id.
  call = DecodeFrame(R"(423["get","boards"])");
  CHECK(call.id.is_null());
  CHECK(call.query == Json::object());
  call = DecodeFrame(R"(42["create","boards"])");
  CHECK(call.data.is_null());
  // Numeric ids and array data (multi create) are passed on for the services to judge.
  call = DecodeFrame(R"(42["get","boards",12,{}])");
  CHECK(call.id == 12);
  call = DecodeFrame(R"(42["create","boards",[{"name":"a"}],{}])");
  CHECK(call.data.is_array());
}

TEST_CASE("feathers call with one argument too many is a BadRequest", "[feathers]") {
  // Section 8, byte for byte.
  FeathersCall call;
  Status status = DecodeError(R"(["create","boards",{"name":"raw"},{},{}])", &call);
  CHECK(status.code() == Code::kBadRequest);
  CHECK(status.message() == "Too many arguments for 'create' method");
  CHECK(EncodeErrorAck(4, status) ==
        R"(434[{"name":"BadRequest","message":"Too many arguments for 'create' method",)"
        R"("code":400,"className":"bad-request"}])");
  // The path is known, so the server can answer NotFound for an unknown service first.
  CHECK(call.path == "boards");
  CHECK(call.method_name == "create");

  CHECK(DecodeError(R"(["find","boards",{},{}])").message() ==
        "Too many arguments for 'find' method");
  CHECK(DecodeError(R"(["get","boards","x",{},{}])").message() ==
        "Too many arguments for 'get' method");
  CHECK(DecodeError(R"(["update","boards","x",{},{},{}])").message() ==
        "Too many arguments for 'update' method");
  CHECK(DecodeError(R"(["patch","boards","x",{},{},null])").message() ==
        "Too many arguments for 'patch' method");
  CHECK(DecodeError(R"(["remove","boards","x",{},1])").message() ==
        "Too many arguments for 'remove' method");
}

TEST_CASE("feathers call with an unknown method is MethodNotAllowed", "[feathers]") {
  FeathersCall call;
  // Section 8: stock Feathers 5 never answers this; agor does.
  Status status = DecodeError(R"(["frobnicate","boards",{}])", &call);
  CHECK(status.code() == Code::kMethodNotAllowed);
  CHECK(status.message() == "Method 'frobnicate' not allowed on service 'boards'");
  CHECK(call.method_name == "frobnicate");
  CHECK(call.path == "boards");
  CHECK(EncodeErrorAck(8, status) ==
        R"(438[{"name":"MethodNotAllowed","message":"Method 'frobnicate' not allowed on service )"
        R"('boards'","code":405,"className":"method-not-allowed"}])");

  status = DecodeError(R"(["join",{"board_id":"096384af"}])");  // section 9: not a method
  CHECK(status.code() == Code::kMethodNotAllowed);
  CHECK(status.message() == "Method 'join' not allowed");
  CHECK(DecodeError(R"(["Find","boards",{}])").code() == Code::kMethodNotAllowed);
  CHECK(DecodeError(R"(["",{}])").code() == Code::kMethodNotAllowed);
  CHECK(DecodeError(R"(["setup","boards"])").code() == Code::kMethodNotAllowed);
}

TEST_CASE("feathers call refuses wrong types", "[feathers]") {
  CHECK(DecodeError(R"(["find"])").code() == Code::kBadRequest);
  CHECK(DecodeError(R"(["find",1,{}])").code() == Code::kBadRequest);
  CHECK(DecodeError(R"(["find",null,{}])").code() == Code::kBadRequest);
  CHECK(DecodeError(R"(["find",["boards"],{}])").code() == Code::kBadRequest);
  CHECK(DecodeError(R"(["find","boards","q"])").message() == "Query must be an object");
  CHECK(DecodeError(R"(["find","boards",[]])").message() == "Query must be an object");
  CHECK(DecodeError(R"(["get","boards","x",5])").message() == "Query must be an object");
  CHECK(DecodeError(R"(["get","boards",{"a":1},{}])").message() == "Invalid id");
  CHECK(DecodeError(R"(["remove","boards",[1],{}])").message() == "Invalid id");
  CHECK(DecodeError(R"(["patch","boards",true,{},{}])").message() == "Invalid id");
}

TEST_CASE("feathers call refuses things that are not calls", "[feathers]") {
  FeathersCall call;
  CHECK(DecodeFeathersCall(Json(), &call).code() == Code::kBadRequest);
  CHECK(DecodeFeathersCall(Json::array(), &call).code() == Code::kBadRequest);
  CHECK(DecodeFeathersCall(Json::array({1, "boards"}), &call).code() == Code::kBadRequest);
  CHECK(DecodeFeathersCall(Json("find"), &call).code() == Code::kBadRequest);
  CHECK(DecodeFeathersCall(Json::object(), &call).code() == Code::kBadRequest);
}

TEST_CASE("feathers acks are byte-identical to the stock server", "[feathers]") {
  // Section 2.
  const std::string record =
      R"({"board_id":"173c806f-6750-4538-b8b0-78ccf33542e4","name":"wire board",)"
      R"("description":null,"created_at":"2026-11-26T11:55:13.617Z",)"
      R"("updated_at":"2026-11-26T11:55:13.617Z"})";
  CHECK(EncodeResultAck(0, Json::parse(record)) == "430[null," + record + "]");
  // Section 6.
  CHECK(EncodeResultAck(11, Json{{"task_id", "89a019bd-d1ee-4336-b3a5-73e451ee0429"}}) ==
        R"(4311[null,{"task_id":"89a019bd-d1ee-4336-b3a5-73e451ee0429"}])");
  // Section 8 (page envelope key order: total, limit, skip, data).
  CHECK(
      EncodeResultAck(0, Json{{"total", 0}, {"limit", 1}, {"skip", 0}, {"data", Json::array()}}) ==
      R"(430[null,{"total":0,"limit":1,"skip":0,"data":[]}])");
  CHECK(EncodeResultAck(7, nullptr) == "437[null,null]");
  // Section 4.
  CHECK(EncodeErrorAck(2, Status::NotFound("No record found for id 'missing'")) ==
        R"(432[{"name":"NotFound","message":"No record found for id 'missing'","code":404,)"
        R"("className":"not-found"}])");
  CHECK(EncodeErrorAck(6, Status::MethodNotAllowed("Can not remove multiple entries")) ==
        R"(436[{"name":"MethodNotAllowed","message":"Can not remove multiple entries",)"
        R"("code":405,"className":"method-not-allowed"}])");
  CHECK(EncodeErrorAck(1, Status::BadRequest("bad", Json{{"field", "name"}})) ==
        R"(431[{"name":"BadRequest","message":"bad","code":400,"className":"bad-request",)"
        R"("data":{"field":"name"}}])");
  // Messages with bad UTF-8 never throw.
  CHECK(EncodeErrorAck(1, Status::BadRequest("\xff")).find("\xef\xbf\xbd") != std::string::npos);
}

TEST_CASE("feathers method names", "[feathers]") {
  CHECK(std::string(FeathersMethodName(FeathersMethod::kFind)) == "find");
  CHECK(std::string(FeathersMethodName(FeathersMethod::kRemove)) == "remove");
}

}  // namespace
}  // namespace agor
