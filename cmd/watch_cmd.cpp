// `agor watch`: prints the daemon's events as they happen, one line each, over a Socket.IO
// connection of its own (cmd/socket_client.h), with no gap and no duplicate across reconnects.
//
// How the output stays gapless. Every printed event has a larger seq than the one before, and
// `last_` is the largest seq handled (printed or filtered out); anything at or below it is a
// duplicate and dropped. Whenever live delivery may have missed something, the watcher "holds":
// it buffers live events, makes sure its subscriptions are in place, replays the event log
// after `last_` (GET /events, paged), then releases the buffer. It holds
//   - at start (from --since, else from the log's head when the command started),
//   - after a reconnect the server did not recover (new pid: subscriptions are gone),
//   - when a board is created while it watches every board, until the subscription to the new
//     board is acknowledged (its first sessions may precede the subscription).
// A recovered reconnect needs no replay: the server sends exactly the missed events.
//
// Each line stands alone: the socket asks for log entries (`?agor_events=log`, see
// server/realtime/hub.h), so live events carry their `ts` and `session_id` as replayed ones do.
// Events outside the log (streamed text, presence, the activity feed's) print as they come,
// with seq and ts null; presence frames (cursors above all) only with --presence, activity
// only with --service activity (cmd/watch_event.h).
//
// Exit codes: 0 when stdout's reader goes away (`| head`), 1 when the server refuses a
// request, 2 on bad flags, 3 when no daemon answers at --url at start, 130 on Ctrl-C (SIGINT).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <deque>
#include <set>

#include "base/schema.h"
#include "cmd/client/rest_client.h"
#include "cmd/client/socket_client.h"
#include "cmd/command.h"
#include "cmd/credentials.h"
#include "cmd/id_resolver.h"
#include "cmd/output.h"
#include "cmd/resource_cli.h"
#include "cmd/watch_event.h"

namespace agor {
namespace {

constexpr int kWatchPageSize = 1000;
constexpr int kStdoutCheckMs = 200;
constexpr const char* kWatchProgram = "agor watch";

// Ctrl-C ends the command at once (exit 130), except in the middle of writing a line: then
// right after it.
volatile std::sig_atomic_t g_writing = 0;
volatile std::sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) {
  if (!g_writing) _exit(kExitInterrupted);
  g_interrupted = 1;
}

void InstallSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout shows up as EPIPE instead
}

// Writes one line to stdout. False when nobody reads stdout any more.
bool WriteLine(const std::string& line) {
  g_writing = 1;
  bool written = WriteStdout(line);
  g_writing = 0;
  return written;
}

void Note(const std::string& text) {
  fprintf(stderr, "agor watch: %s\n", text.c_str());
}

struct WatchFlags {
  std::string url;
  std::string token;
  bool json = false;
  std::vector<std::string> boards;
  std::vector<std::string> sessions;
  std::vector<std::string> services;
  std::vector<std::string> events;
  std::int64_t since = -1;
  bool presence = false;
};

// The services whose events are not stored, so base/schema.h does not know them.
bool IsLiveOnlyService(const std::string& name) {
  return name == "presence" || name == "activity";
}

const CLI::Validator kKnownService(
    [](std::string& name) {
      bool known = FindService(name) || IsLiveOnlyService(name);
      return known ? std::string() : "unknown service '" + name + "'";
    },
    "SERVICE", "KnownService");

const CLI::Validator kSeq(
    [](std::string& text) {
      bool digits = !text.empty() && text.size() <= 18 &&
                    text.find_first_not_of("0123456789") == std::string::npos;
      return digits ? std::string() : "must be an event seq (0 or more), not '" + text + "'";
    },
    "SEQ", "Seq");

void AddFlags(CLI::App* app, WatchFlags* f) {
  app->add_option("--url", f->url,
                  "daemon URL (default $AGOR_URL, else " + std::string(kDefaultUrl) + ")");
  AddTokenFlag(app, &f->token);
  app->add_flag("--json", f->json, "JSON lines even on a terminal");
  app->add_option("--board", f->boards,
                  "only this board's events (id, 8+ hex digit prefix or slug; repeatable)")
      ->allow_extra_args(false);
  app->add_option("--session", f->sessions,
                  "only this session's events (id or 8+ hex digit prefix; repeatable)")
      ->allow_extra_args(false);
  app->add_option("--service", f->services,
                  "only this service's events (repeatable; 'activity' adds the feed's entries)")
      ->allow_extra_args(false)
      ->check(kKnownService);
  app->add_option("--event", f->events, "only created, updated, patched or removed (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--since", f->since, "first replay the logged events after seq N")->check(kSeq);
  app->add_flag("--presence", f->presence,
                "also print presence: presence created|patched|removed, cursor-moved, "
                "cursor-left (service presence; implied by --service presence)");
  app->footer(
      "lines (piped): {seq, ts, service, event, board_id, session_id, data}\n"
      "exit codes: 0 stdout closed, 1 refused, 2 usage, 3 daemon unreachable, 4 not logged in,\n"
      "  130 Ctrl-C\n"
      "examples:\n"
      "  agor watch\n"
      "  agor watch --board sprint-12 --service messages | jq .data.content\n"
      "  agor watch --session 8f70d521 --event created --since 0\n"
      "  agor watch --board sprint-12 --presence");
}

class Watcher {
 public:
  Watcher(const WatchFlags& flags, const BaseUrl& base);
  int Run();

 private:
  Status Prepare();
  Status ResolveIds(const std::string& service, const std::vector<std::string>& typed,
                    std::set<std::string>* out);
  Status ReadLogHead(std::int64_t* seq);
  Status GetLogPage(std::int64_t after, Json* page);
  Status ListBoards(std::vector<std::string>* ids);

  void OnConnect(bool recovered);
  void NoteReconnected(bool recovered) const;
  void OnLost();
  void OnLiveEvent(const std::string& name, Json record, const std::string& offset);
  void Resync();
  void Subscribe(const char* field, const std::string& id, bool explicit_scope);
  void CatchUp();
  void Flush();
  void Deliver(WatchEvent event);
  void SyncOffset();
  void Emit(const WatchEvent& event);
  void OnRestFailure(const Status& status);
  void Finish(int exit_code);
  bool WatchesBoardChannels() const;

  const WatchFlags& flags_;
  RestClient rest_;
  SocketClient socket_;
  OutputStyle style_;
  WatchFilter filter_;
  bool all_boards_ = false;
  bool has_log_ = true;
  std::int64_t last_ = -1;                   // largest seq handled
  std::set<std::string> subscribed_boards_;  // all-boards mode
  bool connected_before_ = false;
  std::uint64_t generation_ = 0;  // bumped on connect and loss: stale answers are ignored
  int pending_subscriptions_ = 0;
  bool holding_ = true;  // live events wait in buffer_ until the replay is done
  bool resync_needed_ = true;
  std::deque<WatchEvent> buffer_;
  bool finished_ = false;
  int exit_code_ = kExitOk;
};

SocketOptions MakeSocketOptions(const BaseUrl& base) {
  SocketOptions options = SocketOptionsFor(base);
  options.query = "agor_events=log";  // live events as log entries: ts and session_id
  return options;
}

Watcher::Watcher(const WatchFlags& flags, const BaseUrl& base)
    : flags_(flags), rest_(base), socket_(MakeSocketOptions(base)) {
  style_ = DetectStyle(flags.json);
  filter_.services.insert(flags.services.begin(), flags.services.end());
  filter_.events.insert(flags.events.begin(), flags.events.end());
  filter_.presence = flags.presence || filter_.services.count("presence") > 0;
  all_boards_ = flags.boards.empty() && flags.sessions.empty();
}

int Watcher::Run() {
  Status status = Prepare();
  if (!status.ok()) return ReportFailure(status);
  SyncOffset();
  socket_.OnConnect([this](bool recovered) { OnConnect(recovered); });
  socket_.OnLost([this](const Status&) { OnLost(); });
  socket_.OnEvent([this](const std::string& name, Json record, const std::string& offset) {
    OnLiveEvent(name, std::move(record), offset);
  });
  socket_.Every(kStdoutCheckMs, [this] {
    if (StdoutReaderGone()) Finish(kExitOk);
  });
  status = socket_.Run();
  if (!status.ok() && !finished_) return ReportFailure(status);
  return exit_code_;
}

// Resolves --board/--session and finds where the output starts.
Status Watcher::Prepare() {
  Status status = ResolveIds("boards", flags_.boards, &filter_.boards);
  if (status.ok()) status = ResolveIds("sessions", flags_.sessions, &filter_.sessions);
  if (status.ok()) status = ReadLogHead(&last_);
  if (!status.ok()) return status;
  if (flags_.since >= 0 && !has_log_) {
    return Status::BadRequest("--since: the daemon at " + rest_.base().text +
                              " keeps no event log");
  }
  if (flags_.since >= 0) last_ = flags_.since;
  return Status::OK();
}

// Full ids for what was typed after --board/--session (id, prefix or slug: cmd/id_resolver.h).
Status Watcher::ResolveIds(const std::string& service, const std::vector<std::string>& typed,
                           std::set<std::string>* out) {
  const char* flag = service == "boards" ? "--board" : "--session";
  for (const std::string& text : typed) {
    std::string id;
    Status status = ResolveId(rest_, service, text, flag, &id);
    if (!status.ok()) return status;
    out->insert(id);
  }
  return Status::OK();
}

// The newest seq in the log (0 when empty). A daemon without a log (NotFound) clears has_log_.
Status Watcher::ReadLogHead(std::int64_t* seq) {
  Json page;
  Status status = rest_.Get("/events", {{"$sort[seq]", "-1"}, {"$limit", "1"}}, &page);
  if (status.code() == Code::kNotFound) {
    has_log_ = false;
    return Status::OK();
  }
  if (!status.ok()) return status;
  const Json& data = page.is_object() && page.contains("data") ? page["data"] : Json();
  WatchEvent newest;
  *seq = data.is_array() && !data.empty() && EventFromLog(data[0], &newest) ? newest.seq : 0;
  return Status::OK();
}

Status Watcher::GetLogPage(std::int64_t after, Json* page) {
  Status status = rest_.Get("/events",
                            {{"seq[$gt]", std::to_string(after)},
                             {"$sort[seq]", "1"},
                             {"$limit", std::to_string(kWatchPageSize)}},
                            page);
  if (status.ok() && !(page->is_object() && page->contains("data") && (*page)["data"].is_array())) {
    return Status::GeneralError("unexpected answer to GET /events: not a page");
  }
  return status;
}

// Every board's id, paged by id (not by $skip, which a removal meanwhile would shift).
Status Watcher::ListBoards(std::vector<std::string>* ids) {
  for (;;) {
    QueryParams query = {{"$limit", std::to_string(kWatchPageSize)},
                         {"$sort[board_id]", "1"},
                         {"$select[]", "board_id"}};
    if (!ids->empty()) query.emplace_back("board_id[$gt]", ids->back());
    Json page;
    Status status = rest_.Get("/boards", query, &page);
    if (!status.ok()) return status;
    const Json& data = page.is_object() && page.contains("data") ? page["data"] : Json();
    if (!data.is_array()) return Status::GeneralError("unexpected answer to GET /boards");
    std::size_t before = ids->size();
    for (const Json& board : data) {
      bool valid = board.contains("board_id") && board["board_id"].is_string();
      std::string id = valid ? board["board_id"].get<std::string>() : "";
      if (valid && (ids->empty() || id > ids->back())) ids->push_back(std::move(id));
    }
    if (ids->size() == before) return Status::OK();  // the last page, or no progress
  }
}

void Watcher::OnConnect(bool recovered) {
  ++generation_;
  if (connected_before_) NoteReconnected(recovered);
  connected_before_ = true;
  if (!recovered || resync_needed_) Resync();
}

void Watcher::NoteReconnected(bool recovered) const {
  if (last_ < 0) return Note("reconnected");
  std::string note = "reconnected, resumed after seq " + std::to_string(last_);
  Note(recovered && !resync_needed_ ? note : note + " (replayed from the event log)");
}

void Watcher::OnLost() {
  Note("connection lost, reconnecting\xe2\x80\xa6");
  ++generation_;
  pending_subscriptions_ = 0;
  if (holding_) resync_needed_ = true;
}

void Watcher::OnLiveEvent(const std::string& name, Json record, const std::string& offset) {
  WatchEvent event;
  if (!EventFromFrame(name, std::move(record), offset, &event)) return;
  if (holding_) {
    buffer_.push_back(std::move(event));
    return SyncOffset();  // the buffered event is not handled yet
  }
  Deliver(std::move(event));
}

// What the server replays on a recovered reconnect starts after the last event handled here.
void Watcher::SyncOffset() {
  if (last_ >= 0) socket_.SetOffset(std::to_string(last_));
}

// Whether events of a board's channel (its sessions, tasks, messages, activity, presence) are
// wanted at all: else no board needs joining.
bool Watcher::WatchesBoardChannels() const {
  if (filter_.services.empty()) return true;
  for (const char* service : {"sessions", "tasks", "messages", "activity", "presence"}) {
    if (filter_.services.count(service)) return true;
  }
  return false;
}

// Joins every channel the output needs, then replays the log (CatchUp) once all are joined.
void Watcher::Resync() {
  holding_ = true;
  resync_needed_ = true;
  pending_subscriptions_ = 0;
  if (all_boards_ && WatchesBoardChannels()) {
    std::vector<std::string> boards;
    Status status = ListBoards(&boards);
    if (!status.ok()) return OnRestFailure(status);
    subscribed_boards_.clear();
    for (const std::string& id : boards) {
      subscribed_boards_.insert(id);
      Subscribe("board_id", id, false);
    }
  }
  for (const std::string& id : filter_.boards) Subscribe("board_id", id, true);
  for (const std::string& id : filter_.sessions) Subscribe("session_id", id, true);
  if (pending_subscriptions_ == 0) CatchUp();
}

void Watcher::Subscribe(const char* field, const std::string& id, bool explicit_scope) {
  ++pending_subscriptions_;
  holding_ = true;
  std::string what = std::string(field == std::string("board_id") ? "board " : "session ") + id;
  Json args = Json::array({Json{{field, id}}, Json::object()});
  std::uint64_t generation = generation_;
  socket_.Call("create", "subscriptions", std::move(args),
               [this, generation, what, explicit_scope](const Status& error, Json) {
                 if (generation != generation_ || finished_) return;
                 // A board removed meanwhile, or a daemon without channels: nothing to join.
                 if (!error.ok() && (explicit_scope || error.code() != Code::kNotFound)) {
                   Note("cannot subscribe to " + what + ": " + error.message());
                 }
                 if (--pending_subscriptions_ == 0) CatchUp();
               });
}

// Replays the log after last_, then releases the buffer unless new subscriptions are pending.
void Watcher::CatchUp() {
  for (bool more = has_log_; more && !finished_;) {
    Json page;
    Status status = GetLogPage(last_, &page);
    if (!status.ok()) return OnRestFailure(status);
    Json& data = page["data"];
    for (Json& entry : data) {
      WatchEvent event;
      if (EventFromLog(std::move(entry), &event)) Deliver(std::move(event));
      if (finished_) return;
    }
    more = data.size() >= static_cast<std::size_t>(page.value("limit", kWatchPageSize)) &&
           !data.empty();
  }
  resync_needed_ = false;
  if (pending_subscriptions_ > 0) return;
  holding_ = false;
  Flush();
}

void Watcher::Flush() {
  while (!holding_ && !finished_ && !buffer_.empty()) {
    WatchEvent event = std::move(buffer_.front());
    buffer_.pop_front();
    Deliver(std::move(event));
  }
}

void Watcher::Deliver(WatchEvent event) {
  if (event.seq >= 0) {
    if (event.seq <= last_) return;
    last_ = event.seq;
    SyncOffset();
  }
  bool new_board = all_boards_ && event.service == "boards" && event.event == "created" &&
                   event.board_id.is_string() && WatchesBoardChannels() &&
                   subscribed_boards_.insert(event.board_id.get<std::string>()).second;
  if (new_board) Subscribe("board_id", event.board_id.get<std::string>(), false);
  if (filter_.Passes(event)) Emit(event);
}

void Watcher::Emit(const WatchEvent& event) {
  std::string line = style_.json ? FormatEventJson(event) : FormatEventSummary(event, style_.color);
  bool written = WriteLine(line);
  if (g_interrupted) return Finish(kExitInterrupted);  // Ctrl-C came during the write
  if (!written) Finish(kExitOk);
}

// The daemon went away under a REST call: reconnect and resync. Anything else is fatal.
void Watcher::OnRestFailure(const Status& status) {
  resync_needed_ = true;
  if (IsUnreachable(status)) return socket_.Reconnect();
  Finish(ReportFailure(status));
}

void Watcher::Finish(int exit_code) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = exit_code;
  socket_.Stop();
}

}  // namespace

int RunWatch(int argc, char** argv) {
  CLI::App app{"print the daemon's events as they happen, one line each", kWatchProgram};
  WatchFlags flags;
  AddFlags(&app, &flags);
  if (int code = ParseCommandLine(app, argc, argv, kWatchProgram); code >= 0) return code;
  BaseUrl base;
  if (int code = ChooseDaemon(flags.url, flags.token, kWatchProgram, &base); code >= 0) return code;
  InstallSignalHandlers();
  return Watcher(flags, base).Run();
}

}  // namespace agor
