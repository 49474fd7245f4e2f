// The Feathers RPC carried by a Socket.IO EVENT (@feathersjs/transport-commons 5), and the
// frames that answer it. Pure functions: no I/O, no service lookup.
//
//   ["find",   path, query?]              ["get",    path, id, query?]
//   ["create", path, data, query?]        ["update", path, id, data, query?]
//   ["patch",  path, id, data, query?]    ["remove", path, id, query?]
//
// The query is the last argument and optional; answers are `43<ack>[null,result]` or
// `43<ack>[error]`. Stock Feathers checks, in this order: unknown method (stock 5 registers no
// handler and never acks; agor answers MethodNotAllowed), unknown service (NotFound
// "Service '<path>' not found"), then arguments (BadRequest "Too many arguments for '<m>'
// method"). DecodeFeathersCall checks the method and the arguments but cannot know the
// services: whenever it fails with path being a string, out->method_name and out->path are
// already set, so the server can answer NotFound for an unknown service first, as stock does.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace agor {

enum class FeathersMethod { kFind, kGet, kCreate, kUpdate, kPatch, kRemove };

// One decoded call.
//   method_name: the name as received (also set when it is not a Feathers method).
//   path:        service path with leading/trailing slashes stripped, as Feathers does; may
//                contain inner slashes (`sessions/<id>/prompt`); may be empty (no service).
//   id:          string, number or null; null when the method takes no id or the client
//                left it out (`["get","boards"]`): services decide what a null id means.
//   data:        create/update/patch payload as sent (any JSON; null when left out).
//   query:       always an object; {} when left out or sent as null.
struct FeathersCall {
  FeathersMethod method = FeathersMethod::kFind;
  std::string method_name;
  std::string path;
  Json id;
  Json data;
  Json query = Json::object();
};

// "find", "get", ...
const char* FeathersMethodName(FeathersMethod method);

// Decodes the data of an EVENT (the whole array, event name first). Takes the array by value:
// move the packet's data in and data/query are moved out, not copied.
//   MethodNotAllowed "Method '<m>' not allowed on service '<path>'" for a name that is not one
//     of the six methods ("Method '<m>' not allowed" when the path is not a string).
//   BadRequest "Service path must be a string" when the path is missing or not a string;
//     "Too many arguments for '<m>' method" (Feathers' message) for one argument too many;
//     "Invalid id" when the id is not a string, number or null;
//     "Query must be an object" when the query is neither an object nor null.
Status DecodeFeathersCall(Json event, FeathersCall* out);

// `43<ack_id>[null,<result>]`, result dumped once straight into the frame.
std::string EncodeResultAck(std::int64_t ack_id, const Json& result);
// `43<ack_id>[{"name":...,"message":...,"code":...,"className":...}]` (Status::ToJson()).
std::string EncodeErrorAck(std::int64_t ack_id, const Status& error);

}  // namespace agor
