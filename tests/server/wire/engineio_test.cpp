#include "server/wire/engineio.h"

#include <catch2/catch.hpp>

namespace agor {
namespace {

EnginePacket Decode(std::string_view text) {
  EnginePacket packet;
  const Status status = DecodeEnginePacket(text, &packet);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return packet;
}

Status DecodeError(std::string_view text) {
  EnginePacket packet;
  return DecodeEnginePacket(text, &packet);
}

TEST_CASE("engine.io open packet is byte-identical to engine.io 6.6", "[engineio]") {
  // WIRE.md section 1 (websocket) and section 10 (polling).
  CHECK(EncodeOpen("irk8pkE7xTtuKFWFAAAG", {}) ==
        R"(0{"sid":"irk8pkE7xTtuKFWFAAAG","upgrades":[],"pingInterval":25000,)"
        R"("pingTimeout":20000,"maxPayload":1000000})");
  CHECK(EncodeOpen("p_hEdfENDCn12fC5AAAI", {"websocket"}, 25000, 20000, 1000000) ==
        R"(0{"sid":"p_hEdfENDCn12fC5AAAI","upgrades":["websocket"],"pingInterval":25000,)"
        R"("pingTimeout":20000,"maxPayload":1000000})");
  // Section 9.
  CHECK(EncodeOpen("jOrcmdYtLDNB_L2tAAAC", {}) ==
        R"(0{"sid":"jOrcmdYtLDNB_L2tAAAC","upgrades":[],"pingInterval":25000,)"
        R"("pingTimeout":20000,"maxPayload":1000000})");
  CHECK(EncodeOpen("s", {}, 100, 200, 300) ==
        R"(0{"sid":"s","upgrades":[],"pingInterval":100,"pingTimeout":200,"maxPayload":300})");
  // A sid is escaped, never pasted raw.
  CHECK(EncodeOpen("a\"b", {}).rfind(R"(0{"sid":"a\"b",)", 0) == 0);
}

TEST_CASE("engine.io decodes the frames a client sends", "[engineio]") {
  EnginePacket packet = Decode("40");  // section 1: socket.io CONNECT inside a message
  CHECK(packet.type == EngineType::kMessage);
  CHECK(packet.data == "0");

  packet = Decode(R"(420["create","boards",{"name":"wire board"},{}])");  // section 2
  CHECK(packet.type == EngineType::kMessage);
  CHECK(packet.data == R"(20["create","boards",{"name":"wire board"},{}])");

  packet = Decode("3");  // section 7: pong
  CHECK(packet.type == EngineType::kPong);
  CHECK(packet.data.empty());

  packet = Decode("41");  // section 7: socket.io DISCONNECT
  CHECK(packet.type == EngineType::kMessage);
  CHECK(packet.data == "1");

  packet = Decode("2probe");  // section 10: upgrade probe
  CHECK(packet.type == EngineType::kPing);
  CHECK(packet.data == "probe");

  packet = Decode("5");  // section 10: upgrade
  CHECK(packet.type == EngineType::kUpgrade);
  CHECK(packet.data.empty());

  CHECK(Decode("1").type == EngineType::kClose);
  CHECK(Decode("6").type == EngineType::kNoop);
  CHECK(Decode("0").type == EngineType::kOpen);
  CHECK(Decode("2").type == EngineType::kPing);
}

TEST_CASE("engine.io decoded data is a view into the input", "[engineio]") {
  const std::string frame = "42[\"x\"]";
  const EnginePacket packet = Decode(frame);
  CHECK(packet.data.data() == frame.data() + 1);
}

TEST_CASE("engine.io encodes the frames the server sends", "[engineio]") {
  CHECK(EncodeEnginePacket(EngineType::kPing) == "2");                // section 7
  CHECK(EncodeEnginePacket(EngineType::kPong, "probe") == "3probe");  // section 10
  CHECK(EncodeEnginePacket(EngineType::kNoop) == "6");                // section 10
  CHECK(EncodeEnginePacket(EngineType::kClose) == "1");               // section 10
  CHECK(EncodeEnginePacket(EngineType::kMessage, R"(0{"sid":"x"})") == R"(40{"sid":"x"})");
  std::string out = "x";
  AppendEnginePacket(&out, EngineType::kMessage, "1");
  CHECK(out == "x41");
}

TEST_CASE("engine.io refuses malformed packets cleanly", "[engineio]") {
  CHECK(DecodeError("").code() == Code::kBadRequest);
  CHECK(DecodeError("7").code() == Code::kBadRequest);
  CHECK(DecodeError("9abc").code() == Code::kBadRequest);
  CHECK(DecodeError("x").code() == Code::kBadRequest);
  CHECK(DecodeError("/").code() == Code::kBadRequest);
  CHECK(DecodeError(std::string_view("\0", 1)).code() == Code::kBadRequest);
  CHECK(DecodeError("\xff").code() == Code::kBadRequest);
  // Base64 binary packets: agor does not support binary.
  const Status binary = DecodeError("bAQIDBA==");
  CHECK(binary.code() == Code::kBadRequest);
  CHECK(binary.message().find("binary") != std::string::npos);
  CHECK(DecodeError("b").code() == Code::kBadRequest);
}

TEST_CASE("engine.io polling payloads split on the record separator", "[engineio]") {
  // Section 10: the POST body with two calls.
  const std::string body =
      "420[\"find\",\"boards\",{\"$limit\":0}]\x1e"
      "421[\"get\",\"boards\",\"missing\",{}]";
  std::vector<EnginePacket> packets;
  REQUIRE(DecodePollingPayload(body, &packets).ok());
  REQUIRE(packets.size() == 2);
  CHECK(packets[0].type == EngineType::kMessage);
  CHECK(packets[0].data == R"(20["find","boards",{"$limit":0}])");
  CHECK(packets[1].type == EngineType::kMessage);
  CHECK(packets[1].data == R"(21["get","boards","missing",{}])");
  CHECK(EncodePollingPayload(packets) == body);

  REQUIRE(DecodePollingPayload("40", &packets).ok());  // section 10: first POST
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].data == "0");

  REQUIRE(DecodePollingPayload("3\x1e"
                               "2probe\x1e"
                               "6",
                               &packets)
              .ok());
  REQUIRE(packets.size() == 3);
  CHECK(packets[0].type == EngineType::kPong);
  CHECK(packets[1].type == EngineType::kPing);
  CHECK(packets[1].data == "probe");
  CHECK(packets[2].type == EngineType::kNoop);
}

TEST_CASE("engine.io polling GET bodies are built from encoded frames", "[engineio]") {
  // Section 10: the GET answering the two calls above.
  const std::string first = R"(430[null,{"total":0,"limit":0,"skip":0,"data":[]}])";
  const std::string second =
      R"(431[{"name":"NotFound","message":"No record found for id 'missing'","code":404,)"
      R"("className":"not-found"}])";
  std::string body;
  AppendPollingFrame(&body, first);
  CHECK(body == first);
  AppendPollingFrame(&body, second);
  CHECK(body == first + "\x1e" + second);

  CHECK(EncodePollingPayload({}).empty());
  CHECK(EncodePollingPayload({{EngineType::kNoop, {}}}) == "6");
  CHECK(EncodePollingPayload({{EngineType::kMessage, R"(0{"sid":"Dz6pxrj70jecJ2ygAAAI"})"}}) ==
        R"(40{"sid":"Dz6pxrj70jecJ2ygAAAI"})");
}

TEST_CASE("engine.io refuses malformed polling payloads, keeping the good prefix", "[engineio]") {
  std::vector<EnginePacket> packets;
  CHECK(DecodePollingPayload("", &packets).code() == Code::kBadRequest);
  CHECK(packets.empty());
  CHECK(DecodePollingPayload("\x1e", &packets).code() == Code::kBadRequest);
  CHECK(DecodePollingPayload("\x1e"
                             "40",
                             &packets)
            .code() == Code::kBadRequest);
  CHECK(packets.empty());

  CHECK(DecodePollingPayload("40\x1e", &packets).code() == Code::kBadRequest);
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].data == "0");

  CHECK(DecodePollingPayload("40\x1e\x1e"
                             "41",
                             &packets)
            .code() == Code::kBadRequest);
  CHECK(packets.size() == 1);

  const Status binary = DecodePollingPayload(
      "40\x1e"
      "bAQID\x1e"
      "41",
      &packets);
  CHECK(binary.code() == Code::kBadRequest);
  CHECK(binary.message().find("binary") != std::string::npos);
  CHECK(packets.size() == 1);

  CHECK(DecodePollingPayload("8", &packets).code() == Code::kBadRequest);
  CHECK(packets.empty());
}

}  // namespace
}  // namespace agor
