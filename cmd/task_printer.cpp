#include "cmd/task_printer.h"

#include <utility>
#include <vector>

#include "base/json.h"

namespace agor {
namespace {

constexpr size_t kExcerptWidth = 100;
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kReset = "\x1b[0m";

// The readable text of message content: a string, or the text/thinking blocks of an array.
std::string ContentText(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (!content.is_array()) return text;
  for (const Json& block : content) {
    std::string type = StringField(block, "type");
    if (type == "text" || type == "thinking") text += StringField(block, type.c_str());
  }
  return text;
}

// The text of the `type` blocks ("text", "thinking") of content blocks, joined.
std::string BlockText(const Json& content, const std::string& type) {
  std::string text;
  if (!content.is_array()) return text;
  for (const Json& block : content) {
    if (StringField(block, "type") == type) text += StringField(block, type.c_str());
  }
  return text;
}

// The answer of message content: a string, or its text blocks (thinking shows apart).
std::string AnswerText(const Json& content) {
  return content.is_string() ? content.get<std::string>() : BlockText(content, "text");
}

// One line of `text` (its first), cut to the excerpt width.
std::string Excerpt(const std::string& text) {
  std::string first = text.substr(0, text.find('\n'));
  if (first.size() < text.size()) first += " \xe2\x80\xa6";
  return CellText(Json(first), Column{"", "", Column::kText, kExcerptWidth});
}

// A tool result's output: a string, or the text blocks of tool_result blocks.
std::string ToolResultText(const Json& content) {
  if (!content.is_array()) return ContentText(content);
  std::string text;
  for (const Json& block : content) {
    const Json& inner = block.is_object() && block.contains("content") ? block["content"] : block;
    text += inner.is_string() ? inner.get<std::string>() : ContentText(inner);
  }
  return text;
}

// The short lines a non-text message shows as: "⚙ Bash {…}", "← output", "[type] …".
std::vector<std::string> ToolLines(const Json& message) {
  std::string type = StringField(message, "type");
  std::vector<std::string> lines;
  if (type == "tool_use" && message.value("tool_uses", Json()).is_array()) {
    for (const Json& use : message["tool_uses"]) {
      lines.push_back(Excerpt("\xe2\x9a\x99 " + StringField(use, "name") + " " +
                              use.value("input", Json::object()).dump()));
    }
  } else if (type == "tool_result") {
    lines.push_back(Excerpt("\xe2\x86\x90 " + ToolResultText(message.value("content", Json()))));
  } else {
    const Json& content = message.value("content", Json());
    std::string text = ContentText(content);
    lines.push_back(Excerpt("[" + type + "] " + (text.empty() ? content.dump() : text)));
  }
  return lines;
}

bool IsTextType(const std::string& type) {
  return type.empty() || type == "text" || type == "thinking" || type == "error";
}

}  // namespace

TaskPrinter::TaskPrinter(OutputStyle style, Writer write)
    : style_(style), write_(std::move(write)) {}

// `type` "thinking" marks thinking; chunks without a type (older daemons) are answer text.
void TaskPrinter::Chunk(const Json& streaming) {
  if (style_.json) return;
  std::string id = StringField(streaming, "message_id");
  std::string chunk = StringField(streaming, "chunk");
  streamed_[id] += chunk;
  if (StringField(streaming, "type") == "thinking") thinking_.insert(id);
  ShowStreamed(id, chunk);
}

// Streamed text goes on after the message's earlier chunks. Thinking shares its line with
// nothing else, and says "thinking: " whenever it does not go on from its own chunks.
void TaskPrinter::ShowStreamed(const std::string& id, const std::string& text) {
  if (text.empty()) return;
  bool thinking = thinking_.count(id) > 0;
  bool goes_on = open_id_ == id;
  if (!goes_on && (thinking || thinking_.count(open_id_) > 0)) CloseLine();
  if (thinking) {
    WriteDim((goes_on ? "" : "thinking: ") + TerminalSafe(text, true));
  } else {
    WriteText(text);
  }
  open_id_ = id;
}

void TaskPrinter::Message(const Json& message) {
  if (style_.json) return Write(FormatJsonLines(Json::array({message})));
  std::string type = StringField(message, "type");
  if (IsTextType(type)) return Text(message);
  CloseLine();
  for (const std::string& line : ToolLines(message)) DimLine(line);
}

void TaskPrinter::Note(const std::string& text) {
  if (style_.json) return;
  CloseLine();
  DimLine(text);
}

// A text message: what its streamed chunks did not show yet, then the end of their line.
// Thinking that did not stream shows dim, after "thinking: ", apart from the answer.
void TaskPrinter::Text(const Json& message) {
  const Json& content = message.value("content", Json());
  std::string text = ContentText(content);
  std::string id = StringField(message, "message_id");
  auto it = streamed_.find(id);
  if (it != streamed_.end()) {
    std::string shown = std::move(it->second);
    streamed_.erase(it);
    // Chunks that began before this command followed (--attach): the whole message again.
    if (text.compare(0, shown.size(), shown) != 0) {
      CloseLine();
      open_id_.clear();
      shown.clear();
    }
    ShowStreamed(id, text.substr(shown.size()));
    thinking_.erase(id);
    if (open_id_ == id) CloseLine();  // not a line another message's chunks went on with
    if (open_id_ == id) open_id_.clear();
    return;
  }
  CloseLine();
  std::string thinking =
      StringField(message, "type") == "thinking" ? text : BlockText(content, "thinking");
  if (!thinking.empty()) DimLine("thinking: " + TerminalSafe(thinking, true));
  std::string answer = StringField(message, "type") == "thinking" ? "" : AnswerText(content);
  WriteText(answer);
  CloseLine();
}

void TaskPrinter::Write(const std::string& text) {
  if (text.empty() || broken_) return;
  broken_ = !write_(text);
  line_open_ = text.back() != '\n';
  open_id_.clear();
}

void TaskPrinter::CloseLine() {
  if (line_open_) Write("\n");
}

// Dim text that may leave its line open; the reset goes before its trailing newlines, so a
// later line never starts inside it.
void TaskPrinter::WriteDim(const std::string& text) {
  size_t end = text.find_last_not_of('\n') + 1;  // 0 when all newlines (npos + 1)
  if (!style_.color || end == 0) return Write(text);
  Write(kDim + text.substr(0, end) + kReset + text.substr(end));
}

void TaskPrinter::DimLine(const std::string& text) {
  Write(style_.color ? kDim + text + kReset + "\n" : text + "\n");
}

}  // namespace agor
