#include "cmd/message_feed.h"

#include "base/utf8.h"
#include "cmd/command.h"
#include "cmd/credentials.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

constexpr int kPageSize = 1000;
constexpr size_t kContentPoints = 100;

const Column kIndexColumn{"INDEX", "index", Column::kText, 5};
const Column kRoleColumn{"ROLE", "role", Column::kText, 9};
const Column kTypeColumn{"TYPE", "type", Column::kText, 12};
const Column kContentColumn{"CONTENT", "content", Column::kText, kContentPoints};

const Json& MessageField(const Json& record, const char* key) {
  static const Json kNull;
  auto it = record.is_object() ? record.find(key) : record.end();
  return it != record.end() ? *it : kNull;
}

std::string Str(const Json& record, const char* key) {
  const Json& value = MessageField(record, key);
  return value.is_string() ? value.get<std::string>() : "";
}

// What a person reads of a message's content: the text, or the text blocks joined; other
// blocks (tool uses, results) as compact JSON.
Json ContentText(const Json& content) {
  if (!content.is_array()) return content;
  std::string text;
  for (const Json& block : content) {
    if (Str(block, "type") == "text") text += (text.empty() ? "" : " ") + Str(block, "text");
  }
  return text.empty() ? content : Json(text);
}

// A message's place in its session: false when it has none (not placed yet) or one no session
// reaches (a hostile answer must not overflow the counter).
bool IndexOf(const Json& message, int64_t* index) {
  const Json& value = MessageField(message, "index");
  constexpr int64_t kLimit = int64_t{1} << 53;
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() >= static_cast<uint64_t>(kLimit)) return false;
  } else if (!value.is_number_integer()) {
    return false;
  }
  *index = value.get<int64_t>();
  return *index >= 0 && *index < kLimit;
}

std::string Padded(const std::string& text, size_t width) {
  size_t shown = Utf8CodePoints(text);
  return text + std::string(width > shown ? width - shown : 0, ' ') + "  ";
}

// One page of the session's messages from index `from` on, checked to be a page.
Status ReadMessagePage(RestClient& rest, const std::string& session_id, int64_t from, Json* page) {
  Status status = rest.Get("/messages",
                           {{"session_id", session_id},
                            {"index[$gte]", std::to_string(from)},
                            {"$sort[index]", "1"},
                            {"$limit", std::to_string(kPageSize)}},
                           page);
  bool shaped = status.ok() && page->is_object() && MessageField(*page, "data").is_array();
  if (status.ok() && !shaped) return Status::GeneralError("unexpected answer to GET /messages");
  return status;
}

}  // namespace

std::string MessageRow(const Json& message) {
  std::string row =
      Padded(CellText(MessageField(message, "index"), kIndexColumn), kIndexColumn.max_width);
  row += Padded(CellText(MessageField(message, "role"), kRoleColumn), kRoleColumn.max_width);
  row += Padded(CellText(MessageField(message, "type"), kTypeColumn), kTypeColumn.max_width);
  return row + CellText(ContentText(MessageField(message, "content")), kContentColumn);
}

bool MessagePrinter::Print(const Json& message) {
  std::string id = Str(message, "message_id");
  if (!id.empty() && !printed_.insert(id).second) return true;
  if (style_.json) return Write(FormatJsonLines(Json::array({message})));
  if (!header_done_) {
    header_done_ = true;
    std::string header = Padded("INDEX", kIndexColumn.max_width) +
                         Padded("ROLE", kRoleColumn.max_width) +
                         Padded("TYPE", kTypeColumn.max_width) + "CONTENT";
    if (!Write((style_.color ? "\x1b[1m" + header + "\x1b[0m" : header) + "\n")) return false;
  }
  return Write(MessageRow(message) + "\n");
}

// Unbuffered (cmd/output.h): stdio would hide EPIPE until a flush.
bool MessagePrinter::Write(const std::string& text) {
  return WriteStdout(text);
}

Status PrintStoredMessages(RestClient& rest, const std::string& session_id, MessagePrinter& printer,
                           int64_t* next, bool* closed) {
  for (;;) {
    Json page;
    Status status = ReadMessagePage(rest, session_id, *next, &page);
    if (!status.ok()) return status;
    const Json& data = page["data"];
    for (const Json& message : data) {
      int64_t index = 0;
      if (!IndexOf(message, &index) || index < *next) continue;
      *next = index + 1;
      if (!printer.Print(message)) {
        *closed = true;
        return Status::OK();
      }
    }
    if (data.size() < static_cast<size_t>(kPageSize)) return Status::OK();
  }
}

// ---- MessageFollower -------------------------------------------------------------------------

MessageFollower::MessageFollower(const BaseUrl& base, std::string session_id, OutputStyle style,
                                 const volatile std::sig_atomic_t& interrupted)
    : ChannelFollower(base, Json{{"session_id", session_id}}, "session", interrupted),
      printer_(style),
      session_id_(std::move(session_id)) {}

void MessageFollower::OnEvent(const std::string& name, const Json& record) {
  if (Str(record, "session_id") != session_id_) return;
  if (name == "messages created" || name == "messages patched") return Place(record);
  if (name == "sessions removed") {
    ReportFailure(Status::NotFound("session " + session_id_ + " was removed"));
    Finish(kExitFailure);
  }
}

// Prints a live message when it takes the next index; reads a gap before it over REST first.
void MessageFollower::Place(const Json& message) {
  int64_t index = 0;
  if (!IndexOf(message, &index) || printer_.Printed(Str(message, "message_id"))) return;
  if (index > next_) CatchUp();
  if (finished() || index < next_) return;
  next_ = index + 1;
  if (!printer_.Print(message)) Finish(kExitOk);
}

void MessageFollower::CatchUp() {
  bool closed = false;
  Status status = PrintStoredMessages(rest(), session_id_, printer_, &next_, &closed);
  if (closed) return Finish(kExitOk);
  if (IsUnreachable(status)) return socket().Reconnect();
  if (!status.ok()) Finish(ReportFailure(status));
}

}  // namespace agor
