#include "cmd/activity_feed.h"

#include <algorithm>

#include "base/json.h"
#include "cmd/command.h"
#include "cmd/credentials.h"
#include "cmd/resource_cli.h"
#include "cmd/watch_event.h"

namespace agor {
namespace {

constexpr const char* kDim = "\x1b[2m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kReset = "\x1b[0m";

const Json& At(const Json& record, const char* field) {
  static const Json kNull;
  auto it = record.is_object() ? record.find(field) : record.end();
  return it != record.end() ? *it : kNull;
}

// A non-negative integer field below 2^53, else -1 (any shape may come from the wire).
std::int64_t Count(const Json& record, const char* field) {
  const Json& value = At(record, field);
  constexpr std::int64_t kLimit = std::int64_t{1} << 53;
  if (value.is_number_unsigned()) {
    return value.get<std::uint64_t>() < static_cast<std::uint64_t>(kLimit)
               ? value.get<std::int64_t>()
               : -1;
  }
  if (!value.is_number_integer()) return -1;
  std::int64_t n = value.get<std::int64_t>();
  return n >= 0 && n < kLimit ? n : -1;
}

std::string Painted(const std::string& text, const char* color, bool enabled) {
  return enabled ? color + text + kReset : text;
}

// The entry's words: its summary, else who did what.
std::string Summary(const Json& entry) {
  std::string summary = StringField(entry, "summary");
  if (!summary.empty()) return summary;
  std::string who = StringField(At(entry, "actor"), "name");
  return (who.empty() ? "someone" : who) + " " + StringField(entry, "verb");
}

// One page newest first: `limit` 0 leaves the size to the server, `before` -1 starts at the top.
Status ReadPage(RestClient& rest, const std::string& board_id, std::int64_t limit,
                std::int64_t before, Json* data) {
  QueryParams query = {{"board_id", board_id}};
  if (limit > 0) query.emplace_back("$limit", std::to_string(limit));
  if (before >= 0) query.emplace_back("$before", std::to_string(before));
  Json page;
  Status status = rest.Get("/activity", query, &page);
  if (!status.ok()) return status;
  const Json& found = page.is_object() ? At(page, "data") : page;
  if (!found.is_array()) return Status::GeneralError("unexpected answer to GET /activity");
  *data = found;
  return Status::OK();
}

}  // namespace

// Pages on with $before (the oldest first_seq so far) while fewer than `limit` came; each page
// must go further down (an entry at or above $before is dropped), so the loop ends.
Status ReadActivity(RestClient& rest, const std::string& board_id, std::int64_t limit,
                    Json* oldest_first) {
  Json newest_first = Json::array();
  auto have = [&newest_first] { return static_cast<std::int64_t>(newest_first.size()); };
  for (std::int64_t before = -1;;) {
    Json data;
    Status status = ReadPage(rest, board_id, limit > 0 ? limit - have() : 0, before, &data);
    if (!status.ok()) return status;
    std::int64_t oldest = -1;
    for (Json& entry : data) {
      std::int64_t first = Count(entry, "first_seq");
      if (!entry.is_object() || (before >= 0 && (first < 0 || first >= before))) continue;
      if (first >= 0 && (oldest < 0 || first < oldest)) oldest = first;
      if (limit <= 0 || have() < limit) newest_first.push_back(std::move(entry));
    }
    if (limit <= 0 || have() >= limit || oldest < 0) break;
    before = oldest;
  }
  *oldest_first = Json::array();
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
    oldest_first->push_back(std::move(*it));
  }
  return Status::OK();
}

ActivityLedger::Verdict ActivityLedger::Admit(const Json& entry) {
  std::string id = StringField(entry, "activity_id");
  if (id.empty()) return Verdict::kSeen;
  State now{Count(entry, "last_seq"), Count(entry, "count")};
  auto it = states_.find(id);
  if (it == states_.end()) {
    states_.emplace(id, now);
    order_.push_back(id);
    if (order_.size() > kMaxRemembered) {
      states_.erase(order_.front());
      order_.pop_front();
    }
    return Verdict::kNew;
  }
  State& was = it->second;
  bool newer =
      now.last_seq > was.last_seq || (now.last_seq == was.last_seq && now.count > was.count);
  if (!newer) return Verdict::kSeen;
  was = now;
  return Verdict::kGrew;
}

std::string ActivityLine(const Json& entry, bool grew, bool color) {
  std::string clock = LocalClock(StringField(entry, "ts"));
  std::string line = Painted(clock.empty() ? "--:--:--" : clock, kDim, color) + "  " +
                     CellText(Json(Summary(entry)), Column{"", "", Column::kText, 0});
  if (grew) {
    std::int64_t count = Count(entry, "count");
    std::string note = count >= 0 ? "(updated, count " + std::to_string(count) + ")" : "(updated)";
    line += "  " + Painted(note, kYellow, color);
  }
  return line + "\n";
}

bool ActivityPrinter::Print(const Json& entry) {
  ActivityLedger::Verdict verdict = ledger_.Admit(entry);
  if (verdict == ActivityLedger::Verdict::kSeen) return true;
  if (style_.json) return WriteStdout(FormatJsonLines(Json::array({entry})));
  return WriteStdout(ActivityLine(entry, verdict == ActivityLedger::Verdict::kGrew, style_.color));
}

// ---- ActivityFollower ------------------------------------------------------------------------

ActivityFollower::ActivityFollower(const BaseUrl& base, std::string board_id, std::int64_t limit,
                                   OutputStyle style, const volatile std::sig_atomic_t& interrupted)
    : ChannelFollower(base, Json{{"board_id", board_id}}, "board", interrupted),
      printer_(style),
      board_id_(std::move(board_id)),
      limit_(limit) {}

void ActivityFollower::OnEvent(const std::string& name, const Json& record) {
  if (StringField(record, "board_id") != board_id_) return;
  if (name == "activity created" || name == "activity patched") {
    if (!printer_.Print(record)) Finish(kExitOk);
  } else if (name == "boards removed") {
    ReportFailure(Status::NotFound("board " + board_id_ + " was removed"));
    Finish(kExitFailure);
  }
}

void ActivityFollower::CatchUp() {
  Json entries;
  Status status = ReadActivity(rest(), board_id_, limit_, &entries);
  if (IsUnreachable(status)) return socket().Reconnect();
  if (!status.ok()) return Finish(ReportFailure(status));
  for (const Json& entry : entries) {
    if (!printer_.Print(entry)) return Finish(kExitOk);
  }
}

}  // namespace agor
