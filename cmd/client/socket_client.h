// SocketClient: a small Socket.IO v5 client (Engine.IO v4, WebSocket transport only) of agor's
// Feathers socket protocol, for CLI commands such as `agor watch`. websocketpp stays inside
// socket_client.cpp: this header costs nothing to include.
//
// Contract:
// - One event loop on the thread that calls Run(); every callback runs on that thread, and the
//   other methods must be called from it too (from a callback), except before Run().
// - Connect: `ws://host:port[/prefix]/socket.io/?<query>&EIO=4&transport=websocket`. On the
//   Engine.IO open packet the client sends CONNECT: `40` (or `40<auth>`) the first time, and
//   `40{"pid":..,"offset":..,<auth>}` when it reconnects after a server that announced a pid.
//   The server's CONNECT reply says whether the session was recovered (same pid).
// - Engine.IO pings are answered; a server silent for pingInterval + pingTimeout is dropped.
// - A lost connection (closed, failed, CONNECT_ERROR, DISCONNECT, undecodable frame, Reconnect())
//   is retried for ever with exponential backoff and jitter (min_backoff_ms doubling up to
//   max_backoff_ms; the delay is drawn from [delay/2, delay]). Only the very first connection
//   attempt fails Run() instead, unless SocketOptions::retry_first_connect.
// - Events: every EVENT frame `42["<name>",<arg>,...]` reaches the event handler with its first
//   argument (null when absent) and its offset: the last array element when the server gave a
//   pid and that element is a string, else "". Events that arrive before the CONNECT reply are
//   delivered right after the connect handler. The client resumes from the last offset it
//   delivered, or from the one given to SetOffset when that came later (an application that
//   also reads the event log elsewhere knows better what it has seen).
// - Calls: Feathers RPC `42<ack>["<method>","<path>",<args>...]`; the callback gets the error
//   (Status::FromJson of the server's error) or the result. Calls made while disconnected fail
//   at once with Unavailable; calls pending when the connection drops are forgotten (their
//   callbacks never run): the connect handler is where a client re-issues what it needs.
// - No exception escapes any method.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace agor {

struct SocketOptions {
  std::string url;             // "http://host:port[/prefix]" (as cmd/rest_client.h parses it)
  std::string query;           // extra handshake query, already encoded: "board_id=a,b"; may be ""
  Json auth = Json::object();  // CONNECT payload keys (besides pid/offset)
  int min_backoff_ms = 100;
  int max_backoff_ms = 5000;
  int handshake_timeout_ms = 5000;
  bool retry_first_connect = false;
};

class SocketClient {
 public:
  // name: "boards created"; arg: the event's first argument; offset: "" when none.
  using EventHandler =
      std::function<void(const std::string& name, Json arg, const std::string& offset)>;
  // recovered: the server resumed the previous session (same pid) and has replayed what the
  // client missed; false on the first connection and whenever the server started afresh.
  using ConnectHandler = std::function<void(bool recovered)>;
  // An established connection was lost; the client is about to reconnect.
  using LostHandler = std::function<void(const Status& why)>;
  using CallHandler = std::function<void(const Status& error, Json result)>;

  explicit SocketClient(SocketOptions options);
  ~SocketClient();
  SocketClient(const SocketClient&) = delete;
  SocketClient& operator=(const SocketClient&) = delete;

  void OnEvent(EventHandler handler);
  void OnConnect(ConnectHandler handler);
  void OnLost(LostHandler handler);

  // Runs the loop until Stop(). Unavailable when the first connection attempt fails (and
  // !retry_first_connect): IsUnreachable() (cmd/rest_client.h) when nothing answered at the
  // address, otherwise the reason (HTTP status of a refused upgrade, CONNECT_ERROR message).
  // An exception out of the loop or a handler ends it too, as a 500 status in agor's words
  // (never the library's text).
  Status Run();
  // Ends Run() soon: sends DISCONNECT, closes the socket, drops timers.
  void Stop();
  // Drops the current connection (if any) and reconnects as if it had been lost.
  void Reconnect();

  bool connected() const;  // Socket.IO-connected (CONNECT reply received)
  // The pid the server gave (empty when it gave none) and the last offset delivered.
  const std::string& pid() const;
  const std::string& offset() const;
  void SetOffset(std::string offset);

  // Feathers call: args are the arguments after the path, e.g. [{"board_id":"x"},{}] for
  // create. The callback runs on the loop, once, unless the connection drops first.
  void Call(const std::string& method, const std::string& path, Json args, CallHandler done);

  // Runs `tick` every interval_ms while Run() runs.
  void Every(int interval_ms, std::function<void()> tick);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agor
