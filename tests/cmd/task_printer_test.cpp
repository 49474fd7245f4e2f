#include "cmd/task_printer.h"

#include <catch2/catch.hpp>
#include <string>

namespace agor {
namespace {

// A printer writing into *out, on a terminal with or without colour.
TaskPrinter Printer(std::string* out, bool color) {
  OutputStyle style;
  style.json = false;
  style.color = color;
  return TaskPrinter(style, [out](std::string_view text) {
    out->append(text);
    return true;
  });
}

Json ChunkOf(const std::string& id, const std::string& chunk, const char* type) {
  Json record{{"message_id", id}, {"session_id", "s"}, {"task_id", "t"}, {"chunk", chunk}};
  if (type != nullptr) record["type"] = type;
  return record;
}

Json Stored(const std::string& id, const std::string& type, const Json& content) {
  return {{"message_id", id}, {"role", "assistant"}, {"type", type}, {"content", content}};
}

const Json kThinking = Json::array({{{"type", "thinking"}, {"thinking", "Hmm. Let me see."}}});
const Json kAnswer = Json::array({{{"type", "text"}, {"text", "The answer."}}});

}  // namespace

TEST_CASE("task printer: streamed thinking shows apart from the answer", "[cmd][prompt]") {
  std::string out;
  TaskPrinter p = Printer(&out, false);
  p.Chunk(ChunkOf("m1", "Hmm.", "thinking"));
  p.Chunk(ChunkOf("m1", " Let me", "thinking"));
  p.Chunk(ChunkOf("m2", "The ", "text"));  // the answer begins before thinking is stored
  p.Message(Stored("m1", "thinking", kThinking));
  p.Chunk(ChunkOf("m2", "answer.", "text"));
  p.Message(Stored("m2", "text", kAnswer));
  p.End();
  // The rest of the thinking came with its stored message, after the answer had begun: lines
  // of their own then, rather than in the middle of the answer.
  CHECK(out == "thinking: Hmm. Let me\nThe \nthinking:  see.\nanswer.\n");
}

TEST_CASE("task printer: thinking streamed whole, then the answer", "[cmd][prompt]") {
  std::string plain, colored;
  for (bool color : {false, true}) {
    std::string& out = color ? colored : plain;
    TaskPrinter p = Printer(&out, color);
    p.Chunk(ChunkOf("m1", "Hmm.", "thinking"));
    p.Chunk(ChunkOf("m1", " Let me see.", "thinking"));
    p.Message(Stored("m1", "thinking", kThinking));
    p.Chunk(ChunkOf("m2", "The answer.", "text"));
    p.Message(Stored("m2", "text", kAnswer));
    p.End();
  }
  CHECK(plain == "thinking: Hmm. Let me see.\nThe answer.\n");
  CHECK(colored == "\x1b[2mthinking: Hmm.\x1b[0m\x1b[2m Let me see.\x1b[0m\nThe answer.\n");
}

TEST_CASE("task printer: chunks without a type (an older daemon) are answer text",
          "[cmd][prompt]") {
  std::string out;
  TaskPrinter p = Printer(&out, true);
  p.Chunk(ChunkOf("m1", "Hello", nullptr));
  p.Message(Stored("m1", "text", "Hello there"));
  CHECK(out == "Hello there\n");
}

TEST_CASE("task printer: thinking that did not stream shows dim, then the answer",
          "[cmd][prompt]") {
  std::string out;
  TaskPrinter p = Printer(&out, true);
  p.Message(Stored("m1", "text", Json::array({kThinking[0], kAnswer[0]})));
  CHECK(out == "\x1b[2mthinking: Hmm. Let me see.\x1b[0m\nThe answer.\n");
}

TEST_CASE("task printer: a thinking chunk ending a line keeps its reset before the newline",
          "[cmd][prompt]") {
  std::string out;
  TaskPrinter p = Printer(&out, true);
  p.Chunk(ChunkOf("m1", "one\n", "thinking"));
  p.Message(Stored("m1", "thinking", Json::array({{{"type", "thinking"}, {"thinking", "one\n"}}})));
  p.Chunk(ChunkOf("m2", "two", "text"));
  p.End();
  CHECK(out == "\x1b[2mthinking: one\x1b[0m\ntwo\n");
}

TEST_CASE("task printer: thinking chunks are made terminal-safe", "[cmd][prompt]") {
  std::string out;
  TaskPrinter p = Printer(&out, false);
  p.Chunk(ChunkOf("m1", "a\x1b[31mred\rb", "thinking"));
  p.End();
  CHECK(out.find('\x1b') == std::string::npos);
  CHECK(out.find('\r') == std::string::npos);
  CHECK(out.rfind("thinking: a", 0) == 0);
}

TEST_CASE("task printer: JSON mode prints stored messages only", "[cmd][prompt]") {
  std::string out;
  OutputStyle style;
  style.json = true;
  TaskPrinter p(style, [&out](std::string_view text) {
    out.append(text);
    return true;
  });
  p.Chunk(ChunkOf("m1", "Hmm.", "thinking"));
  p.Note("queued (position 1)");
  p.Message(Stored("m1", "thinking", kThinking));
  CHECK(Json::parse(out) == Stored("m1", "thinking", kThinking));
}

}  // namespace agor
